"""SARIF 2.1.0 for GitHub code scanning: one run whose driver lists every rule with its help,
results with the file and line from the repository root (see repo_paths).

- Rules: every rule, in `iacplan rules` order, whatever was found (code scanning expects the
  rules of a tool to change with the tool, not with the code checked). Each has its readable
  `name`, `shortDescription` (when it fires), `fullDescription` and `help` (text and Markdown,
  from the rule's description), `helpUri` (the AWS MWAA or Airflow page that explains it),
  `defaultConfiguration.level` and `properties.tags`.
- Suppressed findings are left out: code scanning ignores `suppressions` and opens an alert for
  each result. With `Options.include_suppressed` they are written, marked with `suppressions`,
  for other SARIF consumers.
- `automationDetails.id` is the run's code-scanning category: `Options.category` when given,
  else one derived from the target (the paths checked, from the repository root). Each target
  keeps its own alerts: an upload for one closes none of another's. upload-sarif's `category`
  input is ignored when the file has one, so a category goes to iacplan, not to the action.
- Each result's `partialFingerprints` is built from the rule, environment and file, not the line
  or message, so a finding keeps its identity across runs while the code around it changes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from iacplan import PROJECT_URL, __version__
from iacplan.model import Finding, Severity
from iacplan.render.context import Context
from iacplan.render.repo_paths import RepoPaths
from iacplan.report import Report
from iacplan.rules import RULES, Rule

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning"}
_ROOT = "SRCROOT"
CATEGORY_PREFIX = "iacplan"


@dataclass(frozen=True)
class Options:
    """`--sarif-category` and `--sarif-suppressed`."""

    category: str | None = None  # the code-scanning category; None: from the target
    include_suppressed: bool = False  # write suppressed findings (marked), which GitHub alerts


def render(
    report: Report,
    colour: bool = False,
    context: Context | None = None,
    options: Options | None = None,
) -> str:
    paths = (context or Context()).paths
    options = options or Options()
    rules = list(RULES)
    known = {rule.id for rule in rules}
    extra = sorted({f.rule for f in report.findings} - known)  # a report from another version
    index = {rule.id: i for i, rule in enumerate(rules)} | {
        rule_id: len(rules) + i for i, rule_id in enumerate(extra)
    }
    shown = [f for f in report.findings if options.include_suppressed or not f.suppressed]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "iacplan",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": PROJECT_URL,
                "rules": [_descriptor(rule) for rule in rules]
                + [{"id": rule_id, "shortDescription": {"text": rule_id}} for rule_id in extra],
            }
        },
        "originalUriBaseIds": {_ROOT: {"uri": paths.root.as_uri() + "/"}},
        "results": [_result(f, index[f.rule], paths) for f in shown],
        "columnKind": "unicodeCodePoints",
    }
    category = options.category or target_category(report.targets, paths)
    if category:
        run["automationDetails"] = {"id": automation_id(category)}
    sarif = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"


def target_category(targets: tuple[str, ...], paths: RepoPaths) -> str | None:
    """The category of a run over `targets` (the paths checked, as given): `iacplan/` and the
    paths from the repository root, sorted, joined by `,` (`.` is the root). None when the
    targets are not known (a report read back from JSON)."""
    if not targets:
        return None
    shown = sorted({paths.relative(t) or t for t in targets})
    return f"{CATEGORY_PREFIX}/" + ",".join(p or "." for p in shown)


def automation_id(category: str) -> str:
    """GitHub reads the id as `category/run-id`; the run id is left empty (as upload-sarif
    does), so that every upload of the category replaces the one before."""
    return category if category.endswith("/") else category + "/"


def _descriptor(rule: Rule) -> dict[str, Any]:
    plain = _plain(rule.description)
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": _plain(rule.summary)},
        "fullDescription": {"text": plain},
        "help": {
            "text": f"{plain}\n\n{rule.help_title}: {rule.help_url}\n\n{_policy(rule)}",
            "markdown": f"{rule.description}\n\n[{rule.help_title}]({rule.help_url})\n\n"
            f"{_policy(rule, code='`')}",
        },
        "helpUri": rule.help_url,
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {
            "tags": list(rule.tags),
            "precision": "high",
            "problem.severity": _LEVEL[rule.severity],
        },
    }


def _policy(rule: Rule, code: str = "") -> str:
    return (
        f"Default severity: {rule.severity.value}. In {code}.iacplan.yaml{code}, change it "
        f"({code}severity:{code}) or suppress a finding for one environment with a reason "
        f"({code}suppressions:{code})."
    )


def _plain(text: str) -> str:
    """Markdown code spans as plain text, for the SARIF fields shown as text."""
    return text.replace("`", "")


def _result(finding: Finding, rule_index: int, paths: RepoPaths) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.severity],
        "message": {"text": f"{finding.environment}: {finding.message}"},
        "locations": [_location(finding, paths)],
        "partialFingerprints": {"iacplanFinding/v1": _fingerprint(finding, paths)},
    }
    if finding.suppressed:
        result["suppressions"] = [
            {"kind": "external", "justification": finding.suppression_reason or ""}
        ]
    return result


def _location(finding: Finding, paths: RepoPaths) -> dict[str, Any]:
    file, line = finding.location.file, finding.location.line
    relative = paths.relative(file)
    artifact = (
        {"uri": quote(relative), "uriBaseId": _ROOT}
        if relative is not None
        else {"uri": (paths.cwd / file).as_uri()}
    )
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if line >= 1:
        physical["region"] = {"startLine": line}
    return {
        "physicalLocation": physical,
        "logicalLocations": [{"fullyQualifiedName": finding.environment, "kind": "resource"}],
    }


def _fingerprint(finding: Finding, paths: RepoPaths) -> str:
    where = paths.relative(finding.location.file) or finding.location.file
    key = "\0".join((finding.rule, finding.environment, where))
    return hashlib.sha256(key.encode()).hexdigest()[:32]
