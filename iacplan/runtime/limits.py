"""Bounds on what iacplan reads, so that hostile or broken input ends in a clear error, in
bounded time and memory, instead of a hang or an exhausted machine.

Each bound is a named default below, overridable in `.iacplan.yaml` (`limits:`) and by an
environment variable, which wins: a pipeline can raise a bound without editing the repository.
The CLI applies them for one run (`applied`); library code reads them through `current()`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields, replace
from typing import Any

from iacplan.errors import InputError

# One input file (.tf, tfvars, template, plan, change set, parameters, config). Hand-written
# Terraform and templates are far smaller (CloudFormation itself takes at most 1 MB); a plan of
# a very large state may need more.
MAX_FILE_MB = 16
# Levels of mappings and lists in one YAML or JSON document: deeper input is refused before
# anything walks it (real templates and plans stay well below 30).
MAX_NESTING = 100
# Local module calls from a root down to the deepest module (root → a → b is 2).
MAX_MODULE_DEPTH = 32
# A literal `count`: the evaluator's time grows with the square of a resource's instances
# (1,000 take about 2.5 s, 2,000 about 9 s on a 2-core machine).
MAX_INSTANCES = 1000
# Seconds to evaluate one Terraform root: a count or for_each fed by a variable is seen only by
# the evaluator, which then may take hours; the worker process evaluating it is stopped.
EVALUATION_TIMEOUT = 300.0


@dataclass(frozen=True)
class Limits:
    max_file_mb: float = MAX_FILE_MB
    max_nesting: int = MAX_NESTING
    max_module_depth: int = MAX_MODULE_DEPTH
    max_instances: int = MAX_INSTANCES
    evaluation_timeout: float = EVALUATION_TIMEOUT

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @classmethod
    def resolve(cls, configured: Mapping[str, Any] | None = None) -> Limits:
        """The defaults, overridden by the config's `limits:`, overridden by the environment."""
        limits = replace(cls(), **(configured or {}))
        for field in fields(cls):
            raw = os.environ.get(env_name(field.name))
            if raw is None or not raw.strip():
                continue
            kind: type[float] | type[int] = float if field.type == "float" else int
            try:
                value = kind(raw)
            except ValueError:
                value = 0
            if value <= 0:
                raise InputError(f"{env_name(field.name)}={raw!r}: not a positive {kind.__name__}")
            limits = replace(limits, **{field.name: value})  # type: ignore[arg-type]
        return limits


def env_name(limit: str) -> str:
    return f"IACPLAN_{limit.upper()}"


def how_to_raise(limit: str) -> str:
    return f"limits.{limit} in .iacplan.yaml or {env_name(limit)}"


_current: ContextVar[Limits | None] = ContextVar("iacplan_limits", default=None)


def current() -> Limits:
    """The limits of this run: those `applied`, else the defaults and the environment."""
    return _current.get() or Limits.resolve()


def set_current(limits: Limits) -> None:
    """Apply `limits` to everything after (a worker process applies its run's limits)."""
    _current.set(limits)


@contextmanager
def applied(limits: Limits) -> Iterator[None]:
    token = _current.set(limits)
    try:
        yield
    finally:
        _current.reset(token)


def too_big(size: int) -> str | None:
    """Why a file of `size` bytes is not read, or None."""
    limits = current()
    if size <= limits.max_file_bytes:
        return None
    return (
        f"{size / 1024 / 1024:.1f} MB, more than the {limits.max_file_mb:g} MB iacplan reads "
        f"from one file ({how_to_raise('max_file_mb')})"
    )


def too_deep(document: object) -> tuple[object, str] | None:
    """The first node nested deeper than the limit, and why, or None. Iterative: the document
    may be deeper than Python's recursion allows. A node YAML aliases from many places is
    walked again only when reached deeper, so an alias bomb costs no more than its text."""
    limit = current().max_nesting
    deepest: dict[int, int] = {}
    pending: list[tuple[dict[Any, Any] | list[Any], int]] = []
    if isinstance(document, dict | list):
        pending.append((document, 1))
    while pending:
        node, depth = pending.pop()
        if deepest.get(id(node), 0) >= depth:
            continue
        deepest[id(node)] = depth
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, dict | list):
                if depth >= limit:
                    why = f"nested more than {limit} levels deep ({how_to_raise('max_nesting')})"
                    return child, why
                pending.append((child, depth + 1))
    return None
