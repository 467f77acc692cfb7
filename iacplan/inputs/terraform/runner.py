"""Running Terraform (or OpenTofu) in a pipeline: `plan -out`, then `show -json` of that plan."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from iacplan.errors import InputError
from iacplan.inputs.interface import Loaded
from iacplan.inputs.terraform.kinds import load_plan_text
from iacplan.model import Environment
from iacplan.runtime.signals import terminated_as_interrupt

# `-detailed-exitcode` makes a successful plan with changes exit 2.
_DETAILED_EXIT_CHANGES = 2


@dataclass(frozen=True)
class PlanRun:
    loaded: Loaded  # the plan's environments, read from `terraform show -json`


def find_binary(explicit: str | None) -> str:
    """--terraform-bin, else $IACPLAN_TERRAFORM, else terraform, else tofu on PATH."""
    wanted = explicit or os.environ.get("IACPLAN_TERRAFORM")
    candidates = [wanted] if wanted else ["terraform", "tofu"]
    for candidate in candidates:
        found = shutil.which(candidate)
        if found:
            return found
    if wanted:
        raise InputError(f"terraform executable {wanted!r} not found or not executable")
    raise InputError(
        "neither terraform nor tofu is on PATH; install one, or name it with --terraform-bin "
        "or $IACPLAN_TERRAFORM"
    )


def plan(
    binary: str,
    args: Sequence[str],
    chdir: Path | None,
    keep_plan: Path | None,
    echo: Callable[[str], None],
) -> PlanRun:
    """Run `plan -out` with the user's arguments (its output passed to `echo`), then read it.

    A terraform that fails is an InputError (exit 2, a tool failure: no verdict was reached),
    with terraform's own exit code in the message."""
    options = _options(args)
    if "out" in options:
        raise InputError("pass --keep-plan FILE instead of -out: iacplan names the plan file")
    # A pipeline has nobody to answer a prompt; an unanswered one would look like a hang.
    extra = [] if "input" in options else ["-input=false"]
    with terminated_as_interrupt(), tempfile.TemporaryDirectory(prefix="iacplan-") as tmp:
        # Relative to where the user runs iacplan, not to --chdir.
        plan_file = keep_plan.resolve() if keep_plan else Path(tmp) / "tfplan"
        plan_file.unlink(missing_ok=True)  # never judge a plan left from an earlier run
        named = False  # whether terraform's output names the plan file (`terraform apply "…"`)

        def relay(line: str) -> None:
            nonlocal named
            named = named or str(plan_file) in line
            echo(line)

        command = [binary, "plan", f"-out={plan_file}", *extra, *args]
        code = _stream(command, chdir, relay)
        detailed = options.get("detailed-exitcode", "false") not in ("false", "0")
        success = (0, _DETAILED_EXIT_CHANGES) if detailed else (0,)
        if code not in success:
            raise InputError(f"{_failed('terraform plan', code)}: nothing checked")
        if keep_plan is not None:
            echo(f"iacplan: the plan is kept in {plan_file}\n")
        elif named:
            # The file terraform tells to apply is in iacplan's temporary directory.
            echo(
                "iacplan: there is no plan file to apply: the one named above is deleted when "
                "iacplan ends (keep it with --keep-plan FILE)\n"
            )
        shown = _run([binary, "show", "-json", str(plan_file)], chdir)
        echo(shown.stderr)
        if shown.returncode != 0:
            failed = _failed("terraform show -json", shown.returncode)
            raise InputError(f"{failed}: nothing checked")
        name = keep_plan.as_posix() if keep_plan else "terraform plan"
        loaded = load_plan_text(shown.stdout, f"{name} (show -json)")
    if options.get("refresh") in ("false", "0"):
        return PlanRun(_noted(loaded, _STALE))
    return PlanRun(loaded)


def _failed(what: str, code: int) -> str:
    """What became of terraform: its exit code, or the signal that ended it (-N)."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"{what} was ended by {name}"
    return f"{what} failed (exit {code})"


_STALE = (
    "planned with -refresh=false: before is Terraform's state, not what runs; a version "
    "changed outside Terraform is not seen"
)


def _options(args: Sequence[str]) -> dict[str, str]:
    """Terraform's options by name (`-out=x`, `--out=x` and `-out x` alike), value or "true"."""
    options = {}
    for arg in args:
        if arg.startswith("-"):
            name, _, value = arg.lstrip("-").partition("=")
            options[name] = value or "true"
    return options


def _noted(loaded: Loaded, note: str) -> Loaded:
    def add(envs: tuple[Environment, ...]) -> tuple[Environment, ...]:
        return tuple(replace(env, notes=(*env.notes, note)) for env in envs)

    return Loaded(add(loaded.head), add(loaded.base or ()))


def _stream(command: list[str], cwd: Path | None, echo: Callable[[str], None]) -> int:
    try:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
    except OSError as exc:
        raise InputError(f"cannot run {command[0]}: {exc.strerror}") from exc
    assert process.stdout is not None
    try:
        for line in process.stdout:
            echo(line)
        return process.wait()
    except BaseException:
        process.terminate()  # do not leave terraform holding the state lock
        process.wait()
        raise


def _run(command: list[str], cwd: Path | None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            command,
            cwd=cwd,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            check=False,
        )
    except OSError as exc:
        raise InputError(f"cannot run {command[0]}: {exc.strerror}") from exc
