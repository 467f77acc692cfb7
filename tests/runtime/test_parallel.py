"""Worker processes: the same report as one process, a time limit on the evaluator, and the
pre-filter that keeps unrelated parts of a monorepo from being evaluated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import TreeMaker
from helpers import CASES, REPO, all_ended, command, iacplan, mwaa, write_tree

NO_GIT_CONFIG = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}

TEMPLATE = """\
Resources:
  Airflow:
    Type: AWS::MWAA::Environment
    Properties:
      Name: analytics-{n}
      AirflowVersion: "2.10.{patch}"
"""


def cli(
    *args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The `iacplan` command in a fresh process, as a user runs it: workers are forked only
    where tfparse was never loaded, and `check` prepares its evaluator's child at the start."""
    return subprocess.run(
        [sys.executable, "-m", "iacplan", *map(str, args)],
        env={**os.environ, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def monorepo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files: dict[str, str | bytes] = {}
    for n in range(10):
        files[f"tf/root{n}/main.tf"] = (
            f'module "m" {{\n  source = "../modules/m{n % 3}"\n  v = "2.10.{n % 2 * 2 + 1}"\n}}\n'
        )
        files[f"cfn/team{n}/stack.yaml"] = TEMPLATE.format(n=n, patch=n % 2 * 2 + 1)
    for m in range(3):
        files[f"tf/modules/m{m}/main.tf"] = 'variable "v" {}\n' + mwaa("var.v", f"e{m}")
    return write_tree(tmp_path_factory.mktemp("mono"), files)


def test_workers_give_the_same_bytes_as_one_process(monorepo: Path) -> None:
    args = ("check", monorepo / "tf", monorepo / "cfn", "--format", "json")
    pooled, alone = cli(*args), cli(*args, env={"IACPLAN_WORKERS": "1"})
    assert pooled.returncode == 0, pooled.stderr
    assert pooled.stdout == alone.stdout
    assert pooled.stdout.count('"kind": "terraform"') == 10
    assert pooled.stdout.count('"kind": "cloudformation"') == 10


@pytest.mark.parametrize(
    "sample", [c for c in CASES if c.parent.name == "terraform"], ids=lambda p: p.name
)
def test_each_terraform_sample_gives_the_same_bytes_as_in_one_process(sample: Path) -> None:
    # one root each: evaluated by the child the command prepared before importing the rest
    args = (*command(sample), "--format", "json")
    prepared, alone = cli(*args, cwd=sample), cli(*args, cwd=sample, env={"IACPLAN_WORKERS": "1"})
    assert (prepared.stdout, prepared.stderr) == (alone.stdout, alone.stderr)
    assert prepared.returncode == alone.returncode


def test_a_revision_evaluated_in_the_prepared_child_reads_like_the_working_tree(
    tmp_path: Path,
) -> None:
    # Its root is a temporary directory, shown as the working tree's: the child must know. The
    # PR removes the environment, so the head needs no evaluation and the revision gets the child.
    repo = write_tree(tmp_path / "repo", {"infra/main.tf": 'variable "v" {}\n' + mwaa("var.v")})
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for step in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "base"]):
        subprocess.run([*git, *step], cwd=repo, check=True, env={**os.environ, **NO_GIT_CONFIG})
    write_tree(repo, {"infra/main.tf": 'resource "aws_s3_bucket" "b" {}\n'})
    args = ("check", "--base-ref", "main", "infra", "--format", "json")
    prepared = cli(*args, cwd=repo, env=NO_GIT_CONFIG)
    alone = cli(*args, cwd=repo, env={**NO_GIT_CONFIG, "IACPLAN_WORKERS": "1"})
    assert '"file": "infra/main.tf"' in prepared.stdout, prepared.stdout + prepared.stderr
    assert prepared.stdout == alone.stdout


def test_the_limits_of_the_config_reach_the_prepared_child(tmp_path: Path) -> None:
    # read after the child was forked: it gets them with its job
    root = write_tree(
        tmp_path,
        {"main.tf": mwaa('"2.10.3"', extra="  count = 11\n"), ".iacplan.yaml": "limits: {}\n"},
    )
    assert cli("check", ".", cwd=root).returncode == 0
    (root / ".iacplan.yaml").write_text("limits:\n  max_instances: 10\n")
    run = cli("check", ".", cwd=root)
    assert run.returncode == 2 and "count = 11 is more than the 10 instances" in run.stderr


def test_fresh_workers_every_few_units_give_the_same_bytes(monorepo: Path) -> None:
    args = ["check", str(monorepo / "tf"), str(monorepo / "cfn"), "--format", "json"]
    code = (
        "from iacplan.runtime import parallel\n"
        "parallel.ITEMS_PER_WORKER = 2\n"
        "from iacplan.cli import main\n"
        f"main({args!r})\n"
    )
    batched = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert batched.returncode == 0, batched.stderr
    assert batched.stdout == cli(*args, env={"IACPLAN_WORKERS": "1"}).stdout


