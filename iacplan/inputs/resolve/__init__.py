"""`--resolve`: will the requirements install on the head version? pip's own answer.

For each environment whose version changes, its requirements file (the one found or given
for the head) is resolved on the head version: the head's constraints file (from the mirror,
cached), a static check of the file's pins against it, then pip's resolver with MWAA's Python
and platform tags (`prepare.py`, `pip.py`). The same file is resolved on the base version
too, to list what changes. Each distinct (file, version) is resolved once, in a background
thread, as soon as `want` asks for it: `start` right after the changes are known, `attach`
once the rest of the check is done, which joins the results to the head environments
(`Environment.resolution`) for the rules (MWAA017, MWAA018), the plan and the report.

Nothing here runs without `--resolve`: it is the only part of `check` besides `--live` that
may use the network.
"""

from __future__ import annotations

import os
import queue
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path

from packaging.version import Version

from iacplan.catalog.versions import Catalog, Release, parse_version
from iacplan.inputs.files import read_text
from iacplan.inputs.resolve import pip
from iacplan.inputs.resolve.constraints import DEFAULT_MIRROR, Mirror, Unavailable, fetch
from iacplan.inputs.resolve.prepare import (
    constraints_text,
    marker_environment,
    pin_conflicts,
    prepare,
    read_pins,
)
from iacplan.model import (
    Change,
    Environment,
    Location,
    PackageChange,
    Requirements,
    RequirementsIssue,
    Resolution,
    ResolveOutcome,
    ValueState,
)
from iacplan.runtime.signals import terminated_as_interrupt

__all__ = ["DEFAULT_MIRROR", "DEFAULT_TIMEOUT", "Mirror", "Pending", "Settings", "start"]

DEFAULT_TIMEOUT = 120.0  # seconds per distinct requirements file and version
WORKERS = 4  # pip runs at once: each mostly waits on the index
RETRIES = 4  # times a file is resolved again without the lines pip blamed, to check the rest


@dataclass(frozen=True)
class Settings:
    mirror: Mirror = field(default_factory=lambda: Mirror(DEFAULT_MIRROR))
    timeout: float = DEFAULT_TIMEOUT
    allow_index: bool = False  # follow --index-url / --extra-index-url / --find-links lines
    # The interpreter whose pip resolves: iacplan's own unless IACPLAN_RESOLVE_PYTHON names
    # another (one with MWAA's Python decides environment markers exactly as MWAA does).
    python: str = field(default_factory=lambda: os.environ.get("IACPLAN_RESOLVE_PYTHON") or "")

    @property
    def interpreter(self) -> str:
        return self.python or sys.executable


@dataclass(frozen=True)
class _Job:
    path: str  # absolute
    shown: str
    airflow: Version


@dataclass(frozen=True)
class _Result:
    """One file resolved on one version."""

    python: str | None
    platforms: tuple[str, ...]
    constraints: str | None
    conflicts: tuple[RequirementsIssue, ...]
    problems: tuple[RequirementsIssue, ...]
    installed: tuple[tuple[str, str], ...] | None  # None: pip gave no resolution


def start(changes: Sequence[Change], catalog: Catalog, settings: Settings) -> Pending:
    """Begin resolving every file the changes need; `Pending.attach` collects the answers."""
    pending = Pending(catalog, settings)
    for change in changes:
        pending.want_for(change)
    return pending


