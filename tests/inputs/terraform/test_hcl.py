"""Terraform resolution: what tfparse evaluates, and every shape of 'unknown' it can return."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from conftest import TreeMaker
from helpers import FIXTURES, Run, files, iacplan, loaded, mwaa

MWAA = mwaa('"2.10.3"', "m")
BUCKET = """
resource "aws_s3_bucket" "src" {
  bucket = "src-bucket"
}
resource "aws_s3_bucket_versioning" "src" {
  bucket = aws_s3_bucket.src.id
  versioning_configuration {
    status = "Enabled"
  }
}
"""


def head_version(path: Path, *args: str, env: str = "aws_mwaa_environment.main") -> str | None:
    run = iacplan("check", path, "--format", "json", *args)
    assert run.exit_code in (0, 1), run.stderr
    version: str | None = run.env(env)["head_version"]
    return version


def unknown_reason(path: Path, env: str = "aws_mwaa_environment.main") -> str:
    run = iacplan("check", path, "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert run.env(env)["verdict"] == "unverified"
    assert run.env(env)["head_version"] is None
    finding = next(
        f for f in run.report["findings"] if f["rule"] == "MWAA008" and f["environment"] == env
    )
    assert finding["line"] >= 1 and finding["file"].endswith((".tf", ".tf.json"))
    message: str = finding["message"]
    return message


# --- values Terraform would resolve ------------------------------------------------------


def test_variable_default(tree: TreeMaker) -> None:
    root = tree({"main.tf": 'variable "v" { default = "2.9.2" }\n' + mwaa("var.v")})
    assert head_version(root) == "2.9.2"


def test_tfvars_then_auto_tfvars_in_terraforms_order(tree: TreeMaker) -> None:
    root = tree(
        {
            "main.tf": 'variable "v" { default = "2.7.2" }\n' + mwaa("var.v"),
            "terraform.tfvars": 'v = "2.8.1"\n',
            "a.auto.tfvars": 'v = "2.9.2"\n',
            "b.auto.tfvars": 'v = "2.10.1"\n',
        }
    )
    assert head_version(root) == "2.10.1"


def test_tfvars_json(tree: TreeMaker) -> None:
    root = tree(
        {"main.tf": 'variable "v" {}\n' + mwaa("var.v"), "terraform.tfvars.json": '{"v": "2.8.1"}'}
    )
    assert head_version(root) == "2.8.1"


def test_var_file_and_var_override_in_command_order(tree: TreeMaker, tmp_path: Path) -> None:
    root = tree({"main.tf": 'variable "v" {}\nvariable "w" {}\n' + mwaa('"${var.w}.${var.v}"')})
    var_file = tmp_path / "prod.tfvars"
    var_file.write_text('v = "9.9"\nw = "2"\n')
    assert head_version(root, "--var-file", str(var_file), "--var", "v=10.3") == "2.10.3"


def test_locals_interpolation_object_access_and_functions(tree: TreeMaker) -> None:
    root = tree(
        {
            "main.tf": """
            variable "airflow" { default = { major = 2, minor = 10, patch = 3 } }
            locals {
              parts   = [var.airflow.major, var.airflow.minor, var.airflow.patch]
              version = join(".", [for p in local.parts : tostring(p)])
            }
            """
            + mwaa("lower(local.version)")
        }
    )
    assert head_version(root) == "2.10.3"


def test_nested_local_modules_with_arguments_and_child_defaults(tree: TreeMaker) -> None:
    root = tree(
        {
            "live/main.tf": """
            module "platform" {
              source = "../modules/platform"
              name   = "data"
            }
            """,
            "modules/platform/main.tf": """
            variable "name" {}
            module "airflow" {
              source = "../mwaa"
              name   = var.name
            }
            """,
            "modules/mwaa/main.tf": """
            variable "name" {}
            variable "airflow_version" { default = "2.9.2" }
            resource "aws_mwaa_environment" "this" {
              name            = var.name
              airflow_version = var.airflow_version
            }
            """,
        }
    )
    run = iacplan("check", root, "--format", "json")
    ids = [e["id"] for e in run.report["environments"]]
    # Only the caller is a root: the modules are not evaluated alone as well.
    assert ids == ["live:module.platform.module.airflow.aws_mwaa_environment.this"]
    env = run.report["environments"][0]
    assert env["head_version"] == "2.9.2" and env["name"] == "data"
    assert env["file"].endswith("modules/mwaa/main.tf") and env["line"] == 4


def test_count_and_for_each_instances(tree: TreeMaker) -> None:
    root = tree(
        {
            "main.tf": """
            resource "aws_mwaa_environment" "counted" {
              count           = 2
              name            = "c${count.index}"
              airflow_version = "2.10.3"
            }
            resource "aws_mwaa_environment" "none" {
              count           = 0
              name            = "gone"
              airflow_version = "2.10.3"
            }
            resource "aws_mwaa_environment" "each" {
              for_each        = { prod = "2.10.3", dev = "2.11.0" }
              name            = each.key
              airflow_version = each.value
            }
            """
        }
    )
    run = iacplan("check", root, "--format", "json")
    versions = {e["id"]: e["head_version"] for e in run.report["environments"]}
    assert versions == {
        "aws_mwaa_environment.counted[0]": "2.10.3",
        "aws_mwaa_environment.counted[1]": "2.10.3",
        'aws_mwaa_environment.each["dev"]': "2.11.0",
        'aws_mwaa_environment.each["prod"]': "2.10.3",
    }


def test_only_the_exact_resource_type(tree: TreeMaker) -> None:
    root = tree(
        {
            "main.tf": """
            resource "duplocloud_aws_mwaa_environment" "x" { airflow_version = "1.0.0" }
            data "aws_mwaa_environment" "existing" { name = "other" }
            """
            + mwaa('"2.10.3"')
        }
    )
    run = iacplan("check", root, "--format", "json")
    assert [e["id"] for e in run.report["environments"]] == ["aws_mwaa_environment.main"]


def caller(version: str) -> str:
    module = f'module "m" {{\n  source = "../../modules/mwaa"\n  v = "{version}"\n}}\n'
    return 'provider "aws" {}\n' + module


def test_monorepo_roots_and_an_uncalled_module(tree: TreeMaker) -> None:
    root = tree(
        {
            "envs/prod/main.tf": caller("2.10.3"),
            "envs/dev/main.tf": caller("2.11.0"),
            "modules/mwaa/main.tf": 'variable "v" { default = "2.7.2" }\n' + mwaa("var.v", "this"),
            "catalog/reusable/main.tf": 'variable "v" { default = "2.8.1" }\n' + mwaa("var.v"),
        }
    )
    run = iacplan("check", root, "--format", "json")
    envs = {e["id"]: (e["head_version"], e["evaluated_alone"]) for e in run.report["environments"]}
    assert envs == {
        "catalog/reusable:aws_mwaa_environment.main": ("2.8.1", True),
        "envs/dev:module.m.aws_mwaa_environment.this": ("2.11.0", False),
        "envs/prod:module.m.aws_mwaa_environment.this": ("2.10.3", False),
    }


def test_number_version_is_what_terraform_would_send(tree: TreeMaker) -> None:
    root = tree({"main.tf": mwaa("2.10")})
    run = iacplan("check", root, "--format", "json")
    assert run.exit_code == 1
    assert run.env("aws_mwaa_environment.main")["head_version"] == "2.1"
    [finding] = run.report["findings"]
    assert finding["rule"] == "MWAA004" and "quote the version" in finding["message"]


# --- what cannot be resolved is unknown, with a reason -------------------------------------


def test_required_variable_without_value_is_unknown(tree: TreeMaker) -> None:
    root = tree({"main.tf": 'variable "v" {}\n' + mwaa("var.v")})
    assert "`var.v` has no known value" in unknown_reason(root)


def test_null_default_is_unknown(tree: TreeMaker) -> None:
    root = tree({"main.tf": 'variable "v" {\n  default = null\n}\n' + mwaa("var.v")})
    assert "var.v" in unknown_reason(root)


def test_partly_unknown_template_is_unknown(tree: TreeMaker) -> None:
    root = tree(
        {
            "main.tf": 'variable "maj" { default = "2" }\nvariable "v" {}\n'
            + mwaa('"${var.maj}.${var.v}"')
        }
    )
    assert "only partly resolved" in unknown_reason(root)


def test_function_over_unknown_is_unknown(tree: TreeMaker) -> None:
    root = tree({"main.tf": 'variable "v" {}\n' + mwaa("lower(var.v)")})
    assert "`lower(var.v)` cannot be evaluated statically" in unknown_reason(root)


def test_try_with_fallback_is_not_guessed(tree: TreeMaker) -> None:
    # Terraform would use var.v when it is set at plan time; the fallback is not the answer.
    root = tree({"main.tf": 'variable "v" {}\n' + mwaa('try(var.v, "2.8.1")')})
    unknown_reason(root)


def test_data_source_and_remote_state_are_unknown(tree: TreeMaker) -> None:
    root = tree(
        {
            "main.tf": 'data "aws_ssm_parameter" "v" { name = "/v" }\n'
            'data "terraform_remote_state" "rs" {\n  backend = "s3"\n}\n'
            + mwaa("data.aws_ssm_parameter.v.value")
            + mwaa("data.terraform_remote_state.rs.outputs.v", "other")
        }
    )
    assert "data source" in unknown_reason(root)
    assert "remote state" in unknown_reason(root, "aws_mwaa_environment.other")


def test_other_resource_attribute_is_unknown(tree: TreeMaker) -> None:
    root = tree({"main.tf": 'resource "random_pet" "p" {}\n' + mwaa("random_pet.p.id")})
    assert "known only after apply" in unknown_reason(root)


def test_missing_and_null_airflow_version_are_reported(tree: TreeMaker) -> None:
    root = tree(
        {
            "main.tf": 'resource "aws_mwaa_environment" "main" {\n  name = "m"\n}\n'
            + mwaa("null", "nulled")
        }
    )
    run = iacplan("check", root, "--format", "json")
    assert run.exit_code == 0
    for env_id in ("aws_mwaa_environment.main", "aws_mwaa_environment.nulled"):
        assert run.env(env_id)["verdict"] == "unverified"
    messages = [f["message"] for f in run.report["findings"] if f["rule"] == "MWAA008"]
    assert len(messages) == 2 and all("not set" in m for m in messages)


def test_unknown_registry_mwaa_module_is_unknown_not_silent(tree: TreeMaker) -> None:
    root = tree(
        {"main.tf": 'module "airflow" {\n  source  = "acme/mwaa/aws"\n  version = "0.0.6"\n}\n'}
    )
    assert "acme/mwaa/aws" in unknown_reason(root, "module.airflow")


# --- source bucket and versioning ---------------------------------------------------------


def bucket_of(root: Path, *args: str) -> dict[str, object]:
    run = iacplan("check", root, "--format", "json", *args)
    bucket: dict[str, object] = run.env("aws_mwaa_environment.main")["source_bucket"]
    return bucket


def test_bucket_by_reference_with_versioning_resource(tree: TreeMaker) -> None:
    root = tree(
        {
            "main.tf": BUCKET
            + mwaa('"2.10.3"', extra="  source_bucket_arn = aws_s3_bucket.src.arn\n")
        }
    )
    assert bucket_of(root) == {
        "id": "src-bucket",
        "versioning": "enabled",
        "in_config": True,
        "reason": "aws_s3_bucket_versioning.src sets status Enabled",
    }


def test_bucket_by_literal_arn_and_format(tree: TreeMaker) -> None:
    literal = tree(
        {
            "main.tf": BUCKET
            + mwaa('"2.10.3"', extra='  source_bucket_arn = "arn:aws:s3:::src-bucket"\n')
        },
        "a",
    )
    formatted = tree(
        {
            "main.tf": BUCKET
            + 'locals { b = "src" }\n'
            + mwaa(
                '"2.10.3"',
                extra='  source_bucket_arn = format("arn:aws:s3:::%s-bucket", local.b)\n',
            )
        },
        "b",
    )
    assert bucket_of(literal)["versioning"] == "enabled"
    assert bucket_of(formatted)["versioning"] == "enabled"


def test_versioning_states(tree: TreeMaker) -> None:
    cases = {
        "Suspended": "suspended",
        "Disabled": "disabled",
    }
    for status, expected in cases.items():
        root = tree(
            {
                "main.tf": BUCKET.replace("Enabled", status)
                + mwaa('"2.10.3"', extra="  source_bucket_arn = aws_s3_bucket.src.arn\n")
            },
            status,
        )
        assert bucket_of(root)["versioning"] == expected


def test_lifecycle_status_enabled_is_not_versioning(tree: TreeMaker) -> None:
    root = tree(
        {
            "main.tf": """
            resource "aws_s3_bucket" "src" {
              bucket = "src-bucket"
              lifecycle_rule {
                enabled = true
              }
            }
            resource "aws_s3_bucket_lifecycle_configuration" "src" {
              bucket = aws_s3_bucket.src.id
              rule {
                id     = "r"
                status = "Enabled"
              }
            }
            """
            + mwaa('"2.10.3"', extra="  source_bucket_arn = aws_s3_bucket.src.arn\n")
        }
    )
    bucket = bucket_of(root)
    assert bucket["versioning"] == "disabled" and "never enabled" in str(bucket["reason"])


def test_legacy_inline_versioning(tree: TreeMaker) -> None:
    for enabled, expected in (("true", "enabled"), ("false", "disabled")):
        root = tree(
            {
                "main.tf": 'resource "aws_s3_bucket" "src" {\n  bucket = "b"\n'
                f"  versioning {{\n    enabled = {enabled}\n  }}\n}}\n"
                + mwaa('"2.10.3"', extra="  source_bucket_arn = aws_s3_bucket.src.arn\n")
            },
            enabled,
        )
        assert bucket_of(root)["versioning"] == expected


def test_computed_bucket_name_is_still_matched_by_reference(tree: TreeMaker) -> None:
    root = tree(
        {
            "main.tf": BUCKET.replace('bucket = "src-bucket"', 'bucket_prefix = "mwaa-"')
            + mwaa('"2.10.3"', extra="  source_bucket_arn = aws_s3_bucket.src.arn\n")
        }
    )
    assert bucket_of(root) == {
        "id": "aws_s3_bucket.src",
        "versioning": "enabled",
        "in_config": True,
        "reason": "aws_s3_bucket_versioning.src sets status Enabled",
    }


def test_bucket_outside_config_or_unresolvable_is_unknown(tree: TreeMaker) -> None:
    outside = tree(
        {"main.tf": mwaa('"2.10.3"', extra='  source_bucket_arn = "arn:aws:s3:::elsewhere"\n')}, "a"
    )
    unresolved = tree(
        {
            "main.tf": 'variable "b" {}\n'
            + mwaa('"2.10.3"', extra='  source_bucket_arn = "arn:aws:s3:::${var.b}"\n')
        },
        "b",
    )
    assert bucket_of(outside) == {
        "id": "elsewhere",
        "versioning": "unknown",
        "in_config": False,
        "reason": "bucket elsewhere is not defined in this configuration",
    }
    assert bucket_of(unresolved)["versioning"] == "unknown"


def test_versioning_status_from_unknown_variable_is_unknown(tree: TreeMaker) -> None:
    root = tree(
        {
            "main.tf": 'variable "s" {}\n'
            + BUCKET.replace('"Enabled"', "var.s")
            + mwaa('"2.10.3"', extra="  source_bucket_arn = aws_s3_bucket.src.arn\n")
        }
    )
    assert bucket_of(root)["versioning"] == "unknown"


# --- bad input -----------------------------------------------------------------------------


def test_syntax_error_names_file_and_line(tree: TreeMaker) -> None:
    root = tree({"main.tf": mwaa('"2.10.3"'), "broken.tf": 'resource "x" "y" {\n  a = \n}\n'})
    run = iacplan("check", root)
    assert run.exit_code == 2
    assert "broken.tf:2" in run.stderr and "Traceback" not in run.stderr
    assert run.stderr.count("\n") == 1


def test_syntax_error_in_a_module_call_file(tree: TreeMaker) -> None:
    root = tree({"main.tf": 'module "m" {\n  source = "./m"\n  x = [\n}\n', "m/main.tf": MWAA})
    run = iacplan("check", root)
    assert run.exit_code == 2 and "main.tf:" in run.stderr


def test_missing_local_module_source(tree: TreeMaker) -> None:
    root = tree({"main.tf": 'module "m" {\n  source = "./nope"\n}\n' + MWAA})
    run = iacplan("check", root)
    assert run.exit_code == 2 and "main.tf:2: module source " in run.stderr and "nope" in run.stderr


def test_binary_and_non_utf8_tf_files(tree: TreeMaker) -> None:
    binary = tree({"main.tf": b"\x00\x01\x02\xff\xfe module"}, "bin")
    latin1 = tree(
        {"main.tf": 'module "m" {\n  source = "./x" # caf\xe9\n}\n'.encode("latin-1")}, "latin"
    )
    for root in (binary, latin1):
        run = iacplan("check", root)
        assert run.exit_code == 2 and "main.tf" in run.stderr and "Traceback" not in run.stderr


def test_missing_var_file(tree: TreeMaker) -> None:
    root = tree({"main.tf": mwaa('"2.10.3"')})
    run = iacplan("check", root, "--var-file", str(root / "nope.tfvars"))
    assert run.exit_code == 2 and "nope.tfvars: var file not found" in run.stderr


def test_crlf_and_bom_are_read(tree: TreeMaker) -> None:
    root = tree({"main.tf": ("\ufeff" + mwaa('"2.10.3"')).replace("\n", "\r\n").encode("utf-8")})
    assert head_version(root) == "2.10.3"


def test_fixture_monorepo_fixture_is_read() -> None:
    run = iacplan("check", FIXTURES / "terraform" / "monorepo", "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert [e["id"] for e in run.report["environments"]] == [
        "platform:module.airflow.aws_mwaa_environment.this"
    ]


def test_module_that_calls_itself_is_refused_not_hung(tree: TreeMaker) -> None:
    root = tree({"main.tf": 'module "self" {\n  source = "./"\n}\n' + mwaa('"2.10.3"')})
    run = iacplan("check", root)
    assert run.exit_code == 2 and "main.tf:2: module call cycle" in run.stderr


def test_module_cycle_through_two_directories(tree: TreeMaker) -> None:
    root = tree(
        {
            "a/main.tf": 'module "b" {\n  source = "../b"\n}\n',
            "b/main.tf": 'module "a" {\n  source = "../a"\n}\n' + mwaa('"2.10.3"'),
        }
    )
    run = iacplan("check", root)
    assert run.exit_code == 2 and "module call cycle: " in run.stderr
    assert "t/a → " in run.stderr and "t/b → " in run.stderr


def test_directory_without_terraform_files(tree: TreeMaker) -> None:
    root = tree({"README.md": "nothing here"})
    run = iacplan("check", root)
    assert run.exit_code == 2 and "no Terraform files" in run.stderr


def test_tree_with_terraform_but_no_mwaa(tree: TreeMaker) -> None:
    root = tree({"main.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n'})
    run = iacplan("check", root)
    assert run.exit_code == 0 and "no aws_mwaa_environment found" in run.stdout


def test_for_each_that_cannot_be_resolved_is_unknown_not_dropped(tree: TreeMaker) -> None:
    # tfparse evaluates no instance for an unresolvable for_each; the resource must not vanish.
    root = tree(
        {
            "main.tf": 'variable "envs" {}\n'
            'resource "aws_mwaa_environment" "each" {\n'
            "  for_each        = var.envs\n"
            "  name            = each.key\n"
            "  airflow_version = each.value\n"
            "}\n"
        }
    )
    assert "no instance of it was evaluated" in unknown_reason(root, "aws_mwaa_environment.each")


def test_module_instances_that_cannot_be_resolved_are_unknown(tree: TreeMaker) -> None:
    root = tree(
        {
            "main.tf": 'variable "envs" {}\n'
            'module "m" {\n  source   = "./mwaa"\n  for_each = var.envs\n}\n',
            "mwaa/main.tf": mwaa('"2.10.3"', "this"),
        }
    )
    run = iacplan("check", root, "--format", "json")
    [env] = run.report["environments"]
    assert env["verdict"] == "unverified" and env["id"] == "mwaa//aws_mwaa_environment.this"


def test_a_fifo_named_tf_is_refused_not_hung(tree: TreeMaker) -> None:
    root = tree({"main.tf": mwaa('"2.10.3"')})
    os.mkfifo(root / "pipe.tf")
    run = iacplan("check", root)
    assert run.exit_code == 2 and "pipe.tf: not a regular file" in run.stderr


def test_multi_line_error_position_names_file_and_line(tree: TreeMaker) -> None:
    root = tree({"main.tf": 'locals {\n  a = "2.10.3" +\n}\n' + MWAA})
    run = iacplan("check", root)
    assert run.exit_code == 2
    assert re.search(r"t/main\.tf:\d+: ", run.stderr), run.stderr


def test_linked_root_is_followed_and_a_link_loop_ends(tree: TreeMaker, tmp_path: Path) -> None:
    real = tree({"main.tf": mwaa('"2.9.2"')}, "real/prod")
    top = tree({"other/main.tf": 'provider "aws" {}\n'}, "top")
    (top / "prod").symlink_to(real, target_is_directory=True)
    (top / "prod" / "loop").symlink_to(top, target_is_directory=True)
    outside = iacplan("check", top, "--format", "json")  # real/ is outside the tree checked
    assert outside.exit_code == 0 and outside.report["environments"] == [], outside.stderr
    (tmp_path / ".git").mkdir()  # one repository holds both: the link is followed
    run = iacplan("check", top, "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert [e["id"] for e in run.report["environments"]] == ["prod:aws_mwaa_environment.main"]


def test_override_files_are_merged_as_terraform_merges_them(tree: TreeMaker) -> None:
    root = tree(
        {
            "main.tf": 'variable "v" {\n  default = "2.10.3"\n}\n'
            'locals {\n  team = "data"\n  stage = "dev"\n}\n'
            + mwaa(
                "var.v",
                extra="  tags = { team = local.team, stage = local.stage }\n"
                "  logging_configuration {\n    task_logs {\n      enabled = true\n    }\n  }\n",
            )
            + mwaa('"2.10.3"', "other"),
            "a_override.tf": 'variable "v" { default = "2.9.2" }\n',
            "b_override.tf": 'locals {\n  stage = "prod"\n}\n'
            'resource "aws_mwaa_environment" "other" {\n  airflow_version = "2.11.0"\n}\n',
            "override.tf": 'resource "aws_mwaa_environment" "other" {\n'
            '  airflow_version = "2.10.1" # the last override file wins\n}\n',
        }
    )
    envs = loaded(root)
    main, other = envs["aws_mwaa_environment.main"], envs["aws_mwaa_environment.other"]
    assert (main.version.text, main.tags) == ("2.9.2", (("stage", "prod"), ("team", "data")))
    assert (main.location.file, main.location.line) == (f"{root.as_posix()}/main.tf", 8)
    assert other.version.text == "2.10.1"
    assert (other.version.location.file, other.version.location.line) == (
        f"{root.as_posix()}/override.tf",
        2,
    )


def test_override_files_that_cannot_be_merged_make_versions_unknown(tree: TreeMaker) -> None:
    json_override = tree(
        {
            "main.tf": 'variable "v" { default = "2.10.3" }\n' + mwaa("var.v"),
            "a_override.tf.json": '{"variable": {"v": {"default": "2.9.2"}}}',
        }
    )
    assert "override files are not merged" in unknown_reason(json_override)
    nothing_to_merge_into = tree(
        {"main.tf": mwaa('"2.10.3"'), "override.tf": mwaa('"2.9.2"', "elsewhere")}, "none"
    )
    assert "override.tf" in unknown_reason(nothing_to_merge_into)


def test_unresolvable_count_makes_existence_unknown(tree: TreeMaker) -> None:
    root = tree(
        {
            "main.tf": 'variable "on" {}\n'
            'resource "aws_mwaa_environment" "e" {\n'
            "  count           = var.on ? 1 : 0\n"
            '  airflow_version = "2.10.3"\n'
            "}\n"
        }
    )
    assert "count of aws_mwaa_environment.e[0]" in existence_reason(
        root, "aws_mwaa_environment.e[0]"
    )
    module = tree(
        {
            "main.tf": 'variable "n" {}\nmodule "m" {\n  source = "./m"\n  count  = var.n\n}\n',
            "m/main.tf": mwaa('"2.10.3"'),
        },
        "module",
    )
    reason = existence_reason(module, "module.m[0].aws_mwaa_environment.main")
    assert f"count of module.m[0] (`var.n` at {module.as_posix()}/main.tf:4)" in reason


def existence_reason(path: Path, env: str) -> str:
    """The version is still read (and judged as if the environment exists); MWAA008 says
    its existence is unknown, and the verdict is unverified."""
    run = iacplan("check", path, "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert run.env(env)["verdict"] == "unverified"
    assert run.env(env)["head_version"] == "2.10.3"
    (message,) = [f["message"] for f in run.report["findings"] if f["environment"] == env]
    assert message.startswith("whether the environment exists in head cannot be resolved")
    return message


def test_versioning_resource_with_unresolvable_count_is_unknown(tree: TreeMaker) -> None:
    versioning = BUCKET.replace(
        "bucket = aws_s3_bucket.src.id", "count  = var.on ? 1 : 0\n  bucket = aws_s3_bucket.src.id"
    )
    root = tree(
        {
            "main.tf": 'variable "on" {}\n'
            + versioning
            + mwaa('"2.10.3"', extra="  source_bucket_arn = aws_s3_bucket.src.arn\n")
        }
    )
    assert bucket_of(root)["versioning"] == "unknown"


@pytest.mark.parametrize(
    "expression",
    [
        'aws_s3_bucket.b.id == "" ? "2.9.2" : "2.10.3"',
        'length(aws_s3_bucket.b.id) > 3 ? "2.10.3" : "2.9.2"',
        'formatdate("YYYY", timestamp()) == "2020" ? "2.9.2" : "2.10.3"',
        'terraform.workspace == "default" ? "2.10.3" : "2.9.2"',
    ],
)
def test_stand_ins_inside_expressions_are_unknown(tree: TreeMaker, expression: str) -> None:
    root = tree(
        {"main.tf": 'resource "aws_s3_bucket" "b" { bucket_prefix = "x" }\n' + mwaa(expression)}
    )
    assert "known only after apply" in unknown_reason(root)


def test_remote_module_passing_an_airflow_argument_is_judged(tree: TreeMaker) -> None:
    root = tree(
        {
            "main.tf": 'module "orchestration" {\n  source = "app.terraform.io/acme/orch/aws"\n'
            '  airflow_version = "2.10.3"\n}\n'
        }
    )
    run = iacplan("check", root, "--format", "json")
    env = run.env("module.orchestration")
    assert env["head_version"] == "2.10.3"
    assert any("app.terraform.io/acme/orch/aws" in n and "not read" in n for n in env["notes"])


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (
            "main.tf",
            'variable "envs" {}\nresource aws_mwaa_environment each {\n  for_each = var.envs\n}\n',
        ),
        (
            "main.tf",
            'variable "envs" {}\nresource "aws_mwaa_environment" /* c */ "each" {\n'
            "  for_each = var.envs\n}\n",
        ),
        (
            "main.tf.json",
            '{"variable": {"envs": {}},\n "resource": {"aws_mwaa_environment": {"each": '
            '{"for_each": "${var.envs}", "airflow_version": "2.10.3"}}}}',
        ),
    ],
)
def test_unevaluated_declarations_in_any_syntax_are_unknown(
    tree: TreeMaker, name: str, content: str
) -> None:
    root = tree({name: content})
    assert "no instance of it was evaluated" in unknown_reason(root, "aws_mwaa_environment.each")


def test_versioning_that_tfparse_drops_is_unknown_not_never_enabled(tree: TreeMaker) -> None:
    env = mwaa('"2.10.3"', extra="  source_bucket_arn = aws_s3_bucket.src.arn\n")
    dropped = tree(
        {
            "main.tf": 'variable "s" {}\nresource "aws_s3_bucket" "src" {\n  bucket = "b"\n}\n'
            'resource "aws_s3_bucket_versioning" "v" {\n  for_each = var.s\n'
            "  bucket = aws_s3_bucket.src.id\n"
            '  versioning_configuration {\n    status = "Enabled"\n  }\n}\n' + env
        },
        "dropped",
    )
    dynamic = tree(
        {
            "main.tf": 'variable "v" {}\nresource "aws_s3_bucket" "src" {\n  bucket = "b"\n'
            '  dynamic "versioning" {\n    for_each = var.v\n    content {\n'
            "      enabled = true\n    }\n  }\n}\n" + env
        },
        "dynamic",
    )
    assert bucket_of(dropped)["versioning"] == "unknown"
    assert bucket_of(dynamic)["versioning"] == "unknown"


# --- files in the source bucket, and tags ------------------------------------------------


FILES = """
  requirements_s3_path             = local.requirements
  requirements_s3_object_version   = var.requirements_version
  plugins_s3_path                  = "plugins.zip"
  plugins_s3_object_version        = aws_s3_object.plugins.version_id
  startup_script_s3_path           = "startup.sh"
  startup_script_s3_object_version = var.startup_version
  tags = {
    environment = var.stage
    team        = "data"
    owner       = var.owner
    created     = "${var.stage}-${var.owner}"
  }
