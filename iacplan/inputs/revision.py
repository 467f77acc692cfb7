"""The same paths as they are at a git revision (`--base-ref`), read without touching the
user's working tree, index, stash or refs.

The revision's tree is written to a temporary directory with git's plumbing (`ls-tree` and
`cat-file --batch`: no checkout, no hooks, no `.gitattributes` export rules, no lock on the
repository): all of it, or (when only what a change affects is evaluated, untouched.py) the
files that differ from the working tree and those the affected definitions read, modules and
var files outside the paths (`../modules/x`) included. In a partial clone the missing files
are fetched in one batch first. Files in it are displayed as the working tree's
(`infra/main.tf`, never the temporary directory), and the directory is removed on every way
out, SIGTERM included.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import IO

from iacplan.errors import InputError
from iacplan.inputs.files import display_path, shown_as
from iacplan.inputs.terraform.modules import MANIFEST
from iacplan.inputs.untouched import Changed
from iacplan.model import Change, ChangeKind
from iacplan.runtime.signals import terminated_as_interrupt

_SYMLINK = "120000"
_SUBMODULE = "160000"
# Files Terraform reads without being told (a root module's directory): git often ignores them
# (GitHub's Terraform .gitignore lists *.tfvars), and then only the working tree has them.
_AUTO_VAR_FILES = ("terraform.tfvars", "terraform.tfvars.json")
_AUTO_VAR_SUFFIXES = (".auto.tfvars", ".auto.tfvars.json")


@dataclass(frozen=True)
class Revision:
    """A commit's tree, written out below `root`; `toplevel` is the working tree's top."""

    ref: str
    commit: str
    root: Path
    toplevel: Path
    _written: set[str] = field(default_factory=set, compare=False)  # paths, relative

    def changed(self) -> Changed:
        """What differs between the revision and the working tree: files git sees changed
        (staged or not), untracked files, and what git ignores (a directory as a whole),
        but for what `copy_untracked` copies (`.terraform`, auto-loaded var files)."""
        files: set[Path] = set()
        trees: set[Path] = set()
        why = None
        raw = _git(
            ["diff", "--raw", "-z", "--no-renames", "--no-ext-diff", self.commit, "--"],
            self.toplevel,
            self.ref,
        )
        fields = iter(raw.split("\0"))
        for meta in fields:
            if not meta:
                continue
            name = next(fields, "")
            modes = meta.lstrip(":").split()[:2]
            if _SYMLINK in modes:
                why = why or f"{name}: a symbolic link changed"
            (trees if _SUBMODULE in modes else files).add(self.toplevel / name)
        listed = _git(["ls-files", "--others", "--exclude-standard", "-z"], self.toplevel, self.ref)
        for name in filter(None, listed.split("\0")):
            if os.path.islink(self.toplevel / name):
                why = why or f"{name}: a symbolic link git does not track"
            files.add(self.toplevel / name)
        ignored = _git(
            ["ls-files", "--others", "--ignored", "--exclude-standard", "--directory", "-z"],
            self.toplevel,
            self.ref,
        )
        for name in filter(None, ignored.split("\0")):
            parts = PurePosixPath(name).parts
            if ".terraform" in parts or _auto_var_file(parts[-1]):
                continue
            (trees if name.endswith("/") else files).add(self.toplevel / name.rstrip("/"))
        return Changed(frozenset(files), frozenset(trees), why)

    def write(self, directories: Iterable[Path], files: Iterable[Path] = ()) -> None:
        """Write out (once) the revision's files directly in `directories` and `files`, given
        as the working tree's real paths; what is not in the revision is not written. Each
        directory the revision has is made, even with no file in it."""
        wanted: dict[str, tuple[str, str]] = {}
        for directory in directories:
            rel = self._rel(directory)
            if rel is not None and rel in self._listing.trees:
                self.make(directory)
                wanted.update((n, self._listing.blobs[n]) for n in self._listing.trees[rel])
        for file in files:
            rel = self._rel(file)
            if rel is not None and rel in self._listing.blobs:
                wanted[rel] = self._listing.blobs[rel]
        blobs = [(mode, oid, name) for name, (mode, oid) in sorted(wanted.items())]
        blobs = [b for b in blobs if b[2] not in self._written]
        self._written.update(name for _, _, name in blobs)
        _fetch_missing({oid for _, oid, _ in blobs}, self.commit, self.toplevel, self.ref)
        _write_blobs(blobs, self.toplevel, self.root)

    def make(self, directory: Path) -> None:
        """Make `directory` (a working tree path), without its files, if the revision has it."""
        rel = self._rel(directory)
        if rel is not None and rel in self._listing.trees:
            (self.root / rel).mkdir(parents=True, exist_ok=True)

    def write_all(self) -> None:
        """Write out the revision's whole tree."""
        self.write([self.toplevel / rel for rel in self._listing.trees])

    def _rel(self, here: Path) -> str | None:
        """`here` (absolute, by name: the revision has its own links) relative to the top."""
        absolute = Path(os.path.abspath(here))
        if not absolute.is_relative_to(self.toplevel):
            return None
        rel = absolute.relative_to(self.toplevel).as_posix()
        return "" if rel == "." else rel

    @cached_property
    def _listing(self) -> _Listing:
        return _list(self.commit, self.toplevel, self.ref)

    def path(self, here: Path) -> Path:
        """Where a path of the working tree is in the revision's tree: mapped by its name,
        so a symbolic link on the way is the revision's link, not the working tree's."""
        return self.root / _inside(here, self.toplevel)

    def renamed(self, here: Path) -> Path | None:
        """Where a path that is not in the revision was then, when git sees its files as
        renamed since (`git mv infra/prod infra/production`); None when it finds no rename."""
        rel = _inside(here, self.toplevel).as_posix()
        listing = _git(
            ["diff", "--name-status", "-z", "-M", "--no-ext-diff", self.commit],
            self.toplevel,
            self.ref,
        ).split("\0")
        olds: dict[str, int] = {}
        fields = iter(listing)
        for state in fields:
            # Each entry is a status, then one path, or two (old, new) for a rename or copy.
            old = next(fields, "")
            if not state.startswith(("R", "C")):
                continue
            new = next(fields, "")
            if not state.startswith("R"):
                continue
            if new == rel:
                return self.root / old
            rest = new.removeprefix(rel + "/")
            if rest != new and old.endswith("/" + rest):
                then = old[: -len(rest) - 1]
                olds[then] = olds.get(then, 0) + 1
        if not olds:
            return None
        return self.root / max(olds, key=lambda then: olds[then])

    def var_file(self, here: Path) -> Path | None:
        """A var or parameters file as the revision's side reads it: a file tracked in the
        repository is taken as it was at the revision (None when it did not exist then: the PR
        adds it); an untracked file or one outside the repository is the same on both sides."""
        if not _tracked(here, self.toplevel):
            return here
        then = self.path(here)
        return then if then.is_file() else None

    def refuse_ignored(self, paths: Iterable[Path]) -> None:
        """A path git ignores (a synthesized `cdk.out/`, build output) is at no revision, so
        its environments would all read as added, and be allowed: refused, with the way to
        compare it (build the revision's output too and give it as --base). A path that is only
        untracked (not ignored) is new in the PR: its environments are added, and stay so."""
        untracked = {
            os.path.realpath(p): p for p in paths if p.exists() and not _tracked(p, self.toplevel)
        }
        if not untracked:
            return
        fields = _git(
            ["check-ignore", "-z", "-v", "--stdin"],
            self.toplevel,
            self.ref,
            stdin="".join(f"{real}\0" for real in untracked),
            ok=(0, 1),  # 1: nothing is ignored
        ).split("\0")
        for source, line, pattern, path in zip(*[iter(fields)] * 4, strict=False):
            if pattern.startswith("!"):
                continue  # a negated pattern: matched, but not ignored
            shown = display_path(untracked.get(path, Path(path)))
            raise InputError(
                f"{shown}: git ignores it ({_shown_source(source, self.toplevel)}:{line}: "
                f"{pattern}), so it is at no revision and --base-ref has nothing to compare it "
                f"with (its environments would all read as added). Build the same output from "
                f"{self.ref} (e.g. `git worktree add ../base {self.ref}`, then synthesize there) "
                "and compare with --base"
            )

    def refuse_ignored_definitions(self, changes: Iterable[Change]) -> None:
        """The same for definition files read below a tracked HEAD_PATH (a `cdk.out/` inside
        `infra/`): an environment added from a file git ignores was never at any revision.
        Module copies in `.terraform/` are left alone: they are copied to the revision too."""
        files = {
            Path(change.head.location.file)
            for change in changes
            if change.kind is ChangeKind.ADDED and change.head is not None
        }
        self.refuse_ignored(sorted(f for f in files if not _hidden(f)))


