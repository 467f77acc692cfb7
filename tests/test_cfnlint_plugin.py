"""The cfn-lint plugin, run as users run it: `cfn-lint --append-rules iacplan.cfnlint`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers import CFN_SAMPLES, REPO

CFN_LINT = shutil.which("cfn-lint", path=str(Path(sys.executable).parent))


def lint(
    template: Path, *options: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[int, list[dict[str, Any]]]:
    assert CFN_LINT is not None, "cfn-lint is a dependency of iacplan"
    command = [CFN_LINT, "--append-rules", "iacplan.cfnlint", "--format", "json", *options]
    result = subprocess.run(
        [*command, "--", str(template)],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )
    assert result.stderr == "", result.stderr
    return result.returncode, json.loads(result.stdout)


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def ours(matches: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return sorted(
        (m["Rule"]["Id"], m["Location"]["Start"]["LineNumber"])
        for m in matches
        if m["Rule"]["Id"][1] == "9"
    )


def test_clean_template_has_no_iacplan_findings() -> None:
    code, matches = lint(CFN_SAMPLES / "yaml-minor-upgrade" / "head" / "mwaa.yaml")
    assert ours(matches) == [] and code == 0, matches


def test_unquoted_version_is_e9004_with_the_same_words_as_iacplan() -> None:
    template = CFN_SAMPLES / "sam-unquoted-version" / "head" / "mwaa.yaml"
    code, matches = lint(template)
    assert ours(matches) == [("E9004", line_of(template, "AirflowVersion: 2.10"))]
    [match] = [m for m in matches if m["Rule"]["Id"] == "E9004"]
    assert "quote the version" in match["Message"]
    assert code & 2  # cfn-lint's error bit


def test_unversioned_bucket_is_w9005() -> None:
    template = CFN_SAMPLES / "versioning-never-enabled" / "head" / "mwaa.yaml"
    code, matches = lint(template)
    assert ours(matches) == [("W9005", line_of(template, "  DagsBucket:"))]
    assert code & 4


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ('"2.4.3"', "W9009"),
        ('"2.10.4"', "E9004"),
        ("!Ref NoDefault", "W9008"),
        ('!If [Never, "2.10.3", "9.9.9"]', "E9004"),
    ],
)
def test_version_rules(tmp_path: Path, version: str, expected: str) -> None:
    template = tmp_path / "mwaa.yaml"
    template.write_text(
        "Parameters:\n  NoDefault: {Type: String}\n"
        "Conditions:\n  Never: !Equals [!Ref NoDefault, x]\n"
        "Resources:\n  Env:\n    Type: AWS::MWAA::Environment\n    Properties:\n"
        f"      Name: env\n      AirflowVersion: {version}\n"
    )
    _, matches = lint(template)
    assert (expected, 10) in ours(matches)


def test_rules_carry_iacplans_description_and_help_page() -> None:
    """cfn-lint shows the iacplan rule's own description and help page (`iacplan rules`)."""
    from iacplan.rules.bucket import UNVERSIONED_BUCKET
    from iacplan.rules.catalog import UNKNOWN_VERSION

    for sample, rule_id, rule in (
        ("sam-unquoted-version", "E9004", UNKNOWN_VERSION),
        ("versioning-never-enabled", "W9005", UNVERSIONED_BUCKET),
    ):
        _, matches = lint(CFN_SAMPLES / sample / "head" / "mwaa.yaml")
        [shown] = {
            json.dumps(m["Rule"], sort_keys=True) for m in matches if m["Rule"]["Id"] == rule_id
        }
        described = json.loads(shown)
        assert described["Source"] == rule.help_url
        assert f"iacplan {rule.id}" in described["Description"]
        assert rule.description in described["Description"]


VERSION_FROM_PARAMETER = (
    "Parameters:\n  Version: {Type: String}\n"
    "Resources:\n  Env:\n    Type: AWS::MWAA::Environment\n    Properties:\n"
    "      Name: env\n      AirflowVersion: !Ref Version\n"
)


def messages(matches: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((m["Rule"]["Id"], m["Message"]) for m in matches if m["Rule"]["Id"][1] == "9")


def test_without_a_value_the_message_names_cfn_lints_options(tmp_path: Path) -> None:
    template = tmp_path / "mwaa.yaml"
    template.write_text(VERSION_FROM_PARAMETER)
    _, matches = lint(template)
    assert messages(matches) == [
        (
            "W9008",
            "head AirflowVersion is unknown: parameter Version has no Default and no value "
            "(cfn-lint --parameters or --parameter-files)",
        )
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2.10.3", []), ("2.4.3", ["W9009"]), ("9.9.9", ["E9004"])],
)
def test_cfn_lints_parameters_reach_the_rules(tmp_path: Path, value: str, expected: str) -> None:
    template = tmp_path / "mwaa.yaml"
    template.write_text(VERSION_FROM_PARAMETER)
    _, matches = lint(template, "--parameters", f"Version={value}")
    assert [rule for rule, _ in messages(matches)] == expected, matches


def test_cfn_lints_parameter_files_reach_the_rules(tmp_path: Path) -> None:
    """Each file is a parameter set, judged on its own. cfn-lint also lints the template
    without the files afterwards: that pass says nothing of a value the files give."""
    template = tmp_path / "mwaa.yaml"
    template.write_text(VERSION_FROM_PARAMETER)
    files = []
    for stage, version in (("prod", "2.4.3"), ("dev", "9.9.9")):
        files.append(tmp_path / f"{stage}.json")
        files[-1].write_text(json.dumps([{"ParameterKey": "Version", "ParameterValue": version}]))
    _, matches = lint(template, "--parameter-files", *map(str, files))
    assert [rule for rule, _ in messages(matches)] == ["E9004", "W9009"], matches


def test_the_config_catalog_and_the_date_are_iacplan_checks(tmp_path: Path) -> None:
    """A version added through `.iacplan.yaml` (versions_file) is one MWAA offers in cfn-lint
    too, and IACPLAN_TODAY is the day support is judged on."""
    catalog = json.loads((REPO / "iacplan" / "data" / "mwaa_versions.json").read_text())
    catalog["versions"].append(
        {"version": "3.9.0", "python": "3.12", "available": "2026-09-01", "end_of_support": None}
    )
    (tmp_path / "newer.json").write_text(json.dumps(catalog))
    template = tmp_path / "mwaa.yaml"
    template.write_text(VERSION_FROM_PARAMETER)
    _, matches = lint(template, "--parameters", "Version=3.9.0", cwd=tmp_path)
    assert [rule for rule, _ in messages(matches)] == ["E9004"]  # not in the bundled catalog
    (tmp_path / ".iacplan.yaml").write_text("versions_file: newer.json\n")
    _, matches = lint(template, "--parameters", "Version=3.9.0", cwd=tmp_path)
    assert messages(matches) == []
    _, matches = lint(
        template, "--parameters", "Version=2.4.3", env={"IACPLAN_TODAY": "2025-01-01"}
    )
    [(rule, message)] = messages(matches)
    assert rule == "W9009" and message.startswith("2.4.3 is deprecated: MWAA ends support for it")
    _, matches = lint(
        template, "--parameters", "Version=2.4.3", env={"IACPLAN_TODAY": "2026-06-01"}
    )
    assert messages(matches)[0][1].startswith("2.4.3 is past MWAA end of support")
