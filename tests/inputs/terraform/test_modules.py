"""Registry and remote modules: installed copies (modules.json) and the known MWAA modules."""

from __future__ import annotations

import json

import pytest

from conftest import TreeMaker
from helpers import files, iacplan, loaded, mwaa

REGISTRY_MODULE = """
variable "name" {}
variable "airflow_version" {
  default = "2.9.2"
}
resource "aws_s3_bucket" "mwaa" {
  bucket = "${var.name}-source"
}
resource "aws_s3_bucket_versioning" "mwaa" {
  bucket = aws_s3_bucket.mwaa.id
  versioning_configuration {
    status = "Enabled"
  }
}
resource "aws_mwaa_environment" "mwaa" {
  name              = var.name
  airflow_version   = var.airflow_version
  source_bucket_arn = aws_s3_bucket.mwaa.arn
}
"""


def call(source: str, arguments: str = '  airflow_version = "2.10.3"\n', name: str = "mwaa") -> str:
    return f'module "{name}" {{\n  source = "{source}"\n{arguments}}}\n'


def manifest(*records: dict[str, str]) -> str:
    return json.dumps({"Modules": [{"Key": "", "Source": "", "Dir": "."}, *records]})


def installed(
    version: str = "0.0.6", source: str = "registry.terraform.io/aws-ia/mwaa/aws"
) -> dict[str, str]:
    record = {"Key": "mwaa", "Source": source, "Version": version, "Dir": ".terraform/modules/mwaa"}
    return {
        ".terraform/modules/modules.json": manifest(record),
        ".terraform/modules/mwaa/main.tf": REGISTRY_MODULE,
    }


def check(*args: object) -> dict[str, dict[str, object]]:
    run = iacplan("check", *args, "--format", "json")
    assert run.exit_code in (0, 1), run.stderr
    return {e["id"]: e for e in run.report["environments"]}


# --- after `terraform init`: the downloaded copy is evaluated with the caller's arguments ----


def test_installed_module_is_evaluated_with_the_callers_arguments(tree: TreeMaker) -> None:
    arguments = '  version = "~> 0.0.6"\n  name = "prod"\n  airflow_version = "2.10.3"\n'
    root = tree({"main.tf": call("aws-ia/mwaa/aws", arguments), **installed()})
    envs = check(root)
    assert list(envs) == ["module.mwaa.aws_mwaa_environment.mwaa"]  # no opaque module.mwaa
    env = envs["module.mwaa.aws_mwaa_environment.mwaa"]
    assert env["head_version"] == "2.10.3" and env["name"] == "prod"
    assert env["source_bucket"]["versioning"] == "enabled"
    assert env["file"].endswith(".terraform/modules/mwaa/main.tf")


def test_installed_module_default_is_read_from_its_source(tree: TreeMaker) -> None:
    root = tree({"main.tf": call("aws-ia/mwaa/aws", '  name = "prod"\n'), **installed()})
    assert check(root)["module.mwaa.aws_mwaa_environment.mwaa"]["head_version"] == "2.9.2"


@pytest.mark.parametrize(
    ("record", "why"),
    [
        ({"version": "0.0.5"}, "version 0.0.5 was installed"),
        ({"source": "registry.terraform.io/acme/mwaa/aws"}, "it was installed from"),
    ],
)
def test_stale_install_is_unknown(tree: TreeMaker, record: dict[str, str], why: str) -> None:
    arguments = '  version = "0.0.6"\n  name = "prod"\n  airflow_version = "2.10.3"\n'
    root = tree({"main.tf": call("aws-ia/mwaa/aws", arguments), **installed(**record)})
    run = iacplan("check", root, "--format", "json")
    env = run.env("module.mwaa.aws_mwaa_environment.mwaa")
    assert env["head_version"] is None and env["verdict"] == "unverified"
    [message] = [f["message"] for f in run.report["findings"] if f["rule"] == "MWAA008"]
    assert why in message and "terraform init" in message


def test_module_added_after_init_falls_back_to_its_inputs(tree: TreeMaker) -> None:
    downloaded = {**installed(), ".terraform/modules/modules.json": manifest()}
    root = tree({"main.tf": call("aws-ia/mwaa/aws"), **downloaded})
    assert check(root)["module.mwaa"]["head_version"] == "2.10.3"


def test_invalid_manifest_names_the_file(tree: TreeMaker) -> None:
    root = tree({"main.tf": call("aws-ia/mwaa/aws"), ".terraform/modules/modules.json": "{\n"})
    run = iacplan("check", root)
    assert run.exit_code == 2
    assert ".terraform/modules/modules.json:2: invalid JSON" in run.stderr


