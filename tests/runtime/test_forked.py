"""A job in a forked child: the child prepared at the start of a run takes the first job, a job
that cannot be sent goes to a fresh fork, and no child outlives its run."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from helpers import all_ended


def script(body: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`body` in a fresh interpreter: children are forked only where tfparse was never loaded."""
    code = "import os, time\nfrom iacplan.runtime import forked\n" + body
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **env},
    )


def test_the_prepared_child_takes_the_first_job_and_a_fresh_fork_the_next() -> None:
    run = script(
        "forked.prepare('json')\n"
        "prepared = forked._prepared.pid\n"
        "first = forked.run(('pid', os.getpid, ()), None)\n"
        "second = forked.run(('pid', os.getpid, ()), None)\n"
        "print(first == prepared, second not in (prepared, os.getpid()))\n"
    )
    assert run.stdout == "True True\n", run.stderr


def test_a_job_that_cannot_be_pickled_goes_to_a_fresh_fork() -> None:
    run = script(
        "forked.prepare()\n"
        "prepared = forked._prepared.pid\n"
        "ran = forked.run(('pid', lambda: os.getpid(), ()), None)\n"
        "print(ran not in (prepared, os.getpid()))\n"
    )
    assert run.stdout == "True\n", run.stderr


@pytest.mark.parametrize(
    ("job", "told"),
    [
        ("('sleep', time.sleep, (60,)), 0.5", "TimedOut"),
        ("('exit', os._exit, (3,)), None", "Crashed"),
        ("('int', int, ('x',)), None", "ValueError"),
    ],
)
def test_what_goes_wrong_in_the_prepared_child_is_told(job: str, told: str) -> None:
    run = script(
        "forked.prepare()\n"
        "try:\n"
        f"    forked.run({job})\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, forked._prepared)\n"
    )
    assert run.stdout == f"{told} None\n", run.stderr


@pytest.mark.parametrize("how", ["discarded", "left for the end of the run"])
def test_a_prepared_child_given_no_job_does_not_outlive_the_run(how: str) -> None:
    end = "forked.discard()\n" if how == "discarded" else ""
    run = script(f"forked.prepare('json')\nprint(forked._prepared.pid, flush=True)\n{end}")
    assert all_ended([int(run.stdout)])


def test_nothing_is_prepared_when_the_run_must_stay_in_one_process() -> None:
    run = script("forked.prepare()\nprint(forked._prepared)\n", IACPLAN_WORKERS="1")
    assert run.stdout == "None\n", run.stderr
