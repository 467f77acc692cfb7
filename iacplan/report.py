"""The report: one dataclass that every output format is rendered from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import Any

from iacplan import __version__, safe
from iacplan.catalog.versions import Catalog
from iacplan.model import (
    Bucket,
    Change,
    ChangeKind,
    Environment,
    Finding,
    Location,
    PackageChange,
    RequirementsIssue,
    Resolution,
    ResolveOutcome,
    Severity,
    ValueState,
    Versioning,
)
from iacplan.schemas import validate
from iacplan.upgrade.plan import Plan
from iacplan.upgrade.plan import make as make_plan
from iacplan.upgrade.rollout import Ordering, Rollout, RolloutEntry, rollout

SCHEMA_VERSION = "1.0"


class Verdict(StrEnum):
    ALLOWED = "allowed"
    REJECTED = "rejected"
    UNVERIFIED = "unverified"
    UNCHANGED = "unchanged"


class VersionState(StrEnum):
    """What a report says about one side's version when there is no version to show."""

    KNOWN = "known"
    UNKNOWN = "unknown"
    NOT_SET = "not-set"
    ABSENT = "absent"  # the environment does not exist on this side
    NO_BASE = "no-base"  # checked on its own: no base was given


@dataclass(frozen=True)
class EnvironmentEntry:
    """One environment as the report shows it: exactly the JSON fields, nothing computed later."""

    id: str
    kind: str
    address: str
    name: str | None
    file: str
    line: int
    base_version: str | None
    base_state: VersionState
    head_version: str | None
    head_state: VersionState
    change: ChangeKind
    verdict: Verdict
    evaluated_alone: bool
    planned_action: str | None
    planned_detail: str | None
    notes: tuple[str, ...]
    source_bucket: Bucket | None
    plan: Plan | None
    resolution: Resolution | None = None  # --resolve: pip's answer on the head version

    def shown(self, side: str) -> str:
        """A side's version as people read it: the value, or why there is none."""
        version, state = (
            (self.base_version, self.base_state)
            if side == "base"
            else (self.head_version, self.head_state)
        )
        if state is VersionState.KNOWN:
            # A line break or control character in a version must not break the output's
            # lines (a text report read by a CI log parser, a Markdown table row).
            return "".join(c if c.isprintable() else repr(c)[1:-1] for c in version or "")
        return f"({state.value.replace('-', ' ')})"


