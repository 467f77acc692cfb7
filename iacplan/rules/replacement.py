"""MWAA007: replacing or destroying an environment loses its metadata database and history."""

from __future__ import annotations

from collections.abc import Iterator

from iacplan.model import Change, ChangeKind, Severity
from iacplan.rules.base import Context, Hit, Rule


def _replaced(change: Change, context: Context) -> Iterator[Hit]:
    if change.kind is ChangeKind.REPLACED:
        yield Hit(
            f"the environment would be replaced ({change.reason}): the new one starts with an "
            "empty metadata database, so every run's history is lost",
            change.subject.location,
        )
    elif change.kind is ChangeKind.REMOVED and change.reason is not None:
        yield Hit(
            f"the environment would be destroyed ({change.reason}) with its metadata database "
            "and run history",
            change.subject.location,
        )
    elif change.kind is ChangeKind.REMOVED:
        yield Hit(
            "the environment is in the base but not in head: applying destroys it with its "
            "metadata database and run history (if it only moved to another root or state, "
            "suppress this finding with a reason)",
            change.subject.location,
        )


REPLACED = Rule(
    "MWAA007",
    Severity.ERROR,
    "the environment would be replaced or destroyed (run history lost)",
    _replaced,
)
