"""`--base-ref`: the same paths at a git revision, from real repositories made in tmp_path."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from helpers import SAMPLES, iacplan, mwaa, run_git, write_tree
from iacplan.inputs import revision as git

BUCKET = """
resource "aws_s3_bucket" "dags" { bucket = "dags" }
resource "aws_s3_bucket_versioning" "dags" {
  bucket = aws_s3_bucket.dags.id
  versioning_configuration { status = "Enabled" }
}
"""


def env_block(version: str, extra: str = "") -> str:
    return mwaa(f'"{version}"', extra=f"  source_bucket_arn = aws_s3_bucket.dags.arn\n{extra}")


@pytest.fixture(autouse=True)
def isolated(isolated_git: Path) -> Path:
    return isolated_git


def repo_with(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    repo = write_tree(tmp_path / "repo", files)
    run_git(repo, "init", "-q", "-b", "main")
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-q", "-m", "base")
    return repo


def status(repo: Path) -> tuple[str, str, str]:
    return (
        run_git(repo, "status", "--porcelain", "--untracked-files=all"),
        run_git(repo, "stash", "list"),
        run_git(repo, "worktree", "list", "--porcelain"),
    )


def test_pr_upgrade_against_the_base_branch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated: Path
) -> None:
    repo = repo_with(tmp_path, {"infra/main.tf": BUCKET + env_block("2.9.2")})
    write_tree(repo, {"infra/main.tf": BUCKET + env_block("2.10.3")})  # the PR, not committed
    before = status(repo)
    monkeypatch.chdir(repo)
    run = iacplan("check", "--base-ref", "main", "infra", "--format", "json")
    assert run.exit_code == 0, run.stderr
    env = run.env("aws_mwaa_environment.main")
    assert (env["base_version"], env["head_version"], env["change"]) == (
        "2.9.2",
        "2.10.3",
        "upgrade",
    )
    assert env["file"] == "infra/main.tf"
    assert status(repo) == before
    assert list(isolated.iterdir()) == []  # the revision's temporary tree is gone


def test_from_a_subdirectory_with_modules_outside_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = BUCKET + 'variable "v" {}\n' + env_block("x").replace('"x"', "var.v")
    caller = 'module "mwaa" {{\n  source = "../../modules/mwaa"\n  v = "{}"\n}}\n'
    repo = repo_with(
        tmp_path,
        {"modules/mwaa/main.tf": module, "envs/prod/main.tf": caller.format("2.9.2")},
    )
    run_git(repo, "checkout", "-q", "-b", "pr")
    write_tree(repo, {"envs/prod/main.tf": caller.format("2.8.1")})
    run_git(repo, "commit", "-q", "-am", "downgrade")
    before = status(repo)
    monkeypatch.chdir(repo / "envs" / "prod")
    run = iacplan("check", "--base-ref", "main", "--format", "json")
    assert run.exit_code == 1
    env = run.env("module.mwaa.aws_mwaa_environment.main")
    assert (env["base_version"], env["head_version"]) == ("2.9.2", "2.8.1")
    assert run.rules() == ["MWAA001"]
    assert "iacplan-base-" not in run.stdout
    assert status(repo) == before


def test_paths_added_and_deleted_in_the_pr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = repo_with(tmp_path, {"old/main.tf": BUCKET + env_block("2.9.2")})
    (repo / "old" / "main.tf").unlink()
    (repo / "old").rmdir()
    write_tree(repo, {"new/main.tf": BUCKET + env_block("2.10.3")})
    monkeypatch.chdir(repo)
    run = iacplan("check", "--base-ref", "HEAD", "old", "new", "--format", "json")
    assert run.exit_code == 1
    changes = {(e["id"], e["file"], e["change"]) for e in run.report["environments"]}
    assert changes == {
        ("old:aws_mwaa_environment.main", "old/main.tf", "removed"),
        ("new:aws_mwaa_environment.main", "new/main.tf", "added"),
    }
    removed = next(f for f in run.report["findings"] if f["rule"] == "MWAA007")
    assert removed["file"] == "old/main.tf"  # the revision's file, shown as the working tree's


def test_a_directory_with_no_definitions_at_the_revision_is_added(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = repo_with(tmp_path, {"cfn/README.md": "templates go here\n"})
    template = """\
        Resources:
          Airflow:
            Type: AWS::MWAA::Environment
            Properties:
              Name: prod
              AirflowVersion: "2.10.3"
        """
    write_tree(repo, {"cfn/mwaa.yaml": template})
    monkeypatch.chdir(repo)
    run = iacplan("check", "--base-ref", "HEAD", "cfn", "--format", "json")
    assert [e["change"] for e in run.report["environments"]] == ["added"]


def test_a_tracked_var_file_is_read_as_it_was_at_the_revision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Using the PR's var file on both sides would make every version change in it look
    unchanged: a false pass."""
    main_tf = BUCKET + 'variable "v" {}\n' + env_block("x").replace('"x"', "var.v")
    repo = repo_with(tmp_path, {"infra/main.tf": main_tf, "prod.tfvars": 'v = "2.10.3"\n'})
    write_tree(repo, {"prod.tfvars": 'v = "2.8.1"\n', "local.tfvars": "# untracked\n"})
    monkeypatch.chdir(repo)
    run = iacplan(
        "check",
        "--base-ref",
        "HEAD",
        "infra",
        "--var-file",
        "prod.tfvars",
        "--var-file",
        "local.tfvars",
        "--format",
        "json",
    )
    env = run.env("aws_mwaa_environment.main")
    assert (env["base_version"], env["head_version"], env["change"]) == (
        "2.10.3",
        "2.8.1",
        "downgrade",
    )


