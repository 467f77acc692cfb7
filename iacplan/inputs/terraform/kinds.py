"""Terraform's input kinds: a configuration (a directory, or a .tf file of one) and a plan as
`terraform show -json` prints it (or a state, refused with the command that makes a plan)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iacplan.errors import InputError
from iacplan.inputs.files import TERRAGRUNT_FILES, TF_SUFFIXES, parse_json
from iacplan.inputs.interface import Loaded, Source
from iacplan.inputs.terraform import hcl


@dataclass(frozen=True)
class Configuration:
    """A directory with Terraform files anywhere below it, or a .tf file: a file is part of a
    module, and Terraform evaluates the whole directory."""

    name: str = "Terraform configuration"

    def detect(self, source: Source) -> bool:
        if source.path.is_dir():
            return _has_terraform(source.path) or _has_terragrunt(source.path)
        return source.path.name.endswith(TF_SUFFIXES)

    def load(self, source: Source) -> Loaded:
        top = source.path if source.path.is_dir() else source.path.parent
        # A scope is made only where there is no Terragrunt file (iacplan.inputs.untouched).
        if not source.path.is_dir() or source.inputs.scope or not _has_terragrunt(top):
            return Loaded(
                tuple(hcl.load_tree(top, source.inputs.terraform, scope=source.inputs.scope))
            )
        # Terragrunt units feed modules: each is evaluated with its unit's inputs (its parser
        # is imported only where a Terragrunt file is found).
        from iacplan.inputs import confine
        from iacplan.inputs.terragrunt import units as terragrunt
        from iacplan.inputs.terragrunt.config import Options

        root = confine.current() or confine.repository_root([top])
        found = terragrunt.find_units(top, Options(root, source.inputs.env_allow))
        runs = terragrunt.runs(found, top)
        environments = []
        if runs or _has_terraform(top):
            environments = hcl.load_tree(top, source.inputs.terraform, runs)
        environments += terragrunt.remote_environments(found, top)
        environments += terragrunt.unread_environments(top)
        return Loaded(tuple(environments))


@dataclass(frozen=True)
class Plan:
    """`terraform show -json PLANFILE`: the environments before and after apply, and what
    apply does to each. A state (`terraform show -json` without a plan) is detected to be
    refused with the command that makes a plan."""

    name: str = "Terraform plan JSON"

    def detect(self, source: Source) -> bool:
        if source.path.is_dir():
            return False
        from iacplan.inputs.terraform import plan  # only for a file that may be one (~8 ms)

        doc = source.document
        return plan.is_plan(doc) or _is_state(doc)

    def load(self, source: Source) -> Loaded:
        doc = source.document
        if _is_state(doc):
            raise InputError(
                f"{source.shown}: a Terraform state, not a plan: run `terraform show -json "
                "PLANFILE`"
            )
        assert isinstance(doc, dict)
        return _plan(source.shown, doc, source.text)


def load_plan_text(text: str, name: str) -> Loaded:
    """A plan as `terraform show -json` printed it; `name` is what locations show."""
    from iacplan.inputs.terraform import plan

    doc = parse_json(name, text, strict=True)
    if not plan.is_plan(doc):
        raise InputError(f"{name}: not a Terraform plan JSON")
    assert isinstance(doc, dict)
    return _plan(name, doc, text)


def _plan(name: str, doc: dict[str, Any], text: str) -> Loaded:
    from iacplan.inputs.terraform import plan

    base, head = plan.load(name, doc, text)
    return Loaded(tuple(head), tuple(base), local_ids=True)


def _is_state(doc: object) -> bool:
    from iacplan.inputs.terraform import plan

    return (
        isinstance(doc, dict)
        and not plan.is_plan(doc)
        and "format_version" in doc
        and "values" in doc
    )


def _has_terraform(directory: Path, names: tuple[str, ...] = ()) -> bool:
    """Whether a file with a Terraform suffix (or one of `names`) is anywhere below."""
    seen = set()
    for root, dirnames, filenames in os.walk(directory, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:  # a directory link loop
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        if any(f.endswith(TF_SUFFIXES) if not names else f in names for f in filenames):
            return True
    return False


def _has_terragrunt(directory: Path) -> bool:
    return _has_terraform(directory, TERRAGRUNT_FILES)
