"""Override files merged in the text as Terraform merges them (overrides.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import TreeMaker
from iacplan.inputs.terraform import overrides


def merged_text(root: Path) -> str:
    with overrides.merged(root, [root]) as merged:
        assert merged is not None
        return (merged.root / "main.tf").read_text()


def test_nested_blocks_are_replaced_by_type_and_arguments_one_by_one(tree: TreeMaker) -> None:
    root = tree(
        {
            "main.tf": 'resource "aws_s3_bucket" "b" {\n'
            '  bucket = "old" # the name\n'
            '  lifecycle_rule {\n    id = "a"\n  }\n'
            '  lifecycle_rule {\n    id = "b"\n  }\n'
            '  tags = {\n    a = "1"\n  }\n'
            "}\n",
            "override.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = "new"\n'
            '  lifecycle_rule {\n    id = "c"\n  }\n}\n',
        }
    )
    text = merged_text(root)
    assert text.count("lifecycle_rule") == 1 and 'id = "c"' in text
    assert 'bucket = "new"' in text and '"old"' not in text and 'a = "1"' in text
    assert text.split("\n")[:12] == [""] * 12  # every other line keeps its number


@pytest.mark.parametrize(
    "override",
    [
        'terraform {\n  required_version = ">= 1.5"\n}\n',  # merged per provider: not read here
        'resource "aws_s3_bucket" "missing" {\n  bucket = "x"\n}\n',
        'output "o" {\n  value = 1\n}\n',  # no such output in the module
    ],
)
def test_what_cannot_be_merged_in_the_text_is_said(tree: TreeMaker, override: str) -> None:
    root = tree(
        {"main.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n', "override.tf": override}
    )
    with pytest.raises(overrides.NotStatic), overrides.merged(root, [root]):
        pass


def test_locations_in_the_copy_point_back_at_the_files(tree: TreeMaker) -> None:
    from iacplan.model import Location

    lines = {("copy/main.tf", 30): ("main.tf", 3)}
    assert overrides.relocated(Location("copy/main.tf", 30), lines) == Location("main.tf", 3)
    assert overrides.relocated("set at copy/main.tf:30.", lines) == "set at main.tf:3."
