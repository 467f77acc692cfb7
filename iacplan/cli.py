"""The command line: `iacplan check`, `terraform`, `versions` and `rules`."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from iacplan import __version__, diff, limits, rules, sources
from iacplan.config import Config, load_config
from iacplan.errors import InputError
from iacplan.model import Change, Environment, Severity
from iacplan.render import RENDERERS
from iacplan.report import build
from iacplan.sources import terraform_run
from iacplan.versions import Catalog, load_catalog

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


@dataclass(frozen=True)
class _Reporting:
    config: Config
    catalog: Catalog
    format_name: str
    destinations: list[tuple[str, Path]]
    fail_on: Severity | None

    @classmethod
    def from_options(
        cls,
        config_path: Path | None,
        versions_file: Path | None,
        format_name: str,
        outputs: tuple[str, ...],
        fail_on: str,
    ) -> _Reporting:
        destinations = _outputs(outputs)
        config = load_config(config_path)
        catalog = load_catalog(versions_file or config.versions_file)
        return cls(config, catalog, format_name, destinations, FAIL_ON[fail_on])

    def judge(self, changes: list[Change]) -> NoReturn:
        """Apply the rules, write every requested format, exit by the policy."""
        context = rules.Context(catalog=self.catalog, today=date.today())
        findings = rules.run(changes, context, self.config.policy)
        report = build(changes, findings, self.catalog)
        for output_format, destination in self.destinations:
            try:
                destination.write_text(RENDERERS[output_format](report, False), encoding="utf-8")
            except OSError as exc:
                raise InputError(f"{destination}: cannot write: {exc.strerror}") from exc
        click.echo(RENDERERS[self.format_name](report, _use_colour()), nl=False)
        sys.exit(1 if self.fail_on is not None and report.active(self.fail_on) else 0)


def _use_colour() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


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
@_report_options
@_clean_errors
def check(
    head_paths: tuple[Path, ...],
    base_path: Path | None,
    variables: tuple[str, ...],
    var_files: tuple[Path, ...],
    parameters: tuple[str, ...],
    parameter_files: tuple[Path, ...],
    template_path: Path | None,
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
    )
    reporting = _Reporting.from_options(config_path, versions_file, format_name, outputs, fail_on)
    # With --template, --base belongs to the change set: it is the deployed template.
    base = None if template_path else base_path
    with limits.applied(reporting.config.limits):
        changes = _changes(head_paths or (Path("."),), base, inputs)
    reporting.judge(changes)


def _changes(
    head_paths: tuple[Path, ...], base_path: Path | None, inputs: sources.Inputs
) -> list[Change]:
    """Definitions pair with --base; plans and change sets pair with the base they carry."""
    definitions: list[Environment] = []
    changes: list[Change] = []
    for path in head_paths:
        loaded = sources.load(path, inputs)
        if loaded.base is None:
            definitions += loaded.head
        else:
            if len(head_paths) > 1 and loaded.local_ids:
                loaded = loaded.prefixed(sources.display_path(path))
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
    return diff.ordered(changes)


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
@_report_options
@_clean_errors
def terraform(
    terraform_args: tuple[str, ...],
    terraform_bin: str | None,
    chdir: Path | None,
    keep_plan: Path | None,
    config_path: Path | None,
    versions_file: Path | None,
    format_name: str,
    outputs: tuple[str, ...],
    fail_on: str,
) -> None:
    """Run `terraform plan` (with TERRAFORM_ARGS, after --), show it, then check the plan.

    Terraform's own output goes to stderr; the report goes to stdout. The exit code is
    terraform's when it fails, else the policy's."""
    reporting = _Reporting.from_options(config_path, versions_file, format_name, outputs, fail_on)
    with limits.applied(reporting.config.limits):
        run = terraform_run.plan(
            terraform_run.find_binary(terraform_bin), terraform_args, chdir, keep_plan, _echo_err
        )
    if run.exit_code != 0:
        click.echo(f"iacplan: terraform failed (exit {run.exit_code}); nothing checked", err=True)
        sys.exit(run.exit_code)
    reporting.judge(diff.pair(run.loaded.base or (), run.loaded.head))


def _echo_err(line: str) -> None:
    click.echo(line, err=True, nl=False)


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
    today = date.today()
    click.echo(f"MWAA version catalog of {catalog.catalog_date} ({catalog.source})")
    click.echo(f"{'version':<10}{'python':<8}{'available':<12}{'end of support':<16}status")
    for release in catalog.releases:
        eos = release.end_of_support.isoformat() if release.end_of_support else "-"
        status = "supported" if catalog.supported(release.version, today) else "end of support"
        if release.end_of_support and release.end_of_support > today:
            status = "deprecated"
        click.echo(
            f"{release.version!s:<10}{release.python:<8}{release.available.isoformat():<12}"
            f"{eos:<16}{status}"
        )


@main.command(name="rules")
def list_rules() -> None:
    """Every rule: ID, default severity, what it protects."""
    for rule in rules.RULES:
        click.echo(f"{rule.id}  {rule.severity.value:<8} {rule.summary}")
