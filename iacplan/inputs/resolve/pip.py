"""pip's own resolver, run as a child process, and what its answer means.

`python -m pip install --dry-run --report` with MWAA's Python and platform and
`--only-binary=:all:`: nothing is installed, nothing is built (a package that exists only as a
source archive is reported, never built), and the answer is pip's own. pip's configuration
files and PIP_* variables apply, as they would to the user's own pip (private indexes). Its
debug log (`--log`) says what the console does not: the indexes it could not reach, the
archives it skipped and why.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from iacplan.model import Location, RequirementsIssue

MINIMUM_PIP = (22, 2)  # --dry-run and --report
# What pip's log says when an index or a find-links location could not be read.
_UNREACHABLE = re.compile(
    r"Could not fetch URL (?P<url>\S+?):? (?P<why>.*?)(?: - skipping)?$"
    r"|Retrying \(Retry\(.*?\)\) after connection broken by '(?P<broken>.*?)': (?P<path>\S+)",
    re.MULTILINE,
)
_FOUND = re.compile(r"Found link (?P<link>\S+?),? version: ", re.MULTILINE)
_SKIPPED = re.compile(r"Skipping link: (?P<why>.*?): (?P<link>\S+)$", re.MULTILINE)
_NO_VERSION = re.compile(
    r"Could not find a version that satisfies the requirement (?P<req>.+?) "
    r"\(from versions: (?P<versions>[^)]*)\)"
)
_OTHER_PYTHON = re.compile(
    r"Package '(?P<name>[^']+)' requires a different Python: "
    r"(?P<python>\S+) not in '(?P<spec>[^']+)'"
)
_CANNOT_INSTALL = re.compile(r"Cannot install (?P<what>.+?) because these package versions")
_LINE = re.compile(r"\(line (?P<line>[0-9]+)\)")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

# Children still running, so that an interrupted run stops them instead of leaving them.
_RUNNING: set[subprocess.Popen[bytes]] = set()
_RUNNING_LOCK = threading.Lock()


def stop_all() -> None:
    """Stop every pip still running (the run was interrupted, or ends without waiting)."""
    with _RUNNING_LOCK:
        children = list(_RUNNING)
    for child in children:
        _kill(child)


atexit.register(stop_all)  # the worker threads are daemons: nothing else would stop pip


@dataclass(frozen=True)
class Target:
    """What pip is told about MWAA: Python (x.y.z), platform tags, and marker values."""

    python: str
    platforms: tuple[str, ...]
    markers: Mapping[str, str]


@dataclass
class Answer:
    """pip's answer for one requirements file."""

    installed: dict[str, str] = field(default_factory=dict)  # PEP 503 name -> version
    conflicts: list[RequirementsIssue] = field(default_factory=list)
    problems: list[RequirementsIssue] = field(default_factory=list)
    # The lines of the file to blame, which the caller may leave out to ask pip about the rest
    # (pip stops at the first conflict it meets).
    blamed: set[int] = field(default_factory=set)
    report: dict[str, Any] | None = None


