"""Registry and remote modules: downloaded ones, and the known MWAA modules when they are not.

After `terraform init`, `.terraform/modules/modules.json` lists each installed module call
(`Key` "a.b" for module "b" called inside module "a", `Source`, `Version`, `Dir` relative to the
root) and tfparse evaluates those directories itself, with the callers' arguments. Where a
module is not installed, a call to a known MWAA module is read through its documented inputs;
any other remote module that mentions MWAA or Airflow stays an unknown environment.

What each known module does, read from its source (aws-ia/terraform-aws-mwaa main.tf,
variables.tf, locals.tf; cloudposse/terraform-aws-mwaa main.tf, variables.tf;
idealo/terraform-aws-mwaa variables.tf, main.tf):
- all three take the version as `airflow_version`, and pass `tags` and the S3 file inputs
  (`requirements_s3_path`, `…_object_version`, plugins and startup script alike) to the
  environment under the resource's own names (some old aws-ia releases ignore later changes of
  the object versions: `lifecycle { ignore_changes }`);
- aws-ia defaults it to null and cloudposse to "" (the provider sends neither, so MWAA picks
  its newest); idealo defaults it to a fixed version that differs between module releases;
- aws-ia and cloudposse create their own bucket unless `create_s3_bucket = false`; aws-ia's has
  an aws_s3_bucket_versioning with status Enabled, cloudposse's comes from cloudposse/s3-bucket
  whose versioning default was not verified; idealo always uses `source_bucket_arn`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

from iacplan.catalog.terraform_versions import Constraint, ConstraintError, parse_release
from iacplan.errors import InputError
from iacplan.inputs import confine
from iacplan.inputs.files import display_path, normpath, parse_json, read_text
from iacplan.inputs.terraform.values import (
    BucketIndex,
    Tracer,
    doubt_about,
    existence_doubts,
    find_stand_ins,
    read_files,
    read_tags,
    read_value,
    traced,
    untrusted,
)
from iacplan.model import Bucket, Environment, EnvironmentKind, Location, Value, Versioning

MANIFEST = Path(".terraform") / "modules" / "modules.json"
_GIT_SOURCE = re.compile(
    r"(?:git::)?(?:https://|ssh://git@|git@)?github\.com[/:](?P<repository>[\w.-]+/[\w.-]+?)"
    r"(?:\.git)?(?://(?P<subdir>[^?]*))?(?:\?.*)?"
)
_REMOTE_MODULE_HINT = re.compile(r"mwaa|airflow", re.IGNORECASE)
_INSTANCE_KEY = re.compile(r"\[[^\]]*\]")


class Installed(NamedTuple):
    """One module call `terraform init` installed."""

    source: str
    version: str | None
    directory: Path


def installed_modules(root: Path) -> dict[str, Installed]:
    """The records of `.terraform/modules/modules.json`, by key, whose directory exists."""
    path = root / MANIFEST
    if not path.is_file():
        return {}
    manifest = parse_json(display_path(path), read_text(path))
    records = manifest.get("Modules") if isinstance(manifest, dict) else None
    if not isinstance(records, list):
        raise InputError(f"{display_path(path)}: no Modules list: not a Terraform module manifest")
    installed = {}
    for record in records:
        if not isinstance(record, dict) or not record.get("Key"):
            continue  # the root module itself
        directory = normpath(root / str(record.get("Dir", "")))
        if directory.is_dir() and confine.inside(directory):  # else: not read, not installed
            version = record.get("Version")
            installed[str(record["Key"])] = Installed(
                str(record.get("Source", "")), str(version) if version else None, directory
            )
    return installed


def module_key(address: str) -> str:
    """`module.a["x"].module.b` → `a.b`, the key modules.json files the call under."""
    return ".".join(_INSTANCE_KEY.sub("", address).split(".")[1::2])


def stale(call: dict[str, Any], record: Installed) -> str | None:
    """Why the installed copy may not be what the configuration now asks for."""
    source, version = call.get("source"), call.get("version")
    if _registry(str(source)) != _registry(record.source):
        return f"it was installed from {record.source!r}, but the call now says {source!r}"
    if not isinstance(version, str):
        return None
    installed = parse_release(record.version or "")
    try:
        fits = installed is not None and Constraint.parse(version).allows(installed)
    except ConstraintError:
        fits = False
    if not fits:
        return f"version {record.version} was installed, but the call asks for {version!r}"
    return None


def without_registry_host(address: str) -> str:
    """A registry address (module or provider) without the public registries' host."""
    for host in ("registry.terraform.io/", "registry.opentofu.org/"):
        address = address.removeprefix(host)
    return address


