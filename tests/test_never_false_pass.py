"""Never a false pass: make every sample's version unresolvable and nothing may be allowed; make
an object version unresolvable and it is never taken for pinned."""

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


def _text(tree: Path) -> str:
    return "".join(p.read_text() for p in sorted(tree.rglob("*.tf")))


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


OBJECT_VERSION = re.compile(r"^(\s*requirements_s3_object_version\s*=).*$", re.MULTILINE)
REQUIREMENTS_PATH = re.compile(r"^(\s*requirements_s3_path\s*=.*)$", re.MULTILINE)


def unresolvable_object_version(tree: Path, expression: str, declaration: str) -> None:
    for path in tree.rglob("*.tf"):
        text = path.read_text()
        if not REQUIREMENTS_PATH.search(text):
            continue
        if OBJECT_VERSION.search(text):
            text = OBJECT_VERSION.sub(rf"\1 {expression}", text)
        else:
            text = REQUIREMENTS_PATH.sub(
                rf"\1\n  requirements_s3_object_version = {expression}", text
            )
        path.write_text(declaration + text)


@pytest.mark.parametrize("how", sorted(UNRESOLVABLE))
@pytest.mark.parametrize(
    "sample",
    sorted(p.name for p in SAMPLES.iterdir() if REQUIREMENTS_PATH.search(_text(p / "head"))),
)
def test_an_unresolvable_object_version_is_never_pinned(
    tmp_path: Path, sample: str, how: str
) -> None:
    head = tmp_path / "head"
    shutil.copytree(SAMPLES / sample / "head", head)
    unresolvable_object_version(head, *UNRESOLVABLE[how])
    run = iacplan("check", "--base", SAMPLES / sample / "base", head, "--format", "json")
    assert run.exit_code in (0, 1), run.stderr
    changing = [
        env["id"]
        for env in run.report["environments"]
        if None not in (env["base_version"], env["head_version"])
        and env["base_version"] != env["head_version"]
    ]
    assert changing, "the sample changes no version"
    for env_id in changing:
        assert any(
            f["rule"] == "MWAA010"
            and f["environment"] == env_id
            and f["message"].startswith("whether the requirements file")
            and "cannot be verified" in f["message"]
            for f in run.report["findings"]
        ), run.report["findings"]
