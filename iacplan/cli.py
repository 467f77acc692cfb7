"""The command line: `iacplan check`, `terraform`, `comment`, `versions` and `rules`."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from iacplan import __version__, pipeline, rules
from iacplan import inputs as sources
from iacplan.catalog.versions import load_catalog
from iacplan.comment.command import comment
from iacplan.config import load_config
from iacplan.errors import InputError
from iacplan.model import Severity
from iacplan.options import (
    FAIL_ON,
    Group,
    clean_errors,
    live_account,
    live_options,
    parse_name_value,
    parse_outputs,
    parse_requirements,
    report_options,
    requirements_option,
)
from iacplan.render import RENDERERS
from iacplan.report import Report

if TYPE_CHECKING:  # imported where used: --live is not every run's
    from iacplan.inputs import account as live


@dataclass(frozen=True)
class _Reporting:
    """Where the report goes and what it exits with: shared by `check` and `terraform`."""

    format_name: str
    destinations: list[tuple[str, Path]]
    fail_on: Severity | None

    def publish(self, report: Report) -> int:
        """Write every requested format, show one on stdout; the exit code by the policy."""
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
        return 1 if self.fail_on is not None and report.active(self.fail_on) else 0


def _reporting(
    config_path: Path | None,
    versions_file: Path | None,
    format_name: str,
    outputs: tuple[str, ...],
    fail_on: str,
    account: live.Account | None,
) -> tuple[_Reporting, pipeline.Judging]:
    """The options `check` and `terraform` share: where the report goes, and what it is
    judged against."""
    reporting = _Reporting(format_name, parse_outputs(outputs), FAIL_ON[fail_on])
    config = load_config(config_path)
    catalog = load_catalog(versions_file or config.versions_file)
    return reporting, pipeline.Judging(config, catalog, account)


def _use_colour() -> bool:
    return "NO_COLOR" not in os.environ


@click.group(cls=Group)
@click.version_option(__version__, prog_name="iacplan")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
def main(debug: bool) -> None:
    """Check MWAA Airflow version changes in Terraform and CloudFormation before apply."""


main.add_command(comment)


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
    help="A Terraform .tfvars file (repeatable). With --base, one below a HEAD_PATH is read "
    "on the base side from the same place below --base (the head's when the base has none); "
    "with --base-ref, as git has it at the revision.",
)
@click.option(
    "--base-var-file",
    "base_var_files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A .tfvars file for the base side, instead of the --var-files (repeatable; with --base "
    "or --base-ref).",
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
    help="CloudFormation parameters as JSON (CLI, simple or CodePipeline form; repeatable). "
    "Read on the base side like --var-file.",
)
@click.option(
    "--base-parameters-file",
    "base_parameter_files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="CloudFormation parameters for the base side, instead of the --parameters-files "
    "(repeatable; with --base or --base-ref).",
)
@click.option(
    "--template",
    "template_path",
    type=click.Path(path_type=Path),
    help="The template a change set was made from; with it, --base is the deployed template "
    "(they give the versions a change set without property values leaves out).",
)
@requirements_option
@live_options
@report_options
@clean_errors
def check(
    head_paths: tuple[Path, ...],
    base_path: Path | None,
    base_ref: str | None,
    variables: tuple[str, ...],
    var_files: tuple[Path, ...],
    base_var_files: tuple[Path, ...],
    parameters: tuple[str, ...],
    parameter_files: tuple[Path, ...],
    base_parameter_files: tuple[Path, ...],
    template_path: Path | None,
    requirements_files: tuple[str, ...],
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
            var_files=var_files, variables=parse_name_value(variables, "--var")
        ),
        parameters=parse_name_value(parameters, "--parameter"),
        parameter_files=parameter_files,
        template=template_path,
        # With --template, --base belongs to the change set: it is the deployed template.
        template_base=base_path if template_path else None,
        requirements=parse_requirements(requirements_files),
    )
    account = live_account(use_live, region, profile)
    reporting, judging = _reporting(
        config_path, versions_file, format_name, outputs, fail_on, account
    )
    if base_ref is not None and (base_path is not None or template_path is not None):
        raise click.UsageError("--base-ref goes with neither --base nor --template")
    definitions_base = base_ref is not None or (base_path is not None and template_path is None)
    if (base_var_files or base_parameter_files) and not definitions_base:
        raise click.UsageError(
            "--base-var-file and --base-parameters-file go with --base or --base-ref "
            "(not with --template: a change set's deployed parameters are not in a file)"
        )
    request = pipeline.CheckRequest(
        head_paths=head_paths or (Path("."),),
        base_path=None if template_path else base_path,
        base_ref=base_ref,
        inputs=inputs,
        base_var_files=base_var_files,
        base_parameter_files=base_parameter_files,
        judging=judging,
    )
    sys.exit(reporting.publish(pipeline.check(request)))


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
@requirements_option
@live_options
@report_options
@clean_errors
def terraform(
    terraform_args: tuple[str, ...],
    terraform_bin: str | None,
    chdir: Path | None,
    keep_plan: Path | None,
    requirements_files: tuple[str, ...],
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
    account = live_account(use_live, region, profile)
    reporting, judging = _reporting(
        config_path, versions_file, format_name, outputs, fail_on, account
    )
    request = pipeline.TerraformRequest(
        binary=terraform_bin,
        args=terraform_args,
        chdir=chdir,
        keep_plan=keep_plan,
        requirements=parse_requirements(requirements_files),
        judging=judging,
    )
    try:
        report = pipeline.terraform(request, _echo_err)
    except pipeline.TerraformFailed as failed:
        click.echo(f"iacplan: {failed}", err=True)
        sys.exit(failed.exit_code)
    sys.exit(reporting.publish(report))


def _echo_err(line: str) -> None:
    click.echo(line, err=True, nl=False)


@main.command()
@click.option(
    "--versions-file",
    type=click.Path(path_type=Path),
    help="Show this catalog instead of the bundled one.",
)
@clean_errors
def versions(versions_file: Path | None) -> None:
    """The MWAA version catalog as a table."""
    catalog = load_catalog(versions_file)
    today = pipeline.today()
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