def _registry(source: str) -> str:
    return without_registry_host(source).lower()


BucketLink = Callable[[], Bucket]  # the bucket the caller's `source_bucket_arn` names


@dataclass(frozen=True)
class KnownModule:
    registry: str
    repository: str  # on GitHub, for git sources
    name_input: str | None  # None: the module names the environment itself
    omitted_version: Callable[[str, Location], Value]  # airflow_version not passed
    create_flag: str | None  # the input that makes the module create its own bucket
    own_bucket: tuple[Versioning, str] = (Versioning.UNKNOWN, "")

    def version(self, call: dict[str, Any], read: Callable[[str], Value]) -> Value:
        value = read("airflow_version")  # an explicit null overrides the default (nullable)
        if "airflow_version" in call:
            return value
        return self.omitted_version(self.registry, value.location)

    def bucket(
        self, call: dict[str, Any], address: str, location: Location, link: BucketLink
    ) -> Bucket:
        if self.create_flag is None:
            return link()
        create = call.get(self.create_flag, "omitted")
        if create is False:
            return link()
        if create == "omitted" and "source_bucket_arn" in call:
            reason = (
                f"{self.registry} uses source_bucket_arn only with {self.create_flag} = false "
                "in its current source, but not in every release: set it explicitly"
            )
            return Bucket(None, Versioning.UNKNOWN, False, reason, location)
        if create not in (True, "omitted"):
            reason = f"{self.create_flag} of {address} cannot be resolved statically"
            return Bucket(None, Versioning.UNKNOWN, False, reason, location)
        versioning, why = self.own_bucket
        return Bucket(f"{address} (its own bucket)", versioning, True, why, location)


def _mwaa_picks(registry: str, location: Location) -> Value:
    return Value.missing(
        f"airflow_version is not passed to {registry}, whose default leaves the choice to MWAA",
        location,
    )


def _release_default(registry: str, location: Location) -> Value:
    return Value.unknown(
        f"airflow_version is not passed to {registry}, whose default version differs between "
        "releases of the module (2.0.2 in the ones read); pass airflow_version explicitly",
        location,
    )


KNOWN_MODULES = (
    KnownModule(
        "aws-ia/mwaa/aws",
        "aws-ia/terraform-aws-mwaa",
        name_input="name",
        omitted_version=_mwaa_picks,
        create_flag="create_s3_bucket",
        own_bucket=(
            Versioning.ENABLED,
            "aws-ia/mwaa/aws creates the bucket with an aws_s3_bucket_versioning, status Enabled",
        ),
    ),
    KnownModule(
        "cloudposse/mwaa/aws",
        "cloudposse/terraform-aws-mwaa",
        name_input=None,
        omitted_version=_mwaa_picks,
        create_flag="create_s3_bucket",
        own_bucket=(
            Versioning.UNKNOWN,
            "cloudposse/mwaa/aws creates the bucket through cloudposse/s3-bucket/aws, whose "
            "versioning is not read without `terraform init`",
        ),
    ),
    KnownModule(
        "idealo/mwaa/aws",
        "idealo/terraform-aws-mwaa",
        name_input="environment_name",
        omitted_version=_release_default,
        create_flag=None,
    ),
)


def known_module(source: str) -> KnownModule | None:
    """The known MWAA module a source names: registry address, or its GitHub repository at the
    top level (a `//subdir` is another module, whose inputs are not known)."""
    registry = _registry(source).split("?")[0]
    git = _GIT_SOURCE.fullmatch(source)
    for module in KNOWN_MODULES:
        if registry == module.registry:
            return module
        if git and git["repository"].lower() == module.repository and not git["subdir"]:
            return module
    return None


_SUBDIR = re.compile(r"^(?:[a-z0-9]+::)?(?:[a-z0-9+.-]+://)?[^?]*?[^:/]//(?P<subdir>[^?]*)")
_VERSION_ARGUMENT = re.compile(r"(?:airflow|mwaa)version")
_NOT_THE_VERSION = frozenset(
    [
        "python",
        "provider",
        "providers",
        "constraint",
        "constraints",
        "min",
        "max",
        "minimum",
        "maximum",
        "latest",
        "supported",
    ]
)
_META_ARGUMENTS = frozenset(("source", "version", "count", "for_each", "providers", "depends_on"))