def pip_problem(python: str) -> str | None:
    """Why `python -m pip` cannot do a dry-run resolution, or None."""
    if python == sys.executable:
        try:
            from importlib.metadata import PackageNotFoundError, version

            found = version("pip")
        except PackageNotFoundError:
            return f"pip is not installed with {python}"
    else:
        try:
            done = subprocess.run(
                [python, "-m", "pip", "--version"], capture_output=True, text=True, timeout=30
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{python} -m pip cannot run: {exc}"
        if done.returncode != 0:
            return f"{python} -m pip cannot run: {done.stderr.strip()[:200]}"
        found = done.stdout.split()[1] if len(done.stdout.split()) > 1 else "0"
    numbers = tuple(int(n) for n in re.findall(r"[0-9]+", found)[:2])
    if numbers < MINIMUM_PIP:
        return f"pip {found} cannot predict an install (--dry-run --report need pip 22.2 or later)"
    return None


def resolve(
    python: str,
    requirements: Path,
    constraints: Path,
    target: Target,
    work: Path,
    deadline: float,
    shown: str,
    direct: Mapping[str, int],
) -> Answer:
    """Run pip's resolver on `requirements` (a prepared copy; `shown` is how reports name the
    original) with `constraints`, until `deadline` (time.monotonic())."""
    report, log, output = work / "report.json", work / "pip.log", work / "pip.out"
    for stale in (report, log, output):
        stale.unlink(missing_ok=True)
    command = [
        python,
        "-m",
        "pip",
        "install",
        "--dry-run",
        "--ignore-installed",
        "--report",
        str(report),
        "--target",
        str(work / "target"),
        "--only-binary=:all:",
        "--python-version",
        target.python,
        "--implementation",
        "cp",
        *(f"--platform={tag}" for tag in target.platforms),
        "--no-color",
        "--progress-bar",
        "off",
        "--no-input",
        "--disable-pip-version-check",
        "--log",
        str(log),
        "-r",
        str(requirements),
        "-c",
        str(constraints),
    ]
    returncode = _run(command, output, deadline)
    text = output.read_text(encoding="utf-8", errors="replace") if output.exists() else ""
    debug = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    text = text.replace(str(requirements), shown)
    answer = Answer()
    unreachable = _unreachable(debug)
    where = Location(shown, 1)
    if returncode is None:
        if unreachable:
            answer.problems.append(_index_problem(unreachable, where, "pip gave up waiting"))
        else:
            answer.problems.append(
                RequirementsIssue(
                    "timeout",
                    "pip did not finish resolving in time (--resolve-timeout): the requirements "
                    "are not checked",
                    where,
                )
            )
        return answer
    if returncode == 0 and report.exists():
        data = json.loads(report.read_text(encoding="utf-8"))
        answer.report = data
        answer.installed = {
            canonicalize_name(item["metadata"]["name"]): item["metadata"]["version"]
            for item in data.get("install", [])
        }
        if unreachable:
            answer.problems.append(
                _index_problem(
                    unreachable, where, "pip resolved the file without it, so MWAA may differ"
                )
            )
        return answer
    _failure(text, debug, unreachable, shown, direct, answer)
    return answer


def _run(command: list[str], output: Path, deadline: float) -> int | None:
    """Run pip with its console output in `output`: its exit code, None when it had to be
    stopped at the deadline. Its own session, so that stopping it stops what it started."""
    environment = {
        **os.environ,
        # Nothing is installed: a rule that pip must run in a virtualenv, or install for the
        # user, does not apply; a build from source is never allowed.
        "PIP_REQUIRE_VIRTUALENV": "0",
        "PIP_USER": "0",
        "PYTHONIOENCODING": "utf-8",
    }
    environment.pop("PIP_NO_BINARY", None)
    with output.open("wb") as sink:
        child = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=environment,
            start_new_session=True,
        )
        with _RUNNING_LOCK:
            _RUNNING.add(child)
        try:
            return child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            _kill(child)
            return None
        finally:
            with _RUNNING_LOCK:
                _RUNNING.discard(child)
            if child.poll() is None:
                _kill(child)


