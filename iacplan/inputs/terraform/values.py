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


def existence_doubts(result: dict[str, Any], root: Path | None = None) -> dict[str, str]:
    """Resource and module instances whose count or for_each cannot be resolved. tfparse
    still evaluates one instance of them, but Terraform may create none. With `root`, the
    reason shows the expression and where it is."""
    doubts: dict[str, str] = {}
    for blocks in result.values():
        for block in blocks:
            path = block["__tfmeta"].get("path", "") if "__tfmeta" in block else ""
            for key in ("count", "for_each") if path else ():
                if key in block and not _resolved_repetition(block[key]):
                    written = _written_at(block, key, root)
                    doubts[path] = f"the {key} of {path}{written} cannot be resolved statically"
    return doubts


def _written_at(block: dict[str, Any], name: str, root: Path | None) -> str:
    if root is None:
        return ""
    meta = block["__tfmeta"]
    file = normpath(root / meta["filename"])
    found = attribute(file, meta, name)
    return f" (`{found[1]}` at {display_path(file)}:{found[0]})" if found else ""


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
            return reason
    return None


def attribute(file: Path, meta: dict[str, Any], name: str) -> tuple[int, str] | None:
    """Line and expression text of `name = ...` inside the block that `meta` describes: the
    whole expression, also over several lines (inside brackets, a heredoc), comments left out
    and white space collapsed."""
    text = lines(file)
    pattern = re.compile(rf"\s*{re.escape(name)}\s*=(?!=)\s*(?P<expr>.*)")
    last = min(meta["line_end"], len(text))
    for number in range(meta["line_start"], last + 1):
        match = pattern.match(text[number - 1])
        if match:
            return number, expression_text(text, number - 1, match.start("expr"), last)
    return None


_MAX_EXPRESSION = 4000  # characters kept of one expression: enough to tell two apart


def expression_text(text: list[str], index: int, column: int, last: int) -> str:
    """The expression starting at `text[index][column:]`: up to the end of its line, or of
    the brackets or heredoc it opens (never past line `last`, the block's end)."""
    source = "\n".join(text[index:last])
    parts: list[str] = []
    depth, position = 0, column
    while position < len(source) and sum(map(len, parts)) < _MAX_EXPRESSION:
        match = _EXPRESSION_TOKEN.search(source, position)
        if match is None:
            parts.append(source[position:])
            break
        token, start = match[0], match.start()
        parts.append(source[position:start])
        if token == "\n" and depth <= 0:
            break
        if token in ("#", "//"):
            end = source.find("\n", start)
            position = len(source) if end < 0 else end
            continue
        if token == "/*":
            end = source.find("*/", start)
            position = len(source) if end < 0 else end + 2
            parts.append(" ")
            continue
        end = start + len(token)
        if token == '"':
            end = _quoted_end(source, end)
        elif match["heredoc"]:
            closing = re.compile(rf"^[ \t]*{re.escape(match['heredoc'])}[ \t]*$", re.M)
            found = closing.search(source, end)
            end = found.end() if found else len(source)
        elif token in "([{":
            depth += 1
        elif token in ")]}":
            depth -= 1
            if depth < 0:  # the brace closing a one-line block: `{ status = "Enabled" }`
                break
        parts.append(source[start:end])
        position = end
    joined = " ".join("".join(parts).split())
    joined = _TRAILING_COMMA.sub(r"\1", _INNER_SPACE.sub(r"\1\2", joined))
    return joined[:_MAX_EXPRESSION]


# White space a line break leaves inside brackets: `format( "%s", x, )` is `format("%s", x)`.
_INNER_SPACE = re.compile(r"([(\[{]) | ([)\]}])")
_TRAILING_COMMA = re.compile(r",\s*([)\]}])")


_EXPRESSION_TOKEN = re.compile(r'"|#|//|/\*|<<-?(?P<heredoc>[A-Za-z_][\w-]*)|[()\[\]{}]|\n')


