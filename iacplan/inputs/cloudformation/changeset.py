"""CloudFormation change sets: `aws cloudformation describe-change-set` output.

A change set carries both sides: what each resource is before and after. With
`--include-property-values` the BeforeContext/AfterContext hold the resource's properties;
without it, only the names of changed properties are known, and versions come from the
templates given with --template (the proposed one) and --base (the deployed one).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from iacplan.errors import InputError
from iacplan.inputs import s3_files
from iacplan.inputs.cloudformation.template import MWAA_TYPE, NESTED_STACK_TYPE
from iacplan.inputs.cloudformation.values import Parameters, parameter_list
from iacplan.inputs.files import display_path, json_line, read_text
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

KIND = EnvironmentKind.CLOUDFORMATION_CHANGESET
KNOWN = ValueState.KNOWN
_NO_VALUES = (
    "the change set has no property values (describe it with --include-property-values) "
    "and no template gives it (--template for the proposed side, --base for the deployed one)"
)


def pages(doc: object) -> list[dict[str, Any]] | None:
    """The pages of describe-change-set output (one, or a JSON list), or None if it is not."""
    found = doc if isinstance(doc, list) and doc else [doc]
    dicts = [p for p in found if isinstance(p, dict) and "Changes" in p and "ChangeSetId" in p]
    return dicts if len(dicts) == len(found) else None


def parameters(path: Path, pages: list[dict[str, Any]]) -> Parameters:
    """The parameter values the change set was created with (the first page holds them)."""
    items = pages[0].get("Parameters") or []
    if not isinstance(items, list):
        raise InputError(f"{display_path(path)}:1: Parameters is not a list")
    values, previous = parameter_list(items, display_path(path), lambda _key: display_path(path))
    return Parameters(values, frozenset(previous))


@dataclass(frozen=True)
class Templates:
    """Environments of the templates the change set was made from, by logical id."""

    head: Mapping[str, Environment]
    base: Mapping[str, Environment]


def load(
    path: Path, pages: list[dict[str, Any]], templates: Templates
) -> tuple[list[Environment], list[Environment]]:
    """(base, head): the environments before and after, with the same ids."""
    text = read_text(path)
    shown = display_path(path)
    ids = sorted({str(p["ChangeSetId"]) for p in pages})
    if len(ids) > 1:
        raise InputError(
            f"{shown}:1: pages of different change sets ({', '.join(ids)}): give one change "
            "set's pages together"
        )
    stack = _stack(pages[0], path)
    base: list[Environment] = []
    head: list[Environment] = []
    for number, change in enumerate(c for p in pages for c in _changes(p, shown)):
        resource = change.get("ResourceChange")
        if change.get("Type", "Resource") != "Resource":
            continue
        if not isinstance(resource, dict) or "LogicalResourceId" not in resource:
            raise InputError(
                f"{shown}:{_line(text, 'ResourceChange', number)}: not describe-change-set "
                "output: a change has no ResourceChange with a LogicalResourceId"
            )
        kind = resource.get("ResourceType")
        if kind not in (MWAA_TYPE, NESTED_STACK_TYPE):
            continue
        logical_id = str(resource["LogicalResourceId"])
        location = Location(shown, json_line(text, "LogicalResourceId", logical_id))
        if not isinstance(resource.get("Details") or [], list):
            raise InputError(f"{location}: {logical_id}: Details is not a list")
        sides = _sides(resource, logical_id, location, templates)
        env_id = f"{stack}#{logical_id}"
        if sides[0] is not None:
            base.append(replace(sides[0], id=env_id))
        if sides[1] is not None:
            head.append(replace(sides[1], id=env_id))
    return base, head


def _changes(page: Mapping[str, Any], shown: str) -> list[Mapping[str, Any]]:
    changes = page.get("Changes")
    if not isinstance(changes, list) or not all(isinstance(c, dict) for c in changes):
        raise InputError(f"{shown}:1: not describe-change-set output: Changes is not a list")
    return changes


def _stack(page: Mapping[str, Any], path: Path) -> str:
    name = page.get("StackName")
    if isinstance(name, str) and name:
        return name
    # arn:aws:cloudformation:region:account:stack/NAME/uuid
    match = re.search(r":stack/([^/]+)/", str(page.get("StackId", "")))
    return match[1] if match else path.stem


def _line(text: str, needle: str, occurrence: int) -> int:
    """The line of the occurrence-th `needle` in the change set's text (1 when absent)."""
    index = -1
    for _ in range(occurrence + 1):
        index = text.find(needle, index + 1)
        if index < 0:
            return 1
    return text.count("\n", 0, index) + 1


