"""JUnit XML for CI systems that show test reports: one testsuite, one testcase per
environment, and one <failure> in a testcase with unsuppressed errors (their messages joined,
since report viewers show only a testcase's first failure); warnings and suppressed findings
go to the testcase's <system-out>.

It follows the Jenkins/xunit `junit-10.xsd` that GitLab, Jenkins and most viewers accept:
`tests`, `failures` (failed testcases) and `errors` are always written, and a testcase has only
`name` and `classname`, so each finding's file and line are in its text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from iacplan.model import Finding, Severity
from iacplan.render.context import Context
from iacplan.render.repo_paths import RepoPaths
from iacplan.report import Report

# Characters XML 1.0 cannot hold, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render(report: Report, colour: bool = False, context: Context | None = None) -> str:
    paths = (context or Context()).paths
    suite = ET.Element("testsuite", name="iacplan", tests=str(len(report.environments)))
    failed = 0
    for entry in report.environments:
        case = ET.SubElement(
            suite, "testcase", name=_clean(entry.id), classname=f"iacplan.{entry.kind}"
        )
        where = _where(paths, entry.file, entry.line)
        versions = f"{entry.shown('base')} -> {entry.shown('head')}"
        notes = [f"{where}: {versions} ({entry.change.value}): {entry.verdict.value}"]
        errors = []
        for finding in report.findings_of(entry.id):
            if finding.severity is Severity.ERROR and not finding.suppressed:
                errors.append(finding)
            else:
                notes.append(_described(finding, paths))
        if errors:
            failed += 1
            failure = ET.SubElement(
                case,
                "failure",
                message=_clean("; ".join(_message(f, paths) for f in errors)),
                type=", ".join(dict.fromkeys(f.rule for f in errors)),
            )
            failure.text = _clean("\n".join(_described(f, paths) for f in errors))
        ET.SubElement(case, "system-out").text = _clean("\n".join(notes))
    suite.set("failures", str(failed))
    suite.set("errors", "0")  # a JUnit error is a test that broke; iacplan exits 2 instead
    ET.indent(suite)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
    )


def _where(paths: RepoPaths, file: str, line: int) -> str:
    shown = paths.relative(file) or file
    return f"{shown}:{line}" if line >= 1 else shown


def _message(finding: Finding, paths: RepoPaths) -> str:
    where = _where(paths, finding.location.file, finding.location.line)
    return f"{finding.rule} {where}: {finding.message}"


def _described(finding: Finding, paths: RepoPaths) -> str:
    state = (
        f"suppressed: {finding.suppression_reason}"
        if finding.suppressed
        else finding.severity.value
    )
    where = _where(paths, finding.location.file, finding.location.line)
    return f"{finding.rule} ({state}) {where}: {finding.message}"


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)