def _kill(child: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(timeout=5)


def _unreachable(debug: str) -> list[str]:
    """The index or find-links locations pip could not read, each once: `url (why)`."""
    found: dict[str, str] = {}
    retrying: list[str] = []
    for match in _UNREACHABLE.finditer(debug):
        if match["url"]:
            found.setdefault(_site(match["url"]), _short(match["why"]))
        else:  # pip was still retrying (it logs the page's path only, not the host)
            retrying.append(_short(match["broken"]))
    if not found and retrying:
        return [f"the package index (retrying after {retrying[0]})"]
    return [f"{site} ({why})" for site, why in sorted(found.items())]


def _site(url: str) -> str:
    """An index's address without the project's page (one line per index, not per package)."""
    return url.rstrip("/").rsplit("/", 1)[0] if url.endswith("/") else url


def _short(why: str) -> str:
    errno = re.search(r"\[Errno -?[0-9]+\] [^'\")]+", why)
    return (errno[0] if errno else why)[:120].strip()


def _index_problem(unreachable: list[str], where: Location, consequence: str) -> RequirementsIssue:
    return RequirementsIssue(
        "index-unreachable",
        f"pip could not reach {', '.join(unreachable[:3])}"
        + (f" and {len(unreachable) - 3} more" if len(unreachable) > 3 else "")
        + f": {consequence}",
        where,
    )


def _failure(
    text: str,
    debug: str,
    unreachable: list[str],
    shown: str,
    direct: Mapping[str, int],
    answer: Answer,
) -> None:
    """What a failed resolution means: a conflict only when pip's answer is certain."""
    where = Location(shown, _line(text) or 1)
    if "ResolutionImpossible" in text:
        # A pinned project with nothing pip may install (only a source archive, an index that
        # cannot be reached) is reported as a conflict with its pin: it is not one.
        for name in _without_distributions(text):
            if not _found(debug, name):
                _unavailable(name, name, None, [], debug, unreachable, shown, direct, answer)
                return
        causes = _causes(text)
        names = tuple(sorted({n for c in causes for n in _names(c)}))
        answer.conflicts.append(
            RequirementsIssue(
                "resolver",
                "pip's resolver finds no solution: "
                + ("; ".join(causes) if causes else "ResolutionImpossible"),
                where,
                names,
            )
        )
        answer.blamed |= _lines(text)
        return
    other = _OTHER_PYTHON.search(text)
    if other is not None:
        name = canonicalize_name(other["name"])
        if name in direct:
            answer.blamed.add(direct[name])
        answer.conflicts.append(
            RequirementsIssue(
                "python",
                f"{other['name']} needs Python {other['spec']}, MWAA runs {other['python']}",
                Location(shown, direct.get(name, where.line)),
                (name,),
            )
        )
        return
    missing = _NO_VERSION.search(text)
    if missing is not None:
        wanted = missing["req"]
        name_match = _NAME.match(wanted)
        name = canonicalize_name(name_match[0]) if name_match else wanted
        parent = re.search(r"\(from (?P<parent>[^)]+)\)", wanted)
        versions = [v.strip() for v in missing["versions"].split(",") if v.strip() != "none"]
        needed_by = parent["parent"] if parent else None
        _unavailable(name, wanted, needed_by, versions, debug, unreachable, shown, direct, answer)
        return
    if unreachable:
        answer.problems.append(_index_problem(unreachable, where, "the file is not checked"))
        return
    errors = [line[len("ERROR: ") :] for line in text.splitlines() if line.startswith("ERROR: ")]
    answer.problems.append(
        RequirementsIssue(
            "pip",
            "pip could not resolve the file: " + (errors[0] if errors else _last_line(text)),
            where,
        )
    )


def _unavailable(
    name: str,
    wanted: str,
    parent: str | None,
    versions: list[str],
    debug: str,
    unreachable: list[str],
    shown: str,
    direct: Mapping[str, int],
    answer: Answer,
) -> None:
    """Nothing pip may install for project `name` (`wanted` as pip wrote it, asked for by
    `parent`, else by the file; `versions` the ones pip found): why, from pip's log."""
    line = direct.get(name) if parent is None else None
    here = Location(shown, line or 1)
    reasons = _skipped(debug, name)
    needed_by = f" (needed by {parent})" if parent else ""
    if unreachable and not versions:
        answer.problems.append(
            _index_problem(unreachable, here, f"{wanted} cannot be looked up: not checked")
        )
        return
    if line is not None:
        answer.blamed.add(line)
    if reasons["sdist"]:
        answer.problems.append(
            RequirementsIssue(
                "sdist-only",
                f"{wanted}{needed_by} has no wheel for MWAA's Python and platform, only a source "
                "archive, which MWAA builds on its image: whether that works cannot be "
                "predicted here",
                here,
                (name,),
            )
        )
        return
    if reasons["tags"] or reasons["python"]:
        what = []
        if reasons["tags"]:
            what.append("wheels for other Pythons or platforms (" + reasons["tags"][0] + ")")
        if reasons["python"]:
            what.append("releases that need another Python")
        answer.conflicts.append(
            RequirementsIssue(
                "no-distribution",
                f"{wanted}{needed_by}: nothing pip may install on MWAA, only " + " and ".join(what),
                here,
                (name,),
            )
        )
        return
    if versions:
        answer.conflicts.append(
            RequirementsIssue(
                "no-such-version",
                f"{wanted}{needed_by}: no such version on the index (it has "
                f"{', '.join(versions[-5:])})",
                here,
                (name,),
            )
        )
        return
    answer.problems.append(
        RequirementsIssue(
            "not-found",
            f"pip finds no project {name}{needed_by} on the indexes it uses here; if MWAA's "
            "index lacks it too, the install fails",
            here,
            (name,),
        )
    )


def _without_distributions(text: str) -> list[str]:
    """The projects pip lists under "no matching distributions available for your
    environment" after a ResolutionImpossible."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if "no matching distributions" in line), None)
    if start is None:
        return []
    names: list[str] = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        names.append(canonicalize_name(line.strip()))
    return names


def _found(debug: str, name: str) -> bool:
    """Whether pip's log says it found a file of project `name` it could install."""
    return any(
        _project(match["link"].rsplit("/", 1)[-1].split("#", 1)[0]) == name
        for match in _FOUND.finditer(debug)
    )


def _skipped(debug: str, name: str) -> dict[str, list[str]]:
    """Why pip's log says it skipped the files of project `name`."""
    found: dict[str, list[str]] = {"sdist": [], "tags": [], "python": []}
    for match in _SKIPPED.finditer(debug):
        link, why = match["link"], match["why"]
        filename = link.rsplit("/", 1)[-1].split("#", 1)[0]
        if _project(filename) != name:
            continue
        if "No sources permitted" in why:
            found["sdist"].append(filename)
        elif "tags" in why:
            found["tags"].append(filename)
        elif "Python" in why:
            found["python"].append(filename)
    return found


def _project(filename: str) -> str | None:
    try:
        if filename.endswith(".whl"):
            return canonicalize_name(parse_wheel_filename(filename)[0])
        return canonicalize_name(parse_sdist_filename(filename)[0])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None


def _causes(text: str) -> list[str]:
    """The lines after "The conflict is caused by:", in the report's words, at most four."""
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if "The conflict is caused by" in line)
    except StopIteration:
        return []
    causes = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        causes.append(_cause(line.strip()))
    if len(causes) > 4:
        causes = [*causes[:4], f"and {len(causes) - 4} more"]
    return causes


