"""Terraform directories: find the root modules of a tree, evaluate each with tfparse.

tfparse (Go HCL and Trivy's evaluator) resolves variables, tfvars, locals, functions, local
modules, count and for_each. What it cannot resolve comes back in several shapes, and each
one must end as an *unknown* value here, never as a version:
- an unresolved reference as a dict (``{"__attribute__": "var.v", ...}``);
- a partly unknown template as the raw string (``"${var.maj}.${var.v}"``);
- a function or condition over an unknown value as ``null``;
- a computed bucket name as the bucket block's random id (``"arn:aws:s3:::<uuid>"``).
python-hcl2 reads the raw syntax where the evaluated result is not enough (module calls).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import hcl2
import tfparse
from hcl2 import SerializationOptions

from iacplan.errors import InputError
from iacplan.model import Bucket, Environment, Location, Value, ValueState, Versioning
from iacplan.sources.paths import display_path

RESOURCE_TYPE = "aws_mwaa_environment"
_TF_SUFFIXES = (".tf", ".tf.json")
_ROOT_MARKERS = re.compile(r'^\s*(provider\s+"|backend\s+"|cloud\s*\{)', re.MULTILINE)
_MODULE_BLOCK = re.compile(r'^\s*module\s+"', re.MULTILINE)
_TFPARSE_POSITION = re.compile(
    r"(?P<file>[^\s:]+):(?P<line>\d+),\d+(?:-\d+(?:,\d+)?)?: (?P<msg>.*)", re.S
)
_BUCKET_ARN = re.compile(r"arn:aws[a-z-]*:s3:::(?P<name>.*)")
_TEMPLATE_REF = re.compile(r"\$\{([^}]*)\}")
# A resource header, and a literal `count = 0` on the next line (the one case that is
# certainly no instance; anything else that yields none is reported as unknown).
_MWAA_DECLARATION = re.compile(
    rf'^[ \t]*resource\s+"?{RESOURCE_TYPE}"?\s+(?:/\*.*?\*/\s*)?"?(?P<name>[\w-]+)"?\s*\{{'
    r"(?:[ \t]*\r?\n[ \t]*count\s*=\s*(?P<count>\d+)[ \t]*\r?$)?",
    re.MULTILINE,
)
# What the evaluator replaces with a stand-in (an id, the time, "default") although Terraform
# knows it only later: another resource's attribute (`aws_s3_bucket.b.id` in a condition or
# function), impure functions, and the workspace.
_PLACEHOLDERS = re.compile(
    r"(?<![\w.])[a-z][a-z0-9]*_[a-z0-9_]*\.[a-zA-Z_][\w-]*"
    r"|\b(?:timestamp|plantimestamp|uuid|bcrypt)(?=\()|\bterraform\.workspace\b"
)
_REMOTE_MODULE_HINT = re.compile(r"mwaa|airflow", re.IGNORECASE)
_STATUS = {
    "Enabled": Versioning.ENABLED,
    "Suspended": Versioning.SUSPENDED,
    "Disabled": Versioning.DISABLED,
}


@dataclass(frozen=True)
class TerraformInputs:
    """Inputs as `terraform plan` takes them; applied to every root module evaluated."""

    var_files: tuple[Path, ...] = ()
    variables: tuple[tuple[str, str], ...] = ()


def load_tree(top: Path, inputs: TerraformInputs) -> list[Environment]:
    """Every MWAA environment the root modules under `top` (a directory) declare."""
    _read.cache_clear()  # files may have changed since an earlier call in this process
    module_dirs = list(_module_dirs(top))
    if not module_dirs:
        raise InputError(f"{display_path(top)}: no Terraform files (.tf, .tf.json) found")
    calls = _call_graph(module_dirs)
    called = {call.target for d in module_dirs for call in calls[d.resolve()]}
    environments: list[Environment] = []
    for root in module_dirs:
        if root.resolve() in called:
            continue  # reached through its caller, with the caller's arguments
        prefix = "" if root == top else f"{root.relative_to(top).as_posix()}:"
        alone = root != top and not _looks_like_root(root)
        result = _evaluate(root, inputs)
        modules = _reachable(root.resolve(), calls)
        found = [
            *_environments(result, root, prefix, alone),
            *_uninstantiated(result, root, modules, prefix, alone),
            *_opaque_modules(result, root, prefix, alone),
        ]
        environments += _with_overrides(found, modules)
    return environments


class Call(NamedTuple):
    """A local module call: the directory called, and where the call is."""

    target: Path
    file: Path
    line: int


Calls = dict[Path, list[Call]]  # module directory -> the local module calls in it


def _call_graph(starts: list[Path]) -> Calls:
    """Local module calls reachable from `starts`, refusing cycles: the evaluator would
    recurse forever on a module that calls itself, directly or through others."""
    calls: Calls = {}
    pending = [d.resolve() for d in starts]
    while pending:
        directory = pending.pop()
        if directory not in calls:
            calls[directory] = sorted(_local_module_calls(directory))
            for call in calls[directory]:
                if not call.target.is_dir():
                    where = f"{display_path(call.file)}:{call.line}"
                    raise InputError(
                        f"{where}: module source {display_path(call.target)} is not a directory"
                    )
                pending.append(call.target)
    done: set[Path] = set()
    for start in sorted(calls):
        _refuse_cycles(start, calls, [], done)
    return calls


def _reachable(root: Path, calls: Calls) -> list[Path]:
    found, pending = [root], [root]
    while pending:
        for call in calls.get(pending.pop(), []):
            if call.target not in found:
                found.append(call.target)
                pending.append(call.target)
    return found


def _refuse_cycles(directory: Path, calls: Calls, stack: list[Path], done: set[Path]) -> None:
    if directory in done:
        return
    stack = [*stack, directory]
    for call in calls.get(directory, []):
        if call.target in stack:
            loop = [*stack[stack.index(call.target) :], call.target]
            cycle = " → ".join(display_path(d) for d in loop)
            raise InputError(f"{display_path(call.file)}:{call.line}: module call cycle: {cycle}")
        _refuse_cycles(call.target, calls, stack, done)
    done.add(directory)


def _module_dirs(top: Path) -> Iterator[Path]:
    # Hidden folders (.terraform, .git) hold downloaded or foreign copies, not the user's code.
    # Directory links are followed (monorepos link shared roots), each real directory once,
    # so a link loop ends.
    seen: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(top, followlinks=True):
        real = Path(dirpath).resolve()
        if real in seen:
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        if any(f.endswith(_TF_SUFFIXES) for f in filenames):
            yield Path(dirpath)


def _tf_files(directory: Path) -> list[Path]:
    files = sorted(p for p in directory.iterdir() if p.name.endswith(_TF_SUFFIXES))
    for path in files:
        # The evaluator opens every such entry: a FIFO would block it forever.
        if not path.is_file() and not path.is_dir():
            raise InputError(f"{display_path(path)}: not a regular file (a pipe or broken link?)")
    return [p for p in files if p.is_file()]


@cache
def _read(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{display_path(path)}: cannot read: {exc.strerror}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"{display_path(path)}:{line}: not UTF-8 text (byte {exc.start})") from exc


def _local_module_calls(directory: Path) -> Iterator[Call]:
    """Each local module call (``source = "./..."`` or ``"../..."``) in the directory."""
    for path in _tf_files(directory):
        text = _read(path)
        if path.name.endswith(".tf.json"):
            doc = _parse_json(text, path)
            blocks = [doc.get("module", {})] if isinstance(doc, dict) else []
        elif _MODULE_BLOCK.search(text):
            blocks = _parse_hcl(text, path).get("module", [])
        else:
            continue
        for block in blocks:
            for body in block.values() if isinstance(block, dict) else ():
                source = body.get("source") if isinstance(body, dict) else None
                if isinstance(source, str) and source.startswith(("./", "../")):
                    offset = text.find(f'"{source}"')
                    line = text.count("\n", 0, offset) + 1 if offset >= 0 else 1
                    yield Call((directory / source).resolve(), path, line)


def _parse_hcl(text: str, path: Path) -> dict[str, Any]:
    options = SerializationOptions(strip_string_quotes=True, with_comments=False)
    try:
        doc: dict[str, Any] = hcl2.loads(text, serialization_options=options)
    except Exception as exc:  # lark raises many types; every one means "not valid HCL"
        line = getattr(exc, "line", None)
        where = f"{display_path(path)}:{line}" if isinstance(line, int) else display_path(path)
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{where}: invalid HCL: {first}") from exc
    return doc


def _parse_json(text: str, path: Path) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{display_path(path)}:{exc.lineno}: invalid JSON: {exc.msg}") from exc


def _looks_like_root(directory: Path) -> bool:
    if (directory / "terraform.tfvars").is_file() or (directory / ".terraform.lock.hcl").is_file():
        return True
    return any(_ROOT_MARKERS.search(_read(p)) for p in _tf_files(directory))


def _vars_paths(root: Path, inputs: TerraformInputs, scratch: Path) -> list[str]:
    # Terraform's order: terraform.tfvars(.json), *.auto.tfvars(.json) in lexical order, then
    # the command line. tfparse loads none of them by itself and wants paths relative to root.
    names = [n for n in ("terraform.tfvars", "terraform.tfvars.json") if (root / n).is_file()]
    names += sorted(
        p.name for p in root.iterdir() if p.name.endswith((".auto.tfvars", ".auto.tfvars.json"))
    )
    for var_file in inputs.var_files:
        if not var_file.is_file():
            raise InputError(f"{display_path(var_file)}: var file not found")
        names.append(os.path.relpath(var_file.resolve(), root.resolve()))
    if inputs.variables:
        cli_vars = scratch / "cli.auto.tfvars.json"
        cli_vars.write_text(json.dumps(dict(inputs.variables)), encoding="utf-8")
        names.append(os.path.relpath(cli_vars, root.resolve()))
    return names


def _evaluate(root: Path, inputs: TerraformInputs) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="iacplan-") as scratch:
        vars_paths = _vars_paths(root, inputs, Path(scratch))
        try:
            result: dict[str, Any] = tfparse.load_from_path(
                str(root), stop_on_hcl_error=True, vars_paths=vars_paths
            )
        except tfparse.ParseError as exc:
            raise InputError(_tfparse_message(str(exc), root)) from exc
    return result


def _tfparse_message(message: str, root: Path) -> str:
    message = message.removeprefix("unable to create TerraformConverter: ")
    match = _TFPARSE_POSITION.search(message)
    if match is None:
        return f"{display_path(root)}: {message}"
    file = Path(match["file"])
    path = file if file.is_absolute() else root / file
    detail = match["msg"].strip().replace("\n", " ")
    return f"{display_path(path)}:{match['line']}: {detail}"


def _environments(
    result: dict[str, Any], root: Path, prefix: str, alone: bool
) -> Iterator[Environment]:
    stand_ins = _stand_ins(result)
    doubts = _existence_doubts(result)
    buckets = _BucketIndex(result, root, doubts)
    moves = _moves(result, root)
    for block in _resources(result, RESOURCE_TYPE):
        # (a data source of the same type reads an environment, it defines none)
        meta = block["__tfmeta"]
        file = _normpath(root / meta["filename"])

        def value(name: str, block: dict[str, Any] = block, file: Path = file) -> Value:
            return _value(block, name, file, stand_ins)

        version = value("airflow_version")
        doubt = _doubt(meta["path"], doubts)
        if doubt:
            version = Value.unknown(doubt, version.location)
        moved_from = _moved_from(meta["path"], moves)
        yield Environment(
            id=prefix + meta["path"],
            kind="terraform",
            address=meta["path"],
            name=value("name"),
            version=version,
            location=Location(display_path(file), meta["line_start"]),
            bucket=buckets.link(block.get("source_bucket_arn"), value("source_bucket_arn")),
            evaluated_alone=alone,
            moved_from=prefix + moved_from if moved_from else None,
        )


def _with_overrides(environments: list[Environment], module_dirs: list[Path]) -> list[Environment]:
    """Terraform merges override files (override.tf, *_override.tf) into the blocks they
    name, after every other file; the evaluator does not. Where a module has one, no value
    of the configuration can be trusted, so every version is unknown."""
    overrides = [display_path(p) for d in module_dirs for p in _tf_files(d) if _is_override(p)]
    if not overrides:
        return environments
    reason = f"override files are not merged by iacplan ({', '.join(overrides)})"
    unique = {env.id: env for env in reversed(environments)}  # an override repeats a block
    return [
        replace(env, version=Value.unknown(reason, env.version.location))
        for env in sorted(unique.values(), key=lambda e: e.id)
    ]


def _is_override(path: Path) -> bool:
    stem = path.name.removesuffix(".json").removesuffix(".tf")
    return stem == "override" or stem.endswith("_override")


def _existence_doubts(result: dict[str, Any]) -> dict[str, str]:
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


def _doubt(address: str, doubts: dict[str, str]) -> str | None:
    """Why `address` may not exist, when it or a module instance holding it is in doubt."""
    for path, reason in doubts.items():
        if address == path or address.startswith(path + "."):
            return reason + ": whether the environment exists, and with what version, is unknown"
    return None


def _moves(result: dict[str, Any], root: Path) -> list[tuple[str, str]]:
    """(from, to) address pairs of the root module's `moved` blocks, read from the source
    text: tfparse evaluates `to` into the resource itself."""
    moves = []
    for block in result.get("moved", []):
        meta = block["__tfmeta"]
        if meta["path"] != "moved":
            continue  # inside a module: its addresses are relative to each module instance
        attributes = {}
        for name in ("from", "to"):
            found = _attribute(_normpath(root / meta["filename"]), meta, name)
            if found:
                attributes[name] = found[1]
        if "from" in attributes and "to" in attributes:
            moves.append((attributes["from"], attributes["to"]))
    return moves


def _moved_from(address: str, moves: list[tuple[str, str]]) -> str | None:
    for old, new in moves:
        if address == new or address.startswith((new + "[", new + ".")):
            return old + address[len(new) :]
    return None


def _uninstantiated(
    result: dict[str, Any],
    root: Path,
    module_dirs: list[Path],
    prefix: str,
    alone: bool,
) -> Iterator[Environment]:
    """Declared environments of which tfparse evaluated no instance. It drops a resource
    whose for_each cannot be resolved, so an empty result is not proof of count = 0: each
    becomes an environment whose version is unknown."""
    evaluated = {
        ((root / b["__tfmeta"]["filename"]).resolve(), b["__tfmeta"]["line_start"])
        for b in _resources(result, RESOURCE_TYPE)
    }
    for directory in module_dirs:
        for path in _tf_files(directory):
            for name, line, certainly_none in _declarations(path):
                if certainly_none or (path.resolve(), line) in evaluated:
                    continue
                location = Location(display_path(path), line)
                # Relative to the root, so the same declaration pairs across base and head.
                module = Path(os.path.relpath(directory, root.resolve())).as_posix()
                where = "" if module == "." else f"{module}//"
                reason = (
                    "no instance of it was evaluated: its count or for_each, or its module's, "
                    "is zero, empty, or cannot be resolved statically"
                )
                yield Environment(
                    id=f"{prefix}{where}{RESOURCE_TYPE}.{name}",
                    kind="terraform",
                    address=f"{RESOURCE_TYPE}.{name}",
                    name=Value.unknown(reason, location),
                    version=Value.unknown(reason, location),
                    location=location,
                    bucket=None,
                    evaluated_alone=alone,
                )


def _declarations(path: Path) -> Iterator[tuple[str, int, bool]]:
    """(name, line, certainly no instance) of each aws_mwaa_environment declared in a file."""
    text = _read(path)
    if path.name.endswith(".tf.json"):
        doc = _parse_json(text, path)
        resources = doc.get("resource", {}) if isinstance(doc, dict) else {}
        blocks = resources.get(RESOURCE_TYPE, {}) if isinstance(resources, dict) else {}
        for name, body in blocks.items() if isinstance(blocks, dict) else ():
            offset = text.find(f'"{name}"', text.find(f'"{RESOURCE_TYPE}"'))
            line = text.count("\n", 0, offset) + 1
            yield name, line, isinstance(body, dict) and body.get("count") == 0
        return
    for match in _MWAA_DECLARATION.finditer(text):
        yield match["name"], text.count("\n", 0, match.start("name")) + 1, match["count"] == "0"


def _stand_ins(result: dict[str, Any]) -> dict[str, str]:
    """tfparse's random block ids, which it substitutes for computed attributes (``.id``,
    ``.arn`` of a resource without a name), mapped to the block's address."""
    return {
        block["id"]: block["__tfmeta"]["path"]
        for blocks in result.values()
        for block in blocks
        if isinstance(block, dict) and "__tfmeta" in block and "id" in block
    }


