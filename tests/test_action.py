"""The composite action (action.yml) and its step scripts (action/), run as the runner runs
them: bash with the runner's variables and files, a fake or the real iacplan, real git
repositories, and the loopback GitHub (tests/forge.py) for the comment."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import FAKE_TOKEN
from forge import GITHUB_PR, GITHUB_REPO, Forge
from helpers import REPO, SAMPLES, write_tree

ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
STEPS = {step.get("id", step.get("name")): step for step in ACTION["runs"]["steps"]}
CHECK_JSONSCHEMA = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
IACPLAN = shutil.which("iacplan", path=str(Path(sys.executable).parent))

# Records its arguments (NUL-separated, as given) and exits with $FAKE_EXIT.
FAKE = """#!/usr/bin/env bash
printf '%s\\0' "$@" > "$FAKE_ARGS"
echo "::error file=infra/main.tf,line=3,title=MWAA001::fake"
exit "${FAKE_EXIT:-0}"
"""


def test_the_action_is_valid_for_check_jsonschemas_github_actions_schema() -> None:
    assert CHECK_JSONSCHEMA is not None, "check-jsonschema is in the test extra"
    run = subprocess.run(
        [CHECK_JSONSCHEMA, "--builtin-schema", "vendor.github-actions", str(REPO / "action.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_steps_run_scripts_with_inputs_through_env() -> None:
    """No `${{ }}` in a script (template injection): inputs and outputs come through env."""
    assert ACTION["runs"]["using"] == "composite"
    for step in ACTION["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash"
            assert "${{" not in step["run"], step["run"]
            script = step["run"].partition('"$GITHUB_ACTION_PATH/')[2].partition('"')[0]
            assert not script or (REPO / script).is_file(), script
    assert STEPS["python"]["uses"].startswith("actions/setup-python@")
    assert STEPS["python"]["with"]["update-environment"] is False
    upload = STEPS["Upload SARIF"]
    assert upload["uses"] == "github/codeql-action/upload-sarif@v4"
    assert "read-only-token != 'true'" in upload["if"]
    # The comment step never fails the job, so the upload and the result always follow it.
    assert "continue-on-error" not in STEPS["comment"]
    assert STEPS["Result"]["run"] == 'exit "${CODE:-2}"'


@dataclass
class Runner:
    """The runner's side of a step: its variables and the files it reads back."""

    root: Path
    env: dict[str, str]

    def run(self, script: str, cwd: Path | None = None, **env: str) -> Step:
        done = subprocess.run(
            ["bash", str(REPO / "action" / script)],
            cwd=cwd or self.root,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        outputs = dict(
            line.split("=", 1)
            for line in (self.root / "output").read_text().splitlines()
            if "=" in line
        )
        (self.root / "output").write_text("")
        return Step(done.returncode, done.stdout, done.stderr, outputs)

    def args(self) -> list[str]:
        return (self.root / "args").read_bytes().decode().split("\0")[:-1]


@dataclass
class Step:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]

    def commands(self, kind: str) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith(f"::{kind} ")]


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    fake = tmp_path / "fake-iacplan"
    fake.write_text(FAKE)
    fake.chmod(0o755)
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    for name in ("output", "summary", "path"):
        (tmp_path / name).write_text("")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GITHUB_ACTION_PATH": str(REPO),
        "RUNNER_TEMP": str(temp),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        "GITHUB_PATH": str(tmp_path / "path"),
        "GITHUB_REPOSITORY": GITHUB_REPO,
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_ACTOR": "someone",
        "IACPLAN": str(fake),
        "PYTHON": sys.executable,
        "FAKE_ARGS": str(tmp_path / "args"),
        "PATHS": ".",
        "ARGS": "",
        "BASE_REF": "",
        "FAIL_ON": "error",
        "UPLOAD_SARIF": "false",
        "HEAD_REPO": GITHUB_REPO,
    }
    return Runner(tmp_path, env)