"""
FILE_INPUTS = """
variable "requirements_version" {}
variable "startup_version" {}
variable "stage" { default = "prod" }
variable "owner" {}
locals { requirements = "reqs/${var.stage}.txt" }
resource "aws_s3_object" "plugins" {
  bucket = "src"
  key    = "plugins.zip"
}
"""


def test_files_and_tags_resolve_like_the_version(tree: TreeMaker) -> None:
    root = tree(
        {
            "main.tf": FILE_INPUTS + mwaa('"2.10.3"', extra=FILES),
            "terraform.tfvars": 'requirements_version = "3sL4kqtJlcpXroDTDmJ"\n',
        }
    )
    env = loaded(root)["aws_mwaa_environment.main"]
    assert files(env) == {
        "requirements": ("reqs/prod.txt", "3sL4kqtJlcpXroDTDmJ"),
        "plugins": (
            "plugins.zip",
            "unknown: `aws_s3_object.plugins.version_id` is known only after apply",
        ),
        "startup script": (
            "startup.sh",
            "unknown: `var.startup_version` has no known value here (no default, a null default, "
            "or no value in terraform.tfvars, *.auto.tfvars, --var-file or --var)",
        ),
    }
    text = (root / "main.tf").read_text().splitlines()
    line = next(i for i, t in enumerate(text, 1) if "requirements_s3_path" in t)
    path, version = env.files[0].path.location, env.files[0].object_version.location
    assert (path.file, path.line, version.line) == (f"{root.as_posix()}/main.tf", line, line + 1)
    assert env.tags == (("environment", "prod"), ("team", "data"))


def test_unset_empty_and_null_files(tree: TreeMaker) -> None:
    extra = """
  requirements_s3_path           = "requirements.txt"
  requirements_s3_object_version = ""
  plugins_s3_path                = "plugins.zip"
  startup_script_s3_path         = ""
  startup_script_s3_object_version = "v1"
