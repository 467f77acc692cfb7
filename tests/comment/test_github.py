"""`iacplan comment github` against the loopback GitHub (tests/forge.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FAKE_TOKEN, TreeMaker
from forge import GITHUB_PR, GITHUB_REPO, Forge
from helpers import SAMPLES, Run, iacplan, mwaa
from iacplan.comment import github, http
from iacplan.comment.http import Api, ApiError

COMMENTS = f"/repos/{GITHUB_REPO}/issues/{GITHUB_PR}/comments"
# A versioned source bucket: an unchanged environment with no finding at all.
BUCKET = (
    'resource "aws_s3_bucket_versioning" "b" {\n  bucket = "b"\n'
    '  versioning_configuration {\n    status = "Enabled"\n  }\n}\n'
)
T1, T2, T3 = "2025-06-01T10:00:00Z", "2025-06-01T11:00:00Z", "2025-06-01T12:00:00Z"


@pytest.fixture(autouse=True)
def actions(forge: Forge, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[float]:
    """GitHub Actions' variables, pointing at the loopback server; waits recorded, not slept."""
    for name in ("GITHUB_EVENT_PATH", "GH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", GITHUB_REPO)
    monkeypatch.setenv("GITHUB_API_URL", forge.url)
    waits: list[float] = []
    monkeypatch.setattr(http, "sleep", waits.append)
    monkeypatch.setattr(http, "clock", lambda: 1_700_000_000.0)
    return waits


def post(tmp_path: Path, text: str, *args: str, run: str = T1) -> Run:
    markdown = tmp_path / "plan.md"
    markdown.write_text(text, encoding="utf-8")
    # An option given twice is refused: a test's own --run-time replaces the default one.
    run_time = () if "--run-time" in args else ("--run-time", run)
    result = iacplan(
        "comment", "github", "--markdown", markdown, "--pr", str(GITHUB_PR), *run_time, *args
    )
    assert FAKE_TOKEN not in result.stdout + result.stderr
    return result


def test_first_run_creates_then_later_runs_update_the_same_comment(
    forge: Forge, tmp_path: Path
) -> None:
    forge.add("LGTM")  # someone else's comment stays untouched
    first = post(tmp_path, "## plan v1\n", run=T1)
    assert first.exit_code == 0, first.stderr
    assert forge.writes() == [("POST", COMMENTS)]
    created = forge.requests[-1].body["body"]
    assert created == f"<!-- iacplan:comment target=default run={T1} -->\n## plan v1\n"
    (ours,) = [i for i, c in forge.comments.items() if c["body"] == created]
    assert f"created comment {ours}" in first.stdout

    second = post(tmp_path, "## plan v2\n", run=T2)
    assert second.exit_code == 0, second.stderr
    assert forge.writes()[1:] == [("PATCH", f"/repos/{GITHUB_REPO}/issues/comments/{ours}")]
    assert forge.comments[ours]["body"].endswith("## plan v2\n")
    assert T2 in forge.comments[ours]["body"] and len(forge.comments) == 2
    assert forge.bodies()[0] == "LGTM"
    # The token went only in the Authorization header, on every request.
    assert all(r.headers["Authorization"] == f"Bearer {FAKE_TOKEN}" for r in forge.requests)
    assert all(r.headers["X-Github-Api-Version"] == "2022-11-28" for r in forge.requests)


def test_an_unchanged_body_makes_no_write(forge: Forge, tmp_path: Path) -> None:
    post(tmp_path, "## same\n", run=T1)
    again = post(tmp_path, "## same\n", run=T2)
    assert again.exit_code == 0
    assert "up to date: nothing written" in again.stdout
    assert [m for m, _ in forge.writes()] == ["POST"]


def test_two_targets_keep_two_comments(forge: Forge, tmp_path: Path) -> None:
    post(tmp_path, "prod\n", "--target", "envs/prod")
    post(tmp_path, "dev\n", "--target", "envs/dev")
    post(tmp_path, "prod 2\n", "--target", "envs/prod", run=T2)
    assert [m for m, _ in forge.writes()] == ["POST", "POST", "PATCH"]
    assert sorted(forge.bodies()) == [
        f"<!-- iacplan:comment target=envs/dev run={T1} -->\ndev\n",
        f"<!-- iacplan:comment target=envs/prod run={T2} -->\nprod 2\n",
    ]


