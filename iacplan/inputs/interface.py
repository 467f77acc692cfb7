"""What every input kind is: it detects a path it reads, and loads it into environments.

An input kind (a Terraform configuration, a plan JSON, a CloudFormation template, a change
set…) is one object with a `name`, `detect` and `load`; the registry in `iacplan.inputs` asks
each in turn. A kind's module imports what is costly to import only in `load` (or in `detect`,
when looking needs it), so that a run pays only for the kinds it reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from iacplan.inputs import requirements
from iacplan.inputs.files import display_path, parse_json, read_text
from iacplan.inputs.requirements import Given
from iacplan.model import Environment

if TYPE_CHECKING:  # made only for a PR's base and head
    from iacplan.inputs.untouched import Scope


@dataclass(frozen=True)
class TerraformInputs:
    """Inputs as `terraform plan` takes them; applied to every root module evaluated."""

    var_files: tuple[Path, ...] = ()
    variables: tuple[tuple[str, str], ...] = ()
    # A Terragrunt unit's inputs (JSON), at the precedence of TF_VAR_*: below every file.
    unit_variables: str | None = None


@dataclass(frozen=True)
class Inputs:
    """Everything the user passes to evaluate definitions, per input kind."""

    terraform: TerraformInputs = field(default_factory=TerraformInputs)
    parameters: tuple[tuple[str, str], ...] = ()  # CloudFormation --parameter KEY=VALUE
    parameter_files: tuple[Path, ...] = ()  # CloudFormation --parameters-file
    # The templates a change set was made from: they give the versions and the source bucket
    # that a change set without property values leaves out.
    template: Path | None = None  # --template: the proposed template
    template_base: Path | None = None  # --base, when --template is given: the deployed one
    requirements: Given = field(default_factory=Given)  # --requirements
    # --only: read one kind of input (pre-commit hooks); files of other kinds are skipped, and so
    # is a file given that is not a template (or cannot define an environment).
    only: str | None = None  # "terraform" | "cloudformation"
    # Terragrunt's get_env() reads only these names from the environment (--env-allow).
    env_allow: frozenset[str] = frozenset()
    # What a change can affect (a PR's base and head): the untouched root modules and templates
    # are not read. None: everything is.
    scope: Scope | None = None


@dataclass(frozen=True)
class Loaded:
    """What loading a path gave: its environments, and the deployed side where the input
    carries one."""

    head: tuple[Environment, ...]
    # Plans and change sets carry the deployed side themselves; definitions do not.
    base: tuple[Environment, ...] | None = None
    # Ids unique only within this file (a plan's addresses), unlike a change set's stack name.
    local_ids: bool = False

    def prefixed(self, prefix: str) -> Loaded:
        """Ids that stay apart from other inputs' (two plans may both hold `…main`)."""

        def rename(envs: tuple[Environment, ...]) -> tuple[Environment, ...]:
            return tuple(replace(env, id=f"{prefix}:{env.id}") for env in envs)

        base = None if self.base is None else rename(self.base)
        return Loaded(rename(self.head), base, local_ids=False)

    def with_requirements(self, top: Path, given: Given) -> Loaded:
        """The head environments with the requirements file given for them or found below
        `top` (the directory given on the command line)."""
        return replace(self, head=requirements.attach(self.head, top, given))


class Source:
    """A path as the input kinds look at it: what the user passes with it, and the file's text
    and JSON read once for all the kinds that look."""

    def __init__(
        self, path: Path, inputs: Inputs, name: str | None = None, shared: bool = False
    ) -> None:
        self.path = path
        self.inputs = inputs
        # What stands for a file's own name in ids (a base file compared with a head file of
        # another name).
        self.name = name
        # Another kind reads this directory too: read only what is surely this kind's, and
        # finding nothing is no error.
        self.shared = shared

    @property
    def shown(self) -> str:
        """The path as messages and reports show it."""
        return display_path(self.path)

    @cached_property
    def text(self) -> str:
        return read_text(self.path)

    @cached_property
    def document(self) -> object:
        """The file's JSON; None when it is not JSON (YAML, say) and its name does not end in
        .json (such a file's invalid JSON is an error)."""
        return parse_json(self.shown, self.text, strict=self.path.suffix.lower() == ".json")


class InputKind(Protocol):
    """One kind of input. A directory is loaded by every kind that detects it, each its part
    (CloudFormation templates in a Terraform tree); a file, by the first kind that detects it.
    """

    @property
    def name(self) -> str:
        """What the kind is, in a few words ("Terraform plan JSON")."""
        ...

    def detect(self, source: Source) -> bool:
        """Whether this kind reads `source` (an existing path)."""
        ...

    def load(self, source: Source) -> Loaded:
        """The environments at `source`; InputError when it cannot be read."""
        ...
