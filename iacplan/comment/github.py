"""GitHub: the issue-comments endpoints of a pull request, with GitHub Actions' defaults
(`GITHUB_TOKEN`, `GITHUB_REPOSITORY`, `GITHUB_EVENT_PATH`, `GITHUB_API_URL`)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from iacplan.comment.http import Api, ApiError, comment_in, user_name
from iacplan.comment.sticky import Comment, parse_time
from iacplan.errors import InputError

DEFAULT_API = "https://api.github.com"
LIMIT = 65_536  # characters GitHub accepts in a comment body
# Who the Actions GITHUB_TOKEN posts as; GET /user answers 403 to that token.
ACTIONS_BOT = "github-actions[bot]"
_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


@dataclass
class GitHubComments:
    api: Api
    repo: str
    pr: int

    def identity(self) -> str:
        try:
            me = self.api.call("GET", self.api.url("/user")).data
        except ApiError as exc:
            if exc.status == 403:
                return ACTIONS_BOT
            raise
        return user_name(me, "login", "GitHub")

    def list(self) -> list[Comment]:
        url = self.api.url(f"/repos/{self.repo}/issues/{self.pr}/comments?per_page=100")
        return [_comment(item) for item in self.api.pages(url)]

    def create(self, body: str) -> Comment:
        url = self.api.url(f"/repos/{self.repo}/issues/{self.pr}/comments")
        return _comment(self.api.call("POST", url, {"body": body}).data)

    def update(self, comment_id: int, body: str) -> None:
        url = self.api.url(f"/repos/{self.repo}/issues/comments/{comment_id}")
        self.api.call("PATCH", url, {"body": body})

    def delete(self, comment_id: int) -> None:
        self.api.call("DELETE", self.api.url(f"/repos/{self.repo}/issues/comments/{comment_id}"))


@dataclass(frozen=True)
class Settings:
    api_url: str
    repo: str
    pr: int
    token: str
    run: datetime | None  # from the event; None: the caller's clock


def settings(
    repo: str | None,
    pr: int | None,
    api_url: str | None,
    environ: Mapping[str, str] = os.environ,
) -> Settings:
    """Flags win over GitHub Actions' variables and event."""
    token = environ.get("GITHUB_TOKEN") or environ.get("GH_TOKEN")
    if not token:
        raise InputError(
            "no GitHub token: set GITHUB_TOKEN (in a workflow: "
            "`env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}`)"
        )
    repo = repo or environ.get("GITHUB_REPOSITORY")
    if not repo or not _REPO.fullmatch(repo):
        raise InputError(
            f"--repo {repo or '(none)'}: expected OWNER/NAME (default $GITHUB_REPOSITORY)"
        )
    event = _event(environ.get("GITHUB_EVENT_PATH"))
    pull = event.get("pull_request") or event.get("issue") or {}
    number = pr or pull.get("number") or event.get("number")
    if not isinstance(number, int) or number < 1:
        raise InputError(
            "no pull request number: pass --pr N (the GitHub event in $GITHUB_EVENT_PATH names "
            "none: run on pull_request events)"
        )
    updated = pull.get("updated_at")
    run = parse_time(updated, "the event's updated_at") if isinstance(updated, str) else None
    return Settings(
        (api_url or environ.get("GITHUB_API_URL") or DEFAULT_API).rstrip("/"),
        repo,
        number,
        token,
        run,
    )


def comments(found: Settings) -> GitHubComments:
    api = Api(
        found.api_url,
        found.token,
        ("Authorization", f"Bearer {found.token}"),
        "GitHub",
        "GITHUB_TOKEN",
        {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"},
    )
    return GitHubComments(api, found.repo, found.pr)


def _event(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as file:
            event = json.load(file)
    except (OSError, ValueError) as exc:
        raise InputError(
            f"{path}: cannot read the GitHub event ($GITHUB_EVENT_PATH): {exc}"
        ) from exc
    return event if isinstance(event, dict) else {}


def _comment(item: Any) -> Comment:
    return comment_in(item, ("user", "login"), "GitHub")
