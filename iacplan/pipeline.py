"""One run, below the command line: load both sides, pair them, join the account, judge.

    inputs (head, and base: --base, --base-ref, or what a plan carries) -> diff.pair -> changes
    -> deployed (--live) -> rules -> report

`check` is `iacplan check`, `terraform` is `iacplan terraform`: each takes one frozen request
and returns the Report, which the caller renders. Nothing here parses options, prints a report
or exits; a bad input is an InputError. What the reader should know on the way (a HEAD_PATH
found renamed at the revision) goes to stderr as an `iacplan: …` line.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from iacplan import diff, safe
from iacplan.catalog.versions import Catalog, load_catalog
from iacplan.config import Config, today
from iacplan.errors import InputError, NoDefinitions
from iacplan.inputs import confine
from iacplan.inputs import registry as sources
from iacplan.inputs.files import TF_SUFFIXES, read_text
from iacplan.model import Change, Environment
from iacplan.runtime import forked, limits

if TYPE_CHECKING:  # imported where used: --live, --base-ref and terraform are not every run's
    from iacplan.inputs import account as live
    from iacplan.inputs import resolve as pip_resolve
    from iacplan.inputs import revision as git
    from iacplan.inputs import untouched
    from iacplan.report import Report


@dataclass(frozen=True)
class Judging:
    """What the changes are judged against: shared by `check` and `terraform`."""

    config: Config = field(default_factory=Config)
    catalog: Catalog = field(default_factory=load_catalog)
    account: live.Account | None = None  # --live: also read the AWS account
    targets: tuple[str, ...] = ()  # what is checked, as given (the SARIF category)
    resolving: pip_resolve.Settings | None = None  # --resolve: pip's resolver on requirements


@dataclass(frozen=True)
class CheckRequest:
    """`iacplan check`: every MWAA environment in `head_paths` against a base."""

    head_paths: tuple[Path, ...] = (Path("."),)
    # The deployed definitions (directory or file). With a change set and --template, the
    # deployed template is `inputs.template_base` instead.
    base_path: Path | None = None
    base_ref: str | None = None  # the same paths at this git revision instead of base_path
    inputs: sources.Inputs = field(default_factory=sources.Inputs)
    # What the base side reads instead of inputs' var and parameters files (--base-var-file,
    # --base-parameters-file). Without them, a file below a HEAD_PATH is read from the same
    # place below base_path (or at base_ref), and any other file on both sides.
    base_var_files: tuple[Path, ...] = ()
    base_parameter_files: tuple[Path, ...] = ()
    judging: Judging = field(default_factory=Judging)
    # --all: against a base, evaluate the root modules and templates no changed file can
    # affect too (iacplan.inputs.untouched), instead of counting them as untouched.
    evaluate_all: bool = False


@dataclass(frozen=True)
class TerraformRequest:
    """`iacplan terraform`: run `terraform plan`, then check the plan it made."""

    binary: str | None = None  # --terraform-bin, else found on PATH
    args: tuple[str, ...] = ()  # after --, for terraform plan
    chdir: Path | None = None
    keep_plan: Path | None = None
    requirements: sources.Given = field(default_factory=sources.Given)
    judging: Judging = field(default_factory=Judging)


# What judging needs once the definitions are read: imported while the evaluator's child works
# on the first root (iacplan.runtime.forked), off the path of a small run.
_JUDGING = ("iacplan.rules", "iacplan.report")


def check(request: CheckRequest) -> Report:
    forked.meanwhile(*_JUDGING)
    named = _named_files(request)
    with limits.applied(request.judging.config.limits), confine.within(None, named):
        if request.base_ref is not None:
            changes, untouched = _changes_at_ref(request.head_paths, request.base_ref, request)
        else:
            changes, untouched = _changes(request.head_paths, request.base_path, request)
    return judge(changes, request.judging, untouched)


def terraform(request: TerraformRequest, echo: Callable[[str], None]) -> Report:
    """`echo` shows terraform's output as it comes; a terraform that fails is an InputError
    (exit 2, its exit code in the message)."""
    from iacplan.inputs.terraform import runner

    with limits.applied(request.judging.config.limits):
        run = runner.plan(
            runner.find_binary(request.binary), request.args, request.chdir, request.keep_plan, echo
        )
    loaded = run.loaded.with_requirements(request.chdir or Path("."), request.requirements)
    changes = diff.pair(loaded.base or (), loaded.head)
    _refuse_unmatched(request.requirements, changes)
    return judge(changes, request.judging)


def judge(changes: list[Change], judging: Judging, untouched: int = 0) -> Report:
    """Read the account (with --live), apply the rules, build the report (`untouched`: the
    root modules and templates left out, which no changed file affects). With --resolve,
    pip runs in the background meanwhile."""
    pending = None
    if judging.resolving is not None:
        from iacplan.inputs import resolve

        pending = resolve.start(changes, judging.catalog, judging.resolving)
    if judging.account is not None:
        from iacplan import deployed
        from iacplan.inputs import account as live

        account = judging.account
        changes = deployed.against_account(changes, lambda wanted: live.read(wanted, account))
    if pending is not None:
        changes = pending.attach(changes)
    from iacplan import rules
    from iacplan.report import build

    changes = safe.changes(changes)  # what rules quote and reports show is safe to publish
    context = rules.Context(catalog=judging.catalog, today=today())
    findings = rules.run(changes, context, judging.config.policy)
    return build(
        changes,
        findings,
        judging.catalog,
        context.today,
        judging.config.ordering,
        judging.targets,
        untouched,
    )


def _named_files(request: CheckRequest) -> list[Path]:
    """The files the command line names: read as named when outside the repository."""
    inputs = request.inputs
    given = inputs.requirements
    return [
        *inputs.terraform.var_files,
        *inputs.parameter_files,
        *request.base_var_files,
        *request.base_parameter_files,
        *([inputs.template] if inputs.template else []),
        *([inputs.template_base] if inputs.template_base else []),
        *([given.everywhere] if given.everywhere else []),
        *(path for _, path in given.by_environment),
    ]


def _repository(paths: tuple[Path, ...]) -> Path:
    """The root reads are confined to for `paths` (see iacplan.inputs.confine)."""
    return confine.repository_root([p if p.exists() else p.parent for p in paths])


def _say(message: str) -> None:
    print(f"iacplan: {message}", file=sys.stderr, flush=True)


def _changes(
    head_paths: tuple[Path, ...], base_path: Path | None, request: CheckRequest
) -> tuple[list[Change], int]:
    """Definitions pair with --base; plans and change sets pair with the base they carry.
    With one directory against another, only what a changed file can affect is evaluated.
    Also gives how many root modules and templates were left out."""
    inputs = request.inputs
    scope = None
    if base_path is not None and len(head_paths) == 1 and head_paths[0].is_dir():
        scope = _scope_between(head_paths[0], base_path, request)
        inputs = replace(inputs, scope=scope)
    definitions: list[Environment] = []
    changes: list[Change] = []
    with confine.within(_repository(head_paths)):
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
        base_inputs = replace(
            _base_inputs(request, _below_base(head_paths, base_path)), scope=scope
        )
        with confine.within(_repository((base_path,))):
            base = sources.load(base_path, base_inputs, name=head_paths[0].name if single else None)
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
    return diff.ordered(changes), scope.untouched if scope else 0


def _evaluates_all(request: CheckRequest) -> bool:
    """Whether every root module and template is evaluated against the base, whatever
    changed: asked for (--all; --only, the pre-commit hooks, give files one by one), or an
    option that applies to each root (--live, var, parameters and requirements files)."""
    inputs = request.inputs
    given = inputs.requirements
    return bool(
        request.evaluate_all
        or inputs.only is not None
        or request.judging.account is not None
        or inputs.terraform.var_files
        or request.base_var_files
        or inputs.parameter_files
        or request.base_parameter_files
        or given.everywhere
        or given.by_environment
    )


def _scope_between(head: Path, base: Path, request: CheckRequest) -> untouched.Scope | None:
    """--base DIR: what a change can affect, the two trees' files compared by content."""
    if _evaluates_all(request) or not base.is_dir():
        return None
    from iacplan.inputs import untouched

    here, there = Path(os.path.realpath(head)), Path(os.path.realpath(base))

    def base_text(file: Path) -> str | None:
        then = there / file.relative_to(here)
        with confine.within(_repository((base,))):
            return read_text(then) if then.is_file() else None

    try:
        with confine.within(_repository((head,))):
            changed = untouched.compare(here, there)
            return untouched.scope([head], here, there, changed, base_text, within=here)
    except untouched.ScopeRefused:
        return None


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


