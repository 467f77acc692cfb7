"""Which definitions a change can affect. The others are *untouched*: no file they can read
differs between the sides, so their environments are the same on both, and they are evaluated
on neither (`--all` evaluates them).

What a root module can read is found from the text alone, as a superset (like prefilter.py):
- every file directly in its directory, and in each directory that a `"./…"` or `"../…"`
  string of its Terraform files names (a local module source is a literal string of that
  form), and so on down; the module copies `terraform init` left below them
  (`.terraform/modules`): a change below a hidden directory counts for the one holding it;
- the files its file-reading calls name by a literal path (view.py lets no other path through);
- through a link to a file, the file it leads to.
A directory is *affected* when a changed file is in it, or it reads one, or it names an
affected directory. A directory that a changed Terraform file names, on either side, is
affected too: its caller changed, so it may have stopped or started being a root.
A template is untouched when its file is the same on both sides.

Everything is evaluated (`scope` gives None, and says why) where a change could reach a
definition some other way:
- a changed file below a HEAD_PATH that could be a requirements file (requirements.find takes
  the one with the name of the environment's S3 key, from the module's directory up): any name
  but those that cannot be one (Terraform, Python, Markdown, YAML, JSON…);
- a Terragrunt file (its functions read files anywhere), a link to a directory, or an escape
  sequence in a Terraform file (`"\\u002e/mod"` is a source the text test does not see).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from iacplan.inputs import confine
from iacplan.inputs.files import TERRAGRUNT_FILES, TF_SUFFIXES, display_path
from iacplan.inputs.prefilter import literal_reads, local_sources, terraform_may_hold

# Names a requirements file cannot have: what pip reads is plain lines, and a repository's
# other files are code, documents, configuration and archives (plugins.zip).
_NOT_REQUIREMENTS = (
    *TF_SUFFIXES,
    *(".tfvars", ".tfvars.json", ".hcl", ".tftpl", ".tpl"),
    *(".py", ".pyc", ".ipynb", ".sql", ".sh", ".md", ".rst", ".html", ".css", ".js", ".ts"),
    *(".yaml", ".yml", ".json", ".template", ".toml", ".cfg", ".ini", ".xml", ".csv"),
    *(".zip", ".gz", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".pdf", ".lock"),
)
# Directories git ignores that never hold what iacplan reads (byte code, JavaScript packages).
_IGNORED_HARMLESS = ("__pycache__", "node_modules")
_ESCAPE = re.compile(r"\\[uU/]")  # what could spell a module source the text test misses


@dataclass(frozen=True)
class Changed:
    """What differs between the sides, as real paths on the head's side."""

    files: frozenset[Path]  # added, removed or modified
    # Whole directories that may differ (a submodule, a directory git ignores).
    trees: frozenset[Path] = frozenset()
    # A difference this module does not follow: everything is evaluated.
    why_all: str | None = None

    def touches(self, path: Path) -> bool:
        return path in self.files or any(path.is_relative_to(t) for t in self.trees)


@dataclass(frozen=True)
class Scope:
    """What a run evaluates: root modules in `affected` and templates that changed. `here` is
    the head side's top and `there` the base side's: a base path is mapped to the head's.
    `dirs` and `files` are what evaluating the affected roots reads, on either side (as
    head-side paths): the loaders look at nothing else, and --base-ref writes out only them.
    `roots` are the untouched roots that may hold an environment; the loaders record what else
    they leave out (templates) in `left_out`, where both sides count once."""

    here: Path
    there: Path
    affected: frozenset[Path]  # directories, head side
    changed: Changed
    dirs: frozenset[Path] = frozenset()
    files: frozenset[Path] = frozenset()
    roots: frozenset[Path] = frozenset()
    left_out: set[Path] = field(default_factory=set, compare=False, hash=False)

    def evaluates(self, root: Path) -> bool:
        """Whether the root module in `root` (either side) is evaluated."""
        mapped = self._on_head_side(root)
        if mapped is None or mapped in self.affected:
            return True
        self.left_out.add(mapped)
        return False

    def evaluates_template(self, path: Path) -> bool:
        mapped = self._on_head_side(path)
        if mapped is None or self.changed.touches(mapped):
            return True
        self.left_out.add(mapped)
        return False

    @property
    def untouched(self) -> int:
        return len(self.roots | self.left_out)

    def module_dirs(self, top: Path) -> list[Path]:
        """The directories below `top` (on either side, as below it) with Terraform files
        that evaluating the affected roots reads."""
        real_top = Path(os.path.realpath(top))
        side = self.there if real_top.is_relative_to(self.there) else self.here
        found = []
        for directory in sorted(self.dirs):
            if not directory.is_relative_to(self.here):
                continue
            real = side / directory.relative_to(self.here)
            if real.is_relative_to(real_top) and _has_terraform(real):
                found.append(top / real.relative_to(real_top))
        return found

    def _on_head_side(self, path: Path) -> Path | None:
        real = Path(os.path.realpath(path))
        for top in sorted({self.there, self.here}, key=lambda t: -len(t.parts)):
            if real.is_relative_to(top):
                return self.here / real.relative_to(top)
        return None  # neither side's: never left out