def test_an_older_run_does_not_overwrite_a_newer_one(forge: Forge, tmp_path: Path) -> None:
    post(tmp_path, "from the newer push\n", run=T3)
    late = post(tmp_path, "from the older push\n", run=T2)
    assert late.exit_code == 0
    assert "from a later run" in late.stdout
    assert [m for m, _ in forge.writes()] == ["POST"]
    assert forge.bodies() == [
        f"<!-- iacplan:comment target=default run={T3} -->\nfrom the newer push\n"
    ]
    # The same run again (a re-run of that job) may rewrite it.
    rerun = post(tmp_path, "re-run\n", run=T3)
    assert "updated comment" in rerun.stdout


@pytest.mark.parametrize("behavior", ["new", "delete-and-new"])
def test_other_behaviors(forge: Forge, tmp_path: Path, behavior: str) -> None:
    post(tmp_path, "one\n", run=T1)
    post(tmp_path, "two\n", "--behavior", behavior, run=T2)
    methods = [m for m, _ in forge.writes()]
    if behavior == "new":
        assert methods == ["POST", "POST"] and len(forge.comments) == 2
    else:
        assert methods == ["POST", "DELETE", "POST"]
        assert forge.bodies() == [f"<!-- iacplan:comment target=default run={T2} -->\ntwo\n"]


def test_listing_is_paginated(forge: Forge, tmp_path: Path) -> None:
    forge.page_size = 2
    for i in range(5):
        forge.add(f"chatter {i}")
    post(tmp_path, "first\n", run=T1)  # the 6th comment: on page 3
    forge.requests.clear()
    post(tmp_path, "second\n", run=T2)
    pages = [r.query.get("page", ["1"])[0] for r in forge.requests if r.path == COMMENTS]
    assert pages == ["1", "2", "3"]
    assert [m for m, _ in forge.writes()] == ["PATCH"]


def test_a_quote_of_our_comment_is_not_ours(forge: Forge, tmp_path: Path) -> None:
    forge.add(f"> <!-- iacplan:comment target=default run={T1} -->\n> old plan\nwhy?")
    post(tmp_path, "plan\n", run=T2)
    assert [m for m, _ in forge.writes()] == ["POST"]


def test_defaults_come_from_github_actions(
    forge: Forge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps({"pull_request": {"number": GITHUB_PR, "updated_at": "2025-06-02T08:30:00Z"}})
    )
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    report = tmp_path / "report.json"
    check = iacplan(
        "check",
        "--base",
        SAMPLES / "downgrade/base",
        SAMPLES / "downgrade/head",
        "--output",
        f"json={report}",
    )
    assert check.exit_code == 1
    run = iacplan("comment", "github", "--report", report)
    assert run.exit_code == 0, run.stderr
    body = forge.requests[-1].body["body"]
    assert body.startswith("<!-- iacplan:comment target=default run=2025-06-02T08:30:00Z -->\n")
    assert "## ❌ iacplan blocks this change" in body and "MWAA001" in body
    assert f"{GITHUB_REPO}#{GITHUB_PR}" in run.stdout


@pytest.mark.parametrize(
    ("status", "headers", "message"),
    [
        (401, {}, "the token was refused (401 Bad credentials): check GITHUB_TOKEN"),
        (403, {}, "permission denied (403 Resource not accessible by integration)"),
        (404, {}, "not found (404 Not Found)"),
        (302, {"Location": "http://elsewhere.invalid/x"}, "answered a redirect (302)"),
        (422, {}, "POST answered 422"),
    ],
)
def test_refusals_are_one_line_errors(
    forge: Forge,
    tmp_path: Path,
    status: int,
    headers: dict[str, str],
    message: str,
) -> None:
    forge.queue(200, {}, [])  # the listing
    body = {
        "message": {401: "Bad credentials", 404: "Not Found"}.get(
            status, "Resource not accessible by integration"
        )
    }
    forge.queue(status, headers, body)
    run = post(tmp_path, "plan\n")
    # 403: the token may not write (a fork's read-only token): "not posted", exit 3, which CI
    # can tell from a broken setup (exit 2).
    assert run.exit_code == (3 if status == 403 else 2)
    assert message in run.stderr and run.stderr.count("\n") == 1
    assert len(forge.requests) == 2  # no retry, no redirect followed


