"""Helpers shared by the tests: run the CLI as a user would, write small Terraform trees."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import textwrap
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from click.testing import CliRunner

from iacplan.cli import main
from iacplan.inputs import registry as sources
from iacplan.model import Environment, Value, ValueState
from iacplan.schemas import load_schema

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples" / "terraform"
CFN_SAMPLES = REPO / "samples" / "cloudformation"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CASES = sorted(p for p in (REPO / "samples").glob("*/*") if p.is_dir())  # every sample


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict[str, Any]:
        report: dict[str, Any] = json.loads(self.stdout)
        jsonschema.validate(report, load_schema("report.schema.json"))
        return report

    def env(self, env_id: str) -> dict[str, Any]:
        return next(e for e in self.report["environments"] if e["id"] == env_id)

    def rules(self, env_id: str | None = None) -> list[str]:
        return sorted(
            f["rule"]
            for f in self.report["findings"]
            if env_id is None or f["environment"] == env_id
        )


def iacplan(*args: str | Path) -> Run:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


def run_git(repo: Path, *args: str) -> str:
    """git in `repo`, as a user with a name and address; its output."""
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write `files` (relative path -> content) under root; text is dedented."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


def mwaa(version_expr: str, name: str = "main", extra: str = "") -> str:
    """An aws_mwaa_environment block whose airflow_version is the HCL expression given."""
    return (
        f'resource "aws_mwaa_environment" "{name}" {{\n'
        f'  name = "{name}"\n'
        f"  airflow_version = {version_expr}\n"
        f"{extra}"
        "}\n"
    )


def loaded(path: Path, inputs: sources.Inputs | None = None) -> dict[str, Environment]:
    """The head environments as the sources read them, by id: facts such as files and tags."""
    return {env.id: env for env in sources.load(path, inputs or sources.Inputs()).head}


def shown(value: Value) -> str:
    """A value's text, or its state and reason."""
    if value.state is ValueState.KNOWN:
        return value.text or ""
    return f"{value.state}: {value.reason}"


def files(env: Environment) -> dict[str, tuple[str, str]]:
    """role -> (path, object version) of each file the environment configures."""
    return {f.role: (shown(f.path), shown(f.object_version)) for f in env.files}


def command(sample: Path) -> list[str]:
    """A sample README's `Run: iacplan …` line (paths relative to the sample), else base vs head."""
    match = re.search(r"^Run: iacplan (.+)$", (sample / "README.md").read_text(), re.MULTILINE)
    if match is None:
        return ["check", "--base", "base", "head"]
    return shlex.split(match[1])


def all_ended(pids: Iterable[int], within: float = 10) -> bool:
    """Whether every process in `pids` has ended, waiting up to `within` seconds. A zombie has
    ended: it waits only for whoever adopted it to read its status."""

    def alive(pid: int) -> bool:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except FileNotFoundError:
            return False

    pids = list(pids)
    deadline = time.monotonic() + within
    while any(alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
