"""Where environments come from: one module per input kind, chosen by looking at the files."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iacplan.errors import InputError
from iacplan.model import Environment
from iacplan.sources import changeset, cloudformation, terraform_hcl
from iacplan.sources.cfn_values import Parameters, read_parameters
from iacplan.sources.files import TF_SUFFIXES, clear_caches, display_path, read_text
from iacplan.sources.terraform_hcl import TerraformInputs

__all__ = ["Inputs", "Loaded", "TerraformInputs", "display_path", "load"]


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


@dataclass(frozen=True)
class Loaded:
    head: tuple[Environment, ...]
    # Plans and change sets carry the deployed side themselves; definitions do not.
    base: tuple[Environment, ...] | None = None


def load(path: Path, inputs: Inputs, name: str | None = None) -> Loaded:
    """Every MWAA environment defined at `path` (a directory or a file); `name` stands for a
    file's own name in ids (a base file compared with a head file of another name)."""
    clear_caches()
    if path.is_dir():
        if _has_terraform(path):
            return Loaded(tuple(terraform_hcl.load_tree(path, inputs.terraform)))
        return Loaded(tuple(cloudformation.load_directory(path, _parameters(inputs))))
    if not path.exists():
        raise InputError(f"{display_path(path)}: no such file or directory")
    if path.name.endswith(TF_SUFFIXES):
        # A .tf file is part of a module: Terraform evaluates the whole directory.
        return Loaded(tuple(terraform_hcl.load_tree(path.parent, inputs.terraform)))
    doc = _json(path)
    if isinstance(doc, dict) and "format_version" in doc and "resource_changes" in doc:
        raise InputError(
            f"{display_path(path)}: Terraform plan JSON is not supported yet; pass the "
            "Terraform directory"
        )
    pages = changeset.pages(doc) if doc is not None else None
    if pages is not None:
        return _changeset(path, pages, inputs)
    # A template's id is its path relative to the argument, so a base and a head file of the
    # same name pair up wherever they are.
    prefix = name or path.name
    return Loaded(tuple(cloudformation.load_template(path, _parameters(inputs), prefix)))


def _changeset(path: Path, pages: list[dict[str, Any]], inputs: Inputs) -> Loaded:
    parameters = _parameters(inputs)

    def by_logical_id(template: Path | None) -> dict[str, Environment]:
        if template is None:
            return {}
        found = cloudformation.load_template(template, parameters, template.name)
        return {env.address: env for env in found}

    templates = changeset.Templates(
        head=by_logical_id(inputs.template), base=by_logical_id(inputs.template_base)
    )
    base, head = changeset.load(path, pages, templates)
    return Loaded(tuple(head), tuple(base))


def _parameters(inputs: Inputs) -> Parameters:
    return read_parameters(inputs.parameters, inputs.parameter_files)


def _has_terraform(directory: Path) -> bool:
    for _, dirnames, filenames in os.walk(directory, followlinks=True):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        if any(f.endswith(TF_SUFFIXES) for f in filenames):
            return True
    return False


def _json(path: Path) -> object:
    """The file as JSON, or None when it is not JSON (a YAML template, say)."""
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError:
        return None
