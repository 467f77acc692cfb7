"""Terraform version constraints, with the semantics of Terraform's own parser (go-versions)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iacplan.catalog.terraform_versions import Constraint, ConstraintError, parse_release


@pytest.mark.parametrize(
    ("constraint", "allowed", "refused"),
    [
        ("~> 5.1", ["5.1.0", "5.99.3"], ["5.0.9", "6.0.0"]),
        ("~> 5.1.0", ["5.1.0", "5.1.9"], ["5.2.0", "5.0.9"]),
        ("~> 5", ["5.0.0", "5.80.1"], ["4.9.9", "6.0.0"]),  # not unbounded as in go-version
        (">= 4.0", ["4.0.0", "9.0.0"], ["3.99.0"]),
        (">= 5", ["5.0.0"], ["4.67.0"]),
        ("<= 5.1", ["5.1.0", "4.0.0"], ["5.1.1"]),  # padded with zeros, not a wildcard
        ("= 5.1", ["5.1.0"], ["5.1.1"]),
        ("5.31.0", ["5.31.0"], ["5.31.1"]),
        ("> 5.1.0, != 5.2.0", ["5.1.1", "5.2.1"], ["5.1.0", "5.2.0"]),
        (">=4.0,<5.0", ["4.67.0"], ["5.0.0"]),
    ],
)
def test_allows_like_terraform(constraint: str, allowed: list[str], refused: list[str]) -> None:
    parsed = Constraint.parse(constraint)
    for text in allowed:
        assert parsed.allows(release(text)), text
    for text in refused:
        assert not parsed.allows(release(text)), text


@pytest.mark.parametrize(
    ("constraint", "can_reach_5_2"),
    [
        ("~> 4.0", False),
        ("~> 5.1.0", False),
        ("~> 5.1", True),
        (">= 4.0", True),
        ("< 5.2.0", False),
        ("<= 5.2.0", True),
        ("= 5.2.0, != 5.2.0", False),
        (">= 5.2.0, != 5.2.0, != 5.2.1", True),
        ("> 5.1.9, < 5.2.1, != 5.2.0", False),
        ("~> 3.0, ~> 5.0", False),
    ],
)
def test_allows_any_from(constraint: str, can_reach_5_2: bool) -> None:
    assert Constraint.parse(constraint).allows_any_from((5, 2, 0)) is can_reach_5_2


@pytest.mark.parametrize("text", ["", "latest", "~> 5.1.0.0", ">= 5.0.0-beta1", "=> 5.0", "5.x"])
def test_constraints_terraform_rejects_are_errors(text: str) -> None:
    with pytest.raises(ConstraintError):
        Constraint.parse(text)


versions = st.tuples(*(st.integers(0, 7) for _ in range(3)))
conditions = st.tuples(st.sampled_from(["", "=", "!=", ">", ">=", "<", "<=", "~>"]), versions)


@given(st.lists(conditions, min_size=1, max_size=4), versions)
def test_allows_any_from_agrees_with_brute_force(
    parts: list[tuple[str, tuple[int, int, int]]], floor: tuple[int, int, int]
) -> None:
    text = ", ".join(f"{op} {'.'.join(map(str, v))}" for op, v in parts)
    constraint = Constraint.parse(text)
    # Every bound is below 8.x.x, so anything allowed from the floor shows up below 10.0.0.
    brute = any(
        constraint.allows((a, b, c))
        for a in range(10)
        for b in range(10)
        for c in range(10)
        if (a, b, c) >= floor
    )
    assert constraint.allows_any_from(floor) is brute


def test_parse_release() -> None:
    assert parse_release("5.31.0") == (5, 31, 0)
    assert parse_release("5.31") is None
    assert parse_release("5.31.0-beta1") is None


def release(text: str) -> tuple[int, int, int]:
    parsed = parse_release(text)
    assert parsed is not None
    return parsed