class ScopeRefused(Exception):
    """Everything is evaluated: why, for the reader."""


@dataclass
class _Node:
    """A directory with Terraform files: what its text names."""

    targets: set[Path] = field(default_factory=set)  # directories (a superset of its calls)
    reads: set[Path] = field(default_factory=set)  # files, relative to path.module
    root_reads: set[str] = field(default_factory=set)  # paths relative to whichever root
    opaque: bool = False  # an escape sequence: what it names cannot be told from the text
    holds: bool = False  # it may hold an environment (prefilter.py)

    def add(self, directory: Path, text: str, path: Path) -> None:
        self.opaque = self.opaque or _ESCAPE.search(text) is not None
        self.holds = self.holds or terraform_may_hold(text)
        self.targets |= _targets(directory, text) - {directory}
        for base, literal in literal_reads(text, path):
            if base == "module":
                self.reads.add(Path(os.path.normpath(directory / literal)))
            else:
                self.root_reads.add(literal)


class _All(Exception):
    """A reason to evaluate everything."""


def scope(
    heads: Sequence[Path],
    here: Path,
    there: Path,
    changed: Changed,
    base_text: Callable[[Path], str | None],
    within: Path | None = None,
) -> Scope:
    """The scope of a change, from the head's tree below `heads` and `changed`; `base_text`
    gives a changed file's text on the base side (None: not there). `within`: the only
    directory `changed` compares (--base DIR). ScopeRefused when everything must be
    evaluated."""
    if changed.why_all is not None:
        raise ScopeRefused(changed.why_all)
    try:
        nodes = _graph(heads)
        changed = _with_links(changed, nodes)
        _refuse_requirements(heads, changed)
    except _All as exc:
        raise ScopeRefused(str(exc)) from None
    if within is not None:
        _refuse_outside(within, nodes)
    if any(node.opaque for node in nodes.values()):
        opaque = next(d for d, node in nodes.items() if node.opaque)
        raise ScopeRefused(f"a Terraform file in {display_path(opaque)} has an escape sequence")

    def owner(path: Path) -> Path:
        return _owner(path, confine.current())

    # What the changed Terraform files are on the base side: their calls then.
    then: dict[Path, _Node] = {}
    for file in sorted(f for f in changed.files if f.name.endswith(TF_SUFFIXES)):
        text = base_text(file)
        if text is not None:
            then.setdefault(_owner(file.parent, confine.current()), _Node()).add(
                file.parent, text, file
            )
    if any(node.opaque for node in then.values()):
        raise ScopeRefused("a Terraform file on the base side has an escape sequence")
    touched = {_owner(f.parent, confine.current()) for f in changed.files} | {
        _owner(t, confine.current()) for t in changed.trees
    }
    touched |= {d for d, node in nodes.items() if _reads_changed(node, changed)}
    touched |= {d for d, node in then.items() if _reads_changed(node, changed)}
    callers: dict[Path, set[Path]] = {}
    for directory, node in [*nodes.items(), *then.items()]:
        for target in node.targets:
            callers.setdefault(target, set()).add(directory)
    affected, pending = set(touched), sorted(touched)
    while pending:
        for caller in sorted(callers.get(pending.pop(), set()) - affected):
            affected.add(caller)
            pending.append(caller)
    # A directory a changed file calls, on either side: it may start or stop being a root.
    # Whether it is one on the base side is told by its callers there: they are written out
    # too (with what they call), and left out as untouched.
    called: set[Path] = set()
    for file in (f for f in changed.files if f.name.endswith(TF_SUFFIXES)):
        for side in (nodes, then):
            called |= (
                side[_owner(file.parent, confine.current())].targets
                if _owner(file.parent, confine.current()) in side
                else set()
            )
    affected |= called
    also = {caller for target in called for caller in callers.get(target, ())}
    dirs, files = _base_reads(affected | also, affected, nodes, then)
    untouched = _roots(heads, nodes, callers) - affected
    return Scope(
        here, there, frozenset(affected), changed, frozenset(dirs), frozenset(files), untouched
    )


