"""MWAA001, MWAA002, MWAA003, MWAA013: which version changes MWAA can make in place."""

from __future__ import annotations

from collections.abc import Iterator

from packaging.version import Version

from iacplan.catalog.versions import Catalog, parse_version, series
from iacplan.model import Change, Severity, ValueState
from iacplan.rules.base import Context, Hit, Rule, versions


def _stepping_stone(catalog: Catalog, target_major: int, context: Context) -> str | None:
    """The newest supported release from which MWAA upgrades to `target_major` in place."""
    allowed = catalog.major_upgrade_from.get(target_major, frozenset())
    stones = [
        r.version
        for r in catalog.releases
        if series(r.version) in allowed and catalog.supported(r.version, context.today)
    ]
    return str(max(stones)) if stones else None


def _downgrade(change: Change, context: Context) -> Iterator[Hit]:
    pair = versions(change)
    if pair is None or pair[1] >= pair[0]:
        return
    old, new = pair
    catalog = context.catalog
    if catalog.path_in_place(old, new) and catalog.supported(new, context.today):
        mwaa = (
            "MWAA itself would accept this downgrade; if it is intended, lower MWAA001's "
            "severity in .iacplan.yaml or suppress it for this environment"
        )
    elif not catalog.supported(new, context.today):
        mwaa = f"MWAA would refuse it too: {new} is not a supported MWAA version"
    else:
        mwaa = "MWAA would refuse it too"
    yield Hit(f"downgrade {old} → {new}: iacplan rejects every downgrade by default; {mwaa}")


def _major_not_in_place(change: Change, context: Context) -> Iterator[Hit]:
    pair = versions(change)
    if pair is None or pair[0].major == pair[1].major:
        return
    old, new = pair
    catalog = context.catalog
    if catalog.path_in_place(old, new):
        return
    if new.major < old.major:
        targets = ", ".join(sorted(catalog.major_downgrade_to.get(old.major, frozenset())))
        where = f"only to {targets}.x" if targets else "not at all"
        yield Hit(f"{old} → {new}: MWAA downgrades from Airflow {old.major} in place {where}")
        return
    stone = _stepping_stone(catalog, new.major, context)
    if stone is None or series(old) in catalog.no_change_from:
        yield Hit(
            f"{old} → {new}: MWAA cannot upgrade Airflow {old.major} to {new.major} in place; "
            "create a new environment on the new version and migrate the metadata"
        )
        return
    yield Hit(
        f"{old} → {new}: MWAA upgrades to Airflow {new.major} in place only from "
        f"{series(Version(stone))}.x; upgrade to {stone} first, then to {new} — or create a "
        "new environment and migrate the metadata"
    )


def _frozen_series(change: Change, context: Context) -> Iterator[Hit]:
    if change.base is None or change.head is None:
        return
    base, head = change.base.version, change.head.version
    old = parse_version(base.text or "")
    if old is None or series(old) not in context.catalog.no_change_from:
        return
    if head.state is ValueState.KNOWN and head.text != base.text:
        yield Hit(
            f"the environment runs {old}: MWAA cannot change the version of a {series(old)} "
            "environment in place; create a new environment and migrate"
        )


def _major_in_place(change: Change, context: Context) -> Iterator[Hit]:
    pair = versions(change)
    if pair is None or pair[1].major <= pair[0].major:
        return
    old, new = pair
    if context.catalog.path_in_place(old, new):
        yield Hit(
            f"{old} → {new} is a major upgrade MWAA can do in place: review the DAGs for "
            f"Airflow {new.major}'s breaking changes first (e.g. `ruff check --select AIR3`)"
        )


DOWNGRADE = Rule(
    "MWAA001", Severity.ERROR, "head version is lower than base (downgrade)", _downgrade
)
MAJOR_NOT_IN_PLACE = Rule(
    "MWAA002",
    Severity.ERROR,
    "a major version change MWAA cannot do in place (needs a stepping stone or a new environment)",
    _major_not_in_place,
)
FROZEN_SERIES = Rule(
    "MWAA003", Severity.ERROR, "no in-place version change from Airflow 1.10", _frozen_series
)
MAJOR_IN_PLACE = Rule(
    "MWAA013",
    Severity.WARNING,
    "a major upgrade MWAA can do in place (2.11.x → 3.x): Airflow 3 needs a DAG review",
    _major_in_place,
)