def test_upgrade_through_an_installed_module(tree: TreeMaker) -> None:
    def side(version: str, sub: str) -> object:
        arguments = f'  name = "prod"\n  airflow_version = "{version}"\n'
        return tree({"main.tf": call("aws-ia/mwaa/aws", arguments), **installed()}, sub)

    run = iacplan(
        "check", "--base", side("2.9.2", "base"), side("2.10.3", "head"), "--format", "json"
    )
    assert run.exit_code == 0 and run.rules() == []
    assert run.env("module.mwaa.aws_mwaa_environment.mwaa")["verdict"] == "allowed"


# --- without `terraform init`: known MWAA modules read through their inputs ----------------


@pytest.mark.parametrize(
    "source",
    [
        "aws-ia/mwaa/aws",
        "registry.terraform.io/aws-ia/mwaa/aws",
        "cloudposse/mwaa/aws",
        "idealo/mwaa/aws",
        "git::https://github.com/aws-ia/terraform-aws-mwaa.git?ref=v0.0.6",
        "github.com/cloudposse/terraform-aws-mwaa?ref=v0.7.0",
        "git@github.com:idealo/terraform-aws-mwaa.git",
        "git::ssh://git@github.com/aws-ia/terraform-aws-mwaa.git//?ref=v0.0.6",
    ],
)
def test_known_module_version_input(tree: TreeMaker, source: str) -> None:
    arguments = "  airflow_version = var.v\n"
    root = tree({"main.tf": 'variable "v" {\n  default = "2.10.3"\n}\n' + call(source, arguments)})
    run = iacplan("check", root, "--format", "json")
    env = run.env("module.mwaa")
    assert env["head_version"] == "2.10.3" and env["line"] == 4
    assert env["file"].endswith("main.tf")


@pytest.mark.parametrize(
    ("source", "state"),
    [
        ("aws-ia/mwaa/aws", "not set"),
        ("cloudposse/mwaa/aws", "not set"),
        ("idealo/mwaa/aws", "differs between releases"),
    ],
)
def test_omitted_version_is_never_guessed(tree: TreeMaker, source: str, state: str) -> None:
    root = tree({"main.tf": call(source, '  name = "x"\n')})
    run = iacplan("check", root, "--format", "json")
    assert run.env("module.mwaa")["verdict"] == "unverified"
    [message] = [f["message"] for f in run.report["findings"] if f["rule"] == "MWAA008"]
    assert state in message


SUSPENDED = """
resource "aws_s3_bucket" "dags" {
  bucket = "acme-dags"
}
resource "aws_s3_bucket_versioning" "dags" {
  bucket = aws_s3_bucket.dags.id
  versioning_configuration {
    status = "Suspended"
  }
}
"""


@pytest.mark.parametrize(
    ("source", "arguments", "versioning"),
    [
        ("aws-ia/mwaa/aws", "", "enabled"),  # its own bucket, versioned by the module
        ("aws-ia/mwaa/aws", "  create_s3_bucket = true\n", "enabled"),
        (
            "aws-ia/mwaa/aws",
            "  create_s3_bucket = false\n  source_bucket_arn = aws_s3_bucket.dags.arn\n",
            "suspended",
        ),
        ("aws-ia/mwaa/aws", "  source_bucket_arn = aws_s3_bucket.dags.arn\n", "unknown"),
        ("aws-ia/mwaa/aws", "  create_s3_bucket = var.own\n", "unknown"),
        ("cloudposse/mwaa/aws", "", "unknown"),
        ("idealo/mwaa/aws", '  source_bucket_arn = "arn:aws:s3:::acme-dags"\n', "suspended"),
    ],
)
def test_known_module_source_bucket(
    tree: TreeMaker, source: str, arguments: str, versioning: str
) -> None:
    main = (
        'variable "own" {}\n'
        + SUSPENDED
        + call(source, '  airflow_version = "2.10.3"\n' + arguments)
    )
    bucket = check(tree({"main.tf": main}))["module.mwaa"]["source_bucket"]
    assert isinstance(bucket, dict) and bucket["versioning"] == versioning


def test_major_upgrade_through_a_known_module_predicts_replacement(tree: TreeMaker) -> None:
    base = tree({"main.tf": call("aws-ia/mwaa/aws", '  airflow_version = "2.11.2"\n')}, "base")
    head = tree({"main.tf": call("aws-ia/mwaa/aws", '  airflow_version = "3.3.1"\n')}, "head")
    run = iacplan("check", "--base", base, head, "--format", "json")
    assert run.exit_code == 1 and run.rules("module.mwaa") == ["MWAA007", "MWAA013"]