def _roots(
    heads: Sequence[Path], nodes: dict[Path, _Node], callers: dict[Path, set[Path]]
) -> frozenset[Path]:
    """The directories below `heads` that no text names and that reach one that may hold an
    environment: the roots load_tree would evaluate (a count: a string naming a directory it
    does not call leaves that root out)."""
    tops = [Path(os.path.realpath(h if h.is_dir() else h.parent)) for h in heads]
    reach = {d for d, node in nodes.items() if node.holds}
    pending = sorted(reach)
    while pending:
        for caller in callers.get(pending.pop(), ()):
            if caller not in reach:
                reach.add(caller)
                pending.append(caller)
    return frozenset(
        d for d in reach if d not in callers and any(d.is_relative_to(t) for t in tops)
    )


def _has_terraform(directory: Path) -> bool:
    try:
        with os.scandir(directory) as listing:
            return any(entry.name.endswith(TF_SUFFIXES) for entry in listing)
    except OSError:
        return False


def _refuse_outside(within: Path, nodes: dict[Path, _Node]) -> None:
    """A module or file outside the tree compared: what changed there is not known."""
    for directory, node in sorted(nodes.items()):
        paths = [directory, *node.reads]
        outside = [p for p in paths if not Path(os.path.realpath(p)).is_relative_to(within)]
        ups = [r for r in node.root_reads if ".." in Path(r).parts]
        if outside or ups:
            shown = display_path(outside[0] if outside else directory / ups[0])
            raise ScopeRefused(f"{shown} is outside {display_path(within)}, which --base compares")


def _graph(heads: Sequence[Path]) -> dict[Path, _Node]:
    """Every directory with Terraform files below `heads`, and every directory their text
    names, with what each names."""
    nodes: dict[Path, _Node] = {}
    pending: list[tuple[Path, list[Path] | None]] = [
        listed for head in heads for listed in _module_dirs(head)
    ]
    while pending:
        directory, files = pending.pop()
        if directory not in nodes:
            nodes[directory] = node = _node(directory, files)
            new = {t for t in node.targets if t not in nodes}
            pending += [(d, None) for d in sorted(new) if confine.inside(d) and d.is_dir()]
    return nodes


def _node(directory: Path, files: list[Path] | None = None) -> _Node:
    """What the directory's Terraform files name (`files`, when already listed)."""
    node = _Node()
    for path in _terraform_files(directory) if files is None else files:
        node.add(path.parent, _text(path), path)
    node.targets.discard(directory)
    return node


def _text(path: Path) -> str:
    """A file's text, to be looked at (never shown): what cannot be decoded is replaced."""
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", errors="replace")


def _base_reads(
    starts: set[Path], roots: set[Path], nodes: dict[Path, _Node], then: dict[Path, _Node]
) -> tuple[set[Path], set[Path]]:
    """The directories `starts` name on the base side, down (a changed file by its base
    text, the others as on the head's), and the files their file functions read: those
    relative to the root, from each of `roots`."""
    dirs: set[Path] = set()
    files: set[Path] = set()
    for start in sorted(starts):
        closure: set[Path] = set()
        pending = [start]
        while pending:
            directory = pending.pop()
            if directory in closure:
                continue
            closure.add(directory)
            if directory not in nodes and directory.is_dir() and confine.inside(directory):
                nodes[directory] = _node(directory)
            for node in (nodes.get(directory), then.get(directory)):
                if node is not None:
                    pending += sorted(node.targets - closure)
                    files |= node.reads
                    if start in roots:
                        files |= {Path(os.path.normpath(start / r)) for r in node.root_reads}
        dirs |= closure
    return dirs, files


def _module_dirs(head: Path) -> Iterator[tuple[Path, list[Path]]]:
    """The directories with Terraform files below `head` (hidden ones left out, as hcl.py
    does), real paths, with their Terraform files; a Terragrunt file or a link to a directory
    makes everything evaluated."""
    pending = [Path(os.path.realpath(head if head.is_dir() else head.parent))]
    while pending:
        directory = pending.pop()
        with os.scandir(directory) as listing:
            entries = sorted(listing, key=lambda e: e.name)
        files: list[Path] = []
        for entry in entries:
            if entry.name in TERRAGRUNT_FILES:
                raise _All(f"{display_path(Path(entry.path))}: a Terragrunt tree")
            if entry.is_dir():
                if entry.is_symlink():
                    raise _All(f"{display_path(Path(entry.path))} is a link to a directory")
                if not entry.name.startswith("."):
                    pending.append(directory / entry.name)
                elif entry.name == ".terraform":
                    files += _copies(directory)
            elif entry.name.endswith(TF_SUFFIXES) and _readable(entry):
                files.append(directory / entry.name)
        if files:
            yield directory, files


def _terraform_files(directory: Path) -> list[Path]:
    """The directory's Terraform files, and those of the module copies below it."""
    with os.scandir(directory) as listing:
        entries = sorted(listing, key=lambda e: e.name)
    found = [directory / e.name for e in entries if e.name.endswith(TF_SUFFIXES) and _readable(e)]
    return found + _copies(directory)


