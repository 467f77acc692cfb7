"""The commands' click options, shared: their values checked and turned into what the
pipeline takes, a single-value option refused when given twice, and bad input ended as one
line on stderr with exit 2."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from iacplan import safe
from iacplan.errors import InputError
from iacplan.inputs import registry as sources
from iacplan.model import Severity
from iacplan.render import RENDERERS
from iacplan.runtime.signals import Terminated

if TYPE_CHECKING:  # imported where used: --live and --resolve are not every run's
    from iacplan.inputs import account as live
    from iacplan.inputs import resolve as pip_resolve

F = TypeVar("F", bound=Callable[..., Any])
FAIL_ON = {"error": Severity.ERROR, "warning": Severity.WARNING, "never": None}


class Command(click.Command):
    """A command whose options that take one value refuse a second occurrence: click keeps
    the last, so `--base a --base b` would compare with b alone, and say nothing."""

    def make_parser(self, ctx: click.Context) -> Any:
        parser = super().make_parser(ctx)
        parse = parser.parse_args

        def parse_once(args: list[str]) -> Any:
            opts, rest, order = parse(args)
            _refuse_repeated(order, ctx)
            return opts, rest, order

        parser.parse_args = parse_once  # type: ignore[method-assign]
        return parser


class Group(Command, click.Group):
    """A group whose commands and groups are `Command`s and `Group`s."""

    command_class = Command
    group_class = type


def _refuse_repeated(order: list[click.Parameter], ctx: click.Context) -> None:
    seen: set[str | None] = set()
    for param in order:  # each occurrence on the command line, in order
        if not isinstance(param, click.Option) or param.multiple or param.count:
            continue
        if param.is_flag:  # no value: --live twice is --live
            continue
        if param.name in seen:
            name = max(param.opts, key=len)
            raise click.BadOptionUsage(
                name, f"{name} is given more than once; it takes one value", ctx
            )
        seen.add(param.name)


def clean_errors(command: F) -> F:
    """Bad input ends as one line on stderr and exit 2 (or its own code); a traceback only
    with --debug. Either passes through `safe.redact`: a message may quote a file."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            return command(*args, **kwargs)
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM while there was cleaning up to do
            stopped = isinstance(exc, Terminated)
            click.echo(f"iacplan: {'stopped by SIGTERM' if stopped else 'interrupted'}", err=True)
            sys.exit(Terminated.exit_code if stopped else 128 + signal.SIGINT)
        except Exception as exc:
            if debug:
                import traceback

                click.echo(safe.redact(traceback.format_exc()), err=True, nl=False)
            elif isinstance(exc, InputError):
                # One line, whatever a parser put in the message.
                message = " ".join(line.strip() for line in str(exc).splitlines())
                click.echo(f"iacplan: error: {safe.redact(message)}", err=True)
            else:
                click.echo(
                    f"iacplan: internal error: {type(exc).__name__}: {safe.redact(str(exc))} "
                    "(run with --debug for the traceback, and please report it)",
                    err=True,
                )
            sys.exit(exc.exit_code if isinstance(exc, InputError) else 2)

    return wrapper  # type: ignore[return-value]


def parse_name_value(pairs: tuple[str, ...], option: str) -> tuple[tuple[str, str], ...]:
    parsed = []
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint=option)
        parsed.append((name, value))
    return tuple(parsed)


def parse_outputs(pairs: tuple[str, ...]) -> list[tuple[str, Path]]:
    outputs = []
    for format_name, path in parse_name_value(pairs, "--output"):
        if format_name not in RENDERERS:
            raise click.BadParameter(
                f"unknown format {format_name!r} (one of {', '.join(RENDERERS)})",
                param_hint="--output",
            )
        outputs.append((format_name, Path(path)))
    return outputs


def requirements_option(command: F) -> F:
    option = click.option(
        "--requirements",
        "requirements_files",
        multiple=True,
        metavar="[ENV_ID=]FILE",
        help="The requirements.txt to check against the head version: FILE for every "
        "environment, ENV_ID=FILE for one (repeatable) [default: the file named by "
        "requirements_s3_path, found next to the configuration].",
    )
    return option(command)


def parse_requirements(values: tuple[str, ...]) -> sources.Given:
    """A value that is an existing file is FILE, else ENV_ID=FILE (ids may hold `=`)."""
    everywhere: Path | None = None
    by_environment: list[tuple[str, Path]] = []
    for value in values:
        env_id, sep, file = value.rpartition("=")
        if Path(value).is_file() or not sep:
            if everywhere is not None:
                raise InputError(
                    "--requirements FILE is given twice: name each environment's file with "
                    "--requirements ENV_ID=FILE"
                )
            everywhere = _requirements_file(value)
        elif any(env_id == named for named, _ in by_environment):
            raise InputError(f"--requirements {env_id}=FILE is given twice")
        else:
            by_environment.append((env_id, _requirements_file(file)))
    return sources.Given(everywhere, tuple(by_environment))