def _changes_at_ref(
    head_paths: tuple[Path, ...], ref: str, request: CheckRequest
) -> tuple[list[Change], int]:
    """Each HEAD_PATH against itself at a git revision: one that did not exist there holds
    environments the PR adds (unless git sees it renamed); one the PR deletes, environments it
    removes. With several HEAD_PATHS, ids are prefixed by the path: each is its own
    configuration. Only what a changed file can affect is read from git and evaluated; also
    gives how many root modules and templates were left out."""
    from iacplan.inputs import revision as git

    changes: list[Change] = []
    definitions = False
    here = _repository(head_paths)
    whole = _evaluates_all(request)
    refused: list[str] = []  # why everything is evaluated: said once the run went through
    with git.revision(ref, whole=whole) as revision:
        scope = None if whole else _scope_at(revision, head_paths, here, refused)
        inputs = replace(request.inputs, scope=scope)
        then_inputs = replace(_base_inputs(request, _at_revision(revision)), scope=scope)
        for path in head_paths:
            head = _module_file(path)
            with confine.within(here):
                loaded = sources.load(head, inputs) if head else sources.Loaded(())
            if loaded.base is None:  # a plan or change set carries its base: not looked for
                then = _module_file(revision.path(path)) or _renamed(path, revision)
                if head is None and then is None:
                    raise InputError(
                        f"{sources.display_path(path)}: no such file or directory, here or at {ref}"
                    )
                definitions = True
                if head:
                    with confine.within(here):
                        git.copy_untracked(head, revision, scope.dirs if scope else None)
                with confine.within(revision.root):
                    base = _load_at(then, then_inputs, ref) if then else ()
                loaded = sources.Loaded(loaded.head, base, local_ids=True)
            with confine.within(here):
                loaded = _as_reported(loaded, path, len(head_paths), inputs, head)
            changes += diff.pair(loaded.base, loaded.head)
        revision.refuse_ignored_definitions(changes)
    _refuse_unmatched(inputs.requirements, changes)
    if not definitions:
        raise InputError(
            "--base-ref compares definitions, but every HEAD_PATH is a plan or change set, "
            "which carries its own base"
        )
    for reason in refused:
        _say(f"every root module and template was evaluated: {reason}")
    return diff.ordered(changes), scope.untouched if scope else 0


