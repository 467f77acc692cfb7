"""CloudFormation templates: what is resolved, what is knowingly unknown, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from helpers import CFN_SAMPLES, Run, files, iacplan, loaded
from iacplan.inputs import registry as sources

BUCKET = """
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      VersioningConfiguration:
        Status: Enabled
"""


def template(version: str, head: str = "", resources: str = BUCKET, extra: str = "") -> str:
    """A template with `head` (parameters, conditions...) and an environment `Env` whose
    AirflowVersion is the YAML given, its bucket `Bucket` among `resources`."""
    return (
        head + "Resources:\n" + _indent(resources) + "  Env:\n"
        "    Type: AWS::MWAA::Environment\n"
        "    Properties:\n"
        "      Name: env\n"
        f"      AirflowVersion: {version}\n"
        "      SourceBucketArn: !GetAtt Bucket.Arn\n" + extra
    )


def _indent(resources: str) -> str:
    text = textwrap.dedent(resources).strip("\n")
    return "\n".join("  " + line if line else line for line in text.splitlines()) + "\n"


def check(tmp_path: Path, text: str, *args: str | Path, name: str = "mwaa.yaml") -> Run:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return iacplan("check", path, "--format", "json", *args)


def env(run: Run) -> dict[str, Any]:
    assert run.exit_code in (0, 1), run.stderr
    [environment] = run.report["environments"]
    return environment


def messages(run: Run, rule: str) -> list[str]:
    return [f["message"] for f in run.report["findings"] if f["rule"] == rule]


# --- values resolved --------------------------------------------------------------------

PARAMETER = """
Parameters:
  Version:
    Type: String
    Default: "2.9.2"
    AllowedValues: ["2.9.2", "2.10.3"]
