"""Terraform directories: find the root modules of a tree, evaluate each with tfparse.

tfparse (Go HCL and Trivy's evaluator) resolves variables, tfvars, locals, functions, local
modules, count and for_each. Where it cannot, the result must end as *unknown*, never as a
version, and it says so in several ways:
- an unresolved reference as a dict (``{"__attribute__": "var.v", ...}``);
- a partly unknown template as the raw string, a function over one as ``null``, a computed
  attribute as a random block id (terraform_values.py reads these);
- a resource whose count or for_each cannot be resolved as one instance, or none at all;
- module call cycles as endless recursion, override files as if they were not there.
python-hcl2 reads the raw syntax where the evaluated result is not enough (module calls).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from iacplan.errors import InputError, NoDefinitions
from iacplan.inputs import confine
from iacplan.inputs.files import (
    TF_SUFFIXES,
    clear_caches,
    display_path,
    normpath,
    parse_json,
    read_text,
    refuse_big,
    shown_as,
    shown_paths,
    tf_files,
)
from iacplan.inputs.interface import TerraformInputs
from iacplan.inputs.prefilter import local_sources, terraform_may_hold
from iacplan.inputs.terraform import view
from iacplan.inputs.terraform.hcl_blocks import module_blocks, top_level_blocks
from iacplan.inputs.terraform.modules import (
    MANIFEST,
    Installed,
    distrust_stale,
    installed_modules,
    known_module,
    looks_like_mwaa,
    remote_environments,
    stale_copies,
    unread_airflow_modules,
    unread_note,
    version_arguments,
)
from iacplan.inputs.terraform.providers import provider_versions
from iacplan.inputs.terraform.quiet import evaluator_logs_filtered
from iacplan.inputs.terraform.values import (
    BucketIndex,
    Tracer,
    attribute,
    doubt_about,
    existence_doubts,
    find_stand_ins,
    ignored_changes,
    read_files,
    read_tags,
    read_value,
    resources,
    traced,
    untrusted,
)
from iacplan.inputs.terragrunt.run import CONFIG_NAME, UnitRun, explain
from iacplan.model import Action, Environment, EnvironmentKind, Location, Planned, Value
from iacplan.runtime import limits, parallel

if TYPE_CHECKING:
    from iacplan.inputs.terraform.terragrunt import Sources
    from iacplan.inputs.untouched import Scope

RESOURCE_TYPE = "aws_mwaa_environment"
_ROOT_MARKERS = re.compile(r'^\s*(provider\s+"|backend\s+"|cloud\s*\{)', re.MULTILINE)
_MODULE_BLOCK = re.compile(r'^\s*module\s+"', re.MULTILINE)
_TFPARSE_POSITION = re.compile(
    r"(?P<file>[^\s:]+):(?P<line>\d+),\d+(?:-\d+(?:,\d+)?)?: (?P<msg>.*)", re.S
)


def load_tree(
    top: Path, inputs: TerraformInputs, units: Sequence[UnitRun] = (), scope: Scope | None = None
) -> list[Environment]:
    """Every MWAA environment the root modules under `top` (a directory) declare, and those
    of the Terragrunt units' modules, evaluated with the units' inputs. A module a unit runs
    is not also a root: on its own defaults it would say what no unit deploys. With a
    `scope`, only the roots it evaluates (the others are untouched by the change)."""
    if confine.current() is None:  # a caller that set no repository root: `top`'s
        with confine.within(confine.repository_root([top])):
            return load_tree(top, inputs, units, scope)
    clear_caches()
    _module_declarations.cache_clear()
    terragrunt_files: list[Path] = []
    # With a scope, only the directories the affected roots read: the rest is not looked at.
    module_dirs = scope.module_dirs(top) if scope else list(_module_dirs(top, terragrunt_files))
    if not module_dirs and not units:
        if scope is not None:
            return []  # the kind found Terraform files: each root is untouched
        raise NoDefinitions(f"{display_path(top)}: no Terraform files (.tf, .tf.json) found")
    run_by_units = {u.module.resolve() for u in units}
    module_dirs += sorted({u.module for u in units} - set(module_dirs))
    roots, holders, calls = _roots_that_may_hold(module_dirs)
    todo: list[Path | UnitRun] = [
        root
        for root in roots
        if holders & set(_reachable(root.resolve(), calls)) and root.resolve() not in run_by_units
    ]
    if scope is not None:
        todo = [r for r in todo if isinstance(r, UnitRun) or scope.evaluates(r)]
    plain = [root for root in todo if isinstance(root, Path)]
    sourced: Sources = {}
    if terragrunt_files:
        from iacplan.inputs.terraform import terragrunt

        sourced = terragrunt.sourced_modules(top, terragrunt_files, plain)
    todo += [u for u in units if holders & set(_reachable(u.module.resolve(), calls))]
    tree = _Tree(top, calls, inputs, sourced)
    found = parallel.run_all(_root_environments, tree, todo, _describe, isolate=True)
    return [env for environments in found for env in environments]


def _describe(item: Path | UnitRun) -> str:
    return display_path(item.file if isinstance(item, UnitRun) else item)


class _Tree(NamedTuple):
    """What evaluating any root of a tree needs besides the root."""

    top: Path
    calls: Calls
    inputs: TerraformInputs
    terragrunt: Sources  # the module directories a terragrunt.hcl sources


def _root_environments(tree: _Tree, item: Path | UnitRun) -> list[Environment]:
    top, calls, inputs, sourced = tree
    unit, root = (item, item.module) if isinstance(item, UnitRun) else (None, item)
    if unit is not None:
        prefix, alone = unit.prefix, False
        inputs = replace(inputs, unit_variables=unit.variables)
    else:
        prefix = "" if root == top else f"{root.relative_to(top).as_posix()}:"
        alone = root != top and not _looks_like_root(root)
    installed = installed_modules(root)
    modules = _reachable(root.resolve(), calls)
    modules += sorted({r.directory.resolve() for r in installed.values()} - set(modules))
    _refuse_many_instances(modules)
    _refuse_computed_sources(modules)
    from iacplan.inputs.terraform import overrides  # in the evaluating process, not at start

    try:
        with overrides.merged(root, modules) as merged:
            if merged is None:
                found = _read_root(root, modules, installed, prefix, inputs)
            else:  # override files merged into a copy: read it, and point back at the files
                found = _read_root(merged.root, merged.modules, installed, prefix, inputs)
                note = f"override files merged as Terraform merges them: {merged.files}"
                found = [
                    replace(overrides.relocated(e, merged.lines), notes=(*e.notes, note))
                    for e in found
                ]
    except overrides.NotStatic as exc:
        found = _with_overrides(_read_root(root, modules, installed, prefix, inputs), modules, exc)
    if unit is not None:
        return [explain(e, unit) for e in found]
    if sourced:
        from iacplan.inputs.terraform.terragrunt import distrust

        found = distrust(found, root, sourced)
    return [replace(e, evaluated_alone=alone) for e in found]


def _read_root(
    root: Path,
    modules: list[Path],
    installed: dict[str, Installed],
    prefix: str,
    inputs: TerraformInputs,
) -> list[Environment]:
    try:
        result = _evaluate(root, inputs, modules, installed)
        return _read_environments(result, root, prefix, installed, modules)
    finally:
        view.finish()


def _read_environments(
    result: dict[str, Any],
    root: Path,
    prefix: str,
    installed: dict[str, Installed],
    modules: list[Path],
) -> list[Environment]:
    buckets = _bucket_index(result, root, modules)
    found = [
        *_environments(result, root, prefix, buckets),
        *_uninstantiated(result, root, modules, prefix),
    ]
    read = {e.address for e in found}
    found += [
        *remote_environments(result, root, prefix, installed, buckets, read),
        *_unevaluated_remote_calls(result, root, modules, prefix),
        *_removals(root, prefix),
    ]
    unread = unread_airflow_modules(result, installed, read)
    if unread:
        note = unread_note(unread)
        found = [e if e.removes else replace(e, notes=(*e.notes, note)) for e in found]
    stale = stale_copies(result, installed)
    found = distrust_stale(found, stale)
    provider = provider_versions(result, root, stale)
    refused = view.refused_calls()
    notes = (_refused_note(refused),) if refused else ()
    return [replace(e, provider=provider, notes=(*e.notes, *notes)) for e in found]


def _refused_note(refused: list[str]) -> str:
    shown = "; ".join(refused[:3]) + (f"; and {len(refused) - 3} more" if len(refused) > 3 else "")
    return (
        f"{len(refused)} file-reading call(s) of this configuration were not evaluated "
        f"(iacplan reads only files inside the repository, named by a literal path): {shown}"
    )


def _roots_that_may_hold(module_dirs: list[Path]) -> tuple[list[Path], set[Path], Calls]:
    """The roots worth evaluating (uncalled module directories from which a module that may
    hold an environment is reached), those modules, and the calls from every directory that
    may reach one (cycles among them refused). Reading is cheap, parsing is not:
    calls are first guessed from every "./…" string (a superset of the local module sources),
    and parsed only in the directories that may reach such a module; the guess never drops a
    call, so an environment is never dropped (prefilter.py)."""
    tree = {d.resolve() for d in module_dirs}
    holders: set[Path] = set()
    guessed: dict[Path, set[Path]] = {}
    pending = sorted(tree)
    while pending:  # the tree, and directories outside it that its strings point to
        directory = pending.pop()
        if directory in guessed:
            continue
        texts = [read_text(p) for p in tf_files(directory)]
        if any(map(terraform_may_hold, texts)) or _installed_may_hold(directory):
            holders.add(directory)
        targets = {(directory / s).resolve() for t in texts for s in local_sources(t)}
        if not all(map(confine.inside, targets)):
            _refuse_calls_out(directory)  # a guess outside: is it a module call?
        guessed[directory] = {t for t in targets if confine.inside(t) and t.is_dir()}
        pending += sorted(guessed[directory] - guessed.keys())
    callers: dict[Path, set[Path]] = {}
    for caller, targets in guessed.items():
        for target in targets:
            callers.setdefault(target, set()).add(caller)
    may_reach, pending = set(holders), sorted(holders)
    while pending:
        for caller in sorted(callers.get(pending.pop(), set()) - may_reach):
            may_reach.add(caller)
            pending.append(caller)
    calls = _call_graph([d for d in module_dirs if d.resolve() in may_reach])
    called = {c.target for d in tree & may_reach for c in calls[d]}
    roots = [d for d in module_dirs if d.resolve() in may_reach - called]
    return roots, holders, calls


def _refuse_calls_out(directory: Path) -> None:
    """A local module call that leads outside the repository: what it holds cannot be read."""
    for call in _local_module_calls(directory):
        why = confine.reason(call.target)
        if why is not None:
            raise InputError(
                f"{display_path(call.file)}:{call.line}: module source "
                f"{display_path(call.target)} is not read: {why}; iacplan reads only files "
                "inside it"
            )


def _installed_may_hold(directory: Path) -> bool:
    """Whether a module `terraform init` downloaded into the directory may hold one."""
    downloaded = directory / MANIFEST.parent
    if not downloaded.is_dir():
        return False
    for path in sorted(downloaded.rglob("*")):
        if path.name.endswith(TF_SUFFIXES) and path.is_file() and confine.inside(path):
            refuse_big(path)
            if terraform_may_hold(path.read_bytes().decode("utf-8", errors="replace")):
                return True
    return False


class Call(NamedTuple):
    """A local module call: the directory called, and where the call is."""

    target: Path
    file: Path
    line: int


Calls = dict[Path, list[Call]]  # module directory -> the local module calls in it


def _call_graph(starts: list[Path]) -> Calls:
    """Local module calls reachable from `starts`, refusing cycles: the evaluator would
    recurse forever on a module that calls itself, directly or through others."""
    calls: Calls = {}
    pending = [d.resolve() for d in starts]
    while pending:
        directory = pending.pop()
        if directory not in calls:
            calls[directory] = sorted(_local_module_calls(directory))
            _refuse_calls_out(directory)
            for call in calls[directory]:
                if not call.target.is_dir():
                    where = f"{display_path(call.file)}:{call.line}"
                    raise InputError(
                        f"{where}: module source {display_path(call.target)} is not a directory"
                    )
                pending.append(call.target)
    _refuse_cycles_and_depth(calls)
    return calls


def _reachable(root: Path, calls: Calls) -> list[Path]:
    found, pending = [root], [root]
    while pending:
        for call in calls.get(pending.pop(), []):
            if call.target not in found:
                found.append(call.target)
                pending.append(call.target)
    return found


def _refuse_cycles_and_depth(calls: Calls) -> None:
    """Refuse a cycle of calls, and a chain of calls longer than the limit. Iterative: the
    chain may be longer than Python's recursion allows."""
    height: dict[Path, int] = {}  # the longest chain of calls below a module, once known
    for start in sorted(calls):
        path, todo = [start], [iter(calls[start])]
        while todo:
            call = next(todo[-1], None)
            if call is None:
                done = path.pop()
                todo.pop()
                height[done] = max((1 + height[c.target] for c in calls[done]), default=0)
            elif call.target in path:
                loop = [*path[path.index(call.target) :], call.target]
                cycle = " → ".join(display_path(d) for d in loop)
                raise InputError(
                    f"{display_path(call.file)}:{call.line}: module call cycle: {cycle}"
                )
            elif call.target not in height:
                path.append(call.target)
                todo.append(iter(calls[call.target]))
    limit = limits.current().max_module_depth
    for start in sorted(calls):
        if height[start] > limit:
            chain, directory = [], start
            while height[directory]:
                call = next(
                    c for c in calls[directory] if height[c.target] == height[directory] - 1
                )
                chain.append(call)
                directory = call.target
            too_far = chain[limit]
            raise InputError(
                f"{display_path(too_far.file)}:{too_far.line}: module calls nested more than "
                f"{limit} deep, from {display_path(start)} down to {display_path(directory)} "
                f"({limits.how_to_raise('max_module_depth')})"
            )


