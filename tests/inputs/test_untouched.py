"""Only what a change can affect is evaluated (iacplan.inputs.untouched): on monorepos made
here, every kind of change gives, for what is evaluated, the very report `--all` gives, and
leaves out nothing but environments `--all` finds unchanged and without an error."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from helpers import Run, iacplan, run_git, write_tree

MODULE = """
variable "name" { default = "module-default" }
variable "airflow_version" { default = "2.9.2" }
resource "aws_s3_bucket" "dags" { bucket = "${var.name}-dags" }
resource "aws_s3_bucket_versioning" "dags" {
  bucket = aws_s3_bucket.dags.id
  versioning_configuration { status = "Enabled" }
}
resource "aws_mwaa_environment" "this" {
  name                 = var.name
  airflow_version      = var.airflow_version
  source_bucket_arn    = aws_s3_bucket.dags.arn
  requirements_s3_path = "requirements.txt"
  requirements_s3_object_version = "v1"
  dag_s3_path          = "dags"
  execution_role_arn   = "arn:aws:iam::123456789012:role/mwaa"
  network_configuration {
    security_group_ids = ["sg-1"]
    subnet_ids         = ["subnet-1", "subnet-2"]
  }
}
"""


def root(name: str, version: str, module: str = "../../modules/mwaa") -> str:
    return f"""
provider "aws" {{ region = "eu-west-1" }}
module "mwaa" {{
  source          = "{module}"
  name            = "{name}"
  airflow_version = {version}
}}
"""


def template(version: str) -> str:
    return f"""AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  AirflowVersion:
    Type: String
    Default: "{version}"
Resources:
  Env:
    Type: AWS::MWAA::Environment
    Properties:
      Name: !Sub "${{AWS::StackName}}-env"
      AirflowVersion: !Ref AirflowVersion
      SourceBucketArn: arn:aws:s3:::cfn-dags
      DagS3Path: dags
      ExecutionRoleArn: arn:aws:iam::123456789012:role/mwaa
      NetworkConfiguration:
        SecurityGroupIds: [sg-1]
        SubnetIds: [subnet-1, subnet-2]
