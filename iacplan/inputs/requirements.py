"""Local requirements.txt files: which one goes with an environment, and what it says that an
Airflow version change depends on (constraints lines, apache-airflow pins, included files).

The file is the one `--requirements` names, else the one found next to the configuration under
the environment's `requirements_s3_path` key (see `find`). Only files inside the tree given on
the command line are found; `-r` includes are never followed (MWAA reads them on its workers,
relative to paths that do not exist here).
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from itertools import takewhile
from pathlib import Path, PurePosixPath

from iacplan.catalog.constraints import URL as CONSTRAINTS_URL
from iacplan.errors import InputError
from iacplan.inputs.files import display_path, read_text
from iacplan.model import (
    ConstraintsLine,
    Environment,
    Location,
    Pin,
    Requirements,
    ValueState,
)

# pip's own reading (pip/_internal/req/req_file.py): a comment starts at `#` at the start of a
# line or after white space; a line ending in a backslash continues on the next.
_COMMENT = re.compile(r"(^|\s+)#.*$")
# The project name a PEP 508 requirement starts with.
_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
_OPTIONS = {
    "-c": "constraint",
    "--constraint": "constraint",
    "-r": "requirement",
    "--requirement": "requirement",
}


@dataclass(frozen=True)
class Given:
    """What --requirements named: one file for every environment, or files by environment id."""

    everywhere: Path | None = None
    by_environment: tuple[tuple[str, Path], ...] = ()


def attach(
    environments: tuple[Environment, ...], top: Path, given: Given
) -> tuple[Environment, ...]:
    """The environments with their requirements file, where one is given or found below `top`."""
    named = dict(given.by_environment)
    read = cache(parse)  # one file often serves every environment
    return tuple(
        _attached(env, top, named.get(env.id) or given.everywhere, read) for env in environments
    )


def unmatched(given: Given, ids: set[str]) -> list[str]:
    """The environment ids --requirements names that no head environment has."""
    return sorted(env_id for env_id, _ in given.by_environment if env_id not in ids)


def _attached(
    env: Environment,
    top: Path,
    explicit: Path | None,
    read: Callable[[Path], tuple[Requirements, tuple[str, ...]]],
) -> Environment:
    configured = next((f for f in env.files if f.role == "requirements"), None)
    if configured is None:
        if explicit is None:
            return env
        note = (
            f"{display_path(explicit)} (--requirements) is not checked: the environment sets no "
            "requirements file, so MWAA installs none"
        )
        return replace(env, notes=(*env.notes, note))
    path = explicit
    if path is None and configured.path.state is ValueState.KNOWN:
        path = find(configured.path.text or "", _start(env, top), top)
    if path is None:
        return env
    requirements, notes = read(path)
    return replace(env, requirements=requirements, notes=(*env.notes, *notes))


def _start(env: Environment, top: Path) -> Path:
    """Where the search starts: the directory of the file that defines the environment."""
    directory = Path(env.location.file).parent
    return directory if directory.is_dir() and _inside(directory, top) else top


def find(key: str, start: Path, top: Path) -> Path | None:
    """The file for S3 key `key`: from `start` up to `top`, the nearest directory first, in each
    the whole key (`requirements/requirements.txt`), then its file name. Never outside `top`."""
    relative = PurePosixPath(key.lstrip("/"))
    if not relative.parts or ".." in relative.parts:
        return None
    directory = start
    while True:
        for candidate in (directory / relative, directory / relative.name):
            if candidate.is_file() and _inside(candidate, top):
                return candidate
        if directory.resolve() == top.resolve() or directory.parent == directory:
            return None
        directory = directory.parent


def _inside(path: Path, top: Path) -> bool:
    """Links count by where they lead: a link out of the tree is outside it."""
    return path.resolve().is_relative_to(top.resolve())


def parse(path: Path) -> tuple[Requirements, tuple[str, ...]]:
    """The facts of a requirements file, and notes on what in it cannot be checked."""
    requirements, notes = parse_text(read_text(path), display_path(path))
    return replace(requirements, path=str(Path(os.path.abspath(path)))), notes


def parse_text(text: str, shown: str) -> tuple[Requirements, tuple[str, ...]]:
    constraints: list[ConstraintsLine] = []
    pins: list[Pin] = []
    includes: list[Pin] = []
    notes: list[str] = []
    for number, line in _logical_lines(text):
        where = Location(shown, number)
        if line.startswith("-"):
            for kind, target in _options(line, where):
                if kind == "constraint":
                    constraints.append(_constraint(target, where))
                else:
                    includes.append(Pin(target, where))
                    notes.append(
                        f"{where}: -r {target} is not read: a constraints line or apache-airflow "
                        "pin in it is not checked"
                    )
            continue
        pin, note = _airflow_pin(line, where)
        pins += [pin] if pin else []
        notes += [note] if note else []
    notes += [
        f"{c.location}: the constraints file {c.target} cannot be checked here (a local path, "
        "another host or a variable): make sure it was made for the Airflow version MWAA runs"
        for c in constraints
        if c.airflow is None
    ]
    requirements = Requirements(shown, tuple(constraints), tuple(pins), tuple(includes))
    return requirements, tuple(notes)


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each line, continuations joined and comments removed."""
    for start, _, joined in logical_lines(text):
        yield start, joined