def _quoted_end(source: str, position: int) -> int:
    """Just past the quote closing a string begun before `position`, templates included."""
    depth = 0
    while position < len(source):
        char = source[position]
        if char == "\\":
            position += 2
            continue
        if source.startswith(("${", "%{"), position):
            depth += 1
            position += 2
            continue
        if char == "}" and depth:
            depth -= 1
        elif char == '"' and not depth:
            return position + 1
        elif char == "\n" and not depth:
            return position  # a quoted string ends on its line
        position += 1
    return position


def read_value(
    block: dict[str, Any],
    name: str,
    file: Path,
    stand_ins: dict[str, str],
    tracer: Tracer | None = None,
) -> Value:
    meta = block["__tfmeta"]
    found = attribute(file, meta, name)
    location = Location(display_path(file), found[0] if found else meta["line_start"])
    expression = found[1] if found else None
    value = _read_value(block, name, file, location, expression, stand_ins, tracer)
    return replace(value, expression=expression) if expression is not None else value


def _read_value(
    block: dict[str, Any],
    name: str,
    file: Path,
    location: Location,
    expression: str | None,
    stand_ins: dict[str, str],
    tracer: Tracer | None,
) -> Value:
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
        if raw == "":
            return _empty(name, shown, expression, block, location, tracer)
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


def _empty(
    name: str,
    shown: str,
    expression: str | None,
    block: dict[str, Any],
    location: Location,
    tracer: Tracer | None,
) -> Value:
    """An empty string is what the provider sends as not set (`airflow_version = ""`, a
    module's `default = ""`), but also what the evaluator makes of a template over a value
    it cannot resolve, passed through a module or a local: only one written as "" is empty
    (in JSON syntax, whose expressions are not read, an empty string is unknown)."""
    prefix = module_prefix(block["__tfmeta"]["path"])
    empty = expression == '""' or (
        expression is not None and tracer is not None and tracer.written_empty(expression, prefix)
    )
    if empty:
        written = "" if expression == '""' else f" ({shown})"
        return Value.missing(
            f'{name} is ""{written}: the AWS provider sends it as not set', location
        )
    return Value.unknown(
        f"{shown} cannot be evaluated statically: it goes through a template over a value that "
        "has no default here or is known only at apply",
        location,
    )


_MODULE_PREFIX = re.compile(r"(?:module\.[\w-]+(?:\[[^\]]*\])?\.)*")
_REFERENCE = re.compile(r"(?<![\w.])(local|var)\.([A-Za-z_][\w-]*)")
_MAX_TRACE = 16  # steps followed from one expression
_BLOCK_REFERENCE = re.compile(r"(?<![\w.])(data\.)?([a-z][a-z0-9]*_\w*)\.([A-Za-z_][\w-]*)")
_INSTANCE = re.compile(r"\[[^\]]*\]$")


def module_prefix(address: str) -> str:
    """The module instance an address is in, with its dot: `module.m[0].` for
    `module.m[0].aws_mwaa_environment.a` and for the call `module.m[0].module.inner`."""
    match = _MODULE_PREFIX.match(address)
    return match[0] if match else ""


