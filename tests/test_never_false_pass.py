"""Never a false pass: make every sample's version unresolvable and nothing may be allowed."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from helpers import SAMPLES, iacplan

ATTRIBUTE = re.compile(r"^(\s*airflow_version\s*=).*$", re.MULTILINE)
UNRESOLVABLE = {
    "required variable": ("var.iacplan_unresolved", 'variable "iacplan_unresolved" {}\n'),
    "data source": (
        "data.aws_ssm_parameter.iacplan.value",
        'data "aws_ssm_parameter" "iacplan" {\n  name = "/mwaa/version"\n}\n',
    ),
    "function over unknown": (
        "trimspace(var.iacplan_unresolved)",
        'variable "iacplan_unresolved" {}\n',
    ),
    "remote state": (
        "data.terraform_remote_state.s.outputs.v",
        'data "terraform_remote_state" "s" {\n  backend = "s3"\n}\n',
    ),
}


def make_unresolvable(tree: Path, expression: str, declaration: str) -> None:
    for path in tree.rglob("*"):
        if path.suffix == ".tf":
            text = path.read_text()
            if ATTRIBUTE.search(text):
                path.write_text(declaration + ATTRIBUTE.sub(rf"\1 {expression}", text))
        elif path.name.endswith(".tfvars"):
            kept = [line for line in path.read_text().splitlines() if "airflow_version" not in line]
            path.write_text("\n".join(kept) + "\n")


@pytest.mark.parametrize("how", sorted(UNRESOLVABLE))
@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.iterdir() if p.is_dir()))
def test_unresolvable_head_version_is_never_allowed(tmp_path: Path, sample: str, how: str) -> None:
    head = tmp_path / "head"
    shutil.copytree(SAMPLES / sample / "head", head)
    make_unresolvable(head, *UNRESOLVABLE[how])
    run = iacplan("check", "--base", SAMPLES / sample / "base", head, "--format", "json")
    assert run.exit_code in (0, 1), run.stderr
    for env in run.report["environments"]:
        assert env["head_version"] is None
        assert env["verdict"] == "unverified", env
    assert "MWAA008" in run.rules()
