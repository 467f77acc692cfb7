"""The cheap look before parsing: a superset of what may define an MWAA environment. A file it
passes may still hold none; a file it drops must never hold one, however it is spelled."""

from __future__ import annotations

import json

import pytest

from iacplan.inputs import prefilter


@pytest.mark.parametrize(
    "text",
    [
        'resource "aws_mwaa_environment" "main" {}',
        'resource "awscc_mwaa_environment" "main" {}',
        'module "airflow" {\n  source = "idealo/mwaa/aws"\n}',
        'module "x" {\n  source = "git::https://example.com/Airflow.git"\n}',
        'module "x" {\n  airflow_version = var.v\n}',  # an argument named for it
        '{"resource": {"aws_mw\\u0061a_environment": {}}}',  # JSON escapes spell anything
        '{"resource": {"aws_mwaa\\/x": {}}}',
        'locals {\n  t = "aws_mw\\u0061a_environment"\n}',  # HCL escapes too
    ],
)
def test_terraform_that_may_hold_an_environment_passes(text: str) -> None:
    assert prefilter.terraform_may_hold(text)


@pytest.mark.parametrize(
    "text",
    [
        'resource "aws_s3_bucket" "b" {\n  bucket = "data"\n}',
        'variable "v" {\n  default = "\\n"\n}',  # an escape that spells nothing
        "",
    ],
)
def test_terraform_without_one_is_dropped(text: str) -> None:
    assert not prefilter.terraform_may_hold(text)


@pytest.mark.parametrize(
    "text",
    [
        "Resources:\n  Env:\n    Type: AWS::MWAA::Environment\n",
        json.dumps({"Resources": {"Env": {"Type": "AWS::MWAA::Environment"}}}),
        # What is reported as an environment it cannot see into.
        "Resources:\n  Child:\n    Type: AWS::CloudFormation::Stack\n",
        "Resources:\n  App:\n    Type: AWS::Serverless::Application\n",
        "Resources:\n  M:\n    Type: Org::Data::Airflow::MODULE\n",
        # YAML and JSON escapes, and a line continuation inside a double-quoted scalar.
        'Resources:\n  Env:\n    Type: "AWS::MWAA::Environm\\x65nt"\n',
        'Resources:\n  Env:\n    Type: "AWS::MWAA::\\\n      Environment"\n',
        '{"Resources": {"Env": {"Type": "AWS::MWAA::Environment\\u0020"}}}',
    ],
)
def test_cloudformation_that_may_hold_an_environment_passes(text: str) -> None:
    assert prefilter.cloudformation_may_hold(text)


@pytest.mark.parametrize(
    "text",
    [
        "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n",
        "repos:\n  - repo: local\n",  # e.g. .pre-commit-config.yaml
        # A lower-case spelling is not a type CloudFormation knows.
        "Resources:\n  Env:\n    Type: aws::mwaa::environment\n",
    ],
)
def test_cloudformation_without_one_is_dropped(text: str) -> None:
    assert not prefilter.cloudformation_may_hold(text)


@pytest.mark.parametrize(
    ("text", "template"),
    [
        ("Resources:\n  A: {}\n", True),
        ("'Resources': {}\n", True),
        ('"Resources" : {}\n', True),
        ('{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}', True),
        ("Parameters:\n  Stage: prod\n", False),  # a parameters file
        ("# Resources: none\nkey: value\n", False),
        ("  Resources:\n", False),  # nested, not the top-level section
    ],
)
def test_looks_like_template(text: str, template: bool) -> None:
    assert prefilter.looks_like_template(text) is template


def test_local_sources_are_every_string_that_starts_like_a_relative_path() -> None:
    text = (
        'module "a" {\n  source = "./modules/mwaa"\n}\n'
        'module "b" {\n  source = "../shared"\n}\n'
        'module "c" {\n  source = "terraform-aws-modules/s3-bucket/aws"\n}\n'
        'locals {\n  note = "./not/a/module but a superset is fine"\n}\n'
    )
    assert prefilter.local_sources(text) == [
        "./modules/mwaa",
        "../shared",
        "./not/a/module but a superset is fine",
    ]