def _module_dirs(top: Path, terragrunt_files: list[Path]) -> Iterator[Path]:
    # Hidden folders (.terraform, .git) hold downloaded or foreign copies, not the user's code.
    # Directory links are followed (monorepos link shared roots), each real directory once,
    # so a link loop ends.
    # A link out of the repository is not followed: nothing there is read.
    seen: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(top, followlinks=True):
        real = Path(dirpath).resolve()
        if real in seen or not confine.inside(real):
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        terragrunt_files += [Path(dirpath, f) for f in filenames if f == CONFIG_NAME]
        if any(f.endswith(TF_SUFFIXES) for f in filenames):
            yield Path(dirpath)


class Declared(NamedTuple):
    """A module call as written: its name, raw arguments, and the line of its source."""

    name: str
    body: dict[str, Any]
    file: Path
    line: int


@cache
def _module_declarations(directory: Path) -> tuple[Declared, ...]:
    found = []
    for path in tf_files(directory):
        text = read_text(path)
        if path.name.endswith(".tf.json"):
            doc = parse_json(display_path(path), text)
            blocks = [doc.get("module", {})] if isinstance(doc, dict) else []
        elif _MODULE_BLOCK.search(text):
            blocks = _parse_module_blocks(text, path).get("module", [])
        else:
            continue
        for block in blocks:
            for name, body in block.items() if isinstance(block, dict) else ():
                if isinstance(body, dict):
                    offset = text.find(f'"{body.get("source")}"')
                    line = text.count("\n", 0, offset) + 1 if offset >= 0 else 1
                    found.append(Declared(name, body, path, line))
    return tuple(found)


