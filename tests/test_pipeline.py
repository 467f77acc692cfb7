"""The run below the command line: a frozen request in, a Report out, nothing printed to
stdout and no exit on the way."""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import FrozenInstanceError
from pathlib import Path
from typing import Any

import pytest

from conftest import TreeMaker
from helpers import CFN_SAMPLES, FIXTURES, REPO, SAMPLES, mwaa
from iacplan import pipeline
from iacplan.config import Config, today
from iacplan.errors import InputError
from iacplan.inputs.interface import Inputs
from iacplan.model import ChangeKind
from iacplan.report import Report, Verdict

PLANS = REPO / "samples" / "terraform-plan"


def verdicts(report: Report) -> dict[str, tuple[ChangeKind, Verdict]]:
    return {e.id: (e.change, e.verdict) for e in report.environments}


def test_check_against_a_base(capsys: pytest.CaptureFixture[str]) -> None:
    sample = SAMPLES / "downgrade"
    request = pipeline.CheckRequest(head_paths=(sample / "head",), base_path=sample / "base")
    report = pipeline.check(request)
    assert verdicts(report) == {
        "aws_mwaa_environment.main": (ChangeKind.DOWNGRADE, Verdict.REJECTED)
    }
    assert "MWAA001" in [f.rule for f in report.active()]
    assert capsys.readouterr().out == ""  # rendering is the caller's


def test_the_request_is_frozen() -> None:
    request = pipeline.CheckRequest()
    with pytest.raises(FrozenInstanceError):
        request.base_ref = "main"  # type: ignore[misc]
    assert request.head_paths == (Path("."),)


def test_several_head_paths_and_what_each_carries() -> None:
    plan = PLANS / "minor-upgrade" / "plan.json"
    template = CFN_SAMPLES / "yaml-minor-upgrade" / "head" / "mwaa.yaml"
    report = pipeline.check(pipeline.CheckRequest(head_paths=(plan, template)))
    found = verdicts(report)
    # A plan's addresses are prefixed by its path when there are several HEAD_PATHS.
    [planned] = [i for i in found if i.startswith(plan.relative_to(Path.cwd()).as_posix())]
    assert found[planned] == (ChangeKind.UPGRADE, Verdict.ALLOWED)
    assert found["mwaa.yaml#Airflow"][0] is ChangeKind.NO_BASE


def test_bad_input_is_an_input_error_not_an_exit(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or directory"):
        pipeline.check(pipeline.CheckRequest(head_paths=(tmp_path / "missing",)))
    plan = PLANS / "minor-upgrade" / "plan.json"
    with pytest.raises(InputError, match="--base takes definitions, not a plan"):
        pipeline.check(
            pipeline.CheckRequest(head_paths=(SAMPLES / "downgrade" / "head",), base_path=plan)
        )


def test_the_config_policy_applies(tree: TreeMaker) -> None:
    from iacplan.rules import Policy, Suppression

    base = tree({"main.tf": mwaa('"2.10.3"')}, sub="base")
    head = tree({"main.tf": mwaa('"2.9.2"')}, sub="head")
    accepted = Suppression("MWAA001", "aws_mwaa_environment.main", "rolled back on purpose")
    judging = pipeline.Judging(config=Config(policy=Policy(suppressions=(accepted,))))
    request = pipeline.CheckRequest(head_paths=(head,), base_path=base, judging=judging)
    [finding] = [f for f in pipeline.check(request).findings if f.rule == "MWAA001"]
    assert finding.suppressed and finding.suppression_reason == "rolled back on purpose"


def test_var_values_reach_the_inputs(tree: TreeMaker) -> None:
    from iacplan.inputs.interface import TerraformInputs

    head = tree({"main.tf": mwaa("var.v") + 'variable "v" {}\n'})
    inputs = Inputs(terraform=TerraformInputs(variables=(("v", "3.0.6"),)))
    report = pipeline.check(pipeline.CheckRequest(head_paths=(head,), inputs=inputs))
    [entry] = report.environments
    assert entry.head_version == "3.0.6"


def test_base_ref_at_a_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    (repo / "infra" / "main.tf").write_text(mwaa('"2.10.3"'))

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=repo,
            check=True,
            capture_output=True,
        )

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    (repo / "infra" / "main.tf").write_text(mwaa('"2.9.2"'))
    monkeypatch.chdir(repo)
    report = pipeline.check(pipeline.CheckRequest(head_paths=(Path("infra"),), base_ref="main"))
    assert verdicts(report) == {
        "aws_mwaa_environment.main": (ChangeKind.DOWNGRADE, Verdict.REJECTED)
    }
    [entry] = report.environments
    assert entry.file == "infra/main.tf"


FAILING = f"""#!{sys.executable}
import sys
print("Error: no configuration", file=sys.stderr)
sys.exit(3)
"""


def test_a_failing_terraform_is_an_input_error_naming_its_code(tmp_path: Path) -> None:
    """A tool that failed is exit 2, never 1 (the code for "rejected")."""
    binary = tmp_path / "terraform"
    binary.write_text(FAILING)
    binary.chmod(binary.stat().st_mode | stat.S_IEXEC)
    shown: list[str] = []
    request = pipeline.TerraformRequest(binary=str(binary))
    with pytest.raises(InputError, match=r"exit 3\b.*nothing checked") as failed:
        pipeline.terraform(request, shown.append)
    assert failed.value.exit_code == 2
    assert "Error: no configuration\n" in shown


