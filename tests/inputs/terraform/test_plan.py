"""Terraform plan JSON: before → after, what apply does, the bucket, and what must not leak."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers import REPO, files, iacplan, loaded
from iacplan.inputs import registry as sources

PLANS = REPO / "samples" / "terraform-plan"


def environment(
    actions: list[str],
    before: str | None = "2.9.2",
    after: str | None = "2.10.3",
    address: str = "aws_mwaa_environment.main",
    **change: Any,
) -> dict[str, Any]:
    """A resource_changes entry for an environment; a version of None leaves that side out."""
    values = {"name": "main", "source_bucket_arn": "arn:aws:s3:::dags"}
    sides = {
        "before": None if before is None else {**values, "airflow_version": before},
        "after": None if after is None else {**values, "airflow_version": after},
    }
    return {
        "address": address,
        "mode": "managed",
        "type": "aws_mwaa_environment",
        "name": "main",
        "change": {"actions": actions, **sides, "after_unknown": {}, **change},
    }


def versioning(bucket_name: str, status: str) -> dict[str, Any]:
    values = {"bucket": bucket_name, "versioning_configuration": [{"status": status}]}
    return {
        "address": f"aws_s3_bucket_versioning.{bucket_name}",
        "mode": "managed",
        "type": "aws_s3_bucket_versioning",
        "name": bucket_name,
        "change": {"actions": ["no-op"], "before": values, "after": values, "after_unknown": {}},
    }


def write_plan(tmp_path: Path, *changes: dict[str, Any], **top: Any) -> Path:
    """A plan with these changes, next to the versioned bucket `dags` they use by default."""
    path = tmp_path / "plan.json"
    changes += (versioning("dags", "Enabled"),)
    doc = {"format_version": "1.2", "resource_changes": list(changes), **top}
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def test_a_plan_is_judged_on_its_own_before_and_after(tmp_path: Path) -> None:
    run = iacplan("check", write_plan(tmp_path, environment(["update"])), "--format", "json")
    assert run.exit_code == 0
    env = run.env("aws_mwaa_environment.main")
    assert (env["kind"], env["base_version"], env["head_version"]) == (
        "terraform-plan",
        "2.9.2",
        "2.10.3",
    )
    assert (env["change"], env["planned_action"], env["verdict"]) == (
        "upgrade",
        "update",
        "allowed",
    )


def test_secrets_in_the_plan_appear_in_no_output() -> None:
    plan = PLANS / "minor-upgrade" / "plan.json"
    assert "hunter2-do-not-print" in plan.read_text()
    for format_name in ("text", "markdown", "json"):
        run = iacplan("check", plan, "--format", format_name)
        assert run.exit_code == 0
        assert "hunter2" not in run.stdout + run.stderr


def test_a_sensitive_version_is_unknown_and_never_printed(tmp_path: Path) -> None:
    change = environment(
        ["update"], after="9.9.9", after_sensitive={"airflow_version": True}, before_sensitive={}
    )
    run = iacplan("check", write_plan(tmp_path, change), "--format", "json")
    assert "9.9.9" not in run.stdout
    assert run.rules() == ["MWAA008"]
    assert run.env("aws_mwaa_environment.main")["verdict"] == "unverified"
    assert "marked sensitive" in run.report["findings"][0]["message"]


@pytest.mark.parametrize(
    ("actions", "change", "rules", "verdict"),
    [
        (["delete", "create"], "replaced", ["MWAA007"], "rejected"),
        (["create", "delete"], "replaced", ["MWAA007"], "rejected"),
        (["create", "forget"], "replaced", ["MWAA007"], "rejected"),
        (["no-op"], "upgrade", [], "allowed"),
    ],
)
def test_what_apply_does_decides_the_change(
    tmp_path: Path, actions: list[str], change: str, rules: list[str], verdict: str
) -> None:
    entry = environment(actions, replace_paths=[["airflow_version"]])
    run = iacplan("check", write_plan(tmp_path, entry), "--format", "json")
    env = run.env("aws_mwaa_environment.main")
    assert (env["change"], run.rules(), env["verdict"]) == (change, rules, verdict)


def test_a_replacement_names_the_attribute_and_reason(tmp_path: Path) -> None:
    entry = environment(
        ["delete", "create"],
        before="2.11.0",
        after="3.0.6",
        replace_paths=[["airflow_version"]],
    )
    entry["action_reason"] = "replace_because_cannot_update"
    run = iacplan("check", write_plan(tmp_path, entry))
    assert run.exit_code == 1
    assert "forced by airflow_version" in run.stdout
    assert "replace_because_cannot_update" in run.stdout
    assert "empty metadata database" in run.stdout
    assert "aws mwaa update-environment --name main --airflow-version 3.0.6" in run.stdout


def test_a_created_environment_is_added_and_a_destroyed_one_rejected(tmp_path: Path) -> None:
    created = environment(["create"], before=None, address="aws_mwaa_environment.new")
    destroyed = environment(["delete"], after=None, address="aws_mwaa_environment.old")
    run = iacplan("check", write_plan(tmp_path, created, destroyed), "--format", "json")
    assert run.exit_code == 1
    assert run.env("aws_mwaa_environment.new")["change"] == "added"
    assert run.env("aws_mwaa_environment.old")["change"] == "removed"
    assert run.rules("aws_mwaa_environment.old") == ["MWAA007"]


def test_forget_keeps_the_environment_running(tmp_path: Path) -> None:
    run = iacplan("check", write_plan(tmp_path, environment(["forget"], after=None)))
    assert run.exit_code == 0
    assert "(forgotten)" in run.stdout
    assert "keeps running" in run.stdout


def test_a_deposed_object_is_its_own_environment(tmp_path: Path) -> None:
    deposed = environment(["delete"], after=None)
    deposed["deposed"] = "a1b2c3d4"
    run = iacplan(
        "check", write_plan(tmp_path, environment(["no-op"]), deposed), "--format", "json"
    )
    ids = [e["id"] for e in run.report["environments"]]
    assert ids == ["aws_mwaa_environment.main", "aws_mwaa_environment.main (deposed a1b2c3d4)"]
    assert run.rules("aws_mwaa_environment.main (deposed a1b2c3d4)") == ["MWAA007"]


def test_a_before_without_version_is_unknown_not_allowed(tmp_path: Path) -> None:
    entry = environment(["update"])
    del entry["change"]["before"]["airflow_version"]
    run = iacplan("check", write_plan(tmp_path, entry), "--format", "json")
    assert run.env("aws_mwaa_environment.main")["verdict"] == "unverified"
    assert run.rules() == ["MWAA008"]
    assert "before has no airflow_version" in run.report["findings"][0]["message"]


def test_format_version_zero_is_read(tmp_path: Path) -> None:
    run = iacplan("check", write_plan(tmp_path, environment(["update"]), format_version="0.1"))
    assert run.exit_code == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"format_version": "2.0", "resource_changes": []}', "format_version '2.0' is not"),
        ('{"format_version": "1.2", "resource_changes": [', "plan.json:1: invalid JSON"),
        ('{"format_version": "1.0", "values": {}}', "a Terraform state, not a plan"),
        ('{"hello": "world"}', "not a Terraform directory or .tf file, a Terraform plan JSON"),
        ('{"format_version": "1.2", "resource_changes": {}}', "not a list of objects"),
        (
            '{"format_version": "1.2", "resource_changes": [{"address": "x"}]}',
            "lacks address or change",
        ),
    ],
)
def test_bad_plans_end_with_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content, encoding="utf-8")
    run = iacplan("check", path)
    assert run.exit_code == 2
    assert message in run.stderr
    assert "plan.json" in run.stderr
    assert "Traceback" not in run.stderr


def test_unknown_actions_are_an_error_not_a_guess(tmp_path: Path) -> None:
    run = iacplan("check", write_plan(tmp_path, environment(["teleport"])))
    assert run.exit_code == 2
    assert "unknown plan actions ['teleport']" in run.stderr


def test_base_with_a_plan_is_refused(tmp_path: Path) -> None:
    plan = write_plan(tmp_path, environment(["update"]))
    run = iacplan("check", "--base", plan, plan)
    assert run.exit_code == 2
    assert "--base takes definitions" in run.stderr


def bucket(address: str, name: str, **extra: Any) -> dict[str, Any]:
    values = {"bucket": name, **extra}
    return {
        "address": address,
        "mode": "managed",
        "type": "aws_s3_bucket",
        "name": address.split(".")[-1],
        "change": {"actions": ["no-op"], "before": values, "after": values, "after_unknown": {}},
    }


def test_inline_versioning_of_a_legacy_bucket(tmp_path: Path) -> None:
    entry = environment(["update"])
    entry["change"]["after"]["source_bucket_arn"] = "arn:aws:s3:::legacy"
    legacy = bucket("aws_s3_bucket.legacy", "legacy", versioning=[{"enabled": False}])
    run = iacplan("check", write_plan(tmp_path, entry, legacy), "--format", "json")
    assert run.rules() == ["MWAA005"]
    assert run.env("aws_mwaa_environment.main")["source_bucket"]["versioning"] == "suspended"


def test_a_computed_arn_is_followed_through_the_configuration(tmp_path: Path) -> None:
    entry = environment(["update"], address="module.m.aws_mwaa_environment.main")
    entry["module_address"] = "module.m"
    entry["change"]["after_unknown"] = {"source_bucket_arn": True}
    del entry["change"]["after"]["source_bucket_arn"]
    configuration = {
        "root_module": {
            "module_calls": {
                "m": {
                    "module": {
                        "resources": [
                            {
                                "address": "aws_mwaa_environment.main",
                                "expressions": {
                                    "source_bucket_arn": {
                                        "references": [
                                            "aws_s3_bucket.dags.arn",
                                            "aws_s3_bucket.dags",
                                        ]
                                    }
                                },
                            }
                        ]
                    }
                }
            }
        }
    }
    dags = bucket("module.m.aws_s3_bucket.dags", "computed")
    dags["module_address"] = "module.m"
    run = iacplan(
        "check", write_plan(tmp_path, entry, dags, configuration=configuration), "--format", "json"
    )
    source = run.env("module.m.aws_mwaa_environment.main")["source_bucket"]
    assert (source["id"], source["versioning"]) == ("module.m.aws_s3_bucket.dags", "disabled")
    assert run.rules() == ["MWAA005"]


def test_an_unresolvable_computed_arn_is_unknown(tmp_path: Path) -> None:
    entry = environment(["update"])
    entry["change"]["after_unknown"] = {"source_bucket_arn": True}
    del entry["change"]["after"]["source_bucket_arn"]
    run = iacplan("check", write_plan(tmp_path, entry), "--format", "json")
    assert run.env("aws_mwaa_environment.main")["source_bucket"]["versioning"] == "unknown"
    assert run.rules() == ["MWAA006"]


def test_plans_and_definitions_can_be_checked_together(tmp_path: Path) -> None:
    plan = write_plan(tmp_path, environment(["update"]))
    run = iacplan(
        "check", plan, REPO / "samples" / "terraform" / "minor-upgrade" / "head", "--format", "json"
    )
    changes = {e["id"]: e["change"] for e in run.report["environments"]}
    assert changes == {
        f"{plan.as_posix()}:aws_mwaa_environment.main": "upgrade",
        "aws_mwaa_environment.main": "no-base",
    }


def test_two_plans_holding_the_same_address_stay_apart(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_plan(tmp_path / "a", environment(["update"]))
    second = write_plan(tmp_path / "b", environment(["update"], after="2.9.1"))
    run = iacplan("check", first, second, "--format", "json")
    verdicts = {e["id"].split("/")[-2]: e["verdict"] for e in run.report["environments"]}
    assert verdicts == {"a": "allowed", "b": "rejected"}


def test_a_computed_arn_is_followed_up_through_module_variables(tmp_path: Path) -> None:
    entry = environment(["update"], address='module.m["prod"].aws_mwaa_environment.main')
    entry["module_address"] = 'module.m["prod"]'
    entry["change"]["after_unknown"] = {"source_bucket_arn": True}
    del entry["change"]["after"]["source_bucket_arn"]
    inside = {
        "address": "aws_mwaa_environment.main",
        "expressions": {"source_bucket_arn": {"references": ["var.bucket_arn"]}},
    }
    call = {
        "expressions": {"bucket_arn": {"references": ["aws_s3_bucket.dags.arn"]}},
        "module": {"resources": [inside]},
    }
    configuration = {"root_module": {"module_calls": {"m": call}}}
    suspended = versioning("dags", "Suspended")
    suspended["change"]["after"]["bucket"] = suspended["change"]["before"]["bucket"] = "computed"
    plan = write_plan(
        tmp_path,
        entry,
        bucket("aws_s3_bucket.dags", "computed"),
        suspended,
        configuration=configuration,
    )
    run = iacplan("check", plan, "--format", "json")
    source = run.env('module.m["prod"].aws_mwaa_environment.main')["source_bucket"]
    assert (source["id"], source["versioning"]) == ("aws_s3_bucket.dags", "suspended")


def test_an_errored_plan_is_refused(tmp_path: Path) -> None:
    run = iacplan("check", write_plan(tmp_path, environment(["update"]), errored=True))
    assert run.exit_code == 2
    assert "this plan errored, so it is incomplete" in run.stderr


def test_a_deferred_environment_is_unknown(tmp_path: Path) -> None:
    deferred = [{"reason": "resource_config_unknown", "resource_change": environment(["update"])}]
    run = iacplan(
        "check", write_plan(tmp_path, deferred_changes=deferred, complete=False), "--format", "json"
    )
    env = run.env("aws_mwaa_environment.main")
    assert (env["verdict"], env["planned_action"]) == ("unverified", "unknown")
    assert run.rules() == ["MWAA008"]


def test_drift_outside_terraform_is_noted(tmp_path: Path) -> None:
    drift = environment(["update"], before="2.8.1", after="2.9.2")
    run = iacplan(
        "check",
        write_plan(tmp_path, environment(["update"]), resource_drift=[drift]),
        "--format",
        "json",
    )
    assert run.env("aws_mwaa_environment.main")["notes"] == [
        "changed outside Terraform: state said airflow_version 2.8.1, the environment runs "
        "2.9.2; judged from what runs"
    ]


@pytest.mark.parametrize("key", ["after_unknown", "after_sensitive"])
def test_a_whole_side_marked_unknown_or_sensitive_is_never_trusted(
    tmp_path: Path, key: str
) -> None:
    entry = environment(["update"], after="2.10.1", **{key: True})
    run = iacplan("check", write_plan(tmp_path, entry), "--format", "json")
    assert run.env("aws_mwaa_environment.main")["verdict"] == "unverified"
    assert "2.10.1" not in run.stdout


def test_sensitive_drift_is_noted_without_values(tmp_path: Path) -> None:
    entry = environment(["update"], before_sensitive=True, after_sensitive=True)
    drift = environment(
        ["update"],
        before="SECRET-OLD",
        after="SECRET-NEW",
        before_sensitive=True,
        after_sensitive=True,
    )
    run = iacplan("check", write_plan(tmp_path, entry, resource_drift=[drift]), "--format", "json")
    assert "SECRET" not in run.stdout
    assert "is not shown" in run.env("aws_mwaa_environment.main")["notes"][0]


@pytest.mark.parametrize("actions", [["update"], ["no-op"], ["delete"], ["delete", "create"]])
def test_an_existing_object_without_before_is_an_error(tmp_path: Path, actions: list[str]) -> None:
    run = iacplan("check", write_plan(tmp_path, environment(actions, before=None)))
    assert run.exit_code == 2
    assert "without before" in run.stderr


def test_the_cloud_control_resource_and_a_missing_mode_count(tmp_path: Path) -> None:
    awscc = environment(["update"], after="2.8.1", address="awscc_mwaa_environment.cc")
    awscc["type"] = "awscc_mwaa_environment"
    modeless = environment(["update"], after="2.8.1", address="aws_mwaa_environment.x")
    del modeless["mode"]
    run = iacplan("check", write_plan(tmp_path, awscc, modeless), "--format", "json")
    assert run.rules() == ["MWAA001", "MWAA001"]


def test_a_plan_without_resource_changes_but_with_mwaa_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    planned = {"root_module": {"resources": [{"type": "aws_mwaa_environment"}]}}
    path.write_text(json.dumps({"format_version": "1.2", "planned_values": planned}))
    run = iacplan("check", path)
    assert run.exit_code == 2
    assert "no resource_changes" in run.stderr


@pytest.mark.parametrize(
    "top",
    [
        {"configuration": [1]},
        {"configuration": {"root_module": {"resources": 5}}},
        {"configuration": {"root_module": {"module_calls": [1]}}},
        {"configuration": {"root_module": {"resources": [{"expressions": "x"}]}}},
        {
            "configuration": {
                "root_module": {
                    "resources": [
                        {
                            "address": "aws_mwaa_environment.main",
                            "expressions": {"source_bucket_arn": {"references": 5}},
                        }
                    ]
                }
            }
        },
    ],
)
def test_odd_configurations_are_read_as_no_reference(tmp_path: Path, top: dict[str, Any]) -> None:
    entry = environment(["update"])
    entry["change"]["after_unknown"] = {"source_bucket_arn": True}
    del entry["change"]["after"]["source_bucket_arn"]
    run = iacplan("check", write_plan(tmp_path, entry, **top), "--format", "json")
    assert run.exit_code == 0
    assert run.rules() == ["MWAA006"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"before": [1]}, "change.before is not an object"),
        ({"after_unknown": "yes"}, "change.after_unknown is neither an object nor a bool"),
        ({"actions": "update"}, "change.actions is not a list of strings"),
    ],
)
def test_wrong_shapes_are_clear_errors(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    entry = environment(["update"])
    entry["change"].update(change)
    run = iacplan("check", write_plan(tmp_path, entry))
    assert run.exit_code == 2
    assert message in run.stderr
    assert "internal error" not in run.stderr


@pytest.mark.parametrize(
    "top", [{"resource_drift": 5}, {"deferred_changes": [1]}, {"deferred_changes": [{}]}]
)
def test_malformed_lists_are_clear_errors(tmp_path: Path, top: dict[str, Any]) -> None:
    run = iacplan("check", write_plan(tmp_path, environment(["update"]), **top))
    assert run.exit_code == 2
    assert "internal error" not in run.stderr


def test_odd_replace_paths_and_versioning_shapes_do_not_crash(tmp_path: Path) -> None:
    entry = environment(["delete", "create"], replace_paths=5)
    odd = versioning("dags", "Enabled")
    odd["change"]["after"]["versioning_configuration"] = {"status": "Enabled"}
    run = iacplan("check", write_plan(tmp_path, entry, odd), "--format", "json")
    assert run.exit_code == 1
    assert "MWAA007" in run.rules()


def test_a_huge_number_is_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{"format_version": "1.2", "x": ' + "9" * 5000 + "}")
    run = iacplan("check", path)
    assert run.exit_code == 2
    assert "invalid JSON" in run.stderr


def test_versioning_of_another_for_each_instance_does_not_count(tmp_path: Path) -> None:
    entry = environment(["update"])
    entry["change"]["after"]["source_bucket_arn"] = "arn:aws:s3:::b"
    buckets = [bucket('aws_s3_bucket.dags["a"]', "a"), bucket('aws_s3_bucket.dags["b"]', "b")]
    other = versioning("a", "Enabled")
    configuration = {
        "root_module": {
            "resources": [
                {
                    "address": "aws_s3_bucket_versioning.a",
                    "expressions": {"bucket": {"references": ["aws_s3_bucket.dags"]}},
                }
            ]
        }
    }
    run = iacplan(
        "check",
        write_plan(tmp_path, entry, *buckets, other, configuration=configuration),
        "--format",
        "json",
    )
    assert run.rules() == ["MWAA005"]


def test_a_conditional_between_buckets_is_unknown(tmp_path: Path) -> None:
    entry = environment(["update"])
    entry["change"]["after_unknown"] = {"source_bucket_arn": True}
    del entry["change"]["after"]["source_bucket_arn"]
    references = ["var.use_a", "aws_s3_bucket.a.arn", "aws_s3_bucket.b.arn"]
    resource = {
        "address": "aws_mwaa_environment.main",
        "expressions": {"source_bucket_arn": {"references": references}},
    }
    configuration = {"root_module": {"resources": [resource]}}
    plan = write_plan(
        tmp_path,
        entry,
        bucket("aws_s3_bucket.a", "dags"),
        bucket("aws_s3_bucket.b", "other"),
        configuration=configuration,
    )
    run = iacplan("check", plan, "--format", "json")
    assert run.rules() == ["MWAA006"]


def test_a_versioning_resource_moving_to_an_unknown_bucket_is_unknown(tmp_path: Path) -> None:
    moving = versioning("dags", "Enabled")
    moving["change"]["after_unknown"] = {"bucket": True}
    del moving["change"]["after"]["bucket"]
    moving["address"] = "aws_s3_bucket_versioning.moving"
    run = iacplan(
        "check", write_plan(tmp_path, environment(["update"]), moving), "--format", "json"
    )
    assert run.rules() == ["MWAA006"]


def test_a_bucket_of_the_same_name_in_another_partition_is_another_bucket(tmp_path: Path) -> None:
    entry = environment(["update"])
    entry["change"]["after"]["source_bucket_arn"] = "arn:aws-cn:s3:::legacy"
    legacy = bucket("aws_s3_bucket.legacy", "legacy", arn="arn:aws:s3:::legacy")
    run = iacplan("check", write_plan(tmp_path, entry, legacy), "--format", "json")
    assert run.rules() == ["MWAA006"]


# --- files in the source bucket, and tags ------------------------------------------------


def with_values(change: dict[str, Any], **values: Any) -> dict[str, Any]:
    """The change with `values` added to both sides."""
    for side in ("before", "after"):
        if change["change"].get(side) is not None:
            change["change"][side] = {**change["change"][side], **values}
    return change


FILE_VALUES = {
    "requirements_s3_path": "requirements.txt",
    "requirements_s3_object_version": "3sL4kqtJlcpXroDTDmJ",
    "plugins_s3_path": "plugins.zip",
    "plugins_s3_object_version": None,
    "startup_script_s3_path": None,
    "startup_script_s3_object_version": None,
}


def test_files_and_tags_come_from_before_and_after(tmp_path: Path) -> None:
    change = with_values(
        environment(["update"]),
        **FILE_VALUES,
        tags={"team": "data"},
        tags_all={"team": "data", "environment": "prod"},
    )
    change["change"]["after"]["requirements_s3_object_version"] = "Hw2pd8vG0rJzvZyCM4_qx"
    loaded_plan = sources.load(write_plan(tmp_path, change), sources.Inputs())
    assert loaded_plan.base is not None
    [base], [head] = loaded_plan.base, loaded_plan.head
    assert files(base) == {
        "requirements": ("requirements.txt", "3sL4kqtJlcpXroDTDmJ"),
        "plugins": ("plugins.zip", "missing: the plan's before has no plugins_s3_object_version"),
    }
    assert files(head)["requirements"] == ("requirements.txt", "Hw2pd8vG0rJzvZyCM4_qx")
    assert head.tags == base.tags == (("environment", "prod"), ("team", "data"))
    run = iacplan("check", write_plan(tmp_path, change), "--format", "json")
    assert run.rules() == ["MWAA010"]
    assert "plugins file `plugins.zip` is not pinned" in run.report["findings"][0]["message"]


def test_an_object_version_known_only_after_apply_is_not_pinned(tmp_path: Path) -> None:
    change = with_values(environment(["update"]), **FILE_VALUES)
    change["change"]["after_unknown"] = {
        "requirements_s3_object_version": True,
        "tags_all": True,
        "tags": {"owner": True},
    }
    change["change"]["after"].update(tags={"owner": "x", "team": "data"}, tags_all={"a": "b"})
    head = loaded(write_plan(tmp_path, change))["aws_mwaa_environment.main"]
    assert files(head)["requirements"] == (
        "requirements.txt",
        "unknown: after.requirements_s3_object_version is known only after apply",
    )
    assert head.tags == (("team", "data"),)
    run = iacplan("check", write_plan(tmp_path, change), "--format", "json")
    assert sorted(f["message"].split(":")[0] for f in run.report["findings"]) == [
        "the plugins file `plugins.zip` is not pinned to an S3 object version (the plan's after "
        "has no plugins_s3_object_version)",
        "whether the requirements file `requirements.txt` is pinned to an S3 object version "
        "cannot be verified",
    ]


def test_sensitive_files_and_tags_are_never_read(tmp_path: Path) -> None:
    secret = "s3cr3t-object-version"
    change = with_values(
        environment(["update"]),
        requirements_s3_path="requirements.txt",
        requirements_s3_object_version=secret,
        tags={"environment": "prod", "token": secret},
    )
    marks = {"requirements_s3_object_version": True, "tags": {"token": True}}
    change["change"].update(before_sensitive=marks, after_sensitive=marks)
    head = loaded(write_plan(tmp_path, change))["aws_mwaa_environment.main"]
    assert files(head)["requirements"] == (
        "requirements.txt",
        "unknown: after.requirements_s3_object_version is marked sensitive in the plan",
    )
    assert head.tags == (("environment", "prod"),)
    for format_name in ("text", "markdown", "json"):
        run = iacplan("check", write_plan(tmp_path, change), "--format", format_name)
        assert secret not in run.stdout + run.stderr


# --- after_unknown of nested blocks (issue 16, item 12) ------------------------------------


@pytest.mark.parametrize(
    "marks",
    [
        {"versioning_configuration": [{}]},
        {"versioning_configuration": [{"mfa_delete": False, "status": False}]},
        {"versioning_configuration": [False]},
        {"versioning_configuration": [{"mfa_delete": True}]},  # says nothing about the status
    ],
    ids=["empty-object", "false-leaves", "false-element", "other-leaf-unknown"],
)
def test_a_nested_block_with_no_unknown_status_is_known(
    tmp_path: Path, marks: dict[str, Any]
) -> None:
    """Terraform writes the shape of a nested block in after_unknown; only `true` is unknown."""
    path = write_plan(tmp_path, environment(["update"]))
    plan = json.loads(path.read_text())
    plan["resource_changes"][-1]["change"]["after_unknown"] = marks
    path.write_text(json.dumps(plan))
    run = iacplan("check", path, "--format", "json")
    env = run.env("aws_mwaa_environment.main")
    assert env["source_bucket"]["versioning"] == "enabled"
    assert (run.exit_code, run.rules(), env["verdict"]) == (0, [], "allowed")


@pytest.mark.parametrize(
    "marks",
    [
        {"versioning_configuration": [{"status": True}]},
        {"versioning_configuration": [True]},
        {"versioning_configuration": True},
    ],
    ids=["status", "element", "block"],
)
def test_an_unknown_status_in_a_nested_block_is_unknown(
    tmp_path: Path, marks: dict[str, Any]
) -> None:
    path = write_plan(tmp_path, environment(["update"]))
    plan = json.loads(path.read_text())
    plan["resource_changes"][-1]["change"]["after_unknown"] = marks
    path.write_text(json.dumps(plan))
    run = iacplan("check", path, "--format", "json")
    env = run.env("aws_mwaa_environment.main")
    assert env["source_bucket"]["versioning"] == "unknown"
    reason = env["source_bucket"]["reason"]
    assert "aws_s3_bucket_versioning.dags is known only after apply" in reason
    assert run.rules() == ["MWAA006"]


def test_an_empty_nested_mark_on_a_string_attribute_shape_is_not_unknown(tmp_path: Path) -> None:
    """`network_configuration: [{"subnet_ids": [false, false]}]` marks nothing: the version
    and name beside it stay known."""
    entry = environment(["update"])
    entry["change"]["after_unknown"] = {
        "network_configuration": [{"security_group_ids": [False], "subnet_ids": [False, False]}],
        "logging_configuration": [{"task_logs": [{}]}],
    }
    run = iacplan("check", write_plan(tmp_path, entry), "--format", "json")
    assert run.env("aws_mwaa_environment.main")["verdict"] == "allowed"
