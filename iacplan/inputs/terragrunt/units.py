"""Terragrunt live trees: each unit's module evaluated with the unit's merged `inputs`.

`config.py` evaluates the Terragrunt files; this module turns units into what the Terraform
evaluation runs (`UnitRun`: a module directory, the unit's id prefix and its inputs as the
lowest-precedence variables, as Terragrunt passes them through TF_VAR_*), and judges units of
remote modules by their version input. An input that cannot be evaluated is passed as null,
which the evaluator treats as a variable without a value: unknown, never the module default.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

from iacplan.inputs.files import display_path, read_text, tf_files
from iacplan.inputs.terragrunt.config import (
    UNREAD_NAMES,
    Options,
    Unit,
    is_candidate,
    load_unit,
)
from iacplan.inputs.terragrunt.expressions import Unknown, Val, first_unknown
from iacplan.inputs.terragrunt.run import CONFIG_NAME, UnitRun
from iacplan.model import Environment, EnvironmentKind, Location, Value

# Inputs that carry a remote module's Airflow version (a unit of a module iacplan cannot read).
VERSION_INPUT = re.compile(r"^(?:mwaa_)?airflow_version(?:_number)?$")
_MWAA_HINT = re.compile(r"airflow|mwaa", re.I)
_VARIABLE = re.compile(r'^\s*variable\s+"([^"]+)"', re.M)


def find_units(top: Path, options: Options) -> list[Unit]:
    """Every unit below `top`; .terragrunt-cache and other hidden folders are skipped."""
    units = []
    for path in _config_files(top, (CONFIG_NAME,)):
        if is_candidate(path):
            unit = load_unit(path, options)
            if unit is not None:
                units.append(unit)
    return units


def unread_environments(top: Path) -> list[Environment]:
    """Terragrunt files outside the evaluated subset (stacks, JSON configuration) that name
    Airflow or MWAA: each an environment of unknown version, never passed over."""
    found = []
    for path in _config_files(top, UNREAD_NAMES):
        if not _MWAA_HINT.search(read_text(path)):
            continue
        shown = display_path(path)
        why = f"{shown}: iacplan does not evaluate {path.name} files; check the units it makes"
        location = Location(shown, 1)
        relative = os.path.relpath(os.path.abspath(path), os.path.abspath(top))
        found.append(
            Environment(
                id=f"{relative.replace(os.sep, '/')}:terragrunt",
                kind=EnvironmentKind.TERRAFORM,
                address="terragrunt",
                name=Value.unknown(why, location),
                version=Value.unknown(why, location),
                location=location,
                bucket=None,
            )
        )
    return found


def _config_files(top: Path, names: tuple[str, ...]) -> Iterator[Path]:
    seen: set[str] = set()
    for directory, dirnames, filenames in os.walk(top, followlinks=True):
        real = os.path.realpath(directory)
        if real in seen:
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in names:
            if name in filenames:
                yield Path(directory) / name


def runs(units: list[Unit], top: Path) -> list[UnitRun]:
    """The module evaluations of the units whose module is a local directory."""
    result = []
    for unit in units:
        if unit.source.directory is None:
            continue
        values: dict[str, Val] = dict(unit.inputs.values)
        if unit.inputs.rest is not None:
            for name in _declared_variables(unit.source.directory):
                values.setdefault(name, unit.inputs.rest)
        unknown = {}
        for name, value in values.items():
            found = first_unknown(value)
            if found is not None:
                unknown[name] = found.why
        known = {k: (None if k in unknown else v) for k, v in values.items()}
        version_input = next(
            (
                (value, unit.inputs.lines[name])
                for name, value in known.items()
                if VERSION_INPUT.match(name)
                and isinstance(value, str)
                and name in unit.inputs.lines
            ),
            None,
        )
        result.append(
            UnitRun(
                unit.source.directory,
                _prefix(unit, top),
                json.dumps(known, sort_keys=True),
                tuple(sorted(unknown.items())),
                unit.file,
                version_input,
            )
        )
    return result


def _prefix(unit: Unit, top: Path) -> str:
    directory = Path(os.path.abspath(unit.directory))
    relative = os.path.relpath(directory, os.path.abspath(top)).replace(os.sep, "/")
    return f"{relative}:"


def _declared_variables(module: Path) -> list[str]:
    names: list[str] = []
    for path in tf_files(module):
        text = read_text(path)
        if path.name.endswith(".json"):
            try:
                names += list(json.loads(text).get("variable", {}))
            except (ValueError, AttributeError):
                continue
        else:
            names += _VARIABLE.findall(text)
    return sorted(set(names))


def remote_environments(units: list[Unit], top: Path) -> list[Environment]:
    """Units whose module cannot be read (remote, or a source that cannot be evaluated):
    judged by their version input where they have one; a unit with none that points at
    MWAA, or whose source is unknown, is an environment of unknown version."""
    found = []
    for unit in units:
        source = unit.source
        if source.directory is not None:
            continue
        versions = [k for k in unit.inputs.values if VERSION_INPUT.match(k)]
        hint = source.remote or ""
        if not versions and source.unknown is None and not _MWAA_HINT.search(hint):
            continue
        shown = display_path(unit.file)
        why_unread = (
            source.unknown
            if source.unknown
            else f"the module {source.remote} is remote: iacplan does not download it"
        )
        location = source.location
        if versions:
            name = versions[0]
            location = unit.inputs.lines.get(name, location)
            version = _value(unit.inputs.values[name], location, f"inputs.{name}")
        elif unit.inputs.rest is not None:
            version = Value.unknown(
                f"{why_unread}; its inputs are unknown: {unit.inputs.rest.why}", location
            )
        else:
            version = Value.unknown(
                f"{why_unread}, and the unit sets no Airflow version input", location
            )
        name_value = (
            _value(
                unit.inputs.values["name"], unit.inputs.lines.get("name", location), "inputs.name"
            )
            if "name" in unit.inputs.values
            else Value.missing("the unit sets no name input", location)
        )
        found.append(
            Environment(
                id=f"{_prefix(unit, top)}terragrunt",
                kind=EnvironmentKind.TERRAFORM,
                address="terragrunt",
                name=name_value,
                version=version,
                location=Location(shown, source.location.line),
                bucket=None,
                notes=(f"{shown}: {why_unread}; judged by its inputs",),
            )
        )
    return found


def _value(value: Val, location: Location, what: str) -> Value:
    if isinstance(value, Unknown):
        return Value.unknown(f"{what} cannot be evaluated: {value.why}", location)
    if value is None:
        return Value.missing(f"{what} is null", location)
    if isinstance(value, str):
        return Value.known(value, location)
    return Value.unknown(f"{what} is not a string", location)
