"""Stand-ins for the AWS account in tests, all on 127.0.0.1: a small MWAA API server (moto has
no MWAA backend) and the environment that points boto3 at it with fake credentials."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

# Looks like a real secret key, so a test can tell it never reaches any output.
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLETOKENdGhpcyBpcyBub3QgYSByZWFsIHRva2Vu"


def fake_credentials(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Fake credentials in the environment and nothing else from this machine: no AWS config
    files, no instance metadata (its address is not loopback), no endpoint or region."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATESTINGEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


class FakeMwaa:
    """Answers GET /environments/{Name} and GET /environments with the shapes of botocore's
    mwaa 2020-07-01 model, and the errors a test sets: {name: (status, code, message)}."""

    def __init__(self) -> None:
        self.environments: dict[str, dict[str, Any]] = {}
        self.errors: dict[str, tuple[int, str, str]] = {}  # "*" answers ListEnvironments
        self.requests: list[tuple[str, str]] = []  # (path, Host header)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def add(
        self,
        name: str,
        version: str = "2.9.2",
        status: str = "AVAILABLE",
        bucket: str = "airflow-src",
        **extra: Any,
    ) -> dict[str, Any]:
        env = {
            "Name": name,
            "Arn": f"arn:aws:airflow:eu-west-1:123456789012:environment/{name}",
            "Status": status,
            "AirflowVersion": version,
            "CreatedAt": 1767225600,
            "SourceBucketArn": f"arn:aws:s3:::{bucket}",
            "DagS3Path": "dags",
            "ExecutionRoleArn": "arn:aws:iam::123456789012:role/mwaa",
            "EnvironmentClass": "mw1.small",
            "LastUpdate": {"Status": "SUCCESS", "CreatedAt": 1767229200, "Source": "Customer"},
            **extra,
        }
        self.environments[name] = env
        return env

    @contextmanager
    def running(self) -> Iterator[FakeMwaa]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join()

    def _answer(self, path: str) -> tuple[int, dict[str, str], dict[str, Any]]:
        answer: dict[str, Any] | None
        if path == "/environments":
            name, answer = "*", {"Environments": sorted(self.environments)}
        elif path.startswith("/environments/"):
            name = unquote(path.removeprefix("/environments/"))
            env = self.environments.get(name)
            answer = {"Environment": env} if env is not None else None
        else:
            return _error(404, "UnknownOperationException", path)
        if name in self.errors:
            return _error(*self.errors[name])
        if answer is None:
            return _error(404, "ResourceNotFoundException", f"Environment {name} not found")
        return 200, {}, answer

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                fake.requests.append((path, self.headers.get("Host", "")))
                status, headers, body = fake._answer(path)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        return Handler


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, str], dict[str, Any]]:
    # AccessDeniedException's member is `Message`; the others' is `message`.
    field = "Message" if code == "AccessDeniedException" else "message"
    return status, {"x-amzn-ErrorType": code}, {field: message}