def _hidden(path: Path) -> bool:
    return any(part.startswith(".") and part not in (".", "..") for part in path.parts)


def _shown_source(source: str, top: Path) -> str:
    """Where an ignore pattern comes from, as the user knows the file."""
    path = Path(source) if os.path.isabs(source) else top / source
    return display_path(path)


def toplevel(cwd: Path | None = None) -> Path | None:
    """The top of the git working tree around `cwd`; None outside one or without git."""
    try:
        return Path(_git(["rev-parse", "--show-toplevel"], cwd or Path.cwd(), "").strip())
    except InputError:
        return None


@contextmanager
def revision(ref: str, whole: bool = True) -> Iterator[Revision]:
    """The tree of `ref` in a temporary directory for the duration of the block: all of it,
    or (`whole` False) only what `Revision.write` is asked for."""
    cwd = Path.cwd()
    top = Path(os.path.realpath(_git(["rev-parse", "--show-toplevel"], cwd, ref).strip()))
    commit = _git(
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"], top, ref
    ).strip()
    with terminated_as_interrupt():
        root = Path(tempfile.mkdtemp(prefix="iacplan-base-")).resolve()
        try:
            written = Revision(ref, commit, root, top)
            if whole:
                written.write_all()
            with shown_as(root, top):
                yield written
        finally:
            shutil.rmtree(root, ignore_errors=True)


