"""Where environments come from: one module per input kind, chosen by looking at the files."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from iacplan.errors import InputError
from iacplan.inputs import requirements
from iacplan.inputs.cloudformation import template as cloudformation
from iacplan.inputs.cloudformation.values import Parameters, read_parameters
from iacplan.inputs.files import (
    TF_SUFFIXES,
    clear_caches,
    display_path,
    parse_json,
    read_text,
)
from iacplan.inputs.prefilter import cloudformation_may_hold, looks_like_template
from iacplan.inputs.requirements import Given
from iacplan.inputs.terraform import hcl as terraform_hcl
from iacplan.inputs.terraform.hcl import TerraformInputs
from iacplan.model import Environment

__all__ = [
    "Given",
    "Inputs",
    "Loaded",
    "TerraformInputs",
    "display_path",
    "load",
    "load_plan_text",
    "requirements",
]


@dataclass(frozen=True)
class Inputs:
    """Everything the user passes to evaluate definitions, per input kind."""

    terraform: TerraformInputs = field(default_factory=TerraformInputs)
    parameters: tuple[tuple[str, str], ...] = ()  # CloudFormation --parameter KEY=VALUE
    parameter_files: tuple[Path, ...] = ()  # CloudFormation --parameters-file
    # The templates a change set was made from: they give the versions and the source bucket
    # that a change set without property values leaves out.
    template: Path | None = None  # --template: the proposed template
    template_base: Path | None = None  # --base, when --template is given: the deployed one
    requirements: Given = field(default_factory=Given)  # --requirements
    # --only: read one kind of input (pre-commit hooks); files of other kinds are skipped, and so
    # is a file given that is not a template (or cannot define an environment).
    only: str | None = None  # "terraform" | "cloudformation"


@dataclass(frozen=True)
class Loaded:
    head: tuple[Environment, ...]
    # Plans and change sets carry the deployed side themselves; definitions do not.
    base: tuple[Environment, ...] | None = None
    # Ids unique only within this file (a plan's addresses), unlike a change set's stack name.
    local_ids: bool = False

    def prefixed(self, prefix: str) -> Loaded:
        """Ids that stay apart from other inputs' (two plans may both hold `…main`)."""

        def rename(envs: tuple[Environment, ...]) -> tuple[Environment, ...]:
            return tuple(replace(env, id=f"{prefix}:{env.id}") for env in envs)

        base = None if self.base is None else rename(self.base)
        return Loaded(rename(self.head), base, local_ids=False)

    def with_requirements(self, top: Path, given: Given) -> Loaded:
        """The head environments with the requirements file given for them or found below
        `top` (the directory given on the command line)."""
        return replace(self, head=requirements.attach(self.head, top, given))


def load(path: Path, inputs: Inputs, name: str | None = None) -> Loaded:
    """Every MWAA environment defined at `path` (a directory or a file); `name` stands for a
    file's own name in ids (a base file compared with a head file of another name)."""
    clear_caches()  # the files may have changed since an earlier load in this process
    if inputs.only is not None:
        return _load_only(path, inputs, name)
    if path.is_dir():
        if _has_terraform(path):
            # A tree can hold both: CloudFormation templates beside Terraform are read too.
            templates = cloudformation.load_directory(path, _parameters(inputs), beside=True)
            return Loaded(tuple(terraform_hcl.load_tree(path, inputs.terraform)) + tuple(templates))
        return Loaded(tuple(cloudformation.load_directory(path, _parameters(inputs))))
    if not path.exists():
        raise InputError(f"{display_path(path)}: no such file or directory")
    if path.name.endswith(TF_SUFFIXES):
        # A .tf file is part of a module: Terraform evaluates the whole directory.
        return Loaded(tuple(terraform_hcl.load_tree(path.parent, inputs.terraform)))
    # Plans and change sets are files: their modules are imported only for one (~8 ms).
    from iacplan.inputs.cloudformation import changeset
    from iacplan.inputs.terraform import plan as terraform_plan

    text = read_text(path)
    shown = display_path(path)
    doc = parse_json(shown, text, strict=path.suffix.lower() == ".json")
    if terraform_plan.is_plan(doc):
        assert isinstance(doc, dict)
        return _plan(shown, doc, text)
    if isinstance(doc, dict) and "format_version" in doc and "values" in doc:
        raise InputError(
            f"{shown}: a Terraform state, not a plan: run `terraform show -json PLANFILE`"
        )
    pages = changeset.pages(doc) if doc is not None else None
    if pages is not None:
        return _changeset(path, pages, inputs)
    # A template's id is its path relative to the argument, so a base and a head file of the
    # same name pair up wherever they are.
    prefix = name or path.name
    return Loaded(tuple(cloudformation.load_template(path, _parameters(inputs), prefix)))


