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
    id="MWAA017",
    severity=Severity.ERROR,
    name="requirements-do-not-install",
    summary="`--resolve`: the requirements cannot be installed on the head version: a "
    "requirement excludes the constraints' pin, or pip's resolver finds no solution (with "
    "pip's conflict)",
    description="MWAA installs the environment's requirements on the new version during the "
    "upgrade; when they do not install, the upgrade rolls back after up to two hours of "
    "downtime, or the environment ends unavailable. Change the requirement that conflicts with "
    "the new version's constraints (pip's conflict names it) before upgrading.",
    help_title="Installing Python dependencies (Amazon MWAA)",
    help_url="https://docs.aws.amazon.com/mwaa/latest/userguide/working-dags-dependencies.html",
    check=_conflicts,
    tags=("mwaa", "requirements"),
)
UNRESOLVED_REQUIREMENTS = Rule(
    id="MWAA018",
    severity=Severity.WARNING,
    name="requirements-not-checked",
    summary="`--resolve`: the requirements could not be (fully) checked: no constraints, index "
    "unreachable, only a source archive, not found, timeout, an index line not allowed, "
    "markers decided on another Python",
    description="iacplan could not tell whether the requirements install on the head version, "
    "so the upgrade may still stop while MWAA installs them. Give the constraints "
    "(`--constraints-mirror`) and a reachable index, allow the requirements' index lines "
    "(`--allow-requirements-index`), or test the requirements with the MWAA local runner.",
    help_title="Installing Python dependencies (Amazon MWAA)",
    help_url="https://docs.aws.amazon.com/mwaa/latest/userguide/working-dags-dependencies.html",
    check=_unchecked,
    tags=("mwaa", "requirements"),
)
