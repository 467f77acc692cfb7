"""Every format renders the same report: same environments, same findings."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from conftest import TreeMaker
from helpers import SAMPLES, iacplan, mwaa
from iacplan import diff, rules
from iacplan.catalog.versions import load_catalog
from iacplan.errors import InputError
from iacplan.inputs import registry as sources
from iacplan.render import RENDERERS, markdown, text
from iacplan.report import Report, build

TODAY = date(2026, 11, 24)


def sample_report(name: str) -> Report:
    catalog = load_catalog()
    inputs = sources.Inputs()
    base = sources.load(SAMPLES / name / "base", inputs)
    head = sources.load(SAMPLES / name / "head", inputs)
    changes = diff.pair(base.head, head.head)
    context = rules.Context(catalog=catalog, today=date(2026, 11, 24))
    return build(changes, rules.run(changes, context, rules.Policy()), catalog, TODAY)


@pytest.mark.parametrize("format_name", sorted(RENDERERS))
def test_every_format_shows_every_environment_and_finding(format_name: str) -> None:
    report = sample_report("from-1.10")
    out = RENDERERS[format_name](report, False)
    assert "aws_mwaa_environment.main" in out
    for finding in report.findings:
        assert finding.rule in out
    assert "\x1b[" not in out


def test_text_colour_when_asked() -> None:
    out = RENDERERS["text"](sample_report("downgrade"), True)
    assert "\x1b[31m" in out  # red for the rejected verdict and the error


def test_json_round_trips_the_summary() -> None:
    report = sample_report("for-each")
    data = json.loads(RENDERERS["json"](report, False))
    assert data["summary"] == report.summary() == {
        "environments": 2, "allowed": 1, "rejected": 0, "unverified": 0, "unchanged": 1,
        "errors": 0, "warnings": 0, "suppressed": 0, "untouched": 0,
    }  # fmt: skip


def test_untouched_definitions_are_counted_in_every_format() -> None:
    report = build([], [], load_catalog(), TODAY, untouched=3)
    shown = RENDERERS["text"](report, False)
    assert shown.startswith("iacplan: no aws_mwaa_environment this change affects")
    assert "3 root modules and templates untouched: no file they can read changed" in shown
    comment = RENDERERS["markdown"](report, False)
    assert comment.startswith("## iacplan found no MWAA environment this change affects")
    assert "(`--all` evaluates them)" in comment
    data = json.loads(RENDERERS["json"](report, False))
    assert data["summary"]["untouched"] == 3
    assert Report.from_dict(data, "report.json").untouched == 3


def test_empty_report_says_nothing_was_found() -> None:
    catalog = load_catalog()
    report = build([], [], catalog, TODAY)
    assert "iacplan: no aws_mwaa_environment found" in RENDERERS["text"](report, False)
    assert RENDERERS["markdown"](report, False).startswith("## iacplan found no MWAA environment")


@pytest.mark.parametrize("name", ["from-1.10", "major-without-stepping-stone", "for-each"])
def test_a_json_report_read_back_renders_the_same(name: str) -> None:
    report = sample_report(name)
    again = Report.from_dict(json.loads(RENDERERS["json"](report, False)), "report.json")
    assert again == report
    for format_name, render in RENDERERS.items():
        assert render(again, False) == render(report, False), format_name


def test_a_report_that_is_not_one_is_refused_with_the_field() -> None:
    data = json.loads(RENDERERS["json"](sample_report("downgrade"), False))
    del data["environments"][0]["verdict"]
    with pytest.raises(InputError, match=r"report.json: environments/0: 'verdict'"):
        Report.from_dict(data, "report.json")


def test_mermaid_only_for_several_hops_or_a_hop_mwaa_refuses() -> None:
    assert "```mermaid" in RENDERERS["markdown"](
        sample_report("major-without-stepping-stone"), False
    )
    assert "```mermaid" in RENDERERS["markdown"](sample_report("from-1.10"), False)
    assert "```mermaid" not in RENDERERS["markdown"](sample_report("minor-upgrade"), False)


def test_markdown_stays_under_the_limit_and_keeps_banner_and_table(tree: TreeMaker) -> None:
    count = 40
    base = tree({"main.tf": "".join(mwaa('"2.10.3"', f"env{i}") for i in range(count))}, "b")
    head = tree({"main.tf": "".join(mwaa('"3.0.6"', f"env{i}") for i in range(count))}, "h")
    run = iacplan("check", "--base", base, head, "--format", "markdown")
    out = run.stdout
    assert len(out) < markdown.LIMIT
    assert out.startswith(f"## ❌ iacplan blocks this change — {count} rejected of {count} ")
    # The attention list and the table are never shortened: the same problem in 40
    # environments is one line naming each of them, and one row each in the table.
    first_screen = out.split("<details>")[0].splitlines()
    (shared,) = [line for line in first_screen if line.startswith("- ❌ ")]
    assert shared.startswith(f"- ❌ {count} rejected — **MWAA002** ")
    assert all(f" env{i}," in shared or shared.endswith(f" env{i}") for i in range(count))
    assert (
        sum(
            line.startswith("| env") and "| ❌\N{NO-BREAK SPACE}" in line
            for line in out.splitlines()
        )
        == count
    )
    assert out.count("<details>") == out.count("</details>")
    assert out.count("```") % 2 == 0  # no code block cut in half
    # The same findings and plan in 40 environments: one details block for all of them,
    # whole (findings are never cut).
    assert out.count("<details>") == 1 and "<summary>❌ 40 environments — " in out
    assert out.count("**MWAA002** major change not in place (error):") == 1
    assert "left out" not in out


def test_text_wraps_to_the_width_given() -> None:
    report = sample_report("major-without-stepping-stone")
    narrow = RENDERERS["text"](report, False)
    # Only a word longer than the width (a URL) may stick out, or a requirements.txt line
    # that is copied whole.
    assert all(
        len(line) <= text.WIDTH
        or " " not in line.strip()
        or line.strip().startswith("--constraint ")
        for line in narrow.splitlines()
    )
    wide = text.render(report, False, width=200)
    assert len(wide.splitlines()) < len(narrow.splitlines())


def for_each(keys: list[str], version: str) -> str:
    items = ", ".join(f'"{k}" = "{version}"' for k in keys)
    return (
        f"locals {{\n  envs = {{ {items} }}\n}}\n"
        'resource "aws_mwaa_environment" "main" {\n'
        "  for_each = local.envs\n  name = each.key\n  airflow_version = each.value\n}\n"
    )


def test_thousands_of_environments_keep_the_comment_under_the_limit(tree: TreeMaker) -> None:
    keys = [f"analytics-{i:04}" for i in range(600)]
    base = tree({"main.tf": for_each(keys, "2.10.3")}, "b")
    head = tree({"main.tf": for_each(keys, "3.0.6")}, "h")
    out = iacplan("check", "--base", base, head, "--format", "markdown").stdout
    assert len(out) < markdown.LIMIT
    assert "more (" in out and "rejected): see the JSON report |" in out
    assert out.count("<details>") == out.count("</details>")


def test_markup_in_an_environment_id_stays_text(tree: TreeMaker) -> None:
    keys = ["</code></summary></details><b>x"]
    base = tree({"main.tf": for_each(keys, "2.10.3")}, "b")
    head = tree({"main.tf": for_each(keys, "2.9.2")}, "h")
    out = iacplan("check", "--base", base, head, "--format", "markdown").stdout
    closing = [line for line in out.splitlines() if line.startswith("</details>")]
    assert out.count("<details>") == len(closing) == 1
    # The id stays inside code spans; the name (the same key) is outside what iacplan
    # echoes, so it is described instead (iacplan.safe).
    assert "&lt;value of" in out


def test_many_distinct_problems_fit_with_their_findings_whole(tree: TreeMaker) -> None:
    count = 60
    base = tree({"main.tf": "".join(mwaa('"2.11.2"', f"env{i}") for i in range(count))}, "b")
    head = tree({"main.tf": "".join(mwaa('"3.0.6"', f"env{i}") for i in range(count))}, "h")
    out = iacplan("check", "--base", base, head, "--format", "markdown").stdout
    assert len(out) < markdown.LIMIT
    first_screen = out.split("<details>")[0]
    # Each environment's fix names it (aws mwaa update-environment --name envN): one line each.
    assert sum(line.startswith("- ❌ **env") for line in first_screen.splitlines()) == count
    assert out.count("<details>") == out.count("</details>")
    assert out.count("```") % 2 == 0
    left = re.search(r"the details of (\d+) more plan", out)
    shown = out.count("**MWAA007** replace/destroy (error)")
    assert shown + (int(left[1]) if left else 0) == count
    assert "left out to fit a pull-request comment" in out or left