# --- args and paths: one argument per line or a JSON array, never word-split ---------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("--var=owner=data platform", ["--var=owner=data platform"]),
        (
            "--var\nowner=data platform\n\n  --var-file=infra/prod env.tfvars  \n",
            ["--var", "owner=data platform", "--var-file=infra/prod env.tfvars"],
        ),
        ('["--var", "owner=data platform", "--fail-on=warning"]', None),
        ("--config=$HOME/*.yaml", ["--config=$HOME/*.yaml"]),  # no expansion, no globbing
        ("", []),
    ],
)
def test_args_are_never_split_at_spaces(
    runner: Runner, args: str, expected: list[str] | None
) -> None:
    step = runner.run("check.sh", ARGS=args, PATHS="infra/ modules/")
    assert step.code == 0 and step.outputs["exit-code"] == "0", step.stdout + step.stderr
    given = runner.args()
    wanted = expected if expected is not None else json.loads(args)
    # A --fail-on in args wins over the input: iacplan refuses an option given twice.
    default = [] if any(a.startswith("--fail-on") for a in wanted) else ["--fail-on", "error"]
    start = 1 + len(default)
    assert given[:start] == ["check", *default]
    assert given[start : start + 2] == ["--format", "github"]
    assert given[start + 2 : start + 8 : 2] == ["--output"] * 3
    assert given[start + 8 : -3] == wanted
    assert given[-3:] == ["--", "infra/", "modules/"]


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        (".", ["."]),
        ("infra/prod\ninfra/data platform\n", ["infra/prod", "infra/data platform"]),
        ('["infra/data platform"]', ["infra/data platform"]),
    ],
)
def test_paths_one_per_line_or_json(runner: Runner, paths: str, expected: list[str]) -> None:
    runner.run("check.sh", PATHS=paths)
    given = runner.args()
    assert given[given.index("--") + 1 :] == expected


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ('["--var", 1]', "args: a JSON array must hold strings only"),
        ("[--var x]", "args: not a JSON array"),
    ],
)
def test_a_malformed_input_is_an_error_and_exit_2(runner: Runner, args: str, error: str) -> None:
    step = runner.run("check.sh", ARGS=args)
    assert step.code == 0 and step.outputs["exit-code"] == "2"
    [command] = step.commands("error")
    assert command.startswith(f"::error title=iacplan::{error}")
    assert not (runner.root / "args").exists()  # iacplan never ran


def test_an_option_and_its_value_on_one_line_get_a_hint(runner: Runner) -> None:
    step = runner.run("check.sh", ARGS="--var-file infra/prod.tfvars")
    assert step.commands("warning") == [
        "::warning title=iacplan::args: '--var-file infra/prod.tfvars' is one argument; write "
        "--var-file=infra/prod.tfvars or put the value on the next line"
    ]


def test_the_exit_code_is_an_output_and_the_step_succeeds(runner: Runner) -> None:
    step = runner.run("check.sh", FAKE_EXIT="1")
    assert step.code == 0
    assert step.outputs == {
        "exit-code": "1",
        "report": f"{runner.env['RUNNER_TEMP']}/iacplan/report.json",
        "sarif": f"{runner.env['RUNNER_TEMP']}/iacplan/iacplan.sarif",
        "read-only-token": "false",
    }
    assert step.stdout.startswith("::error file=infra/main.tf,line=3,title=MWAA001::")


# --- forks and Dependabot: a read-only token ------------------------------------------------


@pytest.mark.parametrize(
    ("env", "read_only"),
    [
        ({"HEAD_REPO": "someone/infra-fork"}, True),
        ({"GITHUB_ACTOR": "dependabot[bot]"}, True),
        ({"HEAD_REPO": "someone/infra-fork", "GITHUB_EVENT_NAME": "pull_request_target"}, False),
        ({}, False),
    ],
)
def test_a_forks_token_is_read_only_and_sarif_is_not_uploaded(
    runner: Runner, env: dict[str, str], read_only: bool
) -> None:
    step = runner.run("check.sh", UPLOAD_SARIF="true", **env)
    assert step.outputs["read-only-token"] == str(read_only).lower()
    warnings = [w for w in step.commands("warning") if "SARIF not uploaded" in w]
    assert len(warnings) == read_only