"""


@pytest.mark.parametrize(
    ("version", "head", "args", "expected"),
    [
        ('"2.10.3"', "", (), "2.10.3"),
        ("2.10.3", "", (), "2.10.3"),
        ("!Ref Version", PARAMETER, (), "2.9.2"),
        ("!Ref Version", PARAMETER, ("--parameter", "Version=2.10.3"), "2.10.3"),
        # AllowedValues is no filter: the given value counts, and MWAA004 judges it.
        ("!Ref Version", PARAMETER, ("--parameter", "Version=3.0.6"), "3.0.6"),
        (
            '!Sub "${Major}.10.3"',
            "Parameters:\n  Major: {Type: String, Default: '2'}\n",
            (),
            "2.10.3",
        ),
        (
            '!Join [".", ["2", !Select [1, ["9", "10"]], "3"]]',
            "",
            (),
            "2.10.3",
        ),
        (
            "!FindInMap [V, !Ref Stage, airflow]",
            "Parameters:\n  Stage: {Type: String, Default: prod}\n"
            "Mappings:\n  V:\n    prod: {airflow: '2.11.0'}\n    dev: {airflow: '3.0.6'}\n",
            (),
            "2.11.0",
        ),
        (
            "!If [IsProd, '2.10.3', '2.9.2']",
            "Parameters:\n  Stage: {Type: String, Default: dev}\n"
            "Conditions:\n  IsProd: !Equals [!Ref Stage, prod]\n"
            "  NotProd: !Not [!Condition IsProd]\n"
            "  Both: !And [!Condition NotProd, !Or [!Equals [a, b], !Condition NotProd]]\n",
            ("--parameter", "Stage=prod"),
            "2.10.3",
        ),
        (
            "!If [Both, '2.10.3', '2.9.2']",
            "Parameters:\n  Stage: {Type: String, Default: dev}\n"
            "Conditions:\n  IsProd: !Equals [!Ref Stage, prod]\n"
            "  NotProd: !Not [!Condition IsProd]\n"
            "  Both: !And [!Condition NotProd, !Or [!Equals [a, b], !Condition NotProd]]\n",
            (),
            "2.10.3",
        ),
    ],
)
def test_resolved_versions(
    tmp_path: Path, version: str, head: str, args: tuple[str, ...], expected: str
) -> None:
    assert env(check(tmp_path, template(version, head), *args))["head_version"] == expected


@pytest.mark.parametrize(
    "content",
    [
        json.dumps([{"ParameterKey": "Version", "ParameterValue": "2.10.3"}]),
        json.dumps({"Version": "2.10.3"}),
        json.dumps({"Parameters": {"Version": "2.10.3"}, "Tags": {}}),
    ],
    ids=["cli", "simple", "codepipeline"],
)
def test_parameters_file_forms(tmp_path: Path, content: str) -> None:
    params = tmp_path / "params.json"
    params.write_text(content)
    run = check(tmp_path, template("!Ref Version", PARAMETER), "--parameters-file", params)
    assert env(run)["head_version"] == "2.10.3"


def test_parameter_option_wins_over_file(tmp_path: Path) -> None:
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"Version": "2.10.3"}))
    run = check(
        tmp_path,
        template("!Ref Version", PARAMETER),
        "--parameters-file",
        params,
        "--parameter",
        "Version=2.9.2",
    )
    assert env(run)["head_version"] == "2.9.2"


def test_number_in_parameters_file_is_refused_with_line(tmp_path: Path) -> None:
    params = tmp_path / "params.json"
    params.write_text('{\n  "Version": 2.10\n}\n')
    run = check(tmp_path, template("!Ref Version", PARAMETER), "--parameters-file", params)
    assert run.exit_code == 2
    assert "params.json:2: parameter Version" in run.stderr and "quote it" in run.stderr


# --- what cannot be resolved is unknown, with a reason -------------------------------------


@pytest.mark.parametrize(
    ("version", "head", "args", "reason"),
    [
        ("!Ref Version", "Parameters:\n  Version: {Type: String}\n", (), "has no Default"),
        (
            "!Ref Version",
            "Parameters:\n  Version:\n    Type: AWS::SSM::Parameter::Value<String>\n"
            "    Default: /mwaa/version\n",
            (),
            "SSM Parameter Store",
        ),
        ("!ImportValue shared-version", "", (), "another stack"),
        ("!GetAtt Other.Version", "", (), "another resource"),
        ("!Sub '${AWS::Region}'", "", (), "pseudo parameter AWS::Region"),
        ("'{{resolve:ssm:/mwaa/version}}'", "", (), "dynamic reference"),
        ("!Frobnicate x", "", (), "Fn::Frobnicate is not an intrinsic function"),
        (
            "!FindInMap [V, nope, airflow]",
            "Mappings:\n  V:\n    a: {airflow: x}\n",
            (),
            "no V.nope",
        ),
    ],
)
def test_unresolvable_versions_are_unknown(
    tmp_path: Path, version: str, head: str, args: tuple[str, ...], reason: str
) -> None:
    text = template(version, head)
    run = check(tmp_path, text, *args)
    environment = env(run)
    assert environment["head_version"] is None and environment["verdict"] == "unverified"
    [finding] = [f for f in run.report["findings"] if f["rule"] == "MWAA008"]
    assert reason in finding["message"]
    line = text.splitlines().index(f"      AirflowVersion: {version}") + 1
    assert finding["file"].endswith("mwaa.yaml") and finding["line"] == line


def test_use_previous_value_is_unknown(tmp_path: Path) -> None:
    params = tmp_path / "params.json"
    params.write_text(json.dumps([{"ParameterKey": "Version", "UsePreviousValue": True}]))
    run = check(tmp_path, template("!Ref Version", PARAMETER), "--parameters-file", params)
    assert "UsePreviousValue" in messages(run, "MWAA008")[0]


def test_unresolved_condition_judges_both_branches(tmp_path: Path) -> None:
    head = (
        "Parameters:\n  Stage: {Type: String}\nConditions:\n  IsProd: !Equals [!Ref Stage, prod]\n"
    )
    base = tmp_path / "base"
    base.mkdir()
    (base / "mwaa.yaml").write_text(template("'2.10.3'", head))
    run = check(
        tmp_path, template("!If [IsProd, '2.10.3', '2.9.2']", head), "--base", base / "mwaa.yaml"
    )
    assert run.exit_code == 1
    environment = env(run)
    assert environment["verdict"] == "rejected" and environment["head_version"] is None
    [downgrade] = messages(run, "MWAA001")
    assert downgrade.startswith("if condition IsProd is false: downgrade 2.10.3 → 2.9.2")
    assert "it is 2.10.3 or 2.9.2" in messages(run, "MWAA008")[0]


def test_condition_on_the_environment(tmp_path: Path) -> None:
    head = (
        "Parameters:\n  Stage: {Type: String, Default: dev}\n"
        "Conditions:\n  IsProd: !Equals [!Ref Stage, prod]\n"
    )
    text = template("'2.10.3'", head).replace(
        "    Type: AWS::MWAA::Environment\n",
        "    Type: AWS::MWAA::Environment\n    Condition: IsProd\n",
    )
    assert check(tmp_path, text).report["environments"] == []
    unknown = text.replace("Default: dev", "AllowedValues: [dev, prod]")
    assert "whether Env exists" in messages(check(tmp_path, unknown), "MWAA008")[0]


def test_nested_stack_is_unknown(tmp_path: Path) -> None:
    text = template("'2.10.3'") + (
        "  Nested:\n    Type: AWS::CloudFormation::Stack\n"
        "    Properties:\n      TemplateURL: https://example.com/t.yaml\n"
    )
    run = check(tmp_path, text)
    nested = run.env("mwaa.yaml#Nested")
    assert nested["verdict"] == "unverified"
    assert any("nested stack" in m for m in messages(run, "MWAA008"))


# --- YAML typing traps -------------------------------------------------------------------


def test_unquoted_float_version_says_to_quote_it(tmp_path: Path) -> None:
    run = check(tmp_path, template("2.10"))
    assert run.exit_code == 1
    assert env(run)["head_version"] == "2.1"
    [message] = messages(run, "MWAA004")
    assert "unquoted number 2.10" in message and "quote the version" in message


def test_unquoted_float_in_json_and_in_a_parameter_default(tmp_path: Path) -> None:
    doc = {
        "Resources": {
            "Env": {"Type": "AWS::MWAA::Environment", "Properties": {"AirflowVersion": 2.10}}
        }
    }
    run = check(tmp_path, json.dumps(doc, indent=1), name="mwaa.json")
    assert "quote the version" in messages(run, "MWAA004")[0]
    head = "Parameters:\n  Version:\n    Type: String\n    Default: 2.10\n"
    run = check(tmp_path, template("!Ref Version", head))
    assert "Default is an unquoted number" in messages(run, "MWAA004")[0]


def test_trailing_space_is_not_stripped_into_a_version(tmp_path: Path) -> None:
    run = check(tmp_path, template('"2.10.3 "'))
    assert env(run)["head_version"] == "2.10.3 "
    assert "white space" in messages(run, "MWAA004")[0]


# --- source bucket -----------------------------------------------------------------------


def bucket_of(tmp_path: Path, text: str, *args: str) -> dict[str, Any]:
    bucket: dict[str, Any] = env(check(tmp_path, text, *args))["source_bucket"]
    return bucket


@pytest.mark.parametrize(
    "arn",
    [
        "!GetAtt Bucket.Arn",
        '!Sub "arn:${AWS::Partition}:s3:::${Bucket}"',
        '!Join ["", ["arn:", !Ref "AWS::Partition", ":s3:::", !Ref Bucket]]',
        "arn:aws:s3:::named-bucket",
    ],
)
def test_bucket_in_the_template(tmp_path: Path, arn: str) -> None:
    resources = BUCKET.replace("Properties:\n", "Properties:\n      BucketName: named-bucket\n")
    text = template("'2.10.3'", resources=resources).replace("!GetAtt Bucket.Arn", arn)
    bucket = bucket_of(tmp_path, text)
    assert bucket["versioning"] == "enabled" and bucket["in_config"] is True


@pytest.mark.parametrize(
    ("properties", "versioning"),
    [
        ("VersioningConfiguration: {Status: Suspended}", "suspended"),
        ("Tags: []", "disabled"),
        ("LifecycleConfiguration: {Rules: [{Status: Enabled, ExpirationInDays: 7}]}", "disabled"),
    ],
)
def test_bucket_versioning_states(tmp_path: Path, properties: str, versioning: str) -> None:
    resources = f"Bucket:\n  Type: AWS::S3::Bucket\n  Properties:\n    {properties}\n"
    text = template("'2.10.3'", resources=resources)
    assert bucket_of(tmp_path, text)["versioning"] == versioning


def test_unversioned_bucket_on_upgrade_is_mwaa005(tmp_path: Path) -> None:
    sample = CFN_SAMPLES / "versioning-never-enabled"
    run = iacplan("check", "--base", sample / "base", sample / "head", "--format", "json")
    [message] = messages(run, "MWAA005")
    assert "never enabled" in message


@pytest.mark.parametrize(
    ("arn", "args", "reason"),
    [
        ("!Ref BucketArn", (), "has no Default"),
        ("!Ref BucketArn", ("--parameter", "BucketArn=arn:aws:s3:::elsewhere"), "not defined"),
        ("!ImportValue shared-bucket-arn", (), "another stack"),
    ],
)
def test_bucket_outside_the_template_is_unknown(
    tmp_path: Path, arn: str, args: tuple[str, ...], reason: str
) -> None:
    head = "Parameters:\n  BucketArn: {Type: String}\n"
    text = template("'2.10.3'", head).replace("!GetAtt Bucket.Arn", arn)
    bucket = bucket_of(tmp_path, text, *args)
    assert bucket["versioning"] == "unknown" and reason in bucket["reason"]


# --- templates in general ------------------------------------------------------------------


def test_sam_template(tmp_path: Path) -> None:
    head = "Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    Timeout: 30\n"
    text = template("'2.10.3'", head) + (
        "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      Handler: a.b\n      Runtime: python3.12\n      InlineCode: x\n"
    )
    assert env(check(tmp_path, text))["head_version"] == "2.10.3"


def test_directory_of_templates_pairs_by_relative_path(tmp_path: Path) -> None:
    for side, version in (("base", "2.9.2"), ("head", "2.10.3")):
        (tmp_path / side / "prod").mkdir(parents=True)
        (tmp_path / side / "prod" / "mwaa.yaml").write_text(template(f"'{version}'"))
        (tmp_path / side / "params.json").write_text('{"Stage": "prod"}')
    run = iacplan("check", "--base", tmp_path / "base", tmp_path / "head", "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert run.env("prod/mwaa.yaml#Env")["change"] == "upgrade"


def test_files_of_different_names_pair(tmp_path: Path) -> None:
    (tmp_path / "deployed.yaml").write_text(template("'2.9.2'"))
    run = check(tmp_path, template("'2.10.3'"), "--base", tmp_path / "deployed.yaml")
    assert env(run)["change"] == "upgrade" and env(run)["id"] == "mwaa.yaml#Env"


def test_cfn_lint_errors_on_the_environment_are_notes(tmp_path: Path) -> None:
    resources = (
        BUCKET.replace("Enabled", "Disabled")
        + "  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n      Nope: 1\n"
    )
    text = template("'2.10.3'", resources=resources, extra="      MaxWorkers: lots\n")
    run = check(tmp_path, text)
    notes = env(run)["notes"]
    assert any(n.startswith("cfn-lint E3030 at") and "mwaa.yaml:6" in n for n in notes)
    assert any("E3012" in n and "lots" in n for n in notes)
    assert not any("Nope" in n for n in notes)  # not the environment's or its bucket's
    assert env(run)["verdict"] == "allowed"  # information only


# --- Fn::FindInMap keyed by what is known only at deploy (issue 16, item 14) -----------------


def region_map(**versions: str) -> str:
    rows = "".join(f"    {region}: {{Airflow: '{v}'}}\n" for region, v in versions.items())
    return "Mappings:\n  Versions:\n" + rows


def compare(tmp_path: Path, base: str, head: str, version: str) -> Run:
    for side, text in (("base", base), ("head", head)):
        (tmp_path / side).mkdir()
        (tmp_path / side / "mwaa.yaml").write_text(template(version, text))
    return iacplan("check", "--base", tmp_path / "base", tmp_path / "head", "--format", "json")


REGION = "!FindInMap [Versions, !Ref AWS::Region, Airflow]"


def test_a_region_keyed_map_is_judged_region_by_region(tmp_path: Path) -> None:
    run = compare(
        tmp_path,
        region_map(**{"us-east-1": "2.10.3", "eu-west-1": "2.10.3"}),
        region_map(**{"us-east-1": "2.11.0", "eu-west-1": "2.9.2"}),
        REGION,
    )
    assert run.exit_code == 1
    assert env(run)["verdict"] == "rejected"
    [downgrade] = messages(run, "MWAA001")
    assert downgrade.startswith("if AWS::Region is eu-west-1: downgrade 2.10.3 → 2.9.2")
    [unknown] = [m for m in messages(run, "MWAA008") if m.startswith("head")]
    assert "2.11.0 if AWS::Region is us-east-1, 2.9.2 if AWS::Region is eu-west-1" in unknown
    assert "the pseudo parameter AWS::Region is known only at deploy" in unknown


def test_regions_are_paired_with_themselves_not_with_each_other(tmp_path: Path) -> None:
    """us-east-1 at 2.11.0 and eu-west-1 catching up 2.9.2 → 2.10.3: no region goes down, so
    base us-east-1 against head eu-west-1 (a downgrade) is no outcome."""
    run = compare(
        tmp_path,
        region_map(**{"us-east-1": "2.11.0", "eu-west-1": "2.9.2"}),
        region_map(**{"us-east-1": "2.11.0", "eu-west-1": "2.10.3"}),
        REGION,
    )
    assert "MWAA001" not in run.rules()
    assert env(run)["verdict"] == "unverified"  # still unknown until the region is


def test_an_account_keyed_map_with_a_default_value(tmp_path: Path) -> None:
    """Another account finds no entry and takes the DefaultValue: that is an outcome too."""
    version = "!FindInMap [Accounts, !Ref AWS::AccountId, Airflow, {DefaultValue: '2.8.1'}]"
    head = (
        "Transform: AWS::LanguageExtensions\nMappings:\n  Accounts:\n"
        "    '111122223333': {Airflow: '2.10.3'}\n"
    )
    run = check(tmp_path, template(version, head))
    [unknown] = messages(run, "MWAA008")
    assert "2.10.3 if AWS::AccountId is 111122223333" in unknown
    assert "2.8.1 if AWS::AccountId is none of 111122223333" in unknown


def test_a_second_key_that_is_unknown_is_enumerated_too(tmp_path: Path) -> None:
    head = "Mappings:\n  Versions:\n    prod: {us-east-1: '2.10.3', eu-west-1: '2.10.3'}\n"
    environment = env(
        check(tmp_path, template("!FindInMap [Versions, prod, !Ref AWS::Region]", head))
    )
    # Every entry it can select is 2.10.3: another region fails the deploy, so it is known.
    assert environment["head_version"] == "2.10.3"


def test_a_key_that_selects_nothing_stays_unknown(tmp_path: Path) -> None:
    run = check(tmp_path, template(REGION, "Mappings:\n  Versions: {}\n"))
    assert env(run)["head_version"] is None
    [unknown] = messages(run, "MWAA008")
    assert "AWS::Region cannot be resolved" in unknown


# --- a name that cannot be evaluated (issue 16, item 3) -------------------------------------


def named(name: str, version: str = "'2.10.3'") -> str:
    return template(version).replace("      Name: env\n", f"      Name: {name}\n")


def compare_names(tmp_path: Path, base: str, head: str, *options: str) -> Run:
    for side, name in (("base", base), ("head", head)):
        (tmp_path / side).mkdir()
        (tmp_path / side / "mwaa.yaml").write_text(named(name))
    return iacplan(
        "check", "--base", tmp_path / "base", tmp_path / "head", "--format", "json", *options
    )


@pytest.mark.parametrize(
    ("base", "head", "shown"),
    [
        ("env", '!Sub "${AWS::StackName}-airflow"', '{"Fn::Sub": "${AWS::StackName}-airflow"}'),
        (
            '!Join ["-", [!Ref AWS::StackName, airflow]]',
            '!Sub "${AWS::StackName}-airflow"',
            "AWS::StackName",
        ),
        ('!Sub "${AWS::StackName}-airflow"', "!Ref AWS::StackName", '{"Ref": "AWS::StackName"}'),
    ],
    ids=["literal-to-stack-name", "join-to-sub", "sub-to-ref"],
)
def test_a_name_that_cannot_be_evaluated_and_changes_may_replace(
    tmp_path: Path, base: str, head: str, shown: str
) -> None:
    run = compare_names(tmp_path, base, head)
    environment = env(run)
    assert (environment["change"], environment["verdict"]) == ("unchanged", "unverified")
    [finding] = [f for f in run.report["findings"] if f["rule"] == "MWAA007"]
    assert finding["severity"] == "warning"
    assert finding["message"].startswith("the environment may be replaced: the name is written")
    assert shown in finding["message"]
    assert f"{tmp_path / 'base' / 'mwaa.yaml'}:10" in finding["message"]
    assert (finding["file"], finding["line"]) == (str(tmp_path / "head" / "mwaa.yaml"), 10)
    assert run.exit_code == 0  # a warning: unverified, as every doubt is


def test_the_same_unevaluated_name_on_both_sides_is_the_same_name(tmp_path: Path) -> None:
    same = '!Sub "${AWS::StackName}-airflow"'
    run = compare_names(tmp_path, same, same, "--all")  # the same file: untouched without it
    assert (env(run)["verdict"], run.rules()) == ("unchanged", [])


def test_a_known_version_change_is_still_judged_beside_a_name_doubt(tmp_path: Path) -> None:
    for side, version, name in (
        ("base", "'2.10.3'", "env"),
        ("head", "'2.9.2'", "!Ref AWS::StackName"),
    ):
        (tmp_path / side).mkdir()
        (tmp_path / side / "mwaa.yaml").write_text(named(name, version))
    run = iacplan("check", "--base", tmp_path / "base", tmp_path / "head", "--format", "json")
    assert env(run)["verdict"] == "rejected"
    assert run.rules() == ["MWAA001", "MWAA007"]


# --- keys written twice (issue 16, item 10) ---------------------------------------------------


def test_a_property_written_twice_takes_its_last_value_with_a_note(tmp_path: Path) -> None:
    """CloudFormation deploys such a template with the last value; cfn-lint refuses it."""
    run = check(tmp_path, template('"2.10.3"', extra='      AirflowVersion: "2.8.1"\n'))
    environment = env(run)
    assert environment["head_version"] == "2.8.1"
    assert environment["notes"] == [
        f"{tmp_path / 'mwaa.yaml'}:11: AirflowVersion is written again at line 13; CloudFormation "
        "keeps the last one, so line 13 is what is read (and deployed)"
    ]
    assert all(f["line"] == 13 for f in run.report["findings"])  # the value read


def test_a_resource_written_twice_is_the_last_one(tmp_path: Path) -> None:
    text = template('"2.10.3"') + (
        "  Env:\n    Type: AWS::MWAA::Environment\n    Properties:\n      Name: env\n"
        '      AirflowVersion: "2.9.2"\n      SourceBucketArn: !GetAtt Bucket.Arn\n'
    )
    base = tmp_path / "base"
    base.mkdir()
    (base / "mwaa.yaml").write_text(template('"2.10.3"'))
    run = check(tmp_path, text, "--base", base / "mwaa.yaml")
    environment = env(run)
    assert (environment["change"], environment["verdict"]) == ("downgrade", "rejected")
    assert environment["line"] == 13
    assert any("Env is written again at line 13" in n for n in environment["notes"])


def test_a_json_template_with_tabs_and_a_key_written_twice(tmp_path: Path) -> None:
    """JSON indented with tabs is no YAML: cfn-lint reads it with its JSON decoder."""
    text = (
        '{\n\t"Resources": {\n\t\t"Env": {\n\t\t\t"Type": "AWS::MWAA::Environment",\n'
        '\t\t\t"Properties": {\n\t\t\t\t"AirflowVersion": "2.10.3",\n'
        '\t\t\t\t"Name": "env",\n\t\t\t\t"AirflowVersion": "2.9.2"\n\t\t\t}\n\t\t}\n\t}\n}\n'
    )
    environment = env(check(tmp_path, text, name="mwaa.json"))
    assert environment["head_version"] == "2.9.2"
    assert environment["notes"] == [
        f"{tmp_path / 'mwaa.json'}:6: AirflowVersion is written again at line 8; CloudFormation "
        "keeps the last one, so line 8 is what is read (and deployed)"
    ]


def test_a_yaml_merge_key_overrides_without_a_note(tmp_path: Path) -> None:
    text = template(
        '"2.10.3"',
        head="Metadata:\n  Defaults: &tags\n    team: data\n",
        extra="      Tags:\n        <<: *tags\n        team: billing\n",
    )
    environment = env(check(tmp_path, text))
    assert environment["head_version"] == "2.10.3"
    assert not any("written again" in n for n in environment["notes"])


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        ("Resources:\n  Env: [unclosed\n", "mwaa.yaml", "mwaa.yaml:3:"),
        (  # a duplicate is read as CloudFormation does, but not beside another error
            "Resources:\n  Env:\n    Type: AWS::MWAA::Environment\n"
            "  Env:\n    Type: AWS::MWAA::Environment\n  Bad: [unclosed\n",
            "mwaa.yaml",
            "mwaa.yaml:",
        ),
        ('{"Resources": {\n  "Env": {"Type": "x"}\n', "mwaa.json", "mwaa.json:3:"),
        ("AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n", "mwaa.yaml", "needs Resources"),
        ("just: yaml\n", "mwaa.yaml", "mwaa.yaml:1: not a Terraform directory or .tf file"),
        (b"Resources: \xff\n", "mwaa.yaml", "not UTF-8"),
    ],
)
def test_bad_templates_exit_2_with_file_and_line(
    tmp_path: Path, text: str | bytes, name: str, message: str
) -> None:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    run = iacplan("check", path)
    assert run.exit_code == 2
    assert message in run.stderr and "Traceback" not in run.stderr


def test_nothing_is_written_to_the_users_files(tmp_path: Path) -> None:
    for sample in sorted(CFN_SAMPLES.iterdir()):
        (tmp_path / sample.name).symlink_to(sample)
    before = {p: p.stat().st_mtime_ns for p in CFN_SAMPLES.rglob("*")}
    check(tmp_path, template("2.10"))
    iacplan(
        "check",
        "--base",
        CFN_SAMPLES / "json-downgrade" / "base",
        CFN_SAMPLES / "json-downgrade" / "head",
    )
    assert {p: p.stat().st_mtime_ns for p in CFN_SAMPLES.rglob("*")} == before


def test_terraform_runs_do_not_import_cfn_lint() -> None:
    sample = CFN_SAMPLES.parents[1] / "samples" / "terraform" / "minor-upgrade"
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "import iacplan.cli\n"
        "assert 'cfnlint' not in sys.modules, 'import iacplan.cli'\n"
        f"r = CliRunner().invoke(iacplan.cli.main, ['check', '--base', {str(sample / 'base')!r}, "
        f"{str(sample / 'head')!r}])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'cfnlint'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --- what rewrites or hides a template --------------------------------------------------


@pytest.mark.parametrize(
    ("head", "extra"),
    [
        ("Transform: AcmeMacro\n", ""),
        ("Transform: [AWS::Serverless-2016-10-31, AcmeMacro]\n", ""),
        ("", "      Tags:\n        Fn::Transform: {Name: AWS::Include}\n"),
    ],
)
def test_a_macro_that_may_rewrite_the_version_makes_it_unknown(
    tmp_path: Path, head: str, extra: str
) -> None:
    environment = env(check(tmp_path, template('"2.10.3"', head=head, extra=extra)))
    assert environment["verdict"] == "unverified"


def test_a_dynamic_reference_built_by_sub_is_unknown(tmp_path: Path) -> None:
    run = check(tmp_path, template('!Sub "{{resolve:ssm:/mwaa/${AWS::Region}/version}}"'))
    assert env(run)["verdict"] == "unverified"
    assert messages(run, "MWAA004") == []


@pytest.mark.parametrize(
    "kind",
    ["AWS::Serverless::Application", "AWS::CloudFormation::Stack", "Acme::Mwaa::Env::MODULE"],
)
def test_resources_whose_template_is_elsewhere_are_unknown_environments(
    tmp_path: Path, kind: str
) -> None:
    text = f"Resources:\n  Inner:\n    Type: {kind}\n    Properties: {{}}\n"
    assert env(check(tmp_path, text))["verdict"] == "unverified"


def test_a_directory_does_not_skip_a_template_it_cannot_read(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(template('"2.10.3"'))
    (tmp_path / "b.yaml").write_text(
        "Transform: AWS::LanguageExtensions\nResources:\n"
        "  Fn::ForEach::Envs:\n    - Name\n    - [a, b]\n"
        "    - Env${Name}: {Type: AWS::MWAA::Environment}\n"
    )
    (tmp_path / "params.json").write_text('{"Stage": "prod"}')
    run = iacplan("check", tmp_path)
    assert run.exit_code == 2
    assert "b.yaml" in run.stderr and "Fn::ForEach is not expanded" in run.stderr


# --- files in the source bucket, and tags ------------------------------------------------

FILE_PROPERTIES = """\
      RequirementsS3Path: !Sub "requirements/${Stage}.txt"
      RequirementsS3ObjectVersion: !Ref RequirementsVersion
      PluginsS3Path: plugins.zip
      PluginsS3ObjectVersion: !GetAtt PluginsObject.VersionId
      StartupScriptS3Path: startup.sh
      StartupScriptS3ObjectVersion: !If [IsProd, !Ref StartupObject, !Ref "AWS::NoValue"]
      Tags:
        environment: !Ref Stage
        team: data
        account: !Ref AWS::AccountId
