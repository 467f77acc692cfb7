"""The upgrade plan in the JSON report: routes, releases, Python, constraints, sections; and
that it reads the findings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from conftest import TreeMaker
from helpers import CFN_SAMPLES, SAMPLES, iacplan, mwaa
from iacplan import diff, rules
from iacplan.catalog.versions import load_catalog
from iacplan.inputs import registry as sources
from iacplan.model import Finding
from iacplan.upgrade.plan import make

CONSTRAINT = 'constraints-{v}/constraints-{py}.txt"'


@pytest.fixture(autouse=True)
def fixed_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IACPLAN_TODAY", "2026-11-24")


def plan_of(tree: TreeMaker, base: str, head: str, extra: str = "") -> dict[str, Any]:
    old = tree({"main.tf": mwaa(f'"{base}"', extra=extra)}, sub="base")
    new = tree({"main.tf": mwaa(f'"{head}"', extra=extra)}, sub="head")
    run = iacplan("check", "--base", old, new, "--format", "json")
    assert run.exit_code in (0, 1), run.stderr
    plan: dict[str, Any] = run.env("aws_mwaa_environment.main")["plan"]
    return plan


def hops(route: dict[str, Any]) -> list[str]:
    return [route["steps"][0]["from_version"], *(s["to_version"] for s in route["steps"])]


def section(plan: dict[str, Any], key: str) -> list[str]:
    return next((s["items"] for s in plan["sections"] if s["key"] == key), [])


def test_minor_upgrade_is_one_hop_with_the_releases_in_between(tree: TreeMaker) -> None:
    plan = plan_of(tree, "2.8.1", "2.10.3")
    assert plan["summary"] == "2.8.1 → 2.10.3 (minor upgrade) — allowed"
    assert [hops(r) for r in plan["routes"]] == [["2.8.1", "2.10.3"]]
    assert [r["version"] for r in plan["releases"]] == ["2.9.2", "2.10.1", "2.10.3"]
    assert plan["releases"][0]["url"].endswith("/apache-airflow/2.9.2/release_notes.html")
    assert plan["python"] is None
    assert plan["routes"][0]["steps"][0]["constraint"].endswith(
        CONSTRAINT.format(v="2.10.3", py="3.11")
    )
    assert section(plan, "changes") == []  # no provider or import boundary crossed
    assert any("timeouts { update" in item for item in section(plan, "downtime"))


def test_major_jump_gets_the_stepping_stone_route_and_a_new_environment(tree: TreeMaker) -> None:
    plan = plan_of(tree, "2.10.3", "3.0.6")
    assert plan["summary"] == "2.10.3 → 3.0.6 (major upgrade) — rejected"
    assert plan["requested"]["in_place"] is False
    recommended, fresh = plan["routes"]
    assert hops(recommended) == ["2.10.3", "2.11.2", "3.0.6"]
    assert [s["constraint"].split("/")[-2:] for s in recommended["steps"]] == [
        ["constraints-2.11.2", 'constraints-3.12.txt"'],
        ["constraints-3.0.6", 'constraints-3.12.txt"'],
    ]
    assert fresh["steps"][0]["kind"] == "new environment"
    assert plan["python"]["from_python"] == "3.11" and plan["python"]["to_python"] == "3.12"
    assert "cp312" in plan["python"]["consequence"]
    changes = " ".join(section(plan, "changes"))
    assert "SubDAGs" in changes and "ruff check --select AIR3" in changes
    assert "backport" not in changes  # 1.x → 2.x only
    assert any("4 hours in all" in item for item in section(plan, "downtime"))
    assert any("ruff check --select AIR3" in c for c in plan["checklist"])


def test_from_1_10_there_is_only_a_new_environment(tree: TreeMaker) -> None:
    plan = plan_of(tree, "1.10.12", "2.10.3")
    assert [r["steps"][0]["kind"] for r in plan["routes"]] == ["new environment"]
    assert "Airflow 1.10 environment in place" in plan["route_note"]
    changes = " ".join(section(plan, "changes"))
    assert "apache-airflow-backport-providers-*" in changes and "AwsBaseHook" in changes
    assert plan["python"]["from_python"] == "3.7"
    assert plan["releases"][0]["url"].endswith("/2.0.2/changelog.html")


def test_downgrade_plan_explains_policy_and_lists_what_it_gives_up(tree: TreeMaker) -> None:
    plan = plan_of(tree, "2.10.3", "2.9.2")
    assert plan["summary"] == "2.10.3 → 2.9.2 (minor downgrade) — rejected"
    assert [hops(r) for r in plan["routes"]] == [["2.10.3", "2.9.2"]]
    assert "MWAA001" in plan["route_note"]
    assert [r["version"] for r in plan["releases"]] == ["2.10.1", "2.10.3"]
    assert plan["releases_title"].startswith("Release notes of what the downgrade gives up")


def test_amazon_provider_boundary_and_python_change_for_old_2x(tree: TreeMaker) -> None:
    plan = plan_of(tree, "2.2.2", "2.10.3")
    assert "operators.s3_bucket" in " ".join(section(plan, "changes"))
    assert (plan["python"]["from_python"], plan["python"]["to_python"]) == ("3.7", "3.11")


def test_version_mwaa_does_not_offer_has_no_route(tree: TreeMaker) -> None:
    plan = plan_of(tree, "3.0.6", "3.1.0")
    assert plan["routes"] == []
    assert (
        plan["route_note"] == "MWAA does not offer Airflow 3.1.0: choose one of 3.0.6, 3.2.1, 3.3.1"
    )
    assert plan["requested"]["constraint"] is None


def test_end_of_support_target_has_no_route(tree: TreeMaker) -> None:
    plan = plan_of(tree, "2.4.3", "2.6.3")
    assert "past its end of support" in plan["route_note"]
    assert plan["routes"] == []  # not even a new environment: MWAA creates none on it


def test_rollback_readiness_follows_the_bucket(tree: TreeMaker) -> None:
    plan = plan_of(tree, "2.8.1", "2.9.2", extra='  source_bucket_arn = "arn:aws:s3:::elsewhere"\n')
    rollback = " ".join(section(plan, "rollback"))
    assert "cannot be verified (MWAA006)" in rollback
    assert any("versioning enabled" in c for c in plan["checklist"])


def test_no_plan_without_a_version_change(tree: TreeMaker) -> None:
    old = tree({"main.tf": mwaa('"2.8.1"')}, sub="base")
    new = tree({"main.tf": mwaa("var.v") + 'variable "v" {}\n'}, sub="head")
    run = iacplan("check", "--base", old, new, "--format", "json")
    assert run.env("aws_mwaa_environment.main")["plan"] is None
    same = iacplan("check", "--all", "--base", old, old, "--format", "json")
    assert same.env("aws_mwaa_environment.main")["plan"] is None
    assert same.report["rollout"]["order"] == []


def test_cloudformation_downtime_speaks_of_the_stack() -> None:
    sample = CFN_SAMPLES / "yaml-minor-upgrade"
    run = iacplan("check", "--base", sample / "base", sample / "head", "--format", "json")
    plan = run.report["environments"][0]["plan"]
    downtime = " ".join(section(plan, "downtime"))
    assert "CloudFormation stack update" in downtime and "timeouts" not in downtime


def test_checklist_knows_when_requirements_already_point_at_the_new_constraints() -> None:
    sample = SAMPLES / "minor-upgrade"
    run = iacplan("check", "--base", sample / "base", sample / "head", "--format", "json")
    checklist = run.report["environments"][0]["plan"]["checklist"]
    assert any("already has the constraints line for 2.10.3 (line 1)" in c for c in checklist)
    assert not any(c.startswith("Point requirements.txt") for c in checklist)


def test_a_downgrade_in_two_hops_says_so_and_has_no_upgrade_notes(tree: TreeMaker) -> None:
    plan = plan_of(tree, "3.0.6", "2.10.3")
    assert hops(plan["routes"][0]) == ["3.0.6", "2.11.2", "2.10.3"]
    assert plan["route_note"].startswith("MWAA does not go from 3.0.6 to 2.10.3 in one step")
    assert "MWAA001" in plan["route_note"] and "accepts" not in plan["route_note"]
    assert section(plan, "changes") == []
    assert not any("AIR3" in c for c in plan["checklist"])


def test_amazon_provider_note_also_on_the_way_to_airflow_3(tree: TreeMaker) -> None:
    plan = plan_of(tree, "2.2.2", "3.0.6")
    assert "operators.s3_bucket" in " ".join(section(plan, "changes"))


def rollback_with(tree: TreeMaker, extra: str, keep: Callable[[Finding], bool]) -> list[str]:
    """The plan's rollback items when the plan is given only the findings `keep` selects."""
    old = tree({"main.tf": mwaa('"2.8.1"', extra=extra)}, sub="base")
    new = tree({"main.tf": mwaa('"2.9.2"', extra=extra)}, sub="head")
    inputs = sources.Inputs()
    [change] = diff.pair(sources.load(old, inputs).head, sources.load(new, inputs).head)
    catalog, today = load_catalog(), date(2026, 11, 24)
    findings = rules.run([change], rules.Context(catalog, today), rules.Policy())
    plan = make(change, "allowed", [f for f in findings if keep(f)], catalog, today)
    assert plan is not None
    return next(s.items for s in plan.sections if s.key == "rollback")


UNPINNED = (
    '  source_bucket_arn = "arn:aws:s3:::elsewhere"\n  requirements_s3_path = "requirements.txt"\n'
)


def test_the_plan_marks_what_the_findings_say_and_names_their_rules(tree: TreeMaker) -> None:
    items = rollback_with(tree, UNPINNED, lambda f: True)
    assert any("cannot be verified (MWAA006)" in item for item in items)
    assert any(item.startswith("✗ requirements") and "(MWAA010)" in item for item in items)


def test_without_a_finding_the_plan_marks_no_problem(tree: TreeMaker) -> None:
    """The plan does not re-derive a rule: what no finding says, it does not mark as wrong."""
    items = rollback_with(tree, UNPINNED, lambda f: f.rule not in ("MWAA006", "MWAA010"))
    assert not any("MWAA006" in item or "MWAA010" in item for item in items)
    assert not any(item.startswith("✗") for item in items)
