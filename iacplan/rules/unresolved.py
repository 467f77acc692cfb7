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
    id="MWAA008",
    severity=Severity.WARNING,
    name="unresolved-version",
    summary="the Airflow version cannot be resolved (not set, or not known before apply; "
    "with the reason)",
    description="iacplan reports an Airflow version it cannot resolve as unknown, never as "
    "safe: the change cannot be judged. An unset version lets MWAA pick its newest version when "
    "it creates the environment. Set the version explicitly, or give the inputs that resolve it "
    "(`--var`, `--var-file`, `--parameter`, `--parameters-file`).",
    help_title="Apache Airflow versions on Amazon MWAA: latest version",
    help_url="https://docs.aws.amazon.com/mwaa/latest/userguide/airflow-versions.html"
    "#airflow-versions-latest",
    check=_unresolved,
    tags=("mwaa", "unresolved"),
)