@pytest.mark.parametrize(
    "source",
    [
        "github.com/aws-ia/terraform-aws-mwaa//examples/basic?ref=v0.0.6",  # another module
        "app.terraform.io/acme/mwaa/aws",
    ],
)
def test_other_remote_mwaa_modules_are_unknown(tree: TreeMaker, source: str) -> None:
    run = iacplan(
        "check", tree({"main.tf": call(source, '  environment = "prod"\n')}), "--format", "json"
    )
    assert run.env("module.mwaa")["verdict"] == "unverified"
    assert "is not a local directory" in run.report["findings"][0]["message"]


@pytest.mark.parametrize(
    "argument",
    ["airflow_version", "mwaa_airflow_version", "airflow_version_number", "mwaa_version"],
)
def test_a_remote_modules_version_argument_is_judged(tree: TreeMaker, argument: str) -> None:
    source = "git::https://github.com/acme/platform.git//modules/mwaa?ref=v3"
    base = tree({"main.tf": call(source, f'  {argument} = "2.9.2"\n')}, "base")
    head = tree({"main.tf": call(source, f'  {argument} = "2.8.1"\n')}, "head")
    run = iacplan("check", "--base", base, head, "--format", "json")
    env = run.env("module.mwaa")
    assert (env["base_version"], env["head_version"], env["verdict"]) == (
        "2.9.2",
        "2.8.1",
        "rejected",
    )
    assert "MWAA001" in run.rules("module.mwaa")
    assert any("was not read" in note and argument in note for note in env["notes"])
    finding = next(f for f in run.report["findings"] if f["rule"] == "MWAA001")
    assert (finding["file"], finding["line"]) == (f"{head.as_posix()}/main.tf", 3)


@pytest.mark.parametrize(
    "argument", ["airflow_python_version", "mwaa_provider_version", "min_airflow_version_x"]
)
def test_arguments_naming_another_version_are_not_the_version(
    tree: TreeMaker, argument: str
) -> None:
    source = "git::https://github.com/acme/platform.git//modules/mwaa?ref=v3"
    run = iacplan(
        "check", tree({"main.tf": call(source, f'  {argument} = "3.11"\n')}), "--format", "json"
    )
    assert run.env("module.mwaa")["head_version"] is None  # an unknown environment, not judged


def test_two_version_arguments_that_differ_are_unknown(tree: TreeMaker) -> None:
    arguments = '  airflow_version = "2.10.3"\n  mwaa_airflow_version = "2.9.2"\n'
    run = iacplan(
        "check", tree({"main.tf": call("acme/orchestration/aws", arguments)}), "--format", "json"
    )
    assert run.env("module.mwaa")["verdict"] == "unverified"
    assert "several arguments" in run.report["findings"][0]["message"]


def test_a_name_argument_that_changes_makes_replacement_unknown(tree: TreeMaker) -> None:
    source = "git::https://github.com/acme/platform.git//modules/mwaa?ref=v3"
    base = tree(
        {"main.tf": call(source, '  name = "prod"\n  airflow_version = "2.10.3"\n')}, "base"
    )
    head = tree(
        {"main.tf": call(source, '  name = "prod-v2"\n  airflow_version = "2.10.3"\n')}, "head"
    )
    run = iacplan("check", "--base", base, head, "--format", "json")
    assert run.env("module.mwaa")["verdict"] == "unverified"
    message = next(f["message"] for f in run.report["findings"] if f["rule"] == "MWAA007")
    assert '`name = "prod"`' in message and '`name = "prod-v2"`' in message


def test_modules_from_an_airflow_repository_are_one_note_not_environments(tree: TreeMaker) -> None:
    vpc = 'module "vpc" {\n  source = "git::https://github.com/acme/airflow-infra.git//vpc?ref=v1"\n}\n'
    dns = 'module "dns" {\n  source = "github.com/acme/airflow-infra//dns"\n}\n'
    root = tree({"main.tf": vpc + dns + mwaa('"2.10.3"')})
    run = iacplan("check", root, "--format", "json")
    assert [e["id"] for e in run.report["environments"]] == ["aws_mwaa_environment.main"]
    (note,) = run.env("aws_mwaa_environment.main")["notes"]
    assert "module.dns" in note and "module.vpc" in note and "nothing points at MWAA" in note
    # An Airflow module of its own, or a subdirectory named so, does point at MWAA.
    own = 'module "x" {\n  source = "github.com/acme/terraform-aws-airflow"\n}\n'
    sub = 'module "y" {\n  source = "github.com/acme/infra//airflow"\n}\n'
    run = iacplan("check", tree({"main.tf": own + sub}, "own"), "--format", "json")
    assert sorted(e["id"] for e in run.report["environments"]) == ["module.x", "module.y"]