def test_a_var_file_the_pr_adds_is_not_read_at_the_revision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    main_tf = (
        BUCKET + 'variable "v" { default = "2.9.2" }\n' + env_block("x").replace('"x"', "var.v")
    )
    repo = repo_with(tmp_path, {"infra/main.tf": main_tf})
    write_tree(repo, {"prod.tfvars": 'v = "2.10.3"\n'})
    run_git(repo, "add", "prod.tfvars")
    monkeypatch.chdir(repo)
    run = iacplan(
        "check", "--base-ref", "HEAD", "infra", "--var-file", "prod.tfvars", "--format", "json"
    )
    env = run.env("aws_mwaa_environment.main")
    assert (env["base_version"], env["head_version"]) == ("2.9.2", "2.10.3")


def test_an_error_in_the_revision_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A broken file that names the resource type: one that cannot is not even parsed.
    repo = repo_with(tmp_path, {"infra/main.tf": 'resource "aws_mwaa_environment" {\n'})
    write_tree(repo, {"infra/main.tf": BUCKET + env_block("2.10.3")})
    monkeypatch.chdir(repo)
    run = iacplan("check", "--base-ref", "HEAD", "infra")
    assert run.exit_code == 2
    assert run.stderr.startswith("iacplan: error: infra/main.tf")
    assert run.stderr.rstrip().endswith("(at HEAD)") and run.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("no-repo", "is not inside a git working tree"),
        ("unknown-ref", "--base-ref nope: no such commit in this repository"),
        ("no-git", "git is not installed"),
    ],
)
def test_errors_are_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setup: str, expected: str
) -> None:
    if setup == "no-repo":
        work = write_tree(tmp_path / "plain", {"main.tf": BUCKET + env_block("2.10.3")})
    else:
        work = repo_with(tmp_path, {"main.tf": BUCKET + env_block("2.10.3")})
    if setup == "no-git":
        monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.chdir(work)
    run = iacplan("check", "--base-ref", "main" if setup != "unknown-ref" else "nope", ".")
    assert run.exit_code == 2
    assert expected in run.stderr and run.stderr.count("\n") == 1


def test_base_ref_and_base_exclude_each_other(tmp_path: Path) -> None:
    run = iacplan("check", "--base-ref", "main", "--base", tmp_path, tmp_path)
    assert run.exit_code == 2 and "--base-ref goes with neither --base" in run.stderr