def _refuse_computed_sources(module_dirs: list[Path]) -> None:
    """Terraform takes a module source only as a literal string; the evaluator also follows
    one it computes (`source = var.dir`), wherever it leads: refused before it runs."""
    for directory in module_dirs:
        for declared in _module_declarations(directory):
            source = declared.body.get("source")
            if not isinstance(source, str) or "${" in source:
                raise InputError(
                    f"{display_path(declared.file)}:{declared.line}: module {declared.name}: "
                    "the source is not a literal string (Terraform requires one)"
                )


def _local_module_calls(directory: Path) -> Iterator[Call]:
    """Each local module call (``source = "./..."`` or ``"../..."``) in the directory."""
    for declared in _module_declarations(directory):
        source = declared.body.get("source")
        if isinstance(source, str) and source.startswith(("./", "../")):
            yield Call((directory / source).resolve(), declared.file, declared.line)


_NO_MODULE_INSTANCE = (
    "no instance of this module call was evaluated: its count or for_each, or its caller's, "
    "is zero, empty, or cannot be resolved statically"
)


def _unevaluated_remote_calls(
    result: dict[str, Any], root: Path, module_dirs: list[Path], prefix: str
) -> Iterator[Environment]:
    """MWAA-like remote module calls with no evaluated instance, as unknown environments."""
    evaluated = {  # labels of count and for_each instances carry their key: `mwaa["a"]`
        (
            (root / b["__tfmeta"]["filename"]).resolve(),
            str(b["__tfmeta"].get("label")).split("[")[0],
        )
        for b in result.get("module", [])
    }
    for directory in module_dirs:
        for call in _module_declarations(directory):
            source = call.body.get("source")
            if not isinstance(source, str) or source.startswith(("./", "../")):
                continue
            if (call.file.resolve(), call.name) in evaluated or call.body.get("count") == 0:
                continue
            if (
                known_module(source) is None
                and not looks_like_mwaa(call.body)
                and not version_arguments(call.body)
            ):
                continue
            location = Location(display_path(call.file), call.line)
            module = Path(os.path.relpath(directory, root.resolve())).as_posix()
            where = "" if module == "." else f"{module}//"
            yield Environment(
                id=f"{prefix}{where}module.{call.name}",
                kind=EnvironmentKind.TERRAFORM,
                address=f"module.{call.name}",
                name=Value.unknown(_NO_MODULE_INSTANCE, location),
                version=Value.unknown(_NO_MODULE_INSTANCE, location),
                location=location,
                bucket=None,
            )


