"""Running Terraform (or OpenTofu) in a pipeline: `plan -out`, then `show -json` of that plan."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from iacplan.errors import InputError
from iacplan.sources import Loaded, load_plan_text

# `-detailed-exitcode` makes a successful plan with changes exit 2.
_DETAILED_EXIT_CHANGES = 2


@dataclass(frozen=True)
class PlanRun:
    exit_code: int  # terraform's; 0 when the plan was made and read
    loaded: Loaded


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
    """Run `plan -out` with the user's arguments (its output passed to `echo`), then read it."""
    if any(arg == "-out" or arg.startswith("-out=") for arg in args):
        raise InputError("pass --keep-plan FILE instead of -out: iacplan names the plan file")
    with tempfile.TemporaryDirectory(prefix="iacplan-") as tmp:
        # Relative to where the user runs iacplan, not to --chdir.
        plan_file = keep_plan.resolve() if keep_plan else Path(tmp) / "tfplan"
        code = _stream([binary, "plan", f"-out={plan_file}", *args], chdir, echo)
        success = (0, _DETAILED_EXIT_CHANGES) if "-detailed-exitcode" in args else (0,)
        if code not in success:
            return PlanRun(code, Loaded(()))
        shown = _run([binary, "show", "-json", str(plan_file)], chdir)
        if shown.returncode != 0:
            echo(shown.stderr)
            return PlanRun(shown.returncode or 1, Loaded(()))
        name = keep_plan.as_posix() if keep_plan else "terraform plan"
        return PlanRun(0, load_plan_text(shown.stdout, f"{name} (show -json)"))


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
    for line in process.stdout:
        echo(line)
    return process.wait()


def _run(command: list[str], cwd: Path | None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, encoding="utf-8", check=False
        )
    except OSError as exc:
        raise InputError(f"cannot run {command[0]}: {exc.strerror}") from exc
