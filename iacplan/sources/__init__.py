"""Where environments come from: one module per input kind, chosen by looking at the files."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from iacplan.errors import InputError
from iacplan.model import Environment
from iacplan.sources import terraform_hcl
from iacplan.sources.files import display_path
from iacplan.sources.terraform_hcl import TerraformInputs

__all__ = ["Inputs", "Loaded", "TerraformInputs", "display_path", "load"]


@dataclass(frozen=True)
class Inputs:
    """Everything the user passes to evaluate definitions, per input kind."""

    terraform: TerraformInputs = field(default_factory=TerraformInputs)
    parameters: tuple[tuple[str, str], ...] = ()  # CloudFormation --parameter KEY=VALUE
    parameter_files: tuple[Path, ...] = ()  # CloudFormation --parameters-file


@dataclass(frozen=True)
class Loaded:
    head: tuple[Environment, ...]
    # Plans and change sets carry the deployed side themselves; definitions do not.
    base: tuple[Environment, ...] | None = None


def load(path: Path, inputs: Inputs) -> Loaded:
    """Every MWAA environment defined at `path` (a directory or a file)."""
    if path.is_dir():
        return Loaded(tuple(terraform_hcl.load_tree(path, inputs.terraform)))
    if not path.exists():
        raise InputError(f"{display_path(path)}: no such file or directory")
    if path.name.endswith((".tf", ".tf.json")):
        # A .tf file is part of a module: Terraform evaluates the whole directory.
        return Loaded(tuple(terraform_hcl.load_tree(path.parent, inputs.terraform)))
    raise InputError(f"{display_path(path)}: {_unsupported(path)}")


def _unsupported(path: Path) -> str:
    """Name the kind of a file this version cannot read yet, so the user knows why."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return f"cannot read: {exc}"
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        doc = None
    if isinstance(doc, dict) and "format_version" in doc and "resource_changes" in doc:
        return "Terraform plan JSON is not supported yet; pass the Terraform directory"
    if isinstance(doc, dict) and "Changes" in doc and "ChangeSetId" in doc:
        return "CloudFormation change sets are not supported yet"
    if "Resources" in text:
        return "CloudFormation templates are not supported yet"
    return "not a Terraform directory or .tf file"
