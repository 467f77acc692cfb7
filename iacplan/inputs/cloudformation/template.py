"""CloudFormation templates (YAML or JSON, SAM included), read with cfn-lint's decoder.

cfn-lint is imported inside the functions that need it: importing it costs about half a second,
which Terraform-only runs must not pay.
"""

from __future__ import annotations

import copyreg
import json
import re
from collections.abc import Mapping
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from iacplan.errors import InputError
from iacplan.inputs import s3_files
from iacplan.inputs.cloudformation import duplicates
from iacplan.inputs.cloudformation.values import RESOURCE_TOKEN, Parameters, Resolver, line_of
from iacplan.inputs.files import display_path, lines, read_text, refuse_deep
from iacplan.model import (
    Bucket,
    Environment,
    EnvironmentKind,
    Location,
    S3File,
    Value,
    ValueState,
    Versioning,
)
from iacplan.runtime import parallel
from iacplan.safe import quoted

MWAA_TYPE = "AWS::MWAA::Environment"
BUCKET_TYPE = "AWS::S3::Bucket"
NESTED_STACK_TYPE = "AWS::CloudFormation::Stack"
# Resources whose template is somewhere else: any MWAA environment inside is unknown.
_ELSEWHERE = (NESTED_STACK_TYPE, "AWS::Serverless::Application")
# Transforms iacplan reads the result of; any other macro may rewrite the template at deploy.
_READ_TRANSFORMS = {"AWS::Serverless-2016-10-31", "AWS::LanguageExtensions"}
_BUCKET_ARN = re.compile(r"arn:aws[a-z-]*:s3:::(?P<name>[^/]*)")
_STATUS = {"Enabled": Versioning.ENABLED, "Suspended": Versioning.SUSPENDED}


def is_template(doc: object) -> bool:
    """A mapping whose Resources are typed resources; AWSTemplateFormatVersion is optional."""
    if not isinstance(doc, dict) or not isinstance(doc.get("Resources"), dict):
        return False
    resources = doc["Resources"].values()
    return bool(resources) and all(isinstance(r, dict) and "Type" in r for r in resources)


def decode(path: Path) -> object:
    """The file as cfn-lint's decoder reads it, with line marks; errors name file:line."""
    from cfnlint.decode import decode_str

    _picklable_nodes()
    text = read_text(path)
    template, matches = decode_str(text)
    if matches and all(m.message.startswith("Duplicate found") for m in matches):
        # CloudFormation deploys such a template, each key taking its last value: read it so.
        template = duplicates.decode_last_wins(text, display_path(path)) or template
        matches = [] if template is not None else matches
    if matches:
        first = matches[0]
        message = first.message.splitlines()[0]  # YAML errors add lines pointing at the text
        raise InputError(f"{display_path(path)}:{first.linenumber}: {message}")
    refuse_deep(display_path(path), template, lambda node: line_of(node, 1))
    return template


@cache
def _picklable_nodes() -> None:
    """Values read from a template are cfn-lint's node classes (strings and mappings that
    know their line), which cannot be pickled: a worker process sends them as plain ones."""
    from cfnlint.decode.node import dict_node, list_node, str_node

    copyreg.pickle(str_node, lambda node: (str, (str(node),)))
    copyreg.pickle(dict_node, lambda node: (dict, (dict(node),)))
    copyreg.pickle(list_node, lambda node: (list, (list(node),)))


def load_template(
    path: Path, parameters: Parameters, id_prefix: str, lint: bool = True
) -> list[Environment]:
    """The template's environments; `lint` adds cfn-lint's own errors on them as notes."""
    template = decode(path)
    _refuse_unreadable(path, template)
    assert isinstance(template, dict)
    found = environments(template, display_path(path), id_prefix, parameters)
    return with_lint_notes(path, template, found) if lint else found


