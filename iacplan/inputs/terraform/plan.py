"""Terraform plan JSON (`terraform show -json PLANFILE`): the deployed side and what apply does.

The plan is the most trustworthy input: modules and variables are already evaluated, `before`
is the state Terraform knows, and `change.actions` is what apply will do. Only
`resource_changes` is read for environments: a deleted environment is absent from
`planned_values`, and `prior_state` misses what is being created.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from iacplan.errors import InputError
from iacplan.inputs import s3_files
from iacplan.inputs.files import json_line
from iacplan.model import (
    Action,
    Bucket,
    Environment,
    EnvironmentKind,
    Location,
    Planned,
    S3File,
    Value,
    ValueState,
    Versioning,
)
from iacplan.safe import quoted

KIND = EnvironmentKind.TERRAFORM_PLAN
# The Cloud Control provider's resource is the same MWAA environment under another name.
MWAA_TYPES = ("aws_mwaa_environment", "awscc_mwaa_environment")
Marks = Mapping[str, Any] | bool  # after_unknown and *_sensitive: per attribute, or all (true)
_SUPPORTED_MAJORS = ("0", "1")
_ACTIONS: dict[tuple[str, ...], Action] = {
    ("no-op",): Action.NO_OP,
    ("update",): Action.UPDATE,
    ("create",): Action.CREATE,
    ("delete",): Action.DELETE,
    ("delete", "create"): Action.REPLACE,
    ("create", "delete"): Action.REPLACE,
    ("forget",): Action.FORGET,
    # A new environment is created and the old one left running unmanaged: the managed
    # environment starts with an empty metadata database all the same.
    ("create", "forget"): Action.REPLACE,
}
_ARN_BUCKET = re.compile(r"^arn:[\w-]+:s3:::([^/]+)$")


def is_plan(doc: object) -> bool:
    return (
        isinstance(doc, dict)
        and "format_version" in doc
        and ("resource_changes" in doc or "planned_values" in doc)
    )


def load(file: str, doc: dict[str, Any], text: str) -> tuple[list[Environment], list[Environment]]:
    """(base, head): the environments before and after apply, with what apply does to each.

    `file` is the name locations show; `text` is the JSON `doc` was parsed from."""
    _check_format(file, doc, text)
    if doc.get("errored") is True:
        raise InputError(
            f"{file}:1: this plan errored, so it is incomplete: fix the errors `terraform plan` "
            "printed and plan again"
        )
    plan = _Plan(file, doc, text)
    base: list[Environment] = []
    head: list[Environment] = []
    for change in plan.mwaa_changes():
        before, after = plan.environments(change)
        if before is not None:
            base.append(before)
        if after is not None:
            head.append(after)
    return base, head


def _check_format(file: str, doc: dict[str, Any], text: str) -> None:
    version = doc["format_version"]
    if not isinstance(version, str) or version.split(".")[0] not in _SUPPORTED_MAJORS:
        raise InputError(
            f"{file}:1: Terraform plan format_version {version!r} is not supported "
            "(iacplan reads 0.x and 1.x); please report it with your Terraform version"
        )
    if "resource_changes" not in doc and "mwaa_environment" in text:
        raise InputError(
            f"{file}:1: this plan has an MWAA environment but no resource_changes, so what "
            "apply does to it cannot be read; make it again with `terraform show -json PLANFILE`"
        )
    for key in ("resource_changes", "resource_drift", "deferred_changes"):
        entries = doc.get(key, [])
        if not isinstance(entries, list) or not all(isinstance(c, dict) for c in entries):
            raise InputError(f"{file}:1: {key} is not a list of objects")


@dataclass(frozen=True)
class _ResourceChange:
    """One entry of resource_changes, with the parts iacplan reads checked for shape."""

    address: str
    module_address: str
    type: str
    actions: tuple[str, ...]
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    after_unknown: Marks
    before_sensitive: Marks
    after_sensitive: Marks
    replace_paths: tuple[str, ...]
    action_reason: str | None
    deposed: str | None
    deferred: str | None = None  # why Terraform left it for a later plan (deferred_changes)


class _Plan:
    def __init__(self, file: str, doc: dict[str, Any], text: str) -> None:
        self.file = file
        self.doc = doc
        self.text = text
        self.changes = [
            self._parse(raw, "resource_changes") for raw in doc.get("resource_changes", [])
        ]

    def _parse(self, raw: Mapping[str, Any], where: str) -> _ResourceChange:
        address = raw.get("address")
        change = raw.get("change")
        if not isinstance(address, str) or not isinstance(change, dict):
            raise InputError(
                f"{self.file}:1: a {where} entry lacks address or change "
                f"(near {str(address)[:80]!r})"
            )
        location = self._line_of(address)
        actions = change.get("actions")
        if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
            raise InputError(f"{location}: {address}: change.actions is not a list of strings")

        def side(key: str) -> Mapping[str, Any] | None:
            value = change.get(key)
            if value is not None and not isinstance(value, dict):
                raise InputError(f"{location}: {address}: change.{key} is not an object")
            return value

        def marks(key: str) -> Marks:
            value = change.get(key)
            if value is None or isinstance(value, bool | dict):
                return value or {}
            raise InputError(f"{location}: {address}: change.{key} is neither an object nor a bool")

        # A missing mode is managed; a data source is not an environment definition.
        managed = raw.get("mode") in (None, "managed")
        return _ResourceChange(
            address=address,
            module_address=str(raw.get("module_address") or ""),
            type=str(raw.get("type", "")) if managed else "",
            actions=tuple(actions),
            before=side("before"),
            after=side("after"),
            after_unknown=marks("after_unknown"),
            before_sensitive=marks("before_sensitive"),
            after_sensitive=marks("after_sensitive"),
            replace_paths=tuple(
                ".".join(str(step) for step in p) if isinstance(p, list) else str(p)
                for p in _list(change.get("replace_paths"))
            ),
            action_reason=_string(raw.get("action_reason")),
            deposed=_string(raw.get("deposed")),
        )

    def mwaa_changes(self) -> Iterator[_ResourceChange]:
        yield from (c for c in self.changes if c.type in MWAA_TYPES)
        for deferred in self.doc.get("deferred_changes", []):
            raw = _object(deferred.get("resource_change"))
            if raw is None:
                raise InputError(f"{self.file}:1: a deferred_changes entry lacks resource_change")
            parsed = self._parse(raw, "deferred_changes")
            if parsed.type in MWAA_TYPES:
                reason = str(deferred.get("reason") or "no reason given")
                yield replace(parsed, deferred=reason)

    def _drift(self, address: str, location: Location) -> tuple[str, ...]:
        """What changed outside Terraform: the plan's before is the refreshed value."""
        for raw in self.doc.get("resource_drift", []):
            if raw.get("address") != address:
                continue
            drift = self._parse(raw, "resource_drift")
            if drift.before is None or drift.after is None:
                continue
            old = _attribute(
                drift.before, drift.before_sensitive, {}, "airflow_version", location, ""
            )
            new = _attribute(
                drift.after, drift.after_sensitive, {}, "airflow_version", location, ""
            )
            if old.state is ValueState.KNOWN and new.state is ValueState.KNOWN:
                if old.text != new.text:
                    return (
                        f"changed outside Terraform: state said airflow_version {old.text}, the "
                        f"environment runs {new.text}; judged from what runs",
                    )
            else:
                return (
                    "changed outside Terraform; whether airflow_version did is not shown "
                    "(sensitive or unknown)",
                )
        return ()

    def _line_of(self, address: str) -> Location:
        """Where the address first appears after resource_changes; plans are often one line."""
        start = max(self.text.find('"resource_changes"'), 0)
        return Location(self.file, json_line(self.text, "address", address, start))

    def environments(self, rc: _ResourceChange) -> tuple[Environment | None, Environment | None]:
        action = _ACTIONS.get(rc.actions)
        location = self._line_of(rc.address)
        if action is None:
            raise InputError(
                f"{location}: {rc.address}: unknown plan actions {list(rc.actions)}; "
                "please report it with your Terraform version"
            )
        env_id = rc.address if rc.deposed is None else f"{rc.address} (deposed {rc.deposed})"
        planned = Planned(action, self._detail(rc, action))
        notes = self._drift(rc.address, location)
        if rc.deferred is not None:
            # Not planned yet: whatever `after` shows now may still change.
            planned = Planned(Action.UNKNOWN, f"Terraform deferred it ({rc.deferred})")
            rc = replace(rc, after=rc.after or rc.before or {}, after_unknown=True)
        elif rc.before is None and action not in (Action.CREATE,):
            # Only a create has no prior object; anything else would hide the deployed version.
            raise InputError(f"{location}: {rc.address}: actions {list(rc.actions)} without before")
        before = after = None
        if rc.before is not None:
            before = Environment(
                id=env_id,
                kind=KIND,
                address=rc.address,
                name=_attribute(rc.before, rc.before_sensitive, {}, "name", location, "before"),
                version=self._version(rc, "before", location),
                location=location,
                bucket=None,
                planned=planned,
                notes=notes,
                files=_files(rc.before, rc.before_sensitive, {}, location, "before"),
                tags=_tags(rc.before, rc.before_sensitive, {}),
            )
        if rc.after is not None:
            after = Environment(
                id=env_id,
                kind=KIND,
                address=rc.address,
                name=_attribute(
                    rc.after, rc.after_sensitive, rc.after_unknown, "name", location, "after"
                ),
                version=self._version(rc, "after", location),
                location=location,
                bucket=_BucketFinder(self, rc, location).find(),
                planned=planned,
                notes=notes,
                files=_files(rc.after, rc.after_sensitive, rc.after_unknown, location, "after"),
                tags=_tags(rc.after, rc.after_sensitive, rc.after_unknown),
            )
        elif before is not None and action is not Action.DELETE and action is not Action.FORGET:
            raise InputError(f"{location}: {rc.address}: actions {list(rc.actions)} without after")
        return before, after

    def _version(self, rc: _ResourceChange, side: str, location: Location) -> Value:
        if side == "before":
            assert rc.before is not None
            value = _attribute(
                rc.before, rc.before_sensitive, {}, "airflow_version", location, side
            )
        else:
            assert rc.after is not None
            value = _attribute(
                rc.after, rc.after_sensitive, rc.after_unknown, "airflow_version", location, side
            )
        if value.state is ValueState.MISSING and rc.actions != ("create",):
            # Terraform records the version MWAA reports, so an existing one always has it.
            return Value.unknown(f"the plan's {side} has no airflow_version", location)
        return value

    @staticmethod
    def _detail(rc: _ResourceChange, action: Action) -> str | None:
        parts = []
        if action is Action.REPLACE:
            parts.append(f"Terraform plans {' then '.join(rc.actions)}")
            if rc.replace_paths:
                parts.append(f"forced by {', '.join(rc.replace_paths)}")
        elif action is Action.DELETE:
            parts.append("Terraform plans to destroy it")
        elif action is Action.FORGET:
            parts.append("Terraform removes it from state only; the environment keeps running")
        if rc.action_reason:
            parts.append(f"action_reason {rc.action_reason}")
        if rc.deposed:
            parts.append(f"a deposed object {rc.deposed} left by an earlier replacement")
        return "; ".join(parts) or None

    def of_type(self, type_: str) -> list[_ResourceChange]:
        return [c for c in self.changes if c.type == type_ and not c.deposed]

    def references(self, module_address: str, resource: str, attribute: str) -> list[str]:
        """What a resource's attribute refers to in the configuration, relative to its module."""
        module = self._config_module(module_address) or {}
        for config in _list(module.get("resources")):
            if _object(config) and config.get("address") == resource:
                return _references((_object(config.get("expressions")) or {}).get(attribute))
        return []

    def call_references(self, module_address: str, call: str, argument: str) -> list[str]:
        """What a module call's argument refers to, relative to the calling module."""
        calls = _object((self._config_module(module_address) or {}).get("module_calls")) or {}
        expressions = _object((_object(calls.get(call)) or {}).get("expressions")) or {}
        return _references(expressions.get(argument))

    def _config_module(self, module_address: str) -> Mapping[str, Any] | None:
        module = _object((_object(self.doc.get("configuration")) or {}).get("root_module"))
        for name in re.findall(r"module\.([\w-]+)(?:\[[^\]]*\])?", module_address):
            calls = _object((module or {}).get("module_calls")) or {}
            module = _object((_object(calls.get(name)) or {}).get("module"))
        return module