def _requirements_file(name: str) -> Path:
    path = Path(name)
    if not path.is_file():
        raise InputError(f"{sources.display_path(path)}: requirements file not found")
    return path


def report_options(command: F) -> F:
    """What to judge against and how to report it: shared by `check` and `terraform`."""
    options = [
        click.option(
            "--config",
            "config_path",
            type=click.Path(path_type=Path),
            help="Config file (default: .iacplan.yaml in the current directory, if present).",
        ),
        click.option(
            "--versions-file",
            type=click.Path(path_type=Path),
            help="A newer MWAA version catalog (JSON, see schemas/versions.schema.json).",
        ),
        click.option(
            "--format",
            "format_name",
            type=click.Choice(list(RENDERERS)),
            default="text",
            show_default=True,
            help="What goes to stdout.",
        ),
        click.option(
            "--output",
            "outputs",
            multiple=True,
            metavar="FORMAT=FILE",
            help="Also write a format to a file (repeatable).",
        ),
        click.option(
            "--fail-on",
            type=click.Choice(list(FAIL_ON)),
            default="error",
            show_default=True,
            help="Exit 1 when an unsuppressed finding is at or above this severity.",
        ),
        click.option(
            "--sarif-category",
            metavar="CATEGORY",
            help="SARIF: the code-scanning category (automationDetails.id), one per target "
            "whose alerts are kept apart [default: iacplan/ and the paths checked, from the "
            "repository root].",
        ),
        click.option(
            "--sarif-suppressed",
            is_flag=True,
            help="SARIF: also write suppressed findings, marked as suppressed (GitHub code "
            "scanning ignores the mark and opens alerts for them, so they are left out).",
        ),
        click.option(
            "--color",
            "colour",
            type=click.Choice(["auto", "always", "never"]),
            default="auto",
            show_default=True,
            help="Colour in text: auto follows NO_COLOR, FORCE_COLOR, CLICOLOR_FORCE, else "
            "whether stdout is a terminal.",
        ),
        click.option(
            "--verbose",
            is_flag=True,
            help="Text: every environment's whole plan (by default only for a single one).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def live_options(command: F) -> F:
    """Reading the AWS account: shared by `check` and `terraform`."""
    options = [
        click.option(
            "--live",
            "use_live",
            is_flag=True,
            help="Also read the AWS account (boto3): the deployed version, status, bucket "
            "versioning and pinned object versions. Never without this flag.",
        ),
        click.option(
            "--region",
            help="AWS region for --live [default: AWS_REGION, AWS_DEFAULT_REGION, the profile's].",
        ),
        click.option(
            "--profile",
            help="AWS profile for --live [default: AWS_PROFILE, else the "
            "default credential chain].",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def resolve_options(command: F) -> F:
    """Predicting pip's answer on the head version: shared by `check` and `terraform`."""
    options = [
        click.option(
            "--resolve",
            "use_resolve",
            is_flag=True,
            help="Also predict whether each changing environment's requirements install on "
            "the head version: its constraints file (downloaded once, then cached) and pip's "
            "own resolver with MWAA's Python and platform. Uses the network (never without "
            "this flag), unless the constraints mirror is a directory and pip's index is local.",
        ),
        click.option(
            "--constraints-mirror",
            metavar="DIR|URL",
            help="For --resolve: where constraints-<airflow>/constraints-<python>.txt are "
            "[default: https://raw.githubusercontent.com/apache/airflow].",
        ),
        click.option(
            "--resolve-timeout",
            type=click.FloatRange(min=1),
            metavar="SECONDS",
            help="For --resolve: how long pip may take per requirements file and version "
            "[default: 120].",
        ),
        click.option(
            "--allow-requirements-index",
            is_flag=True,
            help="For --resolve: follow the --index-url, --extra-index-url and --find-links "
            "lines of a requirements file (without it such a file is reported, not resolved).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def resolving(
    use: bool, mirror: str | None, timeout: float | None, allow_index: bool
) -> pip_resolve.Settings | None:
    if not use:
        if mirror is not None or timeout is not None or allow_index:
            raise click.UsageError(
                "--constraints-mirror, --resolve-timeout and --allow-requirements-index go "
                "with --resolve"
            )
        return None
    from iacplan.inputs import resolve as pip_resolve

    try:
        where = pip_resolve.Mirror.parse(mirror or pip_resolve.DEFAULT_MIRROR)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--constraints-mirror") from exc
    return pip_resolve.Settings(
        mirror=where, timeout=timeout or pip_resolve.DEFAULT_TIMEOUT, allow_index=allow_index
    )


def live_account(use: bool, region: str | None, profile: str | None) -> live.Account | None:
    if not use and (region is not None or profile is not None):
        raise click.UsageError("--region and --profile go with --live")
    if not use:
        return None
    from iacplan.inputs import account as live

    return live.Account(region, profile)
