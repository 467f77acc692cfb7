"""The files MWAA installs from the source bucket, read the same way for every input kind from
a function that resolves one attribute as that kind does."""

from __future__ import annotations

from collections.abc import Callable

from iacplan.model import Location, S3File, Value, ValueState

# (role, path attribute, object version attribute)
Attributes = tuple[tuple[str, str, str], ...]
TERRAFORM: Attributes = (
    ("requirements", "requirements_s3_path", "requirements_s3_object_version"),
    ("plugins", "plugins_s3_path", "plugins_s3_object_version"),
    ("startup script", "startup_script_s3_path", "startup_script_s3_object_version"),
)
CLOUDFORMATION: Attributes = (
    ("requirements", "RequirementsS3Path", "RequirementsS3ObjectVersion"),
    ("plugins", "PluginsS3Path", "PluginsS3ObjectVersion"),
    ("startup script", "StartupScriptS3Path", "StartupScriptS3ObjectVersion"),
)


def configured(attributes: Attributes, read: Callable[[str], Value]) -> tuple[S3File, ...]:
    """The files whose path is set (or may be: an unresolved path counts); an empty string is
    not set, as the provider and the API send nothing for it."""
    files = []
    for role, path_name, version_name in attributes:
        path = read(path_name)
        if path.state is ValueState.MISSING or _empty(path):
            continue
        version = read(version_name)
        if _empty(version):
            version = Value.missing(f"{version_name} is empty", version.location)
        files.append(S3File(role, path, version))
    return tuple(files)


def unknown(attributes: Attributes, reason: str, location: Location) -> tuple[S3File, ...]:
    """Every file, none of them readable: whether each is set and pinned is unknown."""
    value = Value.unknown(reason, location)
    return tuple(S3File(role, value, value) for role, _, _ in attributes)


def _empty(value: Value) -> bool:
    return value.state is ValueState.KNOWN and not value.text