def _cause(line: str) -> str:
    if line.startswith("The user requested (constraint) "):
        return "the constraints pin " + line[len("The user requested (constraint) ") :]
    if line.startswith("The user requested "):
        return "the file asks for " + line[len("The user requested ") :]
    return line


_CAUSE_NAMES = (
    re.compile(r"^the constraints pin (?P<a>[A-Za-z0-9][A-Za-z0-9._-]*)"),
    re.compile(r"^the file asks for (?P<a>[A-Za-z0-9][A-Za-z0-9._-]*)"),
    re.compile(
        r"^(?P<a>[A-Za-z0-9][A-Za-z0-9._-]*) \S+ depends on (?P<b>[A-Za-z0-9][A-Za-z0-9._-]*)"
    ),
)


def _names(cause: str) -> Iterator[str]:
    """The projects a cause line names."""
    for pattern in _CAUSE_NAMES:
        match = pattern.match(cause)
        if match:
            yield from (canonicalize_name(name) for name in match.groups() if name)


def _line(text: str) -> int | None:
    return min(_lines(text), default=None)


def _lines(text: str) -> set[int]:
    """The lines of the file pip says it cannot install ("Cannot install -r … (line 2) and …")."""
    cannot = _CANNOT_INSTALL.search(text)
    return {int(found["line"]) for found in _LINE.finditer(cannot["what"])} if cannot else set()


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"


def _this_machine() -> dict[str, str]:
    return {key: str(value) for key, value in default_environment().items()}


def host_markers(python: str) -> dict[str, str]:
    """The marker values pip decides with when `python` runs it (this machine's)."""
    if python == sys.executable:
        return _this_machine()
    code = (
        "import json; from pip._vendor.packaging.markers import default_environment as d; "
        "print(json.dumps(d()))"
    )
    try:
        done = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=30)
        found = json.loads(done.stdout)
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError):
        return _this_machine()
    return {str(key): str(value) for key, value in found.items()}


def marker_differences(
    report: Mapping[str, Any], host: Mapping[str, str], target: Mapping[str, str]
) -> list[tuple[str, str]]:
    """(package, requirement) of the dependencies whose environment markers pip decided on this
    machine (`host`) differently from MWAA's Python and platform (`target`): the resolution
    here may then not be MWAA's."""
    keys = (
        "python_version",
        "python_full_version",
        "sys_platform",
        "platform_system",
        "platform_machine",
        "os_name",
        "implementation_name",
        "platform_python_implementation",
    )
    if all(host.get(key) == target.get(key) for key in keys):
        return []
    items = report.get("install", [])
    extras: dict[str, set[str]] = {}
    for item in items:
        name = canonicalize_name(item["metadata"]["name"])
        extras.setdefault(name, set()).update(item.get("requested_extras") or ())
    requires = {canonicalize_name(item["metadata"]["name"]): _requirements(item) for item in items}
    for _ in range(3):  # extras a dependency asks for, and theirs
        for name, found in requires.items():
            for requirement in found:
                if requirement.extras and _applies(requirement, host, extras.get(name, set())):
                    extras.setdefault(canonicalize_name(requirement.name), set()).update(
                        requirement.extras
                    )
    differences: list[tuple[str, str]] = []
    for name, found in sorted(requires.items()):
        for requirement in found:
            if requirement.marker is None:
                continue
            wanted = extras.get(name, set())
            if _applies(requirement, host, wanted) != _applies(requirement, target, wanted):
                differences.append((name, str(requirement)))
    return differences


def _requirements(item: Mapping[str, Any]) -> list[Requirement]:
    found = []
    for text in item["metadata"].get("requires_dist") or ():
        try:
            found.append(Requirement(text))
        except InvalidRequirement:
            continue
    return found


def _applies(requirement: Requirement, environment: Mapping[str, str], extras: set[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(
        requirement.marker.evaluate({**environment, "extra": extra}) for extra in {"", *extras}
    )
