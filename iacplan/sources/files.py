"""Reading the user's files, and how their paths appear in reports and messages.

Reads are cached for one `load_tree` call: several stages look at the same files.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from iacplan.errors import InputError

TF_SUFFIXES = (".tf", ".tf.json")


def display_path(path: Path) -> str:
    """Relative to the working directory when below it, else absolute; always with /."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return absolute.as_posix()


def normpath(path: Path) -> Path:
    return Path(os.path.normpath(path))


@cache
def tf_files(directory: Path) -> tuple[Path, ...]:
    files = sorted(p for p in directory.iterdir() if p.name.endswith(TF_SUFFIXES))
    for path in files:
        # The evaluator opens every such entry: a FIFO would block it forever.
        if not path.is_file() and not path.is_dir():
            raise InputError(f"{display_path(path)}: not a regular file (a pipe or broken link?)")
    return tuple(p for p in files if p.is_file())


def read_text(path: Path) -> str:
    # Keyed by absolute path: a relative name means another file after a change of directory.
    return _read_text(Path(os.path.abspath(path)))


@cache
def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{display_path(path)}: cannot read: {exc.strerror}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"{display_path(path)}:{line}: not UTF-8 text (byte {exc.start})") from exc


def lines(path: Path) -> list[str]:
    return _lines(Path(os.path.abspath(path)))


@cache
def _lines(path: Path) -> list[str]:
    return _read_text(path).splitlines()


def clear_caches() -> None:
    """Forget what was read: files may have changed since an earlier load in this process."""
    for cached in (tf_files, _read_text, _lines):
        cached.cache_clear()
