"""What pip is given, and what can be told before running it (no I/O here).

- The requirements file as pip on MWAA would read it, copied line for line (so that pip's
  "(line N)" is the file's line N): its constraints lines removed (the head version's
  constraints are given instead), its environment markers decided for MWAA's Python and
  platform (pip would decide them for the machine iacplan runs on), and what cannot be
  resolved here (a path on MWAA's workers, an included file, a build from source) removed and
  said.
- The constraints' pins, and the requirements whose specifier excludes one (MWAA017 without
  running pip).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import takewhile
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from iacplan.inputs.requirements import logical_lines
from iacplan.model import Location, RequirementsIssue

# Options that name where pip looks for packages: followed only with --allow-requirements-index.
INDEX_OPTIONS = {
    "-i": "--index-url",
    "--index-url": "--index-url",
    "--extra-index-url": "--extra-index-url",
    "-f": "--find-links",
    "--find-links": "--find-links",
    "--trusted-host": "--trusted-host",
    "--no-index": "--no-index",
}
_WITH_VALUE = {
    "-c",
    "--constraint",
    "-r",
    "--requirement",
    "-e",
    "--editable",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--trusted-host",
    "--no-binary",
    "--only-binary",
    "--use-feature",
}
_SHORT_WITH_VALUE = {"-c", "-r", "-e", "-i", "-f"}
_WHEEL_URL = re.compile(r"https?://\S+\.whl(#\S*)?", re.IGNORECASE)


def marker_environment(python: str, arch: str) -> dict[str, str]:
    """PEP 508 marker values on MWAA: Linux, CPython `python` (e.g. 3.12.10) on `arch`. What no
    catalog says (the kernel's release and version) is this machine's."""
    environment = {key: str(value) for key, value in default_environment().items()}
    major_minor = ".".join(python.split(".")[:2])
    environment.update(
        implementation_name="cpython",
        implementation_version=python,
        os_name="posix",
        platform_machine=arch,
        platform_python_implementation="CPython",
        platform_system="Linux",
        python_full_version=python,
        python_version=major_minor,
        sys_platform="linux",
    )
    return environment


@dataclass(frozen=True)
class Direct:
    """A named requirement of the file that applies on MWAA."""

    line: int
    name: str  # PEP 503 normalised
    text: str  # as written, without per-requirement options
    specifier: str
    url: bool = False  # a direct reference (a wheel's URL)


@dataclass(frozen=True)
class Prepared:
    lines: tuple[str, ...]  # the copy pip reads, line for line
    direct: tuple[Direct, ...]
    problems: tuple[RequirementsIssue, ...]
    # An index or find-links line the user did not allow: pip is not run, since it would
    # resolve against other indexes than MWAA uses.
    blocked: bool = False
    index_lines: tuple[str, ...] = field(default=())

    def text(self, without: frozenset[int] = frozenset()) -> str:
        """The copy, with the lines numbered in `without` left empty."""
        return "".join(
            ("" if number in without else line) + "\n" for number, line in enumerate(self.lines, 1)
        )


def prepare(
    text: str,
    shown: str,
    directory: Path,
    target: Mapping[str, str],
    allow_index: bool,
) -> Prepared:
    """The copy of requirements file `text` (shown as `shown`, read from `directory`) that pip
    resolves for MWAA's marker environment `target`."""
    physical = text.splitlines()
    lines = ["" for _ in physical]
    direct: list[Direct] = []
    problems: list[RequirementsIssue] = []
    index_lines: list[str] = []
    blocked = False
    for first, last, line in logical_lines(text):
        where = Location(shown, first)
        if line.startswith("-"):
            kept, found, is_index = _option_line(line, where, directory, allow_index)
            problems += found
            if is_index:
                index_lines.append(line)
                blocked = blocked or not allow_index
            lines[first - 1] = kept
            continue
        rewritten, entry, problem = _requirement_line(line, where, target)
        if problem is not None:
            problems.append(problem)
        if entry is not None:
            direct.append(entry)
        lines[first - 1] = rewritten
        del last  # the continuation lines stay empty in the copy
    return Prepared(tuple(lines), tuple(direct), tuple(problems), blocked, tuple(index_lines))


def _tokens(line: str, where: Location) -> Iterator[tuple[str, str | None]]:
    """(option, value) pairs of an option line, as pip's shlex reading gives them."""
    try:
        tokens = iter(shlex.split(line))
    except ValueError:
        yield line, None
        return
    for token in tokens:
        name, equals, value = token.partition("=")
        if name.startswith("--") and equals:
            yield name, value
        elif token in _WITH_VALUE:
            yield token, next(tokens, None)
        elif token[:2] in _SHORT_WITH_VALUE and len(token) > 2:
            yield token[:2], token[2:]
        else:
            yield token, None


def _option_line(
    line: str, where: Location, directory: Path, allow_index: bool
) -> tuple[str, list[RequirementsIssue], bool]:
    """(the line pip reads instead, problems, whether it names an index or find-links)."""
    kept: list[str] = []
    problems: list[RequirementsIssue] = []
    is_index = False
    for option, value in _tokens(line, where):
        if option in ("-c", "--constraint"):
            continue  # the head version's constraints are given instead
        if option in ("-r", "--requirement"):
            problems.append(
                _issue(
                    "include",
                    where,
                    f"-r {value} is not resolved: MWAA reads it on its workers, relative to "
                    "where it runs pip; put its requirements in this file to have them checked",
                )
            )
            continue
        if option in ("-e", "--editable"):
            problems.append(
                _issue(
                    "not-resolvable-here",
                    where,
                    f"-e {value} (an editable project) is built on MWAA: not resolved here",
                )
            )
            continue
        if option == "--no-binary":
            if value not in (None, ":none:"):
                problems.append(
                    _issue(
                        "sdist-only",
                        where,
                        f"--no-binary {value}: MWAA builds {value} from source on its image, "
                        "which cannot be predicted here (iacplan never builds packages)",
                    )
                )
            continue
        if option in INDEX_OPTIONS:
            is_index = True
            if option in ("-f", "--find-links") and value is not None and allow_index:
                located = _find_links(value, directory)
                if located is None:
                    problems.append(
                        _issue(
                            "not-resolvable-here",
                            where,
                            f"--find-links {value} is not here (a folder on MWAA's workers, "
                            "such as plugins.zip's /usr/local/airflow/plugins): the packages "
                            "it holds cannot be seen",
                        )
                    )
                    continue
                value = located
            if not allow_index:
                problems.append(
                    _issue(
                        "index-not-allowed",
                        where,
                        f"{INDEX_OPTIONS[option]}{' ' + value if value else ''}: the file names "
                        "its own package index, which iacplan follows only with "
                        "--allow-requirements-index (a pull request could point it anywhere); "
                        "not resolved",
                    )
                )
                continue
        kept += [option] if value is None else [option, value]
    return " ".join(shlex.quote(token) for token in kept), problems, is_index


def _find_links(value: str, directory: Path) -> str | None:
    """A find-links location pip can read here: a URL as it is, a path relative to the
    requirements file (as pip reads it) made absolute; None for a path that is not here."""
    if re.match(r"[a-z][a-z0-9+.-]*://", value, re.IGNORECASE):
        return value
    path = Path(value) if Path(value).is_absolute() else directory / value
    return str(path.resolve()) if path.exists() else None


def _requirement_line(
    line: str, where: Location, target: Mapping[str, str]
) -> tuple[str, Direct | None, RequirementsIssue | None]:
    """(the line pip reads instead, the requirement, a problem) of one requirement line."""
    words = line.split()
    spec_words = list(takewhile(lambda word: not word.startswith("-"), words))
    options = words[len(spec_words) :]
    spec = " ".join(spec_words)
    if _WHEEL_URL.fullmatch(spec):
        return line, None, None  # a wheel by URL: pip downloads and reads it
    try:
        requirement = Requirement(spec)
    except InvalidRequirement:
        return (
            "",
            None,
            _issue(
                "not-resolvable-here",
                where,
                f"{spec} is not resolved: a path or archive MWAA reads on its workers (such "
                "as a wheel in plugins.zip) or a variable it expands there",
            ),
        )
    name = canonicalize_name(requirement.name)
    if requirement.url and not _WHEEL_URL.fullmatch(requirement.url):
        return (
            "",
            None,
            _issue(
                "not-resolvable-here",
                where,
                f"{spec}: a source archive or repository that MWAA builds on its image: not "
                "resolved here (iacplan never builds packages)",
                (name,),
            ),
        )
    if requirement.marker is not None and not requirement.marker.evaluate({**target, "extra": ""}):
        return "", None, None  # does not apply on MWAA's Python and platform
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    written = (
        f"{requirement.name}{extras} @ {requirement.url}"
        if requirement.url
        else f"{requirement.name}{extras}{requirement.specifier}"
    )
    entry = Direct(
        where.line, name, spec, str(requirement.specifier), url=requirement.url is not None
    )
    return " ".join([written, *options]), entry, None


def read_pins(text: str, target: Mapping[str, str]) -> dict[str, str]:
    """PEP 503 name -> version of each `name==version` line that applies on MWAA."""
    pins: dict[str, str] = {}
    for _, _, line in logical_lines(text):
        if line.startswith("-"):
            continue  # options in a constraints file are never followed
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        marker = requirement.marker
        if marker is not None and not marker.evaluate({**target, "extra": ""}):
            continue
        specifiers = list(requirement.specifier)
        if len(specifiers) == 1 and specifiers[0].operator in ("==", "==="):
            pins[canonicalize_name(requirement.name)] = specifiers[0].version
    return pins


def constraints_text(pins: Mapping[str, str], airflow: str, source: str) -> str:
    """What pip gets as -c: the pins only (no option a mirror could slip in), and Airflow at
    the version MWAA has installed, so that a provider's `apache-airflow>=…` resolves to it."""
    lines = [f"# {source}, pins only (iacplan --resolve)"]
    lines += [f"{name}=={version}" for name, version in sorted(pins.items())]
    if "apache-airflow" not in pins:
        lines.append(f"apache-airflow=={airflow}  # installed by MWAA")
    return "\n".join(lines) + "\n"


def pin_conflicts(
    direct: tuple[Direct, ...], pins: Mapping[str, str], shown: str, label: str, airflow: str
) -> tuple[RequirementsIssue, ...]:
    """The requirements whose specifier excludes the constraints' pin: pip refuses the file
    whatever else it holds. `label` names the constraints file in messages."""
    found = []
    for entry in direct:
        pin = pins.get(entry.name)
        if entry.url or not entry.specifier:
            continue
        origin = f"the version {label} pins"
        if pin is None and entry.name == "apache-airflow":
            pin, origin = airflow, "the version MWAA installs"
        if pin is None:
            continue
        try:
            allowed = SpecifierSet(entry.specifier).contains(Version(pin), prereleases=True)
        except InvalidVersion:
            continue
        if not allowed:
            found.append(
                _issue(
                    "constraints",
                    Location(shown, entry.line),
                    f"{entry.text} excludes {entry.name} {pin}, {origin}, so pip refuses the "
                    f"file; require {entry.name}=={pin} (or a range that holds it) or remove "
                    "the line",
                    (entry.name,),
                )
            )
    return tuple(found)


def _issue(
    kind: str, where: Location, message: str, packages: tuple[str, ...] = ()
) -> RequirementsIssue:
    return RequirementsIssue(kind, message, where, packages)
