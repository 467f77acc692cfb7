"""Time `iacplan check --base-ref` as a pull request runs it: the large sparse tree in git.

    python benchmarks/pr.py --runs 3                          # prints the Markdown block
    python benchmarks/run.py --pr --sizes '' --cold-runs 0    # the same, into RESULTS.md

The tree is generate.py's large sparse one with --shared-module (every MWAA root also calls
`terraform/modules/shared-tags`) and 300 Markdown notes (`docs/note-N.md`), committed on
branch `main` of a repository under --trees, with a branch `pr` that changes every note.
Every command runs from the repository's top as
`iacplan check --format json --base-ref REF terraform cloudformation` (stdout to /dev/null;
exit 0 or 1 is a result, anything else stops the benchmark), alternating with its peer:

a. one root changed: one MWAA root's airflow_version in its terraform.tfvars, uncommitted;
   with and without `--all` (evaluate every root, when `iacplan check --help` lists it),
   against a cold `iacplan check --format json ROOT` of that root alone (target: at most 6x);
b. the shared module changed, uncommitted: with and without `--all` (target: no slower);
c. branch `pr` (300 unrelated files changed) in a blobless clone (`--filter=blob:none`)
   against a full clone, `--base-ref origin/main` (target: at most 2x). Each run gets a fresh
   clone (`--no-checkout`, then `pr` checked out), made before the clock starts (a blobless
   clone keeps the blobs it fetched); the `git fetch`es made during the check are counted
   from GIT_TRACE2_EVENT.

The 1-minute load average is recorded before each run, as in run.py.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import SHARED_MODULE, generate
from run import Measured, _loads, _table, machine, measure

NOTES = 300
ALL = "--all"
# The version a root moves to in case a: a patch release either way, never the same string.
MOVES = {"2.9.2": "2.10.1", "2.10.1": "2.10.3", "2.10.3": "2.10.1", "2.11.0": "2.10.3"}


@dataclass
class Case:
    command: list[str]
    cwd: Path
    prepare: Callable[[], None] | None = None  # before each run, not timed
    trace: Path | None = None  # GIT_TRACE2_EVENT of the timed command, to count fetches


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"git {shlex.join(args)} in {repo} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def build(top: Path) -> Path:
    """The repository: the tree and the notes committed on `main`, and `pr` changing every
    note (so a blobless clone of `pr` lacks their blobs at `main`)."""
    repo = generate("large", "sparse", top / "repo", shared_module=True)
    git(repo, "init", "-q", "-b", "main")
    for key, value in (
        ("user.name", "bench"),
        ("user.email", "bench@example.invalid"),
        ("commit.gpgsign", "false"),
        ("uploadpack.allowFilter", "true"),
        ("uploadpack.allowAnySHA1InWant", "true"),
    ):
        git(repo, "config", key, value)
    notes = [repo / "docs" / f"note-{number:03d}.md" for number in range(NOTES)]
    notes[0].parent.mkdir()
    for number, note in enumerate(notes):
        note.write_text(f"# Note {number}\n\nNothing Terraform reads.\n", encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the large sparse tree, and notes")
    git(repo, "checkout", "-q", "-b", "pr")
    for note in notes:
        note.write_text(note.read_text() + "\nChanged in the pull request.\n", encoding="utf-8")
    git(repo, "commit", "-q", "-a", "-m", f"{NOTES} notes changed")
    git(repo, "checkout", "-q", "main")
    return repo


def one_root(repo: Path) -> tuple[Path, str, str]:
    """The first MWAA root (its own aws_mwaa_environment) with airflow_version in its tfvars:
    its directory, and the version string it has and the one it moves to."""
    for main_tf in sorted((repo / "terraform" / "live").glob("*/*/main.tf")):
        tfvars = main_tf.with_name("terraform.tfvars")
        found = re.search(r'^airflow_version = "(.+)"$', tfvars.read_text(), re.MULTILINE)
        if found and 'resource "aws_mwaa_environment"' in main_tf.read_text():
            return main_tf.parent.relative_to(repo), found[1], MOVES[found[1]]
    raise SystemExit(f"no MWAA root with an airflow_version in its tfvars under {repo}")


def has_all(iacplan: list[str]) -> bool:
    shown = subprocess.run([*iacplan[:2], "--help"], capture_output=True, text=True).stdout
    return re.search(rf"(^|\s){ALL}\b", shown) is not None


def fetches(trace: Path) -> int:
    """The `git fetch` processes in a GIT_TRACE2_EVENT file (each git process logs its name)."""
    if not trace.exists():
        return 0
    count = 0
    for line in trace.read_text().splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        count += event.get("event") == "cmd_name" and event.get("name") == "fetch"
    return count


def alternate(cases: dict[str, Case], runs: int) -> tuple[dict[str, Measured], dict[str, int]]:
    """Each case `runs` times, in turn (the order reversed every other round); the medians'
    inputs, and the largest number of fetches a traced case made in one run."""
    results = {name: Measured() for name in cases}
    most: dict[str, int] = {}
    names = list(cases)
    for number in range(runs):
        for name in names if number % 2 == 0 else reversed(names):
            case = cases[name]
            if case.prepare:
                case.prepare()
            env = None
            if case.trace:
                case.trace.unlink(missing_ok=True)
                env = {**os.environ, "GIT_TRACE2_EVENT": str(case.trace)}
            load = os.getloadavg()[0]
            seconds, peak, code = measure(case.command, case.cwd, env)
            results[name].seconds.append(seconds)
            results[name].peak_mb.append(peak)
            results[name].loads.append(load)
            results[name].exit_codes.add(code)
            note = ""
            if case.trace:
                most[name] = max(most.get(name, 0), count := fetches(case.trace))
                note = f", {count} git fetch"
            print(f"  {name}: {seconds:.2f} s, exit {code}{note}, load {load:.2f}", flush=True)
    return results, most


def _row(shown: str, measured: Measured, peer: Measured | None, *extra: str) -> list[str]:
    ratio = f"{measured.median / peer.median:.2f}x" if peer else "1.00x"
    exits = ",".join(str(code) for code in sorted(measured.exit_codes))
    return [
        shown,
        str(len(measured.seconds)),
        f"{measured.median:.2f} s",
        ratio,
        f"{max(measured.peak_mb):.0f} MB",
        exits,
        *extra,
    ]


HEADER = ["command", "runs", "median", "ratio", "peak", "exit"]


def _target(name: str, value: float, limit: float) -> str:
    met = "met" if value <= limit else "**not met**"
    return f"Target: {name} at most {limit:g}x: **{value:.2f}x**, {met}."


def pr_block(iacplan: list[str], runs: int, top: Path) -> list[str]:
    """Build the repository under `top`, run the three cases, and return the Markdown block."""
    print(f"pull requests: building the repository under {top}", flush=True)
    top.mkdir(parents=True, exist_ok=True)
    repo = build(top)
    files = int(git(repo, "ls-files", "-z").count("\0"))
    callers = git(repo, "grep", "-l", f'modules/{SHARED_MODULE}"', "--", "terraform/live")
    with_all = has_all(iacplan)
    check = [*iacplan, "--base-ref", "main", "terraform", "cloudformation"]
    shown = shlex.join([*iacplan, "--base-ref", "main", "terraform", "cloudformation"])
    lines = [
        "## Pull requests (`--base-ref`)",
        "",
        *machine(),
        f"- The tree: `generate.py --size large --shape sparse --shared-module`, {files} files"
        f" committed on `main` at {repo} ({NOTES} of them `docs/note-N.md`); the "
        f"{len(callers.splitlines())} roots that define an MWAA environment (themselves or "
        f"through a module) call `terraform/modules/{SHARED_MODULE}`",
        "",
        f"Commands from the repository's top, alternating, {runs} runs each, medians; "
        f"the ratio is against the last row of each table. Measured: `{shown}`",
        "",
    ]
    if not with_all:
        lines += [
            f"`{ALL}` is not in `iacplan check --help` at this commit: its rows are left out "
            "(without it, the check evaluates every root anyway).",
            "",
        ]

    # a. One root changed.
    root, old, new = one_root(repo)
    tfvars = repo / root / "terraform.tfvars"
    tfvars.write_text(tfvars.read_text().replace(f'"{old}"', f'"{new}"'), encoding="utf-8")
    cases = {"one root changed": Case(check, repo)}
    if with_all:
        cases[f"one root changed, {ALL}"] = Case([*check, ALL], repo)
    cases["cold, that root alone"] = Case([*iacplan, str(root)], repo)
    print(f"a. {root}/terraform.tfvars: {old} -> {new}", flush=True)
    try:
        measured, _ = alternate(cases, runs)
    finally:
        git(repo, "checkout", "-q", "--", str(root))
    one, peer = measured["one root changed"], measured["cold, that root alone"]
    rows = [HEADER, _row("`--base-ref main`", one, peer)]
    if with_all:
        rows.append(_row(f"`--base-ref main {ALL}`", measured[f"one root changed, {ALL}"], peer))
    rows.append(_row(f"`iacplan check --format json {root}` (cold, no git)", peer, None))
    lines += [
        f"### a. One root changed: `{root}/terraform.tfvars`, airflow_version {old} → {new}",
        "",
        *_table(rows),
        "",
        _target("one-root change / cold root", one.median / peer.median, 6),
        f"Load (1 min): {_loads(list(measured.values()))}.",
        "",
    ]

    # b. The shared module changed.
    module = repo / "terraform" / "modules" / SHARED_MODULE / "main.tf"
    module.write_text(module.read_text().replace("cc-1234", "cc-5678"), encoding="utf-8")
    cases = {"shared module changed": Case(check, repo)}
    if with_all:
        cases[f"shared module changed, {ALL}"] = Case([*check, ALL], repo)
    print(f"b. terraform/modules/{SHARED_MODULE}/main.tf: a tag's value", flush=True)
    try:
        measured, _ = alternate(cases, runs)
    finally:
        git(repo, "checkout", "-q", "--", str(module.relative_to(repo)))
    changed = measured["shared module changed"]
    lines += [
        f"### b. The shared module changed: `terraform/modules/{SHARED_MODULE}/main.tf`, "
        "one tag's value",
        "",
    ]
    if with_all:
        everything = measured[f"shared module changed, {ALL}"]
        rows = [HEADER, _row("`--base-ref main`", changed, everything)]
        rows.append(_row(f"`--base-ref main {ALL}`", everything, None))
        target = _target("without / with --all", changed.median / everything.median, 1)
    else:
        rows = [HEADER, _row("`--base-ref main`", changed, None)]
        target = f"Target (no slower than `{ALL}`): not measurable without `{ALL}`."
    lines += [*_table(rows), "", target, f"Load (1 min): {_loads([*measured.values()])}.", ""]

    # c. 300 unrelated files, blobless clone against full clone.
    missing: dict[Path, int] = {}

    def cloned(where: Path, *options: str) -> Callable[[], None]:
        def prepare() -> None:
            # --no-checkout: `main`'s files are never checked out, as in CI's checkout of a PR.
            shutil.rmtree(where, ignore_errors=True)
            clone = ["git", "clone", "-q", "--no-checkout", *options, "--no-local"]
            subprocess.run([*clone, f"file://{repo}", str(where)], check=True)
            git(where, "checkout", "-q", "pr")
            objects = git(where, "rev-list", "--objects", "--missing=print", "--no-walk", "main")
            missing[where] = sum(line.startswith("?") for line in objects.splitlines())

        return prepare

    against = [*iacplan, "--base-ref", "origin/main", "terraform", "cloudformation"]
    blobless, full = top / "clone-blobless", top / "clone-full"
    cases = {
        "blobless clone": Case(
            against, blobless, cloned(blobless, "--filter=blob:none"), top / "trace-blobless"
        ),
        "full clone": Case(against, full, cloned(full), top / "trace-full"),
    }
    print(f"c. branch pr ({NOTES} notes changed) in a blobless and a full clone", flush=True)
    measured, most = alternate(cases, runs)
    thin, thick = measured["blobless clone"], measured["full clone"]
    clone = f"git clone --no-local file://{repo}"
    rows = [
        [*HEADER, "blobs of main missing", "git fetch"],
        _row(
            f"`{clone} --filter=blob:none`",
            thin,
            thick,
            str(missing[blobless]),
            str(most["blobless clone"]),
        ),
        _row(f"`{clone}`", thick, None, str(missing[full]), str(most["full clone"])),
    ]
    lines += [
        f"### c. {NOTES} unrelated files changed (branch `pr`), `--base-ref origin/main` in a "
        "fresh clone",
        "",
        "Each run clones (`--no-checkout`) and checks out `pr` first, not timed; then "
        "`main`'s blobs missing from the clone are counted (`rev-list --missing=print`), and "
        "`git fetch` is the most fetch processes one timed check started (GIT_TRACE2_EVENT).",
        "",
        *_table(rows),
        "",
        _target("blobless / full clone", thin.median / thick.median, 2),
        f"Load (1 min): {_loads([thin, thick])}.",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--trees", type=Path, default=Path("/tmp/iacplan-bench"))
    here = Path(sys.executable).parent / "iacplan"
    parser.add_argument(
        "--iacplan", default=str(here) if here.exists() else shutil.which("iacplan") or "iacplan"
    )
    args = parser.parse_args()
    lines = pr_block([args.iacplan, "check", "--format", "json"], args.runs, args.trees / "pr")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
