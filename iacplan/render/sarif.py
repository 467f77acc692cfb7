"""SARIF 2.1.0 for code scanning: one run, one rule entry per rule ID found, results with the
file and line from the repository root (see repo_paths), suppressed findings as suppressions.

Each result's `partialFingerprints` is built from the rule, environment and file, not the line
or message, so a finding keeps its identity across runs while the code around it changes."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import quote

from iacplan import __version__
from iacplan.model import Finding, Severity
from iacplan.render.context import Context
from iacplan.render.repo_paths import RepoPaths
from iacplan.report import Report
from iacplan.rules import RULES

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning"}
_ROOT = "SRCROOT"


def render(report: Report, colour: bool = False, context: Context | None = None) -> str:
    paths = (context or Context()).paths
    rule_ids = sorted({f.rule for f in report.findings})
    known = {rule.id: rule for rule in RULES}
    rules = []
    for rule_id in rule_ids:
        entry: dict[str, Any] = {"id": rule_id, "name": rule_id}
        if rule_id in known:
            rule = known[rule_id]
            entry["shortDescription"] = {"text": rule.summary}
            entry["defaultConfiguration"] = {"level": _LEVEL[rule.severity]}
        rules.append(entry)
    sarif = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "iacplan",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {_ROOT: {"uri": paths.root.as_uri() + "/"}},
                "results": [_result(f, rule_ids.index(f.rule), paths) for f in report.findings],
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"


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
