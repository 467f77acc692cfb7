"""Independent units of work (Terraform roots, templates) spread over worker processes.

Evaluating roots and linting templates is most of a run on a big tree, and a machine has
cores to spare. Terraform roots are also evaluated apart from the main process whenever
possible, even a single one: the evaluator (Go, through tfparse) may run for ever on a huge
count or crash on odd input, and a worker can be stopped after a time limit and its crash
reported as one line. Workers are forked: cheap, and they inherit what is already imported.
Go's runtime does not survive a fork, so roots are sent to workers only while tfparse is not
loaded in this process (the main process of a run never loads it). A single root goes to one
child (`iacplan.runtime.forked`), which the `iacplan` command may have forked at its start.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from iacplan.errors import InputError
from iacplan.inputs import confine, files
from iacplan.runtime import forked, limits
from iacplan.runtime.signals import terminated_as_interrupt

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor
    from multiprocessing.context import BaseContext

Shared = TypeVar("Shared")
Item = TypeVar("Item")
Result = TypeVar("Result")

# Below this many units a pool costs more than it saves (unless the work must be isolated).
MIN_UNITS = 8
# A worker's memory grows with each unit (the evaluator's heap, the files it read and parsed):
# after this many units per worker, fresh workers are forked. Measured on 850 Terraform roots
# with 2 workers: peak 353 MB never recycled; 237 MB at 100, 210 MB at 50, 188 MB at 20 (and
# 10% slower).
ITEMS_PER_WORKER = 50


def workers() -> int:
    """How many processes work at once: IACPLAN_WORKERS, else the cores this process may use.
    IACPLAN_WORKERS=1 turns the workers off: everything runs in this process, with no time
    limit on the evaluator."""
    configured = os.environ.get("IACPLAN_WORKERS", "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError as exc:
            raise InputError(f"IACPLAN_WORKERS={configured!r}: not a number") from exc
    return forked.cores()


# What every item of the current run_all shares (a tree's call graph, say): forked workers
# inherit it instead of receiving a copy with each item.
_shared: object = None


def run_all(
    function: Callable[[Shared, Item], Result],
    shared: Shared,
    items: Sequence[Item],
    describe: Callable[[Item], str],
    isolate: bool = False,
) -> list[Result]:
    """`function(shared, item)` for each item, in order. `isolate` asks for worker processes
    and the time limit even for one item (the Terraform evaluator); `describe` names an item
    in errors."""
    global _shared
    count = min(workers(), len(items))
    # (multiprocessing and concurrent.futures cost 20 ms to import: only when used)
    forkable = sys.platform != "win32" and "tfparse" not in sys.modules
    pooled = (
        forkable
        and not forked.one_process()
        and (isolate or (count > 1 and len(items) >= MIN_UNITS))
    )
    if not items or not pooled:
        return [function(shared, item) for item in items]
    timeout = limits.current().evaluation_timeout if isolate else None
    # A SIGTERM unwinds through the code below, which stops the child processes it started.
    with terminated_as_interrupt():
        if len(items) == 1:  # a pool's start costs about 50 ms, a bare fork a few
            return [_alone(function, shared, items[0], timeout, describe)]
        forked.discard()
        import gc
        import multiprocessing

        _shared = shared
        fork = multiprocessing.get_context("fork")
        # What this process holds is left alone by the collector from here on, so the workers
        # keep sharing its pages instead of each copying them (counting references writes to
        # objects, collecting writes to every tracked one). Measured: a third less memory on
        # many templates.
        gc.freeze()
        results: list[Result] = []
        batch = count * ITEMS_PER_WORKER
        try:
            for start in range(0, len(items), batch):
                chunk = items[start : start + batch]
                results += _pooled(function, chunk, count, fork, timeout, describe)
        finally:
            gc.unfreeze()
        return results


def _pooled(
    function: Callable[[Shared, Item], Result],
    items: Sequence[Item],
    count: int,
    fork: BaseContext,
    timeout: float | None,
    describe: Callable[[Item], str],
) -> list[Result]:
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(
        count, mp_context=fork, initializer=_start_worker, initargs=(limits.current(), os.getpid())
    )
    futures: list[Future[Result]] = [pool.submit(_call, function, item) for item in items]
    try:
        return [_result(f, item, timeout, describe) for f, item in zip(futures, items, strict=True)]
    finally:
        _stop(pool)


def _alone(
    function: Callable[[Shared, Item], Result],
    shared: Shared,
    item: Item,
    timeout: float | None,
    describe: Callable[[Item], str],
) -> Result:
    try:
        result: Result = forked.run(
            (describe(item), _unit, (function, shared, item, _state())), timeout
        )
    except forked.TimedOut:
        raise _timed_out(describe(item), timeout) from None
    except forked.Crashed:
        raise _crashed(describe(item)) from None
    return result


_State = tuple[limits.Limits, tuple[tuple[Path, Path], ...], tuple[Path | None, frozenset[Path]]]


def _state() -> _State:
    """What this process set that a unit reads: a child forked at the start of the run (see
    `forked.prepare`) has not got it. Whatever else of the kind a unit comes to read belongs
    here too (tests/sources/test_parallel.py compares such runs with one process)."""
    return limits.current(), files.shown_paths(), (confine.current(), confine.named())


def _unit(
    function: Callable[[Shared, Item], Result], shared: Shared, item: Item, state: _State
) -> Result:
    applied, shown, (root, named) = state
    limits.set_current(applied)
    confine.set_current(root, named)
    with ExitStack() as stack:
        for actual, display in shown:
            stack.enter_context(files.shown_as(actual, display))
        return function(shared, item)


def _call(function: Callable[[Shared, Item], Result], item: Item) -> Result:
    return function(_shared, item)  # type: ignore[arg-type]


def _start_worker(applied: limits.Limits, parent: int) -> None:
    limits.set_current(applied)
    forked.as_worker(parent)


def _result(
    future: Future[Result], item: Item, timeout: float | None, describe: Callable[[Item], str]
) -> Result:
    from concurrent.futures import TimeoutError as FutureTimeout
    from concurrent.futures.process import BrokenProcessPool

    try:
        return future.result(timeout=timeout)
    except FutureTimeout:
        raise _timed_out(describe(item), timeout) from None
    except BrokenProcessPool as exc:
        # Every unit left in a broken pool fails alike: the one that broke it is not known.
        raise _crashed(f"{describe(item)} (or a unit evaluated beside it)") from exc


def _timed_out(what: str, timeout: float | None) -> InputError:
    return InputError(
        f"{what}: evaluation did not end within {timeout:g} s (a count or for_each with very "
        f"many instances?) ({limits.how_to_raise('evaluation_timeout')})"
    )


def _crashed(what: str) -> InputError:
    return InputError(
        f"{what}: the process evaluating it ended abruptly (a crash of the Terraform "
        "evaluator on this input, or too little memory)"
    )


def _stop(pool: ProcessPoolExecutor) -> None:
    """Shut the pool down without waiting for a worker still at work (one past its time)."""
    processes = list(getattr(pool, "_processes", {}).values())  # no public way to stop them
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.kill()
    for process in processes:
        process.join()
    if manager is not None:  # the next batch must not fork while its thread still runs
        manager.join(timeout=5)
