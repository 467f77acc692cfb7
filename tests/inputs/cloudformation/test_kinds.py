"""CloudFormation's input kinds through their interface: a change set and templates."""

from __future__ import annotations

import pytest

from conftest import TreeMaker
from helpers import CFN_SAMPLES
from iacplan.errors import NoDefinitions
from iacplan.inputs.cloudformation import kinds as cloudformation
from iacplan.inputs.interface import Inputs, Source
from iacplan.model import EnvironmentKind

TEMPLATE = """\
Resources:
  Airflow:
    Type: AWS::MWAA::Environment
    Properties:
      Name: analytics
      AirflowVersion: "2.10.3"
"""


def test_a_change_set_with_property_values() -> None:
    source = Source(CFN_SAMPLES / "changeset-property-values" / "changeset.json", Inputs())
    kind = cloudformation.ChangeSet()
    assert kind.detect(source)
    loaded = kind.load(source)
    assert loaded.base is not None and not loaded.local_ids  # ids are stack names
    assert {env.kind for env in loaded.head + loaded.base} == {
        EnvironmentKind.CLOUDFORMATION_CHANGESET
    }


def test_templates_in_a_directory_and_a_file(tree: TreeMaker) -> None:
    top = tree({"team/stack.yaml": TEMPLATE, "values.json": '{"not": "a template"}'})
    kind = cloudformation.Templates()
    [env] = kind.load(Source(top, Inputs())).head
    assert (env.id, env.kind, env.version.text) == (
        "team/stack.yaml#Airflow",
        EnvironmentKind.CLOUDFORMATION,
        "2.10.3",
    )
    # A file's ids are its name, or the name it stands for beside another file.
    [alone] = kind.load(Source(top / "team" / "stack.yaml", Inputs(), name="mwaa.yaml")).head
    assert alone.id == "mwaa.yaml#Airflow"


def test_templates_beside_terraform_are_read_only_when_surely_templates(tree: TreeMaker) -> None:
    top = tree({"docs/config.yaml": "a: 1\n"})
    with pytest.raises(NoDefinitions):  # alone, a directory without templates is an error
        cloudformation.Templates().load(Source(top, Inputs()))
    shared = Source(top, Inputs(), shared=True)
    assert cloudformation.Templates().load(shared).head == ()