def _parse_module_blocks(text: str, path: Path) -> dict[str, Any]:
    """The file's module blocks, parsed on their own where they can be cut out (parsing is
    slow); the whole file otherwise, and always when a cut-out part does not parse (so that
    an error names the right line)."""
    cut = module_blocks(text)
    if cut is not None:
        try:
            return _parse_hcl(cut, path)
        except InputError:
            pass
    return _parse_hcl(text, path)


def _parse_hcl(text: str, path: Path) -> dict[str, Any]:
    import hcl2  # about 0.1 s: only for files with module calls

    options = hcl2.SerializationOptions(strip_string_quotes=True, with_comments=False)
    try:
        doc: dict[str, Any] = hcl2.loads(text, serialization_options=options)
    except Exception as exc:  # lark raises many types; every one means "not valid HCL"
        line = getattr(exc, "line", None)
        where = f"{display_path(path)}:{line}" if isinstance(line, int) else display_path(path)
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{where}: invalid HCL: {first}") from exc
    return doc


def _looks_like_root(directory: Path) -> bool:
    if (directory / "terraform.tfvars").is_file() or (directory / ".terraform.lock.hcl").is_file():
        return True
    return any(_ROOT_MARKERS.search(read_text(p)) for p in tf_files(directory))


def _var_files(root: Path, inputs: TerraformInputs) -> list[Path]:
    # Terraform's order: terraform.tfvars(.json), *.auto.tfvars(.json) in lexical order, then
    # the command line. tfparse loads none of them by itself.
    names = [n for n in ("terraform.tfvars", "terraform.tfvars.json") if (root / n).is_file()]
    names += sorted(
        p.name for p in root.iterdir() if p.name.endswith((".auto.tfvars", ".auto.tfvars.json"))
    )
    found = [root / name for name in names]
    for var_file in inputs.var_files:
        if not var_file.is_file():
            raise InputError(f"{display_path(var_file)}: var file not found")
        found.append(var_file)
    return found


