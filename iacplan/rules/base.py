"""What a rule is: a stable ID, a default severity, what it says about itself, and a pure function
of a change.

The metadata is the one source for `iacplan rules` (text, and the README's table from
`--format markdown`), SARIF rule help and the cfn-lint plugin's rule descriptions."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from packaging.version import Version

from iacplan.catalog.versions import Catalog, parse_version
from iacplan.model import Change, ChangeKind, Location, Severity, ValueState


@dataclass(frozen=True)
class Context:
    catalog: Catalog
    today: date


@dataclass(frozen=True)
class Hit:
    """What a rule found; the location defaults to the head (or base) version's."""

    message: str
    location: Location | None = None
    about: str | None = None  # what in the environment it is about (Finding.about)
    severity: Severity | None = None  # when not the rule's: a doubt rather than a certainty


Check = Callable[[Change, Context], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    id: str  # stable: MWAA001...; configs, suppressions and alerts refer to it
    severity: Severity  # the default; .iacplan.yaml can change it per rule
    name: str  # readable and stable, kebab-case: SARIF `name`, what code scanning filters by
    summary: str  # when it fires, one line: `iacplan rules`, the README table, SARIF
    description: str  # why it matters and what to do, a short paragraph (Markdown code spans)
    help_title: str  # the page that explains it: AWS MWAA or Apache Airflow documentation
    help_url: str
    check: Check
    tags: tuple[str, ...] = ()  # what code scanning lets you filter by, besides the name


def versions(change: Change) -> tuple[Version, Version] | None:
    """Base and head versions when both sides exist and both are well-formed versions."""
    if change.base is None or change.head is None or change.kind is ChangeKind.NO_BASE:
        return None
    base, head = change.base.version, change.head.version
    if base.state is not ValueState.KNOWN or head.state is not ValueState.KNOWN:
        return None
    old, new = parse_version(base.text or ""), parse_version(head.text or "")
    if old is None or new is None:
        return None
    return old, new


def version_changes(change: Change) -> bool:
    pair = versions(change)
    return pair is not None and pair[0] != pair[1]
