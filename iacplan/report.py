"""The report: one dataclass that every output format is rendered from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from iacplan import __version__
from iacplan.model import Bucket, Change, ChangeKind, Finding, Severity, ValueState
from iacplan.versions import Catalog

SCHEMA_VERSION = "1.0"


class Verdict(StrEnum):
    ALLOWED = "allowed"
    REJECTED = "rejected"
    UNVERIFIED = "unverified"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class EnvironmentResult:
    change: Change
    verdict: Verdict

    @property
    def base_version(self) -> str | None:
        return self.change.base.version.text if self.change.base else None

    @property
    def head_version(self) -> str | None:
        return self.change.head.version.text if self.change.head else None


@dataclass(frozen=True)
class Report:
    catalog_date: str
    catalog_source: str
    environments: tuple[EnvironmentResult, ...]
    findings: tuple[Finding, ...]

    def active(self, minimum: Severity | None = None) -> list[Finding]:
        """Unsuppressed findings, optionally only those at or above `minimum`."""
        return [
            f
            for f in self.findings
            if not f.suppressed and (minimum is None or f.severity.rank >= minimum.rank)
        ]

    def summary(self) -> dict[str, int]:
        counts = {"environments": len(self.environments)}
        for verdict in Verdict:
            counts[verdict.value] = sum(e.verdict is verdict for e in self.environments)
        counts["errors"] = len(self.active(Severity.ERROR))
        counts["warnings"] = len(self.active()) - counts["errors"]
        counts["suppressed"] = sum(f.suppressed for f in self.findings)
        return counts

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, valid against schemas/report.schema.json."""
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "iacplan", "version": __version__},
            "catalog": {"date": self.catalog_date, "source": self.catalog_source},
            "environments": [_environment_dict(e) for e in self.environments],
            "findings": [_finding_dict(f) for f in self.findings],
            "summary": self.summary(),
        }


def build(changes: Sequence[Change], findings: Sequence[Finding], catalog: Catalog) -> Report:
    order = {change.id: i for i, change in enumerate(changes)}
    ordered = sorted(findings, key=lambda f: (order[f.environment], f.rule, f.location, f.message))
    results = tuple(
        EnvironmentResult(c, _verdict(c, [f for f in ordered if f.environment == c.id]))
        for c in changes
    )
    return Report(
        catalog_date=catalog.catalog_date.isoformat(),
        catalog_source=catalog.source,
        environments=results,
        findings=tuple(ordered),
    )


def _verdict(change: Change, findings: Sequence[Finding]) -> Verdict:
    if any(f.severity is Severity.ERROR and not f.suppressed for f in findings):
        return Verdict.REJECTED
    sides = [env for env in (change.base, change.head) if env is not None]
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


def _environment_dict(result: EnvironmentResult) -> dict[str, Any]:
    change = result.change
    env = change.subject
    return {
        "id": change.id,
        "kind": env.kind,
        "address": env.address,
        "name": env.name.text,
        "file": env.location.file,
        "line": env.location.line,
        "base_version": result.base_version,
        "head_version": result.head_version,
        "change": change.kind.value,
        "verdict": result.verdict.value,
        "evaluated_alone": env.evaluated_alone,
        "planned_action": env.planned.action.value if env.planned else None,
        "notes": list(env.notes),
        "source_bucket": _bucket_dict(env.bucket),
    }


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


def shown_version(result: EnvironmentResult, side: str) -> str:
    """A side's version as people read it: the value, or why there is none."""
    env = result.change.base if side == "base" else result.change.head
    if env is None:
        if result.change.kind is ChangeKind.NO_BASE:
            return "(no base)"
        return "(absent)"
    value = env.version
    if value.state is ValueState.KNOWN:
        return value.text or ""
    return "(not set)" if value.state is ValueState.MISSING else "(unknown)"
