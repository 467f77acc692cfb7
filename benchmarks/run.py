"""Time `iacplan check` against a peer (checkov by default) on the synthetic monorepos.

    python benchmarks/run.py                       # every size and shape, results in RESULTS.md
    python benchmarks/run.py --sizes medium --shapes dense --runs 3
    python benchmarks/run.py --pr --sizes '' --cold-runs 0  # pull requests alone (pr.py)

The two tools run alternately on the same tree, several times; the report gives medians,
ratios and peak memory. Each is installed by this script into its own virtualenv: checkov
(--checkov-venv) cannot share one with iacplan (its bc-python-hcl2 replaces python-hcl2), and
iacplan (--iacplan-venv) is installed from this checkout as a user installs it.
Peak memory is the largest sum of the proportional memory (PSS) of the measured process and
all its descendants, sampled every 20 ms from /proc (Linux), and at least the largest single
process's resident memory (getrusage). The machine may be shared: the 1-minute load average
is recorded before each run.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import SHAPES, generate

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# The blocks of RESULTS.md this script rewrites; the notes around them are kept.
TREES = ("<!-- results:start -->", "<!-- results:end -->")
COLD = ("<!-- cold:start -->", "<!-- cold:end -->")
PR = ("<!-- pr:start -->", "<!-- pr:end -->")
CHECKOV_VERSION = "3.3.30"
SMALL_ROOT = REPO / "samples" / "terraform" / "minor-upgrade" / "head"


@dataclass
class Measured:
    seconds: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)
    exit_codes: set[int] = field(default_factory=set)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def _pss_kb(pid: int) -> int:
    """The process's proportional share of memory: pages shared with its forked workers
    count once across them, unlike resident memory (RSS), which would count them in each."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    match = re.search(r"^Pss:\s+(\d+)", rollup, re.MULTILINE)
    return int(match[1]) if match else 0


