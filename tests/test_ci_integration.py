"""What CI integrations rely on: Atlantis' "fail" rule, the action, the pre-commit hooks and
the workflow examples in docs/ci.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import CASES, REPO, command, iacplan
from iacplan.render import RENDERERS
from test_samples import expectation

PASSING = [s for s in CASES if expectation(s)[0] == 0]


@pytest.mark.parametrize("sample", PASSING, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_passing_run_never_says_fail_in_any_format(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Atlantis' custom_policy_check takes the word "fail" anywhere in the output as a failed
    check: a run that exits 0 must not contain it, whatever the format."""
    monkeypatch.chdir(sample)
    outputs = [f"--output={name}={tmp_path / name}" for name in RENDERERS]
    run = iacplan(*command(sample), *outputs)
    assert run.exit_code == 0, run.stderr
    for name in RENDERERS:
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert "fail" not in text.lower(), (name, re.findall(r".{40}fail.{40}", text, re.I))
    assert "fail" not in (run.stdout + run.stderr).lower()


def test_there_are_passing_samples_with_warnings_and_plans() -> None:
    assert len(PASSING) >= 5


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_action_is_composite_and_runs_iacplan() -> None:
    action = load(REPO / "action.yml")
    assert action["runs"]["using"] == "composite"
    assert {"paths", "base-ref", "comment", "upload-sarif", "fail-on", "token"} <= set(
        action["inputs"]
    )
    steps = action["runs"]["steps"]
    scripts = "\n".join(s.get("run", "") for s in steps)
    assert "iacplan check" in scripts and "iacplan comment github" in scripts
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif@") for s in steps)
    for step in steps:
        if "run" in step:
            assert step["shell"] == "bash"
            # Inputs reach scripts through env, never pasted into the script (injection).
            assert "${{ inputs." not in step["run"], step["run"]


def test_the_pre_commit_hooks() -> None:
    hooks = {hook["id"]: hook for hook in load(REPO / ".pre-commit-hooks.yaml")}
    assert set(hooks) == {"iacplan", "iacplan-cloudformation"}
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["entry"].startswith("iacplan check")
        assert "--base" not in hook["entry"]
        re.compile(hook["files"])
    assert hooks["iacplan"]["pass_filenames"] is False
    assert re.search(hooks["iacplan"]["files"], "infra/main.tf")


def yaml_blocks(path: Path) -> list[Any]:
    text = path.read_text(encoding="utf-8")
    return [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, re.S)]


def test_every_yaml_example_in_the_docs_loads() -> None:
    blocks = yaml_blocks(REPO / "docs" / "ci.md")
    assert len(blocks) >= 4
    workflow = next(b for b in blocks if "jobs" in b)
    job = next(iter(workflow["jobs"].values()))
    assert job["permissions"]["pull-requests"] == "write"
    steps = job["steps"]
    assert any(s.get("with", {}).get("fetch-depth") == 0 for s in steps if "uses" in s)
    gitlab = next(
        b for b in blocks if any(isinstance(v, dict) and "script" in v for v in b.values())
    )
    job = next(v for v in gitlab.values() if isinstance(v, dict) and "script" in v)
    assert job["artifacts"]["reports"]["junit"]
    assert any("iacplan check --base-ref" in line for line in job["script"])
    atlantis = next(b for b in blocks if "workflows" in b)
    steps = next(iter(atlantis["workflows"].values()))["policy_check"]["steps"]
    assert any("iacplan check" in str(s.get("run", "")) for s in steps if isinstance(s, dict))
    assert any(r.get("custom_policy_check") for r in atlantis["repos"])
