"""`iacplan terraform`: runs a (fake) terraform, streams its output, then checks the plan."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fake_aws import FakeMwaa, fake_credentials
from helpers import REPO, all_ended, iacplan

PLANS = REPO / "samples" / "terraform-plan"

# Behaves like terraform for `plan -out=FILE …` and `show -json FILE`; what it prints and how it
# exits come from FAKE_* variables, and it records its arguments for the test to read.
FAKE = f"""#!{sys.executable}
import os, sys, time
args = sys.argv[1:]
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(" ".join(args) + "\\n")
if args[0] == "plan":
    print("Terraform will perform the following actions: (fake)")
    code = int(os.environ.get("FAKE_PLAN_EXIT", "0"))
    if os.environ.get("FAKE_PLAN_SLEEP"):
        open(os.environ["FAKE_PLAN_SLEEP"], "w").write(str(os.getpid()))
        time.sleep(60)
    if code in (0, 2):
        out = next(a for a in args if a.startswith("-out="))[len("-out="):]
        open(out, "w").write("binary plan")
        print("To perform exactly these actions, run the following command to apply:")
        print(f'    terraform apply "{{out}}"')
    sys.exit(code)
if args[0] == "show":
    if not os.path.exists(args[2]):
        sys.exit("no plan file")
    if os.environ.get("FAKE_SHOW_EXIT"):
        sys.stderr.write("Error: plan file is corrupt\\n")
        sys.exit(int(os.environ["FAKE_SHOW_EXIT"]))
    sys.stdout.write(open(os.environ["FAKE_PLAN_JSON"]).read())