def test_known_module_whose_for_each_cannot_be_resolved_is_unknown(tree: TreeMaker) -> None:
    arguments = '  for_each = var.envs\n  airflow_version = "2.10.3"\n'
    main = 'variable "envs" {}\n' + call("aws-ia/mwaa/aws", arguments)
    main += call("aws-ia/mwaa/aws", '  count = 0\n  airflow_version = "2.10.3"\n', name="none")
    run = iacplan("check", tree({"main.tf": main}), "--format", "json")
    assert [e["id"] for e in run.report["environments"]] == ["module.mwaa"]
    assert run.env("module.mwaa")["verdict"] == "unverified"
    assert "no instance of this module call was evaluated" in run.report["findings"][0]["message"]


def test_known_module_for_each_instances(tree: TreeMaker) -> None:
    arguments = '  for_each = toset(["a", "b"])\n  name = each.key\n  airflow_version = "2.10.3"\n'
    envs = check(tree({"main.tf": call("aws-ia/mwaa/aws", arguments)}))
    assert sorted(envs) == ['module.mwaa["a"]', 'module.mwaa["b"]']
    assert envs['module.mwaa["a"]']["name"] == "a"


def test_an_install_that_holds_no_environment_falls_back_to_the_call(tree: TreeMaker) -> None:
    files = {**installed(), ".terraform/modules/mwaa/main.tf": "# interrupted init\n"}
    root = tree({"main.tf": call("aws-ia/mwaa/aws"), **files})
    assert check(root)["module.mwaa"]["head_version"] == "2.10.3"


def test_a_stale_install_does_not_pin_the_provider(tree: TreeMaker) -> None:
    pinned = 'terraform {\n  required_providers {\n    aws = { version = "< 5.2.0" }\n  }\n}\n'
    record = {
        "Key": "tags",
        "Source": "registry.terraform.io/acme/tags/aws",
        "Version": "1.0.0",
        "Dir": ".terraform/modules/tags",
    }

    def side(version: str) -> dict[str, str]:
        return {
            "main.tf": mwaa(f'"{version}"')
            + 'module "tags" {\n  source = "acme/tags/aws"\n  version = "2.0.0"\n}\n',
            ".terraform/modules/modules.json": manifest(record),
            ".terraform/modules/tags/main.tf": pinned,
        }

    run = iacplan("check", "--base", tree(side("2.11.2"), "base"), tree(side("3.3.1"), "head"))
    assert run.exit_code == 1
    assert "MWAA007" in run.stdout and "is out of date" in run.stdout


KNOWN_MODULE_FILES = """  airflow_version = "2.10.3"
  requirements_s3_path = "requirements.txt"
  requirements_s3_object_version = var.requirements_version
  plugins_s3_path = "plugins.zip"
  plugins_s3_object_version = "p1"
  tags = { environment = "dev", owner = var.owner }
"""


@pytest.mark.parametrize("source", ["aws-ia/mwaa/aws", "cloudposse/mwaa/aws", "idealo/mwaa/aws"])
def test_known_module_files_and_tags_are_its_inputs(tree: TreeMaker, source: str) -> None:
    variables = 'variable "requirements_version" {}\nvariable "owner" {}\n'
    root = tree({"main.tf": variables + call(source, KNOWN_MODULE_FILES)})
    env = loaded(root)["module.mwaa"]
    assert files(env) == {
        "requirements": (
            "requirements.txt",
            "unknown: `var.requirements_version` has no known value here (no default, a null "
            "default, or no value in terraform.tfvars, *.auto.tfvars, --var-file or --var)",
        ),
        "plugins": ("plugins.zip", "p1"),
    }
    assert env.tags == (("environment", "dev"),)


def test_a_stale_install_makes_files_unknown(tree: TreeMaker) -> None:
    arguments = '  version = "0.0.6"\n  name = "prod"\n'
    downloaded = installed(version="0.0.5")
    downloaded[".terraform/modules/mwaa/main.tf"] += (
        'resource "aws_mwaa_environment" "pinned" {\n  name = "p"\n'
        '  requirements_s3_path = "r.txt"\n  requirements_s3_object_version = "v1"\n}\n'
    )
    root = tree({"main.tf": call("aws-ia/mwaa/aws", arguments), **downloaded})
    env = loaded(root)["module.mwaa.aws_mwaa_environment.pinned"]
    assert set(files(env)) == {"requirements", "plugins", "startup script"}
    assert all("out of date" in path for path, _ in files(env).values())
