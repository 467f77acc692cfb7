"""Pair base and head environments and say what kind of change each pair is."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from itertools import pairwise

from iacplan.catalog.versions import parse_version
from iacplan.errors import InputError
from iacplan.model import Action, Change, ChangeKind, Environment, Value, ValueState

NOT_SET_ON_BOTH_SIDES = (
    "{attribute} is set on neither side: apply does not change the version, which is "
    "MWAA's choice (its newest when the environment was created)"
)


def pair(base: Iterable[Environment] | None, head: Iterable[Environment]) -> list[Change]:
    """One Change per environment; `base=None` means no base was given (each stands alone)."""
    head = list(head)
    removals = [env for env in head if env.removes is not None]
    heads = _by_id(env for env in head if env.removes is None)
    if base is None:
        return [Change(i, None, heads[i], ChangeKind.NO_BASE) for i in sorted(heads)]
    # A `removed` block in the base says what the base's apply did, nothing about this one.
    bases = _by_id(env for env in base if env.removes is None)
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
    removed = []
    for env in list(bases.values()):
        removal = _removal_of(env, removals)
        if removal is not None:
            removed.append(_removed_by(bases.pop(env.id), removal))
    pairs += [(env, None) for env in bases.values()]
    pairs += [(None, env) for env in heads.values()]
    return ordered([classify(b, h) for b, h in pairs] + renamed + removed)


def _removal_of(env: Environment, removals: list[Environment]) -> Environment | None:
    """The head's `removed` block that takes out this base environment, if one does: its
    address, or a module holding it (`module.mwaa` for `module.mwaa["a"].aws_…`)."""
    for removal in removals:
        target = removal.id
        if env.id == target or env.id.startswith((target + "[", target + ".")):
            return removal
    return None


def _removed_by(base: Environment, removal: Environment) -> Change:
    assert removal.planned is not None
    kind = ChangeKind.FORGOTTEN if removal.planned.action is Action.FORGET else ChangeKind.REMOVED
    base = replace(base, planned=removal.planned)  # what apply does, as a plan would say
    return Change(base.id, base, None, kind, removal.planned.detail)


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
    kind = _version_change(base, head)
    note = _unchanged_note(base, head) if kind is ChangeKind.UNCHANGED else None
    if note is not None and note not in head.notes:
        head = replace(head, notes=(*head.notes, note))
    return Change(head.id, base, head, kind, replacement_doubt=_replacement_doubt(base, head))


def _unchanged_note(base: Environment, head: Environment) -> str | None:
    attribute = "AirflowVersion" if head.kind.startswith("cloudformation") else "airflow_version"
    if base.version.state is ValueState.MISSING:
        return NOT_SET_ON_BOTH_SIDES.format(attribute=attribute)
    if parse_version(head.version.text or "") is None:
        return (
            f"{attribute} {head.version.text!r} is not a version, but it is the same on both "
            "sides: apply does not change it (MWAA004 judges only a version that changes)"
        )
    return None


def _replacement_doubt(base: Environment, head: Environment) -> str | None:
    """Why it cannot be told whether the environment is replaced: its name is the identity,
    and on a side where it cannot be evaluated, only the same expression on both sides says
    the name stays."""
    if base.planned is not None or head.planned is not None:
        return None  # a plan or change set says itself whether it replaces
    old, new = base.name, head.name
    sides = (("base", old), ("head", new))
    unknown = [(side, v) for side, v in sides if v.state is ValueState.UNKNOWN]
    if not unknown or _identity(old) == _identity(new):
        return None
    why = "; ".join(f"in the {side}, {value.reason}" for side, value in unknown)
    return (
        f"the name is written as {_written(old)} in the base and as {_written(new)} in head, "
        f"and cannot be evaluated ({why}): whether the environment is replaced cannot be told; "
        "a name change destroys the environment and creates a new one"
    )


def _identity(value: Value) -> tuple[object, ...]:
    """What makes two names the same: the text when known, else how it is written (what its
    references lead to included), else why it cannot be evaluated."""
    if value.state is ValueState.KNOWN:
        return (value.state, value.text)
    return (value.state, value.expression if value.expression is not None else value.reason)


def _written(value: Value) -> str:
    if value.state is ValueState.MISSING:
        return f"not set ({value.location})"
    shown = value.expression or value.text
    return f"`{shown}` ({value.location})" if shown else f"unresolved ({value.location})"


def _version_change(base: Environment, head: Environment) -> ChangeKind:
    if base.version.state is ValueState.MISSING and head.version.state is ValueState.MISSING:
        return ChangeKind.UNCHANGED  # neither side asks for a version: apply changes none
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
