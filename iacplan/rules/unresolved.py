"""MWAA008: a version that cannot be resolved is reported as unknown, never as safe."""

from __future__ import annotations

from collections.abc import Iterator

from iacplan.catalog.versions import parse_version
from iacplan.model import Change, Environment, Severity, ValueState
from iacplan.rules.base import Context, Hit, Rule


def _attribute(env: Environment) -> str:
    """The version's name where it is written: the Terraform argument or the template property."""
    return "AirflowVersion" if env.kind.startswith("cloudformation") else "airflow_version"


def _side(env: Environment, side: str) -> Iterator[Hit]:
    value = env.version
    if value.state is ValueState.MISSING:
        yield Hit(
            f"{side} {_attribute(env)} is not set: MWAA picks its newest version when it "
            "creates an environment, and an existing one keeps what it runs; set the version "
            "explicitly",
            value.location,
        )
    elif value.state is ValueState.UNKNOWN:
        yield Hit(f"{side} {_attribute(env)} is unknown: {value.reason}", value.location)


def _unresolved(change: Change, context: Context) -> Iterator[Hit]:
    if change.head is not None:
        yield from _side(change.head, "head")
    if change.base is None or change.head is None:
        return
    yield from _side(change.base, "base")
    base = change.base.version
    if base.state is ValueState.KNOWN and parse_version(base.text or "") is None:
        yield Hit(
            f"base {_attribute(change.base)} {base.text!r} is not a version, so the change "
            "cannot be judged",
            base.location,
        )


UNRESOLVED_VERSION = Rule(
    "MWAA008",
    Severity.WARNING,
    "the airflow version cannot be resolved (unknown value, with the reason)",
    _unresolved,
)
