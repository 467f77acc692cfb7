"""What iacplan publishes of what it evaluated: only what is safe to show anyone.

A pull request is untrusted, and its report is public (a comment, annotations, a CI log). Reads
stay inside the repository (`iacplan.inputs.confine`), but an evaluated string can still carry
what the job knows (`TF_VAR_*`, a plan made by `terraform plan` on the PR). So:
- `changes` describes the evaluated values of every environment before rules and reports see
  them: a version is shown only when it looks like one; a name, bucket, tag or S3 key only
  within a conservative character set and length; anything else as
  `<value of N characters, set at FILE:LINE>`;
- `redact` removes known secret shapes (AWS keys, GitHub and other tokens, private keys,
  `KEY=VALUE` blocks such as an environment dump) from any text: every report (`scrub`),
  error line and stderr message goes through it, in every format.
Renderers stay pure: they get values that are already safe.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any, TypeVar

from iacplan.model import Alternative, Bucket, Change, Environment, S3File, Value, ValueState

T = TypeVar("T")

# A version, or what a person meant as one (so that MWAA004 can say how it is malformed):
# digits, dots and version punctuation, white space, a few letters (v, rc1, -beta, +local),
# at most 32 characters. Nothing a secret fits in.
_VERSION_PUNCTUATION = frozenset(".-+_=~<>*,\ufeff")
_VERSION_LETTERS = 6
_VERSION_LENGTH = 32

# Names, bucket ids, tags, S3 keys: what AWS allows in them, bounded.
_PLAIN = re.compile(r"[A-Za-z0-9 ._:/@+=,()#*-]{0,128}")

_REDACTED = "<redacted>"
_SECRETS = [
    # An environment dump or a dotenv file: two NAME=VALUE entries or more, NUL or line apart.
    re.compile(
        r"(?:[A-Za-z_][A-Za-z0-9_]*=[^\x00\n]*[\x00\n]){1,}[A-Za-z_][A-Za-z0-9_]*=[^\x00\n]*"
    ),
    re.compile(r"-----BEGIN[A-Z ]*PRIVATE KEY-----(?:.*?-----END[A-Z ]*PRIVATE KEY-----|.*)", re.S),
    # AWS access key ids (AKIA… long-term, ASIA… temporary, and the other principal kinds)
    re.compile(
        r"(?<![A-Z0-9])(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16}(?![A-Z0-9])"
    ),
    # GitHub tokens (classic, fine-grained, app, OAuth, refresh), GitLab, Slack, npm, PyPI
    re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,255}|github_pat_[A-Za-z0-9_]{20,255})"),
    re.compile(r"\b(?:glpat-[A-Za-z0-9_-]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|npm_[A-Za-z0-9]{36})"),
    re.compile(r"\bpypi-[A-Za-z0-9_-]{50,}"),
    # JSON web tokens
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    # A named secret: password = …, "token": "…", AWS_SECRET_ACCESS_KEY=… (the name is kept)
    re.compile(
        r"(?i)(?P<name>(?:password|passwd|secret|token|api[_-]?key|access[_-]?key)"
        r"[\"']?\s{0,3}[:=]\s{0,3})[\"']?[^\s\"',;<]{4,}"
    ),
]
# An AWS secret access key: 40 characters of base64, upper and lower case and digits mixed
# (a git commit id, hex, is left alone).
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")


def redact(text: str) -> str:
    """`text` without anything shaped like a secret."""
    if not text:
        return text
    for pattern in _SECRETS:
        text = pattern.sub(_replacement, text)
    text = _AWS_SECRET.sub(_aws_secret, text)
    return text.replace("\x00", "\\0")


def _replacement(match: re.Match[str]) -> str:
    return (match.groupdict().get("name") or "") + _REDACTED


def _aws_secret(match: re.Match[str]) -> str:
    token = match[0]
    mixed = any(c.islower() for c in token) and any(c.isupper() for c in token)
    return _REDACTED if mixed and any(c.isdigit() for c in token) else token


def describe(text: str, where: object) -> str:
    return f"<value of {len(text)} characters, set at {where}>"


def is_version_like(text: str) -> bool:
    return (
        0 < len(text) <= _VERSION_LENGTH
        and any(c.isdigit() for c in text)
        and sum(c.isalpha() for c in text) <= _VERSION_LETTERS
        and all(
            c.isdigit() or c.isspace() or c in _VERSION_PUNCTUATION or (c.isascii() and c.isalpha())
            for c in text
        )
    )


def is_plain(text: str) -> bool:
    return _PLAIN.fullmatch(text) is not None and redact(text) == text


def shown(text: str | None, where: object, version: bool = False) -> str | None:
    """An evaluated string as it may be published: itself, or a description of it."""
    if text is None:
        return None
    fits = is_version_like(text) if version else is_plain(text)
    return text if fits else describe(text, where)


def quoted(text: str) -> str:
    """An evaluated string inside a message: repr'd when plain, else described."""
    return repr(text) if is_plain(text) else f"<a value of {len(text)} characters>"


def _value(value: Value, version: bool = False) -> Value:
    text = shown(value.text, value.location, version) if value.state is ValueState.KNOWN else None
    return dataclasses.replace(
        value,
        text=text if value.state is ValueState.KNOWN else value.text,
        reason=redact(value.reason) if value.reason else value.reason,
        alternatives=tuple(
            Alternative(redact(a.when), _value(a.value, version)) for a in value.alternatives
        ),
    )


def _bucket(bucket: Bucket | None) -> Bucket | None:
    if bucket is None:
        return None
    where = bucket.location or "the configuration"
    return dataclasses.replace(bucket, id=shown(bucket.id, where), reason=redact(bucket.reason))


def _file(file: S3File) -> S3File:
    return dataclasses.replace(
        file, path=_value(file.path), object_version=_value(file.object_version)
    )


def environment(env: Environment) -> Environment:
    where = env.location
    return dataclasses.replace(
        env,
        name=_value(env.name),
        version=_value(env.version, version=True),
        bucket=_bucket(env.bucket),
        files=tuple(_file(f) for f in env.files),
        tags=tuple((k, v) for k, v in env.tags if is_plain(k) and shown(v, where) == v),
        notes=tuple(redact(n) for n in env.notes),
        planned=(
            dataclasses.replace(env.planned, detail=redact(env.planned.detail))
            if env.planned and env.planned.detail
            else env.planned
        ),
        requirements=scrub(env.requirements),
        live=scrub(env.live),
    )


def changes(found: Sequence[Change]) -> list[Change]:
    """The changes with every evaluated value made safe to publish (see the module doc)."""
    return [
        dataclasses.replace(
            change,
            base=environment(change.base) if change.base else None,
            head=environment(change.head) if change.head else None,
            reason=redact(change.reason) if change.reason else change.reason,
            drift=_value(change.drift, version=True) if change.drift else None,
        )
        for change in found
    ]


def scrub(obj: T) -> T:
    """`obj` (dataclasses, tuples, lists, dicts of them) with `redact` applied to every string."""
    return _scrub(obj)  # type: ignore[no-any-return]


def _scrub(obj: Any) -> Any:
    if type(obj) is str:  # not an enum's value
        return redact(obj)
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(_scrub(o) for o in obj)
    if isinstance(obj, list):
        return [_scrub(o) for o in obj]
    if isinstance(obj, dict):
        return {_scrub(k): _scrub(v) for k, v in obj.items()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changed = {f.name: _scrub(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.init}
        return dataclasses.replace(obj, **changed)
    return obj
