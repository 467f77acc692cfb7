"""One comment per (pull request, target), found again by a hidden marker on its first line:

    <!-- iacplan:comment target=infra run=2025-06-01T12:00:00Z -->

`run` is when the run's input was made (see `run_time`): a run never replaces a comment that
a later run wrote, so a slow job for an old push cannot hide the result of a newer one.

Only comments written by the identity iacplan posts as are found again: anyone can write the
marker, and trusting it from others would let them keep a forged result or have iacplan edit
or delete their comment."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from iacplan.errors import InputError

TOOL = "iacplan"
_MARKER = re.compile(rf"\A<!-- {TOOL}:comment target=(?P<target>\S+) run=(?P<run>\S+) -->\r?\n")
_TARGET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@-]*")


class Behavior(StrEnum):
    UPDATE = "update"  # edit the comment in place
    NEW = "new"  # a new comment every run; earlier ones stay
    DELETE_AND_NEW = "delete-and-new"  # a new comment at the bottom; earlier ones deleted


@dataclass(frozen=True)
class Comment:
    id: int
    body: str
    author: str  # the login (GitHub) or username (GitLab) that wrote it


def same_author(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()  # logins are case-insensitive on both forges


class Comments(Protocol):
    """The comments of one pull request (merge request) on one forge."""

    def identity(self) -> str: ...
    def list(self) -> list[Comment]: ...
    def create(self, body: str) -> Comment: ...
    def update(self, comment_id: int, body: str) -> None: ...
    def delete(self, comment_id: int) -> None: ...


@dataclass(frozen=True)
class Marked:
    comment: Comment
    target: str
    run: datetime
    content: str  # the body without the marker


def check_target(target: str) -> str:
    if not _TARGET.fullmatch(target) or "--" in target:
        raise InputError(
            f"--target {target!r}: use letters, digits and . _ / : @ - (no spaces, no '--')"
        )
    return target


def parse_time(text: str, what: str) -> datetime:
    """An ISO 8601 time, in UTC (a time without zone is taken as UTC)."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"{what} {text!r} is not an ISO 8601 time") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).replace(microsecond=0)


def stamp(run: datetime) -> str:
    """A run time as markers and messages show it: UTC, to the second."""
    return run.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def marked(content: str, target: str, run: datetime) -> str:
    return f"<!-- {TOOL}:comment target={target} run={stamp(run)} -->\n{content}"


def read_marker(comment: Comment) -> Marked | None:
    """The comment as ours, or None (anyone else's, or a reply quoting ours: `> <!--…`)."""
    found = _MARKER.match(comment.body)
    if found is None:
        return None
    try:
        run = parse_time(found["run"], "marker time")
    except InputError:
        return None
    return Marked(comment, found["target"], run, comment.body[found.end() :])


def publish(
    comments: Comments,
    content: str,
    target: str,
    run: datetime,
    behavior: Behavior,
    author: str | None = None,
) -> str:
    """Create, update or leave the target's comment; what was done, in a few words. Only
    comments by `author` (default: the token's user, asked only when a marker is found) count."""
    found = [m for c in comments.list() if (m := read_marker(c)) and m.target == target]
    me = (author or comments.identity()) if found else ""
    ours = [m for m in found if same_author(m.comment.author, me)]
    if ours:
        newest = max(ours, key=lambda m: m.run)
        if newest.run > run:
            return (
                f"left comment {newest.comment.id} as it is: it is from a later run "
                f"({stamp(newest.run)}) than this one ({stamp(run)})"
            )
        # UPDATE keeps the oldest in its place (duplicates from two first runs at once are
        # left alone); DELETE_AND_NEW compares with the last one posted.
        kept = min(ours, key=lambda m: m.comment.id)
        last = max(ours, key=lambda m: m.comment.id)
        shown = kept if behavior is Behavior.UPDATE else last
        if behavior is not Behavior.NEW and _same(shown.content, content):
            return f"comment {shown.comment.id} is up to date: nothing written"
        if behavior is Behavior.UPDATE:
            comments.update(kept.comment.id, marked(content, target, run))
            return f"updated comment {kept.comment.id}"
        if behavior is Behavior.DELETE_AND_NEW:
            for old in ours:
                comments.delete(old.comment.id)
    return f"created comment {comments.create(marked(content, target, run)).id}"


def withdraw(comments: Comments, target: str, run: datetime, author: str | None = None) -> str:
    """Post nothing, and delete the target's earlier comments of ours: for a run with nothing
    to say (no version change, no finding). A comment from a later run is left alone."""
    found = [m for c in comments.list() if (m := read_marker(c)) and m.target == target]
    me = (author or comments.identity()) if found else ""
    ours = [m for m in found if same_author(m.comment.author, me)]
    if not ours:
        return "nothing to report: no comment posted"
    newest = max(ours, key=lambda m: m.run)
    if newest.run > run:
        return (
            f"left comment {newest.comment.id} as it is: it is from a later run "
            f"({stamp(newest.run)}) than this one ({stamp(run)})"
        )
    for old in ours:
        comments.delete(old.comment.id)
    ids = ", ".join(str(m.comment.id) for m in sorted(ours, key=lambda m: m.comment.id))
    return f"nothing to report: deleted comment {ids}"


def _same(a: str, b: str) -> bool:
    """Bodies compared as the forge may store them (CRLF, trailing white space)."""

    def norm(text: str) -> str:
        return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip()

    return norm(a) == norm(b)
