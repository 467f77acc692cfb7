"""SIGTERM treated as Ctrl-C while iacplan holds something to clean up."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Terminated(KeyboardInterrupt):
    """SIGTERM, unwinding like Ctrl-C; the command line then exits 143 (128 + SIGTERM), as a
    process killed by it would."""

    exit_code = 128 + signal.SIGTERM


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated("SIGTERM")


@contextmanager
def terminated_as_interrupt() -> Iterator[None]:
    """CI cancels with SIGTERM, `timeout` sends it: unwind like Ctrl-C, so that child processes
    are stopped and temporary files (a plan with its secrets in clear, a revision's tree) are
    removed instead of left behind."""
    if threading.current_thread() is not threading.main_thread():  # only it may set handlers
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
