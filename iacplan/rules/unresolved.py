"""MWAA008: what the verdict depends on and cannot be resolved — the version, whether the
environment exists, whether it is replaced — is reported as unknown, never as safe."""

from __future__ import annotations

from collections.abc import Iterator

from iacplan.catalog.versions import parse_version
from iacplan.model import Change, ChangeKind, Environment, Severity, ValueState
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
    for env, side in ((change.base, "in the base"), (change.head, "in head")):
        if env is not None and env.existence is not None:
            yield Hit(
                f"whether the environment exists {side} cannot be resolved: {env.existence}; "
                "its version is judged as if it exists",
                env.location,
            )
    if _neither_sets_it(change):
        return  # unchanged: the version stays MWAA's (a note says so)
    if change.head is not None:
        yield from _side(change.head, "head")
    if change.base is None or change.head is None:
        return
    yield from _side(change.base, "base")
    base = change.base.version
    unchanged = change.kind is ChangeKind.UNCHANGED  # the same value: nothing to judge
    if base.state is ValueState.KNOWN and parse_version(base.text or "") is None and not unchanged:
        yield Hit(
            f"base {_attribute(change.base)} {base.text!r} is not a version, so the change "
            "cannot be judged",
            base.location,
        )


UNRESOLVED_VERSION = Rule(
    id="MWAA008",
    severity=Severity.WARNING,
    name="unresolved-version",
    summary="the Airflow version, or whether the environment exists, cannot be resolved "
    "(not set, or not known before apply; with the reason)",
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


def _neither_sets_it(change: Change) -> bool:
    return (
        change.kind is ChangeKind.UNCHANGED
        and change.base is not None
        and change.head is not None
        and change.base.version.state is ValueState.MISSING
        and change.head.version.state is ValueState.MISSING
    )
