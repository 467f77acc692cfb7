"""One job in a forked child process, its outcome pickled back through a pipe.

The Terraform evaluator runs so even for a single root (see `sources.parallel`): the child
can be stopped after a time limit, and its crash is one line. The child's start (importing
tfparse, Go's runtime) is a third of a small run, so the `iacplan` command forks it before it
imports the rest of iacplan (`prepare`): on two cores the two starts overlap, and the prepared
child waits for its job, which comes pickled. This module is imported that early: it imports
nothing of iacplan before a job is run. (Its import of typing delays the fork by ~20 ms;
avoiding it was measured to change nothing: the child is still ready before it is needed.)
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    # What it is (for errors), a function, its arguments.
    Job = tuple[str, Callable[..., Any], tuple[Any, ...]]


class _Child:
    """A forked child: its pid, the pipe its outcome comes through, and the pipe its job goes
    through (None once it has its job: inherited, or sent)."""

    __slots__ = ("job", "outcome", "pid")

    def __init__(self, pid: int, outcome: int, job: int | None) -> None:
        self.pid, self.outcome, self.job = pid, outcome, job


_prepared: _Child | None = None
_meanwhile: list[str] = []


def one_process() -> bool:
    """IACPLAN_WORKERS=1: everything in the main process, nothing forked."""
    return os.environ.get("IACPLAN_WORKERS", "").strip() == "1"


def cores() -> int:
    """The cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def prepare(*modules: str) -> None:
    """Fork now the child that will run the next job, importing `modules` while it waits. Only
    with a core to spare: on one the two starts would take turns, and nothing is gained."""
    global _prepared
    if _prepared is None and hasattr(os, "fork") and cores() > 1 and not one_process():
        _prepared = _start(modules, None)


def discard() -> None:
    """Stop the prepared child: the run went another way (workers forked now must not inherit
    its pipe, nor share the machine with it)."""
    global _prepared
    if _prepared is not None:
        child, _prepared = _prepared, None
        _end(child, kill=True)


def meanwhile(*modules: str) -> None:
    """Modules the run needs after its next job: imported while that job's child works, when
    the main process would only wait for it. (A run that forks no child imports them where
    it uses them.)"""
    _meanwhile[:] = modules


def run(job: Job, timeout: float | None) -> Any:
    """A job, `function(*args)`, in a child: the prepared one if the job can be sent to it,
    else a new fork, which inherits the job. Raises what the function raised; `TimedOut`
    after `timeout` seconds; `Crashed` when the child ended without an outcome."""
    import importlib
    import pickle
    import select

    global _prepared
    child, _prepared = _prepared, None
    if child is not None:
        child = _handed(child, job)
    if child is None:
        child = _start((), job)
    deadline = None if timeout is None else time.monotonic() + timeout
    chunks: list[bytes] = []
    finished = False
    try:
        while _meanwhile:
            importlib.import_module(_meanwhile.pop(0))
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([child.outcome], [], [], left)[0]:
                raise TimedOut
            chunk = os.read(child.outcome, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        finished = True
    finally:  # a time limit passed, or an interrupt: the child must not outlive the run
        _end(child, kill=not finished)
    try:
        ok, value = pickle.loads(b"".join(chunks))
    except Exception:  # nothing, or a part: the child died on the way (a crash, out of memory)
        raise Crashed from None
    if not ok:
        raise value
    return value


class TimedOut(Exception):
    """The job did not end within its time limit; the child was stopped."""


class Crashed(Exception):
    """The child ended without an outcome."""


def as_worker(parent: int) -> None:
    """Interrupts are the main process's to handle: it stops its workers itself (and a worker
    that unwound would print a traceback of its own). A main process killed outright (SIGKILL,
    out of memory) cannot: its children would run on or wait for ever, so Linux is asked to
    kill them with it."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform == "linux":
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before this process could ask
        os._exit(1)


def _start(modules: tuple[str, ...], job: Job | None) -> _Child:
    outcome_read, outcome_write = os.pipe()
    job_read, job_write = os.pipe() if job is None else (-1, None)
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: never returns, and never runs the parent's exit handlers
        try:
            os.close(outcome_read)
            if job_write is not None:
                os.close(job_write)
            as_worker(parent)
            _serve(modules, job, job_read, outcome_write)
        finally:
            os._exit(0)
    os.close(outcome_write)
    if job is None:
        os.close(job_read)
    return _Child(pid, outcome_read, job_write)


def _serve(modules: tuple[str, ...], job: Job | None, job_read: int, outcome_write: int) -> None:
    import importlib
    import pickle
    from contextlib import suppress

    for module in modules:
        with suppress(Exception):  # the job imports it again, and its error is told then
            importlib.import_module(module)
    if job is None:
        with os.fdopen(job_read, "rb") as pipe:
            data = pipe.read()
        if not data:  # the run ended, or went another way
            return
        job = pickle.loads(data)
    what, function, args = job
    try:
        outcome: tuple[bool, object] = (True, function(*args))
    except Exception as exc:  # carried to the parent, which raises it
        outcome = (False, exc)
    try:
        data = pickle.dumps(outcome)
    except Exception as exc:  # what cannot travel is told as text
        told = f"{what}: {outcome[1]!r:.1000} (cannot be pickled: {exc})"
        data = pickle.dumps((False, RuntimeError(told)))
    with os.fdopen(outcome_write, "wb") as pipe:
        pipe.write(data)


def _handed(child: _Child, job: Job) -> _Child | None:
    """The prepared child, given its job; None, and the child stopped, when the job cannot be
    pickled (a lambda: only a fork carries it) or the child is gone."""
    import pickle

    assert child.job is not None
    try:
        data = memoryview(pickle.dumps(job))
        while data:
            data = data[os.write(child.job, data) :]
    except Exception:  # pickling fails with several types; BrokenPipeError: it is gone
        _end(child, kill=True)
        return None
    os.close(child.job)  # the end of the job: the child starts it
    child.job = None
    return child


def _end(child: _Child, kill: bool) -> None:
    if child.job is not None:
        os.close(child.job)
    os.close(child.outcome)
    if kill:
        import signal

        os.kill(child.pid, signal.SIGKILL)
    os.waitpid(child.pid, 0)
