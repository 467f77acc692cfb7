"""MWAA008: what the verdict depends on and cannot be resolved — the version, whether the
environment exists, whether it is replaced — is reported as unknown, never as safe."""

from __future__ import annotations

from collections.abc import Iterator

from iacplan.catalog.versions import parse_version
from iacplan.model import Change, ChangeKind, Environment, Severity, ValueState
from iacplan.rules.base import Context, Hit, Rule


def _side(env: Environment, side: str) -> Iterator[Hit]:
    value = env.version
    if value.state is ValueState.MISSING:
        yield Hit(
            f"{side} airflow_version is not set: MWAA picks its newest version when it creates "
            "an environment, and an existing one keeps what it runs; set the version explicitly",
            value.location,
        )
    elif value.state is ValueState.UNKNOWN:
        yield Hit(f"{side} airflow_version is unknown: {value.reason}", value.location)


def _unresolved(change: Change, context: Context) -> Iterator[Hit]:
    if change.doubt is not None:
        yield Hit(change.doubt, change.subject.name.location)
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
            f"base airflow_version {base.text!r} is not a version, so the change cannot be judged",
            base.location,
        )


UNRESOLVED_VERSION = Rule(
    "MWAA008",
    Severity.WARNING,
    "the airflow version, whether the environment exists, or whether it is replaced cannot be "
    "resolved (with the reason)",
    _unresolved,
)


def _neither_sets_it(change: Change) -> bool:
    return (
        change.kind is ChangeKind.UNCHANGED
        and change.base is not None
        and change.head is not None
        and change.base.version.state is ValueState.MISSING
        and change.head.version.state is ValueState.MISSING
    )
