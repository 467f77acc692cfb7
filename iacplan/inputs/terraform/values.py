"""Reading tfparse's evaluated blocks: values, their unknown shapes, and bucket versioning.

What tfparse cannot resolve comes back in several shapes, and each one must end as an
*unknown* value here, never as a version:
- an unresolved reference as a dict (``{"__attribute__": "var.v", ...}``);
- a partly unknown template as the raw string (``"${var.maj}.${var.v}"``);
- a function or condition over an unknown value as ``null``;
- a computed attribute as a block's random id (``"arn:aws:s3:::<uuid>"``), also inside
  conditions and functions, where only the source text shows it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from iacplan.inputs import s3_files
from iacplan.inputs.files import display_path, lines, normpath
from iacplan.inputs.terraform.view import NOT_READ, reason_at
from iacplan.model import Bucket, Environment, Location, S3File, Value, ValueState, Versioning
from iacplan.safe import quoted

_BUCKET_ARN = re.compile(r"arn:aws[a-z-]*:s3:::(?P<name>.*)")
_TEMPLATE_REF = re.compile(r"\$\{([^}]*)\}")
# What the evaluator replaces with a stand-in (an id, the time, "default") although Terraform
# knows it only later: another resource's attribute (`aws_s3_bucket.b.id` in a condition or
# function), impure functions, and the workspace.
_PLACEHOLDERS = re.compile(
    r"(?<![\w.])[a-z][a-z0-9]*_[a-z0-9_]*\.[a-zA-Z_][\w-]*"
    r"|\b(?:timestamp|plantimestamp|uuid|bcrypt)(?=\()|\bterraform\.workspace\b"
)
# HCL (`ignore_changes = [...]`, comments removed first) or JSON (`"ignore_changes": [...]`);
# the list may hold index brackets of its own (`tags["team"]`).
_IGNORE_CHANGES = re.compile(r'\bignore_changes"?\s*[=:]\s*("?all\b|\[(?:[^\[\]]|\[[^\[\]]*\])*\])')
_STATUS = {
    "Enabled": Versioning.ENABLED,
    "Suspended": Versioning.SUSPENDED,
    "Disabled": Versioning.DISABLED,
}


def resources(result: dict[str, Any], resource_type: str) -> Iterator[dict[str, Any]]:
    return (b for b in result.get(resource_type, []) if b["__tfmeta"].get("type") == "resource")


def find_stand_ins(result: dict[str, Any]) -> dict[str, str]:
    """tfparse's random block ids, which it substitutes for computed attributes (``.id``,
    ``.arn`` of a resource without a name), mapped to the block's address."""
    return {
        block["id"]: block["__tfmeta"]["path"]
        for blocks in result.values()
        for block in blocks
        if isinstance(block, dict) and "__tfmeta" in block and "id" in block
    }


def existence_doubts(result: dict[str, Any]) -> dict[str, str]:
    """Resource and module instances whose count or for_each cannot be resolved. tfparse
    still evaluates one instance of them, but Terraform may create none."""
    doubts: dict[str, str] = {}
    for blocks in result.values():
        for block in blocks:
            path = block["__tfmeta"].get("path", "") if "__tfmeta" in block else ""
            for key in ("count", "for_each") if path else ():
                if key in block and not _resolved_repetition(block[key]):
                    doubts[path] = f"the {key} of {path} cannot be resolved statically"
    return doubts


def _resolved_repetition(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, dict):
        return "__attribute__" not in value
    return isinstance(value, int | list)


def doubt_about(address: str, doubts: dict[str, str]) -> str | None:
    """Why `address` may not exist, when it or a module instance holding it is in doubt."""
    for path, reason in doubts.items():
        if address == path or address.startswith(path + "."):
            return reason + ": whether the environment exists, and with what version, is unknown"
    return None


def attribute(file: Path, meta: dict[str, Any], name: str) -> tuple[int, str] | None:
    """Line and expression text of `name = ...` inside the block that `meta` describes."""
    text = lines(file)
    pattern = re.compile(rf"\s*{re.escape(name)}\s*=\s*(?P<expr>.*)")
    for number in range(meta["line_start"], min(meta["line_end"], len(text)) + 1):
        match = pattern.match(text[number - 1])
        if match:
            return number, match["expr"].strip()
    return None