def _evaluate(
    root: Path, inputs: TerraformInputs, modules: list[Path], installed: dict[str, Installed]
) -> dict[str, Any]:
    """The evaluator's result for `root`, evaluated in a confined copy (view.py)."""
    import tfparse  # loads the Go runtime: only when a root is evaluated

    with (
        tempfile.TemporaryDirectory(prefix="iacplan-") as scratch,
        confine.made_by_iacplan(Path(scratch)),
    ):
        var_files = _var_files(root, inputs)
        if inputs.unit_variables is not None:  # TF_VAR_* precedence: before every file
            unit_vars = Path(scratch).resolve() / "terragrunt-inputs.tfvars.json"
            unit_vars.write_text(inputs.unit_variables, encoding="utf-8")
            var_files = [unit_vars, *var_files]
        copy = view.build(
            Path(scratch).resolve(),
            root,
            modules,
            {key: record.directory for key, record in installed.items()},
            var_files,
            dict(inputs.variables),
        )
        try:
            with evaluator_logs_filtered():
                result: dict[str, Any] = tfparse.load_from_path(
                    str(copy.root), stop_on_hcl_error=True, vars_paths=copy.vars_paths
                )
        except tfparse.ParseError as exc:
            if not copy.copied:
                raise InputError(_tfparse_message(str(exc), root, copy.root)) from exc
            # The copy's files are shown as the tree's (as the tree itself is shown).
            top = confine.current() or root
            for actual, shown in shown_paths():
                if top.is_relative_to(actual):
                    top = shown / top.relative_to(actual)
            with shown_as(copy.top, top):
                raise InputError(_tfparse_message(str(exc), root, copy.root)) from exc
        except RecursionError as exc:  # decoding the evaluator's JSON answer
            raise InputError(
                f"{display_path(root)}: the configuration is nested too deeply for Python's "
                "parser (about 1,000 levels)"
            ) from exc
        view.check_result(result, copy)
    return result