def copy_untracked(here: Path, revision: Revision, only: Collection[Path] | None = None) -> None:
    """What Terraform reads below `here` that git does not track is the same on both sides
    (one walk of the head's tree for both; with `only`, of those directories, real paths):
    - module copies `terraform init` leaves in `.terraform/modules`: without them a registry
      module's environments would get other ids on the revision's side (added + removed). A
      copy that does not match the revision's call is judged stale there, so its environments
      are unknown, never wrong;
    - auto-loaded var files (`terraform.tfvars`, `*.auto.tfvars`, …), as untracked
      `--var-file`s are: otherwise a value they set would apply to the head only, and a change
      from it to a literal would read unchanged. A file the revision tracks at the same place
      is the revision's own and stays."""
    start = here if here.is_dir() else here.parent
    if only is None:
        walked = ((Path(d), names) for d, _, names in _walk(start))
    else:
        real = Path(os.path.realpath(start))
        mine = sorted(d for d in only if d.is_relative_to(real) and d.is_dir())
        walked = ((d, [f.name for f in d.iterdir() if f.is_file()]) for d in mine)
    for directory, filenames in walked:
        target = revision.path(directory)
        if not target.is_dir():
            continue
        installed = directory / MANIFEST.parent
        if (installed / MANIFEST.name).is_file():
            shutil.copytree(installed, target / MANIFEST.parent, symlinks=True, dirs_exist_ok=True)
        for name in filenames:
            if not _auto_var_file(name):
                continue
            file = directory / name
            # lexists: never write through a link of the revision (it may lead anywhere).
            if not os.path.lexists(target / name) and not _tracked(file, revision.toplevel):
                shutil.copyfile(file, target / name)


