"""MWAA005 and MWAA006: an upgrade that goes wrong rolls requirements and plugins back only from a
versioned source bucket."""

from __future__ import annotations

from collections.abc import Iterator

from iacplan.model import Bucket, Change, Severity, Versioning
from iacplan.rules.base import Context, Hit, Rule, version_changes

ABOUT = "source bucket"  # what MWAA005 and MWAA006 findings are about (Finding.about)


def unversioned(bucket: Bucket) -> Hit | None:
    """The bucket's versioning is off; shared with the cfn-lint plugin, which checks a single
    template (MWAA needs a versioned source bucket even without an upgrade)."""
    if bucket.versioning not in (Versioning.DISABLED, Versioning.SUSPENDED):
        return None
    return Hit(
        f"source bucket {bucket.id} has versioning {bucket.versioning} ({bucket.reason}): "
        "if the upgrade goes wrong, MWAA cannot restore the previous requirements and plugins",
        bucket.location,
        ABOUT,
    )


def _unversioned(change: Change, context: Context) -> Iterator[Hit]:
    bucket = change.head.bucket if change.head else None
    hit = unversioned(bucket) if bucket is not None and version_changes(change) else None
    if hit is not None:
        yield hit


def _unverified(change: Change, context: Context) -> Iterator[Hit]:
    bucket = change.head.bucket if change.head else None
    if bucket is None or not version_changes(change) or bucket.versioning != Versioning.UNKNOWN:
        return
    yield Hit(
        f"versioning of the source bucket{' ' + bucket.id if bucket.id else ''} cannot be "
        f"verified ({bucket.reason}): rollback of requirements and plugins needs it enabled",
        bucket.location,
        ABOUT,
    )


BUCKET = "https://docs.aws.amazon.com/mwaa/latest/userguide/mwaa-s3-bucket.html"

UNVERSIONED_BUCKET = Rule(
    id="MWAA005",
    severity=Severity.WARNING,
    name="unversioned-source-bucket",
    summary="version change while the source bucket's versioning is disabled, suspended or "
    "never set",
    description="MWAA requires the environment's source bucket to have versioning enabled, and "
    "an upgrade that goes wrong rolls back to the previous requirements and plugins only "
    "through their object versions. Enable versioning on the bucket (`aws_s3_bucket_versioning` "
    'with `status = "Enabled"`, or `VersioningConfiguration: {Status: Enabled}`) before the '
    "upgrade.",
    help_title="Create an Amazon S3 bucket for Amazon MWAA",
    help_url=BUCKET,
    check=_unversioned,
    tags=("mwaa", "rollback", "s3"),
)
UNVERIFIED_BUCKET = Rule(
    id="MWAA006",
    severity=Severity.WARNING,
    name="unverified-source-bucket",
    summary="version change while the bucket's versioning cannot be verified (bucket outside "
    "the configuration, or its settings unresolved)",
    description="The source bucket is not defined in what was checked, or its versioning "
    "cannot be resolved, so iacplan cannot tell whether an upgrade that goes wrong can roll "
    "back the requirements and plugins. Make sure the bucket has versioning enabled, check the "
    "definitions that hold it too, or run with `--live` to read it from the account.",
    help_title="Create an Amazon S3 bucket for Amazon MWAA",
    help_url=BUCKET,
    check=_unverified,
    tags=("mwaa", "rollback", "s3"),
)
