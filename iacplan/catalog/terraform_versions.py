"""Terraform version constraints, as Terraform reads them for providers and registry modules.

Terraform parses these with apparentlymart/go-versions in its "Ruby style" (ParseRubyStyleMulti,
then MeetingConstraints), which differs from PEP 440 and from hashicorp/go-version:
- `~>` with three numbers allows only the patch to move (`~> 5.1.0` is >= 5.1.0, < 5.2.0);
  with one or two numbers only the major is fixed (`~> 5` and `~> 5.1` are < 6.0.0);
- a partial version elsewhere is padded with zeros (`>= 5` is >= 5.0.0, `= 5.1` is 5.1.0);
- commas intersect; pre-releases match only when a condition names them exactly.
Only released versions are considered here: pre-release providers are not what a pipeline
installs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

Release = tuple[int, int, int]

_CONDITION = re.compile(r"\s*(?P<op>~>|>=|<=|!=|=|>|<)?\s*v?(?P<version>\d+(?:\.\d+){0,2})\s*")
_COMPARE: dict[str, Callable[[Release, Release], bool]] = {
    "=": lambda v, b: v == b,
    "!=": lambda v, b: v != b,
    ">": lambda v, b: v > b,
    ">=": lambda v, b: v >= b,
    "<": lambda v, b: v < b,
    "<=": lambda v, b: v <= b,
}


class ConstraintError(ValueError):
    """A constraint string Terraform would not accept either."""


@dataclass(frozen=True)
class _Condition:
    op: str
    bound: Release
    upper: Release | None = None  # the exclusive upper bound of `~>`

    def allows(self, version: Release) -> bool:
        if self.op == "~>":
            assert self.upper is not None
            return self.bound <= version < self.upper
        return _COMPARE[self.op](version, self.bound)


def parse_release(text: str) -> Release | None:
    """`5.31.0` as a tuple; None for anything else (pre-releases included)."""
    match = re.fullmatch(r"v?(\d+)\.(\d+)\.(\d+)", text.strip())
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def _condition(text: str) -> _Condition:
    match = _CONDITION.fullmatch(text)
    if match is None:
        raise ConstraintError(f"{text.strip()!r} is not a version condition")
    numbers = [int(n) for n in match["version"].split(".")]
    major, minor, patch = [*numbers, 0, 0][:3]
    op = match["op"] or "="
    if op != "~>":
        return _Condition(op, (major, minor, patch))
    upper = (major, minor + 1, 0) if len(numbers) == 3 else (major + 1, 0, 0)
    return _Condition(op, (major, minor, patch), upper)


@dataclass(frozen=True)
class Constraint:
    """One or more comma-separated conditions, all of which a version must meet."""

    conditions: tuple[_Condition, ...]

    @classmethod
    def parse(cls, text: str) -> Constraint:
        if not text.strip():
            raise ConstraintError("the constraint is empty")
        return cls(tuple(_condition(part) for part in text.split(",")))

    def allows(self, version: Release) -> bool:
        return all(c.allows(version) for c in self.conditions)

    def allows_any_from(self, floor: Release) -> bool:
        """Whether some release at or above `floor` meets every condition.

        The releases that meet a set of conditions form intervals whose lowest member is the
        floor, a bound, or the release after a bound (after `> b` or `!= b`); testing those
        few candidates decides it."""
        candidates = {floor, _next(floor)}
        for condition in self.conditions:
            candidates |= {condition.bound, _next(condition.bound)}
        return any(v >= floor and self.allows(v) for v in candidates)


def _next(version: Release) -> Release:
    return (version[0], version[1], version[2] + 1)


def show(version: Release) -> str:
    return ".".join(str(n) for n in version)
