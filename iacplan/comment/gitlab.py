"""GitLab: the notes of a merge request, with GitLab CI's defaults (`CI_API_V4_URL`,
`CI_PROJECT_ID`, `CI_MERGE_REQUEST_IID`, `CI_PIPELINE_CREATED_AT`); the token from
`GITLAB_TOKEN` (a project, group or personal access token with the api scope: CI_JOB_TOKEN
cannot write notes)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from iacplan.comment.http import Api, comment_in, user_name
from iacplan.comment.sticky import Comment, parse_time
from iacplan.errors import InputError

DEFAULT_API = "https://gitlab.com/api/v4"
LIMIT = 1_000_000  # characters GitLab accepts in a note


@dataclass
class GitLabNotes:
    api: Api
    project: str  # the id, or the path (URL-encoded here)
    mr: int

    def _notes(self) -> str:
        return self.api.url(
            f"/projects/{quote(self.project, safe='')}/merge_requests/{self.mr}/notes"
        )

    def identity(self) -> str:
        return user_name(self.api.call("GET", self.api.url("/user")).data, "username", "GitLab")

    def list(self) -> list[Comment]:
        url = self._notes() + "?per_page=100&sort=asc&order_by=created_at"
        # System notes ("added 1 commit") are GitLab's own, never ours.
        return [
            _note(item)
            for item in self.api.pages(url)
            if not (isinstance(item, dict) and item.get("system"))
        ]

    def create(self, body: str) -> Comment:
        return _note(self.api.call("POST", self._notes(), {"body": body}).data)

    def update(self, comment_id: int, body: str) -> None:
        self.api.call("PUT", f"{self._notes()}/{comment_id}", {"body": body})

    def delete(self, comment_id: int) -> None:
        self.api.call("DELETE", f"{self._notes()}/{comment_id}")


@dataclass(frozen=True)
class Settings:
    api_url: str
    project: str
    mr: int
    token: str
    run: datetime | None  # when the pipeline was created; None: the caller's clock


def settings(
    project: str | None,
    mr: int | None,
    api_url: str | None,
    environ: Mapping[str, str] = os.environ,
) -> Settings:
    """Flags win over GitLab CI's variables."""
    token = environ.get("GITLAB_TOKEN")
    if not token:
        raise InputError(
            "no GitLab token: set GITLAB_TOKEN to an access token with the api scope "
            "(CI_JOB_TOKEN cannot write merge request notes)"
        )
    project = project or environ.get("CI_PROJECT_ID") or environ.get("CI_PROJECT_PATH")
    if not project:
        raise InputError("no GitLab project: pass --project ID_OR_PATH (default $CI_PROJECT_ID)")
    iid = environ.get("CI_MERGE_REQUEST_IID", "")
    number = mr or (int(iid) if iid.isdigit() else None)
    if not number:
        raise InputError(
            "no merge request: pass --mr IID (default $CI_MERGE_REQUEST_IID, set in merge "
            "request pipelines)"
        )
    created = environ.get("CI_PIPELINE_CREATED_AT")
    run = parse_time(created, "CI_PIPELINE_CREATED_AT") if created else None
    api = (api_url or environ.get("CI_API_V4_URL") or DEFAULT_API).rstrip("/")
    return Settings(api, project, number, token, run)


def notes(found: Settings) -> GitLabNotes:
    api = Api(found.api_url, found.token, ("PRIVATE-TOKEN", found.token), "GitLab", "GITLAB_TOKEN")
    return GitLabNotes(api, found.project, found.mr)


def _note(item: Any) -> Comment:
    return comment_in(item, ("author", "username"), "GitLab")