@dataclass(frozen=True)
class Report:
    catalog_date: str
    catalog_source: str
    environments: tuple[EnvironmentEntry, ...]
    findings: tuple[Finding, ...]
    rollout: Rollout
    # What was checked: the HEAD paths as given (`iacplan terraform`: its directory). SARIF
    # derives the code-scanning category from it. Not in the JSON report: () when read back.
    targets: tuple[str, ...] = ()
    # Root modules and templates no changed file can affect: not evaluated, so their
    # environments are not in `environments` (iacplan.inputs.untouched).
    untouched: int = 0

    def active(self, minimum: Severity | None = None) -> list[Finding]:
        """Unsuppressed findings, optionally only those at or above `minimum`."""
        return [
            f
            for f in self.findings
            if not f.suppressed and (minimum is None or f.severity.rank >= minimum.rank)
        ]

    def findings_of(self, env_id: str) -> list[Finding]:
        return self._by_environment.get(env_id, [])

    @cached_property
    def _by_environment(self) -> dict[str, list[Finding]]:
        # Renderers ask once per environment: one pass, not one scan per environment.
        return _grouped(self.findings)

    def summary(self) -> dict[str, int]:
        counts = {"environments": len(self.environments)}
        for verdict in Verdict:
            counts[verdict.value] = sum(e.verdict is verdict for e in self.environments)
        counts["errors"] = len(self.active(Severity.ERROR))
        counts["warnings"] = len(self.active()) - counts["errors"]
        counts["suppressed"] = sum(f.suppressed for f in self.findings)
        counts["untouched"] = self.untouched
        return counts

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, valid against schemas/report.schema.json."""
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "iacplan", "version": __version__},
            "catalog": {"date": self.catalog_date, "source": self.catalog_source},
            "environments": [_environment_dict(e) for e in self.environments],
            "findings": [_finding_dict(f) for f in self.findings],
            "rollout": asdict(self.rollout),
            "summary": self.summary(),
        }

    @classmethod
    def from_dict(cls, data: Any, source: str) -> Report:
        """A report written earlier by `--format json`, validated against its schema."""
        validate(data, "report.schema.json", source)
        return safe.scrub(
            cls(
                catalog_date=data["catalog"]["date"],
                catalog_source=data["catalog"]["source"],
                environments=tuple(_environment_entry(e) for e in data["environments"]),
                findings=tuple(
                    Finding(
                        rule=f["rule"],
                        severity=Severity(f["severity"]),
                        message=f["message"],
                        environment=f["environment"],
                        location=Location(f["file"], f["line"]),
                        suppressed=f["suppressed"],
                        suppression_reason=f["suppression_reason"],
                    )
                    for f in data["findings"]
                ),
                rollout=Rollout(
                    data["rollout"]["rule"],
                    tuple(RolloutEntry(**entry) for entry in data["rollout"]["order"]),
                ),
                untouched=data["summary"].get("untouched", 0),
            )
        )


def build(
    changes: Sequence[Change],
    findings: Sequence[Finding],
    catalog: Catalog,
    today: date,
    ordering: Ordering | None = None,
    targets: tuple[str, ...] = (),
    untouched: int = 0,
) -> Report:
    order = {change.id: i for i, change in enumerate(changes)}
    ordered = sorted(findings, key=lambda f: (order[f.environment], f.rule, f.location, f.message))
    grouped = _grouped(ordered)
    entries = []
    for change in changes:
        verdict = _verdict(change, grouped.get(change.id, []))
        found = grouped.get(change.id, [])
        plan = make_plan(change, verdict.value, found, catalog, today)
        entries.append(_entry(change, verdict, plan))
    # Unverified environments are in the rollout too: they may well change, and leaving them
    # out would hide them from the order people follow.
    planned = [
        c
        for c, e in zip(changes, entries, strict=True)
        if e.plan is not None or (e.verdict is Verdict.UNVERIFIED and c.head is not None)
    ]
    # Every string of the report, in every format, without secret shapes (safe.py; the values
    # were described before the rules saw them).
    return safe.scrub(
        Report(
            catalog_date=catalog.catalog_date.isoformat(),
            catalog_source=catalog.source,
            environments=tuple(entries),
            findings=tuple(ordered),
            rollout=rollout(planned, ordering or Ordering()),
            targets=targets,
            untouched=untouched,
        )
    )


def _grouped(findings: Sequence[Finding]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.environment, []).append(finding)
    return grouped


def overall_verdict(report: Report) -> Verdict | None:
    """The banner: the worst verdict of any environment; None when there is none."""
    verdicts = {e.verdict for e in report.environments}
    for verdict in (Verdict.REJECTED, Verdict.UNVERIFIED, Verdict.ALLOWED, Verdict.UNCHANGED):
        if verdict in verdicts:
            return verdict
    return None


def _state(change: Change, env: Environment | None) -> VersionState:
    if env is None:
        return VersionState.NO_BASE if change.kind is ChangeKind.NO_BASE else VersionState.ABSENT
    return {
        ValueState.KNOWN: VersionState.KNOWN,
        ValueState.UNKNOWN: VersionState.UNKNOWN,
        ValueState.MISSING: VersionState.NOT_SET,
    }[env.version.state]


def _entry(change: Change, verdict: Verdict, plan: Plan | None) -> EnvironmentEntry:
    env = change.subject
    return EnvironmentEntry(
        id=change.id,
        kind=env.kind,
        address=env.address,
        name=env.name.text,
        file=env.location.file,
        line=env.location.line,
        base_version=change.base.version.text if change.base else None,
        base_state=_state(change, change.base),
        head_version=change.head.version.text if change.head else None,
        head_state=_state(change, change.head),
        change=change.kind,
        verdict=verdict,
        evaluated_alone=env.evaluated_alone,
        planned_action=env.planned.action.value if env.planned else None,
        planned_detail=env.planned.detail if env.planned else None,
        notes=env.notes,
        source_bucket=replace(env.bucket, location=None) if env.bucket else None,
        plan=plan,
        resolution=change.head.resolution if change.head else None,
    )


def _verdict(change: Change, findings: Sequence[Finding]) -> Verdict:
    if any(f.severity is Severity.ERROR and not f.suppressed for f in findings):
        return Verdict.REJECTED
    sides = [env for env in (change.base, change.head) if env is not None]
    if change.replacement_doubt is not None or any(env.existence is not None for env in sides):
        return Verdict.UNVERIFIED
    if change.kind is ChangeKind.UNCHANGED and all(
        env.version.state is ValueState.MISSING for env in sides
    ):
        return Verdict.UNCHANGED  # set on neither side: apply changes no version
    if change.kind is ChangeKind.UNKNOWN or any(
        env.version.state is not ValueState.KNOWN for env in sides
    ):
        return Verdict.UNVERIFIED
    if change.kind is ChangeKind.UNCHANGED:
        return Verdict.UNCHANGED
    return Verdict.ALLOWED


def _bucket_dict(bucket: Bucket | None) -> dict[str, Any] | None:
    if bucket is None:
        return None
    return {
        "id": bucket.id,
        "versioning": bucket.versioning.value,
        "in_config": bucket.in_config,
        "reason": bucket.reason,
    }


def _environment_dict(entry: EnvironmentEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "kind": entry.kind,
        "address": entry.address,
        "name": entry.name,
        "file": entry.file,
        "line": entry.line,
        "base_version": entry.base_version,
        "base_state": entry.base_state.value,
        "head_version": entry.head_version,
        "head_state": entry.head_state.value,
        "change": entry.change.value,
        "verdict": entry.verdict.value,
        "evaluated_alone": entry.evaluated_alone,
        "planned_action": entry.planned_action,
        "planned_detail": entry.planned_detail,
        "notes": list(entry.notes),
        "source_bucket": _bucket_dict(entry.source_bucket),
        "plan": asdict(entry.plan) if entry.plan else None,
        "resolution": _resolution_dict(entry.resolution),
    }


def _resolution_dict(resolution: Resolution | None) -> dict[str, Any] | None:
    if resolution is None:
        return None

    def issue(found: RequirementsIssue) -> dict[str, Any]:
        return {
            "kind": found.kind,
            "message": found.message,
            "file": found.location.file,
            "line": found.location.line,
            "packages": list(found.packages),
        }

    return {
        "file": resolution.file,
        "airflow": resolution.airflow,
        "python": resolution.python,
        "platforms": list(resolution.platforms),
        "constraints": resolution.constraints,
        "outcome": resolution.outcome.value,
        "conflicts": [issue(c) for c in resolution.conflicts],
        "problems": [issue(p) for p in resolution.problems],
        "packages": [{"name": n, "version": v} for n, v in resolution.packages],
        "base_airflow": resolution.base_airflow,
        "changes": None if resolution.changes is None else [asdict(c) for c in resolution.changes],
        "base_note": resolution.base_note,
    }


def _resolution_entry(data: dict[str, Any] | None) -> Resolution | None:
    if data is None:
        return None

    def issue(found: dict[str, Any]) -> RequirementsIssue:
        where = Location(found["file"], found["line"])
        return RequirementsIssue(found["kind"], found["message"], where, tuple(found["packages"]))

    changes = data["changes"]
    return Resolution(
        file=data["file"],
        airflow=data["airflow"],
        python=data["python"],
        platforms=tuple(data["platforms"]),
        constraints=data["constraints"],
        outcome=ResolveOutcome(data["outcome"]),
        conflicts=tuple(issue(c) for c in data["conflicts"]),
        problems=tuple(issue(p) for p in data["problems"]),
        packages=tuple((p["name"], p["version"]) for p in data["packages"]),
        base_airflow=data["base_airflow"],
        changes=None if changes is None else tuple(PackageChange(**c) for c in changes),
        base_note=data["base_note"],
    )


def _environment_entry(data: dict[str, Any]) -> EnvironmentEntry:
    bucket = data["source_bucket"]
    return EnvironmentEntry(
        **{
            **data,
            "base_state": VersionState(data["base_state"]),
            "head_state": VersionState(data["head_state"]),
            "change": ChangeKind(data["change"]),
            "verdict": Verdict(data["verdict"]),
            "notes": tuple(data["notes"]),
            "source_bucket": Bucket(
                bucket["id"],
                Versioning(bucket["versioning"]),
                bucket["in_config"],
                bucket["reason"],
            )
            if bucket
            else None,
            "plan": Plan.from_dict(data["plan"]) if data["plan"] else None,
            # Reports written before --resolve existed have no such field.
            "resolution": _resolution_entry(data.get("resolution")),
        }
    )


def _finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "severity": finding.severity.value,
        "message": finding.message,
        "environment": finding.environment,
        "file": finding.location.file,
        "line": finding.location.line,
        "suppressed": finding.suppressed,
        "suppression_reason": finding.suppression_reason,
    }
