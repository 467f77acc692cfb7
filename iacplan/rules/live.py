"""MWAA012, MWAA014, MWAA015, MWAA016: what the account says (--live) about the change."""

from __future__ import annotations

from collections.abc import Iterator

from iacplan.model import Change, ChangeKind, PinnedObject, Severity
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


def about(pinned: PinnedObject) -> str:
    """What a finding on a deployed object is about (Finding.about)."""
    return f"object:{pinned.role}:{pinned.bucket}/{pinned.key}@{pinned.version_id}"


def _missing_objects(change: Change, context: Context) -> Iterator[Hit]:
    live = change.subject.live
    for pinned in live.objects if live is not None else ():
        if pinned.exists is False:
            yield Hit(
                f"the deployed environment pins {pinned.role} version {pinned.version_id} of "
                f"s3://{pinned.bucket}/{pinned.key}, which the bucket does not have "
                f"({pinned.detail}): if an update goes wrong, MWAA cannot roll back to it; pin an "
                "existing version before the upgrade",
                about=about(pinned),
            )


def _account_errors(change: Change, context: Context) -> Iterator[Hit]:
    live = change.subject.live
    for error in live.errors if live is not None else ():
        yield Hit(
            f"the account check {error.call} (IAM action {error.action}) failed: "
            f"{error.message}; what runs is not verified"
        )


DRIFT = Rule(
    id="MWAA012",
    severity=Severity.WARNING,
    name="account-drift",
    summary="`--live`: the account runs another version than the base definition says (drift), "
    "has no environment the base has, or already runs one the base does not",
    description="With `--live`, iacplan compares what the account runs (GetEnvironment) with "
    "the base definition. When they differ, the change is judged from what runs, and applying "
    "the definitions may do something else than their diff shows. Bring the definitions in "
    "line with the account (for Terraform state: `terraform apply -refresh-only`), or find out "
    "who changed it.",
    help_title="GetEnvironment (Amazon MWAA API Reference)",
    help_url="https://docs.aws.amazon.com/mwaa/latest/API/API_GetEnvironment.html",
    check=_drift,
    tags=("mwaa", "live"),
)
NOT_AVAILABLE = Rule(
    id="MWAA014",
    severity=Severity.ERROR,
    name="environment-not-available",
    summary="`--live`: version change on an environment that is not `AVAILABLE` (the message "
    "says what its status means)",
    description="An environment that is updating, rolling back or unavailable, or whose last "
    "update did not go through, is not in a state to take a version change: MWAA may refuse "
    "the update or roll it back again, and the cause of an update that went wrong is still "
    "there. Change the version once the environment is `AVAILABLE` again.",
    help_title="Environment status (Amazon MWAA API Reference)",
    help_url="https://docs.aws.amazon.com/mwaa/latest/API/API_Environment.html"
    "#mwaa-Type-Environment-Status",
    check=_not_available,
    tags=("mwaa", "live"),
)
MISSING_OBJECT = Rule(
    id="MWAA015",
    severity=Severity.WARNING,
    name="pinned-object-missing",
    summary="`--live`: a requirements / plugins / startup script object version the deployed "
    "environment pins is not in the bucket, so an update that goes wrong cannot roll back to it",
    description="If a version change goes wrong, MWAA rolls back to the previous Airflow version "
    "with the previous requirements. When the object version the deployed environment pins is "
    "no longer in the bucket, the rollback has nothing to restore. Pin an existing object "
    "version (upload the file again and set its new version) before the upgrade.",
    help_title="Upgrade or downgrade your workflow resources (Amazon MWAA)",
    help_url="https://docs.aws.amazon.com/mwaa/latest/userguide/upgrading-environment.html"
    "#upgrading-environment-resources",
    check=_missing_objects,
    tags=("mwaa", "live", "rollback", "s3"),
)
ACCOUNT_ERROR = Rule(
    id="MWAA016",
    severity=Severity.ERROR,
    name="account-check-error",
    summary="`--live`: an account call returned an error (credentials, permission, throttling, "
    "network); the message names the call and the IAM action",
    description="With `--live`, iacplan reads the environment and its source bucket through "
    "the AWS API. When a call returns an error, what runs is not verified, so the check cannot "
    "pass. Grant "
    "the IAM action the message names (e.g. `airflow:GetEnvironment`, "
    "`s3:GetBucketVersioning`), check the credentials and the region, or run without `--live`.",
    help_title="Actions, resources, and condition keys for Amazon MWAA",
    help_url="https://docs.aws.amazon.com/service-authorization/latest/reference/"
    "list_amazonmanagedworkflowsforapacheairflow.html",
    check=_account_errors,
    tags=("mwaa", "live"),
)
