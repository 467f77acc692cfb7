"""What a renderer is given besides the report: computed by the caller before rendering, so
every renderer stays a pure function of (report, context) and never runs a process.

- `paths`: how report paths (relative to the working directory of the run) map to paths from
  the repository root; the caller asks git for the root.
- `blob_url` / `run_url`: links to a file at the commit and to the CI run, from the CI's
  variables (GitHub Actions, GitLab CI); none outside CI, and then no links are drawn.
- `colour`, `verbose`, `width`, `groups`: how text is laid out (groups: GitHub Actions folds
  `::group::` blocks in its log)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from iacplan.render.repo_paths import RepoPaths


class ColourChoice(StrEnum):
    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


def _here() -> RepoPaths:
    cwd = Path.cwd()
    return RepoPaths(cwd, cwd)


@dataclass(frozen=True)
class Context:
    paths: RepoPaths = field(default_factory=_here)
    blob_url: str | None = None  # ".../blob/<sha>": a file link is f"{blob_url}/{path}#L{line}"
    run_url: str | None = None
    colour: bool = False
    verbose: bool = False
    width: int = 100
    groups: bool = False  # fold plans with ::group:: (GitHub Actions)

    def file_url(self, file: str, line: int) -> str | None:
        """A link to `file` at `line` at the commit; None without CI or outside the repo."""
        if self.blob_url is None:
            return None
        relative = self.paths.relative(file)
        if relative is None:
            return None
        anchor = f"#L{line}" if line >= 1 else ""
        return f"{self.blob_url}/{_quote(relative)}{anchor}"

    def shown_path(self, file: str) -> str:
        """A report path as a reader finds it: from the repository root when known."""
        return self.paths.relative(file) or file


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/-._~@+")


def ci_links(environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(blob_url, run_url) from GitHub Actions' or GitLab CI's variables, where set."""
    server = environ.get("GITHUB_SERVER_URL", "").rstrip("/")
    repo = environ.get("GITHUB_REPOSITORY", "")
    sha = environ.get("GITHUB_SHA", "")
    if server and repo:
        blob = f"{server}/{repo}/blob/{sha}" if sha else None
        run_id = environ.get("GITHUB_RUN_ID", "")
        run = f"{server}/{repo}/actions/runs/{run_id}" if run_id else None
        return blob, run
    project = environ.get("CI_PROJECT_URL", "").rstrip("/")
    if project:
        commit = environ.get("CI_COMMIT_SHA", "")
        blob = f"{project}/-/blob/{commit}" if commit else None
        return blob, environ.get("CI_JOB_URL") or None
    return None, None


def colour_wanted(choice: ColourChoice, environ: Mapping[str, str], tty: bool) -> bool:
    """--color: `auto` follows NO_COLOR (any value turns colour off), then FORCE_COLOR and
    CLICOLOR_FORCE (any value but 0 turns it on: CI logs are not terminals but show colour),
    then whether the output is a terminal."""
    if choice is not ColourChoice.AUTO:
        return choice is ColourChoice.ALWAYS
    if environ.get("NO_COLOR"):
        return False
    for name in ("FORCE_COLOR", "CLICOLOR_FORCE"):
        value = environ.get(name)
        if value is not None and value not in ("0", "false"):
            return True
    return tty and environ.get("TERM") != "dumb"
