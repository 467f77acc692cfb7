"""Every bundled sample reports exactly what its README says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers import CASES, command, iacplan


def expectation(sample: Path) -> tuple[int, list[str], list[str]]:
    line = (sample / "README.md").read_text(encoding="utf-8")
    match = re.search(r"Expect: exit (\d)", line)
    assert match, f"{sample}/README.md has no 'Expect: exit N'"
    rules = sorted(re.findall(r"MWAA\d{3}", line.split("Expect:")[1]))
    verdicts = re.findall(r"\b(allowed|rejected|unverified|unchanged)\b", line.split("verdict")[1])
    return int(match[1]), rules, verdicts


def test_there_are_samples_for_every_case_the_core_needs() -> None:
    names = {p.name for p in CASES if p.parent.name == "terraform"}
    assert {
        "minor-upgrade",
        "downgrade",
        "from-1.10",
        "major-without-stepping-stone",
        "unknown-version",
        "versioning-suspended",
        "variable-tfvars",
        "local-module",
        "for-each",
        "registry-module",
        "major-in-place-locked-provider",
    } <= names


def test_there_are_cloudformation_samples_for_every_case_issue_3_names() -> None:
    assert {p.name for p in CASES if p.parent.name == "cloudformation"} >= {
        "yaml-minor-upgrade",
        "json-downgrade",
        "sam-unquoted-version",
        "parameter-version",
        "changeset-property-values",
        "changeset-with-templates",
        "changeset-replacement",
    }


@pytest.mark.parametrize("sample", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sample_reports_what_its_readme_says(sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exit_code, rules, verdicts = expectation(sample)
    monkeypatch.chdir(sample)
    run = iacplan(*command(sample), "--format", "json")
    assert run.exit_code == exit_code, run.stdout + run.stderr
    assert sorted(set(run.rules())) == rules
    assert [e["verdict"] for e in run.report["environments"]] == verdicts
