"""The input kinds through their interface and the registry: which kinds read a path, and the
environments they load (no CLI, no report)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import TreeMaker
from helpers import CFN_SAMPLES, REPO, SAMPLES, mwaa
from iacplan.errors import InputError
from iacplan.inputs import registry as sources
from iacplan.inputs.interface import Inputs, Source
from iacplan.model import EnvironmentKind

PLANS = REPO / "samples" / "terraform-plan"
TEMPLATE = """\
Resources:
  Airflow:
    Type: AWS::MWAA::Environment
    Properties:
      Name: analytics
      AirflowVersion: "2.10.3"
"""


def kinds(path: Path) -> list[str]:
    return [kind.name for kind in sources.kinds_of(Source(path, Inputs()))]


def test_the_registry_asks_every_kind_in_order() -> None:
    assert [kind.name for kind in sources.KINDS] == [
        "Terraform configuration",
        "Terraform plan JSON",
        "CloudFormation change set",
        "CloudFormation template",
    ]
    for kind in sources.KINDS:  # what InputKind asks of each
        assert callable(kind.detect) and callable(kind.load) and kind.name


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # A directory is read by every kind that detects it: templates may be beside Terraform.
        (
            SAMPLES / "minor-upgrade" / "head",
            ["Terraform configuration", "CloudFormation template"],
        ),
        (SAMPLES / "minor-upgrade" / "head" / "main.tf", ["Terraform configuration"]),
        (PLANS / "minor-upgrade" / "plan.json", ["Terraform plan JSON"]),
        (
            CFN_SAMPLES / "changeset-property-values" / "changeset.json",
            ["CloudFormation change set"],
        ),
        (CFN_SAMPLES / "yaml-minor-upgrade" / "head", ["CloudFormation template"]),
        (CFN_SAMPLES / "yaml-minor-upgrade" / "head" / "mwaa.yaml", ["CloudFormation template"]),
    ],
)
def test_kinds_detected(path: Path, expected: list[str]) -> None:
    assert kinds(path) == expected


def test_a_missing_path_is_refused_before_any_kind_looks(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or directory"):
        sources.kinds_of(Source(tmp_path / "nothing.json", Inputs()))


def test_a_mixed_directory_loads_both_kinds(tree: TreeMaker) -> None:
    top = tree({"main.tf": mwaa('"2.9.2"'), "cfn/stack.yaml": TEMPLATE})
    loaded = sources.load(top, Inputs())
    assert loaded.base is None
    assert [(env.id, env.kind) for env in loaded.head] == [
        ("aws_mwaa_environment.main", EnvironmentKind.TERRAFORM),
        ("cfn/stack.yaml#Airflow", EnvironmentKind.CLOUDFORMATION),
    ]


def test_a_file_no_kind_reads_is_refused_by_the_last(tmp_path: Path) -> None:
    other = tmp_path / "notes.yaml"
    other.write_text("just: notes\n")
    with pytest.raises(InputError, match=r"not a Terraform directory or \.tf file"):
        sources.load(other, Inputs())


def test_invalid_json_is_an_error_only_in_a_json_file(tmp_path: Path) -> None:
    broken = tmp_path / "plan.json"
    broken.write_text("{")
    with pytest.raises(InputError, match=r"plan\.json:1: invalid JSON"):
        sources.load(broken, Inputs())
    yaml = tmp_path / "stack.yaml"
    yaml.write_text(TEMPLATE)
    assert Source(yaml, Inputs()).document is None  # YAML: looked at as no JSON at all


def test_environment_kinds_are_the_report_values() -> None:
    assert [kind.value for kind in EnvironmentKind] == [
        "terraform",
        "terraform-plan",
        "cloudformation",
        "cloudformation-changeset",
    ]
