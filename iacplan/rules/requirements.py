"""MWAA011: a local requirements.txt whose constraints or apache-airflow pin do not fit the
head version (MWAA_FACTS §4)."""

from __future__ import annotations

from collections.abc import Iterator

from packaging.version import Version

from iacplan.catalog import constraints
from iacplan.catalog.versions import parse_version
from iacplan.model import Change, ChangeKind, Location, Severity, ValueState
from iacplan.rules.base import Context, Hit, Rule

# From 2.7.2 MWAA adds the constraints line itself when requirements.txt has none.
ADDS_CONSTRAINTS_SINCE = Version("2.7.2")


def _requirements(change: Change, context: Context) -> Iterator[Hit]:
    head = change.head
    if head is None or head.requirements is None or head.version.state is not ValueState.KNOWN:
        return
    version = parse_version(head.version.text or "")
    release = context.catalog.release(version) if version else None
    if version is None or release is None:
        return  # MWAA004 and MWAA008 say why the version cannot be judged
    requirements = head.requirements
    expected = constraints.line(version, release.python)
    # With an include the line may be in the file included, which is not read.
    missing = not requirements.constraints and not requirements.includes
    if missing and change.kind is not ChangeKind.UNCHANGED:
        yield _missing(version, expected, Location(requirements.file, 1))
    for line in requirements.constraints:
        if line.airflow is None:
            continue  # cannot be checked here; the source notes it
        if (line.airflow, line.file) != (str(version), constraints.file_name(release.python)):
            yield Hit(
                f"the constraints line names constraints-{line.airflow}/{line.file}, but the "
                f"environment runs Airflow {version} on Python {release.python}, so pip resolves "
                f"against the wrong pins; use {expected}",
                line.location,
            )
    if not requirements.airflow_pins:
        return
    from packaging.specifiers import SpecifierSet  # ~20 ms: only for a file that pins Airflow

    for pin in requirements.airflow_pins:
        if not SpecifierSet(pin.text).contains(version, prereleases=True):
            yield Hit(
                f"apache-airflow{pin.text} does not allow {version}, the version MWAA installs: "
                "pip refuses the file or replaces Airflow; remove the line or pin "
                f"apache-airflow=={version}",
                pin.location,
            )


def _missing(version: Version, expected: str, where: Location) -> Hit:
    if version >= ADDS_CONSTRAINTS_SINCE:
        why = (
            f"MWAA adds the one for {version} itself (since {ADDS_CONSTRAINTS_SINCE}), but "
            "writing it keeps local installs the same as MWAA's"
        )
    else:
        why = (
            f"before {ADDS_CONSTRAINTS_SINCE} MWAA installs the requirements without one, so "
            f"pip may pick provider versions that do not work with Airflow {version}"
        )
    return Hit(f"the requirements file has no constraints line: {why}; add {expected}", where)


REQUIREMENTS = Rule(
    id="MWAA011",
    severity=Severity.WARNING,
    name="requirements-constraints",
    summary="the local requirements.txt's constraints line is not the head version's (or "
    "missing), or an `apache-airflow` pin excludes it",
    description="MWAA installs `requirements.txt` with pip against Apache Airflow's "
    "constraints file for the environment's Airflow and Python versions. A constraints line "
    "for another version makes pip resolve against the wrong pins, and an `apache-airflow` pin "
    "that excludes the installed version makes pip refuse the file or replace Airflow. From "
    "2.7.2 MWAA adds the constraints line itself when there is none. Point `--constraint` at "
    "the head version's constraints file, as the message shows.",
    help_title="Constraints file (Amazon MWAA provider packages)",
    help_url="https://docs.aws.amazon.com/mwaa/latest/userguide/connections-packages.html"
    "#connections-packages-constraints",
    check=_requirements,
    tags=("mwaa", "requirements"),
)
