"""MWAA012, MWAA014, MWAA015, MWAA016: what the account says (--live) about the change."""

from __future__ import annotations

from collections.abc import Iterator

from iacplan.model import Change, ChangeKind, Severity
from iacplan.rules.base import Context, Hit, Rule, version_changes

# What each Environment.Status means (botocore's mwaa model, the MWAA user guide).
STATUS_MEANING = {
    "CREATING": "it is being created",
    "CREATE_FAILED": "its creation failed",
    "UPDATING": "an update is running",
    "CREATING_SNAPSHOT": "an update is running and MWAA is taking the snapshot of the "
    "metadata database it would roll back to",
    "ROLLING_BACK": "an update failed and MWAA is restoring the environment from the snapshot",
    "UPDATE_FAILED": "the last update failed and was rolled back; the environment works, but "
    "the cause is still there",
    "UNAVAILABLE": "an update failed and the environment is neither stable nor back to its "
    "previous state",
    "PENDING": "its creation waits for the VPC endpoints to be created (customer-managed "
    "endpoints)",
    "MAINTENANCE": "MWAA maintenance is running and the environment may be unavailable",
    "DELETING": "it is being deleted",
    "DELETED": "it has been deleted",
}


def _drift(change: Change, context: Context) -> Iterator[Hit]:
    if change.drift is not None and change.base is not None:
        yield Hit(
            f"the base definition says {change.drift.text}, the account runs "
            f"{change.base.version.text}: the change is judged from {change.base.version.text}; "
            "bring the definitions in line with what runs (for Terraform state: "
            "`terraform apply -refresh-only`), or find out who changed it",
            change.drift.location,
        )
    live = change.subject.live
    if live is None:
        return
    if live.found is False and change.base is not None:
        yield Hit(
            f"the base has environment {live.name}, but the account has none of that name in "
            f"{live.region}: wrong account or region, or deleted outside the definitions?"
        )
    elif live.found and change.kind is ChangeKind.ADDED:
        yield Hit(
            f"the account already runs an environment named {live.name} (Airflow "
            f"{live.version}) that the base does not have: creating it is refused unless it is "
            "imported, and then the change is judged from the version it runs"
        )


def _not_available(change: Change, context: Context) -> Iterator[Hit]:
    live = change.subject.live
    if live is None or live.status in (None, "AVAILABLE") or not version_changes(change):
        return
    meaning = STATUS_MEANING.get(live.status or "", "a status iacplan does not know")
    yield Hit(
        f"the environment is {live.status} in the account: {meaning}. Change the version only "
        "once it is AVAILABLE again"
    )


def _missing_objects(change: Change, context: Context) -> Iterator[Hit]:
    live = change.subject.live
    for pinned in live.objects if live is not None else ():
        if pinned.exists is False:
            yield Hit(
                f"the deployed environment pins {pinned.role} version {pinned.version_id} of "
                f"s3://{pinned.bucket}/{pinned.key}, which the bucket does not have "
                f"({pinned.detail}): if an update goes wrong, MWAA cannot roll back to it; pin an "
                "existing version before the upgrade"
            )


def _account_errors(change: Change, context: Context) -> Iterator[Hit]:
    live = change.subject.live
    for error in live.errors if live is not None else ():
        yield Hit(
            f"the account check {error.call} (IAM action {error.action}) failed: "
            f"{error.message}; what runs is not verified"
        )


DRIFT = Rule(
    "MWAA012",
    Severity.WARNING,
    "live environment version differs from the base definition (drift), or the account and "
    "the base disagree on whether it exists",
    _drift,
)
NOT_AVAILABLE = Rule(
    "MWAA014",
    Severity.ERROR,
    "version change on an environment that is not AVAILABLE in the account",
    _not_available,
)
MISSING_OBJECT = Rule(
    "MWAA015",
    Severity.WARNING,
    "a requirements / plugins / startup object version the deployed environment pins is not "
    "in the bucket (rollback cannot restore it)",
    _missing_objects,
)
ACCOUNT_ERROR = Rule(
    "MWAA016",
    Severity.ERROR,
    "an account check asked for with --live failed (credentials, permission, throttling, network)",
    _account_errors,
)