class Tracer:
    """Where the locals and module arguments an expression refers to are written, and how:
    the evaluator returns what it cannot resolve as a bare reference (`local.name`), so two
    unresolved values are told apart by what their references are written as."""

    def __init__(self, result: dict[str, Any], root: Path) -> None:
        self._root = root
        self._locals: dict[tuple[str, str], dict[str, Any]] = {}
        self._variables: dict[tuple[str, str], dict[str, Any]] = {}
        self._calls: dict[str, dict[str, Any]] = {}
        for block in result.get("locals", []):
            prefix = block["__tfmeta"].get("path", "").removesuffix("locals")
            for key in block:
                if key not in ("__tfmeta", "id"):
                    self._locals[(prefix, key)] = block
        for block in result.get("variable", []):
            path = block["__tfmeta"].get("path", "")
            prefix, _, name = path.rpartition("variable.")
            self._variables[(prefix, name)] = block
        for block in result.get("module", []):
            self._calls[block["__tfmeta"]["path"]] = block
        self._result = result
        self._by_path: dict[str, dict[str, Any]] | None = None  # every block, when first asked

    def _block(self, path: str) -> dict[str, Any] | None:
        """The resource or data block at `path` (its first instance, when it has several)."""
        if self._by_path is None:
            self._by_path = {}
            for blocks in self._result.values():
                for block in blocks:
                    meta = block.get("__tfmeta", {}) if isinstance(block, dict) else {}
                    if meta.get("type") in ("resource", "data") and "path" in meta:
                        self._by_path.setdefault(_INSTANCE.sub("", meta["path"]), block)
        return self._by_path.get(path)

    def _block_text(self, block: dict[str, Any]) -> str:
        meta = block["__tfmeta"]
        text = lines(normpath(self._root / meta["filename"]))
        body = text[meta["line_start"] - 1 : meta["line_end"]]
        return " ".join(re.sub(r"(#|//).*", "", line) for line in body).split("{", 1)[-1].strip()

    def _written(self, block: dict[str, Any], name: str) -> tuple[str, str] | None:
        meta = block["__tfmeta"]
        file = normpath(self._root / meta["filename"])
        found = attribute(file, meta, name)
        if found is None:
            return None
        return found[1], f"{display_path(file)}:{found[0]}"

    def _step(self, kind: str, name: str, prefix: str) -> tuple[str, str, str] | None:
        """(expression, where, prefix it is in) of what `local.x` / `var.x` is set to."""
        if kind == "local":
            block = self._locals.get((prefix, name))
            written = self._written(block, name) if block else None
            return (*written, prefix) if written else None
        call = self._calls.get(prefix.removesuffix("."))
        if call is not None and name in call:
            written = self._written(call, name)
            return (*written, module_prefix(call["__tfmeta"]["path"])) if written else None
        variable = self._variables.get((prefix, name))
        if variable is not None and "default" in variable:
            # A default is a literal value: what the evaluator read is what is written.
            meta = variable["__tfmeta"]
            where = f"{display_path(normpath(self._root / meta['filename']))}:{meta['line_start']}"
            return json.dumps(variable["default"], sort_keys=True), where, prefix
        return None

    def steps(self, expression: str, prefix: str) -> list[str]:
        """What each local and module argument the expression goes through is written as."""
        found: list[str] = []
        pending, seen = [(expression, prefix)], set()
        while pending and len(found) < _MAX_TRACE:
            text, where = pending.pop(0)
            for kind, name in _REFERENCE.findall(text):
                if (kind, name, where) in seen:
                    continue
                seen.add((kind, name, where))
                step = self._step(kind, name, where)
                if step is not None:
                    written, _, inner = step
                    found.append(f"{kind}.{name} = {written}")
                    pending.append((written, inner))
            # A data source or resource it reads (`data.aws_ssm_parameter.n.value`,
            # `random_id.s.hex`): what it is configured with decides the value.
            for data, kind, name in _BLOCK_REFERENCE.findall(text):
                address = f"{data}{kind}.{name}"
                block = self._block(where + address) if ("", address, where) not in seen else None
                seen.add(("", address, where))
                if block is not None:
                    written = " ".join(self._block_text(block).split())
                    found.append(f"{address} {{ {written}")
                    pending.append((written, where))
        return found

    def written_empty(self, expression: str, prefix: str) -> bool:
        """Whether the expression is "" or leads to one only through plain references."""
        for _ in range(_MAX_TRACE):
            if expression == '""':
                return True
            match = re.fullmatch(r"(local|var)\.([A-Za-z_][\w-]*)", expression)
            if match is None:
                return False
            if match[1] == "var" and prefix == "":
                return True  # a root variable's value is a literal (default, tfvars, --var)
            step = self._step(match[1], match[2], prefix)
            if step is None:
                return False
            expression, _, prefix = step
        return False