def test_a_forks_read_only_token_is_not_posted_exit_3(forge: Forge, tmp_path: Path) -> None:
    """A pull request from a fork: GITHUB_TOKEN reads the comments but cannot write one."""
    forge.queue(200, {}, [])
    forge.queue(403, {}, {"message": "Resource not accessible by integration"})
    run = post(tmp_path, "plan\n")
    assert run.exit_code == 3 and run.stdout == ""
    assert run.stderr == (
        "iacplan: error: GitHub: permission denied (403 Resource not accessible by "
        "integration): not posted, the token cannot write comments on this pull request "
        "(GitHub Actions: `permissions: pull-requests: write`, and a pull request from a fork "
        "gets a read-only token; GitLab: a token with the api scope)\n"
    )


def test_rate_limits_wait_as_told_then_go_on(
    forge: Forge, tmp_path: Path, actions: list[float]
) -> None:
    forge.queue(429, {"Retry-After": "7"}, {"message": "slow down"})
    forge.queue(
        403,
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1700000004"},
        {"message": "API rate limit exceeded"},
    )
    forge.queue(403, {"Retry-After": "2"}, {"message": "You have exceeded a secondary rate limit"})
    run = post(tmp_path, "plan\n")
    assert run.exit_code == 0, run.stderr
    assert actions == [7.0, 5.0, 2.0]
    assert [m for m, _ in forge.writes()] == ["POST"]


def test_rate_limit_retries_are_bounded(forge: Forge, tmp_path: Path, actions: list[float]) -> None:
    for _ in range(http.MAX_RETRIES + 1):
        forge.queue(429, {"Retry-After": "1"}, {"message": "slow down"})
    run = post(tmp_path, "plan\n")
    assert run.exit_code == 2 and "still refused after 3 retries" in run.stderr
    assert actions == [1.0, 1.0, 1.0]


