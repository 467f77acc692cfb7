"""The run's surroundings that outputs need, found once before rendering: the repository root
(git, for paths from the root and file links) and the CI's variables (links to the commit and
the run). The renderers get the result and never look for it themselves."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from iacplan.render.context import ColourChoice, Context, ci_links, colour_wanted
from iacplan.render.repo_paths import RepoPaths


def repo_paths() -> RepoPaths:
    """Paths from the git working tree's top, else from the current directory."""
    from iacplan.inputs.revision import toplevel

    cwd = Path(os.path.realpath(Path.cwd()))
    top = toplevel(cwd)
    return RepoPaths(Path(os.path.realpath(top)) if top else cwd, cwd)


def context(
    formats: set[str],
    colour: ColourChoice = ColourChoice.AUTO,
    tty: bool = False,
    verbose: bool = False,
    width: int = 100,
    environ: Mapping[str, str] | None = None,
) -> Context:
    """The context for rendering `formats`. git is asked for the root only when a format
    shows paths from it (annotations, SARIF, JUnit) or links to files."""
    env = os.environ if environ is None else environ
    blob, run = ci_links(env)
    wants_root = bool(formats & {"github", "sarif", "junit"}) or (
        blob is not None and bool(formats & {"markdown", "text"})
    )
    cwd = Path.cwd()
    return Context(
        paths=repo_paths() if wants_root else RepoPaths(cwd, cwd),
        blob_url=blob,
        run_url=run,
        colour=colour_wanted(colour, env, tty),
        verbose=verbose,
        width=width,
        groups=env.get("GITHUB_ACTIONS") == "true",
    )
