"""SIGTERM treated as Ctrl-C while iacplan holds something to clean up."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def terminated_as_interrupt() -> Iterator[None]:
    """CI cancels with SIGTERM, `timeout` sends it: unwind like Ctrl-C, so that child processes
    are stopped and temporary files (a plan with its secrets in clear, a revision's tree) are
    removed instead of left behind."""
    if threading.current_thread() is not threading.main_thread():  # only it may set handlers
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
