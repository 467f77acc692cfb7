"""Terragrunt live trees: the version a unit deploys, judged through its inputs."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from helpers import iacplan, write_tree

MODULE = """\
variable "airflow_version" {
  type    = string
  default = "2.8.1"
}
variable "name" {
  type = string
}
resource "aws_mwaa_environment" "this" {
  name               = var.name
  airflow_version    = var.airflow_version
  source_bucket_arn  = "arn:aws:s3:::airflow"
  dag_s3_path        = "dags"
  execution_role_arn = "arn:aws:iam::123456789012:role/mwaa"
}
"""
ROOT = """\
locals {
  env = read_terragrunt_config(find_in_parent_folders("env.hcl"))
}
remote_state {
  backend = "s3"
  config = {
    bucket = "tfstate-${local.env.locals.environment}"
    key    = "${path_relative_to_include()}/terraform.tfstate"
  }
}
inputs = {
  name = "mwaa-${local.env.locals.environment}"
}
"""
UNIT = """\
include "root" {
  path   = find_in_parent_folders("root.hcl")
  expose = true
}
terraform {
  source = "../../../modules//mwaa"
}
inputs = {
  airflow_version = %s
}
"""
ENV = 'locals {\n  environment     = "prod"\n  airflow_version = %s\n}\n'
FROM_ENV = "include.root.locals.env.locals.airflow_version"
ENV_ID = "live/prod/mwaa:aws_mwaa_environment.this"
ENVCOMMON = """\
locals {
  defaults = { version = "2.10.3" }
}
terraform {
  source = "${get_repo_root()}/modules//mwaa"
}
inputs = {
  name            = "from-envcommon"
  airflow_version = "2.9.2"
}
"""


def repository(root: Path) -> Path:
    """A git working tree: the repository root, beyond which nothing is read."""
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def live_tree(
    root: Path,
    prod_version: str = '"2.10.3"',
    unit_version: str = FROM_ENV,
    extra: dict[str, str] | None = None,
) -> Path:
    return write_tree(
        repository(root),
        {
            "modules/mwaa/main.tf": MODULE,
            "live/root.hcl": ROOT,
            "live/prod/env.hcl": ENV % prod_version,
            "live/prod/mwaa/terragrunt.hcl": UNIT % unit_version,
            **(extra or {}),
        },
    )


def check(*args: str | Path) -> dict[str, dict[str, object]]:
    run = iacplan("check", *args, "--format", "json")
    assert run.exit_code in (0, 1), run.stdout + run.stderr
    return {e["id"]: e for e in run.report["environments"]}


def judged(env: dict[str, object]) -> tuple[object, object, object]:
    return env["base_version"], env["head_version"], env["verdict"]


def test_a_unit_deploys_its_module_with_the_version_env_hcl_gives(tmp_path: Path) -> None:
    live_tree(tmp_path)
    found = check(tmp_path)
    # The module is judged as the unit runs it, never on its own default (2.8.1).
    assert list(found) == [ENV_ID]
    assert (found[ENV_ID]["head_version"], found[ENV_ID]["name"]) == ("2.10.3", "mwaa-prod")


def test_a_folder_with_only_terragrunt_files_is_checked(tmp_path: Path) -> None:
    live_tree(tmp_path)
    found = check(tmp_path / "live")
    assert found["prod/mwaa:aws_mwaa_environment.this"]["head_version"] == "2.10.3"


def test_a_pr_that_changes_only_env_hcl_is_judged(tmp_path: Path) -> None:
    live_tree(tmp_path / "base")
    live_tree(tmp_path / "head", prod_version='"2.9.2"')
    run = iacplan("check", "--base", tmp_path / "base", tmp_path / "head", "--format", "json")
    assert run.exit_code == 1
    assert judged(run.env(ENV_ID)) == ("2.10.3", "2.9.2", "rejected")
    assert "MWAA001" in run.rules()


def test_a_dependency_output_is_unknown_never_its_mock(tmp_path: Path) -> None:
    dependency = """\
        dependency "versions" {
          config_path  = "../versions"
          mock_outputs = { airflow = "2.10.3" }
        }
        """
    unit = UNIT % "dependency.versions.outputs.airflow" + textwrap.dedent(dependency)
    live_tree(tmp_path, extra={"live/prod/mwaa/terragrunt.hcl": unit})
    run = iacplan("check", tmp_path, "--format", "json")
    assert run.env(ENV_ID)["verdict"] == "unverified"
    [finding] = [f for f in run.report["findings"] if f["rule"] == "MWAA008"]
    assert 'dependency "versions"' in finding["message"]
    assert "live/prod/mwaa/terragrunt.hcl:11" in finding["message"]


@pytest.mark.parametrize(
    ("expression", "named"),
    [
        ('run_cmd("cat", "version.txt")', "run_cmd()"),
        ('sops_decrypt_file("secrets.yaml")', "sops_decrypt_file()"),
        ("get_aws_account_id()", "get_aws_account_id()"),
        ('get_env("IACPLAN_TEST_UNSET_VARIABLE")', "has no default"),
        ('"2.${run_cmd("echo", "10")}.3"', "run_cmd()"),
    ],
)
def test_what_terragrunt_knows_only_when_it_runs_is_unknown(
    tmp_path: Path, expression: str, named: str
) -> None:
    live_tree(tmp_path, unit_version=expression)
    run = iacplan("check", tmp_path, "--format", "json")
    assert run.exit_code in (0, 1), run.stderr
    [env] = run.report["environments"]
    assert env["verdict"] == "unverified"
    [finding] = [f for f in run.report["findings"] if f["rule"] == "MWAA008"]
    assert named in finding["message"]


def test_get_env_reads_only_allowed_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    live_tree(tmp_path, unit_version='get_env("MWAA_VERSION", "2.10.3")')
    monkeypatch.delenv("MWAA_VERSION", raising=False)
    assert check(tmp_path)[ENV_ID]["head_version"] == "2.10.3"  # not set: the default
    monkeypatch.setenv("MWAA_VERSION", "2.11.0")
    assert check(tmp_path)[ENV_ID]["verdict"] == "unverified"  # set, but not allowed
    assert check(tmp_path, "--env-allow", "MWAA_VERSION")[ENV_ID]["head_version"] == "2.11.0"


REMOTE_UNIT = """\
terraform {
  source = "git::https://example.com/platform/mwaa.git//env?ref=v3"
}
inputs = {
  airflow_version = "%s"
  name            = "mwaa-prod"
}
"""


def test_a_remote_module_is_judged_by_the_units_version_input(tmp_path: Path) -> None:
    write_tree(tmp_path / "base", {"live/prod/mwaa/terragrunt.hcl": REMOTE_UNIT % "2.10.3"})
    write_tree(tmp_path / "head", {"live/prod/mwaa/terragrunt.hcl": REMOTE_UNIT % "2.9.2"})
    run = iacplan("check", "--base", tmp_path / "base", tmp_path / "head", "--format", "json")
    env = run.env("live/prod/mwaa:terragrunt")
    assert judged(env) == ("2.10.3", "2.9.2", "rejected")
    assert env["file"].endswith("head/live/prod/mwaa/terragrunt.hcl")


def test_a_remote_unit_that_is_not_mwaa_is_no_environment(tmp_path: Path) -> None:
    vpc = """\
        terraform {
          source = "tfr:///terraform-aws-modules/vpc/aws?version=5.0.0"
        }
        inputs = { cidr = "10.0.0.0/16" }
        """
    module = MODULE.replace('default = "2.8.1"', 'default = "2.10.3"')
    write_tree(tmp_path, {"live/prod/vpc/terragrunt.hcl": vpc, "modules/mwaa/main.tf": module})
    assert list(check(tmp_path)) == ["modules/mwaa:aws_mwaa_environment.this"]


def test_a_deep_merge_and_an_exposed_include(tmp_path: Path) -> None:
    unit = """\
        include "common" {
          path           = "${dirname(find_in_parent_folders("root.hcl"))}/_envcommon/mwaa.hcl"
          expose         = true
          merge_strategy = "deep"
        }
        inputs = {
          airflow_version = include.common.locals.defaults.version
        }
        """
    files = {
        "modules/mwaa/main.tf": MODULE,
        "live/root.hcl": "",
        "live/_envcommon/mwaa.hcl": ENVCOMMON,
        "live/prod/mwaa/terragrunt.hcl": unit,
    }
    write_tree(repository(tmp_path), files)
    env = check(tmp_path)[ENV_ID]
    assert (env["head_version"], env["name"]) == ("2.10.3", "from-envcommon")


def test_a_shallow_merge_keeps_the_childs_inputs(tmp_path: Path) -> None:
    unit = """\
        include "common" {
          path   = "${get_terragrunt_dir()}/../../_envcommon/mwaa.hcl"
          expose = true
        }
        inputs = {
          airflow_version = include.common.locals.defaults.version
        }
        """
    files = {
        "modules/mwaa/main.tf": MODULE,
        "live/_envcommon/mwaa.hcl": ENVCOMMON,
        "live/prod/mwaa/terragrunt.hcl": unit,
    }
    write_tree(repository(tmp_path), files)
    env = check(tmp_path)[ENV_ID]
    assert (env["head_version"], env["name"]) == ("2.10.3", "from-envcommon")


def test_the_terragrunt_cache_is_skipped(tmp_path: Path) -> None:
    live_tree(tmp_path, extra={"live/prod/mwaa/.terragrunt-cache/x/y/main.tf": MODULE})
    assert list(check(tmp_path)) == [ENV_ID]


def test_a_stack_file_is_reported_unverified(tmp_path: Path) -> None:
    stack = 'unit "mwaa" {\n  source = "../units/mwaa"\n  path   = "mwaa"\n}\n'
    write_tree(tmp_path, {"live/prod/terragrunt.stack.hcl": stack})
    [env] = check(tmp_path).values()
    assert env["verdict"] == "unverified"
    assert env["file"].endswith("live/prod/terragrunt.stack.hcl")


CYCLE_UNIT = """\
locals {
  a = read_terragrunt_config("a.hcl")
}
terraform {
  source = "../../../modules//mwaa"
}
"""


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"live/prod/mwaa/terragrunt.hcl": "inputs = {\n  airflow_version = \n}\n"},
            "live/prod/mwaa/terragrunt.hcl:2",
        ),
        (
            {
                "live/prod/mwaa/terragrunt.hcl": 'include "root" {\n'
                '  path = find_in_parent_folders("nowhere.hcl")\n}\n'
            },
            "terragrunt.hcl:2: find_in_parent_folders('nowhere.hcl') finds no such file",
        ),
        (
            {
                "live/prod/mwaa/terragrunt.hcl": CYCLE_UNIT + "inputs = { v = local.a }\n",
                "live/prod/mwaa/a.hcl": 'locals {\n  b = read_terragrunt_config("b.hcl")\n}\n',
                "live/prod/mwaa/b.hcl": 'locals {\n  a = read_terragrunt_config("a.hcl")\n}\n',
            },
            "read each other",
        ),
    ],
    ids=["syntax", "not-found", "cycle"],
)
def test_bad_terragrunt_files_are_a_clear_error(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    write_tree(repository(tmp_path), {"modules/mwaa/main.tf": MODULE, **files})
    run = iacplan("check", tmp_path)
    assert run.exit_code == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    "expression",
    [
        'file("../../../../outside/version.txt")',
        'read_terragrunt_config("../../../../outside/env.hcl").locals.airflow_version',
        'read_terragrunt_config("/proc/self/environ")',
    ],
    ids=["file", "read_terragrunt_config", "proc"],
)
def test_nothing_outside_the_repository_is_read(
    tmp_path: Path, expression: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IACPLAN_TEST_CANARY", "canary-0123456789")
    outside = {
        "version.txt": "canary-0123456789",
        "env.hcl": 'locals {\n  airflow_version = "canary-0123456789"\n}\n',
    }
    write_tree(tmp_path / "outside", outside)
    repo = tmp_path / "repo"
    live_tree(repo, unit_version=expression)
    for format_name in ("json", "text", "markdown"):
        run = iacplan("check", repo, "--format", format_name)
        assert "canary" not in run.stdout + run.stderr
    run = iacplan("check", repo, "--format", "json")
    [env] = run.report["environments"]
    assert env["verdict"] == "unverified"


def test_base_ref_reads_the_includes_and_env_files_at_the_revision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live_tree(tmp_path)
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    subprocess.run([*git, "add", "-A"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=tmp_path, check=True)
    (tmp_path / "live/prod/env.hcl").write_text(ENV % '"3.0.6"')
    monkeypatch.chdir(tmp_path)
    run = iacplan("check", "--base-ref", "HEAD", "live", "--format", "json")
    assert run.exit_code == 1
    assert judged(run.env("prod/mwaa:aws_mwaa_environment.this")) == (
        "2.10.3",
        "3.0.6",
        "rejected",
    )
    assert "MWAA002" in run.rules()
