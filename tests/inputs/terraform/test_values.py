"""Reading the evaluator's blocks: every shape of an unresolved value ends unknown (never as a
version), the files and tags a block configures, and the source bucket's versioning.

The blocks are written as tfparse returns them (`__tfmeta`, a random `id`, unresolved
references as `{"__attribute__": ...}`, unknown results as None), next to the source text the
module reads lines from."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from iacplan.inputs.terraform import values
from iacplan.model import Location, Value, ValueState, Versioning


def stand_in(path: str) -> str:
    """The random id the evaluator gives a block (here: the same one for the same address)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, path))


def block(path: str, lines: tuple[int, int], **attributes: Any) -> dict[str, Any]:
    kind = path.rpartition(".")[0]
    meta = {
        "path": path,
        "type": "resource",
        "label": kind,
        "filename": "main.tf",
        "line_start": lines[0],
        "line_end": lines[1],
    }
    return {"__tfmeta": meta, "id": stand_in(path), **attributes}


@pytest.fixture
def source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A main.tf whose lines the values are read at (the evaluator's results are faked)."""
    monkeypatch.chdir(tmp_path)
    text = "\n".join(
        [
            'resource "aws_mwaa_environment" "main" {',  # 1
            "  airflow_version = var.v",  # 2
            '  name = "${var.team}-${var.stage}"',  # 3
            "  max_workers = 2.10",  # 4
            "  source_bucket_arn = aws_s3_bucket.b.arn",  # 5
            '  tags = { team = "data" }',  # 6
            "  min_workers = timestamp()",  # 7
            "  schedulers = null",  # 8
            "}",  # 9
            'resource "aws_s3_bucket" "other" {',  # 10
            '  airflow_version = "not this block"',  # 11
            "}",  # 12
        ]
    )
    (tmp_path / "main.tf").write_text(text + "\n")
    return tmp_path / "main.tf"


def read(source: Path, name: str, raw: object, stand_ins: dict[str, str] | None = None) -> Value:
    env = block("aws_mwaa_environment.main", (1, 9), **{name: raw})
    return values.read_value(env, name, source, stand_ins or {})


def test_a_resolved_string_is_known_at_its_line(source: Path) -> None:
    value = read(source, "airflow_version", "2.10.3")
    assert (value.state, value.text) == (ValueState.KNOWN, "2.10.3")
    assert value.location == Location("main.tf", 2)


def test_an_unset_attribute_is_missing(source: Path) -> None:
    env = block("aws_mwaa_environment.main", (1, 9))
    missing = values.read_value(env, "plugins_s3_path", source, {})
    assert missing.state is ValueState.MISSING and missing.location.line == 1
    assert read(source, "schedulers", None).state is ValueState.MISSING  # `= null`


@pytest.mark.parametrize(
    ("reference", "reason"),
    [
        ("var.v", "has no known value here (no default"),
        ("data.aws_ssm_parameter.v.value", "comes from a data source"),
        ("data.terraform_remote_state.s.outputs.v", "comes from a remote state"),
        ("local.v", "cannot be evaluated statically"),
        ("module.m.version", "is a module output"),
        ("aws_s3_bucket.b.arn", "known only after apply"),
    ],
)
def test_an_unresolved_reference_is_unknown_with_where_it_comes_from(
    source: Path, reference: str, reason: str
) -> None:
    raw = {"__attribute__": reference, "__name__": reference.rpartition(".")[2]}
    value = read(source, "airflow_version", raw)
    assert value.state is ValueState.UNKNOWN and reason in (value.reason or "")
    assert f"`{reference}`" in (value.reason or "")


def test_the_other_shapes_of_unknown(source: Path) -> None:
    evaluated_to_nothing = read(source, "airflow_version", None)
    assert evaluated_to_nothing.state is ValueState.UNKNOWN
    assert "`var.v` cannot be evaluated statically" in (evaluated_to_nothing.reason or "")
    partial = read(source, "name", "${var.team}-dev")
    assert partial.state is ValueState.UNKNOWN
    assert "only partly resolved: it refers to var.team" in (partial.reason or "")
    computed = read(
        source,
        "source_bucket_arn",
        "arn:aws:s3:::" + stand_in("aws_s3_bucket.b"),
        {stand_in("aws_s3_bucket.b"): "aws_s3_bucket.b"},
    )
    assert computed.state is ValueState.UNKNOWN
    assert "depends on aws_s3_bucket.b" in (computed.reason or "")
    # The evaluator puts a time where Terraform knows it only at apply.
    stand_in_time = read(source, "min_workers", "2026-11-24T00:00:00Z")
    assert "timestamp, known only after apply" in (stand_in_time.reason or "")
    listed = read(source, "airflow_version", ["2.10.3"])
    assert listed.state is ValueState.UNKNOWN and "not a string (list)" in (listed.reason or "")
    flag = read(source, "airflow_version", True)
    assert "not a string (bool)" in (flag.reason or "")


def test_a_number_is_what_terraform_sends_with_a_note(source: Path) -> None:
    value = read(source, "max_workers", 2.1)
    assert (value.state, value.text) == (ValueState.KNOWN, "2.1")
    assert "written as the number 2.10" in (value.reason or "")
    assert "quote the version" in (value.reason or "")


def test_attribute_is_looked_for_inside_the_block_only(source: Path) -> None:
    meta = block("aws_mwaa_environment.main", (1, 9))["__tfmeta"]
    assert values.attribute(source, meta, "airflow_version") == (2, "var.v")
    assert values.attribute(source, meta, "plugins_s3_path") is None
    other = block("aws_s3_bucket.other", (10, 12))["__tfmeta"]
    assert values.attribute(source, other, "airflow_version") == (11, '"not this block"')


@pytest.mark.parametrize(
    ("lifecycle", "ignored"),
    [
        (
            "ignore_changes = [requirements_s3_object_version, tags]",
            {"requirements_s3_object_version", "tags"},
        ),
        ('ignore_changes = [tags["team"], plugins_s3_path]', {"tags", "team", "plugins_s3_path"}),
        ("ignore_changes = all", {"all"}),
        ("# ignore_changes = [airflow_version]", set()),
        ("", set()),
    ],
)
def test_ignored_changes_are_read_from_the_source(
    tmp_path: Path, lifecycle: str, ignored: set[str]
) -> None:
    file = tmp_path / "main.tf"
    file.write_text(f'resource "x" "y" {{\n  lifecycle {{\n    {lifecycle}\n  }}\n}}\n')
    meta = {"line_start": 1, "line_end": 5}
    assert values.ignored_changes(file, meta) == ignored


def test_ignored_changes_in_json(tmp_path: Path) -> None:
    file = tmp_path / "main.tf.json"
    file.write_text('{"lifecycle": {"ignore_changes": ["airflow_version"]}}\n')
    assert values.ignored_changes(file, {"line_start": 1, "line_end": 1}) == {"airflow_version"}


def test_files_terraform_keeps_as_deployed_are_unknown() -> None:
    configured = {
        "requirements_s3_path": Value.known("requirements.txt", Location("main.tf", 3)),
        "requirements_s3_object_version": Value.known("v1", Location("main.tf", 4)),
    }

    def attribute(name: str) -> Value:
        return configured.get(name, Value.missing(f"{name} is not set", Location("main.tf", 1)))

    [file] = values.read_files(attribute, frozenset())
    assert (file.role, file.object_version.text) == ("requirements", "v1")
    [file] = values.read_files(attribute, frozenset({"requirements_s3_object_version"}))
    assert file.object_version.state is ValueState.UNKNOWN
    assert "ignore_changes lists requirements_s3_object_version" in (
        file.object_version.reason or ""
    )
    assert file.path.text == "requirements.txt"
    [file] = values.read_files(attribute, frozenset({"all"}))
    assert file.path.state is file.object_version.state is ValueState.UNKNOWN


def test_stand_ins_and_unresolved_repetition() -> None:
    result = {
        "aws_s3_bucket": [block("aws_s3_bucket.b", (1, 3), count={"__attribute__": "var.n"})],
        "module": [
            {"__tfmeta": {"path": "module.m"}, "id": stand_in("module.m"), "for_each": True},
            {"__tfmeta": {"path": "module.k"}, "id": stand_in("module.k"), "count": 2},
        ],
    }
    assert values.find_stand_ins(result) == {
        stand_in("aws_s3_bucket.b"): "aws_s3_bucket.b",
        stand_in("module.m"): "module.m",
        stand_in("module.k"): "module.k",
    }
    doubts = values.existence_doubts(result)
    assert set(doubts) == {"aws_s3_bucket.b", "module.m"}
    assert "count of aws_s3_bucket.b cannot be resolved" in doubts["aws_s3_bucket.b"]
    inside = values.doubt_about("module.m.aws_mwaa_environment.main", doubts)
    assert inside is not None and inside.startswith("the for_each of module.m")
    assert values.doubt_about("module.mm.aws_mwaa_environment.main", doubts) is None
    assert values.doubt_about("module.k.aws_mwaa_environment.main", doubts) is None


def test_tags_keep_only_resolved_values() -> None:
    env = block(
        "aws_mwaa_environment.main",
        (1, 9),
        tags={
            "team": "data",
            "env": None,
            "stage": "${var.stage}",
            "bucket": stand_in("aws_s3_bucket.b"),
        },
    )
    assert values.read_tags(env, {stand_in("aws_s3_bucket.b"): "aws_s3_bucket.b"}) == (
        ("team", "data"),
    )
    assert values.read_tags(block("x.y", (1, 1)), {}) == ()


def index(
    tmp_path: Path, *blocks: dict[str, Any], dropped: tuple[str, ...] = ()
) -> values.BucketIndex:
    result: dict[str, list[dict[str, Any]]] = {}
    for found in blocks:
        result.setdefault(found["__tfmeta"]["label"], []).append(found)
    return values.BucketIndex(result, tmp_path, values.existence_doubts(result), list(dropped))


def link(
    found: values.BucketIndex, arn: str | dict[str, str]
) -> tuple[str | None, Versioning, str]:
    where = Location("main.tf", 5)
    value = Value.known(arn, where) if isinstance(arn, str) else Value.unknown("`x` unknown", where)
    bucket = found.link(arn, value)
    return bucket.id, bucket.versioning, bucket.reason


@pytest.fixture
def buckets(source: Path) -> Path:
    return source.parent


def versioning(status: object, bucket: str = "src", **extra: Any) -> dict[str, Any]:
    return block(
        "aws_s3_bucket_versioning.v",
        (10, 12),
        bucket=bucket,
        versioning_configuration={"status": status},
        **extra,
    )


def test_a_bucket_with_a_versioning_resource(buckets: Path) -> None:
    bucket = block("aws_s3_bucket.b", (10, 12), bucket="src")
    for status, state in (("Enabled", Versioning.ENABLED), ("Suspended", Versioning.SUSPENDED)):
        found = index(buckets, bucket, versioning(status))
        assert link(found, "arn:aws:s3:::src") == (
            "src",
            state,
            f"aws_s3_bucket_versioning.v sets status {status}",
        )
    unresolved = index(buckets, bucket, versioning(None))
    assert link(unresolved, "arn:aws:s3:::src")[1:] == (
        Versioning.UNKNOWN,
        "aws_s3_bucket_versioning.v status cannot be resolved",
    )
    doubtful = index(buckets, bucket, versioning("Enabled", count={"__attribute__": "var.n"}))
    assert (
        "count or for_each of aws_s3_bucket_versioning.v" in link(doubtful, "arn:aws:s3:::src")[2]
    )
    twice = index(buckets, bucket, versioning("Enabled"), versioning("Suspended"))
    assert "several versioning resources" in link(twice, "arn:aws:s3:::src")[2]


def test_a_bucket_referred_to_by_its_computed_name_is_its_address(buckets: Path) -> None:
    bucket = block("aws_s3_bucket.b", (10, 12))  # no `bucket`: the name is known after apply
    found = index(buckets, bucket, versioning("Enabled", bucket=stand_in("aws_s3_bucket.b")))
    assert link(found, "arn:aws:s3:::" + stand_in("aws_s3_bucket.b"))[:2] == (
        "aws_s3_bucket.b",
        Versioning.ENABLED,
    )


def test_a_bucket_without_a_versioning_resource(buckets: Path) -> None:
    never = index(buckets, block("aws_s3_bucket.b", (10, 12), bucket="src"))
    assert link(never, "arn:aws:s3:::src") == (
        "src",
        Versioning.DISABLED,
        "aws_s3_bucket.b has no aws_s3_bucket_versioning and no versioning block: never enabled",
    )
    inline = index(
        buckets, block("aws_s3_bucket.b", (10, 12), bucket="src", versioning={"enabled": True})
    )
    assert link(inline, "arn:aws:s3:::src")[1] is Versioning.ENABLED
    off = index(
        buckets, block("aws_s3_bucket.b", (10, 12), bucket="src", versioning={"enabled": False})
    )
    assert link(off, "arn:aws:s3:::src")[1] is Versioning.DISABLED
    unsure = index(
        buckets, block("aws_s3_bucket.b", (10, 12), bucket="src", versioning={"enabled": None})
    )
    assert "versioning.enabled cannot be resolved" in link(unsure, "arn:aws:s3:::src")[2]
    dropped = index(
        buckets, block("aws_s3_bucket.b", (10, 12), bucket="src"), dropped=("main.tf:20",)
    )
    assert "was not evaluated" in link(dropped, "arn:aws:s3:::src")[2]
    elsewhere = index(
        buckets, block("aws_s3_bucket.b", (10, 12), bucket="src"), versioning("Enabled", "${var.b}")
    )
    assert "cannot be told apart from aws_s3_bucket.b" in link(elsewhere, "arn:aws:s3:::src")[2]


def test_a_dynamic_versioning_block_is_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "main.tf").write_text(
        'resource "aws_s3_bucket" "b" {\n  bucket = "src"\n  dynamic "versioning" {\n'
        "    for_each = var.v\n    content { enabled = true }\n  }\n}\n"
    )
    found = index(tmp_path, block("aws_s3_bucket.b", (1, 7), bucket="src"))
    assert link(found, "arn:aws:s3:::src")[1:] == (
        Versioning.UNKNOWN,
        "aws_s3_bucket.b has a dynamic versioning block that cannot be evaluated",
    )


