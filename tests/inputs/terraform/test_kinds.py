"""Terraform's input kinds through their interface: a configuration and a plan JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import TreeMaker
from helpers import REPO, mwaa
from iacplan.errors import InputError
from iacplan.inputs.interface import Inputs, Source, TerraformInputs
from iacplan.inputs.terraform import kinds as terraform
from iacplan.model import EnvironmentKind

PLANS = REPO / "samples" / "terraform-plan"
TEMPLATE = """\
Resources:
  Airflow:
    Type: AWS::MWAA::Environment
"""


def test_a_terraform_configuration_loads_its_environments(tree: TreeMaker) -> None:
    top = tree({"main.tf": mwaa("var.v"), "variables.tf": 'variable "v" {}\n'})
    kind = terraform.Configuration()
    inputs = Inputs(terraform=TerraformInputs(variables=(("v", "2.10.3"),)))
    for path in (top, top / "main.tf"):  # a .tf file stands for its directory
        source = Source(path, inputs)
        assert kind.detect(source)
        loaded = kind.load(source)
        assert loaded.base is None
        [env] = loaded.head
        assert (env.id, env.kind, env.version.text) == (
            "aws_mwaa_environment.main",
            EnvironmentKind.TERRAFORM,
            "2.10.3",
        )


def test_a_directory_without_terraform_is_not_terraforms(tree: TreeMaker) -> None:
    top = tree({"stack.yaml": TEMPLATE})
    assert not terraform.Configuration().detect(Source(top, Inputs()))
    assert not terraform.Plan().detect(Source(top, Inputs()))


def test_a_plan_carries_its_base() -> None:
    source = Source(PLANS / "minor-upgrade" / "plan.json", Inputs())
    kind = terraform.Plan()
    assert kind.detect(source)
    loaded = kind.load(source)
    assert loaded.local_ids  # its addresses are unique only within this plan
    assert loaded.base is not None
    [(base, head)] = zip(loaded.base, loaded.head, strict=True)
    assert base.kind is head.kind is EnvironmentKind.TERRAFORM_PLAN
    assert (base.version.text, head.version.text) == ("2.8.1", "2.10.3")


def test_a_state_is_detected_to_be_refused(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"format_version": "1.0", "values": {}}))
    source = Source(state, Inputs())
    assert terraform.Plan().detect(source)
    with pytest.raises(InputError, match="a Terraform state, not a plan"):
        terraform.Plan().load(source)


def test_plan_text_from_a_terraform_run() -> None:
    text = (PLANS / "downgrade" / "plan.json").read_text()
    loaded = terraform.load_plan_text(text, "tfplan (show -json)")
    assert {env.location.file for env in loaded.head} == {"tfplan (show -json)"}
    with pytest.raises(InputError, match="not a Terraform plan JSON"):
        terraform.load_plan_text('{"Resources": {}}', "x")
