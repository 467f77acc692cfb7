"""The command line as a user meets it: exit codes, formats, config, errors."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import TreeMaker
from helpers import SAMPLES, iacplan, mwaa
from iacplan.cli import main

MINOR = SAMPLES / "minor-upgrade"
DOWNGRADE = SAMPLES / "downgrade"
SUSPENDED = SAMPLES / "versioning-suspended"


def check(sample: Path, *args: str | Path) -> tuple[str | Path, ...]:
    return ("check", "--base", sample / "base", sample / "head", *args)


def test_default_text_output_names_versions_verdict_and_location() -> None:
    run = iacplan(*check(DOWNGRADE))
    assert run.exit_code == 1
    assert "aws_mwaa_environment.main" in run.stdout
    assert "REJECTED  acme-data-prod  2.10.3 → 2.9.2 (downgrade)" in run.stdout
    assert "error   MWAA001 downgrade · " in run.stdout
    assert "downgrade/head/main.tf:35: downgrade" in run.stdout
    assert run.stdout.splitlines()[-1] == "iacplan: REJECTED — acme-data-prod (MWAA001)"
    assert "\x1b[" not in run.stdout  # not a terminal: no colour


def test_markdown_output() -> None:
    run = iacplan(*check(DOWNGRADE, "--format", "markdown"))
    assert run.exit_code == 1
    lines = run.stdout.splitlines()
    assert lines[0] == (
        "## ❌ iacplan blocks this change — acme-data-prod: 2.10.3 → 2.9.2 (downgrade)"
    )
    # The one environment's problem right under the heading: the rule, the fix, the line.
    assert lines[2].startswith(
        "- ❌ **acme-data-prod** (`aws_mwaa_environment.main`) rejected — **MWAA001** "
        "downgrade: 2.10.3 → 2.9.2. **Fix:** keep 2.10.3"
    )
    assert "(+1 warning) · `" in lines[2] and lines[2].endswith("downgrade/head/main.tf:35`")
    assert "**MWAA001** downgrade (error)" in run.stdout


def test_json_output_is_valid_and_deterministic() -> None:
    first = iacplan(*check(SUSPENDED, "--format", "json"))
    second = iacplan(*check(SUSPENDED, "--format", "json"))
    assert first.stdout == second.stdout
    env = first.env("aws_mwaa_environment.main")
    assert env["change"] == "upgrade" and env["verdict"] == "allowed"
    assert env["source_bucket"]["versioning"] == "suspended"
    assert first.report["summary"]["warnings"] == 2  # MWAA005, MWAA010


def test_output_files_in_several_formats(tmp_path: Path) -> None:
    md, js = tmp_path / "plan.md", tmp_path / "report.json"
    run = iacplan(*check(DOWNGRADE, "--output", f"markdown={md}", "--output", f"json={js}"))
    assert run.exit_code == 1
    assert md.read_text().startswith("## ❌ iacplan blocks this change")
    assert json.loads(js.read_text())["summary"]["rejected"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("check", "does/not/exist"), "does/not/exist: no such file or directory"),
        (("check", str(MINOR / "head"), "--format", "yaml"), "Invalid value for '--format'"),
        (("check", str(MINOR / "head"), "--output", "pdf=x.pdf"), "unknown format 'pdf'"),
        (("check", str(MINOR / "head"), "--output", "nonsense"), "is not NAME=VALUE"),
        (("check", str(MINOR / "head"), "--var", "novalue"), "is not NAME=VALUE"),
        (("check", str(MINOR / "head"), "--fail-on", "sometimes"), "Invalid value for '--fail-on'"),
    ],
)
def test_usage_errors_exit_2(args: tuple[str, ...], message: str) -> None:
    run = iacplan(*args)
    assert run.exit_code == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr


def test_unwritable_output_is_an_input_error(tmp_path: Path) -> None:
    run = iacplan(*check(MINOR, "--output", f"json={tmp_path}/missing/dir/r.json"))
    assert run.exit_code == 2 and "cannot write" in run.stderr


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", "hello", "not a Terraform directory"),
    ],
)
def test_inputs_of_other_kinds_say_so(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    run = iacplan("check", path)
    assert run.exit_code == 2 and message in run.stderr and name in run.stderr


def test_a_tf_file_means_its_directory() -> None:
    run = iacplan("check", "--base", DOWNGRADE / "base" / "main.tf", DOWNGRADE / "head" / "main.tf")
    assert run.exit_code == 1 and "MWAA001" in run.stdout


def test_fail_on_thresholds() -> None:
    assert iacplan(*check(SUSPENDED)).exit_code == 0
    assert iacplan(*check(SUSPENDED, "--fail-on", "warning")).exit_code == 1
    assert iacplan(*check(DOWNGRADE, "--fail-on", "never")).exit_code == 0


def test_removed_and_added_environments(tree: TreeMaker) -> None:
    base = tree({"main.tf": mwaa('"2.10.3"', "old")}, "base")
    head = tree({"main.tf": mwaa('"2.10.3"', "new")}, "head")
    run = iacplan("check", "--base", base, head, "--format", "json")
    assert run.exit_code == 1
    changes = {e["id"]: (e["change"], e["verdict"]) for e in run.report["environments"]}
    assert changes == {
        "aws_mwaa_environment.new": ("added", "allowed"),
        "aws_mwaa_environment.old": ("removed", "rejected"),
    }
    assert run.rules() == ["MWAA007"]


def test_renamed_resource_without_moved_block_is_a_replacement(tree: TreeMaker) -> None:
    base = tree({"main.tf": mwaa('"2.9.2"', "main")}, "base")
    head = tree({"main.tf": mwaa('"2.10.3"', "main").replace('"main" {', '"renamed" {')}, "head")
    run = iacplan("check", "--base", base, head, "--format", "json")
    [env] = run.report["environments"]
    assert (env["id"], env["change"], env["verdict"]) == (
        "aws_mwaa_environment.renamed", "replaced", "rejected"
    )  # fmt: skip
    assert "MWAA007" in run.rules() and run.exit_code == 1


def test_moved_block_carries_the_environment_over(tree: TreeMaker) -> None:
    base = tree({"main.tf": mwaa('"2.9.2"', "main")}, "base")
    moved = (
        "moved {\n  from = aws_mwaa_environment.main\n  to   = aws_mwaa_environment.renamed\n}\n"
    )
    renamed = mwaa('"2.10.3"', "main").replace('"main" {', '"renamed" {')
    head = tree({"main.tf": moved + renamed}, "head")
    run = iacplan("check", "--base", base, head, "--format", "json")
    [env] = run.report["environments"]
    assert (env["change"], env["base_version"], env["verdict"]) == ("upgrade", "2.9.2", "allowed")
    assert run.exit_code == 0


# --- configuration -------------------------------------------------------------------------


def test_config_severity_suppression_and_catalog(tmp_path: Path) -> None:
    config = tmp_path / "iacplan.yaml"
    config.write_text(
        "severity:\n  MWAA005: error\n"
        "suppressions:\n  - rule: MWAA005\n    environment: other\n    reason: not this one\n"
    )
    run = iacplan(*check(SUSPENDED, "--config", config, "--format", "json"))
    assert run.exit_code == 1
    [finding] = [f for f in run.report["findings"] if f["rule"] == "MWAA005"]
    assert finding["severity"] == "error" and not finding["suppressed"]

    config.write_text(
        "suppressions:\n  - rule: MWAA001\n    environment: aws_mwaa_environment.main\n"
        "    reason: planned rollback drill\n"
    )
    run = iacplan(*check(DOWNGRADE, "--config", config, "--format", "json"))
    assert run.exit_code == 0
    [finding] = [f for f in run.report["findings"] if f["rule"] == "MWAA001"]
    assert finding["suppressed"] and finding["suppression_reason"] == "planned rollback drill"


def test_default_config_is_read_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".iacplan.yaml").write_text("severity:\n  MWAA001: warning\n")
    monkeypatch.chdir(tmp_path)
    assert iacplan(*check(DOWNGRADE)).exit_code == 0


def test_config_versions_file_is_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "catalog.json").write_text("{}")
    config = tmp_path / "cfg" / "iacplan.yaml"
    config.write_text("versions_file: catalog.json\n")
    run = iacplan(*check(MINOR, "--config", config))
    assert run.exit_code == 2 and "cfg/catalog.json" in run.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("severity:\n  MWAA001: [\n", "iacplan.yaml:3: invalid YAML"),
        ("severity:\n  MWAA001: fatal\n", "severity/MWAA001: 'fatal' is not one of"),
        (
            "suppressions:\n  - rule: MWAA001\n    environment: x\n",
            "'reason' is a required property",
        ),
        ("severity:\n  MWAA099: error\n", "unknown rule MWAA099"),
        ("colour: true\n", "Additional properties are not allowed"),
    ],
)
def test_invalid_config_exits_2(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "iacplan.yaml"
    config.write_text(content)
    run = iacplan(*check(MINOR, "--config", config))
    assert run.exit_code == 2
    assert message in run.stderr and "Traceback" not in run.stderr


# --- commands and process behaviour --------------------------------------------------------


def test_rules_command_lists_every_rule() -> None:
    run = iacplan("rules")
    assert run.exit_code == 0
    assert run.stdout.splitlines()[0].startswith("MWAA001  error")
    assert "MWAA013  warning" in run.stdout


def test_debug_shows_the_traceback_redacted() -> None:
    result = CliRunner().invoke(main, ["--debug", "check", "does/not/exist"])
    assert result.exit_code == 2
    assert "Traceback" in result.stderr and "InputError: does/not/exist" in result.stderr


def test_installed_console_script_reports_errors_without_traceback(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "iacplan"
    bad = tmp_path / "main.tf"
    bad.write_text('resource "aws_mwaa_environment" "x" {\n  airflow_version = \n}\n')
    proc = subprocess.run([script, "check", tmp_path], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith("iacplan: error: ") and "main.tf:2" in proc.stderr
    assert "Traceback" not in proc.stderr


def run_on_terminal(env: dict[str, str]) -> str:
    """Run the installed script with a pseudo-terminal as stdout; return what it printed."""
    script = Path(sys.executable).parent / "iacplan"
    controller, terminal = pty.openpty()
    args = [str(script), "check", "--base", str(DOWNGRADE / "base"), str(DOWNGRADE / "head")]
    proc = subprocess.Popen(args, stdout=terminal, stderr=subprocess.DEVNULL, env=env)
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(controller)
    return b"".join(chunks).decode()


def test_colour_only_on_a_terminal_and_never_with_no_color() -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert "\x1b[" in run_on_terminal(env)
    assert "\x1b[" not in run_on_terminal({**env, "NO_COLOR": "1"})


@pytest.mark.parametrize(("sample", "verdict"), [("minor-upgrade", 0), ("downgrade", 1)])
def test_a_reader_that_stops_early_does_not_change_the_verdict(sample: str, verdict: int) -> None:
    # `iacplan check | head`: the pipe closes before the report is written
    run = subprocess.Popen(
        [sys.executable, "-m", "iacplan", "check", "--base", "base", "head", "--format", "json"],
        cwd=SAMPLES / sample,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert run.stdout is not None and run.stderr is not None
    run.stdout.close()
    assert run.wait(timeout=60) == verdict
    assert run.stderr.read() == ""


def _single_value_options() -> list[tuple[tuple[str, ...], str]]:
    """(command path, option) for every option of every command that takes one value."""
    import click

    found = []

    def walk(command: click.Command, path: tuple[str, ...]) -> None:
        for param in command.params:
            if isinstance(param, click.Option) and not (
                param.multiple or param.count or param.is_flag
            ):
                found.append((path, max(param.opts, key=len)))
        if isinstance(command, click.Group):
            context = click.Context(command)  # as click finds them: `comment` is lazy
            for name in command.list_commands(context):
                sub = command.get_command(context, name)
                assert sub is not None
                walk(sub, (*path, name))

    walk(main, ())
    return found


SINGLE = _single_value_options()


def test_every_command_has_single_value_options_to_check() -> None:
    commands = {path for path, _ in SINGLE}
    assert {("check",), ("terraform",), ("comment", "github"), ("versions",)} <= commands
    assert (("check",), "--base") in SINGLE and (("comment", "gitlab"), "--mr") in SINGLE


@pytest.mark.parametrize(("path", "option"), SINGLE, ids=[" ".join((*p, o)) for p, o in SINGLE])
def test_a_single_value_option_given_twice_is_refused(path: tuple[str, ...], option: str) -> None:
    """`--base a --base b` used only b: with a sibling holding no environment, a downgrade
    in a became "added, allowed"."""
    run = iacplan(*path, option, "1", option, "2")
    assert run.exit_code == 2
    assert f"{option} is given more than once; it takes one value" in run.stderr
    assert run.stdout == ""


def test_the_downgrade_a_second_base_would_hide_is_refused(tree: TreeMaker) -> None:
    base = tree({"main.tf": mwaa('"2.10.3"')}, sub="base")
    empty = tree({"main.tf": "# nothing here yet\n"}, sub="sibling")
    head = tree({"main.tf": mwaa('"2.9.2"')}, sub="head")
    assert iacplan("check", "--base", base, head).exit_code == 1
    run = iacplan("check", "--base", base, "--base", empty, head)
    assert run.exit_code == 2 and "--base is given more than once" in run.stderr


def test_repeatable_options_and_flags_may_repeat() -> None:
    run = iacplan(
        *check(
            MINOR,
            "--var",
            "a=1",
            "--var",
            "b=2",
            "--output",
            "json=/dev/null",
            "--output",
            "markdown=/dev/null",
        )
    )
    assert run.exit_code == 0, run.stderr
    assert iacplan("--debug", "--debug", "rules").exit_code == 0


@pytest.mark.parametrize(
    "args",
    [
        ("--base-var-file", "old.tfvars"),
        ("--base-parameters-file", "old.json", "--template", "head.yaml", "--base", "base.yaml"),
    ],
)
def test_base_var_files_need_a_base_of_definitions(args: tuple[str, ...]) -> None:
    run = iacplan("check", str(MINOR / "head"), *args)
    assert run.exit_code == 2
    assert "--base-var-file and --base-parameters-file go with --base or --base-ref" in run.stderr


def test_base_var_file_is_read_by_the_base_only(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(mwaa("var.v") + 'variable "v" {}\n')
    (tmp_path / "old.tfvars").write_text('v = "2.10.3"\n')
    (tmp_path / "new.tfvars").write_text('v = "3.0.6"\n')
    args = ("--var-file", tmp_path / "new.tfvars", "--format", "json")
    run = iacplan("check", "--base", tmp_path, tmp_path, *args)
    assert run.env("aws_mwaa_environment.main")["change"] == "unchanged"
    run = iacplan(
        "check", "--base", tmp_path, tmp_path, *args, "--base-var-file", tmp_path / "old.tfvars"
    )
    assert run.env("aws_mwaa_environment.main")["change"] == "major-jump"
