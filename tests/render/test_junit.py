"""JUnit XML, validated with xmlschema against the Jenkins/xunit `junit-10.xsd` that pytest's
test data ships (tests/fixtures/junit-10.xsd): the schema GitLab, Jenkins and most report viewers
follow."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import xmlschema

from conftest import TreeMaker
from helpers import CASES, FIXTURES, command, iacplan, mwaa
from iacplan import diff, rules
from iacplan.catalog.versions import load_catalog
from iacplan.inputs import registry as sources
from iacplan.render import junit
from iacplan.render.context import Context
from iacplan.render.repo_paths import RepoPaths
from iacplan.report import Report, build

SCHEMA = xmlschema.XMLSchema(FIXTURES / "junit-10.xsd")


def report_of(base: Path, head: Path) -> Report:
    catalog = load_catalog()
    inputs = sources.Inputs()
    changes = diff.pair(sources.load(base, inputs).head, sources.load(head, inputs).head)
    context = rules.Context(catalog=catalog, today=date(2025, 6, 1))
    return build(changes, rules.run(changes, context, rules.Policy()), catalog, context.today)


def valid(text: str) -> ET.Element:
    SCHEMA.validate(text)
    return ET.fromstring(text)


def test_one_case_per_environment_and_a_failure_for_errors(tree: TreeMaker, tmp_path: Path) -> None:
    base = tree({"main.tf": mwaa('"2.10.3"', "a") + mwaa('"2.10.3"', "b")}, sub="base")
    head = tree({"main.tf": mwaa('"2.9.2"', "a") + mwaa('"2.10.3"', "b")}, sub="head")
    suite = valid(
        junit.render(report_of(base, head), False, Context(paths=RepoPaths(tmp_path, tmp_path)))
    )
    assert (suite.tag, suite.get("tests"), suite.get("failures"), suite.get("errors")) == (
        "testsuite",
        "2",
        "1",
        "0",
    )
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {"aws_mwaa_environment.a", "aws_mwaa_environment.b"}
    failure = cases["aws_mwaa_environment.a"].find("failure")
    assert failure is not None and failure.get("type") == "MWAA001"
    # The file and line are in the text: the schema allows no file or line on a testcase.
    assert (failure.get("message") or "").startswith("MWAA001 head/main.tf:3: ")
    assert cases["aws_mwaa_environment.b"].find("failure") is None
    out = cases["aws_mwaa_environment.b"].find("system-out")
    assert out is not None and (out.text or "").startswith("head/main.tf:5: 2.10.3 -> 2.10.3")


def test_several_errors_are_one_failure_with_the_messages_joined(
    tree: TreeMaker, tmp_path: Path
) -> None:
    """Viewers show a testcase's first <failure> only, and count elements as failures."""
    base = tree({"main.tf": mwaa('"2.10.3"', "a")}, sub="base")
    head = tree({"main.tf": mwaa('"1.10.12"', "a").replace('name = "a"', 'name = "z"')}, "head")
    report = report_of(base, head)
    errors = [f for f in report.findings if f.severity.value == "error"]
    assert len(errors) >= 2
    suite = valid(junit.render(report, False, Context(paths=RepoPaths(tmp_path, tmp_path))))
    assert (suite.get("tests"), suite.get("failures")) == ("1", "1")
    [failure] = suite.iter("failure")
    message = failure.get("message") or ""
    joined = "; ".join(f"{f.rule} head/main.tf:{f.location.line}: {f.message}" for f in errors)
    assert message == joined
    assert failure.get("type") == ", ".join(dict.fromkeys(f.rule for f in errors))
    assert len((failure.text or "").splitlines()) == len(errors)


def test_warnings_pass_and_odd_characters_stay_valid(tree: TreeMaker, tmp_path: Path) -> None:
    base = tree({"main.tf": mwaa('"2.10.3"')}, sub="base")
    report = report_of(base, tree({"main.tf": mwaa("var.v") + 'variable "v" {}\n'}, sub="head"))
    (finding,) = report.findings
    odd = replace(finding, message="bad \x01 byte & <tag> ]]>")
    text = junit.render(
        replace(report, findings=(odd,)), False, Context(paths=RepoPaths(tmp_path, tmp_path))
    )
    suite = valid(text)
    assert (suite.get("failures"), suite.get("errors")) == ("0", "0")
    assert suite.find(".//failure") is None
    out = suite.find(".//system-out")
    assert out is not None and out.text is not None
    assert "MWAA008 (warning) head/main.tf:3" in out.text
    assert "bad \ufffd byte & <tag> ]]>" in out.text


def test_an_empty_run_is_valid(tmp_path: Path) -> None:
    report = build([], [], load_catalog(), date(2025, 6, 1))
    suite = valid(junit.render(report, False, Context(paths=RepoPaths(tmp_path, tmp_path))))
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("0", "0", "0")


@pytest.mark.parametrize("sample", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_sample_is_valid_junit(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(sample)
    out = tmp_path / "junit.xml"
    run = iacplan(*command(sample), f"--output=junit={out}")
    assert run.exit_code in (0, 1), run.stderr
    suite = valid(out.read_text(encoding="utf-8"))
    failed = sum(case.find("failure") is not None for case in suite.iter("testcase"))
    assert suite.get("failures") == str(failed)
    assert all(len(case.findall("failure")) <= 1 for case in suite.iter("testcase"))
    assert (failed > 0) == (run.exit_code == 1)