def test_a_source_bucket_outside_the_configuration(buckets: Path) -> None:
    found = index(buckets)
    assert link(found, "arn:aws:s3:::elsewhere") == (
        "elsewhere",
        Versioning.UNKNOWN,
        "bucket elsewhere is not defined in this configuration",
    )
    assert (
        link(found, "arn:aws:s3:::")[2] == "the bucket name in source_bucket_arn cannot be resolved"
    )
    assert "is not an S3 bucket ARN" in link(found, "arn:aws:sqs:eu-west-1:1:q")[2]
    assert link(found, {"__attribute__": "var.arn"}) == (None, Versioning.UNKNOWN, "`x` unknown")


def test_untrusted_believes_nothing_read_from_the_configuration(source: Path) -> None:
    from iacplan.model import Environment

    where = Location("main.tf", 2)
    env = Environment(
        id="aws_mwaa_environment.main",
        kind="terraform",
        address="aws_mwaa_environment.main",
        name=Value.known("main", where),
        version=Value.known("2.10.3", where),
        location=where,
        bucket=None,
        tags=(("team", "data"),),
    )
    doubted = values.untrusted(env, "the module's source cannot be read")
    assert doubted.version.state is ValueState.UNKNOWN and doubted.tags == ()
    assert {f.role for f in doubted.files} == {"requirements", "plugins", "startup script"}
    assert all(
        f.object_version.reason == "the module's source cannot be read" for f in doubted.files
    )


