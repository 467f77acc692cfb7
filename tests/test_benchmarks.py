"""The benchmark generator and runner work (a smoke test: no timing is asserted)."""

from __future__ import annotations

import filecmp
import shlex
import subprocess
import sys
from pathlib import Path

from helpers import REPO, iacplan

BENCHMARKS = REPO / "benchmarks"


def _generate(out: Path, shape: str) -> Path:
    subprocess.run(
        [sys.executable, BENCHMARKS / "generate.py", "--size", "small", "--shape", shape,
         "--out", out],
        check=True,
    )  # fmt: skip
    return out


def test_the_generator_writes_the_same_tree_every_time(tmp_path: Path) -> None:
    first, second = _generate(tmp_path / "a", "sparse"), _generate(tmp_path / "b", "sparse")
    comparison = filecmp.dircmp(first, second)
    assert not comparison.diff_files and not comparison.left_only and not comparison.right_only
    assert len(list((first / "terraform").rglob("main.tf"))) == 10
    assert len([p for p in (first / "cloudformation").rglob("*") if p.is_file()]) == 10


def test_iacplan_reads_every_environment_of_a_dense_tree(tmp_path: Path) -> None:
    tree = _generate(tmp_path / "dense", "dense")
    run = iacplan(
        "check",
        tree / "terraform",
        tree / "cloudformation",
        "--format",
        "json",
        "--fail-on",
        "never",
    )
    assert run.exit_code == 0, run.stderr
    kinds = [e["kind"] for e in run.report["environments"]]
    assert kinds.count("cloudformation") == 10
    assert kinds.count("terraform") >= 10


def test_the_runner_writes_results_with_a_fake_peer(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmarks\n\nnotes kept\n")
    peer = shlex.join([sys.executable, "-c", "pass"])
    subprocess.run(
        [sys.executable, BENCHMARKS / "run.py", "--sizes", "small", "--shapes", "sparse",
         "--runs", "1", "--cold-runs", "1", "--peer", peer, "--trees", tmp_path / "trees",
         "--iacplan-here",
         "--results", results],
        check=True,
        capture_output=True,
    )  # fmt: skip
    text = results.read_text()
    assert text.startswith("# Benchmarks\n\nnotes kept\n")
    assert "| small sparse | 1 |" in text and "Cold start" in text and "nproc" in text


def test_the_resolve_benchmark_builds_a_30_line_file_and_700_pins(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import resolve as bench  # benchmarks/resolve.py
    finally:
        sys.path.remove(str(BENCHMARKS))
    wheels, mirror = bench.build(tmp_path)
    bench.trees(tmp_path)
    lines = (tmp_path / "head" / "requirements.txt").read_text().splitlines()
    assert len(lines) == 31 and lines[0].startswith("--constraint")
    pins = (mirror / "constraints-2.10.3" / "constraints-3.11.txt").read_text().splitlines()
    assert len(pins) == 701  # a comment and 700 pins, like Airflow's
    assert len(list(wheels.glob("*.whl"))) == 80 * 3 + 2 + 30 * 4
