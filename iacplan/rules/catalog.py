"""MWAA004 and MWAA009: is the head version one MWAA offers, and is it still supported."""

from __future__ import annotations

from collections.abc import Iterator

from iacplan.catalog.versions import malformed_hint, parse_version
from iacplan.model import Change, ChangeKind, Severity, ValueState
from iacplan.rules.base import Context, Hit, Rule


def _unknown_version(change: Change, context: Context) -> Iterator[Hit]:
    head = change.head
    if head is None or head.version.state is not ValueState.KNOWN or head.version.text is None:
        return
    text = head.version.text
    if change.kind is ChangeKind.UNCHANGED:
        return  # apply asks MWAA for no version: the same value stays (a note says so)
    note = f" ({head.version.reason})" if head.version.reason else ""
    version = parse_version(text)
    if version is None:
        yield Hit(f"{text!r} is not an MWAA Airflow version: {malformed_hint(text)}{note}")
    elif context.catalog.release(version) is None:
        date = context.catalog.catalog_date.isoformat()
        yield Hit(
            f"{text} is not a version MWAA offers (catalog of {date}){note}; if MWAA has "
            "released it since, point --versions-file at a newer catalog"
        )
    elif not context.catalog.supported(version, context.today) and _moves_to(change, text):
        yield Hit(
            f"{text} is past MWAA end of support: MWAA no longer creates environments on it "
            f"or changes an environment to it{note}"
        )


def _moves_to(change: Change, text: str) -> bool:
    """Whether applying the change asks MWAA for this version (not: it already runs it)."""
    if change.kind in (ChangeKind.ADDED, ChangeKind.REPLACED):
        return True
    base = change.base
    return base is not None and change.kind is not ChangeKind.NO_BASE and base.version.text != text


def _end_of_support(change: Change, context: Context) -> Iterator[Hit]:
    head = change.head
    if head is None or head.version.state is not ValueState.KNOWN:
        return
    version = parse_version(head.version.text or "")
    release = context.catalog.release(version) if version else None
    if release is None or release.end_of_support is None:
        return
    eos = release.end_of_support.isoformat()
    if release.end_of_support <= context.today:
        yield Hit(
            f"{version} is past MWAA end of support ({eos}): MWAA creates no environments on it "
            "and no upgrade or downgrade can target it; existing environments run at your own risk"
        )
    else:
        yield Hit(f"{version} is deprecated: MWAA ends support for it on {eos}")


VERSIONS = "https://docs.aws.amazon.com/mwaa/latest/userguide/airflow-versions.html"

UNKNOWN_VERSION = Rule(
    id="MWAA004",
    severity=Severity.ERROR,
    name="version-not-offered",
    summary="head version is not one MWAA offers (per the catalog), or is past end of support "
    "and the change moves to it",
    description="MWAA accepts only the Airflow versions it lists and refuses any other value "
    "when the environment is created or updated; no environment can be created on, or changed "
    "to, a version past end of support. Versions are compared exactly: `v2.10.3`, `2.10` or an "
    "unquoted YAML number are reported, never normalised. If MWAA has released the version "
    "since iacplan's catalog date, point `--versions-file` (or `versions_file` in "
    "`.iacplan.yaml`) at a newer catalog.",
    help_title="Apache Airflow versions on Amazon MWAA",
    help_url=VERSIONS + "#airflow-versions-official",
    check=_unknown_version,
    tags=("mwaa", "catalog"),
)
END_OF_SUPPORT = Rule(
    id="MWAA009",
    severity=Severity.WARNING,
    name="end-of-support",
    summary="head version is deprecated or past end of support",
    description="MWAA announces the end of support of an Airflow version ahead of time. After "
    "it, MWAA creates no environments on the version and no upgrade or downgrade can target it; "
    "existing environments keep running at your own risk, without technical support. Plan an "
    "upgrade to a supported version.",
    help_title="Apache Airflow version support and FAQ (Amazon MWAA)",
    help_url=VERSIONS + "#airflow-versions-support",
    check=_end_of_support,
    tags=("mwaa", "catalog"),
)
