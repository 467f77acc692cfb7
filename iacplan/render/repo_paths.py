"""Report paths (relative to the working directory, or absolute) as paths from the repository
root, which code scanning and workflow annotations expect. The root is the git working tree's
top (`git rev-parse --show-toplevel`), else the current directory."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from iacplan.inputs.revision import toplevel


@dataclass(frozen=True)
class RepoPaths:
    root: Path
    cwd: Path

    @classmethod
    def here(cls) -> RepoPaths:
        cwd = Path(os.path.realpath(Path.cwd()))
        top = toplevel(cwd)
        return cls(Path(os.path.realpath(top)) if top else cwd, cwd)

    def relative(self, file: str) -> str | None:
        """`file` relative to the root, with /; None when it is outside the root."""
        if not file:
            return None
        absolute = Path(os.path.normpath(self.cwd / file))
        if not absolute.is_relative_to(self.root):
            return None
        return PurePosixPath(absolute.relative_to(self.root)).as_posix()
