"""Where environments come from: one module per input kind, chosen by looking at the files."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from iacplan.errors import InputError
from iacplan.model import Environment
from iacplan.sources import terraform_hcl, terraform_plan
from iacplan.sources.files import clear_caches, display_path, read_text
from iacplan.sources.terraform_hcl import TerraformInputs

__all__ = ["Inputs", "Loaded", "TerraformInputs", "display_path", "load", "load_plan_text"]


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

    def prefixed(self, prefix: str) -> Loaded:
        """Ids that stay apart from other inputs' (two plans may both hold `…main`)."""

        def rename(envs: tuple[Environment, ...]) -> tuple[Environment, ...]:
            return tuple(replace(env, id=f"{prefix}:{env.id}") for env in envs)

        return Loaded(rename(self.head), None if self.base is None else rename(self.base))


def load(path: Path, inputs: Inputs) -> Loaded:
    """Every MWAA environment defined at `path` (a directory or a file)."""
    clear_caches()  # the files may have changed since an earlier load in this process
    if path.is_dir():
        return Loaded(tuple(terraform_hcl.load_tree(path, inputs.terraform)))
    if not path.exists():
        raise InputError(f"{display_path(path)}: no such file or directory")
    if path.name.endswith((".tf", ".tf.json")):
        # A .tf file is part of a module: Terraform evaluates the whole directory.
        return Loaded(tuple(terraform_hcl.load_tree(path.parent, inputs.terraform)))
    text = read_text(path)
    name = display_path(path)
    looks_json = path.suffix.lower() == ".json" or text.lstrip().startswith(("{", "["))
    doc = _json(name, text) if looks_json else None
    if terraform_plan.is_plan(doc):
        assert isinstance(doc, dict)
        return _plan(name, doc, text)
    raise InputError(f"{name}: {_unsupported(text, doc)}")


def load_plan_text(text: str, name: str) -> Loaded:
    """A plan as `terraform show -json` printed it; `name` is what locations show."""
    doc = _json(name, text)
    if not terraform_plan.is_plan(doc):
        raise InputError(f"{name}: not a Terraform plan JSON")
    assert isinstance(doc, dict)
    return _plan(name, doc, text)


def _plan(name: str, doc: dict[str, object], text: str) -> Loaded:
    base, head = terraform_plan.load(name, doc, text)
    return Loaded(tuple(head), tuple(base))


def _json(name: str, text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
    except RecursionError as exc:
        raise InputError(f"{name}: JSON nested too deeply") from exc
    except ValueError as exc:  # e.g. an integer beyond Python's digit limit
        raise InputError(f"{name}: invalid JSON: {exc}") from exc


def _unsupported(text: str, doc: object) -> str:
    """Name the kind of a file this version cannot read, so the user knows why."""
    if isinstance(doc, dict) and "format_version" in doc and "values" in doc:
        return "a Terraform state, not a plan: run `terraform show -json PLANFILE`"
    if isinstance(doc, dict) and "Changes" in doc and "ChangeSetId" in doc:
        return "CloudFormation change sets are not supported yet"
    if "Resources" in text:
        return "CloudFormation templates are not supported yet"
    return "not a Terraform directory, .tf file or Terraform plan JSON"