# A literal count in a resource or module block (`count = 1e9`); a map key named count is
# refused too, which is harmless: nobody writes one that large.
_LITERAL_COUNT = re.compile(
    r'(?<![\w."-])"?count"?\s*[=:]\s*(?P<count>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)(?![\w.])'
)


def _refuse_many_instances(module_dirs: list[Path]) -> None:
    """Refuse a literal count above the limit before the evaluator expands it: its time grows
    with the square of the instances. (A count from a variable is not seen here.)"""
    limit = limits.current().max_instances
    for directory in module_dirs:
        for path in tf_files(directory):
            text = read_text(path)
            for match in _LITERAL_COUNT.finditer(text):
                if float(match["count"]) > limit:
                    line = text.count("\n", 0, match.start()) + 1
                    raise InputError(
                        f"{display_path(path)}:{line}: count = {match['count']} is more than "
                        f"the {limit} instances iacplan evaluates "
                        f"({limits.how_to_raise('max_instances')})"
                    )


def _tfparse_message(message: str, root: Path, evaluated: Path) -> str:
    message = message.removeprefix("unable to create TerraformConverter: ")
    message = message.replace(str(evaluated), display_path(evaluated))
    match = _TFPARSE_POSITION.search(message)
    if match is None:
        return f"{display_path(root)}: {message}"
    file = Path(match["file"])
    path = Path(display_path(file)) if file.is_absolute() else root / file
    detail = match["msg"].strip().replace("\n", " ")
    return f"{display_path(path)}:{match['line']}: {detail}"


def _bucket_index(result: dict[str, Any], root: Path, module_dirs: list[Path]) -> BucketIndex:
    dropped = [
        f"{display_path(d.file)}:{d.line}"
        for d in _unevaluated(result, root, module_dirs, "aws_s3_bucket_versioning")
    ]
    return BucketIndex(result, root, existence_doubts(result), dropped)


def _environments(
    result: dict[str, Any], root: Path, prefix: str, buckets: BucketIndex
) -> Iterator[Environment]:
    stand_ins = find_stand_ins(result)
    doubts = existence_doubts(result, root)
    tracer = Tracer(result, root)
    moves = _moves(result, root)
    for block in resources(result, RESOURCE_TYPE):
        # (a data source of the same type reads an environment, it defines none)
        meta = block["__tfmeta"]
        file = normpath(root / meta["filename"])

        def value(name: str, block: dict[str, Any] = block, file: Path = file) -> Value:
            return read_value(block, name, file, stand_ins, tracer)

        moved_from = _moved_from(meta["path"], moves)
        yield Environment(
            id=prefix + meta["path"],
            kind=EnvironmentKind.TERRAFORM,
            address=meta["path"],
            name=traced(value("name"), tracer, meta["path"]),
            version=value("airflow_version"),
            location=Location(display_path(file), meta["line_start"]),
            bucket=buckets.link(
                block.get("source_bucket_arn"), value("source_bucket_arn"), meta["path"]
            ),
            moved_from=prefix + moved_from if moved_from else None,
            files=read_files(value, ignored_changes(file, meta)),
            tags=read_tags(block, stand_ins),
            existence=doubt_about(meta["path"], doubts),
        )


