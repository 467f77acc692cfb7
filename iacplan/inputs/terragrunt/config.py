"""Terragrunt configuration files: units, their includes, locals, inputs and module source.

A *unit* is a `terragrunt.hcl` whose merged configuration has a `terraform { source = … }`,
or that sits beside `.tf` files (Terragrunt then runs that directory itself). Each is
evaluated as Terragrunt would, within the subset `expressions.py` covers:
- `include` blocks (one level, as Terragrunt allows), named or not, `expose`, and
  `merge_strategy` `no_merge` / `shallow` (the default) / `deep`;
- `locals` (any order), `dependency` blocks (their outputs are always unknown: they exist only
  after the other unit is applied, and `mock_outputs` are not what apply uses);
- Terragrunt's path functions, `read_terragrunt_config()`, `find_in_parent_folders()`,
  `get_env()` (only for names the user allows, see below), `file()` inside the repository.
Every file read stays inside the repository root; what points outside it is unknown.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Tree
from lark.exceptions import LarkError, UnexpectedInput

from iacplan.errors import InputError
from iacplan.inputs.files import display_path, read_text
from iacplan.inputs.terragrunt.expressions import (
    EvalError,
    Evaluator,
    Lazy,
    Unknown,
    Val,
    line_of,
    plain,
)
from iacplan.inputs.terragrunt.run import CONFIG_NAME
from iacplan.model import Location

# Files Terragrunt reads that this evaluator does not: reported, never passed over quietly.
UNREAD_NAMES = ("terragrunt.hcl.json", "terragrunt.stack.hcl")
_REMOTE = re.compile(r"^(?:[a-z0-9]+::|[a-z][a-z0-9+.-]*://|git@)|^[\w.-]+\.[a-z]{2,}/", re.I)
_MERGE_STRATEGIES = ("no_merge", "shallow", "deep")


@dataclass(frozen=True)
class Source:
    """The module a unit runs: a local directory, a remote address, or unknown."""

    location: Location
    directory: Path | None = None
    remote: str | None = None
    unknown: str | None = None


@dataclass(frozen=True)
class Inputs:
    """A unit's merged `inputs`. `rest` is set when inputs beyond `values` may be set to
    values that cannot be known (an unknown include's inputs): every other variable is
    unknown then, never its module default."""

    values: Mapping[str, Val]
    lines: Mapping[str, Location]
    rest: Unknown | None = None


@dataclass(frozen=True)
class Unit:
    directory: Path
    file: Path
    source: Source
    inputs: Inputs
    read: tuple[Path, ...]  # every configuration file the unit's evaluation read


@dataclass(frozen=True)
class Options:
    root: Path  # the repository root: nothing outside it is read
    env_allow: frozenset[str] = frozenset()  # names get_env() may read from the environment
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


@dataclass(frozen=True)
class _Parsed:
    attributes: dict[str, Tree[Any]]
    blocks: list[tuple[str, tuple[str, ...], _Parsed, int]]


@dataclass
class _Evaluated:
    """One configuration file evaluated: what a unit merges or exposes from it."""

    file: Path
    locals: Mapping[str, Val]
    inputs: Val  # a dict, or Unknown
    input_lines: dict[str, Location]
    source: Val | None  # terraform.source: a string, Unknown, or None when not set
    source_line: int
    read: list[Path]


def is_candidate(path: Path) -> bool:
    """Whether a terragrunt.hcl may be a unit, from its syntax alone: a root configuration
    that only holds shared settings is not evaluated on its own (it is meant to be included,
    and its functions mean something only from the including unit)."""
    parsed = _parse(path)
    has_source = any(
        kind == "terraform" and "source" in body.attributes for kind, _, body, _ in parsed.blocks
    )
    includes = any(kind == "include" for kind, _, _, _ in parsed.blocks)
    beside_tf = any(p.suffix == ".tf" or p.name.endswith(".tf.json") for p in path.parent.iterdir())
    return has_source or includes or beside_tf


def load_unit(path: Path, options: Options) -> Unit | None:
    """The unit defined by `path` (a terragrunt.hcl), or None when it runs no module."""
    path = path.absolute()
    context = _Context(options, unit_dir=path.parent, original_dir=path.parent)
    config = context.evaluate(path, includes=True)
    where = Location(display_path(path), config.source_line or 1)
    if config.source is None:
        if not any(p.name.endswith((".tf", ".tf.json")) for p in path.parent.iterdir()):
            return None
        source = Source(where, directory=path.parent)
    else:
        source = _source(config.source, path.parent, where, options.root)
    inputs = config.inputs
    if isinstance(inputs, Unknown):
        merged = Inputs({}, {}, rest=inputs)
    else:
        merged = Inputs(inputs, config.input_lines, rest=inputs.get(_REST_KEY))
        if _REST_KEY in inputs:
            merged = Inputs(
                {k: v for k, v in inputs.items() if k != _REST_KEY}, config.input_lines, merged.rest
            )
    return Unit(path.parent, path, source, merged, tuple(dict.fromkeys(context.read)))


_REST_KEY = "\0rest"  # carries an unknown include's inputs through a shallow merge


def _source(value: Val, unit_dir: Path, where: Location, root: Path) -> Source:
    if isinstance(value, Unknown):
        return Source(where, unknown=f"the module source is unknown: {value.why}")
    if not isinstance(value, str):
        raise InputError(f"{where}: terraform.source is not a string")
    if _REMOTE.search(value) or not value.startswith((".", "/")):
        return Source(where, remote=value)
    address = value.split("?", 1)[0]
    base, _, sub = address.partition("//") if "//" in address[1:] else (address, "", "")
    directory = Path(os.path.normpath(unit_dir / base / sub))
    real = Path(os.path.realpath(directory))
    if not real.is_relative_to(root):
        return Source(where, unknown=f"the module source {value} is outside the repository")
    if not directory.is_dir():
        raise InputError(f"{where}: module source {display_path(directory)} is not a directory")
    return Source(where, directory=directory)


@dataclass
class _Context:
    """What Terragrunt's functions see: the unit being run, the file being read."""

    options: Options
    unit_dir: Path  # get_terragrunt_dir()
    original_dir: Path  # get_original_terragrunt_dir()
    include_dirs: dict[str, Path] = field(default_factory=dict)
    reading: tuple[Path, ...] = ()  # read_terragrunt_config() in progress, for cycles
    read: list[Path] = field(default_factory=list)

    def evaluate(self, path: Path, includes: bool, shown_as: Path | None = None) -> _Evaluated:
        real = Path(os.path.realpath(path))
        if real in self.reading:
            chain = " → ".join(display_path(p) for p in (*self.reading, real))
            raise InputError(f"{display_path(path)}: configuration files read each other: {chain}")
        self.read.append(path)
        parsed = _parse(path)
        shown = display_path(path)
        included: list[tuple[str, _Evaluated, str, bool]] = []
        exposed: dict[str, Val] = {}
        for kind, labels, body, line in parsed.blocks:
            if kind != "include":
                continue
            if not includes:
                raise InputError(
                    f"{shown}:{line}: an included configuration includes another: Terragrunt "
                    "allows one level of include"
                )
            name = labels[0] if labels else ""
            bare = Evaluator(shown, {}, self.functions(path))
            target = _evaluate_attribute(bare, body, "path", f"{shown}:{line}: include")
            strategy = _evaluate_attribute(bare, body, "merge_strategy", "", default="shallow")
            expose = _evaluate_attribute(bare, body, "expose", "", default=False)
            if isinstance(target, Unknown):
                raise InputError(
                    f"{shown}:{line}: the include path cannot be evaluated: {target.why}"
                )
            if strategy not in _MERGE_STRATEGIES:
                raise InputError(
                    f"{shown}:{line}: merge_strategy must be one of {', '.join(_MERGE_STRATEGIES)}"
                )
            file = self.inside(Path(_relative(str(target), path.parent)), f"{shown}:{line}")
            if isinstance(file, Unknown):
                raise InputError(f"{shown}:{line}: include: {file.why}")
            self.include_dirs[name] = file.parent
            parent = self.evaluate(file, includes=False)
            included.append((name, parent, str(strategy), bool(expose)))
            if expose:
                exposed[name] = _exposed(parent)
        exposed_names: dict[str, Val] = (
            {**exposed[""], **{k: v for k, v in exposed.items() if k}} if "" in exposed else exposed
        )
        dependencies: dict[str, Val] = {}
        for kind, labels, _, line in parsed.blocks:
            if kind == "dependency" and labels:
                dependencies[labels[0]] = Unknown(
                    f'dependency "{labels[0]}" ({shown}:{line}): its outputs exist only after '
                    "that unit is applied"
                )
        names: dict[str, Val] = {"include": exposed_names, "dependency": dependencies}
        evaluator = Evaluator(shown, names, self.functions(path))
        local_exprs: dict[str, Tree[Any]] = {}
        for kind, _, body, _ in parsed.blocks:
            if kind == "locals":
                local_exprs.update(body.attributes)
        locals_ = Lazy(local_exprs, lambda node: _evaluated(evaluator, node))
        names["local"] = locals_
        evaluator.names["local"] = locals_
        source: Val | None = None
        source_line = 0
        for kind, _, body, _ in parsed.blocks:
            if kind == "terraform" and "source" in body.attributes:
                source = _evaluated(evaluator, body.attributes["source"])
                source_line = line_of(body.attributes["source"])
        inputs: Val = {}
        input_lines: dict[str, Location] = {}
        if "inputs" in parsed.attributes:
            node = parsed.attributes["inputs"]
            inputs = plain(_evaluated(evaluator, node))
            if not isinstance(inputs, dict | Unknown):
                raise InputError(f"{shown}:{line_of(node)}: inputs is not an object")
            lines = _input_lines(node, shown)
            input_lines = {
                k: lines.get(k, Location(shown, line_of(node)))
                for k in (inputs if isinstance(inputs, dict) else {})
            }
        own = _Evaluated(path, locals_, inputs, input_lines, source, source_line, [])
        for _, parent, strategy, _ in included:
            own = _merge(parent, own, strategy)
        return own

    def inside(self, path: Path, where: str) -> Path | Unknown:
        """`path` if it is a regular file inside the repository, after links."""
        real = Path(os.path.realpath(path))
        if not real.is_relative_to(self.options.root):
            return Unknown(f"{where}: {display_path(path)} is outside the repository: not read")
        if not real.is_file():
            return Unknown(f"{where}: {display_path(path)} is not a regular file")
        return path

    def functions(self, path: Path) -> dict[str, Callable[[list[Val], int], Val]]:
        shown = display_path(path)
        here = path.parent

        def strings(args: list[Val], line: int, name: str, most: int) -> list[str] | Unknown:
            for arg in args:
                if isinstance(arg, Unknown):
                    return arg
            if len(args) > most or not all(isinstance(a, str) for a in args):
                raise EvalError(f"{shown}:{line}: {name}() takes at most {most} strings")
            return [str(a) for a in args]

        def find_in_parent_folders(args: list[Val], line: int) -> Val:
            given = strings(args, line, "find_in_parent_folders", 2)
            if isinstance(given, Unknown):
                return given
            name = given[0] if given else CONFIG_NAME
            directory = self.unit_dir
            root = self.options.root
            # Upwards from the unit's parent, up to the repository root and no further.
            while Path(os.path.realpath(directory)) != root and directory != directory.parent:
                directory = directory.parent
                candidate = directory / name
                if candidate.is_file():
                    return str(candidate)
            if len(given) == 2:
                return given[1]
            raise InputError(
                f"{shown}:{line}: find_in_parent_folders({name!r}) finds no such file in the "
                f"folders above {display_path(self.unit_dir)} inside the repository"
            )

        def read_terragrunt_config(args: list[Val], line: int) -> Val:
            given = strings(args[:1], line, "read_terragrunt_config", 1)
            if isinstance(given, Unknown) or not given:
                return (
                    given
                    if isinstance(given, Unknown)
                    else Unknown(f"{shown}:{line}: read_terragrunt_config() without a path")
                )
            target = self.inside(Path(_relative(given[0], here)), f"{shown}:{line}")
            if isinstance(target, Unknown):
                return args[1] if len(args) > 1 else target
            inner = _Context(
                self.options,
                unit_dir=target.parent,
                original_dir=self.original_dir,
                reading=(*self.reading, Path(os.path.realpath(path))),
                read=self.read,
            )
            config = inner.evaluate(target, includes=True)
            return _exposed(config)

        def included(args: list[Val]) -> Path | None:
            """The include a function names, or without a name the first (a unit has one
            include in the common case)."""
            if args:
                return self.include_dirs.get(str(args[0]))
            return next(iter(self.include_dirs.values()), None)

        def relative_to_include(args: list[Val], line: int) -> Val:
            directory = included(args)
            if directory is None:
                return "."
            return os.path.relpath(self.unit_dir, directory).replace(os.sep, "/")

        def relative_from_include(args: list[Val], line: int) -> Val:
            directory = included(args)
            if directory is None:
                return "."
            return os.path.relpath(directory, self.unit_dir).replace(os.sep, "/")

        def parent_dir(args: list[Val], line: int) -> Val:
            return str(included(args) or self.unit_dir)

        def get_env(args: list[Val], line: int) -> Val:
            given = strings(args, line, "get_env", 2)
            if isinstance(given, Unknown):
                return given
            if not given:
                raise EvalError(f"{shown}:{line}: get_env() needs the variable's name")
            name = given[0]
            if name in self.options.env_allow and name in self.options.environ:
                return self.options.environ[name]
            if name in self.options.environ:
                # Its value would be used, but the environment is no input unless allowed.
                return Unknown(
                    f"{shown}:{line}: get_env({name!r}): the environment sets {name}, which "
                    "iacplan reads only when allowed (--env-allow)"
                )
            if len(given) == 2:
                return given[1]
            return Unknown(
                f"{shown}:{line}: get_env({name!r}) has no default and {name} is not set"
            )

        def file(args: list[Val], line: int) -> Val:
            given = strings(args, line, "file", 1)
            if isinstance(given, Unknown) or not given:
                return (
                    given
                    if isinstance(given, Unknown)
                    else Unknown(f"{shown}:{line}: file() without a path")
                )
            target = self.inside(
                Path(_relative(given[0], self.unit_dir)), f"{shown}:{line}: file()"
            )
            if isinstance(target, Unknown):
                return target
            self.read.append(target)
            return read_text(target)

        def fileexists(args: list[Val], line: int) -> Val:
            given = strings(args, line, "fileexists", 1)
            if isinstance(given, Unknown) or not given:
                return given if isinstance(given, Unknown) else False
            target = Path(_relative(given[0], self.unit_dir))
            inside = self.inside(target, f"{shown}:{line}: fileexists()")
            if isinstance(inside, Unknown) and not Path(os.path.realpath(target)).is_relative_to(
                self.options.root
            ):
                return inside
            return not isinstance(inside, Unknown)

        root = self.options.root

        return {
            "find_in_parent_folders": find_in_parent_folders,
            "read_terragrunt_config": read_terragrunt_config,
            "path_relative_to_include": relative_to_include,
            "path_relative_from_include": relative_from_include,
            "get_terragrunt_dir": lambda args, line: str(self.unit_dir),
            "get_original_terragrunt_dir": lambda args, line: str(self.original_dir),
            "get_parent_terragrunt_dir": parent_dir,
            "get_repo_root": lambda args, line: str(root),
            "get_path_to_repo_root": lambda args, line: os.path.relpath(root, self.unit_dir),
            "get_path_from_repo_root": lambda args, line: os.path.relpath(self.unit_dir, root),
            "get_env": get_env,
            "file": file,
            "fileexists": fileexists,
        }


def _relative(path: str, base: Path) -> str:
    return path if os.path.isabs(path) else str(base / path)


def _evaluated(evaluator: Evaluator, node: Tree[Any]) -> Val:
    try:
        return evaluator.evaluate(node)
    except EvalError as exc:
        raise InputError(str(exc)) from exc


def _evaluate_attribute(
    evaluator: Evaluator, body: _Parsed, name: str, what: str, default: Val = None
) -> Val:
    if name not in body.attributes:
        if what:
            raise InputError(f"{what} has no {name}")
        return default
    return _evaluated(evaluator, body.attributes[name])


def _exposed(config: _Evaluated) -> dict[str, Val]:
    """What `include.<name>` and read_terragrunt_config() give: locals, inputs, terraform."""
    terraform: dict[str, Val] = {} if config.source is None else {"source": config.source}
    inputs = config.inputs
    if isinstance(inputs, dict) and _REST_KEY in inputs:
        inputs = inputs[_REST_KEY]  # partly unknown inputs are unknown as a whole here
    return {"locals": plain(config.locals), "inputs": inputs, "terraform": terraform}


def _merge(parent: _Evaluated, child: _Evaluated, strategy: str) -> _Evaluated:
    """The child's configuration merged over an included one, as Terragrunt merges them."""
    if strategy == "no_merge":
        return child
    source = child.source if child.source is not None else parent.source
    line = child.source_line if child.source is not None else parent.source_line
    inputs: Val
    if isinstance(child.inputs, Unknown):
        inputs = child.inputs
    elif isinstance(parent.inputs, Unknown):
        # The child's keys are certain (they win); any other may come from the parent.
        inputs = {**child.inputs, _REST_KEY: parent.inputs}
    elif strategy == "deep":
        inputs = _deep_merge(parent.inputs, child.inputs)
    else:
        inputs = {**parent.inputs, **child.inputs}
    lines = {**parent.input_lines, **child.input_lines}
    return _Evaluated(
        child.file, child.locals, inputs, lines, source, line, [*parent.read, *child.read]
    )


def _deep_merge(parent: Val, child: Val) -> Val:
    if isinstance(parent, dict) and isinstance(child, dict):
        merged = dict(parent)
        for key, value in child.items():
            merged[key] = _deep_merge(parent[key], value) if key in parent else value
        return merged
    if isinstance(parent, list) and isinstance(child, list):
        return [*parent, *child]
    return child


def _input_lines(node: Tree[Any], shown: str) -> dict[str, Location]:
    """Where each literal key of an `inputs = { … }` object (or the last object argument of
    a merge) is written."""
    found: dict[str, Location] = {}
    for sub in node.iter_subtrees():
        if sub.data == "object_elem":
            key = sub.children[0]
            text = "".join(str(t) for t in key.scan_values(lambda t: True)).strip('"')
            found.setdefault(text, Location(shown, line_of(sub)))
    return found


def _parse(path: Path) -> _Parsed:
    try:
        return _parse_text(read_text(path))
    except UnexpectedInput as exc:
        raise InputError(f"{display_path(path)}:{exc.line}: not valid HCL") from exc
    except LarkError as exc:
        raise InputError(f"{display_path(path)}: not valid HCL: {exc}") from exc


@lru_cache(maxsize=1024)
def _parse_text(text: str) -> _Parsed:
    """Keyed by the text: every unit reads the same root.hcl and env.hcl files, and parsing
    is most of the time a unit takes. (Parsed trees are never changed.)"""
    import hcl2

    return _body(hcl2.parses_to_tree(text).children[0])


def _body(body: Tree[Any]) -> _Parsed:
    attributes: dict[str, Tree[Any]] = {}
    blocks: list[tuple[str, tuple[str, ...], _Parsed, int]] = []
    for child in body.children:
        if not isinstance(child, Tree):
            continue
        if child.data == "attribute":
            name = str(child.children[0].children[0])
            expression = child.children[-1]
            attributes[name] = expression
        elif child.data == "block":
            parts = [c for c in child.children if isinstance(c, Tree)]
            kind = str(parts[0].children[0])
            labels = tuple(
                "".join(str(t) for t in p.scan_values(lambda t: True)).strip('"')
                for p in parts[1:]
                if p.data in ("string", "identifier")
            )
            inner = next(p for p in parts if p.data == "body")
            blocks.append((kind, labels, _body(inner), line_of(child)))
    return _Parsed(attributes, blocks)