def _refuse_unreadable(path: Path, template: object) -> None:
    if is_template(template):
        return
    resources = template.get("Resources") if isinstance(template, dict) else None
    line = line_of(resources, 1)
    if isinstance(resources, dict) and any(str(k).startswith("Fn::ForEach") for k in resources):
        raise InputError(
            f"{display_path(path)}:{line}: Fn::ForEach is not expanded by iacplan, so the "
            "resources it makes cannot be checked"
        )
    raise InputError(
        f"{display_path(path)}:{line}: not a Terraform directory or .tf file, a Terraform "
        "plan JSON, a CloudFormation template (it needs Resources, each with a Type) or a "
        "change set"
    )


def read_candidates(
    directory: Path, candidates: list[Path], parameters: Parameters
) -> list[list[Environment] | None]:
    """The environments of each candidate file below `directory` (directory.py found them),
    None for a file that is no template; in worker processes when there are many."""
    _lint_runner()  # import cfn-lint and load its rules once, before any worker is forked
    job = (directory, parameters)
    return parallel.run_all(_template_environments, job, candidates, display_path)


def _template_environments(job: tuple[Path, Parameters], path: Path) -> list[Environment] | None:
    """The environments of a template in a directory, or None when the file is no template
    (parameter files and configs have no Resources; a broken template is an error)."""
    directory, parameters = job
    template = decode(path)
    if not isinstance(template, dict) or "Resources" not in template:
        return None
    _refuse_unreadable(path, template)
    relative = path.relative_to(directory).as_posix()
    envs = environments(template, display_path(path), relative, parameters)
    return with_lint_notes(path, template, envs)


def environments(
    template: Mapping[str, Any], file: str, id_prefix: str, parameters: Parameters
) -> list[Environment]:
    """Every AWS::MWAA::Environment of a decoded template, and every nested stack (whose
    insides are not read, so any environment there is unknown)."""
    resolver = Resolver(template, parameters)
    resources = template.get("Resources") or {}
    macro = _macro(template)
    found = []
    for logical_id, resource in resources.items():
        kind = resource.get("Type") if isinstance(resource, dict) else None
        location = Location(file, line_of(logical_id, 1))
        if kind == MWAA_TYPE:
            env = _environment(resolver, template, str(logical_id), resource, location)
        elif kind in _ELSEWHERE or str(kind).endswith("::MODULE"):
            env = _nested_stack(str(logical_id), resource, location)
        else:
            continue
        if env is not None and env.version.state is ValueState.KNOWN:
            rewrite = macro or _transformed(resource.get("Properties"))
            if rewrite:
                env = replace(env, version=Value.unknown(rewrite, env.version.location))
        if env is not None:
            found.append(_with_id(env, id_prefix))
    dropped = duplicates.notes(template, file)
    return [replace(env, notes=(*env.notes, *dropped)) for env in found] if dropped else found


def _macro(template: Mapping[str, Any]) -> str | None:
    transforms = template.get("Transform")
    names = transforms if isinstance(transforms, list) else [transforms]
    others = [str(n) for n in names if n is not None and n not in _READ_TRANSFORMS]
    if others:
        return f"the template's Transform {', '.join(others)} may rewrite it at deploy"
    return None


def _transformed(properties: object) -> str | None:
    """An `Fn::Transform` (AWS::Include, a macro) anywhere in the properties."""
    if isinstance(properties, dict):
        if "Fn::Transform" in properties:
            return "Fn::Transform in its Properties may rewrite it at deploy"
        return next(filter(None, map(_transformed, properties.values())), None)
    if isinstance(properties, list):
        return next(filter(None, map(_transformed, properties)), None)
    return None


def _with_id(env: Environment, id_prefix: str) -> Environment:
    return replace(env, id=f"{id_prefix}#{env.address}")