def _with_overrides(
    environments: list[Environment], module_dirs: list[Path], why: Exception
) -> list[Environment]:
    """Override files iacplan cannot merge from the text (overrides.py): where a module has
    one, no value of the configuration can be trusted, so every version and file is
    unknown."""
    from iacplan.inputs.terraform.overrides import is_override

    found = [display_path(p) for d in module_dirs for p in tf_files(d) if is_override(p)]
    reason = f"override files are not merged by iacplan ({', '.join(found)}): {why}"
    unique = {env.id: env for env in reversed(environments)}  # an override repeats a block
    return [untrusted(env, reason) for env in sorted(unique.values(), key=lambda e: e.id)]


_REMOVED_BLOCK = re.compile(r'^\s*removed\s*\{|"removed"\s*:', re.MULTILINE)
_REMOVED_FROM = re.compile(
    r"(?:\$\{)?(?P<address>(?:aws_mwaa_environment|module)\.[\w.\[\]\"-]+?)\}?"
)


def _removals(root: Path, prefix: str) -> Iterator[Environment]:
    """The root module's `removed` blocks (Terraform 1.7) that may take out an environment,
    as markers the comparison applies to the base: `lifecycle { destroy = false }` only
    forgets it (it keeps running), anything else destroys it. The evaluator skips these
    blocks, so they are read from the source."""
    for path in tf_files(root):
        text = read_text(path)
        if not _REMOVED_BLOCK.search(text):
            continue
        if path.name.endswith(".tf.json"):
            doc = parse_json(display_path(path), text)
            blocks = doc.get("removed", []) if isinstance(doc, dict) else []
        else:
            cut = top_level_blocks(text, "removed")
            try:
                blocks = _parse_hcl(cut if cut is not None else text, path).get("removed", [])
            except InputError:
                blocks = _parse_hcl(text, path).get("removed", [])
        for block in blocks if isinstance(blocks, list) else [blocks]:
            marker = _removal(block, path, text, prefix)
            if marker is not None:
                yield marker


def _removal(block: object, path: Path, text: str, prefix: str) -> Environment | None:
    if not isinstance(block, dict):
        return None
    match = _REMOVED_FROM.fullmatch(str(block.get("from", "")))
    if match is None:
        return None
    address = match["address"]
    offset = re.search(rf"\bfrom\W+{re.escape(address)}", text)
    location = Location(
        display_path(path), text.count("\n", 0, offset.start()) + 1 if offset else 1
    )
    lifecycle = block.get("lifecycle")
    lifecycle = lifecycle[0] if isinstance(lifecycle, list) and lifecycle else lifecycle
    destroy = lifecycle.get("destroy", True) if isinstance(lifecycle, dict) else True
    if destroy is False:
        planned = Planned(
            Action.FORGET,
            f"the removed block at {location} has destroy = false: Terraform removes it from "
            "state only; the environment keeps running",
        )
    else:
        how = "destroy = true" if destroy is True else f"destroy = {destroy!r}, not false"
        planned = Planned(Action.DELETE, f"the removed block at {location} has {how}")
    unknown = Value.unknown(f"a removed block at {location}", location)
    return Environment(
        id=prefix + address,
        kind=EnvironmentKind.TERRAFORM,
        address=address,
        name=unknown,
        version=unknown,
        location=location,
        bucket=None,
        planned=planned,
        removes=address,
    )


