"""Hostile inputs: each ends with a clear error naming the file (exit 2) or a correct result,
in bounded time and memory. Big files are generated here, in tmp_path, never committed."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TreeMaker
from helpers import CFN_SAMPLES, REPO, Run, iacplan, mwaa, write_tree

PLAN_SAMPLE = REPO / "samples" / "terraform-plan" / "minor-upgrade" / "plan.json"
CHANGESET_SAMPLE = CFN_SAMPLES / "changeset-property-values" / "changeset.json"
TEMPLATE = """\
Resources:
  Airflow:
    Type: AWS::MWAA::Environment
    Properties:
      Name: analytics
      AirflowVersion: "2.10.3"
"""
NESTED = 10_000
HANG = 300  # seconds: a guard against hanging forever, not a timing expectation


# The child reports its own peak memory (VmHWM) on exit: ru_maxrss would count the forking
# test process, whose memory the child inherits until exec.
_CHILD = """
import atexit, re, sys
def peak():
    status = open("/proc/self/status").read()
    sys.stderr.write("peak-kb " + re.search(r"VmHWM:\\s+(\\d+)", status)[1] + "\\n")
atexit.register(peak)
from iacplan.cli import main
main()
"""


def bounded(*args: str | Path, cwd: Path) -> tuple[Run, int]:
    """The CLI in a child process, and its peak memory in MB."""
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=HANG,
    )
    stderr, _, peak = child.stderr.rpartition("peak-kb ")
    return Run(child.returncode, child.stdout, stderr), int(peak) // 1024


def refused(run: Run, *names: str) -> str:
    """The one-line error of a run that refused its input, checked for the names given."""
    assert run.exit_code == 2, run.stdout + run.stderr
    assert run.stderr.startswith("iacplan: error: "), run.stderr
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr, run.stderr
    for name in names:
        assert name in run.stderr, run.stderr
    return run.stderr


def environments(run: Run) -> list[tuple[str, str | None, str]]:
    assert run.exit_code in (0, 1), run.stderr
    return [(e["id"], e["head_version"], e["verdict"]) for e in run.report["environments"]]


# --- size and depth --------------------------------------------------------------------------


def _fill(path: Path, chunk: str, size: int, head: str = "", tail: str = "") -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(head)
        for _ in range(size // len(chunk) + 1):
            out.write(chunk)
        out.write(tail)


@pytest.mark.parametrize("kind", ["terraform", "plan", "template"])
def test_a_50_mb_file_is_refused_naming_it_without_being_read(tmp_path: Path, kind: str) -> None:
    size = 50 * 1024 * 1024
    if kind == "terraform":
        target = write_tree(tmp_path / "infra", {"main.tf": mwaa('"2.10.3"')})
        bucket = 'resource "aws_s3_bucket" "b%d" {\n  bucket = "acme-%d"\n}\n'
        _fill(target / "buckets.tf", "".join(bucket % (i, i) for i in range(100)), size)
        big = "infra/buckets.tf"
    elif kind == "plan":
        target = tmp_path / "plan.json"
        entry = json.dumps({"address": "aws_s3_bucket.b", "change": {"actions": ["no-op"]}})
        head = '{"format_version": "1.2", "resource_changes": ['
        _fill(target, entry + ",", size, head, entry + "]}")
        big = "plan.json"
    else:
        target = tmp_path / "mwaa.yaml"
        _fill(target, "  # filler comment line\n", size, TEMPLATE)
        big = "mwaa.yaml"
    run, peak_mb = bounded("check", target, cwd=tmp_path)
    assert "50.0 MB, more than the 16 MB" in refused(run, big, "IACPLAN_MAX_FILE_MB")
    assert peak_mb < 300, peak_mb


def test_the_file_size_limit_is_configurable_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path, {"mwaa.yaml": TEMPLATE, ".iacplan.yaml": "limits:\n  max_file_mb: 0.0001\n"}
    )
    assert "more than the 0.0001 MB" in refused(iacplan("check", "mwaa.yaml"), "mwaa.yaml")
    monkeypatch.setenv("IACPLAN_MAX_FILE_MB", "1")
    assert environments(iacplan("check", "mwaa.yaml", "--format", "json")) == [
        ("mwaa.yaml#Airflow", "2.10.3", "allowed")
    ]
    monkeypatch.setenv("IACPLAN_MAX_FILE_MB", "lots")
    refused(iacplan("check", "mwaa.yaml"), "IACPLAN_MAX_FILE_MB='lots': not a positive float")


NESTED_DOCUMENTS = {
    "plan.json": '{"format_version": "1.2", "resource_changes": %s}',
    "changeset.json": '{"ChangeSetId": "x", "Changes": %s}',
    "template.json": '{"Resources": {"A": {"Type": "AWS::S3::Bucket", "Properties": {"X": %s}}}}',
    "template.yaml": "Resources:\n  A:\n    Type: AWS::S3::Bucket\n    Properties:\n      X: %s\n",
    "main.tf.json": '{"locals": {"x": %s}, "resource": {"aws_mwaa_environment": {}}}',
}


@pytest.mark.parametrize("name", sorted(NESTED_DOCUMENTS))
def test_10000_levels_of_nesting_are_refused(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text(NESTED_DOCUMENTS[name] % ("[" * NESTED + "]" * NESTED))
    target = tmp_path if name.endswith(".tf.json") else tmp_path / name
    refused(iacplan("check", target), name)


def test_10000_levels_of_nesting_in_hcl_are_refused(tree: TreeMaker) -> None:
    deep = "[" * NESTED + "]" * NESTED
    root = tree({"main.tf": f"locals {{\n  x = {deep}\n}}\n" + mwaa('"2.10.3"')})
    assert "nested too deeply" in refused(iacplan("check", root), "t")


def test_the_nesting_limit_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {"mwaa.yaml": TEMPLATE, ".iacplan.yaml": "limits:\n  max_nesting: 3\n"})
    message = refused(iacplan("check", "mwaa.yaml"), "mwaa.yaml:5: nested more than 3 levels")
    assert "IACPLAN_MAX_NESTING" in message
    monkeypatch.setenv("IACPLAN_MAX_NESTING", "2")
    refused(iacplan("check", PLAN_SAMPLE), "plan.json: nested more than 2 levels")


def _alias_bomb(levels: int = 9) -> str:
    lines = ['  l0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        lines.append(f"  l{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    (tmp_path / "mwaa.yaml").write_text(TEMPLATE + "Mappings:\n" + _alias_bomb())
    run, peak_mb = bounded("check", "mwaa.yaml", cwd=tmp_path)
    assert "aliases" in refused(run, "mwaa.yaml")
    assert peak_mb < 300, peak_mb


def test_a_yaml_alias_bomb_in_the_config_is_refused(tmp_path: Path) -> None:
    write_tree(tmp_path, {"mwaa.yaml": TEMPLATE})
    (tmp_path / ".iacplan.yaml").write_text("bombs:\n" + _alias_bomb() + "suppressions: *a9\n")
    run, peak_mb = bounded("check", "mwaa.yaml", cwd=tmp_path)
    refused(run, ".iacplan.yaml")
    assert peak_mb < 300, peak_mb


# --- trees -------------------------------------------------------------------------------


def test_a_symlink_loop_in_a_module_tree_ends_with_the_right_result(tree: TreeMaker) -> None:
    root = tree(
        {
            "main.tf": 'module "mwaa" {\n  source = "./modules/mwaa"\n}\n',
            "modules/mwaa/main.tf": mwaa('"2.10.3"', "this"),
            "cfn/mwaa.yaml": TEMPLATE,
        }
    )
    (root / "modules" / "mwaa" / "up").symlink_to(root, target_is_directory=True)
    (root / "cfn" / "again").symlink_to(root / "cfn", target_is_directory=True)
    assert environments(iacplan("check", root, "--format", "json")) == [
        ("cfn/mwaa.yaml#Airflow", "2.10.3", "allowed"),
        ("module.mwaa.aws_mwaa_environment.this", "2.10.3", "allowed"),
    ]
    assert environments(iacplan("check", root / "cfn", "--format", "json")) == [
        ("mwaa.yaml#Airflow", "2.10.3", "allowed")
    ]


def test_a_module_that_calls_itself_is_refused(tree: TreeMaker) -> None:
    root = tree(
        {
            "main.tf": 'module "m" {\n  source = "./m"\n}\n',
            "m/main.tf": 'module "again" {\n  source = "../m"\n}\n' + mwaa('"2.10.3"'),
        }
    )
    refused(iacplan("check", root), "m/main.tf:2: module call cycle: ")


def test_module_calls_deeper_than_the_limit_are_refused(
    tree: TreeMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {f"{'m/' * i}main.tf": 'module "m" {\n  source = "./m"\n}\n' for i in range(40)}
    files[f"{'m/' * 40}main.tf"] = mwaa('"2.10.3"')
    root = tree(files)
    message = refused(iacplan("check", root), "module calls nested more than 32 deep")
    assert f"{'m/' * 32}main.tf:2:" in message and "IACPLAN_MAX_MODULE_DEPTH" in message
    monkeypatch.setenv("IACPLAN_MAX_MODULE_DEPTH", "40")
    [(env_id, version, _)] = environments(iacplan("check", root, "--format", "json"))
    assert env_id == "module.m" + ".module.m" * 39 + ".aws_mwaa_environment.main"
    assert version == "2.10.3"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("main.tf", 'resource "aws_s3_bucket" "b" {\n  count  = 1e9\n  bucket = "b"\n}\n'),
        ("main.tf", 'module "m" {\n  count  = 1000000000\n  source = "./m"\n}\n'),
        ("main.tf.json", '{"resource": {"aws_s3_bucket": {"b": {\n"count": 1e9}}}}'),
    ],
)
def test_a_literal_count_of_1e9_is_refused(tree: TreeMaker, name: str, text: str) -> None:
    root = tree({name: text, "mwaa.tf": mwaa('"2.10.3"'), "m/main.tf": "\n"})
    message = refused(iacplan("check", root), f"t/{name}:2: count = ")
    assert "more than the 1000 instances" in message and "IACPLAN_MAX_INSTANCES" in message


def test_the_instance_limit_is_configurable(
    tree: TreeMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tree({"main.tf": mwaa('"2.10.3"', extra="  count = 11\n")})
    assert environments(iacplan("check", root, "--format", "json"))[0][1] == "2.10.3"
    monkeypatch.setenv("IACPLAN_MAX_INSTANCES", "10")
    refused(iacplan("check", root), "t/main.tf:4: count = 11 is more than the 10 instances")


# --- bytes -------------------------------------------------------------------------------


def test_binary_bytes_in_a_tf_file_are_refused(tree: TreeMaker) -> None:
    noise = random.Random(8).randbytes(4096)
    root = tree({"prod/main.tf": mwaa('"2.10.3"'), "prod/blob.tf": noise})
    refused(iacplan("check", root), "prod/blob.tf:", "not UTF-8")


@pytest.mark.parametrize("name", ["main.tf", "mwaa.yaml", "plan.json", "changeset.json"])
def test_non_utf8_bytes_are_refused_with_file_and_line(tmp_path: Path, name: str) -> None:
    text = {
        "main.tf": mwaa('"2.10.3"'),
        "mwaa.yaml": TEMPLATE,
        "plan.json": PLAN_SAMPLE.read_text(),
        "changeset.json": CHANGESET_SAMPLE.read_text(),
    }[name]
    lines = text.encode().splitlines(keepends=True)
    lines[2] = lines[2].replace(b"\n", b" caf\xe9\n")  # Latin-1, not UTF-8
    (tmp_path / name).write_bytes(b"".join(lines))
    target = tmp_path if name == "main.tf" else tmp_path / name
    refused(iacplan("check", target), f"{name}:3: not UTF-8 text")


def _variants(transform: str) -> dict[str, bytes]:
    def apply(text: str) -> bytes:
        if transform == "crlf":
            text = text.replace("\n", "\r\n")
        return (("\ufeff" if transform == "bom" else "") + text).encode("utf-8")

    return {
        "tf/main.tf": apply('variable "v" {\n  default = "2.10.3"\n}\n' + mwaa("var.v")),
        "mwaa.yaml": apply(TEMPLATE),
        "plan.json": apply(PLAN_SAMPLE.read_text()),
        "changeset.json": apply(CHANGESET_SAMPLE.read_text()),
    }


@pytest.mark.parametrize("transform", ["crlf", "bom"])
def test_crlf_line_endings_and_a_bom_give_the_same_result_and_lines(
    tmp_path: Path, transform: str
) -> None:
    plain = write_tree(tmp_path / "plain", _variants("none"))  # type: ignore[arg-type]
    odd = write_tree(tmp_path / transform, _variants(transform))  # type: ignore[arg-type]
    for name in ("tf", "mwaa.yaml", "plan.json", "changeset.json"):
        expected = iacplan("check", plain / name, "--format", "json")
        assert expected.exit_code in (0, 1), expected.stderr
        run = iacplan("check", odd / name, "--format", "json")
        assert run.exit_code == expected.exit_code, run.stderr
        assert run.stdout.replace(f"/{transform}/", "/plain/") == expected.stdout, name


def test_paths_with_spaces_and_unicode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path / "my infra",
        {
            "prod ü/main.tf": 'module "mwaa" {\n  source = "../modules/mwaa ä"\n}\n',
            "modules/mwaa ä/main.tf": mwaa('"2.10.3"', "this"),
            "cfn ü/mwaa ñ.yaml": TEMPLATE,
        },
    )
    run = iacplan("check", "my infra", "--format", "json")
    assert environments(run) == [
        ("cfn ü/mwaa ñ.yaml#Airflow", "2.10.3", "allowed"),
        ("prod ü:module.mwaa.aws_mwaa_environment.this", "2.10.3", "allowed"),
    ]
    assert [e["file"] for e in run.report["environments"]] == [
        "my infra/cfn ü/mwaa ñ.yaml",
        "my infra/modules/mwaa ä/main.tf",
    ]
    run = iacplan("check", "my infra/cfn ü", "--format", "json")
    assert environments(run) == [("mwaa ñ.yaml#Airflow", "2.10.3", "allowed")]
    assert run.report["environments"][0]["file"] == "my infra/cfn ü/mwaa ñ.yaml"
