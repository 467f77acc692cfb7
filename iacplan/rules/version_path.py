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


UPGRADING = "https://docs.aws.amazon.com/mwaa/latest/userguide/upgrading-environment.html"
MIGRATING = "https://docs.aws.amazon.com/mwaa/latest/migrationguide/migrating-to-new-mwaa.html"

DOWNGRADE = Rule(
    id="MWAA001",
    severity=Severity.ERROR,
    name="downgrade",
    summary="head version is lower than base (downgrade); the message says when MWAA itself "
    "would accept it",
    description="iacplan's default policy rejects every Airflow downgrade, also those MWAA "
    "makes in place (to a still supported version of the same major, or from 3.x to 2.11.x): "
    "a downgrade in a pull request is rarely meant. The message says whether MWAA itself would "
    "accept the change. If the downgrade is intended, lower MWAA001's severity in "
    "`.iacplan.yaml` or suppress it for this environment with a reason.",
    help_title="Downgrading the Apache Airflow version (Amazon MWAA)",
    help_url="https://docs.aws.amazon.com/mwaa/latest/userguide/airflow-versions.html"
    "#airflow-versions-downgrade",
    check=_downgrade,
    tags=("mwaa", "version-path"),
)
MAJOR_NOT_IN_PLACE = Rule(
    id="MWAA002",
    severity=Severity.ERROR,
    name="major-change-not-in-place",
    summary="a major change MWAA cannot do in place (1.x→2.x always; 2.x→3.x unless from "
    "2.11.x; 3.x→2.x unless to 2.11.x)",
    description="MWAA changes the major Airflow version in place only from the latest 2.11.x to "
    "3.x, and back from 3.x to 2.11.x. From 2.10.3 or older, upgrade to 2.11.x first and then "
    "to 3.x, or create a new environment on the new version and migrate the metadata. As "
    "written, apply does not go through: MWAA refuses the update (with Terraform, the AWS "
    "provider may replace the environment instead, see MWAA007).",
    help_title="Changing the Apache Airflow version (Amazon MWAA)",
    help_url=UPGRADING,
    check=_major_not_in_place,
    tags=("mwaa", "version-path"),
)
FROZEN_SERIES = Rule(
    id="MWAA003",
    severity=Severity.ERROR,
    name="version-change-from-1.10",
    summary="base is 1.10.x and the version changes: MWAA has no in-place change from Airflow 1.10",
    description="MWAA cannot change the Airflow version of a 1.10 environment in place, not "
    "even to a newer 1.10. Create a new environment on the target version beside it, move the "
    "DAGs, requirements, connections, variables and metadata over, then retire the old one.",
    help_title="Migrating to a new Amazon MWAA environment",
    help_url=MIGRATING,
    check=_frozen_series,
    tags=("mwaa", "version-path"),
)
MAJOR_IN_PLACE = Rule(
    id="MWAA013",
    severity=Severity.WARNING,
    name="major-upgrade-needs-dag-review",
    summary="a major upgrade MWAA can do in place (2.11.x→3.x): review the DAGs for Airflow 3's "
    "breaking changes",
    description="MWAA upgrades 2.11.x to Airflow 3 in place, but the DAGs may not run on it: "
    "Airflow 3 removes SubDAGs, SLAs and several context keys (`execution_date`, `next_ds`, "
    "...), moves the standard operators to `apache-airflow-providers-standard` and changes "
    "scheduling defaults. Check the DAGs with `ruff check --select AIR3` and test them against "
    "the new version locally before the upgrade.",
    help_title="Upgrading to Airflow 3 (Apache Airflow)",
    help_url="https://airflow.apache.org/docs/apache-airflow/stable/installation/"
    "upgrading_to_airflow3.html",
    check=_major_in_place,
    tags=("mwaa", "version-path", "airflow-3"),
)
