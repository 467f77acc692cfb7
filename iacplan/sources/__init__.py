"""Where environments come from: one module per input kind, chosen by looking at the files."""

from __future__ import annotations

import json
from pathlib import Path

from iacplan.errors import InputError
from iacplan.model import Environment
from iacplan.sources import terraform_hcl
from iacplan.sources.files import display_path
from iacplan.sources.terraform_hcl import TerraformInputs

__all__ = ["TerraformInputs", "display_path", "load"]


def load(path: Path, terraform: TerraformInputs) -> list[Environment]:
    """Every MWAA environment defined at `path` (a directory or a file)."""
    if path.is_dir():
        return terraform_hcl.load_tree(path, terraform)
    if not path.exists():
        raise InputError(f"{display_path(path)}: no such file or directory")
    if path.name.endswith((".tf", ".tf.json")):
        # A .tf file is part of a module: Terraform evaluates the whole directory.
        return terraform_hcl.load_tree(path.parent, terraform)
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