def _opaque_modules(
    result: dict[str, Any], root: Path, prefix: str, alone: bool
) -> Iterator[Environment]:
    """Registry and remote modules that look like MWAA modules: their insides are not read,
    so each becomes an environment whose version is unknown rather than a silent gap."""
    for call in result.get("module", []):
        source = call.get("source")
        if not isinstance(source, str) or source.startswith(("./", "../")):
            continue
        arguments = [name for name in call if not name.startswith("__")]
        if not any(_REMOTE_MODULE_HINT.search(text) for text in (source, *arguments)):
            continue
        meta = call["__tfmeta"]
        location = Location(display_path(_normpath(root / meta["filename"])), meta["line_start"])
        reason = (
            f"module source {source!r} is not a local directory; environments it defines are "
            "not read (run iacplan on a `terraform show -json` plan to see them)"
        )
        yield Environment(
            id=prefix + meta["path"],
            kind="terraform",
            address=meta["path"],
            name=Value.unknown(reason, location),
            version=Value.unknown(reason, location),
            location=location,
            bucket=None,
            evaluated_alone=alone,
        )


def _normpath(path: Path) -> Path:
    return Path(os.path.normpath(path))


def _attribute(file: Path, meta: dict[str, Any], name: str) -> tuple[int, str] | None:
    """Line and expression text of `name = ...` inside the block that `meta` describes."""
    lines = _read(file).splitlines()
    pattern = re.compile(rf"\s*{re.escape(name)}\s*=\s*(?P<expr>.*)")
    for number in range(meta["line_start"], min(meta["line_end"], len(lines)) + 1):
        match = pattern.match(lines[number - 1])
        if match:
            return number, match["expr"].strip()
    return None


