"""CloudFormation change sets: actions, replacement, property values, pages, bad shapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers import CFN_SAMPLES, Run, files, iacplan
from iacplan.inputs import registry as sources

CHANGESET_ID = "arn:aws:cloudformation:eu-west-1:123456789012:changeSet/c/1"


def resource_change(
    action: str = "Modify",
    logical_id: str = "Airflow",
    before: str | None = None,
    after: str | None = None,
    contexts: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    change: dict[str, Any] = {
        "Action": action,
        "LogicalResourceId": logical_id,
        "ResourceType": "AWS::MWAA::Environment",
        "Replacement": "False",
        "Details": [
            {
                "Target": {
                    "Attribute": "Properties",
                    "Name": "AirflowVersion",
                    "RequiresRecreation": "Never",
                    **({"BeforeValue": before} if before and not contexts else {}),
                    **({"AfterValue": after} if after and not contexts else {}),
                },
                "Evaluation": "Static",
            }
        ],
    }
    if contexts:
        for key, version in (("BeforeContext", before), ("AfterContext", after)):
            if version is not None:
                change[key] = json.dumps({"Properties": {"AirflowVersion": version}})
    change.update(extra)
    return change


def page(*changes: dict[str, Any], changeset_id: str = CHANGESET_ID) -> dict[str, Any]:
    return {
        "ChangeSetId": changeset_id,
        "StackName": "analytics",
        "Changes": [{"Type": "Resource", "ResourceChange": c} for c in changes],
    }


def check(tmp_path: Path, doc: object, *args: str | Path, name: str = "cs.json") -> Run:
    path = tmp_path / name
    path.write_text(json.dumps(doc, indent=2))
    return iacplan("check", path, "--format", "json", *args)


@pytest.mark.parametrize("contexts", [True, False], ids=["contexts", "details"])
def test_property_values_give_both_versions(tmp_path: Path, contexts: bool) -> None:
    run = check(tmp_path, page(resource_change(before="2.10.3", after="2.9.2", contexts=contexts)))
    assert run.exit_code == 1
    environment = run.env("analytics#Airflow")
    assert environment["kind"] == "cloudformation-changeset"
    assert (environment["base_version"], environment["head_version"]) == ("2.10.3", "2.9.2")
    assert environment["planned_action"] == "update"
    text = (tmp_path / "cs.json").read_text().splitlines()
    line = next(i for i, t in enumerate(text, 1) if '"LogicalResourceId": "Airflow"' in t)
    assert "MWAA001" in run.rules() and environment["line"] == line


def test_without_property_values_versions_are_unknown(tmp_path: Path) -> None:
    run = check(tmp_path, page(resource_change()))
    assert run.exit_code == 0
    assert run.env("analytics#Airflow")["verdict"] == "unverified"
    assert run.rules() == ["MWAA008", "MWAA008"]
    assert "--include-property-values" in run.report["findings"][0]["message"]


def test_templates_fill_in_the_versions(tmp_path: Path) -> None:
    sample = CFN_SAMPLES / "changeset-with-templates"
    run = check(
        tmp_path,
        page(resource_change(before=None, after=None)),
        "--template",
        sample / "head" / "mwaa.yaml",
        "--base",
        sample / "base" / "mwaa.yaml",
    )
    environment = run.env("analytics#Airflow")
    assert (environment["base_version"], environment["head_version"]) == ("2.9.2", "2.10.3")
    assert environment["source_bucket"]["versioning"] == "enabled"


def test_modify_that_does_not_touch_the_version_keeps_it(tmp_path: Path) -> None:
    change = resource_change(contexts=True, before="2.10.3")
    change["Details"][0]["Target"]["Name"] = "MaxWorkers"
    run = check(tmp_path, page(change))
    environment = run.env("analytics#Airflow")
    assert environment["change"] == "unchanged" and environment["head_version"] == "2.10.3"


@pytest.mark.parametrize(
    ("replacement", "wording"), [("True", "replaces"), ("Conditional", "may replace")]
)
def test_replacement_loses_history(tmp_path: Path, replacement: str, wording: str) -> None:
    change = resource_change(before="2.10.3", after="2.10.3", Replacement=replacement)
    change["Details"].append({"Target": {"Name": "Name", "RequiresRecreation": "Always"}})
    run = check(tmp_path, page(change))
    assert run.exit_code == 1
    assert run.env("analytics#Airflow")["change"] == "replaced"
    [message] = [f["message"] for f in run.report["findings"] if f["rule"] == "MWAA007"]
    assert f"Replacement: {replacement}: CloudFormation {wording}" in message
    assert "Name (Always)" in message


@pytest.mark.parametrize(
    ("change", "kind", "rules"),
    [
        (resource_change("Remove", before="2.10.3", contexts=True), "removed", ["MWAA007"]),
        (
            resource_change("Remove", before="2.10.3", contexts=True, PolicyAction="Retain"),
            "forgotten",
            [],
        ),
        (resource_change("Add", after="2.10.3", contexts=True), "added", []),
    ],
)
def test_actions(tmp_path: Path, change: dict[str, Any], kind: str, rules: list[str]) -> None:
    run = check(tmp_path, page(change))
    assert run.env("analytics#Airflow")["change"] == kind
    assert run.rules() == rules


def test_dynamic_action_without_values_is_unknown(tmp_path: Path) -> None:
    run = check(tmp_path, page(resource_change("Dynamic", before="2.10.3", contexts=True)))
    environment = run.env("analytics#Airflow")
    assert environment["planned_action"] == "unknown" and environment["verdict"] == "unverified"


def test_pages_as_a_list_and_as_several_files(tmp_path: Path) -> None:
    one = page(resource_change(before="2.9.2", after="2.10.3"))
    two = page(resource_change(logical_id="Other", before="2.10.3", after="2.9.2"))
    run = check(tmp_path, [one, two])
    assert sorted(e["id"] for e in run.report["environments"]) == [
        "analytics#Airflow",
        "analytics#Other",
    ]
    (tmp_path / "p1.json").write_text(json.dumps(one))
    (tmp_path / "p2.json").write_text(json.dumps(two))
    run = iacplan("check", tmp_path / "p1.json", tmp_path / "p2.json", "--format", "json")
    assert "MWAA001" in run.rules("analytics#Other")


def test_pages_of_different_change_sets_are_refused(tmp_path: Path) -> None:
    run = check(tmp_path, [page(), page(changeset_id=CHANGESET_ID + "x")])
    assert run.exit_code == 2 and "pages of different change sets" in run.stderr


def test_nested_stack_change_is_unknown(tmp_path: Path) -> None:
    nested = {
        "Action": "Modify",
        "LogicalResourceId": "Child",
        "ResourceType": "AWS::CloudFormation::Stack",
        "ChangeSetId": CHANGESET_ID + "/child",
    }
    run = check(tmp_path, page(nested))
    assert run.env("analytics#Child")["verdict"] == "unverified"
    assert "nested stack" in run.report["findings"][0]["message"]


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"ChangeSetId": CHANGESET_ID, "Changes": "nope"}, "Changes is not a list"),
        ({"ChangeSetId": CHANGESET_ID, "Changes": [{"Type": "Resource"}]}, "no ResourceChange"),
    ],
)
def test_other_shapes_exit_2(tmp_path: Path, doc: object, message: str) -> None:
    run = check(tmp_path, doc)
    assert run.exit_code == 2 and "cs.json:" in run.stderr and message in run.stderr


def test_template_option_needs_a_change_set(tmp_path: Path) -> None:
    sample = CFN_SAMPLES / "yaml-minor-upgrade"
    run = iacplan(
        "check", sample / "head" / "mwaa.yaml", "--template", sample / "head" / "mwaa.yaml"
    )
    assert run.exit_code == 2 and "--template goes with a change set" in run.stderr


PARAMETER_TEMPLATE = """\
Parameters:
  Version:
    Type: String
    Default: "{default}"
