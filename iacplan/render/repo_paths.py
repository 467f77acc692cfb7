"""Report paths (relative to the working directory, or absolute) as paths from the repository
root, which code scanning, workflow annotations and file links expect. The caller finds the
root (git's working tree top, else the current directory): nothing here runs a process."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


@dataclass(frozen=True)
class RepoPaths:
    root: Path
    cwd: Path

    def relative(self, file: str) -> str | None:
        """`file` relative to the root, with /; None when it is outside the root."""
        if not file:
            return None
        absolute = Path(os.path.normpath(self.cwd / file))
        if not absolute.is_relative_to(self.root):
            return None
        return PurePosixPath(absolute.relative_to(self.root)).as_posix()
