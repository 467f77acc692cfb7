"""Which definitions a change can affect. The others are *untouched*: no file they can read
differs between the sides, so their environments are the same on both, and they are evaluated
on neither (`--all` evaluates them).

What a root module can read is found from the text alone, as a superset (like prefilter.py):
- every file directly in its directory, and in each directory that a `"./…"` or `"../…"`
  string of its Terraform files names (a local module source is a literal string of that
  form) or its module manifest records, and so on down; the module copies `terraform init`
  left below them: a change below `.terraform` counts for the directory holding it;
- the files its file-reading calls name by a literal path (view.py lets no other path through);
- through a link to a file, the file it leads to.
A directory is *affected* when a changed file is in it, or it reads one, or it names an
affected directory. A directory that a changed Terraform file names, on either side, is
affected too: its caller changed, so it may have stopped or started being a root.
A template is untouched when its file is the same on both sides.

Everything is evaluated (`scope` raises ScopeRefused, saying why) where a change could reach a
definition some other way:
- a changed file below a HEAD_PATH that could be a requirements file (requirements.find takes
  the one with the name of the environment's S3 key, from the module's directory up): any name
  but those that cannot be one (Terraform, Python, Markdown, YAML, JSON…);
- a Terragrunt file (its functions read files anywhere), a link to a directory, or an escape
  sequence in a Terraform file (`"\\u002e/mod"` is a source the text test does not see).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import NamedTuple

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
# What could spell a module source the text test misses: HCL's \u and \U, and JSON's \/ too.
_ESCAPE = re.compile(r"\\[uU]")
_JSON_ESCAPE = re.compile(r"\\[uU/]")


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
            if not real.is_relative_to(real_top):
                continue
            below = real.relative_to(real_top)
            # As hcl.py walks a tree: not into hidden directories (a module there is called).
            if not any(p.startswith(".") for p in below.parts) and _has_terraform(real):
                found.append(top / below)
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
        escape = _JSON_ESCAPE if path.name.endswith(".json") else _ESCAPE
        self.opaque = self.opaque or escape.search(text) is not None
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
        walked = [listed for head in heads for listed in _walk(head)]
        nodes = _graph(walked)
        changed = _with_links(changed, [link for listed in walked for link in listed.links])
        _refuse_requirements(heads, changed)
    except _All as exc:
        raise ScopeRefused(str(exc)) from None
    if within is not None:
        _refuse_uncompared(within, nodes)
    # What the changed Terraform files are on the base side: their calls then.
    then: dict[Path, _Node] = {}
    for file in sorted(f for f in changed.files if f.name.endswith(TF_SUFFIXES)):
        text = base_text(file)
        if text is not None:
            then.setdefault(_owner(file.parent), _Node()).add(file.parent, text, file)
    opaque = [d for d, node in [*nodes.items(), *then.items()] if node.opaque]
    if opaque:
        raise ScopeRefused(f"a Terraform file in {display_path(opaque[0])} has an escape sequence")
    callers: dict[Path, set[Path]] = {}
    for directory, node in [*nodes.items(), *then.items()]:
        for target in node.targets:
            callers.setdefault(target, set()).add(directory)
    touched = {_owner(f.parent) for f in changed.files} | {_owner(t) for t in changed.trees}
    named = nodes.keys() | callers.keys()  # a directory below a changed tree, named or read
    touched |= {d for d in named if any(d.is_relative_to(t) for t in changed.trees)}
    for side in (nodes, then):
        touched |= {d for d, node in side.items() if _reads_changed(d, node, changed, callers)}
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
            if _owner(file.parent) in side:
                called |= side[_owner(file.parent)].targets
    affected |= called
    also = {caller for target in called for caller in callers.get(target, ())}
    dirs, files = _base_reads(affected | also, affected, nodes, then)
    return Scope(
        here,
        there,
        frozenset(affected),
        changed,
        frozenset(dirs),
        frozenset(files),
        _roots(heads, nodes, callers) - affected,
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


def _refuse_uncompared(within: Path, nodes: dict[Path, _Node]) -> None:
    """--base DIR compares the tree's files but for hidden directories: a module or a file
    read outside it, or in a hidden directory (but module copies), is not compared."""
    for directory, node in sorted(nodes.items()):
        for path in sorted({directory, *node.reads}):
            real = Path(os.path.realpath(path))
            if not real.is_relative_to(within):
                why = f"is outside {display_path(within)}"
            elif any(
                p.startswith(".") and p != ".terraform" for p in real.relative_to(within).parts
            ):
                why = "is in a hidden directory"
            else:
                continue
            raise ScopeRefused(f"{display_path(path)} {why}, which --base does not compare")
        ups = sorted(r for r in node.root_reads if ".." in Path(r).parts)
        if ups:
            raise ScopeRefused(
                f"{display_path(directory)} reads {ups[0]}, which --base may not compare"
            )


class _Walked(NamedTuple):
    """A directory below a HEAD_PATH: its Terraform files, and its links to files."""

    directory: Path
    files: list[Path]
    links: list[Path]


def _graph(walked: list[_Walked]) -> dict[Path, _Node]:
    """Every directory with Terraform files below the HEAD_PATHs, and every directory their
    text names, with what each names."""
    nodes: dict[Path, _Node] = {}
    pending: list[tuple[Path, list[Path] | None]] = [
        (w.directory, w.files) for w in walked if w.files
    ]
    while pending:
        directory, files = pending.pop()
        if directory not in nodes:
            nodes[directory] = node = _node(directory, files)
            new = {t for t in node.targets if t not in nodes}
            pending += [(d, None) for d in sorted(new) if confine.inside(d) and d.is_dir()]
    return nodes


def _node(directory: Path, files: list[Path] | None = None) -> _Node:
    """What the directory's Terraform files name (`files`, when already listed), and the
    module directories its `.terraform/modules` manifest records."""
    node = _Node()
    for path in _terraform_files(directory) if files is None else files:
        node.add(path.parent, _text(path), path)
    node.targets |= _manifest_dirs(directory)
    node.targets.discard(directory)
    return node


def _manifest_dirs(directory: Path) -> set[Path]:
    """The directories the module manifest `terraform init` wrote records (iacplan reads a
    module where its record says, see modules.py)."""
    manifest = directory / ".terraform" / "modules" / "modules.json"
    if not manifest.is_file():
        return set()
    try:
        records = json.loads(_text(manifest)).get("Modules") or []
    except (ValueError, AttributeError):
        raise ScopeRefused(f"{display_path(manifest)} cannot be read") from None
    dirs = [r.get("Dir") for r in records if isinstance(r, dict)]
    return {_owner(os.path.normpath(directory / d)) for d in dirs if isinstance(d, str) and d}


def _text(path: Path) -> str:
    """A file's text, to be looked at (never shown): what cannot be decoded is replaced."""
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", errors="replace")