def logical_lines(text: str) -> Iterator[tuple[int, int, str]]:
    """(first line number, last line number, text) of each line as pip reads it: continuations
    joined, comments removed, empty lines left out."""
    start = 0
    parts: list[str] = []
    # The empty line added ends a continuation on the last line.
    for number, line in enumerate([*text.splitlines(), ""], 1):
        if not parts:
            start = number
        if line.endswith("\\") and not _COMMENT.match(line):
            parts.append(line[:-1])
            continue
        joined = _COMMENT.sub("", "".join([*parts, line])).strip()
        parts = []
        if joined:
            yield start, number, joined


def _options(line: str, where: Location) -> Iterator[tuple[str, str]]:
    """The -c/--constraint and -r/--requirement targets of an option line, unquoted."""
    try:
        tokens = iter(shlex.split(line))
    except ValueError as exc:
        raise InputError(f"{where}: cannot read this requirements line: {exc}") from exc
    for token in tokens:
        name, equals, value = token.partition("=")
        if name.startswith("--") and name in _OPTIONS and equals:
            yield _OPTIONS[name], value
        elif token in _OPTIONS:
            target = next(tokens, None)
            if target is None:
                raise InputError(f"{where}: {token} needs a file or URL")
            yield _OPTIONS[token], target
        elif token[:2] in _OPTIONS:  # -cURL, as optparse reads a short option
            yield _OPTIONS[token[:2]], token[2:]


def _constraint(target: str, where: Location) -> ConstraintsLine:
    match = CONSTRAINTS_URL.fullmatch(target)
    if match is None or "${" in target:
        return ConstraintsLine(target, where)
    return ConstraintsLine(target, where, airflow=match["airflow"], file=match["file"])


def _airflow_pin(line: str, where: Location) -> tuple[Pin | None, str | None]:
    """The apache-airflow requirement of a line, if it is one that can be checked."""
    name = _NAME.match(line)
    # The name normalised as PEP 503 says (packaging.utils.canonicalize_name does the same).
    if name is None or re.sub(r"[-_.]+", "-", name[0]).lower() != "apache-airflow":
        return None, None  # another project, or not a requirement (a URL, a path, an archive)
    # packaging is imported here, not at start-up (~20 ms), and parses apache-airflow lines only.
    from packaging.requirements import InvalidRequirement, Requirement

    # Per-requirement options (--hash=…) follow the requirement, as pip splits them.
    spec = " ".join(takewhile(lambda word: not word.startswith("-"), line.split()))
    try:
        requirement = Requirement(spec)
    except InvalidRequirement:
        # e.g. `==${AIRFLOW_VERSION}`, which pip expands: noted, never taken as fitting the head
        return None, f"{where}: the apache-airflow requirement {spec} cannot be read: not checked"
    if requirement.url or requirement.marker:
        how = "a URL" if requirement.url else "an environment marker"
        return None, f"{where}: the apache-airflow requirement has {how}: not checked"
    return Pin(str(requirement.specifier), where), None
