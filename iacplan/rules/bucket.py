"""MWAA005 and MWAA006: an upgrade that goes wrong rolls requirements and plugins back only from a
versioned source bucket."""

from __future__ import annotations

from collections.abc import Iterator

from iacplan.model import Bucket, Change, Severity, Versioning
from iacplan.rules.base import Context, Hit, Rule, version_changes


def unversioned(bucket: Bucket) -> Hit | None:
    """The bucket's versioning is off; shared with the cfn-lint plugin, which checks a single
    template (MWAA needs a versioned source bucket even without an upgrade)."""
    if bucket.versioning not in (Versioning.DISABLED, Versioning.SUSPENDED):
        return None
    return Hit(
        f"source bucket {bucket.id} has versioning {bucket.versioning} ({bucket.reason}): "
        "if the upgrade goes wrong, MWAA cannot restore the previous requirements and plugins",
        bucket.location,
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
    )


UNVERSIONED_BUCKET = Rule(
    "MWAA005",
    Severity.WARNING,
    "upgrade while the source bucket's versioning is disabled, suspended or never set",
    _unversioned,
)
UNVERIFIED_BUCKET = Rule(
    "MWAA006",
    Severity.WARNING,
    "upgrade while the bucket's versioning cannot be verified (bucket outside the config)",
    _unverified,
)
