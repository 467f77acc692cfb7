"""iacplan's single-template rules as cfn-lint rules: `cfn-lint --append-rules iacplan.cfnlint`.

cfn-lint imports this module and instantiates every CloudFormationLintRule subclass in it. Each
rule runs the iacplan rule of the same number on the template's environments, checked on their
own (no base), so cfn-lint and `iacplan check` say the same thing in the same words.

Parameters take the values of each of cfn-lint's parameter sets (`--parameters KEY=VALUE`,
`--parameter-files`, deployment files), else their Default. The catalog and the date are
`iacplan check`'s: `versions_file` in ./.iacplan.yaml, and IACPLAN_TODAY.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from iacplan.catalog.versions import load_catalog
from iacplan.config import load_config, today
from iacplan.inputs.cloudformation.template import environments
from iacplan.inputs.cloudformation.values import Parameters, line_of
from iacplan.model import Change, ChangeKind, Environment, Location
from iacplan.rules import Context, Hit, Rule, judge
from iacplan.rules.bucket import UNVERSIONED_BUCKET, unversioned
from iacplan.rules.catalog import END_OF_SUPPORT, UNKNOWN_VERSION
from iacplan.rules.unresolved import UNRESOLVED_VERSION


def _described(rule: Rule) -> str:
    """cfn-lint's description of the iacplan rule: the rule's own (`iacplan rules`)."""
    return f"iacplan {rule.id}: {rule.description}"


class _Iacplan:
    """What every rule here shares. Not itself a CloudFormationLintRule, so that cfn-lint,
    which instantiates every such class in this module, does not take it for a rule."""

    def hits(self, environment: Environment, context: Context) -> Iterator[Hit]:
        raise NotImplementedError

    def match(self, cfn: Any) -> list[RuleMatch]:
        template: Mapping[str, Any] = cfn.template
        if not self._given_parameters(cfn):
            return []
        context = _context()
        matches = []
        seen: set[tuple[tuple[str, ...], str]] = set()
        for parameters in _parameter_sets(cfn):
            for env in environments(template, cfn.filename or "template", "", parameters):
                for hit in self.hits(env, context):
                    where = hit.location or env.version.location
                    path = _path_at(template, where, env)
                    if (tuple(path), hit.message) not in seen:  # the same for several sets
                        seen.add((tuple(path), hit.message))
                        matches.append(RuleMatch(path, hit.message))
        return matches

    def _given_parameters(self, cfn: Any) -> bool:
        """False for the pass cfn-lint (1.58) makes without parameters after linting a template
        with --parameter-files: its values were given, so "no value" would be wrong there."""
        with_sets: set[str] = self.__dict__.setdefault("_linted_with_parameters", set())
        name = str(cfn.filename)
        if getattr(getattr(cfn, "context", None), "parameter_sets", None):
            with_sets.add(name)
            return True
        return name not in with_sets


@cache
def _context() -> Context:
    """`iacplan check`'s catalog and date, read once per cfn-lint run."""
    return Context(catalog=load_catalog(load_config(None).versions_file), today=today())


_OPTIONS = "cfn-lint --parameters or --parameter-files"


def _parameter_sets(cfn: Any) -> list[Parameters]:
    """One Parameters per parameter set cfn-lint was given; without any, Defaults only."""
    context = getattr(cfn, "context", None)
    sets = getattr(context, "parameter_sets", None) or []
    found = [
        Parameters({str(k): _text(v) for k, v in (s.parameters or {}).items()}, options=_OPTIONS)
        for s in sets
    ]
    return found or [Parameters({}, options=_OPTIONS)]


def _text(value: object) -> str:
    """A parameter value as CloudFormation passes it: a list is comma-delimited."""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


class _SharedRule(_Iacplan):
    rule: Rule

    def hits(self, environment: Environment, context: Context) -> Iterator[Hit]:
        change = Change(environment.id, None, environment, ChangeKind.NO_BASE)
        return (hit for rule, hit in judge(change, context) if rule is self.rule)


class UnknownVersion(_SharedRule, CloudFormationLintRule):  # type: ignore[misc]
    id = "E9004"
    shortdesc = "AirflowVersion is not a version MWAA offers"
    description = _described(UNKNOWN_VERSION)
    source_url = UNKNOWN_VERSION.help_url
    tags: ClassVar[list[str]] = ["resources", "mwaa", "iacplan"]
    rule = UNKNOWN_VERSION


class UnresolvedVersion(_SharedRule, CloudFormationLintRule):  # type: ignore[misc]
    id = "W9008"
    shortdesc = "AirflowVersion cannot be resolved"
    description = _described(UNRESOLVED_VERSION)
    source_url = UNRESOLVED_VERSION.help_url
    tags: ClassVar[list[str]] = ["resources", "mwaa", "iacplan"]
    rule = UNRESOLVED_VERSION


class EndOfSupport(_SharedRule, CloudFormationLintRule):  # type: ignore[misc]
    id = "W9009"
    shortdesc = "AirflowVersion is deprecated or past end of support"
    description = _described(END_OF_SUPPORT)
    source_url = END_OF_SUPPORT.help_url
    tags: ClassVar[list[str]] = ["resources", "mwaa", "iacplan"]
    rule = END_OF_SUPPORT


class UnversionedBucket(_Iacplan, CloudFormationLintRule):  # type: ignore[misc]
    id = "W9005"
    shortdesc = "MWAA source bucket without versioning"
    description = (
        "iacplan MWAA005, for one template (it fires without a version change, since MWAA "
        f"needs a versioned source bucket anyway): {UNVERSIONED_BUCKET.description}"
    )
    source_url = UNVERSIONED_BUCKET.help_url
    tags: ClassVar[list[str]] = ["resources", "mwaa", "s3", "iacplan"]

    def hits(self, environment: Environment, context: Context) -> Iterator[Hit]:
        hit = unversioned(environment.bucket) if environment.bucket is not None else None
        return iter([hit] if hit is not None else [])


def _path_at(template: Mapping[str, Any], where: Location, env: Environment) -> list[str]:
    """The template path of the key at the hit's line (cfn-lint turns paths into lines)."""
    resources = template.get("Resources") or {}
    for logical_id, resource in resources.items():
        path = _key_path(resource, where.line, ["Resources", str(logical_id)])
        if path is not None:
            return path
        if line_of(logical_id, 0) == where.line:
            return ["Resources", str(logical_id)]
    return ["Resources", env.address]


def _key_path(node: object, line: int, path: list[str]) -> list[str] | None:
    if isinstance(node, dict):
        for key, value in node.items():
            if line_of(key, 0) == line:
                return [*path, str(key)]
            found = _key_path(value, line, [*path, str(key)])
            if found is not None:
                return found
    return None