def read_value(block: dict[str, Any], name: str, file: Path, stand_ins: dict[str, str]) -> Value:
    meta = block["__tfmeta"]
    found = attribute(file, meta, name)
    location = Location(display_path(file), found[0] if found else meta["line_start"])
    expression = found[1] if found else None
    if name not in block or (block[name] is None and expression == "null"):
        return Value.missing(f"{name} is not set", location)
    raw = block[name]
    shown = f"`{expression}`" if expression else name
    refused = reason_at(file, location.line)  # a file-reading call iacplan did not let through
    if refused and (raw is None or NOT_READ in json.dumps(raw) or isinstance(raw, dict)):
        return Value.unknown(refused, location)
    if raw is None:
        return Value.unknown(
            f"{shown} cannot be evaluated statically: it depends on a value that has no "
            "default here or is known only at apply",
            location,
        )
    if isinstance(raw, dict) and "__attribute__" in raw:
        return Value.unknown(_why_unresolved(str(raw["__attribute__"])), location)
    if isinstance(raw, str):
        refs = _TEMPLATE_REF.findall(raw)
        if refs:
            return Value.unknown(
                f"{shown} is only partly resolved: it refers to {', '.join(refs)}, and not all "
                "of them have a known value here",
                location,
            )
        computed = sorted(path for key, path in stand_ins.items() if key in raw)
        computed += _PLACEHOLDERS.findall(expression or "")
        if computed:
            return Value.unknown(
                f"{shown} depends on {', '.join(computed)}, known only after apply", location
            )
        return Value.known(raw, location)
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return Value.unknown(f"{shown} is not a string ({type(raw).__name__})", location)
    # Terraform turns a number into a string ("2.10" becomes "2.1"); keep what it would send.
    text = json.dumps(raw)
    return Value.known(
        text,
        location,
        note=f"written as the number {expression or text}: Terraform sends "
        f'"{text}"; quote the version',
    )


def ignored_changes(file: Path, meta: dict[str, Any]) -> frozenset[str]:
    """What the block's `lifecycle { ignore_changes = [...] }` lists ("all" for all): tfparse
    returns the list as nulls, so it is read from the source text."""
    text = "\n".join(lines(file)[meta["line_start"] - 1 : meta["line_end"]])
    if not file.name.endswith(".json"):
        text = re.sub(r"(#|//).*", "", text)
    match = _IGNORE_CHANGES.search(text)
    if match is None:
        return frozenset()
    return frozenset(re.findall(r"[A-Za-z_][\w-]*", match[1]))


def read_files(read: Callable[[str], Value], ignored: frozenset[str]) -> tuple[S3File, ...]:
    """The files the block configures; `ignored` are the attributes Terraform leaves as deployed
    after create (ignore_changes), whose configured value says nothing about what runs."""

    def value(name: str) -> Value:
        found = read(name)
        if found.state is ValueState.MISSING or not {name, "all"} & ignored:
            return found
        return Value.unknown(
            f"lifecycle ignore_changes lists {name}: after create, Terraform keeps the value "
            "deployed, whatever the configuration says",
            found.location,
        )

    return s3_files.configured(s3_files.TERRAFORM, value)


def untrusted(env: Environment, reason: str) -> Environment:
    """The environment with nothing read from its configuration believed: version and files
    unknown, tags dropped."""
    location = env.version.location
    return replace(
        env,
        version=Value.unknown(reason, location),
        files=s3_files.unknown(s3_files.TERRAFORM, reason, location),
        tags=(),
    )