def test_today_is_fixed_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IACPLAN_TODAY", "2026-01-02")
    assert today().isoformat() == "2026-01-02"
    monkeypatch.setenv("IACPLAN_TODAY", "soon")
    with pytest.raises(InputError, match="IACPLAN_TODAY='soon' is not a date"):
        today()


# --- which var and parameters files each side reads ---------------------------------------

VAR_FILES = FIXTURES / "var-files"


def _stage_trees(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import shutil

    shutil.copytree(VAR_FILES / "terraform", tmp_path / "tf")
    monkeypatch.chdir(tmp_path / "tf")
    return tmp_path / "tf"


def _versions(request: pipeline.CheckRequest) -> tuple[str | None, str | None, ChangeKind]:
    [entry] = pipeline.check(request).environments
    return entry.base_version, entry.head_version, entry.change


def _with_var_files(*files: str, **fields: Any) -> pipeline.CheckRequest:
    from iacplan.inputs.interface import TerraformInputs

    inputs = Inputs(terraform=TerraformInputs(var_files=tuple(Path(f) for f in files)))
    return pipeline.CheckRequest(
        head_paths=(Path("head"),), base_path=Path("base"), inputs=inputs, **fields
    )


def test_a_var_file_the_base_has_not_is_the_heads_on_both_sides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stage_trees(tmp_path, monkeypatch)
    (tmp_path / "tf" / "base" / "env" / "prod.tfvars").unlink()  # the PR adds the stage
    assert _versions(_with_var_files("head/env/prod.tfvars")) == (
        "2.9.2",
        "2.9.2",
        ChangeKind.UNCHANGED,
    )
    assert capsys.readouterr().err == (
        "iacplan: --var-file head/env/prod.tfvars: the base has no base/env/prod.tfvars: both "
        "sides read head/env/prod.tfvars\n"
    )


def test_var_files_keep_their_order_on_the_base_side(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Terraform: the later file wins. staging is the same on both sides; prod is lowered.
    _stage_trees(tmp_path, monkeypatch)
    request = _with_var_files("head/env/prod.tfvars", "head/env/staging.tfvars")
    assert _versions(request) == ("2.10.3", "2.10.3", ChangeKind.UNCHANGED)
    request = _with_var_files("head/env/staging.tfvars", "head/env/prod.tfvars")
    assert _versions(request) == ("2.10.3", "2.9.2", ChangeKind.DOWNGRADE)
    assert capsys.readouterr().err.count("the head reads it, the base reads base/env/") == 4


def test_a_var_file_outside_the_trees_is_read_on_both_sides_unless_the_base_has_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = _stage_trees(tmp_path, monkeypatch)
    (tree / "prod-new.tfvars").write_text((tree / "head" / "env" / "prod.tfvars").read_text())
    (tree / "prod-old.tfvars").write_text((tree / "base" / "env" / "prod.tfvars").read_text())
    assert _versions(_with_var_files("prod-new.tfvars"))[2] is ChangeKind.UNCHANGED
    assert capsys.readouterr().err == (
        "iacplan: --var-file prod-new.tfvars: below no HEAD_PATH: both sides read it "
        "(--base-var-file names the base's)\n"
    )
    request = _with_var_files("prod-new.tfvars", base_var_files=(Path("prod-old.tfvars"),))
    assert _versions(request) == ("2.10.3", "2.9.2", ChangeKind.DOWNGRADE)
    assert capsys.readouterr().err == (
        "iacplan: --var-file prod-new.tfvars: the head reads it\n"
        "iacplan: --base-var-file prod-old.tfvars: the base reads it\n"
    )


def test_a_parameters_file_below_the_head_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two template files: each stands for its directory.
    monkeypatch.chdir(VAR_FILES / "cloudformation")
    request = pipeline.CheckRequest(
        head_paths=(Path("head/mwaa.yaml"),),
        base_path=Path("base/mwaa.yaml"),
        inputs=Inputs(parameter_files=(Path("head/params/prod.json"),)),
    )
    assert _versions(request) == ("2.10.3", "2.9.2", ChangeKind.DOWNGRADE)
    assert "the base reads base/params/prod.json" in capsys.readouterr().err


def test_at_a_revision_each_side_says_which_file_it_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import subprocess

    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    repo = _stage_trees(tmp_path, monkeypatch) / "base"
    (repo / "local.tfvars").write_text("# not tracked\n")
    for args in (["init", "-q", "-b", "main"], ["add", "env", "main.tf", "variables.tf"]):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base"],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    head = repo.parent / "head" / "env"
    (repo / "env" / "prod.tfvars").write_text((head / "prod.tfvars").read_text())
    (repo / "env" / "dev.tfvars").write_text((head / "staging.tfvars").read_text())
    subprocess.run(["git", "add", "env/dev.tfvars"], cwd=repo, check=True)  # the PR adds it
    monkeypatch.chdir(repo)
    from iacplan.inputs.interface import TerraformInputs

    files = ("env/dev.tfvars", "local.tfvars", "env/prod.tfvars")
    inputs = Inputs(terraform=TerraformInputs(var_files=tuple(map(Path, files))))
    request = pipeline.CheckRequest(base_ref="main", inputs=inputs)
    assert _versions(request) == ("2.10.3", "2.9.2", ChangeKind.DOWNGRADE)
    assert capsys.readouterr().err == (
        "iacplan: --var-file env/dev.tfvars: not at main (the PR adds it): the base reads none\n"
        "iacplan: --var-file local.tfvars: not tracked by git: both sides read it "
        "(--base-var-file names the base's)\n"
        "iacplan: --var-file env/prod.tfvars: the base reads it as it is at main\n"
    )