def test_an_evaluation_past_the_time_limit_is_stopped(tmp_path: Path) -> None:
    # A count from a variable is seen only by the evaluator, whose time grows with its square.
    root = write_tree(
        tmp_path / "slow",
        {
            "main.tf": 'variable "n" {\n  default = 100000\n}\n'
            'resource "aws_s3_bucket" "b" {\n  count  = var.n\n  bucket = "b${count.index}"\n}\n'
            + mwaa('"2.10.3"')
        },
    )
    run = cli("check", root, env={"IACPLAN_EVALUATION_TIMEOUT": "2"})
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stderr.startswith("iacplan: error: ") and run.stderr.count("\n") == 1
    assert "slow: evaluation did not end within 2 s" in run.stderr
    assert "IACPLAN_EVALUATION_TIMEOUT" in run.stderr


# --- the pre-filter ----------------------------------------------------------------------


def test_parts_that_cannot_hold_an_environment_are_not_read(tree: TreeMaker) -> None:
    root = tree(
        {
            "prod/main.tf": mwaa('"2.10.3"'),
            "broken/main.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = \n}\n',
            "missing/main.tf": 'module "m" {\n  source = "./nope"\n}\n',
        }
    )
    run = iacplan("check", root, "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert [e["id"] for e in run.report["environments"]] == ["prod:aws_mwaa_environment.main"]


def test_a_root_is_evaluated_when_a_module_it_calls_holds_one(tree: TreeMaker) -> None:
    root = tree(
        {
            "live/prod/main.tf": 'module "platform" {\n  source = "../../modules/platform"\n}\n',
            "modules/platform/main.tf": 'module "data" {\n  source = "../data"\n}\n',
            "modules/data/main.tf": 'module "x" {\n  source = "../../../outside/x"\n}\n',
        }
    )
    write_tree(root.parent / "outside", {"x/main.tf": mwaa('"2.10.3"', "deep")})
    (root.parent / ".git").mkdir()  # the module is outside the tree checked, inside the repository
    run = iacplan("check", root, "--format", "json")
    assert [e["id"] for e in run.report["environments"]] == [
        "live/prod:module.platform.module.data.module.x.aws_mwaa_environment.deep"
    ]


def test_an_environment_spelled_with_escapes_is_still_found(tree: TreeMaker) -> None:
    resource = '{"resource": {"aws_\\u006dwaa_environment": {"e": {"airflow_version": "2.1"}}}}'
    root = tree({"main.tf.json": resource})
    run = iacplan("check", root, "--format", "json")
    assert [e["id"] for e in run.report["environments"]] == ["aws_mwaa_environment.e"]


@pytest.mark.parametrize("line_break", ["\n", "\r\n", "\r", "\x85", "\u2028", "\u2029"])
def test_a_type_continued_over_any_yaml_line_break_is_still_found(
    tree: TreeMaker, line_break: str
) -> None:
    template = f'Resources:\n  Env:\n    Type: "AWS::MWAA::\\{line_break}Environment"\n'
    root = tree({"mwaa.yaml": template.encode()})
    run = iacplan("check", root, "--format", "json")
    assert [e["id"] for e in run.report["environments"]] == ["mwaa.yaml#Env"]


@pytest.mark.parametrize(
    "template",
    [
        '{"Resources": {"Env": {"Type": "AWS\\u003a:MWAA::Environment"}}}',
        '{"Resources": {"Env": {"Type": "Acme::Airflow::Platform::MODULE"}}}',
        '{"\\u0052esources": {"Env": {"Type": "AWS\\u003a:MWAA::Environment"}}}',
    ],
    ids=["escaped type", "module type only", "escaped type and section"],
)
def test_a_template_beside_terraform_without_a_literal_aws_type_is_still_read(
    tree: TreeMaker, template: str
) -> None:
    root = tree({"main.tf": 'variable "x" {}\n', "stack.json": template})
    run = iacplan("check", root, "--format", "json")
    assert [e["id"] for e in run.report["environments"]] == ["stack.json#Env"]


@pytest.mark.parametrize("kind", ["terraform", "cloudformation"])
def test_the_prefilter_drops_nothing_from_the_benchmark_trees(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kind: str
) -> None:
    subprocess.run(
        [sys.executable, REPO / "benchmarks" / "generate.py", "--size", "small", "--shape",
         "sparse", "--out", tmp_path],
        check=True,
    )  # fmt: skip
    filtered = iacplan("check", tmp_path / kind, "--format", "json")
    monkeypatch.setattr("iacplan.inputs.prefilter._TERRAFORM", __import__("re").compile(""))
    monkeypatch.setattr("iacplan.inputs.prefilter._CLOUDFORMATION", __import__("re").compile(""))
    everything = iacplan("check", tmp_path / kind, "--format", "json")
    assert filtered.exit_code == everything.exit_code == 0, filtered.stderr + everything.stderr
    assert filtered.stdout == everything.stdout
    assert filtered.report["environments"]


def test_one_root_is_evaluated_in_a_child_whose_errors_and_crashes_are_reported(
    tmp_path: Path,
) -> None:
    broken = write_tree(tmp_path / "broken", {"main.tf": mwaa('"2.10.3"') + "resource {\n"})
    run = cli("check", broken)
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stderr.startswith("iacplan: error: ") and "broken/main.tf" in run.stderr
    assert run.stderr.count("\n") == 1
    crash = (
        "import os, sys\n"
        "from iacplan.runtime import parallel\n"
        "try:\n"
        "    parallel.run_all(lambda s, i: os._exit(3), None, ['root'], str, isolate=True)\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    child = subprocess.run([sys.executable, "-c", crash], capture_output=True, text=True)
    assert child.stdout.startswith("InputError root: the process evaluating it ended abruptly")


def _child_pids(pid: int) -> list[int]:
    return [
        int(child)
        for task in Path(f"/proc/{pid}/task").glob("*/children")
        for child in task.read_text().split()
    ]


@pytest.mark.parametrize("units", [1, 3])
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_a_run_stopped_from_outside_leaves_no_evaluation_behind(
    units: int, how: signal.Signals
) -> None:
    code = (
        "import time\n"
        "from iacplan.runtime import parallel\n"
        "def unit(shared, item):\n"
        "    time.sleep(60)\n"
        f"parallel.run_all(unit, None, list(range({units})), str, True)\n"
    )
    run = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (children := _child_pids(run.pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert children
    time.sleep(0.5)  # the workers are at work
    run.send_signal(how)
    assert run.wait(timeout=20) != 0
    if how == signal.SIGTERM:  # unwound, as from Ctrl-C
        assert "Terminated: SIGTERM" in (run.stderr.read() if run.stderr else "")
    assert all_ended(children), "a worker outlived the run"


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        # one unit in a pool crashes: the others fail alike, so none is blamed alone
        (
            "os._exit(3) if i == 2 else time.sleep(1)",
            " (or a unit evaluated beside it): the process",
        ),
        # an error that cannot be pickled still arrives, as its text
        ("(_ for _ in ()).throw(ValueError(threading.Lock()))", "RuntimeError 0: ValueError("),
    ],
)
def test_what_goes_wrong_in_a_worker_is_told_as_it_is(unit: str, expected: str) -> None:
    items = 3 if "os._exit" in unit else 1
    code = (
        "import os, threading, time\n"
        "from iacplan.runtime import parallel\n"
        "def unit(s, i):\n"
        f"    return {unit}\n"
        "try:\n"
        f"    parallel.run_all(unit, None, list(range({items})), str, True)\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert expected in child.stdout, child.stdout + child.stderr


def test_a_run_from_another_thread_still_works() -> None:
    # only the main thread may set signal handlers: elsewhere the run goes on without them
    code = (
        "import threading\n"
        "from iacplan.runtime import parallel\n"
        "def unit(s, i):\n"
        "    return i * 2\n"
        "got = []\n"
        "work = lambda: got.append(parallel.run_all(unit, None, [1, 2], str, True))\n"
        "thread = threading.Thread(target=work)\n"
        "thread.start(); thread.join()\n"
        "print(got)\n"
    )
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert child.stdout == "[[2, 4]]\n", child.stdout + child.stderr


def _shown_now(shared: None, item: None) -> tuple[tuple[Path, Path], ...]:
    from iacplan.inputs import files

    return files.shown_paths()


def test_state_registered_by_an_input_module_reaches_a_unit_forked_before_it() -> None:
    # runtime/ imports nothing of inputs/: the display paths of a revision travel because
    # inputs/files.py registered them with `parallel.carry`, and come back pickled.
    import pickle

    from iacplan.inputs import files
    from iacplan.runtime import parallel

    with files.shown_as(Path("/tmp/iacplan-base-x"), Path("/repo")):
        state = pickle.loads(pickle.dumps(parallel._state()))
    assert files.shown_paths() == ()
    seen = parallel._unit(_shown_now, None, None, state)
    assert seen == ((Path("/tmp/iacplan-base-x"), Path("/repo")),)
    assert files.shown_paths() == ()