"""


CONSTRAINTS = (
    "--constraint https://raw.githubusercontent.com/apache/airflow/constraints-{v}/"
    "constraints-3.11.txt\n"
)

MONOREPO: dict[str, str | bytes] = {
    "modules/mwaa/main.tf": MODULE,
    "modules/mwaa-next/main.tf": MODULE,
    **{f"live/r{i}/main.tf": root(f"r{i}", "var.airflow_version") for i in range(4)},
    **{f"live/r{i}/variables.tf": 'variable "airflow_version" {}\n' for i in range(4)},
    **{f"live/r{i}/terraform.tfvars": 'airflow_version = "2.9.2"\n' for i in range(4)},
    "live/r3/requirements.txt": CONSTRAINTS.format(v="2.9.2") + "apache-airflow-providers-http\n",
    # The version read by file(), next to the module and through the root's path.
    "live/by-file/main.tf": root("by-file", 'jsondecode(file("${path.module}/version.json"))'),
    "live/by-file/version.json": '"2.9.2"',
    "live/by-root-path/main.tf": root(
        "by-root-path", 'jsondecode(file("../../shared/version.json"))'
    ),
    "shared/version.json": '"2.9.2"',
    # A root that calls a module of its own, which holds the environment.
    "live/nested/main.tf": 'provider "aws" {}\nmodule "inner" {\n  source = "./inner"\n}\n',
    "live/nested/inner/main.tf": MODULE.replace("var.name", '"inner"').replace(
        "var.airflow_version", '"2.9.2"'
    ),
    "cloudformation/a.yaml": template("2.9.2"),
    "cloudformation/b.yaml": template("2.9.2"),
    "cloudformation/params.json": json.dumps([]),
    "docs/README.md": "# infra\n",
}


pytestmark = pytest.mark.usefixtures("isolated_git")


def monorepo(tmp_path: Path, files: dict[str, str | bytes] = MONOREPO) -> Path:
    repo = write_tree(tmp_path / "repo", files)
    run_git(repo, "init", "-q", "-b", "main")
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-q", "-m", "base")
    return repo


def edit(repo: Path, name: str, old: str, new: str) -> None:
    path = repo / name
    text = path.read_text()
    assert old in text, (name, old)
    path.write_text(text.replace(old, new))


ENV = "module.mwaa.aws_mwaa_environment.this"

# Each change a pull request makes, applied to the working tree; the environments (ids as
# a check of the repository's top gives them) that must be evaluated.
CHANGES: dict[str, tuple[Callable[[Path], Any], set[str]]] = {
    "a tfvars": (
        lambda r: edit(r, "live/r1/terraform.tfvars", "2.9.2", "2.8.1"),
        {f"live/r1:{ENV}"},
    ),
    "a shared module": (
        lambda r: edit(r, "modules/mwaa/main.tf", "= var.airflow_version", '= "2.10.3"'),
        {f"live/{r}:{ENV}" for r in ("r0", "r1", "r2", "r3", "by-file", "by-root-path")},
    ),
    "a file read by file()": (
        lambda r: (r / "live/by-file/version.json").write_text('"2.10.3"'),
        {f"live/by-file:{ENV}"},
    ),
    "a file a root reads by its own path": (
        lambda r: (r / "shared/version.json").write_text('"2.8.1"'),
        {f"live/by-root-path:{ENV}"},
    ),
    "a template": (
        lambda r: edit(r, "cloudformation/b.yaml", '"2.9.2"', '"2.10.3"'),
        {"cloudformation/b.yaml#Env"},
    ),
    "a requirements file": (
        lambda r: edit(r, "live/r3/requirements.txt", "constraints-2.9.2", "constraints-2.8.1"),
        {f"live/r3:{ENV}"},
    ),
    "a renamed root": (
        lambda r: run_git(r, "mv", "live/r2", "live/r2-renamed"),
        {f"live/r2-renamed:{ENV}"},  # replaced: its address changes (no `moved` block)
    ),
    "a deleted root": (lambda r: shutil.rmtree(r / "live/r0"), {f"live/r0:{ENV}"}),
    "an added root": (
        lambda r: write_tree(r, {"live/r9/main.tf": root("r9", '"2.10.3"')}),
        {f"live/r9:{ENV}"},
    ),
    "a module call moved to a module that was a root": (
        lambda r: edit(r, "live/r1/main.tf", "modules/mwaa", "modules/mwaa-next"),
        {f"live/r1:{ENV}", "modules/mwaa-next:aws_mwaa_environment.this"},
    ),
    "a called module that becomes a root": (
        lambda r: (r / "live/nested/main.tf").write_text('provider "aws" {}\n'),
        {"live/nested/inner:aws_mwaa_environment.this"},
    ),
    "nothing Terraform reads": (lambda r: (r / "docs/README.md").write_text("# more\n"), set()),
}


def same_verdicts(scoped: Run, full: Run, expected: set[str]) -> None:
    """What the scoped run shows is what `--all` shows; what it leaves out, `--all` finds
    unchanged and without an error; and every environment expected to change is shown."""
    assert (scoped.exit_code, scoped.stderr.count("Traceback")) == (full.exit_code, 0)
    shown = {e["id"]: e for e in scoped.report["environments"]}
    every = {e["id"]: e for e in full.report["environments"]}
    assert shown.keys() <= every.keys()
    for env_id, entry in shown.items():
        assert entry == every[env_id]
    errors = {f["environment"] for f in full.report["findings"] if f["severity"] == "error"}
    for env_id, entry in every.items():
        if env_id not in shown:
            assert entry["change"] == "unchanged" and env_id not in errors, env_id
    assert expected <= shown.keys()
    kept = [f for f in full.report["findings"] if f["environment"] in shown]
    assert scoped.report["findings"] == kept
    assert full.report["summary"]["untouched"] == 0


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_against_a_revision_only_the_affected_are_evaluated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    repo = monorepo(tmp_path)
    make, expected = CHANGES[change]
    make(repo)
    monkeypatch.chdir(repo)
    scoped = iacplan("check", "--base-ref", "main", "--format", "json")
    full = iacplan("check", "--base-ref", "main", "--all", "--format", "json")
    same_verdicts(scoped, full, expected)
    if change == "a requirements file":
        assert "live/r3/requirements.txt may be a requirements file" in scoped.stderr
        assert scoped.report["summary"]["untouched"] == 0
    else:
        assert scoped.report["summary"]["untouched"] > 0


# --base DIR compares the files by content; the same reading of what they affect.
@pytest.mark.parametrize(
    "change",
    ["a tfvars", "a shared module", "a file read by file()", "a deleted root", "a template"],
)
def test_against_a_directory_only_the_affected_are_evaluated(tmp_path: Path, change: str) -> None:
    repo = monorepo(tmp_path)
    base = tmp_path / "base"
    shutil.copytree(repo, base, ignore=shutil.ignore_patterns(".git"))
    make, expected = CHANGES[change]
    make(repo)
    scoped = iacplan("check", "--base", base, repo, "--format", "json")
    full = iacplan("check", "--base", base, repo, "--all", "--format", "json")
    same_verdicts(scoped, full, expected)


TERRAGRUNT: dict[str, str | bytes] = {
    "tg/root.hcl": """
        locals { env = read_terragrunt_config(find_in_parent_folders("env.hcl")) }
        inputs = { name = "tg-${local.env.locals.environment}" }
        """,
    "tg/prod/env.hcl": 'locals {\n  environment = "prod"\n  airflow_version = "2.10.3"\n}\n',
    "tg/prod/mwaa/terragrunt.hcl": """
        include "root" {
          path   = find_in_parent_folders("root.hcl")
          expose = true
        }
        terraform { source = "../../../modules//mwaa" }
        inputs = { airflow_version = include.root.locals.env.locals.airflow_version }
        """,
}


@pytest.mark.parametrize(
    ("why", "files", "change"),
    [
        (
            "tg/prod/mwaa/terragrunt.hcl: a Terragrunt tree",
            TERRAGRUNT,
            lambda r: edit(r, "tg/prod/env.hcl", '"2.10.3"', '"2.9.2"'),
        ),
        (
            "live/by-file/VERSION may be a requirements file",  # no suffix: it could be
            {
                "live/by-file/main.tf": root("by-file", 'trimspace(file("VERSION"))'),
                "live/by-file/VERSION": "2.9.2\n",
            },
            lambda r: (r / "live/by-file/VERSION").write_text("2.10.3\n"),
        ),
        (
            "a Terraform file in live/r2 has an escape sequence",
            {"live/r2/extra.tf": 'locals {\n  spelled = "\\u002e/x"\n}\n'},
            lambda r: edit(r, "live/r1/terraform.tfvars", "2.9.2", "2.8.1"),
        ),
    ],
)
def test_what_this_does_not_follow_makes_everything_evaluated(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    why: str,
    files: dict[str, str | bytes],
    change: Callable[[Path], Any],
) -> None:
    repo = monorepo(tmp_path, {**MONOREPO, **files})
    change(repo)
    monkeypatch.chdir(repo)
    scoped = iacplan("check", "--base-ref", "main", "--format", "json")
    full = iacplan("check", "--base-ref", "main", "--all", "--format", "json")
    assert f"iacplan: every root module and template was evaluated: {why}" in scoped.stderr
    assert scoped.report == full.report
    assert scoped.report["summary"]["untouched"] == 0
    assert any(e["change"] != "unchanged" for e in scoped.report["environments"])


def test_a_link_to_a_directory_makes_everything_evaluated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = monorepo(tmp_path)
    (repo / "live/r1/shared").symlink_to("../../modules/mwaa")
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-q", "-m", "a link")
    edit(repo, "live/r1/terraform.tfvars", "2.9.2", "2.8.1")
    monkeypatch.chdir(repo)
    run = iacplan("check", "--base-ref", "main", "--format", "json")
    assert "live/r1/shared is a link to a directory" in run.stderr
    assert run.report["summary"]["untouched"] == 0


def test_a_blobless_clone_fetches_only_what_the_change_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the revision lacks (the base side of the changed files) comes in one fetch."""
    server = monorepo(tmp_path)
    run_git(server, "config", "uploadpack.allowFilter", "true")
    run_git(server, "config", "uploadpack.allowAnySHA1InWant", "true")
    run_git(server, "checkout", "-q", "-b", "pr")
    edit(server, "live/r1/main.tf", '"r1"', '"r1-renamed"')
    run_git(server, "commit", "-q", "-am", "pr")
    clone = tmp_path / "clone"
    run_git(
        tmp_path, "clone", "-q", "--no-local", "--filter=blob:none", server.as_uri(), str(clone)
    )
    run_git(clone, "checkout", "-q", "pr")
    trace = tmp_path / "trace.json"
    monkeypatch.setenv("GIT_TRACE2_EVENT", str(trace))
    monkeypatch.chdir(clone)
    run = iacplan("check", "--base-ref", "origin/main", "--format", "json")
    assert run.exit_code == 1, run.stderr
    assert [(e["id"], e["change"]) for e in run.report["environments"]] == [
        (f"live/r1:{ENV}", "replaced")
    ]
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    fetches = [e for e in events if e.get("event") == "cmd_name" and e.get("name") == "fetch"]
    assert len(fetches) == 1


