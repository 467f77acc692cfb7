"""`iacplan comment github|gitlab`: the Markdown report as one sticky comment on a pull
request."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from iacplan import safe
from iacplan.comment import sticky
from iacplan.errors import InputError
from iacplan.inputs.files import clear_caches, display_path, parse_json, read_text
from iacplan.model import ChangeKind
from iacplan.options import F, Group, clean_errors
from iacplan.render import RENDERERS
from iacplan.report import Report


@click.group(cls=Group)
def comment() -> None:
    """Post the Markdown report as one sticky comment on a pull request.

    The comment is found again by a hidden marker (tool, --target, run time) and updated on
    every run; a run never replaces the comment of a later run. Exit 3 when the forge refuses
    to write (403: a read-only token, as on a pull request from a fork), 2 on other errors."""


def _comment_options(command: F) -> F:
    options = [
        click.option(
            "--report",
            "report_path",
            type=click.Path(dir_okay=False, path_type=Path),
            help="A JSON report written by `iacplan check --format json` (rendered as Markdown).",
        ),
        click.option(
            "--markdown",
            "markdown_path",
            type=click.Path(dir_okay=False, path_type=Path),
            help="A Markdown file to post as it is (e.g. from `--output markdown=plan.md`).",
        ),
        click.option(
            "--target",
            default="default",
            show_default=True,
            help="One sticky comment per key (e.g. one per root of a monorepo).",
        ),
        click.option(
            "--behavior",
            type=click.Choice([b.value for b in sticky.Behavior]),
            default=sticky.Behavior.UPDATE.value,
            show_default=True,
            help="update: edit the comment in place; new: a new comment every run; "
            "delete-and-new: delete the earlier ones and post at the bottom.",
        ),
        click.option(
            "--run-time",
            metavar="ISO_TIME",
            help="When this run's input was made; a comment from a later run is never replaced "
            "[default: GitHub: the pull request's updated_at in the event; GitLab: "
            "$CI_PIPELINE_CREATED_AT; else now (UTC)].",
        ),
        click.option(
            "--skip-no-change",
            is_flag=True,
            help="With --report: when it has no version change and no finding, post nothing "
            "and delete this target's earlier comment.",
        ),
        click.option(
            "--author",
            metavar="LOGIN",
            envvar="IACPLAN_COMMENT_AUTHOR",
            help="The user the token posts as: only its comments are found again (anyone can "
            "copy the marker) [default: $IACPLAN_COMMENT_AUTHOR, else the token's user "
            "(GET /user), else on GitHub github-actions[bot]].",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _comment_report(report_path: Path | None, markdown_path: Path | None) -> Report | None:
    if (report_path is None) == (markdown_path is None):
        raise click.UsageError("give one of --report FILE or --markdown FILE")
    clear_caches()  # reads are cached per run; a second run in one process reads anew
    if report_path is None:
        return None
    name = display_path(report_path)
    return Report.from_dict(parse_json(name, read_text(report_path)), name)


def _comment_body(report: Report | None, markdown_path: Path | None) -> str:
    if report is not None:
        from iacplan import ci

        # Links as `check` draws them: report paths are relative to this directory, as
        # they were to check's.
        return RENDERERS["markdown"](report, False, ci.context({"markdown"}))
    assert markdown_path is not None
    return safe.redact(read_text(markdown_path))  # posted as is, but never a secret shape


def _nothing_to_say(report: Report) -> bool:
    """No version change and no finding (suppressed ones count: they were judged)."""
    return not report.findings and all(
        e.change is ChangeKind.UNCHANGED for e in report.environments
    )


def _post(
    comments: sticky.Comments,
    where: str,
    limit: int,
    event_time: datetime | None,
    report_path: Path | None,
    markdown_path: Path | None,
    target: str,
    behavior: str,
    run_time: str | None,
    author: str | None,
    skip_no_change: bool,
) -> None:
    report = _comment_report(report_path, markdown_path)
    if skip_no_change and report is None:
        raise click.UsageError(
            "--skip-no-change goes with --report (a Markdown file says no verdict)"
        )
    run = sticky.parse_time(run_time, "--run-time") if run_time else event_time
    run = run or datetime.now(UTC).replace(microsecond=0)
    if skip_no_change and report is not None and _nothing_to_say(report):
        done = sticky.withdraw(comments, sticky.check_target(target), run, author)
        click.echo(f"iacplan: {where} ({target}): {done}")
        return
    content = _comment_body(report, markdown_path)
    body = sticky.marked(content, sticky.check_target(target), run)
    if len(body) > limit:
        raise InputError(f"the comment would be {len(body)} characters; {where} takes {limit}")
    done = sticky.publish(comments, content, target, run, sticky.Behavior(behavior), author)
    click.echo(f"iacplan: {where} ({target}): {done}")


@comment.command(name="github")
@_comment_options
@click.option("--repo", help="OWNER/NAME [default: $GITHUB_REPOSITORY].")
@click.option(
    "--pr", type=click.IntRange(min=1), help="Pull request number [default: from the event]."
)
@click.option("--api-url", help="API root [default: $GITHUB_API_URL, else https://api.github.com].")
@clean_errors
def comment_github(repo: str | None, pr: int | None, api_url: str | None, **options: Any) -> None:
    """Post or update the report on a GitHub pull request (token: $GITHUB_TOKEN)."""
    from iacplan.comment import github as github_comment  # urllib.request: only when posting

    found = github_comment.settings(repo, pr, api_url)
    comments = github_comment.comments(found)
    _post(comments, f"{found.repo}#{found.pr}", github_comment.LIMIT, found.run, **options)


@comment.command(name="gitlab")
@_comment_options
@click.option("--project", help="Project id or path [default: $CI_PROJECT_ID].")
@click.option(
    "--mr",
    type=click.IntRange(min=1),
    help="Merge request IID [default: $CI_MERGE_REQUEST_IID].",
)
@click.option("--api-url", help="API root [default: $CI_API_V4_URL, else GitLab.com's].")
@clean_errors
def comment_gitlab(
    project: str | None, mr: int | None, api_url: str | None, **options: Any
) -> None:
    """Post or update the report on a GitLab merge request (token: $GITLAB_TOKEN)."""
    from iacplan.comment import gitlab as gitlab_comment  # urllib.request: only when posting

    found = gitlab_comment.settings(project, mr, api_url)
    notes = gitlab_comment.notes(found)
    _post(notes, f"{found.project}!{found.mr}", gitlab_comment.LIMIT, found.run, **options)