def _environment(
    resolver: Resolver,
    template: Mapping[str, Any],
    logical_id: str,
    resource: Mapping[str, Any],
    location: Location,
) -> Environment | None:
    properties = resource.get("Properties")
    version_line = location.line
    files: tuple[S3File, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    if not isinstance(properties, dict):
        version: Value = Value.unknown(
            f"the Properties of {logical_id} are not written out as a mapping", location
        )
        name: Value = version
        bucket = Bucket(None, Versioning.UNKNOWN, False, "Properties cannot be read", location)
        files = s3_files.unknown(s3_files.CLOUDFORMATION, version.reason or "", location)
    else:
        version_line = _key_line(properties, "AirflowVersion", location.line)
        version = _version(resolver, properties, Location(location.file, version_line))
        name = _name(resolver, properties, location)
        bucket = _bucket(resolver, template, properties, location)

        def read(key: str) -> Value:
            return _property(resolver, properties, key, location)

        files = s3_files.configured(s3_files.CLOUDFORMATION, read)
        tags = _tags(resolver, properties, location)
    condition = resource.get("Condition")
    if isinstance(condition, str):
        decided = resolver.condition(condition)
        if decided is False:
            return None  # CloudFormation does not create it
        if not isinstance(decided, bool):
            version = Value.unknown(
                f"whether {logical_id} exists depends on condition {condition}, which cannot "
                f"be resolved ({decided.reason})",
                Location(location.file, version_line),
            )
    return Environment(
        id=logical_id,
        kind=EnvironmentKind.CLOUDFORMATION,
        address=logical_id,
        name=name,
        version=version,
        location=location,
        bucket=bucket,
        files=files,
        tags=tags,
    )


def _nested_stack(logical_id: str, resource: Mapping[str, Any], location: Location) -> Environment:
    properties = resource.get("Properties")
    url = properties.get("TemplateURL") if isinstance(properties, dict) else None
    source = f" ({url})" if isinstance(url, str) else ""
    reason = (
        f"{logical_id} is a nested stack or module{source}: its template is not read, so any MWAA "
        "environment in it is not checked; check that template on its own"
    )
    return Environment(
        id=logical_id,
        kind=EnvironmentKind.CLOUDFORMATION,
        address=logical_id,
        name=Value.unknown(reason, location),
        version=Value.unknown(reason, location),
        location=location,
        bucket=None,
    )


def _key_line(mapping: Mapping[str, Any], key: str, default: int) -> int:
    for candidate in mapping:
        if candidate == key:
            return line_of(candidate, default)
    return default


def _property(
    resolver: Resolver, properties: Mapping[str, Any], key: str, location: Location
) -> Value:
    here = Location(location.file, _key_line(properties, key, location.line))
    if key not in properties:
        return Value.missing(f"{key} is not set", here)
    return resolver.value(properties[key], here)


def _name(resolver: Resolver, properties: Mapping[str, Any], location: Location) -> Value:
    """The environment's name, and how it is written when it cannot be evaluated: a name from
    the stack name or the region is the same on both sides only when written the same."""
    name = _property(resolver, properties, "Name", location)
    if name.state is not ValueState.UNKNOWN:
        return name
    return replace(name, expression=json.dumps(properties["Name"], default=str))


def _tags(
    resolver: Resolver, properties: Mapping[str, Any], location: Location
) -> tuple[tuple[str, str], ...]:
    """The known tags: MWAA's Tags is a JSON map of strings (not a list of Key/Value)."""
    raw = properties.get("Tags")
    if not isinstance(raw, dict) or any(str(k) == "Ref" or str(k).startswith("Fn::") for k in raw):
        return ()  # a whole map from a function or parameter is not read entry by entry
    here = Location(location.file, _key_line(properties, "Tags", location.line))
    values = [(str(key), resolver.value(value, here)) for key, value in raw.items()]
    return tuple(
        sorted(
            (key, value.text)
            for key, value in values
            if value.state is ValueState.KNOWN and value.text is not None
        )
    )


def _version(resolver: Resolver, properties: Mapping[str, Any], here: Location) -> Value:
    if "AirflowVersion" not in properties:
        return Value.missing("AirflowVersion is not set", here)
    raw = properties["AirflowVersion"]
    value = resolver.value(raw, here)
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        written = _written(here)
        note = (
            f"written as the unquoted number {written}, which YAML and JSON read as "
            f"{value.text}: quote the version"
        )
        return Value.known(value.text or "", here, note=note)
    return value


def _written(here: Location) -> str:
    """The literal after `AirflowVersion:` on its line, as the author wrote it."""
    try:
        line = lines(Path(here.file))[here.line - 1]
    except (InputError, IndexError):
        return "?"
    match = re.search(r"AirflowVersion\"?\s*:\s*([0-9.eE+-]+)", line)
    return match[1] if match else "?"


# --- source bucket -----------------------------------------------------------------------


def _bucket(
    resolver: Resolver,
    template: Mapping[str, Any],
    properties: Mapping[str, Any],
    location: Location,
) -> Bucket:
    here = Location(location.file, _key_line(properties, "SourceBucketArn", location.line))
    if "SourceBucketArn" not in properties:
        return Bucket(None, Versioning.UNKNOWN, False, "SourceBucketArn is not set", here)
    arn = resolver.value(properties["SourceBucketArn"], here, arn=True)
    if arn.state is not ValueState.KNOWN or arn.text is None:
        reason = f"SourceBucketArn cannot be resolved: {arn.reason or 'not set'}"
        return Bucket(None, Versioning.UNKNOWN, False, reason, here)
    match = _BUCKET_ARN.fullmatch(arn.text)
    if match is None:
        shown = RESOURCE_TOKEN.sub(r"<\1>", arn.text)
        reason = f"SourceBucketArn {quoted(shown)} is not an S3 bucket ARN"
        return Bucket(None, Versioning.UNKNOWN, False, reason, here)
    resources = template.get("Resources") or {}
    token = RESOURCE_TOKEN.fullmatch(match["name"])
    if token is not None:
        logical_id = token[1]
        if _type(resources.get(logical_id)) != BUCKET_TYPE:
            reason = f"SourceBucketArn refers to {logical_id}, which is not an AWS::S3::Bucket"
            # No bucket name: a logical id read as one would make --live ask about another bucket.
            return Bucket(None, Versioning.UNKNOWN, False, reason, here)
        where = Location(location.file, _key_line(resources, logical_id, 1))
        return _linked(resolver, logical_id, resources[logical_id], logical_id, where)
    name = match["name"]
    if RESOURCE_TOKEN.search(name):
        reason = "the bucket name in SourceBucketArn is only partly known"
        return Bucket(None, Versioning.UNKNOWN, False, reason, here)
    for logical_id, resource in resources.items():
        if _type(resource) == BUCKET_TYPE:
            props = resource.get("Properties")
            declared = props.get("BucketName") if isinstance(props, dict) else None
            bucket_name = resolver.value(declared, here) if declared is not None else None
            if bucket_name is not None and bucket_name.text == name:
                where = Location(location.file, line_of(logical_id, 1))
                return _linked(resolver, str(logical_id), resource, name, where)
    reason = f"bucket {name} is not defined in this template (a parameter or another stack)"
    return Bucket(name, Versioning.UNKNOWN, False, reason, here)


def _type(resource: object) -> object:
    return resource.get("Type") if isinstance(resource, dict) else None


def _linked(
    resolver: Resolver, logical_id: str, resource: Mapping[str, Any], bucket_id: str, here: Location
) -> Bucket:
    file = here.file
    props = resource.get("Properties")
    props = props if isinstance(props, dict) else {}
    config = props.get("VersioningConfiguration")
    if config is None:
        reason = f"{logical_id} has no VersioningConfiguration: never enabled"
        return Bucket(bucket_id, Versioning.DISABLED, True, reason, here)
    if not isinstance(config, dict) or "Status" not in config:
        where = Location(file, line_of(config, here.line))
        status = resolver.value(config, where)
        reason = f"{logical_id} VersioningConfiguration cannot be resolved: {status.reason}"
        return Bucket(bucket_id, Versioning.UNKNOWN, True, reason, where)
    where = Location(file, _key_line(config, "Status", here.line))
    status = resolver.value(config["Status"], where)
    if status.state is ValueState.KNOWN and status.text in _STATUS:
        reason = f"{logical_id} VersioningConfiguration Status {status.text}"
        return Bucket(bucket_id, _STATUS[status.text], True, reason, where)
    why = (
        status.reason
        if status.state is not ValueState.KNOWN
        else f"{status.text!r} is not Enabled or Suspended"
    )
    reason = f"{logical_id} VersioningConfiguration Status cannot be resolved: {why}"
    return Bucket(bucket_id, Versioning.UNKNOWN, True, reason, where)


# --- cfn-lint's own findings, as information -----------------------------------------------


def with_lint_notes(
    path: Path, template: Mapping[str, Any], found: list[Environment]
) -> list[Environment]:
    """cfn-lint's own errors on each environment and its bucket, as notes (no verdict change).
    Only templates with an MWAA environment are linted, and only that part of them (below)."""
    resources = template.get("Resources") or {}
    if not any(_type(resources.get(env.address)) == MWAA_TYPE for env in found):
        return found
    related = {env.address: {env.address, *_bucket_resources(template, env)} for env in found}
    matches = list(_lint_runner().validate_template(_lint_part(template, related)))
    shown = display_path(path)
    result = []
    for env in found:
        notes = [
            f"cfn-lint {m.rule.id} at {shown}:{m.linenumber}: {m.message}"
            for m in matches
            if len(m.path) > 1 and m.path[0] == "Resources" and m.path[1] in related[env.address]
        ]
        result.append(replace(env, notes=(*env.notes, *notes)) if notes else env)
    return result


@cache
def _lint_runner() -> Any:
    """cfn-lint with its rules loaded once (loading them costs about 0.7 s)."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner.cli import Runner

    return Runner(ConfigMixIn(regions=["us-east-1"]))


def _lint_part(template: Mapping[str, Any], related: dict[str, set[str]]) -> Any:
    """The template with only the resources whose errors become notes, and those they refer
    to (so that their references resolve): linting a whole platform template takes seconds.
    Every other section stays, and the decoder's nodes keep their lines."""
    resources: Any = template.get("Resources") or {}
    keep = {name for names in related.values() for name in names}
    for name in list(keep):
        keep |= _references(resources.get(name)) & set(resources)
    part = type(resources)(  # cfn-lint's dict node, with its marks
        {k: v for k, v in resources.items() if k in keep},
        getattr(resources, "start_mark", None),
        getattr(resources, "end_mark", None),
    )
    whole: Any = template
    return type(whole)(
        {**whole, "Resources": part},
        getattr(whole, "start_mark", None),
        getattr(whole, "end_mark", None),
    )


_SUB_REFERENCE = re.compile(r"\$\{(?!!)([\w:]+)")


def _references(node: object) -> set[str]:
    """Logical ids a resource refers to: Ref, Fn::GetAtt, Fn::Sub and DependsOn."""
    found: set[str] = set()
    pending = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key in ("Ref", "DependsOn") and isinstance(value, str):
                    found.add(value)
                elif key == "DependsOn" and isinstance(value, list):
                    found |= {v for v in value if isinstance(v, str)}
                elif key == "Fn::GetAtt":
                    first = value[0] if isinstance(value, list) and value else value
                    found.add(str(first).split(".")[0])
                elif key == "Fn::Sub":
                    text = value[0] if isinstance(value, list) and value else value
                    found |= set(_SUB_REFERENCE.findall(str(text)))
                pending.append(value)
        elif isinstance(item, list):
            pending += item
    return found


def _bucket_resources(template: Mapping[str, Any], env: Environment) -> set[str]:
    # A bucket in the template is linked by _linked, whose reasons begin with its logical id.
    bucket = env.bucket
    if bucket is None or not bucket.in_config:
        return set()
    resources = template.get("Resources") or {}
    return {str(r) for r in resources if bucket.reason.startswith(f"{r} ")}