def _load_only(path: Path, inputs: Inputs, name: str | None) -> Loaded:
    """`load` with --only: one kind of input, the others skipped without a word."""
    if not path.exists():
        raise InputError(f"{display_path(path)}: no such file or directory")
    terraform_file = path.name.endswith(TF_SUFFIXES)
    if inputs.only == "terraform":
        if path.is_dir() or terraform_file:
            module = path if path.is_dir() else path.parent
            return Loaded(tuple(terraform_hcl.load_tree(module, inputs.terraform)))
        if path.suffix.lower() != ".json":
            return Loaded(())
        doc = parse_json(display_path(path), read_text(path), strict=True)
        return load(path, replace(inputs, only=None), name) if _is_plan(doc) else Loaded(())
    if path.is_dir():
        return Loaded(tuple(cloudformation.load_directory(path, _parameters(inputs))))
    if terraform_file:
        return Loaded(())
    text = read_text(path)
    if not cloudformation_may_hold(text):  # as in a directory: it cannot define an environment
        return Loaded(())
    try:
        doc = parse_json(display_path(path), text, strict=path.suffix.lower() == ".json")
        if doc is None:  # YAML
            doc = cloudformation.decode(path)
    except InputError:
        if looks_like_template(text):
            raise  # a broken template is reported; other broken YAML is not iacplan's
        return Loaded(())
    from iacplan.inputs.cloudformation import changeset

    if _is_plan(doc) or not (cloudformation.is_template(doc) or changeset.pages(doc) is not None):
        return Loaded(())
    return load(path, replace(inputs, only=None), name)


def _is_plan(doc: object) -> bool:
    from iacplan.inputs.terraform import plan as terraform_plan

    return terraform_plan.is_plan(doc)


def load_plan_text(text: str, name: str) -> Loaded:
    """A plan as `terraform show -json` printed it; `name` is what locations show."""
    from iacplan.inputs.terraform import plan as terraform_plan

    doc = parse_json(name, text, strict=True)
    if not terraform_plan.is_plan(doc):
        raise InputError(f"{name}: not a Terraform plan JSON")
    assert isinstance(doc, dict)
    return _plan(name, doc, text)


def _plan(name: str, doc: dict[str, Any], text: str) -> Loaded:
    from iacplan.inputs.terraform import plan as terraform_plan

    base, head = terraform_plan.load(name, doc, text)
    return Loaded(tuple(head), tuple(base), local_ids=True)


def _changeset(path: Path, pages: list[dict[str, Any]], inputs: Inputs) -> Loaded:
    from iacplan.inputs.cloudformation import changeset

    # The change set's own parameters are what it executes with; the deployed stack's values
    # are in no file, so the deployed template's parameters are unknown.
    head_parameters = _parameters(inputs).overridden_by(changeset.parameters(path, pages))
    deployed = Parameters({}, all_unknown="the deployed stack's value is not in the change set")

    def by_logical_id(
        template: Path | None, parameters: Parameters, lint: bool
    ) -> dict[str, Environment]:
        if template is None:
            return {}
        found = cloudformation.load_template(template, parameters, template.name, lint)
        return {env.address: env for env in found}

    # Only the proposed template's cfn-lint notes are shown.
    templates = changeset.Templates(
        head=by_logical_id(inputs.template, head_parameters, lint=True),
        base=by_logical_id(inputs.template_base, deployed, lint=False),
    )
    base, head = changeset.load(path, pages, templates)
    return Loaded(tuple(head), tuple(base))


def _parameters(inputs: Inputs) -> Parameters:
    return read_parameters(inputs.parameters, inputs.parameter_files)


def _has_terraform(directory: Path) -> bool:
    seen = set()
    for root, dirnames, filenames in os.walk(directory, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:  # a directory link loop
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        if any(f.endswith(TF_SUFFIXES) for f in filenames):
            return True
    return False