class _BucketFinder:
    """The environment's source bucket and its versioning, from the plan's own values."""

    def __init__(self, plan: _Plan, rc: _ResourceChange, location: Location) -> None:
        self.plan, self.rc, self.location = plan, rc, location

    def find(self) -> Bucket | None:
        assert self.rc.after is not None
        arn = _attribute(
            self.rc.after,
            self.rc.after_sensitive,
            self.rc.after_unknown,
            "source_bucket_arn",
            self.location,
            "after",
        )
        if arn.state is ValueState.KNOWN:
            match = _ARN_BUCKET.match(arn.text or "")
            if match is None:
                return self._unknown(
                    None, f"source_bucket_arn {quoted(arn.text or '')} is not an S3 ARN"
                )
            return self._by_name(match[1], arn.text or "")
        if arn.state is ValueState.MISSING:
            return None
        bucket = self._referenced_bucket()
        if bucket is None:
            return self._unknown(None, f"source_bucket_arn is {arn.reason}")
        return self._versioning(bucket, bucket.address)

    def _by_name(self, name: str, arn: str) -> Bucket:
        for bucket in self.plan.of_type("aws_s3_bucket"):
            named = name in (_text(bucket.after, "bucket"), _text(bucket.before, "bucket"))
            # Same name in another partition (aws-cn, aws-us-gov) is another bucket.
            bucket_arn = _text(bucket.after, "arn") or _text(bucket.before, "arn")
            if named and bucket_arn in (None, arn):
                return self._versioning(bucket, name)
        versioning = self._versioning_resources(name, None)
        if versioning:
            return self._from_versioning(name, versioning, in_config=False)
        return self._unknown(
            name, "the bucket is not managed in this plan; its versioning cannot be seen here"
        )

    def _referenced_bucket(self) -> _ResourceChange | None:
        """Follow the configuration's reference (`aws_s3_bucket.x.arn`) when the ARN is computed,
        up through module variables (`var.source_bucket_arn`) to the caller that set them."""
        module = self.rc.module_address
        references = self.plan.references(module, _local(self.rc), "source_bucket_arn")
        while True:
            named = {m[1] for r in references if (m := re.match(r"^(aws_s3_bucket\.[\w-]+)", r))}
            if len(named) > 1:
                return None  # a conditional between buckets: which one is not known
            if named:
                target = f"{module}.{named.pop()}" if module else named.pop()
                buckets = self.plan.of_type("aws_s3_bucket")
                instances = [b for b in buckets if _instance_of(b.address, target)]
                # With count/for_each the reference does not say which instance it means.
                return instances[0] if len(instances) == 1 else None
            variable = next((r[4:] for r in references if r.startswith("var.")), None)
            call = re.match(r"^(?:(.*)\.)?module\.([\w-]+)(?:\[[^\]]*\])?$", module)
            if variable is None or call is None:
                return None
            module = call[1] or ""
            references = self.plan.call_references(module, call[2], variable)

    def _versioning(self, bucket: _ResourceChange, name: str) -> Bucket:
        bucket_name = _text(bucket.after, "bucket") or _text(bucket.before, "bucket")
        resources = self._versioning_resources(bucket_name, bucket)
        if resources:
            return self._from_versioning(name, resources, in_config=True)
        inline = _inline_versioning(bucket.after)
        if inline is not None:
            state, how = inline
            return Bucket(name, state, True, f"inline versioning of {bucket.address} {how}")
        return Bucket(
            name,
            Versioning.DISABLED,
            True,
            f"no aws_s3_bucket_versioning for {bucket.address} in the plan: never enabled",
        )

    def _versioning_resources(
        self, name: str | None, bucket: _ResourceChange | None
    ) -> list[_ResourceChange]:
        """Every versioning resource that targets the bucket, or may (its target is unknown)."""

        def targets(versioning: _ResourceChange) -> bool:
            if versioning.after is not None and _marked(versioning.after_unknown, "bucket"):
                return bucket is None or self._refers_to(versioning, bucket)
            values = versioning.after if versioning.after is not None else versioning.before
            target = _text(values, "bucket")
            if target is not None and name is not None:
                return target == name
            return bucket is not None and self._refers_to(versioning, bucket)

        return [v for v in self.plan.of_type("aws_s3_bucket_versioning") if targets(v)]

    def _refers_to(self, versioning: _ResourceChange, bucket: _ResourceChange) -> bool:
        if versioning.module_address != bucket.module_address:
            return False
        # The instance key too: `aws_s3_bucket.b` does not say which of b["x"], b["y"] it means.
        module = bucket.module_address
        target = bucket.address.removeprefix(module + ".") if module else bucket.address
        return any(
            r == target or r.startswith(target + ".")
            for r in self.plan.references(versioning.module_address, _local(versioning), "bucket")
        )

    def _from_versioning(
        self, name: str, resources: list[_ResourceChange], in_config: bool
    ) -> Bucket:
        if len(resources) > 1:
            addresses = ", ".join(r.address for r in resources)
            return self._unknown(name, f"several aws_s3_bucket_versioning target it: {addresses}")
        versioning = resources[0]
        values = versioning.after
        if versioning.actions == ("forget",):
            values = versioning.before  # left as it is, only no longer managed
        elif values is None:
            # Destroying the resource suspends versioning on a versioned bucket (provider docs).
            return Bucket(
                name, Versioning.SUSPENDED, in_config, f"the plan destroys {versioning.address}"
            )
        elif _marked(versioning.after_unknown, "bucket") or _status_unknown(
            versioning.after_unknown
        ):
            return self._unknown(name, f"{versioning.address} is known only after apply")
        configs = _list((values or {}).get("versioning_configuration"))
        status = _text(_object(configs[0]) if configs else None, "status")
        state = {"Enabled": Versioning.ENABLED, "Suspended": Versioning.SUSPENDED}.get(
            str(status), Versioning.DISABLED
        )
        return Bucket(name, state, in_config, f"{versioning.address} status {status} after apply")

    def _unknown(self, name: str | None, reason: str) -> Bucket:
        return Bucket(name, Versioning.UNKNOWN, False, reason, self.location)


