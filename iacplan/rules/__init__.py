"""Every rule, listed in one place, and the loop that applies them to changes."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from itertools import product

from iacplan.model import Change, Environment, Finding, Policy, Suppression
from iacplan.rules.base import Context, Hit, Rule
from iacplan.rules.bucket import UNVERIFIED_BUCKET, UNVERSIONED_BUCKET
from iacplan.rules.catalog import END_OF_SUPPORT, UNKNOWN_VERSION
from iacplan.rules.live import ACCOUNT_ERROR, DRIFT, MISSING_OBJECT, NOT_AVAILABLE
from iacplan.rules.replacement import REPLACED
from iacplan.rules.requirements import REQUIREMENTS
from iacplan.rules.resolve import UNINSTALLABLE, UNRESOLVED_REQUIREMENTS
from iacplan.rules.s3_files import UNPINNED_FILES
from iacplan.rules.unresolved import UNRESOLVED_VERSION
from iacplan.rules.version_path import DOWNGRADE, FROZEN_SERIES, MAJOR_IN_PLACE, MAJOR_NOT_IN_PLACE

__all__ = ["RULES", "Context", "Hit", "Policy", "Rule", "Suppression", "judge", "run"]

RULES: tuple[Rule, ...] = (
    DOWNGRADE,
    MAJOR_NOT_IN_PLACE,
    FROZEN_SERIES,
    UNKNOWN_VERSION,
    UNVERSIONED_BUCKET,
    UNVERIFIED_BUCKET,
    REPLACED,
    UNRESOLVED_VERSION,
    END_OF_SUPPORT,
    UNPINNED_FILES,
    REQUIREMENTS,
    DRIFT,
    MAJOR_IN_PLACE,
    NOT_AVAILABLE,
    MISSING_OBJECT,
    ACCOUNT_ERROR,
    UNINSTALLABLE,
    UNRESOLVED_REQUIREMENTS,
)


def run(changes: Sequence[Change], context: Context, policy: Policy) -> list[Finding]:
    return [
        _finding(rule, change, hit, policy)
        for change in changes
        for rule, hit in judge(change, context)
    ]


def judge(change: Change, context: Context) -> Iterator[tuple[Rule, Hit]]:
    """Every rule's hits on one change; where a side may not exist (MWAA008 says why), each
    other finding says it holds only if it does."""
    condition = _if_it_exists(change)
    for rule, hit in _judge(change, context):
        if condition and rule is not UNRESOLVED_VERSION:
            hit = Hit(f"{condition}: {hit.message}", hit.location)
        yield rule, hit


def _if_it_exists(change: Change) -> str | None:
    doubted = [
        side
        for env, side in ((change.base, " in the base"), (change.head, ""))
        if env is not None and env.existence is not None
    ]
    if not doubted:
        return None
    if len(doubted) == 2:
        return "if the environment exists on both sides (which cannot be resolved)"
    return f"if the environment exists{doubted[0]} (which cannot be resolved)"


def _judge(change: Change, context: Context) -> Iterator[tuple[Rule, Hit]]:
    seen = set()
    for rule in RULES:
        for hit in rule.check(change, context):
            seen.add((rule.id, hit.message))
            yield rule, hit
    # A version that is one of several outcomes is judged as each outcome, so the
    # dangerous branch of an unresolved condition is reported, not hidden behind MWAA008.
    for when, variant in _variants(change):
        for rule in RULES:
            for hit in rule.check(variant, context):
                if (rule.id, hit.message) not in seen:
                    seen.add((rule.id, hit.message))
                    yield rule, replace(hit, message=f"{when}: {hit.message}")


def _variants(change: Change) -> Iterator[tuple[str, Change]]:
    sides = [_outcomes(change.base, " in the base"), _outcomes(change.head, "")]
    if all(len(side) == 1 for side in sides):
        return
    if _same_stack_facts(change):
        # A pseudo parameter is the same on both sides of one stack: the base's outcome for
        # eu-west-1 becomes the head's for eu-west-1, never the head's for another region.
        for (_, base), (when, head) in zip(*sides, strict=True):
            yield when, replace(change, base=base, head=head)
        return
    for (base_when, base), (head_when, head) in product(*sides):
        when = " and ".join(w for w in (base_when, head_when) if w)
        yield when, replace(change, base=base, head=head)


_PSEUDO_ONLY = re.compile(r"if AWS::\w+ is \S+( and AWS::\w+ is \S+)*")


def _same_stack_facts(change: Change) -> bool:
    """Whether both sides' outcomes are decided by the same pseudo parameters alone (a
    condition can be redefined between base and head, a pseudo parameter cannot)."""
    if change.base is None or change.head is None:
        return False
    whens = [[a.when for a in env.version.alternatives] for env in (change.base, change.head)]
    return whens[0] == whens[1] and all(_PSEUDO_ONLY.fullmatch(w) for w in whens[0])


def _outcomes(env: Environment | None, side: str) -> list[tuple[str, Environment | None]]:
    if env is None or not env.version.alternatives:
        return [("", env)]
    return [(a.when + side, replace(env, version=a.value)) for a in env.version.alternatives]


def _finding(rule: Rule, change: Change, hit: Hit, policy: Policy) -> Finding:
    suppression = policy.suppression(rule.id, change.id)
    return Finding(
        rule=rule.id,
        severity=policy.severities.get(rule.id, hit.severity or rule.severity),
        message=hit.message,
        environment=change.id,
        location=hit.location or change.subject.version.location,
        suppressed=suppression is not None,
        suppression_reason=suppression.reason if suppression else None,
        about=hit.about,
    )