@pytest.mark.parametrize(
    ("exit_code", "state", "warning"),
    [
        ("0", "posted", None),
        ("3", "not-posted", "not posted: the token may not comment on this pull request"),
        ("2", "not-posted", "not posted: iacplan comment ended with exit 2"),
    ],
)
def test_a_comment_that_cannot_be_posted_warns_and_the_step_succeeds(
    runner: Runner, exit_code: str, state: str, warning: str | None
) -> None:
    step = runner.run(
        "comment.sh",
        FAKE_EXIT=exit_code,
        GITHUB_TOKEN="t",
        REPORT="r.json",
        TARGET="infra",
        BEHAVIOR="update",
    )
    assert step.code == 0 and step.outputs == {"comment": state}
    assert runner.args() == [
        *("comment", "github", "--report", "r.json", "--target", "infra"),
        *("--behavior", "update"),
    ]
    warnings = step.commands("warning")
    assert [w.partition("::")[2].partition("::")[2][: len(warning)] for w in warnings] == (
        [warning] if warning else []
    )


def test_no_token_is_a_warning(runner: Runner) -> None:
    step = runner.run("comment.sh", GITHUB_TOKEN="", REPORT="r.json", TARGET="t", BEHAVIOR="new")
    assert step.code == 0 and step.outputs == {"comment": "not-posted"}
    assert "a pull request from a fork gets no secrets" in step.commands("warning")[0]


# --- the real iacplan, git and the loopback GitHub -----------------------------------------


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"},
    ).stdout


def pull_request(tmp_path: Path, sample: str, *clone: str) -> Path:
    """A server repository with main (the sample's base) and a pull request branch (its head),
    and the runner's checkout of the pull request (`clone`: actions/checkout's options as
    git's)."""
    base = (SAMPLES / sample / "base" / "main.tf").read_text()
    head = (SAMPLES / sample / "head" / "main.tf").read_text()
    server = write_tree(tmp_path / "server", {"infra/main.tf": base})
    git(server, "init", "-q", "-b", "main")
    git(server, "add", "-A")
    git(server, "commit", "-q", "-m", "base")
    git(server, "checkout", "-q", "-b", "pr")
    write_tree(server, {"infra/main.tf": head})
    git(server, "commit", "-q", "-am", "pr")
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", "--no-local", *clone, server.as_uri(), str(checkout))
    git(checkout, "checkout", "-q", "pr")
    return checkout


@pytest.mark.parametrize(
    "clone",
    [("--depth=1", "--single-branch", "--branch=pr"), ()],
    ids=["shallow, the base fetched", "fetch-depth 0"],
)
def test_check_against_the_base_branch_with_the_real_iacplan(
    runner: Runner, tmp_path: Path, clone: tuple[str, ...]
) -> None:
    assert IACPLAN is not None
    checkout = pull_request(tmp_path, "downgrade", *clone)
    step = runner.run(
        "check.sh",
        cwd=checkout,
        IACPLAN=IACPLAN,
        PATHS="infra",
        GITHUB_BASE_REF="main",
        ARGS="--fail-on=error",
    )
    assert step.outputs["exit-code"] == "1", step.stdout + step.stderr
    assert any("title=MWAA001 " in line for line in step.commands("error"))
    report = json.loads(Path(step.outputs["report"]).read_text())
    assert report["environments"][0]["change"] == "downgrade"
    assert Path(step.outputs["sarif"]).is_file()
    assert "MWAA001" in (runner.root / "summary").read_text()


def test_a_base_that_cannot_be_fetched_is_exit_2_with_the_reason(
    runner: Runner, tmp_path: Path
) -> None:
    """persist-credentials: false on a private repository, with a shallow checkout."""
    checkout = pull_request(
        tmp_path, "minor-upgrade", "--depth=1", "--single-branch", "--branch=pr"
    )
    git(checkout, "remote", "set-url", "origin", (tmp_path / "no-credentials").as_uri())
    step = runner.run("check.sh", cwd=checkout, IACPLAN=str(IACPLAN), GITHUB_BASE_REF="main")
    assert step.outputs["exit-code"] == "2"
    [error] = step.commands("error")
    assert "cannot fetch origin/main" in error and "fetch-depth: 0" in error