"""


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake `terraform` alone on PATH, printing the replace sample's plan."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    binary = bin_dir / "terraform"
    binary.write_text(FAKE, encoding="utf-8")
    binary.chmod(binary.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("IACPLAN_TERRAFORM", raising=False)
    monkeypatch.setenv("FAKE_LOG", str(tmp_path / "calls.log"))
    monkeypatch.setenv("FAKE_PLAN_JSON", str(PLANS / "replace" / "plan.json"))
    return binary


def calls(fake: Path) -> list[str]:
    return (fake.parent.parent / "calls.log").read_text().splitlines()


def test_plans_shows_and_checks(fake: Path) -> None:
    run = iacplan("terraform", "--format", "json", "--", "-var-file=prod.tfvars", "-lock=false")
    assert run.exit_code == 1
    assert "Terraform will perform the following actions" in run.stderr
    assert run.rules() == ["MWAA007", "MWAA013"]
    plan_call, show_call = calls(fake)
    assert plan_call.startswith("plan -out=") and plan_call.endswith(
        "-var-file=prod.tfvars -lock=false"
    )
    assert show_call.startswith("show -json ")
    # The temporary plan is gone afterwards.
    assert not Path(show_call.split()[-1]).exists()


def test_live_compares_the_plan_with_the_account(
    fake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PLAN_JSON", str(PLANS / "minor-upgrade" / "plan.json"))
    fake_credentials(monkeypatch, tmp_path)
    account = FakeMwaa()
    account.add("prod-airflow", version="2.10.3", status="UPDATING")
    with account.running():
        monkeypatch.setenv("AWS_ENDPOINT_URL_MWAA", account.url)
        run = iacplan("terraform", "--live", "--region", "eu-west-1", "--format", "json")
    # The plan's before is 2.8.1; the account runs 2.10.3, which is what the plan sets.
    assert run.rules() == ["MWAA012"]
    assert run.report["environments"][0]["change"] == "unchanged"


@pytest.mark.parametrize("code", ["1", "3"])
def test_a_failing_plan_is_a_tool_failure_not_a_verdict(
    fake: Path, monkeypatch: pytest.MonkeyPatch, code: str
) -> None:
    """Exit 1 is "rejected": a broken plan must not look like one to CI."""
    monkeypatch.setenv("FAKE_PLAN_EXIT", code)
    run = iacplan("terraform")
    assert run.exit_code == 2
    assert run.stderr.endswith(
        f"iacplan: error: terraform plan failed (exit {code}): nothing checked\n"
    )
    assert run.stdout == "" and len(calls(fake)) == 1


def test_detailed_exitcode_two_means_changes_not_failure(
    fake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PLAN_EXIT", "2")
    assert iacplan("terraform", "--", "-detailed-exitcode").exit_code == 1
    run = iacplan("terraform")  # without the flag, 2 is terraform's failure
    assert run.exit_code == 2 and "terraform plan failed (exit 2)" in run.stderr


def test_a_failing_show_is_a_tool_failure(fake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_SHOW_EXIT", "4")
    run = iacplan("terraform")
    assert run.exit_code == 2
    assert "plan file is corrupt" in run.stderr
    assert "terraform show -json failed (exit 4): nothing checked" in run.stderr


def test_keep_plan_keeps_the_binary_plan(fake: Path, tmp_path: Path) -> None:
    kept = tmp_path / "saved.tfplan"
    run = iacplan("terraform", "--keep-plan", kept)
    assert run.exit_code == 1
    assert kept.read_text() == "binary plan"
    assert f"-out={kept}" in calls(fake)[0]
    # terraform's `terraform apply "…"` names the kept file, and iacplan says it stays.
    assert f'terraform apply "{kept}"' in run.stderr
    assert f"iacplan: the plan is kept in {kept}\n" in run.stderr
    assert "no plan file to apply" not in run.stderr


def test_without_keep_plan_the_apply_hint_is_said_to_have_no_file(fake: Path) -> None:
    run = iacplan("terraform")
    [hint] = [line for line in run.stderr.splitlines() if "terraform apply" in line]
    deleted = Path(hint.split('"')[1])
    assert not deleted.exists() and not deleted.parent.exists()
    assert (
        "iacplan: there is no plan file to apply: the one named above is deleted when iacplan "
        "ends (keep it with --keep-plan FILE)"
    ) in run.stderr.splitlines()


def test_out_is_refused_in_favour_of_keep_plan(fake: Path) -> None:
    run = iacplan("terraform", "--", "-out=x.tfplan")
    assert run.exit_code == 2
    assert "--keep-plan" in run.stderr


def test_chdir_runs_terraform_there(fake: Path, tmp_path: Path) -> None:
    infra = tmp_path / "infra"
    infra.mkdir()
    fake.write_text(FAKE.replace("args = sys.argv[1:]", "args = sys.argv[1:] + [os.getcwd()]"))
    iacplan("terraform", "--chdir", infra)
    assert calls(fake)[0].endswith(str(infra))


def test_binary_from_the_environment_then_tofu(
    fake: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    tofu = fake.with_name("tofu")
    fake.rename(tofu)
    assert iacplan("terraform").exit_code == 1  # terraform missing: tofu is used
    monkeypatch.setenv("IACPLAN_TERRAFORM", str(tofu))
    monkeypatch.setenv("PATH", os.defpath)
    assert iacplan("terraform").exit_code == 1


def test_a_missing_binary_is_a_clear_error(fake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake.unlink()
    run = iacplan("terraform")
    assert run.exit_code == 2
    assert "neither terraform nor tofu is on PATH" in run.stderr
    run = iacplan("terraform", "--terraform-bin", "/nowhere/terraform")
    assert run.exit_code == 2
    assert "'/nowhere/terraform' not found" in run.stderr


@pytest.mark.parametrize("out", ["-out=x.tfplan", "--out=x.tfplan", "-out"])
def test_every_spelling_of_out_is_refused(fake: Path, out: str) -> None:
    assert iacplan("terraform", "--", out).exit_code == 2


def test_double_dash_detailed_exitcode_counts_too(
    fake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PLAN_EXIT", "2")
    assert iacplan("terraform", "--", "--detailed-exitcode").exit_code == 1


def test_prompts_are_off_unless_asked_for(fake: Path) -> None:
    iacplan("terraform")
    iacplan("terraform", "--", "-input=true")
    first, _, second, _ = calls(fake)
    assert "-input=false" in first.split()
    assert "-input=false" not in second.split()


def test_a_stale_kept_plan_is_never_judged(
    fake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = tmp_path / "saved.tfplan"
    kept.write_text("from an earlier run")
    monkeypatch.setenv("FAKE_PLAN_EXIT", "1")
    assert iacplan("terraform", "--keep-plan", kept).exit_code == 2
    assert not kept.exists()


def test_without_refresh_the_report_says_before_is_state(fake: Path) -> None:
    run = iacplan("terraform", "--format", "json", "--", "-refresh=false")
    assert "not what runs" in run.env("aws_mwaa_environment.main")["notes"][0]


def test_a_missing_chdir_is_a_usage_error(fake: Path, tmp_path: Path) -> None:
    run = iacplan("terraform", "--chdir", tmp_path / "nowhere")
    assert run.exit_code == 2
    assert "does not exist" in run.stderr


def test_requirements_are_found_in_chdir_or_given(
    fake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PLAN_JSON", str(PLANS / "minor-upgrade" / "plan.json"))
    work = tmp_path / "infra"
    work.mkdir()
    url = "https://raw.githubusercontent.com/apache/airflow/constraints-2.9.2/constraints-3.11.txt"
    stale = f"-c {url}\n"
    (work / "requirements.txt").write_text(stale)
    run = iacplan("terraform", "--chdir", work, "--format", "json")
    [finding] = [f for f in run.report["findings"] if f["rule"] == "MWAA011"]
    assert finding["file"] == f"{work.as_posix()}/requirements.txt"
    env_id = run.report["environments"][0]["id"]
    right = tmp_path / "right.txt"
    right.write_text(stale.replace("2.9.2", "2.10.3"))
    run = iacplan("terraform", "--chdir", work, "--requirements", f"{env_id}={right}")
    assert run.exit_code == 0 and "MWAA011" not in run.stdout


def test_sigterm_stops_terraform_and_exits_143(fake: Path, tmp_path: Path) -> None:
    """A cancelled CI job: terraform is stopped (it releases the state lock), the temporary
    plan directory is removed, and the exit code is a signal's, not a verdict's."""
    started = tmp_path / "terraform.pid"
    env = {**os.environ, "FAKE_PLAN_SLEEP": str(started), "TMPDIR": str(tmp_path)}
    run = subprocess.Popen(
        [sys.executable, "-m", "iacplan", "terraform"],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not (started.exists() and started.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    terraform_pid = int(started.read_text())
    run.send_signal(signal.SIGTERM)
    stdout, stderr = run.communicate(timeout=30)
    assert run.returncode == 143, stderr
    assert stderr.endswith("iacplan: stopped by SIGTERM\n") and stdout == ""
    assert all_ended([terraform_pid])
    assert not list(tmp_path.glob("iacplan-*"))


# --- the real terraform, when one is on PATH (offline: only the built-in provider) ----------

REAL = shutil.which("terraform")
needs_terraform = pytest.mark.skipif(REAL is None, reason="no terraform on PATH")


@pytest.fixture
def real(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    assert REAL is not None
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("IACPLAN_TERRAFORM", REAL)
    monkeypatch.delenv("TF_IN_AUTOMATION", raising=False)  # it would hide the apply hint
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setenv("TF_DATA_DIR", str(tmp_path / "tf-data"))
    monkeypatch.delenv("TF_CLI_ARGS", raising=False)
    monkeypatch.delenv("TF_CLI_ARGS_plan", raising=False)
    return work


@needs_terraform
def test_real_terraform_failing_plan_exits_2(real: Path) -> None:
    (real / "main.tf").write_text(
        'variable "needed" {}\nresource "terraform_data" "x" {\n  input = var.needed\n}\n'
    )
    run = iacplan("terraform", "--chdir", real)
    assert run.exit_code == 2
    assert "No value for required variable" in run.stderr
    assert "iacplan: error: terraform plan failed (exit 1): nothing checked" in run.stderr


@needs_terraform
def test_real_terraform_plan_its_apply_hint_and_keep_plan(real: Path, tmp_path: Path) -> None:
    (real / "main.tf").write_text('resource "terraform_data" "x" {\n  input = "a"\n}\n')
    run = iacplan("terraform", "--chdir", real, "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert run.report["environments"] == []
    [hint] = [line for line in run.stderr.splitlines() if "terraform apply" in line]
    assert not Path(hint.split('"')[1]).exists()
    assert "iacplan: there is no plan file to apply" in run.stderr
    assert not list(tmp_path.glob("iacplan-*"))
    kept = tmp_path / "kept.tfplan"
    run = iacplan("terraform", "--chdir", real, "--keep-plan", kept)
    assert run.exit_code == 0, run.stderr
    assert f'terraform apply "{kept}"' in run.stderr
    assert f"iacplan: the plan is kept in {kept}" in run.stderr
    shown = subprocess.run(
        [REAL, f"-chdir={real}", "show", "-json", str(kept)], capture_output=True, text=True
    )
    assert shown.returncode == 0 and '"terraform_data"' in shown.stdout
