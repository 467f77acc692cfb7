"""What CI integrations rely on: Atlantis' "fail" rule, the action, the pre-commit hooks and
the workflow examples in docs/ci.md."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
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
    check: a run that exits 0 must not contain it, whatever the format. JUnit is read by test
    report viewers, not Atlantis, and its schema requires the `failures` attribute: there the
    words written, not the attribute names, are checked."""
    monkeypatch.chdir(sample)
    outputs = [f"--output={name}={tmp_path / name}" for name in RENDERERS]
    run = iacplan(*command(sample), *outputs)
    assert run.exit_code == 0, run.stderr
    for name in RENDERERS:
        text = (tmp_path / name).read_text(encoding="utf-8")
        if name == "junit":
            text = "\n".join(
                part
                for element in ET.fromstring(text).iter()
                for part in (element.text or "", *element.attrib.values())
            )
        assert "fail" not in text.lower(), (name, re.findall(r".{40}fail.{40}", text, re.I))
    assert "fail" not in (run.stdout + run.stderr).lower()


def test_there_are_passing_samples_with_warnings_and_plans() -> None:
    assert len(PASSING) >= 5


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_action_is_composite_and_runs_iacplan() -> None:
    action = load(REPO / "action.yml")
    assert action["runs"]["using"] == "composite"
    assert {"paths", "base-ref", "comment", "upload-sarif", "fail-on", "token", "args"} <= set(
        action["inputs"]
    )
    steps = action["runs"]["steps"]
    scripts = "\n".join((REPO / "action" / f).read_text() for f in ("check.sh", "comment.sh"))
    assert '"$IACPLAN" check' in scripts and '"$IACPLAN" comment github' in scripts
    assert any(s.get("uses", "") == "github/codeql-action/upload-sarif@v4" for s in steps)
    for step in steps:
        if "run" in step:
            assert step["shell"] == "bash"
            # Inputs reach scripts through env, never pasted into the script (injection).
            assert "${{" not in step["run"], step["run"]


def test_the_pre_commit_hooks() -> None:
    hooks = {hook["id"]: hook for hook in load(REPO / ".pre-commit-hooks.yaml")}
    assert set(hooks) == {"iacplan", "iacplan-cloudformation"}
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["entry"].startswith("iacplan check")
        assert "--base" not in hook["entry"]
        re.compile(hook["files"])
    assert hooks["iacplan"]["entry"] == "iacplan check --only terraform"
    assert hooks["iacplan-cloudformation"]["entry"] == "iacplan check --only cloudformation"
    assert hooks["iacplan"]["pass_filenames"] is False
    assert re.search(hooks["iacplan"]["files"], "infra/main.tf")
    assert not re.search(hooks["iacplan"]["files"], "cfn/mwaa.yaml")


# The blocks as written (check-jsonschema reads them as YAML 1.2, where `on` is a string) and
# as PyYAML loads them.
TEXTS = re.findall(r"```yaml\n(.*?)```", (REPO / "docs" / "ci.md").read_text(), re.S)
BLOCKS = [yaml.safe_load(text) for text in TEXTS]
WORKFLOWS = [(t, b) for t, b in zip(TEXTS, BLOCKS, strict=True) if "jobs" in b]
GITLAB = [
    (t, b)
    for t, b in zip(TEXTS, BLOCKS, strict=True)
    if any(isinstance(v, dict) and "script" in v for v in b.values())
]
CHECK_JSONSCHEMA = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))


def check_jsonschema(schema: str, text: str, tmp_path: Path) -> None:
    """check-jsonschema with its vendored schema (offline), on the document as a file."""
    assert CHECK_JSONSCHEMA is not None, "check-jsonschema is in the test extra"
    file = tmp_path / "document.yaml"
    file.write_text(text, encoding="utf-8")
    run = subprocess.run(
        [CHECK_JSONSCHEMA, "--builtin-schema", schema, str(file)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("index", range(2))
def test_the_docs_workflows_are_valid_github_workflows(index: int, tmp_path: Path) -> None:
    assert len(WORKFLOWS) == 2
    text, workflow = WORKFLOWS[index]
    check_jsonschema("vendor.github-workflows", text, tmp_path)
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), step["run"]  # outputs through env
            uses = step.get("uses", "")
            if uses.startswith("actions/checkout@"):
                assert step["with"] == {"fetch-depth": 0, "persist-credentials": False}
            if "upload-sarif" in uses:
                assert uses == "github/codeql-action/upload-sarif@v4"
            assert "setup-python" not in uses  # iacplan goes into a virtualenv of its own


def test_the_docs_gitlab_job_is_valid_gitlab_ci(tmp_path: Path) -> None:
    [(text, _)] = GITLAB
    check_jsonschema("vendor.gitlab-ci", text, tmp_path)


def test_every_yaml_example_in_the_docs_loads() -> None:
    blocks = BLOCKS
    assert len(blocks) >= 5
    workflow = next(b for b in blocks if "jobs" in b)
    job = next(iter(workflow["jobs"].values()))
    assert job["permissions"]["pull-requests"] == "write"
    steps = job["steps"]
    assert any(s.get("with", {}).get("fetch-depth") == 0 for s in steps if "uses" in s)
    gitlab = GITLAB[0][1]
    job = next(v for v in gitlab.values() if isinstance(v, dict) and "script" in v)
    assert job["artifacts"]["reports"]["junit"]
    assert any("iacplan check --base-ref" in line for line in job["script"])
    atlantis = next(b for b in blocks if "workflows" in b)
    steps = next(iter(atlantis["workflows"].values()))["policy_check"]["steps"]
    runs = [str(s.get("run", "")) for s in steps if isinstance(s, dict)]
    # Atlantis shows the output inside a diff block: text, not Markdown.
    assert any("iacplan check" in r and "--format text" in r for r in runs), runs
    assert any(r.get("custom_policy_check") for r in atlantis["repos"])
    assert "--enable-policy-checks" in (REPO / "docs" / "ci.md").read_text()
