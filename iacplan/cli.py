"""The command line: `iacplan check`, `terraform`, `comment`, `versions` and `rules`."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from iacplan import __version__, diff, rules
from iacplan import inputs as sources
from iacplan.catalog.versions import Catalog, load_catalog
from iacplan.comment import sticky
from iacplan.config import Config, load_config
from iacplan.errors import InputError, NoDefinitions
from iacplan.inputs.files import TF_SUFFIXES, clear_caches, parse_json, read_text
from iacplan.model import Change, Environment, Severity
from iacplan.render import RENDERERS
from iacplan.report import Report, build
from iacplan.runtime import limits

if TYPE_CHECKING:  # imported where used: --live, --base-ref and comments are not every run's
    from iacplan.inputs import account as live
    from iacplan.inputs import resolve as pip_resolve
    from iacplan.inputs import revision as git

F = TypeVar("F", bound=Callable[..., Any])
FAIL_ON = {"error": Severity.ERROR, "warning": Severity.WARNING, "never": None}


def _clean_errors(command: F) -> F:
    """Bad input ends as one line on stderr and exit 2; a traceback only with --debug."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            return command(*args, **kwargs)
        except InputError as exc:
            if debug:
                raise
            # One line, whatever a parser put in the message.
            message = " ".join(line.strip() for line in str(exc).splitlines())
            click.echo(f"iacplan: error: {message}", err=True)
        except Exception as exc:
            if debug:
                raise
            click.echo(
                f"iacplan: internal error: {type(exc).__name__}: {exc} (run with --debug for "
                "the traceback, and please report it)",
                err=True,
            )
        sys.exit(2)

    return wrapper  # type: ignore[return-value]


def _name_value(pairs: tuple[str, ...], option: str) -> tuple[tuple[str, str], ...]:
    parsed = []
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint=option)
        parsed.append((name, value))
    return tuple(parsed)


def _outputs(pairs: tuple[str, ...]) -> list[tuple[str, Path]]:
    outputs = []
    for format_name, path in _name_value(pairs, "--output"):
        if format_name not in RENDERERS:
            raise click.BadParameter(
                f"unknown format {format_name!r} (one of {', '.join(RENDERERS)})",
                param_hint="--output",
            )
        outputs.append((format_name, Path(path)))
    return outputs


def _requirements_option(command: F) -> F:
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


def _requirements(values: tuple[str, ...]) -> sources.Given:
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


def _report_options(command: F) -> F:
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
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _live_options(command: F) -> F:
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


def _resolve_options(command: F) -> F:
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


