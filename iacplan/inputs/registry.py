"""The registry of input kinds: which kinds read a path, and loading it.

Adding an input kind is one subpackage (or module) with an `InputKind` and one entry in
`KINDS`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from iacplan.errors import InputError
from iacplan.inputs import requirements
from iacplan.inputs.cloudformation import kinds as cloudformation
from iacplan.inputs.files import TF_SUFFIXES, clear_caches, display_path, parse_json, read_text
from iacplan.inputs.interface import InputKind, Inputs, Loaded, Source, TerraformInputs
from iacplan.inputs.prefilter import cloudformation_may_hold, looks_like_template
from iacplan.inputs.requirements import Given
from iacplan.inputs.terraform import kinds as terraform
from iacplan.inputs.terraform.kinds import load_plan_text

__all__ = [
    "KINDS",
    "Given",
    "InputKind",
    "Inputs",
    "Loaded",
    "TerraformInputs",
    "display_path",
    "kinds_of",
    "load",
    "load_plan_text",
    "requirements",
]

# In the order they are asked. A file goes to the first that detects it (CloudFormation
# templates last: a file no other kind reads is refused there, saying what iacplan reads); a
# directory to every kind that detects it.
KINDS: tuple[InputKind, ...] = (
    terraform.Configuration(),
    terraform.Plan(),
    cloudformation.ChangeSet(),
    cloudformation.Templates(),
)


def load(path: Path, inputs: Inputs, name: str | None = None) -> Loaded:
    """Every MWAA environment defined at `path` (a directory or a file); `name` stands for a
    file's own name in ids (a base file compared with a head file of another name)."""
    clear_caches()  # the files may have changed since an earlier load in this process
    if inputs.only is not None:
        return _load_only(path, inputs, name)
    source = Source(path, inputs, name)
    found = kinds_of(source)
    if len(found) == 1:
        return found[0].load(source)
    source.shared = True
    # Several kinds read a directory (a Terraform tree, and templates beside it): each its own
    # part. The later kinds' parts are read first, so that cfn-lint's import overlaps the start
    # of the Terraform evaluator's child (iacplan.runtime.forked).
    parts = [kind.load(source) for kind in reversed(found)]
    return Loaded(tuple(env for part in reversed(parts) for env in part.head))


def kinds_of(source: Source) -> list[InputKind]:
    """The kinds that read `source`: for a file the first that detects it, for a directory
    every one."""
    if source.path.is_dir():
        return [kind for kind in KINDS if kind.detect(source)]
    if not source.path.exists():
        raise InputError(f"{source.shown}: no such file or directory")
    for kind in KINDS:
        if kind.detect(source):
            return [kind]
    raise InputError(f"{source.shown}: not an input iacplan reads")


def _load_only(path: Path, inputs: Inputs, name: str | None) -> Loaded:
    """`load` with --only (the pre-commit hooks): one family of input kinds, the others
    skipped without a word; so is a file given that cannot be one of the family's."""
    from iacplan.inputs.cloudformation import template
    from iacplan.inputs.cloudformation.directory import load_directory
    from iacplan.inputs.terraform import hcl

    if not path.exists():
        raise InputError(f"{display_path(path)}: no such file or directory")
    terraform_file = path.name.endswith(TF_SUFFIXES)
    if inputs.only == "terraform":
        if path.is_dir() or terraform_file:
            module = path if path.is_dir() else path.parent
            return Loaded(tuple(hcl.load_tree(module, inputs.terraform)))
        if path.suffix.lower() != ".json":
            return Loaded(())
        doc = parse_json(display_path(path), read_text(path), strict=True)
        return load(path, replace(inputs, only=None), name) if _is_plan(doc) else Loaded(())
    if path.is_dir():
        return Loaded(tuple(load_directory(path, inputs)))
    if terraform_file:
        return Loaded(())
    text = read_text(path)
    if not cloudformation_may_hold(text):  # as in a directory: it cannot define an environment
        return Loaded(())
    try:
        doc = parse_json(display_path(path), text, strict=path.suffix.lower() == ".json")
        if doc is None:  # YAML
            doc = template.decode(path)
    except InputError:
        if looks_like_template(text):
            raise  # a broken template is reported; other broken YAML is not iacplan's
        return Loaded(())
    from iacplan.inputs.cloudformation import changeset

    if _is_plan(doc) or not (template.is_template(doc) or changeset.pages(doc) is not None):
        return Loaded(())
    return load(path, replace(inputs, only=None), name)


def _is_plan(doc: object) -> bool:
    from iacplan.inputs.terraform import plan as terraform_plan

    return terraform_plan.is_plan(doc)
