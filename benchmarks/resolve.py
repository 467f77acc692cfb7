"""Time `iacplan check --resolve` on a realistic 30-line requirements file against a local
wheel mirror: the first run (empty cache: the constraints come from a mirror over HTTP on the
loopback interface) and the cached run (the mirror is gone; the constraints come from the
cache), against the same check without --resolve.

    python benchmarks/resolve.py                 # 5 runs of each, figures into RESULTS.md
    python benchmarks/resolve.py --runs 3 --no-write

pip reads only the mirror (`PIP_NO_INDEX`, `PIP_FIND_LINKS`, no configuration file): no network.
The wheels are tiny (one empty module each) with the dependency graph of a real Airflow
deployment's requirements: 30 requirement lines, about 110 projects in the resolution, a
constraints file of 700 pins like Airflow's. So the figures are pip's resolver and iacplan's
own work, not download time.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))
from wheelhouse import offline_environment, wheel  # noqa: E402

MARKERS = ("<!-- resolve:start -->", "<!-- resolve:end -->")
HEAD, BASE, PYTHON = "2.10.3", "2.9.2", "3.11"

# What a data team's requirements.txt on MWAA holds: providers, clients, data libraries.
TOP = [
    "apache-airflow-providers-snowflake", "apache-airflow-providers-databricks",
    "apache-airflow-providers-slack", "apache-airflow-providers-postgres",
    "apache-airflow-providers-mysql", "apache-airflow-providers-sftp",
    "apache-airflow-providers-http", "apache-airflow-providers-google",
    "apache-airflow-providers-microsoft-azure", "apache-airflow-providers-datadog",
    "snowflake-connector-python", "databricks-sql-connector", "pandas", "numpy", "pyarrow",
    "requests", "boto3", "great-expectations", "dbt-core", "dbt-snowflake", "sqlalchemy",
    "pydantic", "jinja2", "pyyaml", "tenacity", "python-dateutil", "pendulum", "jsonschema",
    "paramiko", "openpyxl",
]  # fmt: skip


def build(root: Path) -> tuple[Path, Path]:
    """The wheel mirror and the constraints mirror; the same bytes for every run."""
    rng = random.Random(21)
    wheels, mirror = root / "wheels", root / "mirror"
    pool = [f"lib-{i:03d}" for i in range(80)]  # the libraries the top projects share
    pins: dict[str, str] = {}
    for name in pool:
        earlier = pool[: pool.index(name)]  # no cycles
        deps = [f"{d}>=1.0" for d in rng.sample(earlier, min(2, len(earlier)))]
        for minor in range(3):
            wheel(wheels, name, f"1.{minor}", deps if minor else ())
        pins[name] = f"1.{rng.randrange(3)}"
    airflow_deps = [f"{d}>=1.0" for d in pool[:25]]
    for version in (BASE, HEAD):
        wheel(wheels, "apache-airflow", version, airflow_deps)
    for name in TOP:
        deps = [f"{d}>=1.0" for d in rng.sample(pool, 3)]
        if name.startswith("apache-airflow-providers-"):
            deps.append("apache-airflow>=2.8.0")
        for minor in range(4):
            wheel(wheels, name, f"2.{minor}.0", deps)
        pins[name] = "2.2.0"
    pins.update({f"filler-{i:03d}": "1.0.0" for i in range(700 - len(pins))})  # Airflow's ~700
    for airflow in (HEAD, BASE):
        # The base version's constraints pin the top projects one release older.
        older = {name: "2.1.0" for name in TOP} if airflow == BASE else {}
        path = mirror / f"constraints-{airflow}" / f"constraints-{PYTHON}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"{name}=={older.get(name, v)}" for name, v in sorted(pins.items())]
        path.write_text("# constraints\n" + "\n".join(lines) + "\n")
    return wheels, mirror


def trees(root: Path) -> None:
    requirements = [
        f'--constraint "https://raw.githubusercontent.com/apache/airflow/constraints-{HEAD}/'
        f'constraints-{PYTHON}.txt"'
    ]
    requirements += [
        f"{name}>=2.0" if i % 3 else f"{name}" for i, name in enumerate(TOP)
    ]  # 31 lines: the constraints line and 30 requirements
    for side, version in (("base", BASE), ("head", HEAD)):
        folder = root / side
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "main.tf").write_text(
            'resource "aws_mwaa_environment" "main" {\n'
            '  name = "analytics"\n'
            f'  airflow_version = "{version}"\n'
            '  requirements_s3_path = "requirements.txt"\n'
            "}\n"
        )
    (root / "head" / "requirements.txt").write_text("\n".join(requirements) + "\n")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


def serve(mirror: Path) -> tuple[str, ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(mirror)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


def timed(command: list[str], environment: dict[str, str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, env=environment, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"iacplan failed ({done.returncode}): {done.stderr}")
    return elapsed, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="print, do not edit RESULTS.md")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="iacplan-resolve-bench-"))
    wheels, mirror = build(root)
    trees(root)
    base = offline_environment(os.environ, wheels)
    base["IACPLAN_TODAY"] = "2026-10-20"
    iacplan = [sys.executable, "-m", "iacplan", "check", "--base", "base", "head"]
    report = ["--format", "json", "--fail-on", "never"]
    plain, first, cached = [], [], []
    outcome = ""
    for run in range(args.runs):
        environment = {**base, "IACPLAN_CACHE_DIR": str(root / f"cache-{run}")}
        plain.append(timed([*iacplan, *report], environment, root)[0])
        url, server = serve(mirror)
        resolve = [*iacplan, "--resolve", "--constraints-mirror", url, *report]
        seconds, out = timed(resolve, environment, root)
        first.append(seconds)
        server.shutdown()
        server.server_close()  # the cached run has no mirror to ask
        seconds, again = timed(resolve, environment, root)
        cached.append(seconds)
        if again != out:
            raise SystemExit("the cached run's report differs from the first run's")
        outcome = _outcome(out)
    pip_runs = _pip_alone(root, [*iacplan, "--constraints-mirror", url], report, environment)
    load = os.getloadavg()[0]
    lines = [
        f"Requirements: 30 lines (`{TOP[0]}`, … `{TOP[-1]}`), {outcome}; constraints of 700 "
        f"pins; pip {_pip_version()} on Python {sys.version.split()[0]}; {args.runs} runs each, "
        f"medians; 1-minute load average {load:.1f} on {os.cpu_count()} cores.",
        "",
        "| run | median | min | max |",
        "|---|---|---|---|",
        _row("`check` without --resolve", plain),
        _row("`--resolve`, first run (constraints over HTTP, empty cache)", first),
        _row("`--resolve`, cached run (no mirror reachable)", cached),
        "",
        f"What --resolve adds: {statistics.median(first) - statistics.median(plain):.2f} s on the "
        f"first run, {statistics.median(cached) - statistics.median(plain):.2f} s cached (two "
        "pip runs, head and base version, in parallel with each other and with the rest of the "
        f"check). Each pip run alone (timed by a wrapper, one cached run): "
        f"{', '.join(f'{s:.2f} s' for s in pip_runs)}.",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        _write(text)


def _pip_alone(
    root: Path, iacplan: list[str], report: list[str], environment: dict[str, str]
) -> list[float]:
    """How long each pip run of a cached run takes, from an interpreter wrapper."""
    log = root / "pip-times"
    wrapper = root / "timed-python"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'start=$(date +%s.%N); "{sys.executable}" "$@"; code=$?\n'
        f'case "$*" in *" install "*) echo "$start $(date +%s.%N)" >> "{log}";; esac\n'
        "exit $code\n"
    )
    wrapper.chmod(0o755)
    timed(
        [*iacplan, "--resolve", *report],
        {**environment, "IACPLAN_RESOLVE_PYTHON": str(wrapper)},
        root,
    )
    pairs = [line.split() for line in log.read_text().splitlines()]
    return sorted(float(end) - float(start) for start, end in pairs)


def _row(label: str, seconds: list[float]) -> str:
    return (
        f"| {label} | {statistics.median(seconds):.2f} s | {min(seconds):.2f} s | "
        f"{max(seconds):.2f} s |"
    )


def _outcome(report: str) -> str:
    import json

    resolution = json.loads(report)["environments"][0]["resolution"]
    return (
        f"outcome `{resolution['outcome']}`, {len(resolution['packages'])} packages resolved, "
        f"{len(resolution['changes'] or [])} changing from {BASE}"
    )


def _pip_version() -> str:
    from importlib.metadata import version

    return version("pip")


def _write(text: str) -> None:
    results = HERE / "RESULTS.md"
    content = results.read_text(encoding="utf-8")
    start, end = MARKERS
    if start not in content:
        content += (
            "\n## `--resolve`: pip's resolver on a 30-line requirements file\n\n"
            "Reproduce with `python benchmarks/resolve.py` (a local wheel mirror, no network).\n\n"
            f"{start}\n{end}\n"
        )
    head, rest = content.split(start, 1)
    _, tail = rest.split(end, 1)
    results.write_text(f"{head}{start}\n{text}\n{end}{tail}", encoding="utf-8")


if __name__ == "__main__":
    main()
