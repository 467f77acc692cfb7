"""Every template below a directory. The files are found and pre-filtered here, without the
template reader: most directories iacplan reads are Terraform trees with no template beside
them, and the reader's import (its resolver, cfn-lint's plugins) is part of the command's
start."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from iacplan.errors import InputError, NoDefinitions
from iacplan.inputs import confine
from iacplan.inputs.files import display_path, read_text
from iacplan.inputs.prefilter import cloudformation_may_hold, looks_like_template

if TYPE_CHECKING:
    from iacplan.inputs.cloudformation.values import Parameters
    from iacplan.inputs.interface import Inputs
    from iacplan.model import Environment

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")


def parameters(inputs: Inputs) -> Parameters:
    """The template parameters --parameter and --parameters-file give."""
    from iacplan.inputs.cloudformation.values import read_parameters

    return read_parameters(inputs.parameters, inputs.parameter_files)


def load_directory(directory: Path, inputs: Inputs, beside: bool = False) -> list[Environment]:
    """Every template below `directory`; ids are the templates' paths relative to it.
    Other YAML and JSON files (parameter files, configs) are skipped, and so are templates
    whose text cannot define an environment (prefilter.py): they are not even decoded.
    `beside`: the tree is Terraform's, so only files that name an AWS resource type are read
    as templates, and finding none is fine (a Helm chart or a CI config is not an error there)."""
    templates = 0
    candidates: list[Path] = []
    for path in _files(directory):
        if confine.reason(path) is not None:
            continue  # a link out of the repository (or to a FIFO): not read, not a template
        if beside and (path.name.endswith(".tf.json") or not _may_be_template(path)):
            continue
        text = read_text(path)
        if not cloudformation_may_hold(text):
            templates += looks_like_template(text)
        elif inputs.scope is None or inputs.scope.evaluates_template(path):
            candidates.append(path)
        else:
            templates += 1  # untouched by the change: not read, not "no templates found"
    found: list[list[Environment] | None] = []
    if candidates:
        from iacplan.inputs.cloudformation import template

        found = template.read_candidates(directory, candidates, parameters(inputs))
    elif inputs.parameters or inputs.parameter_files:
        parameters(inputs)  # a bad parameters file is refused even with no template to read
    templates += sum(envs is not None for envs in found)
    if not templates and not beside:
        raise NoDefinitions(
            f"{display_path(directory)}: no Terraform files (.tf, .tf.json) or CloudFormation "
            "templates found"
        )
    return [env for envs in found for env in envs or ()]


def _files(directory: Path) -> list[Path]:
    """The files below `directory` with a template's suffix, hidden ones (and those in hidden
    directories) left out, in the order of their paths."""
    found = []
    for top, dirnames, filenames in os.walk(directory):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if not name.startswith(".") and name.endswith(TEMPLATE_SUFFIXES):
                found.append(Path(top, name))
    return sorted(p for p in found if p.is_file())


def _may_be_template(path: Path) -> bool:
    """Beside Terraform, whether a YAML or JSON file could be a template: it names an AWS type,
    has a Resources section (a template that uses module types only, or spells its types with
    escapes, does not name "AWS::"), or holds a backslash (escapes can spell "Resources" too;
    the pre-filter then looks at them closely)."""
    try:
        with path.open("rb") as handle:
            data = handle.read()
            return b"AWS::" in data or b"Resources" in data or b"\\" in data
    except OSError as exc:
        raise InputError(f"{display_path(path)}: cannot read: {exc.strerror}") from exc
