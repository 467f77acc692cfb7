"""How paths appear in reports and messages."""

from __future__ import annotations

import os
from pathlib import Path


def display_path(path: Path) -> str:
    """Relative to the working directory when below it, else absolute; always with /."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return absolute.as_posix()