def _scope_at(
    revision: git.Revision, head_paths: tuple[Path, ...], here: Path, refused: list[str]
) -> untouched.Scope | None:
    """--base-ref: what the change can affect, from what git sees changed; only that (and
    each HEAD_PATH's directory) is written out from the revision. None, with the whole
    revision written out and the reason in `refused`: everything is evaluated."""
    from iacplan.inputs import untouched

    def base_text(file: Path) -> str | None:
        then = revision.path(file)
        with confine.within(revision.root):
            return read_text(then) if then.is_file() else None

    heads = [p for p in head_paths if p.is_dir() or p.name.endswith(TF_SUFFIXES)]
    try:
        changed = revision.changed()
        revision.write((), (f for f in changed.files if f.name.endswith(TF_SUFFIXES)))
        with confine.within(here):
            scope = untouched.scope(
                [p for p in heads if p.exists()],
                revision.toplevel,
                revision.root,
                changed,
                base_text,
            )
    except untouched.ScopeRefused as exc:
        refused.append(str(exc))
        revision.write_all()
        return None
    revision.write(scope.dirs, scope.files)
    for path in head_paths:  # where each HEAD_PATH is looked for, if the revision has it
        revision.make(path)
        revision.write((), [path])
    return scope


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
    revision.refuse_ignored([path])
    then = revision.renamed(path)
    if then is not None and then.exists():
        shown = then.relative_to(revision.root).as_posix()
        _say(
            f"{sources.display_path(path)} is not at {revision.ref}: compared with {shown}, "
            "which git finds renamed to it"
        )
        return _module_file(then)
    _say(
        f"{sources.display_path(path)} is not at {revision.ref} and git finds no rename: its "
        "environments count as added"
    )
    return None