def _readable(entry: os.DirEntry[str]) -> bool:
    """A regular file, and a link only into the repository."""
    return entry.is_file() and (not entry.is_symlink() or confine.inside(Path(entry.path)))


def _copies(directory: Path) -> list[Path]:
    """The Terraform files of the module copies `terraform init` left in the directory."""
    copies = directory / ".terraform" / "modules"
    if not copies.is_dir():
        return []
    return [
        path
        for path in sorted(copies.rglob("*"))
        if path.name.endswith(TF_SUFFIXES) and path.is_file() and confine.inside(path)
    ]


def _targets(directory: Path, text: str) -> set[Path]:
    """The directories a text's "./…" strings name, each counted for the directory holding
    it when it is below a hidden one; kept whether or not they exist (a call to a directory
    the change deleted)."""
    here = str(directory)
    top = confine.current()
    return {_owner(os.path.normpath(os.path.join(here, s)), top) for s in local_sources(text)}


@cache
def _owner(path: Path | str, top: Path | None) -> Path:
    """The nearest directory at or above `path` that is not hidden below `top` (the
    repository), links resolved. Cached: a shared module is named by hundreds of roots."""
    real = Path(os.path.realpath(path))
    rel = real.relative_to(top).parts if top is not None and real.is_relative_to(top) else ()
    hidden = next((i for i, part in enumerate(rel) if part.startswith(".")), None)
    if hidden is None or top is None:
        return real
    return top.joinpath(*rel[:hidden])


def _without_ups(literal: str) -> str:
    parts = [p for p in Path(os.path.normpath(literal)).parts if p not in ("..", ".")]
    return "/".join(parts)


def _with_links(changed: Changed, nodes: dict[Path, _Node]) -> Changed:
    """A link to a changed file changes too (where it is, what reads it sees the change)."""
    links = set()
    for directory in nodes:
        for entry in os.scandir(directory):
            if entry.is_symlink() and not entry.is_dir():
                target = Path(os.path.realpath(entry.path))
                if changed.touches(target):
                    links.add(Path(entry.path))
    if not links:
        return changed
    return Changed(changed.files | links, changed.trees, changed.why_all)


def _reads_changed(node: _Node, changed: Changed) -> bool:
    """Whether a file the node's file functions read changed; one relative to the root, by
    its end (which root reads it is not known here)."""
    if any(changed.touches(Path(os.path.realpath(f))) for f in node.reads):
        return True
    ends = {_without_ups(literal) for literal in node.root_reads}
    paths = [f.as_posix() for f in changed.files]
    return any(p.endswith("/" + end) for end in ends for p in paths)


def _refuse_requirements(heads: Sequence[Path], changed: Changed) -> None:
    tops = [Path(os.path.realpath(h if h.is_dir() else h.parent)) for h in heads]
    for path in sorted(changed.files | changed.trees):
        top = next((t for t in tops if path.is_relative_to(t)), None)
        if top is None or any(p.startswith(".") for p in path.relative_to(top).parts):
            continue
        if path in changed.trees:
            if path.name not in _IGNORED_HARMLESS:
                raise _All(f"{display_path(path)} may hold a requirements file")
        elif not path.name.lower().endswith(_NOT_REQUIREMENTS):
            raise _All(f"{display_path(path)} may be a requirements file")


def compare(head: Path, base: Path) -> Changed:
    """--base DIR: the files that differ between the two trees, by content."""
    here, there = _files(head), _files(base)
    root = Path(os.path.realpath(head))
    files = {rel for rel in here.keys() ^ there.keys()}
    for rel in here.keys() & there.keys():
        if here[rel] != there[rel] or _content(head / rel) != _content(base / rel):
            files.add(rel)
    return Changed(frozenset(root / rel for rel in files))


def _files(top: Path) -> dict[str, int]:
    """Every file below `top` (hidden directories left out, but for the module copies of
    `.terraform/modules`), by relative path, with its size; a link makes everything
    evaluated."""
    found: dict[str, int] = {}
    pending = [top]
    while pending:
        directory = pending.pop()
        with os.scandir(directory) as listing:
            for entry in listing:
                if entry.is_symlink():
                    raise ScopeRefused(f"{display_path(Path(entry.path))} is a link")
                if entry.is_dir():
                    copies = entry.name == ".terraform"
                    if copies and os.path.isdir(os.path.join(entry.path, "modules")):
                        pending.append(Path(entry.path, "modules"))
                    elif not entry.name.startswith("."):
                        pending.append(Path(entry.path))
                elif entry.is_file():
                    rel = os.path.relpath(entry.path, top)
                    found[Path(rel).as_posix()] = entry.stat().st_size
    return found


def _content(path: Path) -> bytes:
    return path.read_bytes()