"""
FILE_PARAMETERS = """\
Parameters:
  Stage: {Type: String, Default: prod}
  RequirementsVersion: {Type: String}
  Unused: {Type: String, Default: x}
Conditions:
  IsProd: !Equals [!Ref Unused, !Ref "AWS::Region"]
"""
OBJECTS = (
    BUCKET
    + """
  PluginsObject:
    Type: Custom::S3Object
    Properties: {ServiceToken: arn:aws:lambda:eu-west-1:1:function:o, Key: plugins.zip}
  StartupObject:
    Type: AWS::S3::Object
"""
)


def test_files_and_tags_resolve_like_the_version(tmp_path: Path) -> None:
    path = tmp_path / "mwaa.yaml"
    path.write_text(template('"2.10.3"', FILE_PARAMETERS, OBJECTS, FILE_PROPERTIES))
    inputs = sources.Inputs(parameters=(("RequirementsVersion", "3sL4kqtJ"),))
    env = loaded(path, inputs)["mwaa.yaml#Env"]
    assert files(env) == {
        "requirements": ("requirements/prod.txt", "3sL4kqtJ"),
        "plugins": (
            "plugins.zip",
            "unknown: Fn::GetAtt PluginsObject.VersionId is an attribute of another resource, "
            "known only after deploy",
        ),
        "startup script": (
            "startup.sh",
            "unknown: condition IsProd cannot be resolved (Fn::Equals compares a value that is "
            "unknown: the pseudo parameter AWS::Region is known only at deploy): it is (unknown) "
            "or (missing)",
        ),
    }
    lines = path.read_text().splitlines()
    assert env.files[0].path.location.line == 1 + next(
        i for i, t in enumerate(lines) if "RequirementsS3Path" in t
    )
    assert env.tags == (("environment", "prod"), ("team", "data"))


def test_an_object_version_from_a_resource_is_never_pinned(tmp_path: Path) -> None:
    properties = (
        "      PluginsS3Path: plugins.zip\n      PluginsS3ObjectVersion: !Ref PluginsObject\n"
    )
    base = tmp_path / "base.yaml"
    base.write_text(template('"2.9.2"', resources=OBJECTS, extra=properties))
    head = tmp_path / "head.yaml"
    head.write_text(template('"2.10.3"', resources=OBJECTS, extra=properties))
    run = iacplan("check", "--base", base, head, "--format", "json")
    assert messages(run, "MWAA010") == [
        "whether the plugins file `plugins.zip` is pinned to an S3 object version cannot be "
        "verified: Ref PluginsObject is a resource's id, known only after deploy"
    ]


@pytest.mark.parametrize(
    "tags", ["!Ref TagsParameter", "[{Key: environment, Value: prod}]", '{"Fn::If": [C, {}, {}]}']
)
def test_tags_that_are_not_a_written_out_map_are_not_read(tmp_path: Path, tags: str) -> None:
    path = tmp_path / "mwaa.yaml"
    head = "Parameters:\n  TagsParameter: {Type: String, Default: x}\n"
    path.write_text(template('"2.10.3"', head, extra=f"      Tags: {tags}\n"))
    assert loaded(path)["mwaa.yaml#Env"].tags == ()


def test_properties_that_cannot_be_read_leave_every_file_unknown(tmp_path: Path) -> None:
    path = tmp_path / "mwaa.yaml"
    path.write_text("Resources:\n  Env:\n    Type: AWS::MWAA::Environment\n    Properties: [a]\n")
    env = loaded(path)["mwaa.yaml#Env"]
    assert [f.role for f in env.files] == ["requirements", "plugins", "startup script"]
    assert all(f.object_version.state.value == "unknown" for f in env.files)


def test_templates_beside_terraform_are_read_too(tmp_path: Path) -> None:
    """A repository with both kinds: one .tf file must not hide a template's major jump."""
    sample = CFN_SAMPLES / "yaml-minor-upgrade"
    for side, version in (("base", "2.10.3"), ("head", "3.0.6")):
        root = tmp_path / side
        (root / "cloudformation").mkdir(parents=True)
        template = (sample / "base" / "mwaa.yaml").read_text()
        (root / "cloudformation" / "mwaa.yaml").write_text(template.replace("2.9.2", version))
        (root / "tools").mkdir()
        (root / "tools" / "fixture.tf").write_text('variable "x" {}\n')
        (root / "chart").mkdir()
        (root / "chart" / "values.yaml").write_text("image: {{ .Values.tag }}\n")  # not YAML
    run = iacplan("check", "--base", tmp_path / "base", tmp_path / "head", "--format", "json")
    assert run.exit_code == 1, run.stderr
    [env] = run.report["environments"]
    assert env["id"].startswith("cloudformation/mwaa.yaml#")
    assert (env["base_version"], env["head_version"]) == ("2.10.3", "3.0.6")
    assert "MWAA002" in run.rules()