# Where the base side finds a var or parameters file given for the head: the file it reads
# (None: none), and how to say so.
Counterpart = Callable[[Path, str], tuple[Path | None, str]]


def _base_inputs(request: CheckRequest, counterpart: Counterpart) -> sources.Inputs:
    """The inputs the base side is evaluated with: its own var and parameters files, each
    told on stderr (the head's file on both sides made a version lowered in it "unchanged")."""
    inputs = request.inputs
    var_files = _base_files(
        inputs.terraform.var_files, request.base_var_files, "--var-file", counterpart
    )
    parameter_files = _base_files(
        inputs.parameter_files, request.base_parameter_files, "--parameters-file", counterpart
    )
    return replace(
        inputs,
        terraform=replace(inputs.terraform, var_files=var_files),
        parameter_files=parameter_files,
    )


def _base_files(
    files: tuple[Path, ...], given: tuple[Path, ...], option: str, counterpart: Counterpart
) -> tuple[Path, ...]:
    base_option = option.replace("--", "--base-", 1)
    if given:
        for file in files:
            _say(f"{option} {sources.display_path(file)}: the head reads it")
        for file in given:
            _say(f"{base_option} {sources.display_path(file)}: the base reads it")
        return given
    chosen = []
    for file in files:
        then, how = counterpart(file, base_option)
        _say(f"{option} {sources.display_path(file)}: {how}")
        if then is not None:
            chosen.append(then)
    return tuple(chosen)


def _below_base(head_paths: tuple[Path, ...], base_path: Path) -> Counterpart:
    """--base: a file below a HEAD_PATH is the base's at the same place below --base (a file
    HEAD_PATH or --base stands for its directory); another file is read on both sides."""
    base_top = _directory(base_path)
    tops = sorted({_directory(path) for path in head_paths}, key=lambda top: -len(top.parts))

    def counterpart(file: Path, base_option: str) -> tuple[Path | None, str]:
        absolute = Path(os.path.abspath(file))
        top = next((top for top in tops if absolute.is_relative_to(top)), None)
        if top is None:
            return file, f"below no HEAD_PATH: both sides read it ({base_option} names the base's)"
        then = base_top / absolute.relative_to(top)
        if then.is_file():
            return then, f"the head reads it, the base reads {sources.display_path(then)}"
        return file, (
            f"the base has no {sources.display_path(then)}: both sides read "
            f"{sources.display_path(file)}"
        )

    return counterpart


def _directory(path: Path) -> Path:
    return Path(os.path.abspath(path if path.is_dir() else path.parent))


def _at_revision(revision: git.Revision) -> Counterpart:
    """--base-ref: a file git tracks is read as it was at the revision (none when it did not
    exist then: the PR adds it); an untracked one, or one outside the repository, on both
    sides."""

    def counterpart(file: Path, base_option: str) -> tuple[Path | None, str]:
        then = revision.var_file(file)
        if then is None:
            return None, f"not at {revision.ref} (the PR adds it): the base reads none"
        if then == file:
            return file, f"not tracked by git: both sides read it ({base_option} names the base's)"
        return then, f"the base reads it as it is at {revision.ref}"

    return counterpart


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
