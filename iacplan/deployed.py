"""What the account runs, joined to the changes (--live): the step between diff and the rules.

Each change's subject environment gets the account's facts (`Environment.live`) and a note
saying what runs. The deployed version becomes the base where no base was given or the base's
version is unknown, and replaces a base definition that says another version (`Change.drift`):
the rules then judge the change from what actually runs. The account's bucket versioning fills
in a source bucket the configuration does not manage."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from iacplan import diff
from iacplan.inputs.account import Lookup
from iacplan.model import (
    Bucket,
    Change,
    ChangeKind,
    Environment,
    LiveEnvironment,
    Value,
    ValueState,
    Versioning,
)

Reader = Callable[[Sequence[Lookup]], Mapping[Lookup, LiveEnvironment]]

# Kinds that come from comparing versions: a new base version changes them.
_BY_VERSION = {
    ChangeKind.UPGRADE,
    ChangeKind.DOWNGRADE,
    ChangeKind.MAJOR_JUMP,
    ChangeKind.UNCHANGED,
    ChangeKind.UNKNOWN,
}
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def against_account(changes: Sequence[Change], read: Reader) -> list[Change]:
    """The changes as the account shows them; `read` asks the account (once, for all)."""
    wanted = {change.id: _lookup(change) for change in changes}
    facts = read([w for w in wanted.values() if isinstance(w, Lookup)])
    return [_join(change, wanted[change.id], facts) for change in changes]


def _lookup(change: Change) -> Lookup | str:
    """What to read for a change, or why it cannot be looked up."""
    # The base's name is the deployed one (a renamed environment is a new one).
    env = change.base or change.subject
    if env.name.state is not ValueState.KNOWN or not env.name.text:
        why = env.name.reason or "not set"
        return f"not looked up in the account: the environment's name is unknown ({why})"
    bucket = change.head.bucket if change.head else None
    named = bucket.id if bucket is not None else None
    if not _unresolved_bucket(change.head) or (named and not _BUCKET_NAME.fullmatch(named)):
        return Lookup(env.name.text)  # (an id that is no bucket name says no bucket to read)
    return Lookup(env.name.text, versioning=True, bucket=named)


def _unresolved_bucket(head: Environment | None) -> bool:
    """Whether the account has to say the head's bucket versioning: the configuration does
    not manage the bucket (or cannot resolve it). A managed bucket's versioning is what the
    configuration will set, whatever the account says now."""
    if head is None:
        return False
    bucket = head.bucket
    return bucket is None or (bucket.versioning is Versioning.UNKNOWN and not bucket.in_config)


def _join(change: Change, wanted: Lookup | str, facts: Mapping[Lookup, LiveEnvironment]) -> Change:
    if isinstance(wanted, str):
        return _subject(change, notes=(wanted,))
    live = facts[wanted]
    notes = _notes(live, change)
    if live.version is not None:
        change, note = _from_deployed(change, live.version)
        notes += (note,) if note else ()
    elif live.found is False and change.kind is ChangeKind.NO_BASE:
        change = replace(change, kind=ChangeKind.ADDED)
    if change.head is not None and live.versioning_bucket is not None:
        change = replace(change, head=_with_bucket(change.head, live))
    return _subject(change, notes, live)


def _from_deployed(change: Change, version: str) -> tuple[Change, str | None]:
    """The change judged from the deployed version, and a note when that is news."""
    head = change.head
    if change.kind is ChangeKind.NO_BASE:
        assert head is not None
        deployed = Value.known(version, head.version.location, "the deployed version")
        base = replace(head, version=deployed, notes=(), planned=None)
        return diff.classify(base, head), None
    if change.base is None:
        return change, None  # to be created, yet one runs: MWAA012 says so
    defined = change.base.version
    if defined.state is ValueState.KNOWN and defined.text == version:
        return change, None
    if change.kind is ChangeKind.UNCHANGED and defined.state is ValueState.MISSING:
        return change, f"the account runs {version}, which stays: neither side sets a version"
    deployed = Value.known(version, defined.location, "the deployed version")
    base = replace(change.base, version=deployed)
    drift: Value | None = defined
    note = None
    if defined.state is not ValueState.KNOWN:
        drift = None
        note = f"the base version is unknown ({defined.reason}): the deployed {version} is used"
    if change.kind in _BY_VERSION and head is not None:
        return replace(diff.classify(base, head), drift=drift), note
    return replace(change, base=base, drift=drift), note


def _notes(live: LiveEnvironment, change: Change) -> tuple[str, ...]:
    where = f"account ({live.region})"
    if live.found is False:
        others = (
            f" (the region has: {', '.join(live.other_names)})"
            if live.other_names
            else " (the region has none)"
            if live.other_names == ()
            else ""
        )
        creates = ": applying creates it" if change.base is None else ""
        return (f"{where}: no environment named {live.name}{others}{creates}",)
    if live.found is None:
        return ()
    notes = [f"{where}: {live.name} runs Airflow {live.version}, status {live.status}"]
    update = live.last_update
    if update is not None and update.status == "FAILED":
        notes.append(
            f"{where}: the last update did not succeed ({update.created_at}): {update.error}"
        )
    return tuple(notes)


def _with_bucket(head: Environment, live: LiveEnvironment) -> Environment:
    """The head's source bucket with the versioning the account says, where it was read."""
    bucket, name = head.bucket, live.versioning_bucket
    if not _unresolved_bucket(head) or (bucket is not None and bucket.id not in (None, name)):
        return head
    state = "never enabled" if live.versioning is Versioning.DISABLED else live.versioning.value
    reason = f"GetBucketVersioning in the account: {state}"
    if bucket is None:
        reason += " (the deployed environment's bucket: the configuration shows none)"
        return replace(head, bucket=Bucket(name, live.versioning, False, reason, head.location))
    if bucket.id is None:
        # The configuration names a bucket it cannot resolve, and the change may move the
        # environment to another one: what the deployed bucket says is a hint, not a verdict.
        reason = f"{bucket.reason}; the deployed environment's bucket {name}: {reason}"
        return replace(head, bucket=replace(bucket, reason=reason))
    return replace(head, bucket=Bucket(name, live.versioning, False, reason, bucket.location))


def _subject(change: Change, notes: tuple[str, ...], live: LiveEnvironment | None = None) -> Change:
    """The change with the account's facts and notes on the environment findings point at."""
    env = change.subject
    env = replace(env, notes=env.notes + notes, live=live or env.live)
    if change.head is not None:
        return replace(change, head=env)
    return replace(change, base=env)
