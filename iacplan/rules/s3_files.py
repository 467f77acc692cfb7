"""MWAA010: files MWAA installs from the bucket, not pinned to an S3 object version.

MWAA installs a changed requirements, plugins or startup file only when its object version
changes, and a version change that goes wrong rolls back to the previous files only through pinned
versions (MWAA_FACTS §5.1, §10)."""

from __future__ import annotations

from collections.abc import Iterator

from iacplan.model import Change, S3File, Severity, ValueState
from iacplan.rules.base import Context, Hit, Rule, version_changes


def _unpinned(change: Change, context: Context) -> Iterator[Hit]:
    if change.head is None or not version_changes(change):
        return
    for file in change.head.files:
        version = file.object_version
        if version.state is ValueState.MISSING:
            yield Hit(
                f"the {file.role} file {_path(file)} is not pinned to an S3 object version "
                f"({version.reason}): MWAA installs a changed file only when its object version "
                f"changes, and if the upgrade goes wrong it restores the previous {file.role} only "
                "from a pinned version; pin the object version",
                file.path.location,
                about(file),
            )
        elif version.state is ValueState.UNKNOWN:
            yield Hit(
                f"whether the {file.role} file {_path(file)} is pinned to an S3 object version "
                f"cannot be verified: {version.reason}",
                file.path.location,
                about(file),
            )


def about(file: S3File) -> str:
    """What a finding on this file is about (Finding.about): one file per role."""
    return f"file:{file.role}"


def _path(file: S3File) -> str:
    if file.path.state is ValueState.KNOWN:
        return f"`{file.path.text}`"
    return f"(path unknown: {file.path.reason})"


UNPINNED_FILES = Rule(
    id="MWAA010",
    severity=Severity.WARNING,
    name="unpinned-s3-files",
    summary="version change while requirements, plugins or startup script is not pinned to an "
    "S3 object version (or the pin cannot be verified)",
    description="MWAA installs a changed `requirements.txt`, plugins file or startup script "
    "only when its S3 object version changes, and a version change that goes wrong rolls back "
    "to the previous files only through pinned versions. Set the object version of each file: "
    "`requirements_s3_object_version`, `plugins_s3_object_version`, "
    "`startup_script_s3_object_version` (CloudFormation: `RequirementsS3ObjectVersion`, "
    "`PluginsS3ObjectVersion`, `StartupScriptS3ObjectVersion`).",
    help_title="Installing Python dependencies (Amazon MWAA)",
    help_url="https://docs.aws.amazon.com/mwaa/latest/userguide/working-dags-dependencies.html",
    check=_unpinned,
    tags=("mwaa", "rollback", "s3"),
)