def _value(block: dict[str, Any], name: str, file: Path, stand_ins: dict[str, str]) -> Value:
    meta = block["__tfmeta"]
    found = _attribute(file, meta, name)
    location = Location(display_path(file), found[0] if found else meta["line_start"])
    expression = found[1] if found else None
    if name not in block or (block[name] is None and expression == "null"):
        return Value.missing(f"{name} is not set", location)
    raw = block[name]
    shown = f"`{expression}`" if expression else name
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


class _BucketIndex:
    """The S3 buckets of one evaluated configuration, and how their versioning is set."""

    def __init__(self, result: dict[str, Any], root: Path, doubts: dict[str, str]) -> None:
        self._root = root
        self._doubts = doubts
        self._buckets: dict[str, dict[str, Any]] = {}
        for block in _resources(result, "aws_s3_bucket"):
            self._buckets[block["id"]] = block  # the computed-name stand-in tfparse uses
            name = block.get("bucket")
            if isinstance(name, str) and "${" not in name:
                self._buckets[name] = block
        self._versionings = list(_resources(result, "aws_s3_bucket_versioning"))

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
            reason = f"source_bucket_arn {arn.text!r} is not an S3 bucket ARN"
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
        return Location(display_path(_normpath(self._root / meta["filename"])), meta["line_start"])

    def _versioning(self, bucket: dict[str, Any]) -> tuple[Versioning, str, Location]:
        address, here = bucket["__tfmeta"]["path"], self._location(bucket)
        keys = {bucket["id"], bucket.get("bucket")}
        targeting = [v for v in self._versionings if v.get("bucket") in keys]
        if len(targeting) > 1:
            where = ", ".join(v["__tfmeta"]["path"] for v in targeting)
            return Versioning.UNKNOWN, f"several versioning resources set it: {where}", here
        if targeting:
            path, there = targeting[0]["__tfmeta"]["path"], self._location(targeting[0])
            doubt = _doubt(path, self._doubts)
            if doubt:
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
        if "versioning" not in bucket:
            reason = f"{address} has no aws_s3_bucket_versioning and no versioning block"
            return Versioning.DISABLED, reason + ": never enabled", here
        inline = bucket["versioning"]
        enabled = inline.get("enabled") if isinstance(inline, dict) else None
        if not isinstance(enabled, bool):
            return Versioning.UNKNOWN, f"{address} versioning.enabled cannot be resolved", here
        state = Versioning.ENABLED if enabled else Versioning.DISABLED
        return state, f"{address} versioning {{ enabled = {str(enabled).lower()} }}", here


def _unresolved_bucket(versioning: dict[str, Any]) -> bool:
    bucket = versioning.get("bucket")
    return not isinstance(bucket, str) or "${" in bucket


def _resources(result: dict[str, Any], resource_type: str) -> Iterator[dict[str, Any]]:
    return (b for b in result.get(resource_type, []) if b["__tfmeta"].get("type") == "resource")