def traced(value: Value, tracer: Tracer, address: str) -> Value:
    """An unresolved value whose expression also says what the locals and module arguments
    it refers to are written as: two names are the same only if that is the same too."""
    if value.state is not ValueState.UNKNOWN or value.expression is None:
        return value
    steps = tracer.steps(value.expression, module_prefix(address))
    if not steps:
        return value
    return replace(value, expression=f"{value.expression}` where `{'`, `'.join(steps)}")


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


_BUCKET_REFERENCE = re.compile(
    r"(?<![\w.])aws_s3_bucket\.(?P<name>[A-Za-z_][\w-]*)(?P<key>\[[^\]]*\])?\.(?P<attr>arn|id|bucket)\b"
)
_LITERAL_KEY = re.compile(r'|\[\d+\]|\["[^"$%]*"\]')
# What may stand in an ARN template besides the bucket: the partition's data source.
_PARTITION = re.compile(r"data\.aws_partition\.[\w-]+\.partition")
_OTHER_REFERENCE = re.compile(
    r"(?<![\w.])(?:var|local|module|data|each|count|self)\.|\?|[a-z]\w*_\w+\.\w"
)


def bucket_reference(expression: str | None, prefix: str) -> str | None:
    """The bucket address an expression names the bucket by, when it does so alone:
    `aws_s3_bucket.x.arn`, or `.id`/`.bucket` in an ARN template or `format()`; relative to
    the module the expression is in (`prefix`). None where anything else could change it."""
    if not expression:
        return None
    references = {
        (m["name"], m["key"] or "", m["attr"]) for m in _BUCKET_REFERENCE.finditer(expression)
    }
    if len(references) != 1:
        return None
    name, key, attr = next(iter(references))
    if not _LITERAL_KEY.fullmatch(key):
        return None  # `[each.key]`: which instance is the evaluated value's to say
    rest = _PARTITION.sub("", _BUCKET_REFERENCE.sub("", expression))
    if _OTHER_REFERENCE.search(rest):
        return None  # a variable, a condition, another resource: it may be another bucket
    if attr == "arn" and expression.strip() != f"aws_s3_bucket.{name}{key}.arn":
        return None
    if attr != "arn" and "s3:::" not in expression:
        return None
    return f"{prefix}aws_s3_bucket.{name}{key}"