def _link(repo: Path, name: str, target: str) -> None:
    (repo / name).symlink_to(target)


# What a root reads in other ways than a module call (each a false pass once, found by review):
# the setup after the files are written (then committed), the change, and what must show.
READS: dict[
    str, tuple[dict[str, str | bytes], Callable[[Path], Any], Callable[[Path], Any], set[str]]
] = {
    "a version read through a link, then written out": (
        {
            "shared/version.json": '"2.9.2"',
            "live/linked/main.tf": root("linked", 'jsondecode(file("${path.module}/v.json"))'),
        },
        lambda r: _link(r, "live/linked/v.json", "../../shared/version.json"),
        lambda r: edit(
            r, "live/linked/main.tf", 'jsondecode(file("${path.module}/v.json"))', '"2.8.1"'
        ),
        {f"live/linked:{ENV}"},
    ),
    "a file the root reads through a link in another directory": (
        {
            "shared/version.json": '"2.9.2"',
            "live/linked/main.tf": root("linked", 'jsondecode(file("cfg/v.json"))'),
        },
        lambda r: (
            (r / "live/linked/cfg").mkdir()
            or _link(r, "live/linked/cfg/v.json", "../../../shared/version.json")
        ),
        lambda r: (r / "shared/version.json").write_text('"2.8.1"'),
        {f"live/linked:{ENV}"},
    ),
    "a template that is a link": (
        {"shared/env.yaml": template("2.9.2")},
        lambda r: _link(r, "cloudformation/linked.yaml", "../shared/env.yaml"),
        lambda r: edit(r, "shared/env.yaml", '"2.9.2"', '"2.8.1"'),
        {"cloudformation/linked.yaml#Env"},
    ),
    "a module in a hidden directory": (
        {
            ".modules/mwaa/main.tf": MODULE,
            "live/hidden/main.tf": root("hidden", '"2.9.2"', "../../.modules/mwaa"),
        },
        lambda r: None,
        lambda r: edit(r, ".modules/mwaa/main.tf", "= var.airflow_version", '= "2.8.1"'),
        {f"live/hidden:{ENV}"},
    ),
    "a module the manifest records outside .terraform": (
        {
            "vendor/mwaa/main.tf": MODULE,
            "live/vendored/main.tf": (
                'module "mwaa" {\n  source = "acme/mwaa/aws"\n  version = "1.0.0"\n}\n'
            ),
            "live/vendored/.terraform/modules/modules.json": json.dumps(
                {
                    "Modules": [
                        {"Key": "", "Source": "", "Dir": "."},
                        {
                            "Key": "mwaa",
                            "Source": "registry.terraform.io/acme/mwaa/aws",
                            "Version": "1.0.0",
                            "Dir": "../../vendor/mwaa",
                        },
                    ]
                }
            ),
        },
        lambda r: None,
        lambda r: edit(r, "vendor/mwaa/main.tf", "= var.airflow_version", '= "2.8.1"'),
        {f"live/vendored:{ENV}"},
    ),
}


@pytest.mark.parametrize("case", sorted(READS))
def test_what_a_root_reads_besides_its_modules_is_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    files, setup, change, expected = READS[case]
    repo = write_tree(tmp_path / "repo", {**MONOREPO, **files})
    setup(repo)
    run_git(repo, "init", "-q", "-b", "main")
    run_git(repo, "add", "-A", "--force")
    run_git(repo, "commit", "-q", "-m", "base")
    change(repo)
    monkeypatch.chdir(repo)
    scoped = iacplan("check", "--base-ref", "main", "--format", "json")
    full = iacplan("check", "--base-ref", "main", "--all", "--format", "json")
    same_verdicts(scoped, full, expected)
    assert {e["change"] for e in full.report["environments"] if e["id"] in expected} != {
        "unchanged"
    }
