"""Every format renders the same report: same environments, same findings."""

from __future__ import annotations

import json
from datetime import date

import pytest

from helpers import SAMPLES
from iacplan import diff, rules, sources
from iacplan.render import RENDERERS
from iacplan.report import Report, build
from iacplan.versions import load_catalog


def sample_report(name: str) -> Report:
    catalog = load_catalog()
    inputs = sources.Inputs()
    base = sources.load(SAMPLES / name / "base", inputs)
    head = sources.load(SAMPLES / name / "head", inputs)
    changes = diff.pair(base.head, head.head)
    context = rules.Context(catalog=catalog, today=date(2026, 11, 24))
    return build(changes, rules.run(changes, context, rules.Policy()), catalog)


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
        "errors": 0, "warnings": 0, "suppressed": 0,
    }  # fmt: skip


def test_empty_report_says_nothing_was_found() -> None:
    catalog = load_catalog()
    report = build([], [], catalog)
    assert "No aws_mwaa_environment found." in RENDERERS["text"](report, False)
    assert "0 environment(s)" in RENDERERS["markdown"](report, False)
