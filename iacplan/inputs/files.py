"""Reading the user's files, and how their paths appear in reports and messages.

Reads are cached for one `load_tree` call: several stages look at the same files.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import cache
from pathlib import Path

from iacplan.errors import InputError
from iacplan.inputs import confine
from iacplan.runtime import limits, parallel

TF_SUFFIXES = (".tf", ".tf.json")
# Terragrunt's configuration files: a live tree may hold no .tf file at all.
TERRAGRUNT_FILES = ("terragrunt.hcl", "terragrunt.hcl.json", "terragrunt.stack.hcl")

# Directories whose files are shown as if they were below another (actual -> shown).
_SHOWN_AS: dict[Path, Path] = {}


@contextmanager
def shown_as(actual: Path, shown: Path) -> Iterator[None]:
    """Within the block, files below `actual` are displayed as if below `shown`: a git revision
    written to a temporary directory reads like the working tree."""
    _SHOWN_AS[actual] = shown
    try:
        yield
    finally:
        del _SHOWN_AS[actual]


def shown_paths() -> tuple[tuple[Path, Path], ...]:
    """The `shown_as` blocks open now."""
    return tuple(_SHOWN_AS.items())


@contextmanager
def all_shown_as(paths: tuple[tuple[Path, Path], ...]) -> Iterator[None]:
    """The `shown_as` blocks of `paths`, as `shown_paths` gave them, open within the block."""
    with ExitStack() as stack:
        for actual, shown in paths:
            stack.enter_context(shown_as(actual, shown))
        yield


# A unit evaluated in a child forked before a revision was written out shows its paths too.
parallel.carry(shown_paths, all_shown_as)


def display_path(path: Path) -> str:
    """Relative to the working directory when below it, else absolute; always with /."""
    absolute = Path(os.path.abspath(path))
    for actual, shown in _SHOWN_AS.items():
        if absolute.is_relative_to(actual):
            absolute = shown / absolute.relative_to(actual)
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
        confine.check(path, display_path(path))  # a link out of the repository
        refuse_big(path)  # the evaluator reads them itself
    return tuple(p for p in files if p.is_file())


def refuse_big(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{display_path(path)}: cannot read: {exc.strerror}") from exc
    why = limits.too_big(size)
    if why:
        raise InputError(f"{display_path(path)}: {why}")


def read_text(path: Path) -> str:
    # Keyed by absolute path: a relative name means another file after a change of directory.
    return _read_text(Path(os.path.abspath(path)))


@cache
def _read_text(path: Path) -> str:
    confine.check(path, display_path(path))
    refuse_big(path)
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


def parse_json(name: str, text: str, strict: bool = True) -> object:
    """The parsed JSON; when not `strict`, None for text that is not JSON (YAML, say)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        if not strict:
            return None
        raise InputError(f"{name}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
    except RecursionError as exc:
        raise InputError(f"{name}: JSON {_NESTED_BEYOND_PYTHON}") from exc
    except ValueError as exc:  # e.g. an integer beyond Python's digit limit
        raise InputError(f"{name}: invalid JSON: {exc}") from exc
    refuse_deep(name, doc)
    return doc


# Python's parsers stop at its recursion limit (about 1,000 levels), below any setting.
_NESTED_BEYOND_PYTHON = "nested too deeply for Python's parser (about 1,000 levels)"


def refuse_deep(name: str, document: object, line: Callable[[object], int] | None = None) -> None:
    """Refuse a document nested deeper than the limit; `line` finds a node's line, if known."""
    found = limits.too_deep(document)
    if found is not None:
        node, why = found
        where = f"{name}:{line(node)}" if line is not None else name
        raise InputError(f"{where}: {why}")


def nested_beyond_python(name: str) -> InputError:
    return InputError(f"{name}: {_NESTED_BEYOND_PYTHON}")


def json_line(text: str, key: str, value: str | None = None, start: int = 0) -> int:
    """The line of the first `"key": "value"` (or `"key"`) at or after `start`, 1 when absent:
    JSON parsers report no lines, and machine-written JSON is often a single line."""
    pattern = re.escape(json.dumps(key))
    if value is not None:
        pattern += r"\s*:\s*" + re.escape(json.dumps(value))
    match = re.compile(pattern).search(text, start)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def clear_caches() -> None:
    """Forget what was read: files may have changed since an earlier load in this process."""
    for cached in (tf_files, _read_text, _lines):
        cached.cache_clear()
    confine.clear_cache()
