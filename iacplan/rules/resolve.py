"""MWAA017, MWAA018: what `--resolve` found when pip resolved the requirements on the head
version (`Environment.resolution`, joined before the rules run)."""

from __future__ import annotations

from collections.abc import Iterator

from iacplan.model import Change, Resolution, Severity, ValueState
from iacplan.rules.base import Context, Hit, Rule


def _resolution(change: Change) -> Resolution | None:
    """The head's resolution, when it was made for the version this change has (a variant of
    an unresolved condition has another version, and no resolution of its own)."""
    head = change.head
    if head is None or head.resolution is None or head.version.state is not ValueState.KNOWN:
        return None
    return head.resolution if head.resolution.airflow == head.version.text else None


def _on(resolution: Resolution) -> str:
    python = f", Python {resolution.python}" if resolution.python else ""
    return f"on Airflow {resolution.airflow}{python}"


def _conflicts(change: Change, context: Context) -> Iterator[Hit]:
    resolution = _resolution(change)
    if resolution is None:
        return
    for conflict in resolution.conflicts:
        yield Hit(
            f"the requirements cannot be installed {_on(resolution)}: {conflict.message} — "
            "MWAA would roll the update back, after up to two hours of downtime",
            conflict.location,
        )


def _unchecked(change: Change, context: Context) -> Iterator[Hit]:
    resolution = _resolution(change)
    if resolution is None:
        return
    for problem in resolution.problems:
        yield Hit(
            f"the requirements could not be fully checked {_on(resolution)}: {problem.message}",
            problem.location,
        )


UNINSTALLABLE = Rule(
    "MWAA017",
    Severity.ERROR,
    "--resolve: the requirements cannot be installed on the head version (constraints or "
    "resolver conflict)",
    _conflicts,
)
UNRESOLVED_REQUIREMENTS = Rule(
    "MWAA018",
    Severity.WARNING,
    "--resolve: the requirements could not be checked (no constraints, index unreachable, "
    "sdist-only, timeout)",
    _unchecked,
)
