"""The pre-commit hooks, run by the real pre-commit (`pre-commit try-repo`) in a repository
holding a `.pre-commit-config.yaml`, other YAML and JSON, templates and Terraform.

pre-commit installs this repository into a virtualenv of its own (pip, from the package index),
once per test session."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers import CFN_SAMPLES, REPO, SAMPLES, write_tree

pytestmark = pytest.mark.slow

PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
TEMPLATE = (CFN_SAMPLES / "yaml-minor-upgrade" / "head" / "mwaa.yaml").read_text()
TERRAFORM = (SAMPLES / "minor-upgrade" / "head" / "main.tf").read_text()


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's files as they are in the working tree, committed in a repository of
    their own: pre-commit installs a commit, and one commit is installed once."""
    snapshot = tmp_path_factory.mktemp("hook-repo")
    listed = git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / name)
    git(snapshot, "init", "-q", "-b", "main")
    git(snapshot, "add", "-A")
    git(snapshot, "commit", "-q", "-m", "snapshot")
    return snapshot


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def user_repo(root: Path, files: dict[str, str]) -> Path:
    """A repository as users have them, every file committed (`--all-files` takes git's)."""
    repo = write_tree(root, files)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "files")
    return repo


def pre_commit(
    repo: Path, home: Path, *args: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """The run, and each hook's part of the output by hook id."""
    assert PRE_COMMIT is not None, "pre-commit is in the test extra"
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    env.pop("SKIP", None)
    run = subprocess.run(
        [PRE_COMMIT, *args, "--all-files", "--verbose", "--color=never"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    parts: dict[str, str] = {}
    hook = previous = ""
    for line in run.stdout.splitlines():
        if line.startswith("- hook id: "):
            hook = line.removeprefix("- hook id: ")
            # the status is on the line before, with the hook's name
            parts[hook] = previous + "\n"
        elif hook:
            parts[hook] += line + "\n"
        previous = line
    return run, parts


OTHERS = {
    ".pre-commit-config.yaml": "repos:\n  - repo: local\n    hooks: []\n",
    ".github/workflows/ci.yml": (
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: |\n          echo a \\\n            b\n"
    ),
    "k8s/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n",
    # Not YAML at all, with an escape the pre-filter looks at.
    "charts/x/templates/cm.yaml": "data:\n  {{- range .Values.x }}\n  a: \\u00e9\n  {{- end }}\n",
    "package.json": '{"name": "x"}\n',
    "params/prod.json": '[{"ParameterKey": "Stage", "ParameterValue": "prod"}]\n',
    "network.yaml": "Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n",
}
BAD = TEMPLATE.replace('AirflowVersion: "2.10.3"', 'AirflowVersion: "9.9.9"')


def test_try_repo_checks_templates_only_and_terraform_apart(
    tmp_path: Path, hook_repo: Path, pre_commit_home: Path
) -> None:
    """`pre-commit try-repo` (which installs the hooks anew, in a store of its own), both hooks,
    on every file: other YAML and JSON pass quietly, the rejected template fails the
    CloudFormation hook alone, and the Terraform hook does not read the templates."""
    assert BAD != TEMPLATE
    files = {**OTHERS, "cfn/good.yaml": TEMPLATE, "cfn/bad.yaml": BAD, "infra/main.tf": TERRAFORM}
    repo = user_repo(tmp_path / "user", files)
    run, hooks = pre_commit(repo, pre_commit_home, "try-repo", hook_repo.as_uri())
    assert run.returncode == 1, run.stdout + run.stderr
    assert set(hooks) == {"iacplan", "iacplan-cloudformation"}, run.stdout
    cfn = hooks["iacplan-cloudformation"]
    assert "iacplan (CloudFormation, MWAA)" in cfn and "Failed" in cfn, cfn
    assert "- exit code: 1" in cfn
    assert "MWAA004" in cfn and "cfn/bad.yaml" in cfn and "cfn/good.yaml" in cfn
    assert "infra/main.tf" not in cfn and "not a Terraform directory" not in cfn
    assert not any(name in cfn for name in OTHERS), cfn
    terraform = hooks["iacplan"]
    assert "iacplan (Terraform, MWAA)" in terraform and "Passed" in terraform, terraform
    assert "ALLOWED" in terraform and "→ 2.10.3" in terraform, terraform
    assert "cfn/" not in terraform and "MWAA004" not in terraform


def test_the_documented_config_with_its_files_override(
    tmp_path: Path, hook_repo: Path, pre_commit_home: Path
) -> None:
    """docs/ci.md's `.pre-commit-config.yaml`, run by `pre-commit run`: the Terraform hook on
    its directory, the CloudFormation hook narrowed to a directory (keeping the suffixes)."""
    text = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, re.S)]
    [config] = [b for b in blocks if "repos" in b and "workflows" not in b]
    config["repos"][0]["repo"] = hook_repo.as_uri()
    config["repos"][0]["rev"] = git(hook_repo, "rev-parse", "HEAD").strip()
    files = {
        **OTHERS,
        "cloudformation/mwaa.yaml": TEMPLATE,
        "cloudformation/README.md": "# templates\n",
        "elsewhere/mwaa.yaml": BAD,  # outside the override: not this hook's
        "infra/main.tf": TERRAFORM,
        ".pre-commit-config.yaml": yaml.safe_dump(config),
    }
    repo = user_repo(tmp_path / "user", files)
    run, hooks = pre_commit(repo, pre_commit_home, "run")
    assert run.returncode == 0, run.stdout + run.stderr
    assert set(hooks) == {"iacplan", "iacplan-cloudformation"}, run.stdout
    cfn = hooks["iacplan-cloudformation"]
    assert "cloudformation/mwaa.yaml" in cfn and "ALLOWED" in cfn
    assert "elsewhere/" not in cfn and "README.md" not in cfn
    assert "ALLOWED" in hooks["iacplan"] and "→ 2.10.3" in hooks["iacplan"], hooks["iacplan"]