def looks_like_mwaa(call: dict[str, Any]) -> bool:
    """Whether something in a remote module call points at MWAA: `mwaa` anywhere in its
    source, `airflow` in the module's own part of it (the `//subdir` of a repository, else the
    whole address, which is then the module), or an argument named after either."""
    source = str(call.get("source"))
    arguments = [name for name in call if not name.startswith("__")]
    if any(_REMOTE_MODULE_HINT.search(name) for name in arguments):
        return True
    if re.search("mwaa", source, re.IGNORECASE):
        return True
    subdir = _SUBDIR.match(source)
    own = subdir["subdir"] if subdir else source
    return re.search("airflow", own, re.IGNORECASE) is not None


def mentions_airflow(call: dict[str, Any]) -> bool:
    """Whether the call's source mentions Airflow where it says nothing of the module itself
    (`git::…/airflow-infra//vpc`): a module from an Airflow project, not a sign of MWAA."""
    return _REMOTE_MODULE_HINT.search(str(call.get("source"))) is not None


def version_arguments(call: dict[str, Any]) -> list[str]:
    """The arguments of a module call that iacplan takes for the environment's version: a
    name with `airflow` or `mwaa` right before `version` (any case, `_` and `-` ignored):
    `airflow_version`, `mwaa_airflow_version`, `airflow_version_number`, `mwaa_version`,
    `AirflowVersion`; not one with a word that names something else (python, provider,
    constraint(s), min, max, minimum, maximum, latest, supported)."""
    found = []
    for name in call:
        if name.startswith("__") or name in _META_ARGUMENTS:
            continue
        words = {w.lower() for w in re.split(r"[_-]+|(?<=[a-z0-9])(?=[A-Z])", name)}
        flat = name.lower().replace("_", "").replace("-", "")
        if _VERSION_ARGUMENT.search(flat) and not words & _NOT_THE_VERSION:
            found.append(name)
    return sorted(found)


def unread_note(calls: list[tuple[str, str]]) -> str:
    shown = ", ".join(f"{address} ({source!r})" for address, source in calls)
    return (
        f"remote modules not read (not local, not installed in .terraform/modules): {shown}; "
        "their source mentions Airflow but nothing points at MWAA (run `terraform init` to "
        "have them read)"
    )