class Pending:
    """The resolutions under way: background threads, each running pip for one job."""

    def __init__(self, catalog: Catalog, settings: Settings) -> None:
        self.catalog = catalog
        self.settings = settings
        self._jobs: dict[tuple[str, Version], Future[_Result]] = {}
        self._queue: queue.Queue[tuple[_Job, Future[_Result]] | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._constraints: dict[tuple[str, str], tuple[str, str] | Unavailable] = {}
        self._constraints_locks: dict[tuple[str, str], threading.Lock] = {}
        self._lock = threading.Lock()
        self._pip_problem: str | bool | None = False  # False: not asked yet
        self._host: dict[str, str] | None = None

    # What to resolve ----------------------------------------------------------------------

    def want(self, requirements: Requirements, version: Version) -> Future[_Result] | None:
        """Resolve `requirements` on `version` (once, however often it is asked for)."""
        if requirements.path is None or self.catalog.release(version) is None:
            return None
        key = (requirements.path, version)
        with self._lock:
            if key not in self._jobs:
                future: Future[_Result] = Future()
                self._jobs[key] = future
                self._queue.put((_Job(requirements.path, requirements.file, version), future))
                if len(self._threads) < min(WORKERS, len(self._jobs)):
                    thread = threading.Thread(
                        target=self._work, name="iacplan-resolve", daemon=True
                    )
                    thread.start()
                    self._threads.append(thread)
            return self._jobs[key]

    def want_for(self, change: Change) -> None:
        wanted = _wanted(change)
        if wanted is None:
            return
        head, base, requirements = wanted
        if requirements is None:
            return
        self.want(requirements, head)
        base_file = change.base.requirements if change.base and change.base.requirements else None
        self.want(base_file or requirements, base)

    # The answers ---------------------------------------------------------------------------

    def attach(self, changes: Sequence[Change]) -> list[Change]:
        """The changes with each head environment's resolution, waiting for what is still
        running (each job stops itself at its deadline)."""
        try:
            # CI cancels with SIGTERM: unwind as for Ctrl-C, so that pip is stopped too.
            with terminated_as_interrupt():
                for change in changes:  # what --live made a version change, say
                    self.want_for(change)
                return [self._attached(change) for change in changes]
        except BaseException:
            pip.stop_all()
            raise
        finally:
            for _ in self._threads:
                self._queue.put(None)

    def _attached(self, change: Change) -> Change:
        wanted = _wanted(change)
        if wanted is None or change.head is None:
            return change
        head, base, requirements = wanted
        release = self.catalog.release(head)
        if release is None:
            return change  # MWAA004: a version MWAA does not offer has no constraints
        if requirements is None:
            resolution = _no_file(change.head, head, release)
        else:
            result = self._result(requirements, head)
            base_file = change.base.requirements if change.base else None
            base_result = self._result(base_file or requirements, base)
            resolution = _resolution(requirements.file, head, result, base, base_result)
        return replace(change, head=replace(change.head, resolution=resolution))

    def _result(self, requirements: Requirements, version: Version) -> _Result | None:
        future = self.want(requirements, version)
        if future is None:
            return None
        return future.result()  # each job stops itself at its deadline

    # The work ------------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            job, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(self._resolve(job))
            except BaseException as exc:  # handed to the main thread, which raises it
                future.set_exception(exc)

    def _resolve(self, job: _Job) -> _Result:
        deadline = time.monotonic() + self.settings.timeout
        release = self.catalog.release(job.airflow)
        assert release is not None
        where = Location(job.shown, 1)
        python = release.python_full or release.python
        if release.image is None:
            problem = RequirementsIssue(
                "no-platform",
                f"the version catalog does not say which image MWAA runs {job.airflow} on, so "
                "pip's platform is unknown: not resolved (add `image` to the catalog)",
                where,
            )
            return _Result(python, (), None, (), (problem,), None)
        platforms = release.image.pip_platforms()
        target = marker_environment(python, release.image.arch)
        try:
            text = read_text(Path(job.path))
        except Exception as exc:  # an InputError: the file changed or went away
            problem = RequirementsIssue("pip", f"cannot read the file: {exc}", where)
            return _Result(python, platforms, None, (), (problem,), None)
        prepared = prepare(
            text, job.shown, Path(job.path).parent, target, self.settings.allow_index
        )
        problems = list(prepared.problems)
        try:
            constraints, source = self._constraints_for(str(job.airflow), release.python, deadline)
        except Unavailable as exc:
            problems.append(
                RequirementsIssue(
                    "no-constraints",
                    f"the constraints for {job.airflow} cannot be had: {exc}; with no cached "
                    "copy, the requirements are not checked (give --constraints-mirror a "
                    "directory to work offline)",
                    where,
                )
            )
            return _Result(python, platforms, None, (), tuple(problems), None)
        pins = read_pins(constraints, target)
        label = f"constraints-{job.airflow}/constraints-{release.python}.txt"
        conflicts = list(pin_conflicts(prepared.direct, pins, job.shown, label, str(job.airflow)))
        if prepared.blocked:
            return _Result(python, platforms, source, tuple(conflicts), tuple(problems), None)
        if self._pip_problem is False:
            self._pip_problem = pip.pip_problem(self.settings.interpreter)
        if isinstance(self._pip_problem, str):
            problems.append(RequirementsIssue("pip", self._pip_problem, where))
            return _Result(python, platforms, source, tuple(conflicts), tuple(problems), None)
        # A line already known to conflict is left out: pip then looks at the rest.
        without = frozenset(c.location.line for c in conflicts)
        if all(
            not line or line.startswith("-")
            for n, line in enumerate(prepared.lines, 1)
            if n not in without
        ):  # no requirement left for pip (old pips refuse an empty file): nothing to install
            return _Result(python, platforms, source, tuple(conflicts), tuple(problems), ())
        lines = {entry.name: entry.line for entry in reversed(prepared.direct)}
        pip_target = pip.Target(python, platforms, target)
        installed: tuple[tuple[str, str], ...] | None = None
        try:
            with tempfile.TemporaryDirectory(prefix="iacplan-resolve-") as work:
                folder = Path(work)
                pinned = folder / "constraints.txt"
                pinned.write_text(
                    constraints_text(pins, str(job.airflow), source), encoding="utf-8"
                )
                copy = folder / "requirements.txt"
                for _ in range(RETRIES + 1):
                    copy.write_text(prepared.text(without), encoding="utf-8")
                    answer = pip.resolve(
                        self.settings.interpreter,
                        copy,
                        pinned,
                        pip_target,
                        folder,
                        deadline,
                        job.shown,
                        lines,
                    )
                    conflicts += answer.conflicts
                    problems += answer.problems
                    if answer.report is not None:
                        installed = tuple(sorted(answer.installed.items()))
                        problems += self._markers(answer.report, target, job.shown)
                        break
                    blamed = answer.blamed - without
                    if not blamed or time.monotonic() >= deadline:
                        break
                    without |= blamed  # and ask about the rest
        except OSError as exc:
            problems.append(RequirementsIssue("pip", f"cannot run pip: {exc}", where))
        return _Result(python, platforms, source, tuple(conflicts), tuple(problems), installed)

    def _constraints_for(self, airflow: str, python: str, deadline: float) -> tuple[str, str]:
        """The constraints file's text and where it came from, fetched once per run."""
        key = (airflow, python)
        with self._lock:
            lock = self._constraints_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._constraints:
                try:
                    found: tuple[str, str] | Unavailable = fetch(
                        self.settings.mirror,
                        airflow,
                        python,
                        min(30.0, max(deadline - time.monotonic(), 1.0)),
                    )
                except Unavailable as exc:
                    found = exc
                self._constraints[key] = found
            result = self._constraints[key]
        if isinstance(result, Unavailable):
            raise result
        return result

    def _markers(
        self, report: dict[str, object], target: dict[str, str], shown: str
    ) -> list[RequirementsIssue]:
        with self._lock:
            if self._host is None:
                self._host = pip.host_markers(self.settings.interpreter)
            host = self._host
        differences = pip.marker_differences(report, host, target)
        if not differences:
            return []
        listed = "; ".join(f"{name} requires {req}" for name, req in differences[:3])
        more = f" and {len(differences) - 3} more" if len(differences) > 3 else ""
        return [
            RequirementsIssue(
                "markers",
                f"pip ran with Python {host.get('python_full_version')} on "
                f"{host.get('sys_platform')} {host.get('platform_machine')}; MWAA runs "
                f"{target['python_full_version']} on linux {target['platform_machine']}, where "
                f"these dependencies' markers decide otherwise: {listed}{more} — run iacplan "
                "with that Python (or IACPLAN_RESOLVE_PYTHON) for MWAA's exact answer",
                Location(shown, 1),
                tuple(sorted({name for name, _ in differences})),
            )
        ]


def _wanted(change: Change) -> tuple[Version, Version, Requirements | None] | None:
    """(head version, base version, the head's file) when the version changes and the head
    environment installs a requirements file; the file is None when it was not found here."""
    if change.base is None or change.head is None:
        return None
    versions = []
    for env in (change.head, change.base):
        if env.version.state is not ValueState.KNOWN:
            return None
        version = parse_version(env.version.text or "")
        if version is None:
            return None
        versions.append(version)
    head, base = versions
    if head == base or not any(f.role == "requirements" for f in change.head.files):
        return None
    return head, base, change.head.requirements


def _no_file(env: Environment, version: Version, release: Release) -> Resolution:
    configured = next(f for f in env.files if f.role == "requirements")
    key = configured.path.text if configured.path.state is ValueState.KNOWN else None
    why = (
        f"no local copy of {key} (requirements_s3_path) was found next to the configuration"
        if key
        else "the requirements file's S3 key cannot be resolved"
    )
    problem = RequirementsIssue(
        "no-file",
        f"{why}: the requirements MWAA installs are not checked; pass --requirements FILE",
        configured.path.location,
    )
    return Resolution(
        file=None,
        airflow=str(version),
        python=release.python_full or release.python,
        platforms=release.image.pip_platforms() if release.image else (),
        constraints=None,
        outcome=ResolveOutcome.UNVERIFIED,
        problems=(problem,),
    )


def _resolution(
    shown: str,
    head: Version,
    result: _Result | None,
    base: Version,
    base_result: _Result | None,
) -> Resolution:
    assert result is not None  # the head version is in the catalog
    outcome = (
        ResolveOutcome.CONFLICT
        if result.conflicts
        else ResolveOutcome.UNVERIFIED
        if result.problems or result.installed is None
        else ResolveOutcome.RESOLVES
    )
    changes: tuple[PackageChange, ...] | None = None
    note: str | None = None
    if outcome is not ResolveOutcome.RESOLVES:
        note = None
    elif base_result is None:
        note = f"{base} is not in the version catalog: nothing to compare with"
    elif base_result.installed is None or base_result.conflicts or base_result.problems:
        issues = [*base_result.conflicts, *base_result.problems]
        why = issues[0].message if issues else "pip gave no resolution"
        note = f"the same file does not resolve on {base} ({why}): nothing to compare with"
    else:
        changes = _changed(dict(base_result.installed), dict(result.installed or ()))
    return Resolution(
        file=shown,
        airflow=str(head),
        python=result.python,
        platforms=result.platforms,
        constraints=result.constraints,
        outcome=outcome,
        conflicts=result.conflicts,
        problems=result.problems,
        packages=result.installed or (),
        base_airflow=str(base),
        changes=changes,
        base_note=note,
    )


def _changed(before: dict[str, str], after: dict[str, str]) -> tuple[PackageChange, ...]:
    return tuple(
        PackageChange(name, before.get(name), after.get(name))
        for name in sorted(before.keys() | after.keys())
        if before.get(name) != after.get(name)
    )