def test_a_bucket_arn_naming_another_resource_gives_no_bucket_name(tmp_path: Path) -> None:
    template = tmp_path / "mwaa.yaml"
    template.write_text(
        textwrap.dedent(
            """\
            Resources:
              srcqueue:
                Type: AWS::SQS::Queue
              Env:
                Type: AWS::MWAA::Environment
                Properties:
                  Name: analytics
                  AirflowVersion: "2.10.3"
                  SourceBucketArn: !Sub "arn:aws:s3:::${srcqueue}"
            """
        )
    )
    run = iacplan("check", template, "--format", "json")
    bucket = run.report["environments"][0]["source_bucket"]
    assert bucket["id"] is None and bucket["versioning"] == "unknown"
    assert "refers to srcqueue, which is not an AWS::S3::Bucket" in bucket["reason"]


def test_a_map_key_from_an_unresolved_condition_takes_its_branches_only(tmp_path: Path) -> None:
    head = (
        "Parameters:\n  Stage: {Type: String}\n"
        "Conditions:\n  IsProd: !Equals [!Ref Stage, prod]\n"
        "Mappings:\n  V:\n    prod: {airflow: '2.10.3'}\n    dev: {airflow: '2.9.2'}\n"
        "    sandbox: {airflow: '2.8.1'}\n"
    )
    version = "!FindInMap [V, !If [IsProd, prod, dev], airflow]"
    [unknown] = messages(check(tmp_path, template(version, head)), "MWAA008")
    assert "2.10.3 if condition IsProd is true, 2.9.2 if condition IsProd is false" in unknown
    assert "2.8.1" not in unknown  # sandbox is no branch


def test_two_unknown_keys_with_a_default_value(tmp_path: Path) -> None:
    version = "!FindInMap [V, !Ref AWS::Region, !Ref AWS::AccountId, {DefaultValue: '2.8.1'}]"
    head = (
        "Transform: AWS::LanguageExtensions\n"
        "Mappings:\n  V:\n    us-east-1: {'111122223333': '2.10.3'}\n"
    )
    [unknown] = messages(check(tmp_path, template(version, head)), "MWAA008")
    assert "2.10.3 if AWS::Region is us-east-1 and AWS::AccountId is 111122223333" in unknown
    assert "2.8.1 if AWS::Region is none of us-east-1 and AWS::AccountId is any value" in unknown
