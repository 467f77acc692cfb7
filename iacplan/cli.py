"""The command line: `iacplan check`, `terraform`, `comment`, `versions` and `rules`."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from iacplan import __version__, pipeline, safe
from iacplan.catalog.versions import load_catalog
from iacplan.config import DEFAULT_NAME as DEFAULT_CONFIG
from iacplan.config import load_config, today
from iacplan.errors import InputError
from iacplan.inputs import confine
from iacplan.inputs import registry as sources
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
    resolve_options,
    resolving,
)
from iacplan.render import RENDERERS

if TYPE_CHECKING:  # imported where used: --live is not every run's
    from iacplan.inputs import account as live
    from iacplan.inputs import resolve as pip_resolve
    from iacplan.render.context import Context
    from iacplan.report import Report


@dataclass(frozen=True)
class _Reporting:
    """Where the report goes and what it exits with: shared by `check` and `terraform`."""

    format_name: str
    destinations: list[tuple[str, Path]]
    fail_on: Severity | None
    sarif: tuple[str | None, bool] = (None, False)  # --sarif-category, --sarif-suppressed
    colour: str = "auto"
    verbose: bool = False

    def publish(self, report: Report) -> int:
        """Write every requested format, show one on stdout; the exit code by the policy."""
        # Paths from the repository root and CI links, found once: renderers run nothing.
        from iacplan import ci
        from iacplan.render.context import ColourChoice

        tty = sys.stdout.isatty()
        formats = {self.format_name, *(f for f, _ in self.destinations)}
        width = shutil.get_terminal_size().columns if tty else 100
        shown_with = ci.context(formats, ColourChoice(self.colour), tty, self.verbose, width)
        files = replace(shown_with, colour=False, width=100)
        for output_format, destination in self.destinations:
            try:
                destination.write_text(self.render(output_format, report, files), encoding="utf-8")
            except OSError as exc:
                raise InputError(f"{destination}: cannot write: {exc.strerror}") from exc
        shown = self.render(self.format_name, report, shown_with)
        try:
            click.echo(shown, nl=False, color=shown_with.colour or None)
            sys.stdout.flush()
        except BrokenPipeError:  # the reader stopped early (`| head`): the verdict still stands
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # and exit flushes
        return 1 if self.fail_on is not None and report.active(self.fail_on) else 0

    def render(self, format_name: str, report: Report, context: Context) -> str:
        if format_name != "sarif":
            return RENDERERS[format_name](report, context.colour, context)
        from iacplan.render import sarif

        category, suppressed = self.sarif
        return sarif.render(report, False, context, sarif.Options(category, suppressed))


def _reporting(
    options: dict[str, Any],
    account: live.Account | None,
    targets: tuple[Path, ...],
    resolve: pip_resolve.Settings | None,
) -> tuple[_Reporting, pipeline.Judging]:
    """The options `check` and `terraform` share (report_options): where the report goes,
    and what it is judged against."""
    reporting = _Reporting(
        options["format_name"],
        parse_outputs(options["outputs"]),
        FAIL_ON[options["fail_on"]],
        (options["sarif_category"], options["sarif_suppressed"]),
        options["colour"],
        options["verbose"],
    )
    config_path, versions_file = options["config_path"], options["versions_file"]
    # The default config, and the catalog it names, may be the pull request's: read only
    # inside the repository, like the definitions (a --config or --versions-file is named).
    with confine.within(confine.repository_root([Path(".")])):
        if config_path is None and os.path.lexists(DEFAULT_CONFIG):
            confine.check(Path(DEFAULT_CONFIG), DEFAULT_CONFIG)
        config = load_config(config_path)
        if config_path is None and versions_file is None and config.versions_file:
            confine.check(config.versions_file, str(config.versions_file))
    catalog = load_catalog(versions_file or config.versions_file)
    shown = tuple(str(t) for t in targets)
    return reporting, pipeline.Judging(config, catalog, account, shown, resolve)


class _Main(Group):
    """`comment` is imported when it is asked for: `check` never needs it, and the import is
    part of every run's start."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), "comment"})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "comment" and cmd_name not in self.commands:
            from iacplan.comment.command import comment

            self.add_command(comment)
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Main)
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
    "--all",
    "evaluate_all",
    is_flag=True,
    help="With --base or --base-ref, also evaluate the root modules and templates that no "
    "changed file can affect (by default they are counted as untouched, not evaluated).",
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
@click.option(
    "--env-allow",
    "env_allow",
    multiple=True,
    metavar="NAME",
    help="An environment variable Terragrunt's get_env() may read (repeatable); any other "
    "that is set makes its get_env() unknown.",
)
@click.option(
    "--only",
    type=click.Choice(["terraform", "cloudformation"]),
    help="Read only this kind of definitions; other files, given or found, are skipped, and so "
    "is a file given that is no template (for pre-commit hooks).",
)
@requirements_option
@resolve_options
@live_options
@report_options
@clean_errors
def check(
    head_paths: tuple[Path, ...],
    base_path: Path | None,
    base_ref: str | None,
    evaluate_all: bool,
    variables: tuple[str, ...],
    var_files: tuple[Path, ...],
    base_var_files: tuple[Path, ...],
    parameters: tuple[str, ...],
    parameter_files: tuple[Path, ...],
    base_parameter_files: tuple[Path, ...],
    template_path: Path | None,
    env_allow: tuple[str, ...],
    only: str | None,
    requirements_files: tuple[str, ...],
    use_resolve: bool,
    constraints_mirror: str | None,
    resolve_timeout: float | None,
    allow_requirements_index: bool,
    use_live: bool,
    region: str | None,
    profile: str | None,
    **reporting_options: Any,
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
        only=only,
        env_allow=frozenset(env_allow),
    )
    account = live_account(use_live, region, profile)
    resolve = resolving(use_resolve, constraints_mirror, resolve_timeout, allow_requirements_index)
    reporting, judging = _reporting(reporting_options, account, head_paths or (Path("."),), resolve)
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
        evaluate_all=evaluate_all,
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
@resolve_options
@live_options
@report_options
@clean_errors
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
    **reporting_options: Any,
) -> None:
    """Run `terraform plan` (with TERRAFORM_ARGS, after --), show it, then check the plan.

    Terraform's own output goes to stderr; the report goes to stdout. The exit code is the
    policy's; 2 when terraform fails (its exit code is in the message), 143 on SIGTERM."""
    account = live_account(use_live, region, profile)
    resolve = resolving(use_resolve, constraints_mirror, resolve_timeout, allow_requirements_index)
    reporting, judging = _reporting(reporting_options, account, (chdir or Path("."),), resolve)
    request = pipeline.TerraformRequest(
        binary=terraform_bin,
        args=terraform_args,
        chdir=chdir,
        keep_plan=keep_plan,
        requirements=parse_requirements(requirements_files),
        judging=judging,
    )
    sys.exit(reporting.publish(pipeline.terraform(request, _echo_err)))


