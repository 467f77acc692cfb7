"""The rules' metadata, and what is written from it: `iacplan rules` and the README's table."""

from __future__ import annotations

import re

from helpers import REPO, iacplan
from iacplan import rules
from iacplan.rules import docs

BEGIN, END = "<!-- rules:begin", "<!-- rules:end -->"


def readme_table() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index("\n", text.index(BEGIN)) + 1
    return text[start : text.index(END)]


def test_the_readme_rule_table_is_what_iacplan_rules_writes() -> None:
    run = iacplan("rules", "--format", "markdown")
    assert run.exit_code == 0
    assert readme_table() == run.stdout, (
        "README.md's rule table drifted from the rules: replace it with the output of "
        "`iacplan rules --format markdown`"
    )


def test_the_text_listing_is_one_line_per_rule_in_order() -> None:
    run = iacplan("rules")
    assert run.exit_code == 0
    lines = run.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [rule.id for rule in rules.RULES]
    for line, rule in zip(lines, rules.RULES, strict=True):
        assert line == f"{rule.id}  {rule.severity.value:<8} {rule.summary.replace('`', '')}"


def test_markdown_escapes_a_pipe_in_a_cell() -> None:
    rule = rules.RULES[0]
    piped = type(rule)(**{**rule.__dict__, "summary": "a | b"})
    assert "| a \\| b |" in docs.markdown([piped])


def test_every_rule_carries_its_documentation() -> None:
    names = [rule.name for rule in rules.RULES]
    assert len(set(names)) == len(names)
    for rule in rules.RULES:
        assert re.fullmatch(r"[a-z0-9]+(?:[-.][a-z0-9]+)*", rule.name), rule.name
        assert rule.name != rule.id.lower()
        assert rule.summary and "\n" not in rule.summary
        # GitHub code scanning: name up to 255 characters, the descriptions up to 1,024.
        assert len(rule.name) <= 255 and len(rule.summary) <= 1024
        assert 80 <= len(rule.description) <= 1024, rule.id
        assert rule.description.endswith("."), rule.id
        assert rule.help_title and rule.tags and "mwaa" in rule.tags


def test_help_pages_are_aws_mwaa_or_apache_airflow_documentation() -> None:
    allowed = (
        "https://docs.aws.amazon.com/mwaa/latest/userguide/",
        "https://docs.aws.amazon.com/mwaa/latest/migrationguide/",
        "https://docs.aws.amazon.com/mwaa/latest/API/",
        "https://docs.aws.amazon.com/service-authorization/latest/reference/",
        "https://airflow.apache.org/docs/",
    )
    for rule in rules.RULES:
        assert rule.help_url.startswith(allowed), (rule.id, rule.help_url)
        assert " " not in rule.help_url


def test_no_rule_text_says_fail() -> None:
    """SARIF lists every rule in every run, and a passing run must never say "fail" (Atlantis
    takes the word anywhere in the output as a failed policy check)."""
    for rule in rules.RULES:
        for text in (rule.name, rule.summary, rule.description, rule.help_title, rule.help_url):
            assert "fail" not in text.lower(), (rule.id, text)