def _inline_versioning(values: Mapping[str, Any] | None) -> tuple[Versioning, str] | None:
    blocks = (values or {}).get("versioning")
    if not isinstance(blocks, list) or not blocks or not isinstance(blocks[0], dict):
        return None
    enabled = blocks[0].get("enabled")
    state = Versioning.ENABLED if enabled is True else Versioning.SUSPENDED
    return state, f"enabled = {str(enabled).lower()}"


def _attribute(
    values: Mapping[str, Any],
    sensitive: Marks,
    unknown: Marks,
    name: str,
    location: Location,
    side: str,
) -> Value:
    # A sensitive value is never read, so it cannot leak into any output.
    if _marked(sensitive, name):
        return Value.unknown(f"{side}.{name} is marked sensitive in the plan", location)
    if _marked(unknown, name):
        return Value.unknown(f"{side}.{name} is known only after apply", location)
    value = values.get(name)
    if value is None:
        return Value.missing(f"the plan's {side} has no {name}", location)
    if not isinstance(value, str):
        return Value.unknown(f"{side}.{name} is {type(value).__name__}, not a string", location)
    return Value.known(value, location)


def _files(
    values: Mapping[str, Any], sensitive: Marks, unknown: Marks, location: Location, side: str
) -> tuple[S3File, ...]:
    def read(name: str) -> Value:
        return _attribute(values, sensitive, unknown, name, location, side)

    return s3_files.configured(s3_files.TERRAFORM, read)


