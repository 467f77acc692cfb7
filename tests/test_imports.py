"""Costly imports happen only when a run needs them (startup time is most of a small run)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpers import CFN_SAMPLES, REPO, SAMPLES

HEAVY = ("cfnlint", "jsonschema", "boto3", "botocore", "yaml", "hcl2", "lark", "tfparse")
# What only some runs need: --live, --resolve, --base-ref, one output format each,
# packaging's requirement parser for a requirements file that pins apache-airflow, `comment`,
# the template reader (no template in a Terraform tree), and what only the Terraform
# evaluator's process needs (override files, modules a terragrunt.hcl sources).
OPTIONAL = (
    "packaging.requirements",
    "iacplan.comment.command",
    "iacplan.inputs.cloudformation.template",
    "iacplan.inputs.cloudformation.values",
    "iacplan.inputs.terraform.overrides",
    "iacplan.inputs.terraform.terragrunt",
    "packaging.specifiers",
    "iacplan.deployed",
    "iacplan.inputs.account",
    "iacplan.inputs.resolve",
    "iacplan.inputs.revision",
    *(f"iacplan.render.{name}" for name in ("markdown", "sarif", "github", "junit")),
)
_CODE = """
import sys
from iacplan.cli import main
try:
    main({args!r})
except SystemExit as exit:
    assert exit.code in (0, 1), exit.code
heavy = {{m.split(".")[0] for m in sys.modules}} & set({heavy!r})
heavy |= set(sys.modules) & set({optional!r})
print("imported:", *sorted(heavy), file=sys.stderr)
"""


def _imported(*args: str | Path, cwd: Path = REPO) -> set[str]:
    code = _CODE.format(args=[str(a) for a in args], heavy=HEAVY, optional=OPTIONAL)
    child = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert child.returncode == 0, child.stderr
    return set(child.stderr.rpartition("imported:")[2].split())


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # Terraform without module calls: the evaluator runs in a worker process.
        (["check", SAMPLES / "minor-upgrade" / "head"], set()),
        # Module calls are read with python-hcl2.
        (["check", SAMPLES / "local-module" / "head"], {"hcl2", "lark"}),
        (["check", REPO / "samples" / "terraform-plan" / "minor-upgrade" / "plan.json"], set()),
        (
            ["check", CFN_SAMPLES / "changeset-property-values" / "changeset.json"],
            {"iacplan.inputs.cloudformation.template", "iacplan.inputs.cloudformation.values"},
        ),
        # A template needs the template reader and cfn-lint, which brings PyYAML with it.
        (
            ["check", CFN_SAMPLES / "yaml-minor-upgrade" / "head"],
            {
                "cfnlint",
                "yaml",
                "iacplan.inputs.cloudformation.template",
                "iacplan.inputs.cloudformation.values",
            },
        ),
        # One output format's module, and only that one (SARIF's paths are the repository's).
        (
            ["check", SAMPLES / "minor-upgrade" / "head", "--format", "sarif"],
            {"iacplan.render.sarif", "iacplan.inputs.revision"},
        ),
    ],
)
def test_only_what_the_input_needs_is_imported(args: list[str | Path], expected: set[str]) -> None:
    assert _imported(*args) == expected


def test_a_config_brings_yaml_and_jsonschema(tmp_path: Path) -> None:
    (tmp_path / ".iacplan.yaml").write_text("severity:\n  MWAA009: error\n")
    imported = _imported("check", SAMPLES / "minor-upgrade" / "head", cwd=tmp_path)
    assert imported == {"yaml", "jsonschema"}


def test_the_rules_and_the_config_do_not_import_the_upgrade_plan() -> None:
    """The plan reads the rules' findings, so the rules come first; the config needs only the
    rollout order's settings."""
    code = (
        "import sys\nimport iacplan.{module}\n"
        "print(*sorted(m for m in sys.modules if m.startswith('iacplan.upgrade')))"
    )
    found = {}
    for module in ("rules", "config"):
        child = subprocess.run(
            [sys.executable, "-c", code.format(module=module)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        found[module] = set(child.stdout.split())
    assert found["rules"] == set()
    assert "iacplan.upgrade.plan" not in found["config"]