def _moves(result: dict[str, Any], root: Path) -> list[tuple[str, str]]:
    """(from, to) address pairs of the root module's `moved` blocks, read from the source
    text: tfparse evaluates `to` into the resource itself."""
    moves = []
    for block in result.get("moved", []):
        meta = block["__tfmeta"]
        if meta["path"] != "moved":
            continue  # inside a module: its addresses are relative to each module instance
        attributes = {}
        for name in ("from", "to"):
            found = attribute(normpath(root / meta["filename"]), meta, name)
            if found:
                attributes[name] = found[1]
        if "from" in attributes and "to" in attributes:
            moves.append((attributes["from"], attributes["to"]))
    return moves


def _moved_from(address: str, moves: list[tuple[str, str]]) -> str | None:
    for old, new in moves:
        if address == new or address.startswith((new + "[", new + ".")):
            return old + address[len(new) :]
    return None


class Declaration(NamedTuple):
    directory: Path
    file: Path
    name: str
    line: int


def _unevaluated(
    result: dict[str, Any], root: Path, module_dirs: list[Path], resource_type: str
) -> Iterator[Declaration]:
    """Declarations of `resource_type` of which tfparse evaluated no instance. It drops a
    resource whose for_each cannot be resolved, so no instance is no proof of count = 0."""
    evaluated = {
        ((root / b["__tfmeta"]["filename"]).resolve(), b["__tfmeta"]["line_start"])
        for b in resources(result, resource_type)
    }
    for directory in module_dirs:
        for path in tf_files(directory):
            for name, line, certainly_none in _declarations(path, resource_type):
                if not certainly_none and (path.resolve(), line) not in evaluated:
                    yield Declaration(directory, path, name, line)


_NO_INSTANCE = (
    "no instance of it was evaluated: its count or for_each, or its module's, is zero, "
    "empty, or cannot be resolved statically"
)


def _uninstantiated(
    result: dict[str, Any], root: Path, module_dirs: list[Path], prefix: str
) -> Iterator[Environment]:
    """Each declared environment with no evaluated instance, as one whose version is unknown."""
    for declaration in _unevaluated(result, root, module_dirs, RESOURCE_TYPE):
        location = Location(display_path(declaration.file), declaration.line)
        # Relative to the root, so the same declaration pairs across base and head.
        module = Path(os.path.relpath(declaration.directory, root.resolve())).as_posix()
        where = "" if module == "." else f"{module}//"
        yield Environment(
            id=f"{prefix}{where}{RESOURCE_TYPE}.{declaration.name}",
            kind=EnvironmentKind.TERRAFORM,
            address=f"{RESOURCE_TYPE}.{declaration.name}",
            name=Value.unknown(_NO_INSTANCE, location),
            version=Value.unknown(_NO_INSTANCE, location),
            location=location,
            bucket=None,
        )


@cache
def _declaration_pattern(resource_type: str) -> re.Pattern[str]:
    # A resource header, and a literal `count = 0` on the next line (the one case that is
    # certainly no instance; anything else that yields none is reported as unknown).
    return re.compile(
        rf'^[ \t]*resource\s+"?{resource_type}"?\s+(?:/\*.*?\*/\s*)?"?(?P<name>[\w-]+)"?\s*\{{'
        r"(?:[ \t]*\r?\n[ \t]*count\s*=\s*(?P<count>\d+)[ \t]*\r?$)?",
        re.MULTILINE,
    )


def _declarations(path: Path, resource_type: str) -> Iterator[tuple[str, int, bool]]:
    """(name, line, certainly no instance) of each `resource_type` declared in a file."""
    text = read_text(path)
    if path.name.endswith(".tf.json"):
        doc = parse_json(display_path(path), text)
        declared = doc.get("resource", {}) if isinstance(doc, dict) else {}
        blocks = declared.get(resource_type, {}) if isinstance(declared, dict) else {}
        for name, body in blocks.items() if isinstance(blocks, dict) else ():
            offset = text.find(f'"{name}"', text.find(f'"{resource_type}"'))
            line = text.count("\n", 0, offset) + 1
            yield name, line, isinstance(body, dict) and body.get("count") == 0
        return
    for match in _declaration_pattern(resource_type).finditer(text):
        yield match["name"], text.count("\n", 0, match.start("name")) + 1, match["count"] == "0"