def test_a_path_outside_the_repository_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = repo_with(tmp_path, {"main.tf": BUCKET + env_block("2.10.3")})
    outside = write_tree(tmp_path / "elsewhere", {"main.tf": BUCKET + env_block("2.10.3")})
    monkeypatch.chdir(repo)
    run = iacplan("check", "--base-ref", "HEAD", outside)
    assert run.exit_code == 2 and "outside the git repository" in run.stderr


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_the_temporary_tree_is_removed_when_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated: Path, how: str
) -> None:
    repo = repo_with(tmp_path, {"main.tf": BUCKET + env_block("2.10.3"), "link": b""})
    monkeypatch.chdir(repo)
    with pytest.raises(KeyboardInterrupt), git.revision("HEAD") as revision:
        assert (revision.root / "main.tf").is_file()
        if how == "sigterm":
            os.kill(os.getpid(), signal.SIGTERM)  # as a cancelled CI job
        raise KeyboardInterrupt
    assert not revision.root.exists() and list(isolated.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_the_tree_keeps_symlinks_and_leaves_submodules_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = repo_with(tmp_path, {"modules/a/main.tf": BUCKET})
    os.symlink("modules/a", repo / "current")
    run_git(repo, "add", "current")
    run_git(repo, "commit", "-q", "-m", "link")
    monkeypatch.chdir(repo)
    with git.revision("HEAD") as revision:
        assert os.readlink(revision.root / "current") == "modules/a"
        assert (revision.root / "current" / "main.tf").read_text() == BUCKET


def test_installed_registry_modules_keep_their_ids_at_the_revision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`terraform init` output is not in git: without it the revision's side would read the
    module call through its inputs, under another id, and report it removed and added."""
    module = (
        BUCKET
        + 'variable "name" {}\nvariable "airflow_version" {}\n'
        + mwaa("var.airflow_version", "mwaa", "  source_bucket_arn = aws_s3_bucket.dags.arn\n")
    )
    record = {"Key": "mwaa", "Source": "registry.terraform.io/aws-ia/mwaa/aws", "Version": "0.0.6"}
    manifest = {
        "Modules": [
            {"Key": "", "Source": "", "Dir": "."},
            {**record, "Dir": ".terraform/modules/mwaa"},
        ]
    }
    caller = (
        'module "mwaa" {{\n  source = "aws-ia/mwaa/aws"\n  version = "0.0.6"\n'
        '  name = "prod"\n  airflow_version = "{}"\n}}\n'
    )
    repo = repo_with(
        tmp_path, {"infra/main.tf": caller.format("2.9.2"), ".gitignore": ".terraform/\n"}
    )
    write_tree(
        repo / "infra",
        {
            ".terraform/modules/modules.json": json.dumps(manifest),
            ".terraform/modules/mwaa/main.tf": module,
        },
    )
    write_tree(repo, {"infra/main.tf": caller.format("2.10.3")})
    before = status(repo)
    monkeypatch.chdir(repo)
    run = iacplan("check", "--base-ref", "HEAD", "infra", "--format", "json")
    env = run.env("module.mwaa.aws_mwaa_environment.mwaa")
    assert (env["base_version"], env["head_version"], env["change"]) == (
        "2.9.2",
        "2.10.3",
        "upgrade",
    )
    assert status(repo) == before


def test_plans_carry_their_own_base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = (SAMPLES.parent / "terraform-plan" / "minor-upgrade" / "plan.json").read_text()
    repo = repo_with(tmp_path, {"plan.json": plan})
    monkeypatch.chdir(repo)
    run = iacplan("check", "--base-ref", "HEAD", "plan.json")
    assert run.exit_code == 2 and "every HEAD_PATH is a plan or change set" in run.stderr


def test_a_plan_beside_definitions_is_not_looked_for_at_the_revision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plan carries its base: that it is not committed (plans rarely are) says nothing about
    added environments, and it is not looked for in the revision at all."""
    plan = (SAMPLES.parent / "terraform-plan" / "minor-upgrade" / "plan.json").read_text()
    repo = repo_with(tmp_path, {"infra/main.tf": BUCKET + env_block("2.9.2")})
    write_tree(repo, {"plan.json": plan})
    monkeypatch.chdir(repo)
    run = iacplan("check", "--base-ref", "HEAD", "infra", "plan.json", "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert "plan.json" not in run.stderr, run.stderr


def versions(run: object) -> list[tuple[str | None, str | None, str]]:
    report = run.report  # type: ignore[attr-defined]
    return [(e["base_version"], e["head_version"], e["change"]) for e in report["environments"]]


@pytest.mark.parametrize("how", ["new file", "renamed file"])
def test_a_tf_file_new_in_the_pr_is_compared_with_its_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """Terraform reads the whole directory: the environment moved to a new file is still
    the revision's, and the major jump is seen."""
    repo = repo_with(tmp_path, {"infra/main.tf": BUCKET + env_block("2.10.3")})
    if how == "renamed file":
        run_git(repo, "mv", "infra/main.tf", "infra/mwaa.tf")
        write_tree(repo, {"infra/mwaa.tf": BUCKET + env_block("3.0.6")})
    else:
        write_tree(repo, {"infra/main.tf": BUCKET, "infra/mwaa.tf": env_block("3.0.6")})
    monkeypatch.chdir(repo)
    run = iacplan("check", "--base-ref", "HEAD", "infra/mwaa.tf", "--format", "json")
    assert versions(run) == [("2.10.3", "3.0.6", "major-jump")]
    assert run.exit_code == 1, run.stdout


def test_a_tf_file_deleted_in_the_pr_leaves_the_rest_of_its_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = repo_with(tmp_path, {"infra/main.tf": BUCKET, "infra/mwaa.tf": env_block("2.9.2")})
    (repo / "infra" / "mwaa.tf").unlink()
    write_tree(repo, {"infra/main.tf": BUCKET + env_block("2.10.3")})
    monkeypatch.chdir(repo)
    run = iacplan("check", "--base-ref", "HEAD", "infra/mwaa.tf", "--format", "json")
    assert versions(run) == [("2.9.2", "2.10.3", "upgrade")]


def test_a_symlinked_path_is_the_revisions_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = repo_with(
        tmp_path,
        {
            "envs/v2/main.tf": BUCKET + env_block("2.10.3"),
            "envs/v3/main.tf": BUCKET + env_block("3.0.6"),
        },
    )
    os.symlink("envs/v2", repo / "live")
    run_git(repo, "add", "live")
    run_git(repo, "commit", "-q", "-m", "live is v2")
    (repo / "live").unlink()
    os.symlink("envs/v3", repo / "live")  # the PR points it at v3
    monkeypatch.chdir(repo)
    run = iacplan("check", "--base-ref", "HEAD", "live", "--format", "json")
    assert versions(run) == [("2.10.3", "3.0.6", "major-jump")]


def test_an_absolute_link_into_the_repository_is_the_revisions_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    main_tf = BUCKET + 'variable "v" {}\n' + env_block("x").replace('"x"', "var.v")
    repo = repo_with(tmp_path, {"infra/main.tf": main_tf, "shared/prod.tfvars": 'v = "2.10.3"\n'})
    os.symlink(repo / "shared" / "prod.tfvars", repo / "infra" / "terraform.tfvars")
    run_git(repo, "add", "infra/terraform.tfvars")
    run_git(repo, "commit", "-q", "-m", "link")
    write_tree(repo, {"shared/prod.tfvars": 'v = "3.0.6"\n'})
    monkeypatch.chdir(repo)
    run = iacplan("check", "--base-ref", "HEAD", "infra", "--format", "json")
    assert versions(run) == [("2.10.3", "3.0.6", "major-jump")]
    with git.revision("HEAD") as revision:
        link = os.readlink(revision.root / "infra" / "terraform.tfvars")
        assert link == str(revision.root / "shared" / "prod.tfvars")


@pytest.mark.parametrize(
    "name", ["terraform.tfvars", "ci.auto.tfvars", "terraform.tfvars.json", "ci.auto.tfvars.json"]
)
def test_ignored_auto_loaded_var_files_apply_to_both_sides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """GitHub's Terraform .gitignore ignores *.tfvars: read on the head side only, the value
    they set would be missing at the revision and a change to a literal would read unchanged."""
    main_tf = BUCKET + 'variable "v" {}\n' + env_block("x").replace('"x"', "var.v")
    repo = repo_with(
        tmp_path, {".gitignore": "*.tfvars\n*.tfvars.json\n", "infra/main.tf": main_tf}
    )
    value = '{"v": "2.10.3"}\n' if name.endswith(".json") else 'v = "2.10.3"\n'
    write_tree(repo, {f"infra/{name}": value, "infra/main.tf": BUCKET + env_block("2.8.1")})
    monkeypatch.chdir(repo)
    run = iacplan("check", "--base-ref", "HEAD", "infra", "--format", "json")
    assert versions(run) == [("2.10.3", "2.8.1", "downgrade")]
    assert run.exit_code == 1


def test_an_auto_loaded_var_file_tracked_at_the_revision_is_the_revisions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    main_tf = BUCKET + 'variable "v" {}\n' + env_block("x").replace('"x"', "var.v")
    repo = repo_with(
        tmp_path, {"infra/main.tf": main_tf, "infra/terraform.tfvars": 'v = "2.9.2"\n'}
    )
    write_tree(repo, {"infra/terraform.tfvars": 'v = "2.10.3"\n'})
    monkeypatch.chdir(repo)
    run = iacplan("check", "--base-ref", "HEAD", "infra", "--format", "json")
    assert versions(run) == [("2.9.2", "2.10.3", "upgrade")]


def test_an_auto_loaded_var_file_the_pr_adds_is_not_read_at_the_revision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    main_tf = (
        BUCKET + 'variable "v" { default = "2.9.2" }\n' + env_block("x").replace('"x"', "var.v")
    )
    repo = repo_with(tmp_path, {"infra/main.tf": main_tf})
    write_tree(repo, {"infra/prod.auto.tfvars": 'v = "2.10.3"\n'})
    run_git(repo, "add", "infra/prod.auto.tfvars")
    monkeypatch.chdir(repo)
    run = iacplan("check", "--base-ref", "HEAD", "infra", "--format", "json")
    assert versions(run) == [("2.9.2", "2.10.3", "upgrade")]


def test_a_renamed_root_directory_is_found_at_the_revision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = repo_with(
        tmp_path,
        {"infra/prod/main.tf": BUCKET + env_block("2.10.3"), "infra/prod/vars.tf": "# vars\n"},
    )
    run_git(repo, "mv", "infra/prod", "infra/production")
    write_tree(repo, {"infra/production/main.tf": BUCKET + env_block("3.0.6")})
    run_git(repo, "commit", "-q", "-am", "rename and bump")
    monkeypatch.chdir(repo)
    run = iacplan("check", "--base-ref", "HEAD~1", "infra/production", "--format", "json")
    assert versions(run) == [("2.10.3", "3.0.6", "major-jump")]
    assert "compared with infra/prod, which git finds renamed to it" in run.stderr


def test_a_path_new_at_the_revision_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = repo_with(tmp_path, {"README.md": "infra\n"})
    write_tree(repo, {"infra/main.tf": BUCKET + env_block("2.10.3")})
    monkeypatch.chdir(repo)
    run = iacplan("check", "--base-ref", "HEAD", "infra", "--format", "json")
    assert versions(run) == [(None, "2.10.3", "added")]
    assert "infra is not at HEAD and git finds no rename" in run.stderr


def test_an_ignored_var_file_is_never_written_through_a_link_of_the_revision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = repo_with(tmp_path, {"infra/main.tf": BUCKET + env_block("2.9.2")})
    outside = tmp_path / "outside.tfvars"  # does not exist: the revision's link dangles
    os.symlink(outside, repo / "infra" / "terraform.tfvars")
    run_git(repo, "add", "infra/terraform.tfvars")
    run_git(repo, "commit", "-q", "-m", "link")
    run_git(repo, "rm", "-q", "infra/terraform.tfvars")  # the PR deletes the link
    write_tree(repo, {"infra/terraform.tfvars": "# local\n"})
    write_tree(repo, {".git/info/exclude": "terraform.tfvars\n"})
    monkeypatch.chdir(repo)
    run = iacplan("check", "--base-ref", "HEAD", "infra", "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert versions(run) == [("2.9.2", "2.9.2", "unchanged")]
    assert not outside.exists()


# --- paths git ignores (issue 16, item 6) ---------------------------------------------------

CDK_APP = {
    "analytics/.gitignore": "cdk.out\n*.pyc\n.venv/\n",
    "analytics/cdk.json": '{"app": "python3 app.py"}\n',
    "analytics/app.py": (
        "import aws_cdk as cdk\n"
        "from stacks.airflow import AirflowStack\n\n"
        "app = cdk.App()\n"
        'AirflowStack(app, "Analytics")\n'
        "app.synth()\n"
    ),
    "analytics/stacks/airflow.py": (
        "from aws_cdk import Stack, aws_mwaa as mwaa\n\n\n"
        "class AirflowStack(Stack):\n"
        "    def __init__(self, scope, construct_id, **kwargs):\n"
        "        super().__init__(scope, construct_id, **kwargs)\n"
        '        mwaa.CfnEnvironment(self, "Airflow", name="analytics", airflow_version="2.8.1")\n'
    ),
}


def synthesized(version: str) -> str:
    """What `cdk synth` writes for the app above (abridged)."""
    template = {
        "Resources": {
            "Airflow": {
                "Type": "AWS::MWAA::Environment",
                "Properties": {"Name": "analytics", "AirflowVersion": version},
                "Metadata": {"aws:cdk:path": "Analytics/Airflow"},
            }
        },
        "Parameters": {
            "BootstrapVersion": {
                "Type": "AWS::SSM::Parameter::Value<String>",
                "Default": "/cdk-bootstrap/hnb659fds/version",
            }
        },
    }
    return json.dumps(template, indent=1)


@pytest.mark.parametrize(
    "head_path", ["analytics/cdk.out", "analytics/cdk.out/Analytics.template.json"]
)
def test_an_ignored_path_is_refused_with_how_to_compare_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, head_path: str
) -> None:
    """cdk.out is at no revision: its environments would all be added, and allowed, even
    when the app downgrades (2.10.3 at the base, 2.8.1 now)."""
    repo = repo_with(tmp_path, CDK_APP)
    write_tree(repo, {"analytics/cdk.out/Analytics.template.json": synthesized("2.8.1")})
    monkeypatch.chdir(repo)
    run = iacplan("check", "--base-ref", "HEAD", head_path)
    assert run.exit_code == 2, run.stdout
    assert run.stdout == ""
    [line] = run.stderr.splitlines()
    assert line.startswith(
        f"iacplan: error: {head_path}: git ignores it (analytics/.gitignore:1: cdk.out)"
    )
    assert "git worktree add ../base HEAD" in line and "--base" in line


def test_a_template_git_ignores_inside_a_tracked_path_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = repo_with(tmp_path, CDK_APP)
    write_tree(repo, {"analytics/cdk.out/Analytics.template.json": synthesized("2.8.1")})
    monkeypatch.chdir(repo / "analytics")
    run = iacplan("check", "--base-ref", "HEAD", ".")
    assert run.exit_code == 2
    assert run.stderr.startswith(
        "iacplan: error: cdk.out/Analytics.template.json: git ignores it (.gitignore:1: cdk.out)"
    )


def test_an_untracked_path_that_is_not_ignored_is_new_in_the_pr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not yet added, but not ignored: the PR adds it, so its environments are added."""
    repo = repo_with(tmp_path, {**CDK_APP, "analytics/.gitignore": "*.pyc\n"})
    write_tree(repo, {"analytics/cdk.out/Analytics.template.json": synthesized("2.10.3")})
    monkeypatch.chdir(repo)
    run = iacplan("check", "--base-ref", "HEAD", "analytics/cdk.out", "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert [e["change"] for e in run.report["environments"]] == ["added"]
    assert "count as added" in run.stderr


def test_an_ignored_path_that_the_revision_tracks_is_compared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A template committed before its directory was ignored is at the revision: compared."""
    repo = repo_with(
        tmp_path,
        {
            **CDK_APP,
            "analytics/.gitignore": "*.pyc\n",
            "analytics/cdk.out/Analytics.template.json": synthesized("2.10.3"),
        },
    )
    write_tree(
        repo,
        {
            "analytics/.gitignore": "cdk.out\n",
            "analytics/cdk.out/Analytics.template.json": synthesized("2.8.1"),
        },
    )
    monkeypatch.chdir(repo)
    run = iacplan("check", "--base-ref", "HEAD", "analytics/cdk.out", "--format", "json")
    assert [e["change"] for e in run.report["environments"]] == ["downgrade"]
    assert run.exit_code == 1


# --- CI clones: shallow and partial (blobless, treeless) -----------------------------------


def ci_clone(tmp_path: Path, *options: str) -> tuple[Path, Path]:
    """A server repository (main: 2.9.2, pr: 2.10.3) and a clone of it checked out at pr, as
    actions/checkout or GitLab make one (`--depth`, `--filter`)."""
    server = repo_with(tmp_path, {"infra/main.tf": BUCKET + env_block("2.9.2"), "a.txt": "a"})
    run_git(server, "config", "uploadpack.allowFilter", "true")
    run_git(server, "config", "uploadpack.allowAnySHA1InWant", "true")
    run_git(server, "checkout", "-q", "-b", "pr")
    write_tree(server, {"infra/main.tf": BUCKET + env_block("2.10.3"), "a.txt": "b"})
    run_git(server, "commit", "-q", "-am", "pr")
    clone = tmp_path / "clone"
    run_git(tmp_path, "clone", "-q", "--no-local", *options, server.as_uri(), str(clone))
    run_git(clone, "checkout", "-q", "pr")
    return server, clone


def missing(clone: Path, ref: str) -> int:
    listing = run_git(clone, "rev-list", "--objects", "--missing=print", "--no-walk", ref)
    return sum(line.startswith("?") for line in listing.splitlines())


@pytest.mark.parametrize("options", [("--filter=blob:none",), ("--filter=tree:0",)])
def test_a_partial_clone_fetches_the_revisions_files_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: tuple[str, ...]
) -> None:
    _, clone = ci_clone(tmp_path, *options)
    assert missing(clone, "origin/main") > 0
    monkeypatch.chdir(clone)
    run = iacplan("check", "--base-ref", "origin/main", "infra", "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert run.env("aws_mwaa_environment.main")["base_version"] == "2.9.2"
    assert missing(clone, "origin/main") == 0


def test_a_partial_clone_whose_remote_cannot_be_reached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As with `persist-credentials: false` on a private repository: git cannot fetch."""
    _, clone = ci_clone(tmp_path, "--filter=blob:none")
    run_git(clone, "remote", "set-url", "origin", (tmp_path / "gone").as_uri())
    monkeypatch.chdir(clone)
    run = iacplan("check", "--base-ref", "origin/main", "infra")
    assert run.exit_code == 2
    assert run.stderr.startswith(
        "iacplan: error: --base-ref origin/main: this partial clone lacks 1 of the revision's "
        "files and cannot fetch them from origin (fatal: "
    )


def test_a_shallow_clone_needs_the_base_fetched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, clone = ci_clone(tmp_path, "--depth=1", "--single-branch", "--branch=pr")
    monkeypatch.chdir(clone)
    run = iacplan("check", "--base-ref", "origin/main", "infra")
    assert run.exit_code == 2 and "fetch-depth: 0" in run.stderr
    run_git(clone, "fetch", "-q", "--depth=1", "origin", "+main:refs/remotes/origin/main")
    run = iacplan("check", "--base-ref", "origin/main", "infra", "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert run.env("aws_mwaa_environment.main")["base_version"] == "2.9.2"