def test_a_long_rate_limit_wait_is_not_slept(
    forge: Forge, tmp_path: Path, actions: list[float]
) -> None:
    forge.queue(403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1700003600"}, {})
    run = post(tmp_path, "plan\n")
    assert run.exit_code == 2 and "rate limit reached; it resets in 3601 s" in run.stderr
    assert actions == []


def test_server_errors_are_retried(forge: Forge, tmp_path: Path, actions: list[float]) -> None:
    forge.queue(502, {}, None)
    forge.queue(503, {}, None)
    assert post(tmp_path, "plan\n").exit_code == 0
    assert actions == [1.0, 2.0]


def test_the_token_never_leaves_in_output_or_errors(forge: Forge, tmp_path: Path) -> None:
    # A server that echoes the token back in its message (it happens with proxies).
    forge.queue(400, {}, {"message": f"bad header Bearer {FAKE_TOKEN}"})
    run = post(tmp_path, "plan\n")
    assert run.exit_code == 2 and "Bearer ***" in run.stderr
    api = Api(forge.url, FAKE_TOKEN, ("Authorization", f"Bearer {FAKE_TOKEN}"), "GitHub", "x")
    forge.queue(401, {}, {"message": FAKE_TOKEN})
    with pytest.raises(ApiError) as raised:
        api.call("GET", api.url("/anything"))
    assert FAKE_TOKEN not in str(raised.value) and FAKE_TOKEN not in repr(raised.value.args)
    with pytest.raises(ApiError, match="refusing to send the token"):
        api.call("GET", "http://127.0.0.2:1/elsewhere")


def test_a_next_page_on_another_host_is_refused(forge: Forge, tmp_path: Path) -> None:
    forge.queue(200, {"Link": '<http://127.0.0.2:9/steal?page=2>; rel="next"'}, [])
    run = post(tmp_path, "plan\n")
    assert run.exit_code == 2 and "refusing to send the token to http://127.0.0.2:9" in run.stderr


def test_unreachable_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9")
    run = post(tmp_path, "plan\n")
    assert run.exit_code == 2 and "GitHub: cannot reach http://127.0.0.1:9" in run.stderr


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ((), {"GITHUB_TOKEN": ""}, "no GitHub token: set GITHUB_TOKEN"),
        ((), {"GITHUB_REPOSITORY": "not a repo"}, "--repo not a repo: expected OWNER/NAME"),
        (("--target", "a b"), {}, "--target 'a b'"),
        (("--run-time", "yesterday"), {}, "--run-time 'yesterday' is not an ISO 8601 time"),
    ],
)
def test_bad_settings(
    forge: Forge,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    env: dict[str, str],
    message: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    run = post(tmp_path, "plan\n", *args)
    assert run.exit_code == 2 and message in run.stderr
    assert forge.writes() == []


def test_no_pull_request_number(tmp_path: Path) -> None:
    (tmp_path / "plan.md").write_text("x")
    run = iacplan("comment", "github", "--markdown", tmp_path / "plan.md")
    assert run.exit_code == 2 and "no pull request number: pass --pr N" in run.stderr


def test_one_of_report_or_markdown(tmp_path: Path) -> None:
    run = iacplan("comment", "github", "--pr", "7")
    assert run.exit_code == 2 and "give one of --report FILE or --markdown FILE" in run.stderr


def test_a_report_that_is_no_report_is_refused(forge: Forge, tmp_path: Path) -> None:
    bad = tmp_path / "report.json"
    bad.write_text('{"schema_version": "1.0"}')
    run = iacplan("comment", "github", "--report", bad, "--pr", "7")
    assert run.exit_code == 2 and "report.json" in run.stderr
    assert forge.requests == []


def test_a_body_over_githubs_limit_is_refused(forge: Forge, tmp_path: Path) -> None:
    run = post(tmp_path, "x" * github.LIMIT)
    assert run.exit_code == 2 and "takes 65536" in run.stderr
    assert forge.writes() == []


@pytest.mark.parametrize("forged_run", ["2999-01-01T00:00:00Z", "2000-01-01T00:00:00Z"])
def test_a_marker_written_by_someone_else_is_ignored(
    forge: Forge, tmp_path: Path, forged_run: str
) -> None:
    """Anyone can copy the marker: a later one must not keep a forged "allowed" in place, an
    earlier one must not have iacplan edit another user's comment."""
    forged = f"<!-- iacplan:comment target=default run={forged_run} -->\n**allowed**\n"
    other = forge.add(forged, author="mallory")
    run = post(tmp_path, "## blocked\n", run=T1)
    assert run.exit_code == 0, run.stderr
    assert [m for m, _ in forge.writes()] == ["POST"]
    assert forge.comments[other]["body"] == forged
    assert forge.bodies()[-1].endswith("## blocked\n")
    assert any(r.path == "/user" for r in forge.requests)


def test_delete_and_new_never_deletes_others_comments(forge: Forge, tmp_path: Path) -> None:
    mine = forge.add(f"<!-- iacplan:comment target=default run={T1} -->\nold\n")
    other = forge.add(f"<!-- iacplan:comment target=default run={T1} -->\ncopy\n", author="Eve")
    post(tmp_path, "new\n", "--behavior", "delete-and-new", run=T2)
    assert forge.writes() == [
        ("DELETE", f"/repos/{GITHUB_REPO}/issues/comments/{mine}"),
        ("POST", COMMENTS),
    ]
    assert other in forge.comments


def test_the_actions_token_posts_as_github_actions_bot(forge: Forge, tmp_path: Path) -> None:
    """GET /user answers 403 to GITHUB_TOKEN: its comments are github-actions[bot]'s."""
    forge.login = None
    forge.add(f"<!-- iacplan:comment target=default run={T1} -->\nforged\n", author="mallory")
    post(tmp_path, "one\n", run=T1)
    second = post(tmp_path, "two\n", run=T2)
    assert second.exit_code == 0, second.stderr
    assert [m for m, _ in forge.writes()] == ["POST", "PATCH"]
    (ours,) = [c for c in forge.comments.values() if c["user"]["login"] == "github-actions[bot]"]
    assert ours["body"].endswith("two\n")


@pytest.mark.parametrize("how", ["option", "env"])
def test_the_author_can_be_given(
    forge: Forge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    forge.add(f"<!-- iacplan:comment target=default run={T1} -->\nx\n", author="iacplan-bot")
    forge.add(f"<!-- iacplan:comment target=default run={T1} -->\nold\n", author="ci-bot")
    args = ["--author", "CI-Bot"] if how == "option" else []
    if how == "env":
        monkeypatch.setenv("IACPLAN_COMMENT_AUTHOR", "ci-bot")
    forge.login = "ci-bot"  # the forge lets only the comment's author edit it
    run = post(tmp_path, "new\n", *args, run=T2)
    assert run.exit_code == 0, run.stderr
    assert [m for m, _ in forge.writes()] == ["PATCH"]
    assert not any(r.path == "/user" for r in forge.requests)


def test_run_times_in_messages_are_to_the_second(forge: Forge, tmp_path: Path) -> None:
    forge.add("<!-- iacplan:comment target=default run=2999-01-01T00:00:00Z -->\nlater\n")
    (tmp_path / "plan.md").write_text("plan\n", encoding="utf-8")
    run = iacplan("comment", "github", "--markdown", tmp_path / "plan.md", "--pr", "7")
    assert run.exit_code == 0, run.stderr
    assert re.search(
        r"from a later run \(2999-01-01T00:00:00Z\) than this one "
        r"\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)",
        run.stdout,
    ), run.stdout


def test_check_runs_do_not_import_the_http_client() -> None:
    """urllib.request (and the forges' modules) cost start-up time every `iacplan check` pays:
    only `iacplan comment` imports them."""
    code = "import sys, iacplan.cli; print(*sorted(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.split())
    assert "iacplan.cli" in loaded
    assert not loaded & {"urllib.request", "iacplan.comment.http", "iacplan.comment.github"}


def test_skip_no_change_posts_nothing_and_deletes_our_earlier_comment(
    forge: Forge, tmp_path: Path, tree: TreeMaker
) -> None:
    forge.add("LGTM")
    post(tmp_path, "## an earlier plan\n", run=T1)
    report = tmp_path / "report.json"
    same = tree({"main.tf": mwaa('"2.10.3"') + BUCKET}, "same")
    check = iacplan("check", "--base", same, same, "--output", f"json={report}")
    assert check.exit_code == 0, check.stderr
    args = ("--report", report, "--pr", str(GITHUB_PR), "--skip-no-change")
    run = iacplan("comment", "github", *args, "--run-time", T2)
    assert run.exit_code == 0, run.stderr
    assert "nothing to report: deleted comment" in run.stdout
    assert [m for m, _ in forge.writes()] == ["POST", "DELETE"]
    assert forge.bodies() == ["LGTM"]
    again = iacplan("comment", "github", *args, "--run-time", T3)
    assert "nothing to report: no comment posted" in again.stdout
    assert [m for m, _ in forge.writes()] == ["POST", "DELETE"]


def test_skip_no_change_still_posts_a_change_and_needs_a_report(
    forge: Forge, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    iacplan(
        "check",
        "--base",
        SAMPLES / "downgrade/base",
        SAMPLES / "downgrade/head",
        "--output",
        f"json={report}",
    )
    run = iacplan(
        "comment", "github", "--report", report, "--pr", str(GITHUB_PR), "--skip-no-change"
    )
    assert run.exit_code == 0 and "created comment" in run.stdout
    refused = post(tmp_path, "## plan\n", "--skip-no-change")
    assert refused.exit_code == 2 and "--skip-no-change goes with --report" in refused.stderr
