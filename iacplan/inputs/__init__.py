"""Where environments come from: the input kinds, each behind `interface.InputKind`, and the
registry that picks the kinds that read a path.

Adding an input kind is one subpackage (or module) with an `InputKind` and one entry in
`KINDS`.
"""

from __future__ import annotations

from pathlib import Path

from iacplan.errors import InputError
from iacplan.inputs import requirements
from iacplan.inputs.cloudformation import kinds as cloudformation
from iacplan.inputs.files import clear_caches, display_path
from iacplan.inputs.interface import InputKind, Inputs, Loaded, Source, TerraformInputs
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
