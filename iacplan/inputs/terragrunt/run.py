"""What the Terraform evaluation needs of a Terragrunt unit: kept free of the Terragrunt
parser's imports, since the evaluator's child imports it at every start."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from iacplan.inputs.files import display_path
from iacplan.model import Environment, Location, Value

CONFIG_NAME = "terragrunt.hcl"  # a unit's (and most includes') file


class UnitRun(NamedTuple):
    """One unit's module evaluation: picklable, for the worker processes."""

    module: Path
    prefix: str  # the unit's directory relative to the checked path, then ":"
    variables: str  # JSON object: the unit's inputs, null where unknown
    unknown: tuple[tuple[str, str], ...]  # input name -> why it is unknown
    file: Path  # the unit's terragrunt.hcl
    # Where the unit sets its Airflow version input, and to what (when known): a reviewer
    # changes that line, not the module's.
    version_input: tuple[str, Location] | None = None


def explain(env: Environment, run: UnitRun) -> Environment:
    """An environment of a unit's module, with the unit's prefix, and an unknown value that
    comes from an unknown input explained by that input's reason."""
    reasons = dict(run.unknown)

    def why(value: Value) -> Value:
        if value.reason is None or value.text is not None:
            return value
        for name, reason in reasons.items():
            if f"`var.{name}`" in value.reason:
                return replace(
                    value,
                    reason=f"`var.{name}` is the Terragrunt input {name} of "
                    f"{display_path(run.file)}, which cannot be evaluated: {reason}",
                )
        return value

    version = why(env.version)
    if run.version_input and version.text == run.version_input[0]:
        version = replace(version, location=run.version_input[1])
    return replace(
        env,
        version=version,
        name=why(env.name),
        notes=(*env.notes, f"deployed by the Terragrunt unit {display_path(run.file)}"),
    )
