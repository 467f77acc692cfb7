from __future__ import annotations

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