def test_the_shapes_are_the_evaluators(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same readings on what tfparse itself returns for a small configuration (run in a
    child, as iacplan runs the evaluator: its Go runtime stays out of the test process)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "main.tf").write_text(
        'resource "aws_s3_bucket" "b" {\n}\n'
        'resource "aws_s3_bucket_versioning" "v" {\n'
        "  bucket = aws_s3_bucket.b.id\n"
        '  versioning_configuration { status = "Suspended" }\n}\n'
        'resource "aws_mwaa_environment" "main" {\n'
        "  airflow_version = var.v\n"
        "  source_bucket_arn = aws_s3_bucket.b.arn\n"
        "  count = var.n\n}\n"
        'variable "v" {}\nvariable "n" {}\n'
    )
    code = "import json, sys, tfparse; json.dump(tfparse.load_from_path(sys.argv[1]), sys.stdout)"
    child = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result = json.loads(child.stdout)
    stand_ins = values.find_stand_ins(result)
    [env] = values.resources(result, "aws_mwaa_environment")
    version = values.read_value(env, "airflow_version", tmp_path / "main.tf", stand_ins)
    assert version.state is ValueState.UNKNOWN and "`var.v` has no known value" in (
        version.reason or ""
    )
    arn = values.read_value(env, "source_bucket_arn", tmp_path / "main.tf", stand_ins)
    assert "depends on aws_s3_bucket.b" in (arn.reason or "")
    doubts = values.existence_doubts(result)
    assert values.doubt_about(env["__tfmeta"]["path"], doubts) is not None
    bucket = values.BucketIndex(result, tmp_path, doubts, []).link(env["source_bucket_arn"], arn)
    assert (bucket.id, bucket.versioning, bucket.in_config) == (
        "aws_s3_bucket.b",
        Versioning.SUSPENDED,
        True,
    )