def _tags(
    values: Mapping[str, Any], sensitive: Marks, unknown: Marks
) -> tuple[tuple[str, str], ...]:
    """Known, non-sensitive tags. `tags_all` adds the provider's default_tags, where teams
    often set `environment`; `tags` is read too, for plans of providers without tags_all."""
    found: dict[str, str] = {}
    for name in ("tags_all", "tags"):
        raw = values.get(name)
        marks = (_part(sensitive, name), _part(unknown, name))
        if not isinstance(raw, dict) or any(m is True for m in marks):
            continue
        for key, value in raw.items():
            if isinstance(value, str) and not any(_marked(m, key) for m in marks):
                found[key] = value
    return tuple(sorted(found.items()))


def _part(marks: Marks, name: str) -> Marks:
    """The marks of one attribute's elements: true when it is marked as a whole."""
    inner = marks if marks is True else marks.get(name) if isinstance(marks, Mapping) else None
    return inner if inner is True or isinstance(inner, Mapping) else {}


def _local(rc: _ResourceChange) -> str:
    """The address inside its module, without the instance key: how configuration names it."""
    module = rc.module_address
    local = rc.address.removeprefix(module + ".") if module else rc.address
    return re.sub(r"\[[^\]]*\]$", "", local)


def _references(expression: object) -> list[str]:
    if not isinstance(expression, dict):
        return []
    return [r for r in _list(expression.get("references")) if isinstance(r, str)]