def _resolving(
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


def _account(use: bool, region: str | None, profile: str | None) -> live.Account | None:
    if not use and (region is not None or profile is not None):
        raise click.UsageError("--region and --profile go with --live")
    if not use:
        return None
    from iacplan.inputs import account as live

    return live.Account(region, profile)


@dataclass(frozen=True)
class _Reporting:
    config: Config
    catalog: Catalog
    format_name: str
    destinations: list[tuple[str, Path]]
    fail_on: Severity | None
    resolving: pip_resolve.Settings | None = None

    @classmethod
    def from_options(
        cls,
        config_path: Path | None,
        versions_file: Path | None,
        format_name: str,
        outputs: tuple[str, ...],
        fail_on: str,
        resolving: pip_resolve.Settings | None = None,
    ) -> _Reporting:
        destinations = _outputs(outputs)
        config = load_config(config_path)
        catalog = load_catalog(versions_file or config.versions_file)
        return cls(config, catalog, format_name, destinations, FAIL_ON[fail_on], resolving)

    def judge(self, changes: list[Change], account: live.Account | None) -> NoReturn:
        """Read the account (with --live), apply the rules, write every requested format,
        exit by the policy. With --resolve, pip runs in the background meanwhile."""
        pending = None
        if self.resolving is not None:
            from iacplan.inputs import resolve

            pending = resolve.start(changes, self.catalog, self.resolving)
        if account is not None:
            from iacplan import deployed
            from iacplan.inputs import account as live

            changes = deployed.against_account(changes, lambda wanted: live.read(wanted, account))
        if pending is not None:
            changes = pending.attach(changes)
        context = rules.Context(catalog=self.catalog, today=_today())
        findings = rules.run(changes, context, self.config.policy)
        report = build(changes, findings, self.catalog, context.today, self.config.ordering)
        for output_format, destination in self.destinations:
            try:
                destination.write_text(RENDERERS[output_format](report, False), encoding="utf-8")
            except OSError as exc:
                raise InputError(f"{destination}: cannot write: {exc.strerror}") from exc
        if self.format_name == "text" and sys.stdout.isatty():
            from iacplan.render import text

            shown = text.render(report, _use_colour(), shutil.get_terminal_size().columns)
        else:
            shown = RENDERERS[self.format_name](report, False)
        try:
            click.echo(shown, nl=False)
            sys.stdout.flush()
        except BrokenPipeError:  # the reader stopped early (`| head`): the verdict still stands
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # and exit flushes
        sys.exit(1 if self.fail_on is not None and report.active(self.fail_on) else 0)


def _today() -> date:
    """The date support status is judged on: IACPLAN_TODAY (YYYY-MM-DD) makes reruns identical."""
    fixed = os.environ.get("IACPLAN_TODAY")
    if not fixed:
        return date.today()
    try:
        return date.fromisoformat(fixed)
    except ValueError as exc:
        raise InputError(f"IACPLAN_TODAY={fixed!r} is not a date (YYYY-MM-DD)") from exc


def _use_colour() -> bool:
    return "NO_COLOR" not in os.environ


@click.group()
@click.version_option(__version__, prog_name="iacplan")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
def main(debug: bool) -> None:
    """Check MWAA Airflow version changes in Terraform and CloudFormation before apply."""


@main.command()
@click.argument("head_paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--base",
    "base_path",
    type=click.Path(path_type=Path),
    help="The deployed definitions to compare against (directory or file).",
)
@click.option(
    "--base-ref",
    metavar="GIT_REF",
    help="Compare against the same paths as they are at this git revision (PR mode: e.g. "
    "origin/main); read with git, the working tree is not touched.",
)
@click.option(
    "--var",
    "variables",
    multiple=True,
    metavar="NAME=VALUE",
    help="A Terraform input variable (repeatable).",
)
@click.option(
    "--var-file",
    "var_files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A Terraform .tfvars file (repeatable).",
)
@click.option(
    "--parameter",
    "parameters",
    multiple=True,
    metavar="KEY=VALUE",
    help="A CloudFormation template parameter (repeatable; wins over --parameters-file).",
)
@click.option(
    "--parameters-file",
    "parameter_files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="CloudFormation parameters as JSON (CLI, simple or CodePipeline form; repeatable).",
)
@click.option(
    "--template",
    "template_path",
    type=click.Path(path_type=Path),
    help="The template a change set was made from; with it, --base is the deployed template "
    "(they give the versions a change set without property values leaves out).",
)
@_requirements_option
@_resolve_options
@_live_options
@_report_options
@_clean_errors
def check(
    head_paths: tuple[Path, ...],
    base_path: Path | None,
    base_ref: str | None,
    variables: tuple[str, ...],
    var_files: tuple[Path, ...],
    parameters: tuple[str, ...],
    parameter_files: tuple[Path, ...],
    template_path: Path | None,
    requirements_files: tuple[str, ...],
    use_resolve: bool,
    constraints_mirror: str | None,
    resolve_timeout: float | None,
    allow_requirements_index: bool,
    use_live: bool,
    region: str | None,
    profile: str | None,
    config_path: Path | None,
    versions_file: Path | None,
    format_name: str,
    outputs: tuple[str, ...],
    fail_on: str,
) -> None:
    """Check every MWAA environment in HEAD_PATHS (default: .) against --base.

    HEAD_PATHS are Terraform directories or .tf files, Terraform plan JSON,
    CloudFormation templates or change sets."""
    inputs = sources.Inputs(
        terraform=sources.TerraformInputs(
            var_files=var_files, variables=_name_value(variables, "--var")
        ),
        parameters=_name_value(parameters, "--parameter"),
        parameter_files=parameter_files,
        template=template_path,
        template_base=base_path if template_path else None,
        requirements=_requirements(requirements_files),
    )
    account = _account(use_live, region, profile)
    resolve = _resolving(use_resolve, constraints_mirror, resolve_timeout, allow_requirements_index)
    reporting = _Reporting.from_options(
        config_path, versions_file, format_name, outputs, fail_on, resolve
    )
    if base_ref is not None:
        if base_path is not None or template_path is not None:
            raise click.UsageError("--base-ref goes with neither --base nor --template")
        with limits.applied(reporting.config.limits):
            changes = _changes_at_ref(head_paths or (Path("."),), base_ref, inputs)
        reporting.judge(changes, account)
    # With --template, --base belongs to the change set: it is the deployed template.
    base = None if template_path else base_path
    with limits.applied(reporting.config.limits):
        changes = _changes(head_paths or (Path("."),), base, inputs)
    reporting.judge(changes, account)


def _changes(
    head_paths: tuple[Path, ...], base_path: Path | None, inputs: sources.Inputs
) -> list[Change]:
    """Definitions pair with --base; plans and change sets pair with the base they carry."""
    definitions: list[Environment] = []
    changes: list[Change] = []
    for path in head_paths:
        loaded = _as_reported(sources.load(path, inputs), path, len(head_paths), inputs, path)
        if loaded.base is None:
            definitions += loaded.head
        else:
            changes += diff.pair(loaded.base, loaded.head)
    if inputs.template is not None and definitions:
        raise InputError("--template goes with a change set: every HEAD_PATH must be a change set")
    if base_path is not None:
        # One file against one file: the head is the new version of the base, whatever the
        # names (a template's environments are identified by its file name).
        single = len(head_paths) == 1 and head_paths[0].is_file() and base_path.is_file()
        base = sources.load(base_path, inputs, name=head_paths[0].name if single else None)
        if base.base is not None:
            raise InputError(
                f"{sources.display_path(base_path)}: --base takes definitions, not a plan or "
                "change set (those carry the deployed side themselves; pass them as HEAD_PATHS)"
            )
        if changes and not definitions:
            raise InputError(
                "--base compares definitions, but every HEAD_PATH is a plan or change set, "
                "which carries its own base"
            )
        changes += diff.pair(base.head, definitions)
    elif definitions or not changes:
        changes += diff.pair(None, definitions)
    _refuse_unmatched(inputs.requirements, changes)
    return diff.ordered(changes)


def _refuse_unmatched(given: sources.Given, changes: list[Change]) -> None:
    ids = {change.head.id for change in changes if change.head is not None}
    unmatched = sources.requirements.unmatched(given, ids)
    if unmatched:
        raise InputError(
            f"--requirements {unmatched[0]}=…: no environment {unmatched[0]} in head "
            f"(its environments: {', '.join(sorted(ids)) or 'none'})"
        )


def _as_reported(
    loaded: sources.Loaded, path: Path, paths: int, inputs: sources.Inputs, read: Path | None
) -> sources.Loaded:
    """Ids prefixed by the HEAD_PATH when there are several (each its own configuration), and
    the local requirements.txt attached, looked for from `read`, what was loaded."""
    if paths > 1 and loaded.local_ids:
        loaded = loaded.prefixed(sources.display_path(path))
    if read is None:
        return loaded
    return loaded.with_requirements(read if read.is_dir() else read.parent, inputs.requirements)


def _changes_at_ref(head_paths: tuple[Path, ...], ref: str, inputs: sources.Inputs) -> list[Change]:
    """Each HEAD_PATH against itself at a git revision: one that did not exist there holds
    environments the PR adds (unless git sees it renamed); one the PR deletes, environments it
    removes. With several HEAD_PATHS, ids are prefixed by the path: each is its own
    configuration."""
    from iacplan.inputs import revision as git

    changes: list[Change] = []
    definitions = False
    with git.revision(ref) as revision:
        then_inputs = _inputs_at(inputs, revision)
        for path in head_paths:
            head = _module_file(path)
            loaded = sources.load(head, inputs) if head else sources.Loaded(())
            if loaded.base is None:  # a plan or change set carries its base: not looked for
                then = _module_file(revision.path(path)) or _renamed(path, revision)
                if head is None and then is None:
                    raise InputError(
                        f"{sources.display_path(path)}: no such file or directory, here or at {ref}"
                    )
                definitions = True
                if head:
                    git.copy_untracked(head, revision)
                base = _load_at(then, then_inputs, ref) if then else ()
                loaded = sources.Loaded(loaded.head, base, local_ids=True)
            loaded = _as_reported(loaded, path, len(head_paths), inputs, head)
            changes += diff.pair(loaded.base, loaded.head)
    _refuse_unmatched(inputs.requirements, changes)
    if not definitions:
        raise InputError(
            "--base-ref compares definitions, but every HEAD_PATH is a plan or change set, "
            "which carries its own base"
        )
    return diff.ordered(changes)


def _module_file(path: Path) -> Path | None:
    """`path`, or for a .tf file that is not there, another file of its directory: Terraform
    reads the whole directory, so a file added, renamed or deleted by the PR still has its
    module on the other side. None: nothing to read."""
    if path.exists():
        return path
    if not path.name.endswith(TF_SUFFIXES) or not path.parent.is_dir():
        return None
    others = sorted(p for p in path.parent.iterdir() if p.name.endswith(TF_SUFFIXES))
    return next((p for p in others if p.is_file()), None)


def _renamed(path: Path, revision: git.Revision) -> Path | None:
    """A HEAD_PATH that is not in the revision, where git's rename detection finds it then."""
    if not path.exists():
        return None
    then = revision.renamed(path)
    if then is not None and then.exists():
        shown = then.relative_to(revision.root).as_posix()
        click.echo(
            f"iacplan: {sources.display_path(path)} is not at {revision.ref}: compared with "
            f"{shown}, which git finds renamed to it",
            err=True,
        )
        return _module_file(then)
    click.echo(
        f"iacplan: {sources.display_path(path)} is not at {revision.ref} and git finds no "
        "rename: its environments count as added",
        err=True,
    )
    return None


def _inputs_at(inputs: sources.Inputs, revision: git.Revision) -> sources.Inputs:
    """Var and parameters files as they were at the revision, where git tracks them."""
    var_files = (revision.var_file(p) for p in inputs.terraform.var_files)
    parameter_files = (revision.var_file(p) for p in inputs.parameter_files)
    return replace(
        inputs,
        terraform=replace(inputs.terraform, var_files=tuple(p for p in var_files if p)),
        parameter_files=tuple(p for p in parameter_files if p),
    )


def _load_at(path: Path, inputs: sources.Inputs, ref: str) -> tuple[Environment, ...]:
    """The definitions at `path` in a revision; a directory with none held nothing yet."""
    try:
        loaded = sources.load(path, inputs)
    except NoDefinitions:
        return ()
    except InputError as exc:
        raise InputError(f"{exc} (at {ref})") from exc
    # A plan or change set committed at the revision describes an older run: not a base.
    return loaded.head if loaded.base is None else ()


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("terraform_args", nargs=-1, type=click.UNPROCESSED)
@click.option(
    "--terraform-bin",
    help="The terraform (or tofu) executable [default: $IACPLAN_TERRAFORM, else terraform, "
    "else tofu on PATH].",
)
@click.option(
    "--chdir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Run terraform in this directory (like terraform -chdir).",
)
@click.option(
    "--keep-plan",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Keep the binary plan here (relative to the current directory, not --chdir), for a "
    "later `terraform apply FILE`.",
)
@_requirements_option
@_resolve_options
@_live_options
@_report_options
@_clean_errors
def terraform(
    terraform_args: tuple[str, ...],
    terraform_bin: str | None,
    chdir: Path | None,
    keep_plan: Path | None,
    requirements_files: tuple[str, ...],
    use_resolve: bool,
    constraints_mirror: str | None,
    resolve_timeout: float | None,
    allow_requirements_index: bool,
    use_live: bool,
    region: str | None,
    profile: str | None,
    config_path: Path | None,
    versions_file: Path | None,
    format_name: str,
    outputs: tuple[str, ...],
    fail_on: str,
) -> None:
    """Run `terraform plan` (with TERRAFORM_ARGS, after --), show it, then check the plan.

    Terraform's own output goes to stderr; the report goes to stdout. The exit code is
    terraform's when it fails, else the policy's."""
    account = _account(use_live, region, profile)
    resolve = _resolving(use_resolve, constraints_mirror, resolve_timeout, allow_requirements_index)
    reporting = _Reporting.from_options(
        config_path, versions_file, format_name, outputs, fail_on, resolve
    )
    from iacplan.inputs.terraform import runner as terraform_run

    given = _requirements(requirements_files)
    with limits.applied(reporting.config.limits):
        run = terraform_run.plan(
            terraform_run.find_binary(terraform_bin), terraform_args, chdir, keep_plan, _echo_err
        )
    if run.exit_code != 0:
        click.echo(f"iacplan: terraform failed (exit {run.exit_code}); nothing checked", err=True)
        sys.exit(run.exit_code)
    loaded = run.loaded.with_requirements(chdir or Path("."), given)
    changes = diff.pair(loaded.base or (), loaded.head)
    _refuse_unmatched(given, changes)
    reporting.judge(changes, account)


def _echo_err(line: str) -> None:
    click.echo(line, err=True, nl=False)


@main.group()
def comment() -> None:
    """Post the Markdown report as one sticky comment on a pull request.

    The comment is found again by a hidden marker (tool, --target, run time) and updated on
    every run; a run never replaces the comment of a later run."""


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


def _comment_body(report_path: Path | None, markdown_path: Path | None) -> str:
    if (report_path is None) == (markdown_path is None):
        raise click.UsageError("give one of --report FILE or --markdown FILE")
    clear_caches()  # reads are cached per run; a second run in one process reads anew
    if report_path is not None:
        name = sources.display_path(report_path)
        data = parse_json(name, read_text(report_path))
        return RENDERERS["markdown"](Report.from_dict(data, name), False)
    assert markdown_path is not None
    return read_text(markdown_path)


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
) -> None:
    content = _comment_body(report_path, markdown_path)
    run = sticky.parse_time(run_time, "--run-time") if run_time else event_time
    run = run or datetime.now(UTC).replace(microsecond=0)
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
@_clean_errors
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
@_clean_errors
def comment_gitlab(
    project: str | None, mr: int | None, api_url: str | None, **options: Any
) -> None:
    """Post or update the report on a GitLab merge request (token: $GITLAB_TOKEN)."""
    from iacplan.comment import gitlab as gitlab_comment  # urllib.request: only when posting

    found = gitlab_comment.settings(project, mr, api_url)
    notes = gitlab_comment.notes(found)
    _post(notes, f"{found.project}!{found.mr}", gitlab_comment.LIMIT, found.run, **options)