class BucketIndex:
    """The S3 buckets of one evaluated configuration, and how their versioning is set."""

    def __init__(
        self, result: dict[str, Any], root: Path, doubts: dict[str, str], dropped: list[str]
    ) -> None:
        self._root = root
        self._doubts = doubts
        self._dropped = dropped  # versioning resources declared but never evaluated
        self._buckets: dict[str, dict[str, Any]] = {}
        self._addresses: dict[str, dict[str, Any]] = {}
        self._names: dict[str, str] = {}  # address -> the bucket's name, where it is known
        for block in resources(result, "aws_s3_bucket"):
            self._buckets[block["id"]] = block  # the computed-name stand-in tfparse uses
            self._addresses[block["__tfmeta"]["path"]] = block
            name = self._static_name(block)
            if name is not None:
                self._buckets[name] = block
                self._names[block["__tfmeta"]["path"]] = name
        self._versionings = list(resources(result, "aws_s3_bucket_versioning"))

    def _static_name(self, block: dict[str, Any]) -> str | None:
        """The bucket's name, when the evaluator resolved it to what Terraform will use."""
        name = block.get("bucket")
        if not isinstance(name, str) or not name or "${" in name:
            return None
        meta = block["__tfmeta"]
        found = attribute(normpath(self._root / meta["filename"]), meta, "bucket")
        if found and _PLACEHOLDERS.search(found[1]):
            return None  # `"mwaa-${random_id.x.hex}"`: the evaluator made up a value
        return name

    def link(self, raw_arn: object, arn: Value, address: str = "") -> Bucket:
        """The bucket `source_bucket_arn` names, for the environment at `address`: by the
        reference written (`aws_s3_bucket.x.arn`), else by the bucket name evaluated."""
        reference = bucket_reference(arn.expression, module_prefix(address))
        if reference is not None:
            instances = self._instances(reference)
            if len(instances) == 1:
                block = instances[0]
                name = self._names.get(block["__tfmeta"]["path"])
                return self._linked(block, name or block["id"])
            if len(instances) > 1:
                where = ", ".join(b["__tfmeta"]["path"] for b in instances)
                reason = f"{arn.expression} is one of several bucket instances ({where})"
                return Bucket(None, Versioning.UNKNOWN, True, reason, arn.location)
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

    def _instances(self, reference: str) -> list[dict[str, Any]]:
        """The bucket blocks a reference names: the one address, or, without an instance key,
        every instance of a bucket with count or for_each."""
        if reference in self._addresses:
            return [self._addresses[reference]]
        return [b for a, b in sorted(self._addresses.items()) if a.startswith(reference + "[")]

    def _linked(self, block: dict[str, Any], name: str) -> Bucket:
        bucket_id = name if name != block["id"] else block["__tfmeta"]["path"]
        versioning, reason, location = self._versioning(block)
        return Bucket(bucket_id, versioning, True, reason, location)

    def _target(self, versioning: dict[str, Any]) -> tuple[str, str]:
        """What a versioning resource's `bucket` names: ("address", a bucket's address),
        ("name", a bucket name) or ("unknown", the expression)."""
        meta = versioning["__tfmeta"]
        found = attribute(normpath(self._root / meta["filename"]), meta, "bucket")
        expression = found[1] if found else None
        raw = versioning.get("bucket")
        prefix = module_prefix(meta["path"])
        written = expression
        if written is None and isinstance(raw, dict) and "__attribute__" in raw:
            written = str(raw["__attribute__"])  # JSON syntax: the reference as evaluated
        match = _BUCKET_REFERENCE.fullmatch(written.strip()) if written else None
        if (
            match
            and match["attr"] in ("id", "bucket")
            and _LITERAL_KEY.fullmatch(match["key"] or "")
        ):
            return "address", f"{prefix}aws_s3_bucket.{match['name']}{match['key'] or ''}"
        if isinstance(raw, str) and raw in self._buckets:
            # A bucket's stand-in id, or the static name of one: `[each.key]` resolved.
            return "address", self._buckets[raw]["__tfmeta"]["path"]
        if (
            isinstance(raw, str)
            and raw
            and "${" not in raw
            and not _PLACEHOLDERS.search(expression or "")
        ):
            return "name", raw
        return "unknown", expression or str(raw)

    def _location(self, block: dict[str, Any]) -> Location:
        meta = block["__tfmeta"]
        return Location(display_path(normpath(self._root / meta["filename"])), meta["line_start"])

    def _versioning(self, bucket: dict[str, Any]) -> tuple[Versioning, str, Location]:
        address, here = bucket["__tfmeta"]["path"], self._location(bucket)
        name = self._names.get(address)
        targeting, doubtful = [], []
        for versioning in self._versionings:
            kind, target = self._target(versioning)
            if (kind, target) in (("address", address), ("name", name)):
                targeting.append(versioning)
            elif kind == "unknown" or (
                kind == "name" and name is None and target not in self._names.values()
            ):
                doubtful.append(versioning)  # it may be this bucket: nothing tells them apart
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
        if doubtful:
            where = ", ".join(v["__tfmeta"]["path"] for v in doubtful)
            reason = f"{where} targets a bucket that cannot be told apart from {address}"
            return Versioning.UNKNOWN, reason, here
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