def _marked(marks: Marks, name: str) -> bool:
    """Whether anything in attribute `name` is marked. Terraform marks a nested block by its
    shape, `[{}]` or `[false]` when nothing in it is unknown: only a `true` leaf is a mark."""
    return marks is True or (isinstance(marks, Mapping) and _any_true(marks.get(name)))


def _any_true(marks: object) -> bool:
    if isinstance(marks, Mapping):
        return any(map(_any_true, marks.values()))
    if isinstance(marks, list):
        return any(map(_any_true, marks))
    return marks is True


def _status_unknown(marks: Marks) -> bool:
    """Whether the status of versioning_configuration is known only after apply (its
    mfa_delete being unknown says nothing about versioning)."""
    if marks is True or not isinstance(marks, Mapping):
        return marks is True
    blocks = marks.get("versioning_configuration")
    if not isinstance(blocks, list):
        return blocks is True
    return any(
        block is True or (isinstance(block, Mapping) and block.get("status") is True)
        for block in blocks
    )


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _text(values: Mapping[str, Any] | None, name: str) -> str | None:
    value = (values or {}).get(name)
    return value if isinstance(value, str) else None


def _object(value: object) -> Mapping[str, Any] | None:
    return value if isinstance(value, dict) else None


def _instance_of(address: str, resource: str) -> bool:
    return address == resource or (address.startswith(resource + "["))
