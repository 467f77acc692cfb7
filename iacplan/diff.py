"""Pair base and head environments and say what kind of change each pair is."""

from __future__ import annotations

import json
from collections.abc import Iterable
from itertools import pairwise

from iacplan.catalog.versions import parse_version
from iacplan.errors import InputError
from iacplan.model import Action, Change, ChangeKind, Environment, ValueState


def pair(base: Iterable[Environment] | None, head: Iterable[Environment]) -> list[Change]:
    """One Change per environment; `base=None` means no base was given (each stands alone)."""
    heads = _by_id(head)
    if base is None:
        return [Change(i, None, heads[i], ChangeKind.NO_BASE) for i in sorted(heads)]
    bases = _by_id(base)
    pairs: list[tuple[Environment | None, Environment | None]] = []
    for env_id in sorted(bases.keys() & heads.keys()):
        pairs.append((bases.pop(env_id), heads.pop(env_id)))
    for env in list(heads.values()):
        if env.moved_from in bases:
            pairs.append((bases.pop(env.moved_from), heads.pop(env.id)))
    # The same environment name under a new address, with no `moved` block to carry it over:
    # Terraform destroys the old resource and creates the new one.
    renamed = []
    base_names = _unique_names(bases.values())
    for env in list(heads.values()):
        if env.planned is not None:
            continue  # a plan's addresses and actions are what apply does; no guessing
        match = base_names.get(env.name.text) if env.name.text is not None else None
        if match is not None and match.id in bases:
            reason = f"its address changes from {match.id} to {env.id} with no `moved` block"
            renamed.append(
                Change(env.id, bases.pop(match.id), heads.pop(env.id), ChangeKind.REPLACED, reason)
            )
    pairs += [(env, None) for env in bases.values()]
    pairs += [(None, env) for env in heads.values()]
    return ordered([classify(b, h) for b, h in pairs] + renamed)


def ordered(changes: Iterable[Change]) -> list[Change]:
    """Changes sorted by id; one id twice (from two inputs) is an input error."""
    result = sorted(changes, key=lambda c: c.id)
    for first, second in pairwise(result):
        if first.id == second.id:
            raise _defined_twice(second.subject, first.subject)
    return result


def _by_id(environments: Iterable[Environment]) -> dict[str, Environment]:
    found: dict[str, Environment] = {}
    for env in environments:
        other = found.get(env.id)
        if other is not None:
            raise _defined_twice(env, other)
        found[env.id] = env
    return found


def _defined_twice(env: Environment, other: Environment) -> InputError:
    return InputError(
        f"{env.location}: environment {env.id} is also defined at {other.location}; "
        "check one root at a time"
    )


def _unique_names(environments: Iterable[Environment]) -> dict[str, Environment]:
    by_name: dict[str, list[Environment]] = {}
    for env in environments:
        if env.name.state is ValueState.KNOWN and env.name.text is not None:
            by_name.setdefault(env.name.text, []).append(env)
    return {name: envs[0] for name, envs in by_name.items() if len(envs) == 1}


def classify(base: Environment | None, head: Environment | None) -> Change:
    """The change from `base` to `head`, two sides of one environment."""
    planned = _planned(base, head)
    if planned is not None:
        return planned
    if head is None:
        assert base is not None
        return Change(base.id, base, None, ChangeKind.REMOVED)
    if base is None:
        return Change(head.id, None, head, ChangeKind.ADDED)
    if (
        base.name.state is ValueState.KNOWN
        and head.name.state is ValueState.KNOWN
        and base.name.text != head.name.text
    ):
        # The name is the environment's identity: Terraform destroys and recreates it.
        reason = f"name changes from {base.name.text} to {head.name.text}"
        return Change(head.id, base, head, ChangeKind.REPLACED, reason)
    doubt = None if base.planned or head.planned else _name_doubt(base, head)
    return Change(head.id, base, head, _version_change(base, head), replacement_doubt=doubt)


def _name_doubt(base: Environment, head: Environment) -> str | None:
    """Why the name may change, when one side's cannot be evaluated and the two are written
    differently (`!Sub "${AWS::StackName}-airflow"` against "analytics"). A plan or change set
    says what apply does itself; an unknown name whose expression is not known is not judged."""
    sides = (base.name, head.name)
    if all(v.state is ValueState.KNOWN for v in sides):
        return None
    written = [json.dumps(v.text) if v.state is ValueState.KNOWN else v.expression for v in sides]
    if None in written or written[0] == written[1]:
        return None
    unknown = [
        (side, v.reason or "no reason given")
        for side, v in (("the base", base.name), ("head", head.name))
        if v.state is not ValueState.KNOWN
    ]
    where = " or ".join(side for side, _ in unknown)
    why = "; ".join(reason for _, reason in unknown)
    return (
        f"the name is written as {written[0]} in the base ({base.name.location}) and as "
        f"{written[1]} in head ({head.name.location}), and cannot be evaluated in {where} "
        f"({why})"
    )


def _version_change(base: Environment, head: Environment) -> ChangeKind:
    if base.version.text is None or head.version.text is None:
        return ChangeKind.UNKNOWN
    if base.version.text == head.version.text:
        return ChangeKind.UNCHANGED
    old, new = parse_version(base.version.text), parse_version(head.version.text)
    if old is None or new is None:
        return ChangeKind.UNKNOWN
    if new < old:
        return ChangeKind.DOWNGRADE
    if new.major > old.major:
        return ChangeKind.MAJOR_JUMP
    return ChangeKind.UPGRADE


def _planned(base: Environment | None, head: Environment | None) -> Change | None:
    """What a plan or change set says outright: it knows better than comparing versions."""
    env = head or base
    assert env is not None
    if env.planned is None:
        return None
    action, detail = env.planned.action, env.planned.detail
    if action is Action.REPLACE:
        return Change(env.id, base, head, ChangeKind.REPLACED, detail or "the plan replaces it")
    if action is Action.DELETE:
        return Change(env.id, base, head, ChangeKind.REMOVED, detail or "the plan destroys it")
    if action is Action.FORGET:
        return Change(env.id, base, head, ChangeKind.FORGOTTEN, detail)
    if action is Action.UNKNOWN:
        return Change(env.id, base, head, ChangeKind.UNKNOWN, detail)
    return None