def read_tags(block: dict[str, Any], stand_ins: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The block's tags whose value the evaluator resolved: an unresolved one comes back as
    null, a template or a stand-in id (see the module docstring)."""
    raw = block.get("tags")
    entries = raw.items() if isinstance(raw, dict) else ()
    return tuple(
        sorted(
            (key, value)
            for key, value in entries
            if isinstance(value, str)
            and not _TEMPLATE_REF.search(value)
            and NOT_READ not in value
            and not any(stand_in in value for stand_in in stand_ins)
        )
    )


def _why_unresolved(reference: str) -> str:
    kind, _, rest = reference.partition(".")
    if kind == "var":
        return (
            f"`{reference}` has no known value here (no default, a null default, or no "
            "value in terraform.tfvars, *.auto.tfvars, --var-file or --var)"
        )
    if kind == "data":
        source = "remote state" if rest.startswith("terraform_remote_state.") else "data source"
        return f"`{reference}` comes from a {source}, read only when Terraform runs"
    if kind == "local":
        return f"`{reference}` cannot be evaluated statically"
    if kind == "module":
        return f"`{reference}` is a module output that cannot be evaluated statically"
    return f"`{reference}` is known only after apply"


class BucketIndex:
    """The S3 buckets of one evaluated configuration, and how their versioning is set."""

    def __init__(
        self, result: dict[str, Any], root: Path, doubts: dict[str, str], dropped: list[str]
    ) -> None:
        self._root = root
        self._doubts = doubts
        self._dropped = dropped  # versioning resources declared but never evaluated
        self._buckets: dict[str, dict[str, Any]] = {}
        for block in resources(result, "aws_s3_bucket"):
            self._buckets[block["id"]] = block  # the computed-name stand-in tfparse uses
            name = block.get("bucket")
            if isinstance(name, str) and "${" not in name:
                self._buckets[name] = block
        self._versionings = list(resources(result, "aws_s3_bucket_versioning"))

    def link(self, raw_arn: object, arn: Value) -> Bucket:
        # Match the raw string: a reference to a bucket whose name is computed arrives as
        # "arn:aws:s3:::<block id>", which the Value already calls unknown.
        match = _BUCKET_ARN.fullmatch(raw_arn) if isinstance(raw_arn, str) else None
        if match and match["name"] in self._buckets:
            return self._linked(self._buckets[match["name"]], match["name"])
        if arn.state is not ValueState.KNOWN or arn.text is None:
            reason = arn.reason or "source_bucket_arn is not set"
            return Bucket(None, Versioning.UNKNOWN, False, reason, arn.location)
        if match is None:
            reason = f"source_bucket_arn {quoted(arn.text)} is not an S3 bucket ARN"
            return Bucket(None, Versioning.UNKNOWN, False, reason, arn.location)
        if not match["name"]:
            reason = "the bucket name in source_bucket_arn cannot be resolved"
            return Bucket(None, Versioning.UNKNOWN, False, reason, arn.location)
        reason = f"bucket {match['name']} is not defined in this configuration"
        return Bucket(match["name"], Versioning.UNKNOWN, False, reason, arn.location)

    def _linked(self, block: dict[str, Any], name: str) -> Bucket:
        bucket_id = name if name != block["id"] else block["__tfmeta"]["path"]
        versioning, reason, location = self._versioning(block)
        return Bucket(bucket_id, versioning, True, reason, location)

    def _location(self, block: dict[str, Any]) -> Location:
        meta = block["__tfmeta"]
        return Location(display_path(normpath(self._root / meta["filename"])), meta["line_start"])

    def _versioning(self, bucket: dict[str, Any]) -> tuple[Versioning, str, Location]:
        address, here = bucket["__tfmeta"]["path"], self._location(bucket)
        keys = {key for key in (bucket["id"], bucket.get("bucket")) if isinstance(key, str)}
        targeting = [v for v in self._versionings if _text(v.get("bucket")) in keys]
        if len(targeting) > 1:
            where = ", ".join(v["__tfmeta"]["path"] for v in targeting)
            return Versioning.UNKNOWN, f"several versioning resources set it: {where}", here
        if targeting:
            path, there = targeting[0]["__tfmeta"]["path"], self._location(targeting[0])
            if doubt_about(path, self._doubts):
                return Versioning.UNKNOWN, f"the count or for_each of {path} is unresolved", there
            config = targeting[0].get("versioning_configuration")
            status = config.get("status") if isinstance(config, dict) else None
            if not isinstance(status, str) or status not in _STATUS:
                return Versioning.UNKNOWN, f"{path} status cannot be resolved", there
            return _STATUS[status], f"{path} sets status {status}", there
        unresolved = [v["__tfmeta"]["path"] for v in self._versionings if _unresolved_bucket(v)]
        if unresolved:
            where = ", ".join(unresolved)
            return Versioning.UNKNOWN, f"{where} targets a bucket that cannot be resolved", here
        if self._dropped:
            where = ", ".join(self._dropped)
            reason = f"the versioning resource at {where} was not evaluated (unresolved for_each?)"
            return Versioning.UNKNOWN, reason, here
        if "versioning" not in bucket:
            if _dynamic_versioning(bucket, self._root):
                reason = f"{address} has a dynamic versioning block that cannot be evaluated"
                return Versioning.UNKNOWN, reason, here
            reason = f"{address} has no aws_s3_bucket_versioning and no versioning block"
            return Versioning.DISABLED, reason + ": never enabled", here
        inline = bucket["versioning"]
        enabled = inline.get("enabled") if isinstance(inline, dict) else None
        if not isinstance(enabled, bool):
            return Versioning.UNKNOWN, f"{address} versioning.enabled cannot be resolved", here
        state = Versioning.ENABLED if enabled else Versioning.DISABLED
        return state, f"{address} versioning {{ enabled = {str(enabled).lower()} }}", here


def _dynamic_versioning(bucket: dict[str, Any], root: Path) -> bool:
    """tfparse drops a dynamic block whose for_each it cannot resolve; the source shows it."""
    meta = bucket["__tfmeta"]
    text = lines(normpath(root / meta["filename"]))[meta["line_start"] - 1 : meta["line_end"]]
    return any(re.match(r'\s*dynamic\s+"?versioning"?\s*\{', line) for line in text)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _unresolved_bucket(versioning: dict[str, Any]) -> bool:
    bucket = versioning.get("bucket")
    return not isinstance(bucket, str) or "${" in bucket
