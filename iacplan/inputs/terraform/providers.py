"""Which AWS provider versions a Terraform configuration allows, as written.

Terraform installs one hashicorp/aws for the whole configuration: a version that meets the
`required_providers` constraints of every module (root, local and downloaded ones alike) and,
when `.terraform.lock.hcl` records a selection that still meets them, exactly that version.
tfparse returns each module's `terraform` block; the lock file is read here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from iacplan.inputs.files import display_path, lines, normpath, read_text
from iacplan.inputs.terraform.modules import StaleCopy, without_registry_host
from iacplan.model import Location, Pin, ProviderVersions

LOCK_FILE = ".terraform.lock.hcl"
_AWS = "hashicorp/aws"
_LOCK_PROVIDER = re.compile(r'^provider\s+"(?P<address>[^"]+)"\s*\{', re.MULTILINE)
_LOCK_VERSION = re.compile(r'^\s*version\s*=\s*"(?P<version>[^"]*)"', re.MULTILINE)


def provider_versions(
    result: dict[str, Any], root: Path, stale: list[StaleCopy]
) -> ProviderVersions:
    constraints: list[Pin] = []
    doubts = [
        f"{copy.reason} (its provider constraints are not what `terraform init` will use)"
        for copy in stale
    ]
    stale_dirs = [copy.directory.resolve() for copy in stale]
    for block in result.get("terraform", []):
        file = (root / block["__tfmeta"]["filename"]).resolve()
        if any(file.is_relative_to(d) for d in stale_dirs):
            continue
        required = block.get("required_providers")
        if isinstance(required, dict):
            for name, requirement in required.items():
                pin, doubt = _requirement(name, requirement, required, root)
                constraints += [pin] if pin else []
                doubts += [doubt] if doubt else []
    for block in result.get("provider", []):
        # The pre-0.13 form `provider "aws" { version = ... }` still constrains it.
        meta = block["__tfmeta"]
        if meta.get("label") == "aws" and isinstance(block.get("version"), str):
            constraints.append(Pin(block["version"], _line_of(meta, root, "version")))
    return ProviderVersions(
        constraints=tuple(constraints),
        locked=_locked(root),
        doubt="; ".join(doubts) or None,
    )


def _requirement(
    name: str, requirement: object, block: dict[str, Any], root: Path
) -> tuple[Pin | None, str | None]:
    if name in ("__tfmeta", "id"):
        return None, None
    meta = block["__tfmeta"]
    source: object
    version: object
    if isinstance(requirement, str):  # the 0.12 shorthand `aws = "~> 3.0"`
        source, version = None, requirement
    elif isinstance(requirement, dict):
        source, version = requirement.get("source"), requirement.get("version")
    else:
        return None, None
    address = without_registry_host(source.lower()) if isinstance(source, str) else None
    if address != _AWS and not (name == "aws" and source is None):
        if name == "aws":
            where = _line_of(meta, root, name)
            return None, f"the `aws` provider comes from {source!r} ({where}), not {_AWS}"
        return None, None
    if version is None:
        return None, None  # no constraint: any version
    if not isinstance(version, str) or meta.get("references"):
        where = _line_of(meta, root, name)
        return None, f"the `aws` provider version at {where} is not a literal constraint"
    return Pin(version, _line_of(meta, root, name, then="version")), None


def _line_of(meta: dict[str, Any], root: Path, name: str, then: str | None = None) -> Location:
    """Where `name = ...` (and after it, `then = ...`) is written inside the block."""
    file = normpath(root / meta["filename"])
    text = lines(file)
    found = meta["line_start"]
    for key in (name, then) if then else (name,):
        pattern = re.compile(rf'\s*"?{re.escape(key)}"?\s*[=:]')
        for number in range(found, min(meta["line_end"], len(text)) + 1):
            if pattern.match(text[number - 1]):
                found = number
                break
    return Location(display_path(file), found)


def _locked(root: Path) -> Pin | None:
    path = root / LOCK_FILE
    if not path.is_file():
        return None
    text = read_text(path)
    for match in _LOCK_PROVIDER.finditer(text):
        if without_registry_host(match["address"].lower()) != _AWS:
            continue
        body_end = text.find("\n}", match.end())
        version = _LOCK_VERSION.search(text, match.end(), body_end if body_end >= 0 else len(text))
        if version is None:
            continue
        line = text.count("\n", 0, version.start("version")) + 1
        return Pin(version["version"], Location(display_path(path), line))
    return None