Resources:
  Airflow:
    Type: AWS::MWAA::Environment
    Properties:
      Name: analytics
      AirflowVersion: !Ref Version
"""


def test_templates_resolve_with_the_change_sets_parameters_not_guesses(tmp_path: Path) -> None:
    (tmp_path / "new.yaml").write_text(PARAMETER_TEMPLATE.format(default="2.10.1"))
    (tmp_path / "old.yaml").write_text(PARAMETER_TEMPLATE.format(default="2.9.2"))
    doc = page(resource_change())
    doc["Parameters"] = [{"ParameterKey": "Version", "ParameterValue": "2.10.3"}]
    run = check(tmp_path, doc, "--template", tmp_path / "new.yaml", "--base", tmp_path / "old.yaml")
    environment = run.env("analytics#Airflow")
    # Head: the change set's own value, not the template's Default. Base: the deployed
    # stack's value, which no file shows.
    assert (environment["base_version"], environment["head_version"]) == (None, "2.10.3")
    assert environment["verdict"] == "unverified"


def test_templates_that_resolve_a_changed_version_equal_are_not_believed(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(
        PARAMETER_TEMPLATE.format(default="2.10.1").replace("!Ref Version", '"2.10.1"')
    )
    run = check(
        tmp_path,
        page(resource_change()),
        "--template",
        tmp_path / "t.yaml",
        "--base",
        tmp_path / "t.yaml",
    )
    assert run.env("analytics#Airflow")["verdict"] == "unverified"
    assert "resolve both sides to 2.10.1" in json.dumps(run.report["findings"])


def test_a_dynamic_action_is_never_allowed(tmp_path: Path) -> None:
    run = check(tmp_path, page(resource_change("Dynamic", before="2.10.1", after="2.10.3")))
    environment = run.env("analytics#Airflow")
    assert (environment["change"], environment["verdict"]) == ("unknown", "unverified")


# --- files in the source bucket, and tags ------------------------------------------------


def test_files_and_tags_from_property_values(tmp_path: Path) -> None:
    change = resource_change(before="2.9.2", after="2.10.3", contexts=True)
    for key, version in (("BeforeContext", "v1"), ("AfterContext", "v2")):
        properties = {
            "AirflowVersion": json.loads(change[key])["Properties"]["AirflowVersion"],
            "RequirementsS3Path": "requirements.txt",
            "RequirementsS3ObjectVersion": version,
            "PluginsS3Path": "plugins.zip",
            "StartupScriptS3Path": "",
            "Tags": {"environment": "prod", "cost": 3},
        }
        change[key] = json.dumps({"Properties": properties})
    path = tmp_path / "cs.json"
    path.write_text(json.dumps(page(change)))
    loaded_changeset = sources.load(path, sources.Inputs())
    assert loaded_changeset.base is not None
    [base], [head] = loaded_changeset.base, loaded_changeset.head
    assert files(base)["requirements"] == ("requirements.txt", "v1")
    assert files(head) == {
        "requirements": ("requirements.txt", "v2"),
        "plugins": ("plugins.zip", "missing: PluginsS3ObjectVersion is not set"),
    }
    assert head.tags == (("environment", "prod"),)
    run = check(tmp_path, page(change))
    assert run.rules() == ["MWAA006", "MWAA010"]


def test_files_and_tags_from_the_templates(tmp_path: Path) -> None:
    sample = CFN_SAMPLES / "s3-files-and-tags"
    path = tmp_path / "cs.json"
    path.write_text(json.dumps(page(resource_change())))
    inputs = sources.Inputs(template=sample / "head" / "mwaa.yaml")
    [head] = sources.load(path, inputs).head
    assert files(head)["requirements"] == ("requirements.txt", "Lk5Jh3Gf1Ds9Aq7We5Rt3Yu1Io9Pz7Xc")
    assert head.tags == (("environment", "prod"), ("team", "analytics"))


def test_without_property_values_or_templates_files_are_unknown(tmp_path: Path) -> None:
    path = tmp_path / "cs.json"
    path.write_text(json.dumps(page(resource_change())))
    [head] = sources.load(path, sources.Inputs()).head
    assert set(files(head)) == {"requirements", "plugins", "startup script"}
    assert all("--include-property-values" in version for _, version in files(head).values())
    assert head.tags == ()
