"""Resolving intrinsic functions before deploy: what is known, what is unknown and why, and
conditions that stay undecided as alternatives; parameters from the command line and files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from iacplan.errors import InputError
from iacplan.inputs.cloudformation.values import (
    RESOURCE_TOKEN,
    Parameters,
    Resolver,
    line_of,
    read_parameters,
)
from iacplan.model import Location, Value, ValueState

HERE = Location("mwaa.yaml", 7)
TEMPLATE: dict[str, Any] = {
    "Parameters": {
        "Version": {"Type": "String", "Default": "2.10.3"},
        "Number": {"Type": "String", "Default": 2.10},
        "NoDefault": {"Type": "String"},
        "FromSsm": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/mwaa/version"},
        "Stage": {"Type": "String", "Default": "dev"},
    },
    "Mappings": {"Versions": {"prod": {"Airflow": "2.9.2"}, "dev": {"Airflow": "2.10.3"}}},
    "Conditions": {
        "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
        "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]},
        "Unknown": {"Fn::Equals": [{"Ref": "NoDefault"}, "x"]},
        "DevOrUnknown": {"Fn::Or": [{"Condition": "IsDev"}, {"Condition": "Unknown"}]},
        "ProdAndUnknown": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "Unknown"}]},
        "Loop": {"Condition": "Loop"},
    },
    "Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "Nested": {"Type": "AWS::CloudFormation::Stack"},
        "Env": {"Type": "AWS::MWAA::Environment"},
    },
}


def resolve(node: object, parameters: Parameters | None = None, arn: bool = False) -> Value:
    return Resolver(TEMPLATE, parameters or Parameters({})).value(node, HERE, arn)


def known(node: object, parameters: Parameters | None = None) -> str | None:
    value = resolve(node, parameters)
    assert value.state is ValueState.KNOWN, value
    return value.text


def unknown(node: object, parameters: Parameters | None = None) -> str:
    value = resolve(node, parameters)
    assert value.state is ValueState.UNKNOWN, value
    assert value.location == HERE
    return value.reason or ""


def test_literals_and_an_unquoted_number() -> None:
    assert known("2.10.3") == "2.10.3"
    assert known(True) == "true"
    number = resolve(2.1)
    assert number.text == "2.1" and "unquoted number" in (number.reason or "")
    assert "a list" in unknown(["2.10.3"])
    assert "a mapping" in unknown({"a": 1, "b": 2})


def test_parameters_given_win_over_the_default() -> None:
    assert known({"Ref": "Version"}) == "2.10.3"
    assert known({"Ref": "Version"}, Parameters({"Version": "2.9.2"})) == "2.9.2"
    number = resolve({"Ref": "Number"})
    assert number.text == "2.1" and "Default is an unquoted number" in (number.reason or "")
    assert "no Default and no value" in unknown({"Ref": "NoDefault"})
    assert "SSM Parameter Store" in unknown({"Ref": "FromSsm"}, Parameters({"FromSsm": "3"}))
    previous = Parameters({}, previous=frozenset({"Version"}))
    assert "UsePreviousValue" in unknown({"Ref": "Version"}, previous)
    everything = Parameters({"Version": "2.9.2"}, all_unknown="the stack's values are not shown")
    assert "not shown" in unknown({"Ref": "Version"}, everything)


def test_refs_to_what_is_known_only_at_deploy() -> None:
    assert "pseudo parameter AWS::Region" in unknown({"Ref": "AWS::Region"})
    assert resolve({"Ref": "AWS::NoValue"}).state is ValueState.MISSING
    assert "resource's id" in unknown({"Ref": "Bucket"})
    assert "no parameter or resource" in unknown({"Ref": "Nope"})
    assert "Ref needs a name" in unknown({"Ref": ["Version"]})


def test_in_an_arn_a_bucket_reference_is_a_token_and_the_partition_is_aws() -> None:
    arn = resolve({"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}"}, arn=True)
    assert arn.state is ValueState.KNOWN
    [name] = RESOURCE_TOKEN.findall(arn.text or "")
    assert name == "Bucket" and (arn.text or "").startswith("arn:aws:s3:::")
    get_att = resolve({"Fn::GetAtt": ["Bucket", "Arn"]}, arn=True)
    assert RESOURCE_TOKEN.findall(get_att.text or "") == ["Bucket"]
    # Outside an ARN neither is known.
    assert "pseudo parameter AWS::Partition" in unknown({"Ref": "AWS::Partition"})


def test_sub_join_select_and_find_in_map() -> None:
    assert known({"Fn::Sub": "${Version}"}) == "2.10.3"
    assert known({"Fn::Sub": ["${Major}.${Rest}", {"Major": "2", "Rest": "10.3"}]}) == "2.10.3"
    assert known({"Fn::Sub": "${!Literal}"}) == "${Literal}"
    assert "Fn::Sub ${NoDefault}" in unknown({"Fn::Sub": "${NoDefault}"})
    assert "attribute of another resource" in unknown({"Fn::Sub": "${Env.Arn}"})
    assert known({"Fn::Join": [".", ["2", "10", {"Ref": "Stage"}]]}) == "2.10.dev"
    assert "uses AWS::NoValue" in unknown({"Fn::Join": ["", [{"Ref": "AWS::NoValue"}]]})
    assert known({"Fn::Select": ["1", ["2.9.2", "2.10.3"]]}) == "2.10.3"
    assert "out of range" in unknown({"Fn::Select": [5, ["2.9.2"]]})
    assert "not written out" in unknown({"Fn::Select": [0, {"Ref": "Version"}]})
    assert known({"Fn::FindInMap": ["Versions", {"Ref": "Stage"}, "Airflow"]}) == "2.10.3"
    assert "has no Versions.test.Airflow" in unknown(
        {"Fn::FindInMap": ["Versions", "test", "Airflow"]}
    )
    with_default = {"Fn::FindInMap": ["Versions", "test", "Airflow", {"DefaultValue": "3.0.6"}]}
    assert known(with_default) == "3.0.6"


def test_what_cloudformation_learns_only_at_deploy_is_unknown_with_the_reason() -> None:
    assert "another stack" in unknown({"Fn::ImportValue": "shared-version"})
    assert "output of a nested stack" in unknown({"Fn::GetAtt": "Nested.Outputs.Version"})
    assert "availability zones" in unknown({"Fn::GetAZs": ""})
    assert "not an intrinsic function iacplan resolves" in unknown({"Fn::Unheard": 1})
    # A dynamic reference, however it was built, is resolved at deploy.
    dynamic = {"Fn::Sub": "{{resolve:ssm:/mwaa/${Stage}}}"}
    assert "dynamic reference" in unknown(dynamic)


def test_a_decided_condition_picks_its_branch() -> None:
    pick = {"Fn::If": ["IsProd", "2.9.2", "2.10.3"]}
    assert known(pick) == "2.10.3"
    assert known(pick, Parameters({"Stage": "prod"})) == "2.9.2"
    assert known({"Fn::If": ["IsDev", "dev", "prod"]}) == "dev"
    assert known({"Fn::If": ["DevOrUnknown", "a", "b"]}) == "a"  # one true decides Or
    assert known({"Fn::If": ["ProdAndUnknown", "a", "b"]}) == "b"  # one false decides And


def test_an_undecided_condition_carries_both_outcomes() -> None:
    value = resolve({"Fn::If": ["Unknown", "2.9.2", "2.10.3"]})
    assert value.state is ValueState.UNKNOWN
    assert "condition Unknown cannot be resolved" in (value.reason or "")
    assert "2.9.2 or 2.10.3" in (value.reason or "")
    assert [(a.when, a.value.text) for a in value.alternatives] == [
        ("if condition Unknown is true", "2.9.2"),
        ("if condition Unknown is false", "2.10.3"),
    ]
    # The same outcome either way is simply that outcome.
    assert known({"Fn::If": ["Unknown", "2.9.2", "2.9.2"]}) == "2.9.2"


def test_nested_undecided_conditions_combine_their_outcomes() -> None:
    inner = {"Fn::If": ["Unknown", "2.9.2", "2.10.3"]}
    value = resolve({"Fn::If": ["ProdAndUnknown", inner, "3.0.6"]}, Parameters({"Stage": "prod"}))
    assert [a.value.text for a in value.alternatives] == ["2.9.2", "2.10.3", "3.0.6"]
    assert value.alternatives[0].when == (
        "if condition ProdAndUnknown is true and condition Unknown is true"
    )


def test_conditions_that_cannot_be_decided_say_why() -> None:
    resolver = Resolver(TEMPLATE, Parameters({}))
    for name, reason in (
        ("Loop", "refers to itself"),
        ("Missing", "there is no condition Missing"),
        ("Unknown", "compares a value that is unknown"),
    ):
        decided = resolver.condition(name)
        assert not isinstance(decided, bool) and reason in decided.reason


def test_line_of_reads_the_decoders_mark() -> None:
    class Mark:
        line = 4

    class Node(str):
        start_mark = Mark()

    assert line_of(Node("x"), 1) == 5
    assert line_of("plain", 9) == 9


def write(tmp_path: Path, name: str, content: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(content) if not isinstance(content, str) else content)
    return path


def test_parameter_files_in_each_form_and_the_command_line_last(tmp_path: Path) -> None:
    cli_form = write(
        tmp_path,
        "cli.json",
        [
            {"ParameterKey": "Version", "ParameterValue": "2.9.2"},
            {"ParameterKey": "Stage", "UsePreviousValue": True},
        ],
    )
    pipeline_form = write(tmp_path, "pipeline.json", {"Parameters": {"Version": "2.10.1"}})
    plain_form = write(tmp_path, "plain.json", {"Stage": "dev"})
    read = read_parameters((), (cli_form,))
    assert read.values == {"Version": "2.9.2"} and read.previous == {"Stage"}
    # Later files override earlier ones, a value given again is no longer the previous one.
    read = read_parameters((), (cli_form, pipeline_form, plain_form))
    assert read.values == {"Version": "2.10.1", "Stage": "dev"} and read.previous == frozenset()
    read = read_parameters((("Version", "3.0.6"),), (cli_form,))
    assert read.values["Version"] == "3.0.6" and read.previous == {"Stage"}
    read = read_parameters((("Stage", "prod"),), (cli_form,))
    assert read.previous == frozenset()


def test_overridden_by_merges_values_and_drops_what_is_given_again() -> None:
    base = Parameters({"A": "1"}, previous=frozenset({"B", "C"}))
    merged = base.overridden_by(Parameters({"B": "2"}))
    assert merged.values == {"A": "1", "B": "2"} and merged.previous == {"C"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"Version": 2.1}, "parameter Version: the value must be a JSON string, not 2.1"),
        ([{"Value": "x"}], "needs ParameterKey/ParameterValue objects"),
        ('"just a string"', "not a parameters file"),
        ("{not json", "invalid JSON"),
    ],
)
def test_parameter_files_that_are_refused(tmp_path: Path, content: object, message: str) -> None:
    path = write(tmp_path, "bad.json", content)
    with pytest.raises(InputError, match=message):
        read_parameters((), (path,))


def test_a_refused_parameter_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.json", '{\n  "Stage": "dev",\n  "Version": 2.10\n}\n')
    with pytest.raises(InputError, match=r"bad\.json:3: parameter Version"):
        read_parameters((), (path,))