def _echo_err(line: str) -> None:
    click.echo(safe.redact(line), err=True, nl=False)


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
    day = today()
    click.echo(f"MWAA version catalog of {catalog.catalog_date} ({catalog.source})")
    click.echo(
        f"{'version':<10}{'python':<8}{'available':<12}{'end of support':<16}{'status':<16}image"
    )
    for release in catalog.releases:
        eos = release.end_of_support.isoformat() if release.end_of_support else "-"
        status = "supported" if catalog.supported(release.version, day) else "end of support"
        if release.end_of_support and release.end_of_support > day:
            status = "deprecated"
        image = release.image
        shown = f"{image.os} (glibc {image.glibc}, {image.arch})" if image else "-"
        click.echo(
            f"{release.version!s:<10}{release.python:<8}{release.available.isoformat():<12}"
            f"{eos:<16}{status:<16}{shown}"
        )


@main.command(name="rules")
@click.option(
    "--format",
    "format_name",
    type=click.Choice(["text", "markdown"]),
    default="text",
    show_default=True,
    help="text: one line per rule (ID, default severity, when it fires); markdown: the "
    "README's rule table, with each rule's name and the page that explains it.",
)
def list_rules(format_name: str) -> None:
    """Every rule: ID, default severity, when it fires."""
    from iacplan.rules import RULES, docs

    render = docs.markdown if format_name == "markdown" else docs.text
    click.echo(render(RULES), nl=False)
