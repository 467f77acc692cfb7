"""CloudFormation's input kinds: a change set as `describe-change-set` prints it, and
templates (a file, or every template below a directory)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iacplan.inputs.cloudformation.directory import load_directory, parameters
from iacplan.inputs.interface import Loaded, Source

if TYPE_CHECKING:
    from iacplan.inputs.cloudformation.values import Parameters
    from iacplan.model import Environment


@dataclass(frozen=True)
class ChangeSet:
    """`aws cloudformation describe-change-set` output (one page, or a JSON list of pages),
    with the templates it was made from when --template (and --base) name them."""

    name: str = "CloudFormation change set"

    def detect(self, source: Source) -> bool:
        return not source.path.is_dir() and _pages(source) is not None

    def load(self, source: Source) -> Loaded:
        from iacplan.inputs.cloudformation import changeset
        from iacplan.inputs.cloudformation.values import Parameters

        pages = _pages(source)
        assert pages is not None
        inputs = source.inputs
        # The change set's own parameters are what it executes with; the deployed stack's
        # values are in no file, so the deployed template's parameters are unknown.
        head_parameters = parameters(inputs).overridden_by(changeset.parameters(source.path, pages))
        deployed = Parameters({}, all_unknown="the deployed stack's value is not in the change set")
        # Only the proposed template's cfn-lint notes are shown.
        templates = changeset.Templates(
            head=_by_logical_id(inputs.template, head_parameters, lint=True),
            base=_by_logical_id(inputs.template_base, deployed, lint=False),
        )
        base, head = changeset.load(source.path, pages, templates)
        return Loaded(tuple(head), tuple(base))


@dataclass(frozen=True)
class Templates:
    """A template file, or every template below a directory. In a directory another kind
    reads too (Terraform's), only files that name an AWS resource type are read, and finding
    none is fine. A file no other kind detects ends here, and is refused if it is no template.
    """

    name: str = "CloudFormation template"

    def detect(self, source: Source) -> bool:
        return True  # any directory may hold templates; any file left may be one

    def load(self, source: Source) -> Loaded:
        if source.path.is_dir():
            return Loaded(tuple(load_directory(source.path, source.inputs, beside=source.shared)))
        from iacplan.inputs.cloudformation import template

        # A template's id is its path relative to the argument, so a base and a head file of
        # the same name pair up wherever they are.
        prefix = source.name or source.path.name
        return Loaded(tuple(template.load_template(source.path, parameters(source.inputs), prefix)))


def _pages(source: Source) -> list[dict[str, Any]] | None:
    from iacplan.inputs.cloudformation import changeset  # only for a file that may be one

    doc = source.document
    return changeset.pages(doc) if doc is not None else None


def _by_logical_id(path: Path | None, parameters: Parameters, lint: bool) -> dict[str, Environment]:
    if path is None:
        return {}
    from iacplan.inputs.cloudformation import template

    found = template.load_template(path, parameters, path.name, lint)
    return {env.address: env for env in found}