@pytest.fixture
def forked_pr(forge: Forge, tmp_path: Path) -> Callable[[], dict[str, Any]]:
    def event() -> dict[str, Any]:
        path = tmp_path / "event.json"
        pull = {"number": GITHUB_PR, "updated_at": "2025-06-01T10:00:00Z"}
        path.write_text(json.dumps({"pull_request": pull}))
        return {"GITHUB_EVENT_PATH": str(path), "GITHUB_API_URL": forge.url}

    return event


def test_a_forks_read_only_token_warns_through_the_real_iacplan(
    runner: Runner, forge: Forge, forked_pr: Callable[[], dict[str, str]], tmp_path: Path
) -> None:
    """GitHub answers a fork's token 403 on writing: `iacplan comment` exits 3, the step
    warns and succeeds, and the job's result stays the check's."""
    report = tmp_path / "report.json"
    sample = SAMPLES / "minor-upgrade"
    made = subprocess.run(
        [str(IACPLAN), "check", "--base", sample / "base", sample / "head", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    report.write_text(made.stdout)
    forge.queue(200, {}, [])  # reading the comments is allowed
    forge.queue(403, {}, {"message": "Resource not accessible by integration"})
    step = runner.run(
        "comment.sh",
        IACPLAN=str(IACPLAN),
        GITHUB_TOKEN=FAKE_TOKEN,
        REPORT=str(report),
        TARGET="default",
        BEHAVIOR="update",
        **forked_pr(),
    )
    assert step.code == 0 and step.outputs == {"comment": "not-posted"}
    assert "403 Resource not accessible by integration" in step.stderr
    assert len(step.commands("warning")) == 1 and FAKE_TOKEN not in step.stdout + step.stderr
    assert forge.comments == {}
    # Without the 403, the same step posts.
    step = runner.run(
        "comment.sh",
        IACPLAN=str(IACPLAN),
        GITHUB_TOKEN=FAKE_TOKEN,
        REPORT=str(report),
        TARGET="default",
        BEHAVIOR="update",
        **forked_pr(),
    )
    assert step.outputs == {"comment": "posted"} and len(forge.comments) == 1


# --- the install step: a virtualenv of its own, only the entry point on PATH ---------------


def installed(python: Path | str) -> list[str]:
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze"],
        capture_output=True,
        text=True,
        check=True,
    )
    return listed.stdout.splitlines()


@pytest.mark.slow
def test_install_makes_its_own_virtualenv_and_puts_only_iacplan_on_path(runner: Runner) -> None:
    job_python = installed(sys.executable)
    # Dependencies are the package index's business: installing iacplan alone shows the layout.
    step = runner.run("install.sh", EXTRAS="live", PIP_NO_DEPS="1")
    assert step.code == 0, step.stdout + step.stderr
    temp = Path(runner.env["RUNNER_TEMP"])
    venv = temp / "iacplan-venv"
    assert step.outputs == {"python": f"{venv}/bin/python", "iacplan": f"{venv}/bin/iacplan"}
    entry = temp / "iacplan-bin"
    assert (runner.root / "path").read_text() == f"{entry}\n"
    assert [p.name for p in entry.iterdir()] == ["iacplan"]
    assert (entry / "iacplan").resolve() == (venv / "bin" / "iacplan").resolve()
    assert any(p.startswith("iacplan==") for p in installed(venv / "bin" / "python"))
    assert installed(sys.executable) == job_python  # the job's Python is as it was


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_the_scripts_pass_shellcheck() -> None:
    scripts = sorted(str(p) for p in (REPO / "action").glob("*.sh"))
    run = subprocess.run(["shellcheck", *scripts], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout
