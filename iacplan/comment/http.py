"""A small JSON-over-HTTPS client on the standard library.

urllib rather than requests: four endpoints do not justify a dependency in every CI image, and
the client must control exactly where the token goes: it is sent only in a header that is never
forwarded on a redirect (redirects are refused), only to the API's own origin (a pagination
link elsewhere is refused), and every message is scrubbed of it."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

from iacplan import __version__
from iacplan.comment.sticky import Comment
from iacplan.errors import InputError

MAX_RETRIES = 3  # per request, for rate limits and server errors
MAX_WAIT = 60.0  # seconds: a longer rate-limit wait ends the run with a message instead
MAX_PAGES = 100
TIMEOUT = 30.0
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')

# Looked up at each use, so tests replace them: a rate-limit wait must not slow the suite.
sleep: Callable[[float], None] = time.sleep
clock: Callable[[], float] = time.time


class ApiError(InputError):
    """The API refused or could not be reached: one line, exit 2, never the token."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status, when the API answered one


class NotPosted(ApiError):
    """The API refused to write (403): the token may read but not comment, as the read-only
    token of a pull request from a fork. Exit 3, so that CI can tell it from a broken setup
    (exit 2) and warn instead of failing the job."""

    exit_code = 3


@dataclass(frozen=True)
class Response:
    status: int
    headers: Message
    data: Any


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx is reported as an error: the token never follows a redirect


@dataclass
class Api:
    """One API root (`https://api.github.com`, `https://gitlab.example.com/api/v4`)."""

    base_url: str
    token: str
    auth_header: tuple[str, str]  # (name, value), the value holding the token
    service: str  # "GitHub", "GitLab": how messages name it
    token_hint: str  # where the token comes from, for a 401
    extra_headers: dict[str, str] = field(default_factory=dict)
    _opener: urllib.request.OpenerDirector = field(
        default_factory=lambda: urllib.request.build_opener(_NoRedirect)
    )

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def call(self, method: str, url: str, payload: Any = None) -> Response:
        """The response to a request, after bounded retries on rate limits and 5xx."""
        self._same_origin(url)
        for attempt in range(MAX_RETRIES + 1):
            response = self._send(method, url, payload)
            wait = self._wait(response, attempt)
            if wait is None:
                break
            if attempt == MAX_RETRIES:
                raise ApiError(
                    f"{self.service}: still refused after {MAX_RETRIES} retries "
                    f"({response.status} {self._message(response)}); try again later"
                )
            sleep(wait)
        if response.status == 403:
            raise NotPosted(self._error(method, response), response.status)
        if response.status >= 300:
            raise ApiError(self._error(method, response), response.status)
        return response

    def pages(self, url: str) -> Iterator[Any]:
        """Every item of a paginated listing, following the `Link: <…>; rel="next"` header."""
        next_url: str | None = url
        for _ in range(MAX_PAGES):
            if next_url is None:
                return
            response = self.call("GET", next_url)
            if not isinstance(response.data, list):
                raise ApiError(f"{self.service}: a listing answered something else than a list")
            yield from response.data
            found = _NEXT.search(response.headers.get("Link", ""))
            next_url = found[1] if found else None
        raise ApiError(f"{self.service}: more than {MAX_PAGES} pages of comments; giving up")

    def _send(self, method: str, url: str, payload: Any) -> Response:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(url, data=data, method=method)
        for name, value in {
            "Accept": "application/json",
            "User-Agent": f"iacplan/{__version__}",
            **self.extra_headers,
        }.items():
            request.add_header(name, value)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        request.add_unredirected_header(*self.auth_header)
        try:
            with self._opener.open(request, timeout=TIMEOUT) as answer:
                return Response(answer.status, answer.headers, _json(answer.read()))
        except urllib.error.HTTPError as exc:
            with exc:
                return Response(exc.code, exc.headers, _json(exc.read()))
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ApiError(
                self._scrub(f"{self.service}: cannot reach {self.base_url}: {reason}")
            ) from None

    def _wait(self, response: Response, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when the response is final."""
        headers = response.headers
        limited = response.status == 429 or (
            response.status == 403
            and (
                headers.get("X-RateLimit-Remaining") == "0"
                or "Retry-After" in headers
                or "rate limit" in self._message(response).lower()
            )
        )
        if not limited:
            return 2.0**attempt if response.status in (502, 503, 504) else None
        if (after := _number(headers.get("Retry-After"))) is not None:
            wait = after
        elif (
            reset := _number(headers.get("X-RateLimit-Reset") or headers.get("RateLimit-Reset"))
        ) is not None:
            wait = max(reset - clock(), 0.0) + 1.0
        else:
            wait = MAX_WAIT  # GitHub: wait at least a minute when no header says how long
        if wait > MAX_WAIT:
            raise ApiError(
                f"{self.service}: rate limit reached; it resets in {wait:.0f} s, longer than "
                f"iacplan waits ({MAX_WAIT:.0f} s): run again later"
            )
        return wait

    def _error(self, method: str, response: Response) -> str:
        message = self._message(response)
        if response.status == 401:
            return f"{self.service}: the token was refused (401 {message}): check {self.token_hint}"
        if response.status == 403:
            return (
                f"{self.service}: permission denied (403 {message}): not posted, the token "
                "cannot write comments on this pull request (GitHub Actions: `permissions: "
                "pull-requests: write`, and a pull request from a fork gets a read-only token; "
                "GitLab: a token with the api scope)"
            )
        if response.status == 404:
            return (
                f"{self.service}: not found (404 {message}): check the repository (project) and "
                "pull request (merge request) number, and that the token can see them"
            )
        if 300 <= response.status < 400:
            return (
                f"{self.service}: {method} answered a redirect ({response.status}), which iacplan "
                "does not follow: check the API URL and the repository name"
            )
        return f"{self.service}: {method} answered {response.status}: {message}"

    def _message(self, response: Response) -> str:
        data = response.data
        text = data.get("message", "") if isinstance(data, dict) else ""
        return self._scrub(" ".join(str(text).split())[:200])

    def _scrub(self, text: str) -> str:
        return text.replace(self.token, "***") if self.token else text

    def _same_origin(self, url: str) -> None:
        base, target = urlsplit(self.base_url), urlsplit(url)
        if (base.scheme, base.netloc) != (target.scheme, target.netloc):
            raise ApiError(
                f"{self.service}: refusing to send the token to {target.scheme}://{target.netloc} "
                f"(the API is {base.scheme}://{base.netloc})"
            )


def user_name(me: Any, key: str, service: str) -> str:
    """The token's own user name in the answer to `GET /user`."""
    name = me.get(key) if isinstance(me, dict) else None
    if not isinstance(name, str) or not name:
        raise ApiError(f"{service}: GET /user named no user: pass --author LOGIN")
    return name


def comment_in(item: Any, author: tuple[str, str], service: str) -> Comment:
    """A comment (GitHub) or note (GitLab) in an API answer; `author`: the keys of its
    writer's name (`("user", "login")`, `("author", "username")`)."""
    if not isinstance(item, dict) or not isinstance(item.get("id"), int):
        raise ApiError(f"{service}: a comment without an id in the answer")
    body, user = item.get("body"), item.get(author[0])
    name = user.get(author[1]) if isinstance(user, dict) else None
    return Comment(
        item["id"], body if isinstance(body, str) else "", name if isinstance(name, str) else ""
    )


def _json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
