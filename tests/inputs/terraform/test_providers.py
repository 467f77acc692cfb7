"""What a configuration says about its AWS provider, and the replacement that predicts."""

from __future__ import annotations

import pytest

from conftest import TreeMaker
from helpers import Run, iacplan, mwaa

LOCK = """\
provider "registry.terraform.io/hashicorp/random" {
  version = "3.6.0"
}

provider "{address}" {
  version     = "{version}"
  constraints = ">= 4.0"
  hashes = [
    "h1:AAAA",
  ]
}
"""


def required(version: str) -> str:
    return (
        "terraform {\n  required_providers {\n    aws = {\n"
        f'      source  = "hashicorp/aws"\n      version = "{version}"\n    }}\n  }}\n}}\n'
    )


def major_upgrade(tree: TreeMaker, files: dict[str, str]) -> Run:
    """2.11.2 → 3.3.1, which MWAA does in place, with the same extra files on both sides."""
    base = tree({"main.tf": mwaa('"2.11.2"'), **files}, "base")
    head = tree({"main.tf": mwaa('"3.3.1"'), **files}, "head")
    run = iacplan("check", "--base", base, head, "--format", "json")
    assert run.exit_code in (0, 1), run.stderr
    return run


def replacement(run: Run) -> str | None:
    messages = [f["message"] for f in run.report["findings"] if f["rule"] == "MWAA007"]
    assert len(messages) <= 1
    return messages[0] if messages else None


def test_unpinned_provider_predicts_replacement(tree: TreeMaker) -> None:
    run = major_upgrade(tree, {})
    message = replacement(run)
    assert message is not None and "Terraform installs the newest" in message
    assert "aws mwaa update-environment --name main --airflow-version 3.3.1" in message
    assert "terraform apply -refresh-only" in message
    assert run.exit_code == 1 and run.env("aws_mwaa_environment.main")["verdict"] == "rejected"


@pytest.mark.parametrize(
    ("files", "replaced"),
    [
        ({"versions.tf": required("~> 4.0")}, False),
        ({"versions.tf": required("~> 5.1.0")}, False),
        ({"versions.tf": required(">= 4.0")}, True),
        ({"versions.tf": required("~> 5.80")}, True),
        (
            {"versions.tf": 'terraform {\n  required_providers {\n    aws = "~> 4.0"\n  }\n}\n'},
            False,
        ),
        ({"versions.tf": 'provider "aws" {\n  version = "~> 4.0"\n}\n'}, False),
        (
            {
                "versions.tf.json": '{"terraform": {"required_providers": {"aws": '
                '{"source": "hashicorp/aws", "version": "~> 4.0"}}}}'
            },
            False,
        ),
        # Another local name for the same provider constrains it too.
        (
            {
                "versions.tf": "terraform {\n  required_providers {\n    amazon = {\n"
                '      source = "registry.terraform.io/hashicorp/aws"\n'
                '      version = "< 5.2.0"\n    }\n  }\n}\n'
            },
            False,
        ),
        # Terraform refuses a variable here; iacplan does not take its default for the answer.
        (
            {
                "versions.tf": 'variable "pv" {\n  default = "< 5.2.0"\n}\n'
                "terraform {\n  required_providers {\n"
                "    aws = { version = var.pv }\n  }\n}\n"
            },
            True,
        ),
    ],
)
def test_required_providers(tree: TreeMaker, files: dict[str, str], replaced: bool) -> None:
    run = major_upgrade(tree, files)
    assert (replacement(run) is not None) is replaced
    assert run.exit_code == (1 if replaced else 0)


def test_constraint_location_is_named(tree: TreeMaker) -> None:
    message = replacement(major_upgrade(tree, {"versions.tf": required(">= 4.0")}))
    assert message is not None and "`>= 4.0` (" in message and "head/versions.tf:5)" in message


def test_a_called_module_narrows_the_provider(tree: TreeMaker) -> None:
    module = 'terraform {\n  required_providers {\n    aws = { version = "< 5.2.0" }\n  }\n}\n'
    call = 'module "pins" {\n  source = "./pins"\n}\n'
    files = {"versions.tf": required(">= 4.0") + call, "pins/main.tf": module}
    assert replacement(major_upgrade(tree, files)) is None


@pytest.mark.parametrize(
    ("address", "version", "replaced"),
    [
        ("registry.terraform.io/hashicorp/aws", "5.1.0", False),
        ("registry.terraform.io/hashicorp/aws", "5.31.0", True),
        ("registry.opentofu.org/hashicorp/aws", "5.1.0", False),
        ("registry.terraform.io/acme/aws", "5.1.0", True),  # not the provider: nothing locked
    ],
)
def test_lock_file_selects_the_version(
    tree: TreeMaker, address: str, version: str, replaced: bool
) -> None:
    lock = LOCK.replace("{address}", address).replace("{version}", version)
    run = major_upgrade(tree, {"versions.tf": required(">= 4.0"), ".terraform.lock.hcl": lock})
    message = replacement(run)
    assert (message is not None) is replaced
    if replaced and "hashicorp/aws" in address:
        assert message is not None and f".terraform.lock.hcl:6 locks {version}" in message


def test_lock_outside_the_constraints_does_not_count(tree: TreeMaker) -> None:
    lock = LOCK.replace("{address}", "registry.terraform.io/hashicorp/aws")
    files = {
        "versions.tf": required("~> 5.80"),
        ".terraform.lock.hcl": lock.replace("{version}", "5.1.0"),
    }
    message = replacement(major_upgrade(tree, files))
    assert message is not None and "the constraints do not keep" in message


def test_aws_from_another_source_is_never_a_pass(tree: TreeMaker) -> None:
    versions = (
        'terraform {\n  required_providers {\n    aws = {\n      source = "acme/aws"\n'
        '      version = "~> 4.0"\n    }\n  }\n}\n'
    )
    message = replacement(major_upgrade(tree, {"versions.tf": versions}))
    assert message is not None and "'acme/aws'" in message