def _base_reads(
    starts: set[Path], roots: set[Path], nodes: dict[Path, _Node], then: dict[Path, _Node]
) -> tuple[set[Path], set[Path]]:
    """The directories `starts` name on the base side, down (a changed file by its base
    text, the others as on the head's), and the files their file functions read: those
    relative to the root, from each of `roots`; each with what the links among them lead
    to (the base side has the same links, or a changed link made everything evaluated)."""
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
    for directory in sorted(dirs):
        if directory.is_dir():
            files |= {Path(e.path) for e in os.scandir(directory) if e.is_symlink()}
    hops = {hop for file in sorted(files) for hop in _hops(file)}
    led = [h for h in sorted(hops) if h.is_dir()]
    if led:
        raise ScopeRefused(f"a link leads to the directory {display_path(led[0])}")
    return dirs, files | hops


def _hops(path: Path) -> list[Path]:
    """The links on the way from `path` to the file it leads to, and that file."""
    hops = []
    for _ in range(40):  # as the system follows them
        if not path.is_symlink():
            break
        path = Path(os.path.normpath(path.parent / os.readlink(path)))
        hops.append(path)
    return hops


def _walk(head: Path) -> Iterator[_Walked]:
    """The directories below `head` (hidden ones left out, as hcl.py does), real paths; a
    Terragrunt file or a link to a directory makes everything evaluated."""
    pending = [Path(os.path.realpath(head if head.is_dir() else head.parent))]
    while pending:
        directory = pending.pop()
        with os.scandir(directory) as listing:
            entries = sorted(listing, key=lambda e: e.name)
        files: list[Path] = []
        links: list[Path] = []
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
                continue
            if entry.is_symlink():
                links.append(directory / entry.name)
            if entry.name.endswith(TF_SUFFIXES) and _readable(entry):
                files.append(directory / entry.name)
        yield _Walked(directory, files, links)


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
    """The directories a text's "./…" strings name (module copies counted for the directory
    holding them); kept whether or not they exist (a call to a directory the change deleted)."""
    here = str(directory)
    return {_owner(os.path.normpath(os.path.join(here, s))) for s in local_sources(text)}


def _owner(path: Path | str) -> Path:
    """`path`, links resolved; below a `.terraform` directory (the module copies `terraform
    init` made), the directory holding it: what it holds is read as that one's."""
    return _owner_below(str(path), confine.current())


@cache  # a shared module is named by hundreds of roots
def _owner_below(path: str, top: Path | None) -> Path:
    real = Path(os.path.realpath(path))
    below = real.relative_to(top).parts if top and real.is_relative_to(top) else real.parts
    if ".terraform" not in below:
        return real
    return Path(*real.parts[: len(real.parts) - len(below) + below.index(".terraform")])


def _without_ups(literal: str) -> str:
    parts = [p for p in Path(os.path.normpath(literal)).parts if p not in ("..", ".")]
    return "/".join(parts)


def _with_links(changed: Changed, links: list[Path]) -> Changed:
    """A link (to a file) to a changed file changes too: what reads it sees the change."""
    found = {link for link in links if changed.touches(Path(os.path.realpath(link)))}
    if not found:
        return changed
    return Changed(changed.files | found, changed.trees, changed.why_all)


def _reads_changed(
    directory: Path, node: _Node, changed: Changed, callers: dict[Path, set[Path]]
) -> bool:
    """Whether a file the node's file functions read changed. One relative to the root is
    looked for from every directory that may call this one (and by its end, in case)."""
    if any(changed.touches(Path(os.path.realpath(f))) or changed.touches(f) for f in node.reads):
        return True
    if not node.root_reads:
        return False
    ends = {_without_ups(literal) for literal in node.root_reads}
    if any(f.as_posix().endswith("/" + end) for end in ends for f in changed.files):
        return True
    roots, pending = {directory}, [directory]
    while pending:
        for caller in callers.get(pending.pop(), ()):
            if caller not in roots:
                roots.add(caller)
                pending.append(caller)
    for root in roots:
        for literal in node.root_reads:
            read = Path(os.path.normpath(root / literal))
            if changed.touches(read) or changed.touches(Path(os.path.realpath(read))):
                return True
    return False


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
        if here[rel] != there[rel] or (head / rel).read_bytes() != (base / rel).read_bytes():
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
