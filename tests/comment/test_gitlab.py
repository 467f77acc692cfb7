"""`iacplan comment gitlab` against the loopback GitLab (tests/forge.py): the same sticky
behaviours as on GitHub, through the merge request notes API and GitLab CI's variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FAKE_TOKEN
from forge import GITLAB_MR, GITLAB_PROJECT, Forge
from helpers import Run, iacplan
from iacplan.comment import http

NOTES = f"/api/v4/projects/acme%2Finfra/merge_requests/{GITLAB_MR}/notes"
T1, T2 = "2025-06-01T10:00:00Z", "2025-06-01T11:00:00Z"


@pytest.fixture(autouse=True)
def gitlab_ci(forge: Forge, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    monkeypatch.setenv("GITLAB_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("CI_API_V4_URL", f"{forge.url}/api/v4")
    monkeypatch.setenv("CI_PROJECT_PATH", GITLAB_PROJECT)
    monkeypatch.delenv("CI_PROJECT_ID", raising=False)
    monkeypatch.setenv("CI_MERGE_REQUEST_IID", str(GITLAB_MR))
    monkeypatch.setenv("CI_PIPELINE_CREATED_AT", T1)
    waits: list[float] = []
    monkeypatch.setattr(http, "sleep", waits.append)
    return waits


def post(tmp_path: Path, text: str, *args: str) -> Run:
    (tmp_path / "plan.md").write_text(text, encoding="utf-8")
    run = iacplan("comment", "gitlab", "--markdown", tmp_path / "plan.md", *args)
    assert FAKE_TOKEN not in run.stdout + run.stderr
    return run


def test_creates_then_updates_one_note(
    forge: Forge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forge.add("added 1 commit", system=True)
    first = post(tmp_path, "v1\n")
    assert first.exit_code == 0, first.stderr
    assert forge.writes() == [("POST", NOTES)]
    assert forge.requests[-1].headers["Private-Token"] == FAKE_TOKEN
    assert "Authorization" not in forge.requests[-1].headers
    (ours,) = [i for i, c in forge.comments.items() if not c["system"]]
    assert forge.comments[ours]["body"] == f"<!-- iacplan:comment target=default run={T1} -->\nv1\n"
    monkeypatch.setenv("CI_PIPELINE_CREATED_AT", T2)
    assert post(tmp_path, "v2\n").exit_code == 0
    assert forge.writes()[1:] == [("PUT", f"{NOTES}/{ours}")]
    assert post(tmp_path, "v2\n").exit_code == 0  # unchanged: no write
    assert len(forge.writes()) == 2
    assert f"{GITLAB_PROJECT}!{GITLAB_MR}" in first.stdout


def test_an_older_pipeline_does_not_overwrite_a_newer_one(
    forge: Forge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI_PIPELINE_CREATED_AT", T2)
    post(tmp_path, "newer\n")
    monkeypatch.setenv("CI_PIPELINE_CREATED_AT", T1)
    late = post(tmp_path, "older\n", "--behavior", "delete-and-new")
    assert "from a later run" in late.stdout
    assert [m for m, _ in forge.writes()] == ["POST"]


def test_targets_pages_and_delete_and_new(forge: Forge, tmp_path: Path) -> None:
    forge.page_size = 1
    forge.add("review comment")
    post(tmp_path, "a\n", "--target", "a")
    post(tmp_path, "b\n", "--target", "b")
    post(tmp_path, "a again\n", "--target", "a", "--behavior", "delete-and-new", "--run-time", T2)
    assert [m for m, _ in forge.writes()] == ["POST", "POST", "DELETE", "POST"]
    assert sorted(forge.bodies()) == sorted(
        [
            "review comment",
            f"<!-- iacplan:comment target=b run={T1} -->\nb\n",
            f"<!-- iacplan:comment target=a run={T2} -->\na again\n",
        ]
    )


def test_errors(forge: Forge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    forge.queue(401, {}, {"message": "401 Unauthorized"})
    run = post(tmp_path, "x\n")
    assert run.exit_code == 2 and "GitLab: the token was refused" in run.stderr
    assert "check GITLAB_TOKEN" in run.stderr
    monkeypatch.setenv("CI_PROJECT_PATH", "acme/other")
    run = post(tmp_path, "x\n")
    assert run.exit_code == 2 and "GitLab: not found (404" in run.stderr
    monkeypatch.delenv("CI_MERGE_REQUEST_IID")
    run = post(tmp_path, "x\n")
    assert run.exit_code == 2 and "no merge request: pass --mr IID" in run.stderr
    monkeypatch.delenv("GITLAB_TOKEN")
    run = post(tmp_path, "x\n", "--mr", "7")
    assert run.exit_code == 2 and "no GitLab token" in run.stderr


def test_a_token_that_may_not_write_is_not_posted_exit_3(forge: Forge, tmp_path: Path) -> None:
    forge.queue(200, {}, [])  # the listing
    forge.queue(403, {}, {"message": "403 Forbidden"})
    run = post(tmp_path, "x\n")
    assert run.exit_code == 3
    assert "GitLab: permission denied (403 403 Forbidden): not posted" in run.stderr


def test_rate_limit(forge: Forge, tmp_path: Path, gitlab_ci: list[float]) -> None:
    forge.queue(429, {"Retry-After": "3"}, {"message": "Retry later"})
    assert post(tmp_path, "x\n").exit_code == 0
    assert gitlab_ci == [3.0]


def test_a_note_by_someone_else_with_the_marker_is_ignored(forge: Forge, tmp_path: Path) -> None:
    forged = "<!-- iacplan:comment target=default run=2999-01-01T00:00:00Z -->\nallowed\n"
    other = forge.add(forged, author="mallory")
    mine = forge.add(f"<!-- iacplan:comment target=default run={T1} -->\nold\n")
    run = post(tmp_path, "blocked\n", "--behavior", "delete-and-new", "--run-time", T2)
    assert run.exit_code == 0, run.stderr
    assert forge.writes() == [("DELETE", f"{NOTES}/{mine}"), ("POST", NOTES)]
    assert forge.comments[other]["body"] == forged
    assert any(r.path == "/api/v4/user" for r in forge.requests)


def test_a_listing_item_that_is_not_a_note_is_a_clean_error(forge: Forge, tmp_path: Path) -> None:
    forge.queue(200, {}, ["not a note"])
    run = post(tmp_path, "v1\n")
    assert run.exit_code == 2
    assert run.stderr.startswith("iacplan: error: GitLab: a comment without an id"), run.stderr
