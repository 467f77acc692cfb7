from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from forge import Forge, serve
from helpers import write_tree

TreeMaker = Callable[..., Path]


@pytest.fixture
def tree(tmp_path: Path) -> TreeMaker:
    """Write a small Terraform tree under tmp_path: tree({"main.tf": "..."}, sub="head")."""

    def make(files: dict[str, str | bytes], sub: str = "t") -> Path:
        return write_tree(tmp_path / sub, files)

    return make


@pytest.fixture
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No global git config; temporary directories where the test can count them."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    return temp


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        help="Rewrite tests/render/goldens from the current output (review the diff by eye).",
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


FAKE_TOKEN = "ghp_FAKEt0ken4iacplanTESTS0nly"


@pytest.fixture
def forge(monkeypatch: pytest.MonkeyPatch) -> Iterator[Forge]:
    """The loopback GitHub/GitLab imitation (tests/forge.py), reached without any proxy."""
    for name in (
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    fake = Forge(FAKE_TOKEN)
    server, thread = serve(fake)
    yield fake
    server.shutdown()
    server.server_close()
    thread.join()
