"""The files MWAA installs from the bucket, read alike for Terraform and CloudFormation: which
are configured, and whether each is pinned to an object version."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from iacplan.inputs import s3_files
from iacplan.model import Location, Value, ValueState

WHERE = Location("main.tf", 3)


def reader(values: dict[str, Value]) -> Callable[[str], Value]:
    def read(name: str) -> Value:
        return values.get(name, Value.missing(f"{name} is not set", WHERE))

    return read


def test_the_attributes_of_each_input_kind() -> None:
    roles = [role for role, _, _ in s3_files.TERRAFORM]
    assert roles == [role for role, _, _ in s3_files.CLOUDFORMATION]
    assert roles == ["requirements", "plugins", "startup script"]
    assert ("plugins", "PluginsS3Path", "PluginsS3ObjectVersion") in s3_files.CLOUDFORMATION


def test_only_files_whose_path_is_set_are_configured() -> None:
    found = s3_files.configured(
        s3_files.TERRAFORM,
        reader(
            {
                "requirements_s3_path": Value.known("requirements.txt", WHERE),
                "requirements_s3_object_version": Value.known("3sL4kqtJ", WHERE),
                "plugins_s3_path": Value.known("", WHERE),  # empty: the API gets nothing
            }
        ),
    )
    [requirements] = found
    assert requirements.role == "requirements"
    assert requirements.path.text == "requirements.txt"
    assert requirements.object_version.text == "3sL4kqtJ"


@pytest.mark.parametrize(
    ("version", "state", "reason"),
    [
        (None, ValueState.MISSING, "requirements_s3_object_version is not set"),
        (Value.known("", WHERE), ValueState.MISSING, "requirements_s3_object_version is empty"),
        (Value.unknown("`var.v` has no value", WHERE), ValueState.UNKNOWN, "`var.v` has no value"),
    ],
)
def test_a_file_without_a_known_object_version(
    version: Value | None, state: ValueState, reason: str
) -> None:
    values = {"requirements_s3_path": Value.known("requirements.txt", WHERE)}
    if version is not None:
        values["requirements_s3_object_version"] = version
    [file] = s3_files.configured(s3_files.TERRAFORM, reader(values))
    assert (file.object_version.state, file.object_version.reason) == (state, reason)


def test_a_path_that_may_be_set_counts() -> None:
    """An unresolved path may name a file: it is kept, so that its pin is checked too."""
    values = {"PluginsS3Path": Value.unknown("Fn::ImportValue reads an export", WHERE)}
    [file] = s3_files.configured(s3_files.CLOUDFORMATION, reader(values))
    assert file.role == "plugins" and file.path.state is ValueState.UNKNOWN
    assert file.object_version.state is ValueState.MISSING


def test_unknown_is_every_file_and_nothing_known() -> None:
    files = s3_files.unknown(s3_files.CLOUDFORMATION, "the template cannot be read", WHERE)
    assert [f.role for f in files] == ["requirements", "plugins", "startup script"]
    for file in files:
        for value in (file.path, file.object_version):
            assert value.state is ValueState.UNKNOWN
            assert (value.reason, value.location) == ("the template cannot be read", WHERE)
