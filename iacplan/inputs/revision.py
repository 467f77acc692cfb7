"""The same paths as they are at a git revision (`--base-ref`), read without touching the
user's working tree, index, stash or refs.

The revision's whole tree is written to a temporary directory with git's plumbing (`ls-tree`
and `cat-file --batch`: no checkout, no hooks, no `.gitattributes` export rules, no lock on the
repository), so modules and var files that a path references outside itself (`../modules/x`)
are there too. Files in it are displayed as the working tree's (`infra/main.tf`, never the
temporary directory), and the directory is removed on every way out, SIGTERM included.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from iacplan.errors import InputError
from iacplan.inputs.files import display_path, shown_as
from iacplan.inputs.terraform.modules import MANIFEST
from iacplan.model import Change, ChangeKind
from iacplan.runtime.signals import terminated_as_interrupt

_SYMLINK = "120000"
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
def revision(ref: str) -> Iterator[Revision]:
    """The tree of `ref` in a temporary directory for the duration of the block."""
    cwd = Path.cwd()
    top = Path(os.path.realpath(_git(["rev-parse", "--show-toplevel"], cwd, ref).strip()))
    commit = _git(
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"], top, ref
    ).strip()
    with terminated_as_interrupt():
        root = Path(tempfile.mkdtemp(prefix="iacplan-base-")).resolve()
        try:
            _write_tree(commit, top, root, ref)
            with shown_as(root, top):
                yield Revision(ref, commit, root, top)
        finally:
            shutil.rmtree(root, ignore_errors=True)


def copy_untracked(here: Path, revision: Revision) -> None:
    """What Terraform reads below `here` that git does not track is the same on both sides
    (one walk of the head's tree for both):
    - module copies `terraform init` leaves in `.terraform/modules`: without them a registry
      module's environments would get other ids on the revision's side (added + removed). A
      copy that does not match the revision's call is judged stale there, so its environments
      are unknown, never wrong;
    - auto-loaded var files (`terraform.tfvars`, `*.auto.tfvars`, …), as untracked
      `--var-file`s are: otherwise a value they set would apply to the head only, and a change
      from it to a literal would read unchanged. A file the revision tracks at the same place
      is the revision's own and stays."""
    start = here if here.is_dir() else here.parent
    for directory, dirnames, filenames in os.walk(start):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        target = revision.path(Path(directory))
        if not target.is_dir():
            continue
        installed = Path(directory) / MANIFEST.parent
        if (installed / MANIFEST.name).is_file():
            shutil.copytree(installed, target / MANIFEST.parent, symlinks=True, dirs_exist_ok=True)
        for name in filenames:
            if name not in _AUTO_VAR_FILES and not name.endswith(_AUTO_VAR_SUFFIXES):
                continue
            file = Path(directory) / name
            # lexists: never write through a link of the revision (it may lead anywhere).
            if not os.path.lexists(target / name) and not _tracked(file, revision.toplevel):
                shutil.copyfile(file, target / name)


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


def _tracked(path: Path, top: Path) -> bool:
    real = Path(os.path.realpath(path))
    if not real.is_relative_to(top):
        return False
    return bool(_git(["ls-files", "-z", "--", str(real.relative_to(top))], top, ""))


def _prefetch(commit: str, top: Path, ref: str) -> None:
    """In a partial clone (`--filter=blob:none`, `tree:0`), the revision's missing objects in
    one fetch from the promisor remote, as git's own lazy fetch asks for them, instead of one
    fetch per file when they are read. Nothing happens in a full clone."""
    remote = ""
    for _ in range(3):  # a treeless clone: the trees first, then the blobs they name
        listing = _git(["rev-list", "--objects", "--missing=print", "--no-walk", commit], top, ref)
        missing = [line[1:] for line in listing.splitlines() if line.startswith("?")]
        if not missing:
            return
        remote = remote or _promisor(top, ref)
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
    try:
        listing = _git(["config", "--get-regexp", r"^remote\..*\.promisor$"], top, ref)
    except InputError:
        listing = ""
    for line in listing.splitlines():
        key, _, value = line.partition(" ")
        if value.strip().lower() == "true":
            return key.removeprefix("remote.").removesuffix(".promisor")
    raise InputError(
        f"--base-ref {ref}: the revision's files are not all in this clone, and no remote "
        "promises them (a shallow or partial clone: fetch the revision first)"
    )


def _write_tree(commit: str, top: Path, root: Path, ref: str) -> None:
    """Every blob of the commit, with its path; submodules (no blob) are left out."""
    _prefetch(commit, top, ref)
    listing = _git(["ls-tree", "-r", "-z", "--full-tree", commit], top, ref)
    blobs = []
    for entry in listing.split("\0"):
        if not entry:
            continue
        meta, _, name = entry.partition("\t")
        mode, kind, oid = meta.split()
        if kind == "blob":
            blobs.append((mode, oid, name))
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