"""
    root = tree({"main.tf": mwaa('"2.10.3"', extra=extra) + mwaa('"2.10.3"', "bare")})
    environments = loaded(root)
    assert files(environments["aws_mwaa_environment.main"]) == {
        "requirements": (
            "requirements.txt",
            'missing: requirements_s3_object_version is "": the AWS provider sends it as not set',
        ),
        "plugins": ("plugins.zip", "missing: plugins_s3_object_version is not set"),
    }
    assert environments["aws_mwaa_environment.bare"].files == ()
    assert environments["aws_mwaa_environment.bare"].tags == ()


@pytest.mark.parametrize(
    "ignored",
    [
        "[requirements_s3_object_version]",
        "all",
        '[\n  "tags", # CI\n  requirements_s3_object_version\n]',
        '[tags["team"], requirements_s3_object_version]',
        "[\n  tags, # [CI] sets them\n  requirements_s3_object_version,\n]",
    ],
)
def test_an_object_version_terraform_ignores_is_unknown(tree: TreeMaker, ignored: str) -> None:
    extra = f"""
  requirements_s3_path           = "requirements.txt"
  requirements_s3_object_version = "v2"
  lifecycle {{
    ignore_changes = {ignored}
  }}
"""
    root = tree({"main.tf": mwaa('"2.10.3"', extra=extra)})
    [(path, version)] = files(loaded(root)["aws_mwaa_environment.main"]).values()
    assert (path == "requirements.txt") == (ignored != "all")
    assert version.startswith(
        "unknown: lifecycle ignore_changes lists requirements_s3_object_version"
    )


@pytest.mark.parametrize("ignored", ['["requirements_s3_object_version"]', '"all"'])
def test_an_object_version_terraform_ignores_is_unknown_in_json(
    tree: TreeMaker, ignored: str
) -> None:
    block = (
        '{"name": "main", "airflow_version": "2.10.3", "execution_role_arn": "https://r", '
        '"requirements_s3_path": "r.txt", "requirements_s3_object_version": "v2", '
        f'"lifecycle": {{"ignore_changes": {ignored}}}}}'
    )
    root = tree(
        {"main.tf.json": f'{{"resource": {{"aws_mwaa_environment": {{"main": {block}}}}}}}'}
    )
    [(_, version)] = files(loaded(root)["aws_mwaa_environment.main"]).values()
    assert version.startswith(
        "unknown: lifecycle ignore_changes lists requirements_s3_object_version"
    )


def test_an_override_replaces_arguments_one_by_one(tree: TreeMaker) -> None:
    extra = 'requirements_s3_path = "r.txt"\nrequirements_s3_object_version = "v1"\n'
    root = tree(
        {
            "main.tf": mwaa('"2.10.3"', extra=extra + 'tags = { environment = "dev" }\n'),
            "override.tf": 'resource "aws_mwaa_environment" "main" {\n  tags = {}\n'
            '  requirements_s3_object_version = "v2"\n}\n',
        }
    )
    env = loaded(root)["aws_mwaa_environment.main"]
    assert files(env) == {"requirements": ("r.txt", "v2")}
    assert env.tags == ()


def test_an_unpinned_file_on_upgrade_points_at_its_path(tree: TreeMaker) -> None:
    extra = (
        '  source_bucket_arn = aws_s3_bucket.src.arn\n  requirements_s3_path = "requirements.txt"\n'
    )
    base = tree({"main.tf": BUCKET + mwaa('"2.9.2"', extra=extra)}, sub="base")
    head = tree({"main.tf": BUCKET + mwaa('"2.10.3"', extra=extra)}, sub="head")
    run = iacplan("check", "--base", base, head, "--format", "json")
    assert run.exit_code == 0
    [finding] = run.report["findings"]
    text = (head / "main.tf").read_text().splitlines()
    line = next(i for i, t in enumerate(text, 1) if "requirements_s3_path" in t)
    assert (finding["rule"], finding["file"], finding["line"]) == (
        "MWAA010",
        f"{head.as_posix()}/main.tf",
        line,
    )
    assert "requirements_s3_object_version is not set" in finding["message"]


# --- issue 16: removed blocks, empty strings, expressions over several lines --------------


def _compare(tree: TreeMaker, base: dict[str, str], head: dict[str, str]) -> Run:
    return iacplan("check", "--base", tree(base, "base"), tree(head, "head"), "--format", "json")


@pytest.mark.parametrize(
    ("removed", "change", "rules"),
    [
        ("removed {\n  from = %s\n  lifecycle {\n    destroy = false\n  }\n}\n", "forgotten", []),
        ("removed {\n  from = %s\n}\n", "removed", ["MWAA007"]),
        (
            "removed {\n  from = %s\n  lifecycle {\n    destroy = true\n  }\n}\n",
            "removed",
            ["MWAA007"],
        ),
        ('{"removed": [{"from": "%s", "lifecycle": {"destroy": false}}]}', "forgotten", []),
    ],
)
def test_a_removed_block_forgets_or_destroys(
    tree: TreeMaker, capfd: pytest.CaptureFixture[str], removed: str, change: str, rules: list[str]
) -> None:
    name = "main.tf.json" if removed.startswith("{") else "main.tf"
    run = _compare(
        tree, {"main.tf": mwaa('"2.10.3"')}, {name: removed % "aws_mwaa_environment.main"}
    )
    env = run.env("aws_mwaa_environment.main")
    assert (env["change"], run.rules()) == (change, rules)
    assert "removed block at" in (env["planned_detail"] or "")
    assert "unknown block type" not in capfd.readouterr().err


def test_a_removed_module_forgets_every_environment_in_it(tree: TreeMaker) -> None:
    base = {
        "main.tf": 'module "mwaa" {\n  source = "./m"\n  for_each = toset(["a", "b"])\n}\n',
        "m/main.tf": mwaa('"2.10.3"'),
    }
    head = {
        "main.tf": "removed {\n  from = module.mwaa\n  lifecycle {\n    destroy = false\n  }\n}\n"
    }
    run = _compare(tree, base, head)
    assert [e["change"] for e in run.report["environments"]] == ["forgotten", "forgotten"]
    assert run.report["findings"] == []


def test_a_removed_block_for_another_address_changes_nothing(tree: TreeMaker) -> None:
    head = mwaa('"2.10.3"') + "removed {\n  from = aws_s3_bucket.old\n}\n"
    run = _compare(tree, {"main.tf": mwaa('"2.10.3"')}, {"main.tf": head})
    assert run.env("aws_mwaa_environment.main")["change"] == "unchanged"


def test_an_expression_over_several_lines_is_read_whole(tree: TreeMaker) -> None:
    expression = '(\n    aws_s3_bucket.b.id == ""\n    ? "2.9.2"\n    : "2.10.3"\n  )'
    root = tree(
        {"main.tf": 'resource "aws_s3_bucket" "b" { bucket_prefix = "x" }\n' + mwaa(expression)}
    )
    assert "known only after apply" in unknown_reason(root)


def test_an_empty_string_is_not_set_only_when_written_so(tree: TreeMaker) -> None:
    written = tree({"main.tf": mwaa('""')}, "written")
    assert loaded(written)["aws_mwaa_environment.main"].version.state.value == "missing"
    default = tree(
        {
            "main.tf": 'module "m" {\n  source = "./m"\n}\n',
            "m/main.tf": 'variable "v" {\n  default = ""\n}\n' + mwaa("var.v"),
        },
        "default",
    )
    version = loaded(default)["module.m.aws_mwaa_environment.main"].version
    assert version.state.value == "missing"
    # The evaluator also gives "" for a template over an unresolved value passed to a module.
    template = tree(
        {
            "main.tf": 'variable "minor" {}\nmodule "m" {\n  source = "./m"\n'
            '  v = "2.${var.minor}"\n}\n',
            "m/main.tf": 'variable "v" {}\nlocals {\n  v = "${var.v}.3"\n}\n' + mwaa("local.v"),
        },
        "template",
    )
    version = loaded(template)["module.m.aws_mwaa_environment.main"].version
    assert version.state.value == "unknown"


@pytest.mark.parametrize("version", ["2.10", '"latest"', '"2.10.9"'])
def test_an_unchanged_value_that_is_no_mwaa_version_is_a_note_not_an_error(
    tree: TreeMaker, version: str
) -> None:
    files = {"main.tf": mwaa(version)}
    # --all: the same files on both sides are untouched, and not evaluated without it.
    run = iacplan(
        "check", "--all", "--base", tree(files, "base"), tree(files, "head"), "--format", "json"
    )
    env = run.env("aws_mwaa_environment.main")
    assert env["verdict"] == "unchanged" and "MWAA004" not in run.rules()


def test_a_versioning_resource_is_matched_to_its_bucket_by_reference(tree: TreeMaker) -> None:
    buckets = (
        'variable "suffix" {}\nvariable "other" {}\n'
        'resource "aws_s3_bucket" "src" {\n  bucket = "src-${var.suffix}"\n}\n'
        'resource "aws_s3_bucket" "logs" {\n  bucket = "logs-${var.suffix}"\n}\n'
        'resource "aws_s3_bucket_versioning" "logs" {\n  bucket = aws_s3_bucket.logs.id\n'
        '  versioning_configuration {\n    status = "Suspended"\n  }\n}\n'
    )
    env = mwaa('"2.10.3"', extra="  source_bucket_arn = aws_s3_bucket.src.arn\n")
    other = tree({"main.tf": buckets + env}, "other")
    assert bucket_of(other)["versioning"] == "disabled"  # the logs bucket's says nothing of it
    doubtful = buckets + (
        'resource "aws_s3_bucket_versioning" "any" {\n  bucket = var.other\n'
        '  versioning_configuration {\n    status = "Enabled"\n  }\n}\n'
    )
    unknown = tree({"main.tf": doubtful + env}, "unknown")
    assert bucket_of(unknown)["versioning"] == "unknown"
    assert "cannot be told apart" in bucket_of(unknown)["reason"]