def _walk(start: Path) -> Iterator[tuple[str, list[str], list[str]]]:
    for directory, dirnames, filenames in os.walk(start):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        yield directory, dirnames, filenames


def _relative(path: Path, top: Path) -> Path | None:
    """`path` relative to `top` by its name: links inside the repository are not followed
    (the revision has its own), links above it are (a checkout reached through a link)."""
    absolute = Path(os.path.abspath(path))
    for above in (absolute, *absolute.parents):
        if above == top or Path(os.path.realpath(above)) == top:
            return absolute.relative_to(above)
    real = Path(os.path.realpath(path))  # a link from outside the repository into it
    return real.relative_to(top) if real.is_relative_to(top) else None


def _inside(path: Path, top: Path) -> Path:
    rel = _relative(path, top)
    if rel is None:
        raise InputError(
            f"{path}: outside the git repository {top}: --base-ref reads only paths in it"
        )
    return rel


def _auto_var_file(name: str) -> bool:
    return name in _AUTO_VAR_FILES or name.endswith(_AUTO_VAR_SUFFIXES)


def _tracked(path: Path, top: Path) -> bool:
    real = Path(os.path.realpath(path))
    if not real.is_relative_to(top):
        return False
    return bool(_git(["ls-files", "-z", "--", str(real.relative_to(top))], top, ""))


@dataclass(frozen=True)
class _Listing:
    """A commit's tree: each blob's (mode, object id) by path, each directory's blobs."""

    blobs: dict[str, tuple[str, str]]
    trees: dict[str, list[str]]


def _list(commit: str, top: Path, ref: str) -> _Listing:
    """The commit's tree, submodules (no blob) left out. In a treeless clone its missing
    trees are fetched first, in one batch per level git cannot see below."""
    if _partial(top, ref):
        for _ in range(3):
            missing = _missing(commit, top, ref, ["--filter=blob:none"])
            if not missing:
                break
            _fetch(missing, top, ref)
    listing = _git(["ls-tree", "-r", "-t", "-z", "--full-tree", commit], top, ref)
    blobs: dict[str, tuple[str, str]] = {}
    trees: dict[str, list[str]] = {"": []}
    for entry in filter(None, listing.split("\0")):
        meta, _, name = entry.partition("\t")
        mode, kind, oid = meta.split()
        if kind == "tree":
            trees.setdefault(name, [])
        elif kind == "blob":
            blobs[name] = (mode, oid)
            trees.setdefault(os.path.dirname(name), []).append(name)
    return _Listing(blobs, trees)


def _partial(top: Path, ref: str) -> bool:
    """A partial clone: a remote promises the objects it lacks."""
    return _promisor_remote(top, ref) is not None


def _missing(commit: str, top: Path, ref: str, options: list[str]) -> list[str]:
    listing = _git(
        ["rev-list", "--objects", "--missing=print", "--no-walk", *options, commit], top, ref
    )
    return [line[1:] for line in listing.splitlines() if line.startswith("?")]


def _fetch_missing(oids: set[str], commit: str, top: Path, ref: str) -> None:
    """In a partial clone (`--filter=blob:none`, `tree:0`), those of `oids` the clone lacks in
    one fetch from the promisor remote, instead of one fetch per file when git reads them.
    Nothing happens in a full clone."""
    if not oids or not _partial(top, ref):
        return
    missing = [oid for oid in _missing(commit, top, ref, []) if oid in oids]
    if missing:
        _fetch(missing, top, ref)


def _fetch(missing: list[str], top: Path, ref: str) -> None:
    remote = _promisor(top, ref)
    fetch = subprocess.run(
        [
            *("git", "-c", "fetch.negotiationAlgorithm=noop", "fetch", remote, "--no-tags"),
            *("--no-write-fetch-head", "--recurse-submodules=no", "--filter=blob:none"),
            "--stdin",
        ],
        cwd=top,
        input="".join(f"{oid}\n" for oid in missing),
        capture_output=True,
        text=True,
        check=False,
    )
    if fetch.returncode != 0:
        lines = fetch.stderr.strip().splitlines() or ["no message"]
        message = next((x for x in lines if x.startswith(("fatal:", "error:"))), lines[-1])
        raise InputError(
            f"--base-ref {ref}: this partial clone lacks {len(missing)} of the revision's "
            f"files and cannot fetch them from {remote} ({message}): give git access to the "
            "remote, or clone without a filter"
        )


