"""`--only terraform|cloudformation`: one kind of definitions, the rest skipped without a word
(what the pre-commit hooks run; tests/test_pre_commit.py runs them through pre-commit)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from helpers import CFN_SAMPLES, REPO, SAMPLES, iacplan, write_tree

TEMPLATE = (CFN_SAMPLES / "yaml-minor-upgrade" / "head" / "mwaa.yaml").read_text()
BAD_TEMPLATE = TEMPLATE.replace('AirflowVersion: "2.10.3"', 'AirflowVersion: "9.9.9"')
TERRAFORM = (SAMPLES / "minor-upgrade" / "head" / "main.tf").read_text()
PLAN = REPO / "samples" / "terraform-plan" / "minor-upgrade" / "plan.json"
CHANGESET = CFN_SAMPLES / "changeset-property-values" / "changeset.json"

NOT_TEMPLATES = {
    ".pre-commit-config.yaml": "repos:\n  - repo: local\n    hooks: []\n",
    "workflow.yml": (
        "on: push\njobs:\n  t:\n    steps:\n      - run: |\n          a \\\n          b\n"
    ),
    "helm.yaml": "data:\n  {{- range .Values.x }}\n  a: \\u00e9\n  {{- end }}\n",
    "package.json": '{"name": "x"}\n',
    "params.json": '[{"ParameterKey": "Stage", "ParameterValue": "prod"}]\n',
    "network.yaml": "Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n",
    "broken-json.json": "{not json\n",
}


def ids(report: dict[str, Any]) -> list[str]:
    return sorted(e["id"] for e in report["environments"])


def test_cloudformation_skips_every_file_that_is_no_template(tmp_path: Path) -> None:
    write_tree(tmp_path, {**NOT_TEMPLATES, "mwaa.yaml": TEMPLATE, "main.tf": TERRAFORM})
    files = [tmp_path / name for name in (*NOT_TEMPLATES, "mwaa.yaml", "main.tf")]
    run = iacplan("check", "--only", "cloudformation", "--format", "json", *files)
    assert run.exit_code == 0 and run.stderr == ""
    assert ids(run.report) == ["mwaa.yaml#Airflow"]
    # Without --only, the first of them is an error.
    assert iacplan("check", tmp_path / ".pre-commit-config.yaml").exit_code == 2


def test_cloudformation_alone_passes_with_nothing_to_check(tmp_path: Path) -> None:
    write_tree(tmp_path, NOT_TEMPLATES)
    run = iacplan("check", "--only", "cloudformation", *(tmp_path / n for n in NOT_TEMPLATES))
    assert run.exit_code == 0 and run.stderr == ""
    assert "no aws_mwaa_environment found" in run.stdout


def test_a_rejected_or_broken_template_still_counts(tmp_path: Path) -> None:
    broken = "Resources:\n  X:\n    Type: AWS::MWAA::Environment\n    Properties: [\n"
    write_tree(tmp_path, {"bad.yaml": BAD_TEMPLATE, "broken.yaml": broken})
    run = iacplan("check", "--only", "cloudformation", tmp_path / "bad.yaml")
    assert run.exit_code == 1 and "MWAA004" in run.stdout
    run = iacplan("check", "--only", "cloudformation", tmp_path / "broken.yaml")
    assert run.exit_code == 2 and "broken.yaml" in run.stderr


def test_cloudformation_reads_change_sets_and_not_plans() -> None:
    run = iacplan("check", "--only", "cloudformation", "--format", "json", CHANGESET, PLAN)
    assert run.report["environments"] and all(
        e["kind"] == "cloudformation-changeset" for e in run.report["environments"]
    )


# In a directory, as without --only, a file that does not parse and may hold an environment
# is an error: a template there cannot be told from a broken one.
PARSED = {k: v for k, v in NOT_TEMPLATES.items() if k not in ("helm.yaml", "broken-json.json")}


def test_cloudformation_in_a_directory_leaves_terraform_out(tmp_path: Path) -> None:
    write_tree(tmp_path, {"mwaa.yaml": BAD_TEMPLATE, "main.tf": TERRAFORM, **PARSED})
    run = iacplan("check", "--only", "cloudformation", "--format", "json", tmp_path)
    assert ids(run.report) == ["mwaa.yaml#Airflow"]


def test_terraform_leaves_the_templates_beside_out(tmp_path: Path) -> None:
    write_tree(tmp_path, {"mwaa.yaml": BAD_TEMPLATE, "main.tf": TERRAFORM, **PARSED})
    run = iacplan("check", "--only", "terraform", "--format", "json", tmp_path)
    assert run.exit_code == 0, run.stderr
    assert ids(run.report) == ["aws_mwaa_environment.main"]
    # Without --only, the template beside is read too.
    assert iacplan("check", tmp_path).exit_code == 1


@pytest.mark.parametrize("given", ["mwaa.yaml", "package.json", "main.tf", "plan.json"])
def test_terraform_takes_modules_and_plans_only(tmp_path: Path, given: str) -> None:
    write_tree(tmp_path, {"mwaa.yaml": BAD_TEMPLATE, "main.tf": TERRAFORM, "package.json": "{}"})
    shutil.copy(PLAN, tmp_path / "plan.json")
    run = iacplan("check", "--only", "terraform", "--format", "json", tmp_path / given)
    assert run.exit_code == 0, run.stderr
    kinds = {e["kind"] for e in run.report["environments"]}
    assert kinds == {"main.tf": {"terraform"}, "plan.json": {"terraform-plan"}}.get(given, set())


def test_a_missing_path_is_still_an_error(tmp_path: Path) -> None:
    run = iacplan("check", "--only", "cloudformation", tmp_path / "nowhere.yaml")
    assert run.exit_code == 2 and "no such file or directory" in run.stderr
