"""Reads stay inside the repository: a pull request's files are untrusted input.

iacplan runs on pull requests from forks, and what it reads can end up in a comment anyone can
read. So while definitions are loaded, a file is read only when it is inside the *repository
root*: the git top level around the checked paths, else their common root (`--base` has its
own, and `--base-ref` the revision's exported tree). Symbolic links count by where they lead,
and nothing under /proc, /dev or /sys, no FIFO, socket or device is ever opened: a link
`version.txt -> /proc/self/environ` or `-> ~/.aws/credentials` is refused like `../../x`.

Files the command line names (`--var-file`, `--parameters-file`, `--requirements`,
`--template`) are the workflow's choice: one outside the repository is read as named; one
inside it is checked like any other (the pull request may have turned it into a link).

The rule for every reader, today's and future ones (the Terragrunt reader among them):
- a path a configuration names (Terraform's `file()` family and module sources; Terragrunt's
  `read_terragrunt_config()`, `find_in_parent_folders()`, `include` paths,
  `sops_decrypt_file()`) is read only when `reason(path)` is None; otherwise the value is
  *unknown*, and the reason names the expression and why, never the content;
- nothing a configuration names is executed (`run_cmd`, the `external` data source): unknown;
- the environment is not an input (Terragrunt's `get_env(NAME)`): unknown unless the user
  allows NAME on the command line or in the config; the call's default otherwise. Terraform's
  `TF_VAR_*` are read as Terraform defines them, and, like every evaluated string, are
  published only as far as `iacplan.safe` allows.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from iacplan.errors import InputError
from iacplan.runtime import parallel

# Never opened, wherever a link leads: reading them gives the process's secrets, or blocks.
_SYSTEM = ("/proc", "/dev", "/sys")

_root: Path | None = None  # the repository root of the load under way; None: no confinement
_named: frozenset[Path] = frozenset()  # absolute paths the command line names


def current() -> Path | None:
    return _root


def named() -> frozenset[Path]:
    return _named


def set_current(root: Path | None, user_named: frozenset[Path] = frozenset()) -> None:
    """For a forked child that did not inherit the parent's state (see runtime.parallel)."""
    global _root, _named
    _root, _named = root, user_named


@contextmanager
def within(root: Path | None, user_named: Iterable[Path] | None = None) -> Iterator[None]:
    """Within the block, reads are confined to `root` (resolved; None: not confined);
    `user_named` are the files the command line names (default: those named so far)."""
    global _root, _named
    saved = _root, _named
    _root = Path(os.path.realpath(root)) if root is not None else None
    if user_named is not None:
        _named = frozenset(Path(os.path.abspath(p)) for p in user_named)
    try:
        yield
    finally:
        _root, _named = saved


_made: tuple[str, ...] = ()  # directories iacplan wrote itself (a merged copy): readable


@contextmanager
def made_by_iacplan(directory: Path) -> Iterator[None]:
    """Within the block, files iacplan wrote below `directory` (a copy with override files
    merged) may be read; its links count by where they lead, as everywhere."""
    global _made
    saved = _made
    _made = (*_made, os.path.realpath(directory))
    _reason.cache_clear()
    try:
        yield
    finally:
        _made = saved
        _reason.cache_clear()


def made_root(path: Path) -> Path | None:
    """The directory iacplan wrote (made_by_iacplan) that holds `path`, if one does."""
    real = os.path.realpath(path)
    return next((Path(made) for made in _made if _below(real, made)), None)


def _state() -> tuple[Path | None, frozenset[Path]]:
    return _root, _named


@contextmanager
def _restored(state: tuple[Path | None, frozenset[Path]]) -> Iterator[None]:
    with within(*state):
        yield


# A unit evaluated in a child forked at the start of the run reads within the same root.
parallel.carry(_state, _restored)


def repository_root(paths: Iterable[Path]) -> Path:
    """The git top level around the paths' common root (a `.git` directory or file above it;
    git itself is not run), else that common root. A file counts by its directory."""
    dirs = [
        os.path.realpath(p if p.is_dir() else (p.parent if str(p.parent) else Path(".")))
        for p in paths
    ]
    common = Path(os.path.commonpath(dirs)) if dirs else Path(os.path.realpath("."))
    for above in (common, *common.parents):
        if os.path.lexists(above / ".git"):
            return above
    return common


def inside(path: Path) -> bool:
    """Whether `path` (resolved) is below the current root; True without confinement."""
    if _root is None:
        return True
    return _below(_realpath(os.path.abspath(path)), str(_root))


def reason(path: Path) -> str | None:
    """Why `path` may not be read now (None: it may): it leads outside the repository root,
    into /proc, /dev or /sys, or to something other than a regular file. Never opens it.
    Without confinement (a report or config file read outside a load): None."""
    if _root is None:
        return None
    return _reason(os.path.abspath(path), _root, _named)


@cache
def _reason(lexical: str, root: Path, user_named: frozenset[Path]) -> str | None:
    # (cached for one load: `clear_caches` empties it, files may change between loads)
    real = _realpath(lexical)
    if not _below(real, str(root)) and not any(_below(real, made) for made in _made):
        if _below(lexical, str(root)):
            return f"it leads outside the repository ({root}) through a symbolic link"
        if Path(lexical) in user_named:
            return None  # the workflow's own file, outside the repository
        return f"it is outside the repository ({root})"
    for system in _SYSTEM:
        if _below(real, system):
            return f"it is under {system}"
    try:
        mode = os.stat(real).st_mode
    except OSError:
        return None  # missing: the caller says so in its own words
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        return "it is not a regular file (a FIFO, socket or device)"
    return None


def _realpath(absolute: str) -> str:
    """os.path.realpath of a normalised absolute path, its directory's resolved once."""
    directory, name = os.path.split(absolute)
    if not name:
        return _real_directory(directory)
    joined = os.path.join(_real_directory(directory), name)
    return os.path.realpath(joined) if os.path.islink(joined) else joined


@cache
def _real_directory(directory: str) -> str:
    return os.path.realpath(directory)


def _below(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip(os.sep) + os.sep)


def clear_cache() -> None:
    _reason.cache_clear()
    _real_directory.cache_clear()


def check(path: Path, shown: str) -> None:
    """Refuse to read `path` (shown as `shown`) when `reason` says so."""
    why = reason(path)
    if why is not None:
        raise InputError(f"{shown}: not read: {why}; iacplan reads only files inside it")