def _promisor(top: Path, ref: str) -> str:
    """The remote a partial clone fetches its missing objects from."""
    remote = _promisor_remote(top, ref)
    if remote is None:
        raise InputError(
            f"--base-ref {ref}: the revision's files are not all in this clone, and no remote "
            "promises them (a shallow or partial clone: fetch the revision first)"
        )
    return remote


def _promisor_remote(top: Path, ref: str) -> str | None:
    listing = _git(["config", "--get-regexp", r"^remote\..*\.promisor$"], top, ref, ok=(0, 1))
    for line in listing.splitlines():
        key, _, value = line.partition(" ")
        if value.strip().lower() == "true":
            return key.removeprefix("remote.").removesuffix(".promisor")
    return None


def _write_blobs(blobs: list[tuple[str, str, str]], top: Path, root: Path) -> None:
    """Each (mode, object id, path) below `root`, read in one `git cat-file --batch`."""
    if not blobs:
        return
    with subprocess.Popen(
        ["git", "cat-file", "--batch", "--buffer"],
        cwd=top,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as cat:
        requests, answers = cat.stdin, cat.stdout
        assert requests is not None and answers is not None

        def ask() -> None:
            # From a thread, so that git's answers are read while the requests are written.
            try:
                requests.write(b"".join(f"{oid}\n".encode() for _, oid, _ in blobs))
                requests.close()
            except (BrokenPipeError, ValueError):
                pass  # git was stopped: the reader says why

        threading.Thread(target=ask, daemon=True).start()
        try:
            for mode, _, name in blobs:
                _write_blob(answers, root / name, (top, root) if mode == _SYMLINK else None)
        finally:
            cat.kill()


def _write_blob(stream: IO[bytes], path: Path, link: tuple[Path, Path] | None) -> None:
    """`link`: (working tree top, revision root) when the blob is a symbolic link."""
    header = stream.readline().split()
    if len(header) != 3:
        raise InputError(f"git cat-file gave no content for {path.name}")
    data = stream.read(int(header[2]))
    stream.read(1)  # the newline after each object
    path.parent.mkdir(parents=True, exist_ok=True)
    if link is not None:
        os.symlink(_link_target(os.fsdecode(data), *link), path)
    else:
        path.write_bytes(data)


def _link_target(target: str, top: Path, root: Path) -> str:
    """An absolute link into the repository points to the same place in the revision's tree,
    not back into the working tree; one leaving the repository is kept (both sides read it)."""
    if not os.path.isabs(target):
        return target
    rel = _relative(Path(target), top)
    return str(root / rel) if rel is not None else target


def _git(
    args: list[str], cwd: Path, ref: str, stdin: str | None = None, ok: tuple[int, ...] = (0,)
) -> str:
    what = f"--base-ref {ref}" if ref else "git"
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            input=stdin,
            # A path is a path, not a glob (check-ignore takes no pathspecs, only paths).
            env={**os.environ, "GIT_LITERAL_PATHSPECS": "0" if args[0] == "check-ignore" else "1"},
        )
    except FileNotFoundError as exc:
        raise InputError(f"{what}: git is not installed (not on PATH)") from exc
    if done.returncode in ok:
        return done.stdout
    if args[0] == "rev-parse" and "--show-toplevel" in args:
        raise InputError(f"{what}: {cwd} is not inside a git working tree")
    if "--verify" in args:
        raise InputError(
            f"{what}: no such commit in this repository (a shallow CI checkout may need "
            "`fetch-depth: 0`, or `git fetch origin <branch>`)"
        )
    message = (done.stderr.strip().splitlines() or ["no message"])[-1]
    raise InputError(f"{what}: git {args[0]} failed: {message}")