@main.command()
@click.option(
    "--versions-file",
    type=click.Path(path_type=Path),
    help="Show this catalog instead of the bundled one.",
)
@_clean_errors
def versions(versions_file: Path | None) -> None:
    """The MWAA version catalog as a table."""
    catalog = load_catalog(versions_file)
    today = _today()
    click.echo(f"MWAA version catalog of {catalog.catalog_date} ({catalog.source})")
    click.echo(
        f"{'version':<10}{'python':<8}{'available':<12}{'end of support':<16}{'status':<16}image"
    )
    for release in catalog.releases:
        eos = release.end_of_support.isoformat() if release.end_of_support else "-"
        status = "supported" if catalog.supported(release.version, today) else "end of support"
        if release.end_of_support and release.end_of_support > today:
            status = "deprecated"
        image = release.image
        shown = f"{image.os} (glibc {image.glibc}, {image.arch})" if image else "-"
        click.echo(
            f"{release.version!s:<10}{release.python:<8}{release.available.isoformat():<12}"
            f"{eos:<16}{status:<16}{shown}"
        )


@main.command(name="rules")
def list_rules() -> None:
    """Every rule: ID, default severity, what it protects."""
    for rule in rules.RULES:
        click.echo(f"{rule.id}  {rule.severity.value:<8} {rule.summary}")
