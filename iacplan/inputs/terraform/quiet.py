"""The evaluator's own log lines, kept off stderr.

Trivy's evaluator (inside tfparse) logs to file descriptor 2 at level INFO what it skips, e.g.
`level=INFO msg="unknown block type" type=removed` for Terraform 1.7's `removed` blocks, which
iacplan reads itself. Such lines are no message for the user. While the evaluator runs, fd 2 is
a temporary file; afterwards every line but the evaluator's INFO and DEBUG lines is written to
the real stderr, so a warning or an error of its own still shows.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

_CHATTER = re.compile(rb"^time=\S+ level=(?:INFO|DEBUG) ")


@contextmanager
def evaluator_logs_filtered() -> Iterator[None]:
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all: nothing to keep clean
        yield
        return
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = [line for line in captured if not _CHATTER.match(line)]
            if kept:
                with os.fdopen(os.dup(2), "wb") as stderr:
                    stderr.writelines(kept)
