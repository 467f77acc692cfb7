"""The version-path table in version_cases.yaml: exactly which rules fire for each change."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from iacplan import deployed, diff, rules
from iacplan.catalog.versions import load_catalog
from iacplan.inputs.requirements import parse_text
from iacplan.model import (
    AccountError,
    Bucket,
    Environment,
    LiveEnvironment,
    Location,
    Pin,
    PinnedObject,
    ProviderVersions,
    RequirementsIssue,
    Resolution,
    ResolveOutcome,
    S3File,
    Severity,
    Value,
    Versioning,
)
from iacplan.report import build

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "version_cases.yaml").read_text(encoding="utf-8")
)
CATALOG = load_catalog()


def value(spec: Any, where: Location, name: str = "airflow_version") -> Value:
    if isinstance(spec, dict) and "unknown" in spec:
        return Value.unknown(spec["unknown"], where)
    if spec is None or (isinstance(spec, dict) and spec.get("missing")):
        return Value.missing(f"{name} is not set", where)
    return Value.known(spec, where)


PATHS = {"requirements": "requirements.txt", "plugins": "plugins.zip", "startup script": "s.sh"}


def files(case: dict[str, Any], where: Location) -> tuple[S3File, ...]:
    """The configured files: role -> object version (null is not pinned)."""
    return tuple(
        S3File(role, Value.known(PATHS[role], where), value(spec, where, "object version"))
        for role, spec in case.get("files", {}).items()
    )


def provider(spec: dict[str, Any] | None) -> ProviderVersions | None:
    """The AWS provider facts of a Terraform configuration: constraints and a locked version."""
    if spec is None:
        return None
    where = Location("versions.tf", 4)
    locked = spec.get("locked")
    return ProviderVersions(
        constraints=tuple(Pin(text, where) for text in spec.get("constraints", [])),
        locked=Pin(locked, Location(".terraform.lock.hcl", 5)) if locked else None,
        doubt=spec.get("doubt"),
    )


def environment(case: dict[str, Any], side: str) -> Environment | None:
    spec = case.get(side)
    if spec is None:
        return None
    where = Location(f"{side}/main.tf", 3)
    versioning = Versioning(case.get("bucket", "enabled"))
    return Environment(
        id="aws_mwaa_environment.main",
        kind="terraform",
        address="aws_mwaa_environment.main",
        name=name(case.get(f"{side}_name", "analytics"), where),
        version=value(spec, where),
        location=where,
        bucket=Bucket("src", versioning, versioning != Versioning.UNKNOWN, "test", where),
        provider=provider(case.get("provider")),
        files=files(case, where),
        requirements=parse_text(case["requirements"], "requirements.txt")[0]
        if "requirements" in case and side == "head"
        else None,
        existence=case.get(f"{side}_existence"),
        resolution=resolution(case["resolution"], spec)
        if "resolution" in case and side == "head"
        else None,
    )


def resolution(spec: dict[str, Any], version: str) -> Resolution:
    """What --resolve found, as `resolution` in a case gives it: the `conflicts` (MWAA017)
    and `problems` (MWAA018) messages, and the `airflow` version resolved for."""
    where = Location("requirements.txt", 2)
    conflicts = tuple(RequirementsIssue("resolver", m, where) for m in spec.get("conflicts", []))
    problems = tuple(RequirementsIssue("sdist-only", m, where) for m in spec.get("problems", []))
    outcome = (
        ResolveOutcome.CONFLICT
        if conflicts
        else ResolveOutcome.UNVERIFIED
        if problems
        else ResolveOutcome.RESOLVES
    )
    return Resolution(
        file="requirements.txt",
        airflow=spec.get("airflow", version),
        python="3.11.9",
        platforms=("manylinux_2_34_x86_64",),
        constraints="constraints-2.10.3/constraints-3.11.txt",
        outcome=outcome,
        conflicts=conflicts,
        problems=problems,
        packages=(("foo", "2.0"),),
    )


def name(spec: Any, where: Location) -> Value:
    """A name as a case gives it: a string, or {unknown: reason, expression: as written}."""
    if isinstance(spec, dict):
        return replace(Value.unknown(spec["unknown"], where), expression=spec.get("expression"))
    return Value.known(spec, where)


def live(spec: dict[str, Any]) -> LiveEnvironment:
    """The account's facts about the environment, as `live` in a case gives them."""
    versioning = spec.get("versioning")
    return LiveEnvironment(
        name="analytics",
        region="eu-west-1",
        found=True if "version" in spec else spec.get("found"),  # None: not asked (errors)
        version=spec.get("version"),
        status=spec.get("status", "AVAILABLE") if "version" in spec else None,
        versioning_bucket="src" if versioning else None,
        versioning=Versioning(versioning or "unknown"),
        objects=tuple(
            PinnedObject(role, "src", f"{role}.zip", "v1", False, "S3 answers 404")
            for role in spec.get("missing", [])
        ),
        errors=tuple(
            AccountError("mwaa:GetEnvironment", "airflow:GetEnvironment", message)
            for message in spec.get("errors", [])
        ),
    )


def evaluate(case: dict[str, Any], policy: rules.Policy | None = None) -> Any:
    base, head = environment(case, "base"), environment(case, "head")
    base_side = None if case.get("no_base") else [e for e in (base,) if e]
    changes = diff.pair(base_side, [e for e in (head,) if e])
    if "live" in case:
        facts = live(case["live"])
        changes = deployed.against_account(changes, lambda wanted: dict.fromkeys(wanted, facts))
    today = date.fromisoformat(case.get("today", "2026-11-24"))
    context = rules.Context(catalog=CATALOG, today=today)
    return build(changes, rules.run(changes, context, policy or rules.Policy()), CATALOG, today)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_version_path_table(case: dict[str, Any]) -> None:
    report = evaluate(case)
    assert sorted(f.rule for f in report.findings) == sorted(case["fires"])
    if "message" in case:
        assert any(case["message"] in f.message for f in report.findings), report.findings
    if "verdict" in case:
        assert report.environments[0].verdict.value == case["verdict"]


def test_every_rule_fires_somewhere_in_the_table() -> None:
    fired = {rule for case in CASES for rule in case["fires"]}
    assert fired == {rule.id for rule in rules.RULES}


def test_rule_ids_are_unique_and_stable() -> None:
    assert [r.id for r in rules.RULES] == [
        "MWAA001", "MWAA002", "MWAA003", "MWAA004", "MWAA005", "MWAA006",
        "MWAA007", "MWAA008", "MWAA009", "MWAA010", "MWAA011", "MWAA012",
        "MWAA013", "MWAA014", "MWAA015", "MWAA016", "MWAA017", "MWAA018",
    ]  # fmt: skip


def test_severity_override_and_suppression() -> None:
    downgrade = next(c for c in CASES if c["name"] == "same-major downgrade MWAA accepts")
    relaxed = evaluate(downgrade, rules.Policy(severities={"MWAA001": Severity.WARNING}))
    assert relaxed.findings[0].severity is Severity.WARNING
    assert relaxed.environments[0].verdict.value == "allowed"

    suppression = rules.Suppression("MWAA001", "aws_mwaa_environment.main", "rollback drill")
    suppressed = evaluate(downgrade, rules.Policy(suppressions=(suppression,)))
    [finding] = suppressed.findings
    assert finding.suppressed and finding.suppression_reason == "rollback drill"
    assert suppressed.summary()["errors"] == 0 and suppressed.summary()["suppressed"] == 1
