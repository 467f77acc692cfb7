"""A loopback imitation of the GitHub and GitLab comment endpoints iacplan uses.

A real HTTP server (ThreadingHTTPServer on 127.0.0.1, an ephemeral port, in a thread) keeps
comments in memory, pages its listings with Link headers, checks the token, and records every
request so tests can assert on what iacplan sent. `queue` makes the next requests answer a
given status (rate limits, 401, 5xx) before the normal handling resumes. Comments carry their
author (GitHub's `user.login`, GitLab's `author.username`); `/user` names the token's user, or
answers 403 as it does to GitHub Actions' GITHUB_TOKEN when `login` is None."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

GITHUB_REPO = "acme/infra"
GITHUB_PR = 7
GITLAB_PROJECT = "acme/infra"  # sent URL-encoded: acme%2Finfra
GITLAB_MR = 7
BOT = "iacplan-bot"  # the user the test token belongs to


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Forge:
    token: str
    page_size: int = 100
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    queued: list[tuple[int, dict[str, str], Any]] = field(default_factory=list)
    next_id: int = 1000
    url: str = ""
    login: str | None = BOT  # None: GET /user is forbidden; posts are then github-actions[bot]'s

    def add(self, body: str, system: bool = False, author: str | None = None) -> int:
        """A comment by `author` (default: the token's own user)."""
        self.next_id += 1
        name = author or self.login or "github-actions[bot]"
        self.comments[self.next_id] = {
            "id": self.next_id,
            "body": body,
            "system": system,
            "user": {"login": name, "type": "Bot" if name.endswith("[bot]") else "User"},
            "author": {"username": name},
        }
        return self.next_id

    def queue(self, status: int, headers: dict[str, str] | None = None, body: Any = None) -> None:
        self.queued.append((status, headers or {}, body))

    def writes(self) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r in self.requests if r.method != "GET"]

    def bodies(self) -> list[str]:
        return [c["body"] for c in self.comments.values()]

    # -- routing -----------------------------------------------------------------------------

    def handle(self, request: Request) -> tuple[int, dict[str, str], Any]:
        if self.queued:
            return self.queued.pop(0)
        github = request.headers.get("Authorization") == f"Bearer {self.token}"
        gitlab = request.headers.get("Private-Token") == self.token
        if not (github or gitlab):
            return 401, {}, {"message": "Bad credentials"}
        routes = [
            (r"/user", self._user),
            (r"/api/v4/user", self._user),
            (rf"/repos/{GITHUB_REPO}/issues/{GITHUB_PR}/comments", self._listing),
            (r"/repos/" + GITHUB_REPO + r"/issues/comments/(\d+)", self._one),
            (rf"/api/v4/projects/acme%2Finfra/merge_requests/{GITLAB_MR}/notes", self._listing),
            (r"/api/v4/projects/acme%2Finfra/merge_requests/7/notes/(\d+)", self._one),
        ]
        for pattern, route in routes:
            found = re.fullmatch(pattern, request.path)
            if found:
                return route(request, *found.groups())
        return 404, {}, {"message": "Not Found"}

    def _listing(self, request: Request) -> tuple[int, dict[str, str], Any]:
        if request.method == "POST":
            new = self.add(request.body["body"])
            return 201, {}, self.comments[new]
        if request.method != "GET":
            return 405, {}, {"message": "Method Not Allowed"}
        page = int(request.query.get("page", ["1"])[0])
        items = list(self.comments.values())
        start = (page - 1) * self.page_size
        headers = {}
        if start + self.page_size < len(items):
            query = "&".join(f"{k}={v[0]}" for k, v in request.query.items() if k != "page")
            headers["Link"] = f'<{self.url}{request.path}?{query}&page={page + 1}>; rel="next"'
        return 200, headers, items[start : start + self.page_size]

    def _user(self, request: Request) -> tuple[int, dict[str, str], Any]:
        if self.login is None:
            return 403, {}, {"message": "Resource not accessible by integration"}
        return 200, {}, {"login": self.login, "username": self.login, "type": "User"}

    def _one(self, request: Request, comment_id: str) -> tuple[int, dict[str, str], Any]:
        number = int(comment_id)
        if number not in self.comments:
            return 404, {}, {"message": "Not Found"}
        if self.comments[number]["author"]["username"] != (self.login or "github-actions[bot]"):
            return 403, {}, {"message": "Must have admin rights to Repository."}
        if request.method in ("PATCH", "PUT"):
            self.comments[number]["body"] = request.body["body"]
            return 200, {}, self.comments[number]
        if request.method == "DELETE":
            del self.comments[number]
            return 204, {}, None
        return 405, {}, {"message": "Method Not Allowed"}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _serve(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        request = Request(
            self.command,
            split.path,
            parse_qs(split.query),
            {k.title(): v for k, v in self.headers.items()},
            json.loads(raw) if raw else None,
        )
        forge = self.server.forge
        with self.server.lock:
            forge.requests.append(request)
            status, headers, body = forge.handle(request)
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests look at forge.requests


class _Server(ThreadingHTTPServer):
    forge: Forge
    lock: threading.Lock


def serve(forge: Forge) -> tuple[_Server, threading.Thread]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.forge = forge
    server.lock = threading.Lock()
    forge.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    return server, thread