def _descendants(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        parent = pending.pop()
        found.append(parent)
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                pending += [int(child) for child in task.read_text().split()]
            except OSError:
                continue
    return found


def measure(
    command: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, float, int]:
    """Wall seconds, peak memory in MB of the process tree, and the exit code."""
    peak = 0
    started = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.02):
            peak = max(peak, sum(_pss_kb(pid) for pid in _descendants(child.pid)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert child.stderr is not None
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    child.returncode = code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{shlex.join(command)} failed (exit {code}):\n{stderr[-2000:]}")
    return seconds, max(peak, usage.ru_maxrss) / 1024, code


def run_alternating(
    commands: dict[str, list[str]], runs: int, cwd: Path | None = None
) -> dict[str, Measured]:
    results = {name: Measured() for name in commands}
    names = list(commands)
    for number in range(runs):
        for name in names if number % 2 == 0 else reversed(names):
            load = os.getloadavg()[0]
            seconds, peak, code = measure(commands[name], cwd)
            results[name].seconds.append(seconds)
            results[name].peak_mb.append(peak)
            results[name].loads.append(load)
            results[name].exit_codes.add(code)
            print(f"  {name}: {seconds:.2f} s, {peak:.0f} MB, load {load:.2f}", flush=True)
    return results


def checkov_command(venv: Path) -> list[str]:
    binary = venv / "bin" / "checkov"
    if not binary.exists():
        print(f"installing checkov {CHECKOV_VERSION} into {venv}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, f"checkov=={CHECKOV_VERSION}"], check=True)
    return [str(binary), "--quiet", "--compact", "--skip-download", "--framework", "terraform",
            "cloudformation", "-o", "json", "-d"]  # fmt: skip


def iacplan_command(venv: Path | None) -> list[str]:
    """iacplan installed from this checkout into its own virtualenv, as a user installs it
    (`pip install .`, bytecode compiled: an editable install under PYTHONDONTWRITEBYTECODE
    compiles every module on every start); with no virtualenv, this interpreter's iacplan."""
    if venv is None:
        return [str(Path(sys.executable).parent / "iacplan"), "check", "--format", "json"]
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    print(f"installing iacplan from {REPO} into {venv}", flush=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--force-reinstall", "--no-deps", str(REPO)], check=True)
    subprocess.run([*pip, str(REPO)], check=True)  # dependencies, when the venv is new
    return [str(venv / "bin" / "iacplan"), "check", "--format", "json"]


def machine() -> list[str]:
    meminfo = Path("/proc/meminfo").read_text()
    total = int(re.search(r"MemTotal:\s+(\d+)", meminfo)[1]) // 1024  # type: ignore[index]
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.*)", cpuinfo)
    commit = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return [
        f"- CPU: {os.cpu_count()} cores (`nproc`), {model[1] if model else platform.machine()}",
        f"- RAM: {total} MB; {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; iacplan at commit {commit}",
    ]


def _table(rows: list[list[str]]) -> list[str]:
    header, *body = rows
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in body]


def _loads(measured: Sequence[Measured]) -> str:
    loads = [load for m in measured for load in m.loads]
    return f"{min(loads):.2f}-{max(loads):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="small,medium,large")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--large-runs", type=int, default=2, help="runs on the large trees")
    parser.add_argument("--cold-runs", type=int, default=10, help="0 skips the cold-start case")
    parser.add_argument("--trees", type=Path, default=Path("/tmp/iacplan-bench"))
    parser.add_argument(
        "--checkov-venv", type=Path, help="default: TREES/checkov-venv, installed when missing"
    )
    parser.add_argument(
        "--iacplan-venv", type=Path, help="default: TREES/iacplan-venv, installed from here"
    )
    parser.add_argument(
        "--iacplan-here",
        action="store_true",
        help="run this interpreter's iacplan instead of installing it (smoke tests)",
    )
    parser.add_argument(
        "--peer",
        help="the peer's command, the tree appended (default: checkov in its own virtualenv)",
    )
    parser.add_argument(
        "--peer-skip",
        default="",
        help="trees (e.g. large-dense) on which only iacplan runs (memory), comma-separated",
    )
    parser.add_argument(
        "--pr",
        action="store_true",
        help="also the pull-request cases of pr.py (--base-ref on the large sparse tree in git)",
    )
    parser.add_argument("--pr-runs", type=int, default=3, help="runs of each pull-request case")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()

    iacplan = iacplan_command(
        None if args.iacplan_here else args.iacplan_venv or args.trees / "iacplan-venv"
    )
    if [size for size in args.sizes.split(",") if size]:  # --sizes '' skips the trees
        peer_name = "peer" if args.peer else "checkov"
        args.checkov_venv = args.checkov_venv or args.trees / "checkov-venv"
        peer = shlex.split(args.peer) if args.peer else checkov_command(args.checkov_venv)
        lines = _trees(args, iacplan, peer, peer_name)
        _write_block(args.results, TREES, lines)
        print("\n".join(lines))
    if args.cold_runs:
        lines = _cold_start(iacplan, args.cold_runs)
        _write_block(args.results, COLD, lines)
        print("\n".join(lines))
    if args.pr:
        from pr import pr_block  # pr.py imports this module

        lines = pr_block(iacplan, args.pr_runs, args.trees / "pr")
        _write_block(args.results, PR, lines)
        print("\n".join(lines))


def _trees(
    args: argparse.Namespace, iacplan: list[str], peer: list[str], peer_name: str
) -> list[str]:
    lines = ["## Measured", "", *machine(), ""]
    if peer_name == "checkov":
        version = subprocess.run([peer[0], "--version"], capture_output=True, text=True)
        lines[-1:-1] = [f"- checkov {version.stdout.strip()} in {args.checkov_venv}"]
    lines += [
        "Commands (TREE is the generated monorepo):",
        "",
        "```sh",
        "python benchmarks/generate.py --size SIZE --shape SHAPE --out TREE",
        shlex.join([*iacplan, "TREE/terraform", "TREE/cloudformation"]),
        shlex.join([*peer, "TREE"]),
        "```",
        "",
    ]
    rows = [["tree", "runs", "iacplan median", f"{peer_name} median", "ratio",
             "iacplan peak", f"{peer_name} peak", "load (1 min)"]]  # fmt: skip
    for size in args.sizes.split(","):
        for shape in args.shapes.split(","):
            tree = generate(size, shape, args.trees / f"{size}-{shape}")
            runs = args.large_runs if size == "large" else args.runs
            print(f"{size}-{shape}: {runs} runs", flush=True)
            commands = {
                "iacplan": [*iacplan, str(tree / "terraform"), str(tree / "cloudformation")]
            }
            if f"{size}-{shape}" not in args.peer_skip.split(","):
                commands[peer_name] = [*peer, str(tree)]
            measured = run_alternating(commands, runs)
            ours, theirs = measured["iacplan"], measured.get(peer_name)
            rows.append(
                [
                    f"{size} {shape}",
                    str(runs),
                    f"{ours.median:.2f} s",
                    f"{theirs.median:.2f} s" if theirs else "not run",
                    f"{theirs.median / ours.median:.1f}x" if theirs else "",
                    f"{max(ours.peak_mb):.0f} MB",
                    f"{max(theirs.peak_mb):.0f} MB" if theirs else "",
                    _loads([ours, theirs] if theirs else [ours]),
                ]
            )
    return lines + _table(rows)


def _cold_start(iacplan: list[str], runs: int) -> list[str]:
    print(f"cold start: {runs} runs", flush=True)
    cold = run_alternating(
        {
            "iacplan": [*iacplan, str(SMALL_ROOT)],
            # the interpreter iacplan runs on, so both pay the same start-up
            "import click": [str(Path(iacplan[0]).parent / "python"), "-c", "import click"],
        },
        runs,
    )
    ours, click = cold["iacplan"], cold["import click"]
    shown = shlex.join([*iacplan, "samples/terraform/minor-upgrade/head"])
    rows = [
        ["command", "runs", "median", "ratio", "load (1 min)"],
        [shown, str(runs), f"{ours.median:.3f} s", f"{ours.median / click.median:.1f}x",
         _loads([ours, click])],
        ["python -c 'import click'", str(runs), f"{click.median:.3f} s", "1.0x", ""],
    ]  # fmt: skip
    return [
        "## Cold start",
        "",
        *machine(),
        "",
        'One small Terraform root, against `python -c "import click"`, alternating:',
        "",
        *_table(rows),
    ]


def _write_block(path: Path, markers: tuple[str, str], lines: list[str]) -> None:
    """Replace one block of `path` (between its markers, added at the end when missing)."""
    start, end = markers
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if start not in text:
        text += f"\n{start}\n{end}\n"
    before, _, rest = text.partition(start)
    _, _, after = rest.partition(end)
    path.write_text(before + "\n".join([start, *lines, end]) + after, encoding="utf-8")


if __name__ == "__main__":
    main()