def _context(resource: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    """The properties in BeforeContext/AfterContext, when the change set includes them."""
    raw = resource.get(key)
    if not isinstance(raw, str):
        return None
    try:
        context = json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, or nested beyond Python's parser
        return None
    if not isinstance(context, dict):
        return None
    properties = context.get("Properties", context)
    return properties if isinstance(properties, dict) else None


def _sides(
    resource: Mapping[str, Any], logical_id: str, location: Location, templates: Templates
) -> tuple[Environment | None, Environment | None]:
    action = resource.get("Action")
    planned = _planned(resource, logical_id)
    if resource.get("ResourceType") == NESTED_STACK_TYPE:
        reason = (
            f"{logical_id} is a nested stack: its own change set "
            f"({resource.get('ChangeSetId', 'not included')}) is not read, so any MWAA "
            "environment in it is not checked; check that change set on its own"
        )
        env = _environment(logical_id, location, Value.unknown(reason, location), None, planned)
        return (None if action in ("Add", "Import") else env), (None if action == "Remove" else env)
    details = [d for d in resource.get("Details") or [] if isinstance(d, dict)]
    targets: list[Mapping[str, Any]] = [
        d["Target"] for d in details if isinstance(d.get("Target"), dict)
    ]
    named = [t for t in targets if t.get("Name") == "AirflowVersion"]
    before_props = _context(resource, "BeforeContext")
    after_props = _context(resource, "AfterContext")
    base_template = templates.base.get(logical_id)
    head_template = templates.head.get(logical_id)

    base_version = _version(before_props, named, "BeforeValue", base_template, location)
    head_version = _version(after_props, named, "AfterValue", head_template, location)
    # A Modify whose details never name AirflowVersion leaves it as it is.
    if action == "Modify" and targets and not named:
        if base_version.state is KNOWN and head_version.state is not KNOWN:
            head_version = replace(base_version, location=location)
        elif head_version.state is KNOWN and base_version.state is not KNOWN:
            base_version = replace(head_version, location=location)
    known = base_version.state is KNOWN and head_version.state is KNOWN
    if named and known and base_version.text == head_version.text:
        # The change set says the version changes; templates that resolve it equal are wrong.
        same = (
            f"the change set changes AirflowVersion, but the templates resolve both sides to "
            f"{base_version.text}"
        )
        base_version = head_version = Value.unknown(same, location)
    base = _environment(
        logical_id,
        location,
        base_version,
        base_template.bucket if base_template else None,
        planned,
        _name(before_props, base_template, location),
        _files(before_props, base_template, location),
        _tags(before_props, base_template),
    )
    head = _environment(
        logical_id,
        location,
        head_version,
        _head_bucket(head_template, location),
        planned,
        _name(after_props, head_template, location),
        _files(after_props, head_template, location),
        _tags(after_props, head_template),
    )
    if head_template is not None:
        head = replace(head, notes=head_template.notes)
    if action in ("Add", "Import"):
        return None, head
    if action == "Remove":
        return base, None
    return base, head


def _version(
    properties: Mapping[str, Any] | None,
    named: list[Mapping[str, Any]],
    value_key: str,
    template: Environment | None,
    location: Location,
) -> Value:
    if properties is not None:
        return _property(properties, "AirflowVersion", location)
    for target in named:
        if isinstance(target.get(value_key), str):
            return Value.known(target[value_key], location)
    if template is not None:
        return template.version
    return Value.unknown(_NO_VALUES, location)


def _property(properties: Mapping[str, Any], key: str, location: Location) -> Value:
    if key not in properties:
        return Value.missing(f"{key} is not set", location)
    raw = properties[key]
    if isinstance(raw, str):
        return Value.known(raw, location)
    return Value.unknown(f"{key} is {json.dumps(raw)}, not a string", location)


def _files(
    properties: Mapping[str, Any] | None, template: Environment | None, location: Location
) -> tuple[S3File, ...]:
    if properties is not None:

        def read(key: str) -> Value:
            return _property(properties, key, location)

        return s3_files.configured(s3_files.CLOUDFORMATION, read)
    if template is not None:
        return template.files
    return s3_files.unknown(s3_files.CLOUDFORMATION, _NO_VALUES, location)


def _tags(
    properties: Mapping[str, Any] | None, template: Environment | None
) -> tuple[tuple[str, str], ...]:
    if properties is None:
        return template.tags if template is not None else ()
    raw = properties.get("Tags")
    entries = raw.items() if isinstance(raw, dict) else ()
    return tuple(sorted((k, v) for k, v in entries if isinstance(v, str)))


def _name(
    properties: Mapping[str, Any] | None, template: Environment | None, location: Location
) -> Value:
    if properties is not None and isinstance(properties.get("Name"), str):
        return Value.known(properties["Name"], location)
    if template is not None:
        return template.name
    return Value.unknown("the change set does not show the environment's Name", location)


def _head_bucket(template: Environment | None, location: Location) -> Bucket:
    if template is not None and template.bucket is not None:
        return template.bucket
    reason = "a change set does not show the source bucket's versioning; give --template"
    return Bucket(None, Versioning.UNKNOWN, False, reason, location)


def _planned(resource: Mapping[str, Any], logical_id: str) -> Planned:
    action = resource.get("Action")
    if action in ("Add", "Import"):
        return Planned(Action.CREATE, f"Action: {action}")
    if action == "Remove":
        if resource.get("PolicyAction") == "Retain":
            return Planned(Action.FORGET, "Action: Remove with DeletionPolicy Retain")
        return Planned(Action.DELETE, "the change set removes it (Action: Remove)")
    if action == "Dynamic":
        return Planned(
            Action.UNKNOWN, "Action: Dynamic: CloudFormation decides only when it executes"
        )
    replacement = resource.get("Replacement")
    if replacement in ("True", "Conditional"):
        return Planned(Action.REPLACE, _replacement_detail(resource, str(replacement)))
    if action == "SyncWithActual":
        return Planned(Action.NO_OP, "Action: SyncWithActual")
    return Planned(Action.UPDATE, None)


def _replacement_detail(resource: Mapping[str, Any], replacement: str) -> str:
    causes = []
    for detail in resource.get("Details") or []:
        target = detail.get("Target") if isinstance(detail, dict) else None
        if isinstance(target, dict) and target.get("RequiresRecreation") in (
            "Always",
            "Conditionally",
        ):
            causes.append(f"{target.get('Name')} ({target['RequiresRecreation']})")
    because = f"; recreation required by {', '.join(causes)}" if causes else ""
    may = "may replace" if replacement == "Conditional" else "replaces"
    return f"Replacement: {replacement}: CloudFormation {may} the environment{because}"


def _environment(
    logical_id: str,
    location: Location,
    version: Value,
    bucket: Bucket | None,
    planned: Planned,
    name: Value | None = None,
    files: tuple[S3File, ...] = (),
    tags: tuple[tuple[str, str], ...] = (),
) -> Environment:
    return Environment(
        id=logical_id,
        kind=KIND,
        address=logical_id,
        name=name or version,
        version=version,
        location=location,
        bucket=bucket,
        planned=planned,
        files=files,
        tags=tags,
    )