def remote_calls(result: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for call in result.get("module", []):
        source = call.get("source")
        if isinstance(source, str) and not source.startswith(("./", "../")):
            yield call


def remote_environments(
    result: dict[str, Any],
    root: Path,
    prefix: str,
    installed: dict[str, Installed],
    buckets: BucketIndex,
    read: set[str],
) -> Iterator[Environment]:
    """An environment for each remote module call that is a known MWAA module or looks like
    one, unless tfparse read an environment from its downloaded copy (addresses in `read`)."""
    stand_ins, doubts = find_stand_ins(result), existence_doubts(result, root)
    tracer = Tracer(result, root)
    for call in remote_calls(result):
        meta = call["__tfmeta"]
        inside = (meta["path"] + ".", meta["path"] + "[")
        if module_key(meta["path"]) in installed and any(a.startswith(inside) for a in read):
            continue  # evaluated from the downloaded copy, like a local module
        file = normpath(root / meta["filename"])
        location = Location(display_path(file), meta["line_start"])
        known = known_module(call["source"])
        if known is not None:

            def argument(name: str, call: dict[str, Any] = call, file: Path = file) -> Value:
                return read_value(call, name, file, stand_ins, tracer)

            env = _known_environment(known, call, location, argument, buckets, stand_ins)
        elif version_arguments(call):

            def argument(name: str, call: dict[str, Any] = call, file: Path = file) -> Value:
                return read_value(call, name, file, stand_ins, tracer)

            env = _argument_environment(call, location, argument)
        elif looks_like_mwaa(call):
            env = _opaque_environment(call, location)
        else:
            continue
        name = traced(env.name, tracer, env.address)
        existence = doubt_about(env.address, doubts)
        yield replace(env, id=prefix + env.id, name=name, existence=existence)


def unread_airflow_modules(
    result: dict[str, Any], installed: dict[str, Installed], read: set[str]
) -> list[tuple[str, str]]:
    """(address, source) of the remote calls that are not read and whose source only mentions
    Airflow (see `mentions_airflow`): told once per root, not each an unknown environment."""
    found = []
    for call in remote_calls(result):
        meta = call["__tfmeta"]
        inside = (meta["path"] + ".", meta["path"] + "[")
        if module_key(meta["path"]) in installed and any(a.startswith(inside) for a in read):
            continue
        if known_module(call["source"]) or version_arguments(call) or looks_like_mwaa(call):
            continue
        if mentions_airflow(call):
            found.append((meta["path"], call["source"]))
    return sorted(set(found))


def _known_environment(
    module: KnownModule,
    call: dict[str, Any],
    location: Location,
    read: Callable[[str], Value],
    buckets: BucketIndex,
    stand_ins: dict[str, str],
) -> Environment:
    address = call["__tfmeta"]["path"]
    if module.name_input is not None:
        name = read(module.name_input)
    else:
        name = Value.unknown(f"{module.registry} builds the name from its context labels", location)

    def link() -> Bucket:
        return buckets.link(call.get("source_bucket_arn"), read("source_bucket_arn"), address)

    return Environment(
        id=address,
        kind=EnvironmentKind.TERRAFORM,
        address=address,
        name=name,
        version=module.version(call, read),
        location=location,
        bucket=module.bucket(call, address, location, link),
        files=read_files(read, frozenset()),
        tags=read_tags(call, stand_ins),
    )


def _argument_environment(
    call: dict[str, Any], location: Location, read: Callable[[str], Value]
) -> Environment:
    """A remote module call that is not read, judged through the argument that sets its
    environment's version (see `version_arguments`)."""
    address, source = call["__tfmeta"]["path"], call["source"]
    names = version_arguments(call)
    values = [read(name) for name in names]
    version = values[0]
    if len({(v.state, v.text) for v in values}) > 1:
        shown = ", ".join(f"{n} ({v.location})" for n, v in zip(names, values, strict=True))
        version = Value.unknown(
            f"several arguments of {address} may set the version, with different values: "
            f"{shown}; which one the module uses is not read",
            values[0].location,
        )
    not_read = f"module {address} ({source!r}) is not a local directory and not installed"
    name_arguments = sorted(n for n in call if "name" in n.lower() and not n.startswith("__"))
    written = [f"{n} = {read(n).expression or read(n).text}" for n in name_arguments]
    name = Value.unknown(f"{not_read}: the environment's name is set inside it", location)
    name = replace(name, expression="; ".join(written) or None)
    return Environment(
        id=address,
        kind=EnvironmentKind.TERRAFORM,
        address=address,
        name=name,
        version=version,
        location=location,
        bucket=Bucket(
            None, Versioning.UNKNOWN, False, f"{not_read}: its source bucket is not read", location
        ),
        notes=(
            f"{not_read}: it was not read, and its environment is judged from the call's "
            f"`{'`, `'.join(names)}` argument (run `terraform init` to have the module read)",
        ),
    )


def _opaque_environment(call: dict[str, Any], location: Location) -> Environment:
    reason = (
        f"module source {call['source']!r} is not a local directory and not installed "
        "(.terraform/modules): environments it defines are not read (run `terraform init` "
        "first, or check a `terraform show -json` plan)"
    )
    return Environment(
        id=call["__tfmeta"]["path"],
        kind=EnvironmentKind.TERRAFORM,
        address=call["__tfmeta"]["path"],
        name=Value.unknown(reason, location),
        version=Value.unknown(reason, location),
        location=location,
        bucket=None,
    )


@dataclass(frozen=True)
class StaleCopy:
    """An installed module the configuration has moved on from: Terraform refuses to plan
    until `terraform init` installs what is asked, so nothing read from it counts."""

    address: str  # the call's module address
    directory: Path
    reason: str


def stale_copies(result: dict[str, Any], installed: dict[str, Installed]) -> list[StaleCopy]:
    copies = []
    for call in remote_calls(result):
        address = call["__tfmeta"]["path"]
        record = installed.get(module_key(address))
        why = stale(call, record) if record else None
        if record and why:
            copies.append(
                StaleCopy(
                    address,
                    record.directory,
                    f"the downloaded module {address} ({display_path(record.directory)}) is "
                    f"out of date: {why}; run `terraform init` and check again",
                )
            )
    return copies


def distrust_stale(environments: list[Environment], copies: list[StaleCopy]) -> list[Environment]:
    doubts = {copy.address + ".": copy.reason for copy in copies}
    return [_distrusted(env, doubts) for env in environments]


def _distrusted(env: Environment, doubts: dict[str, str]) -> Environment:
    for prefix, reason in doubts.items():
        if env.address.startswith(prefix):
            return untrusted(env, reason)
    return env
