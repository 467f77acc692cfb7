"""SIGTERM (a cancelled CI job, `timeout`) unwinds like Ctrl-C while iacplan holds something to
clean up, and the previous handler is back afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from iacplan.runtime.signals import terminated_as_interrupt


def test_sigterm_inside_the_block_unwinds_it_and_the_handler_is_restored() -> None:
    before = signal.getsignal(signal.SIGTERM)
    cleaned = []
    with pytest.raises(KeyboardInterrupt), terminated_as_interrupt():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # interrupted long before
        finally:
            cleaned.append(True)
    assert cleaned == [True]
    assert signal.getsignal(signal.SIGTERM) is before


def test_the_handler_is_restored_when_the_block_ends_normally() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with terminated_as_interrupt():
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before


def test_outside_the_main_thread_nothing_is_changed() -> None:
    """Only the main thread may set handlers: a worker thread's block runs as it is."""
    before = signal.getsignal(signal.SIGTERM)
    seen: list[object] = []

    def work() -> None:
        with terminated_as_interrupt():
            seen.append(signal.getsignal(signal.SIGTERM))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=10)
    assert seen == [before]


def test_a_terminated_process_removes_what_it_wrote(tmp_path: Path) -> None:
    """As in `iacplan terraform`: a plan file (with secrets in clear) is removed on SIGTERM."""
    secret = tmp_path / "tfplan"
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from iacplan.runtime.signals import terminated_as_interrupt\n"
        "plan = Path(sys.argv[1])\n"
        "try:\n"
        "    with terminated_as_interrupt():\n"
        "        plan.write_text('secret')\n"
        "        try:\n"
        "            print('ready', flush=True)\n"
        "            time.sleep(60)\n"
        "        finally:\n"
        "            plan.unlink()\n"
        "except KeyboardInterrupt:\n"
        "    print('unwound', flush=True)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(secret)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    try:
        assert child.stdout.readline() == "ready\n"
        assert secret.exists()
        child.terminate()
        assert child.stdout.read() == "unwound\n"
        assert child.wait(timeout=30) == 0
    finally:
        child.kill()
        child.wait()
    assert not secret.exists()
