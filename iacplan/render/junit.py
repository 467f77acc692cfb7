"""JUnit XML for CI systems that show test reports: one testsuite, one testcase per
environment, a <failure> per unsuppressed error finding; warnings and suppressed findings go
to the testcase's <system-out>.

The `failures` count is written only when there are failures: Atlantis' custom policy checks
take the word "fail" anywhere in the output as a failed check."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from iacplan.model import Finding, Severity
from iacplan.render.context import Context
from iacplan.report import Report

# Characters XML 1.0 cannot hold, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render(report: Report, colour: bool = False, context: Context | None = None) -> str:
    paths = (context or Context()).paths
    suite = ET.Element("testsuite", name="iacplan", tests=str(len(report.environments)))
    failures = 0
    for entry in report.environments:
        case = ET.SubElement(
            suite,
            "testcase",
            name=_clean(entry.id),
            classname=f"iacplan.{entry.kind}",
            file=_clean(paths.relative(entry.file) or entry.file),
        )
        if entry.line >= 1:
            case.set("line", str(entry.line))
        versions = f"{entry.shown('base')} -> {entry.shown('head')}"
        notes = [f"{versions} ({entry.change.value}): {entry.verdict.value}"]
        for finding in report.findings_of(entry.id):
            if finding.severity is Severity.ERROR and not finding.suppressed:
                failures += 1
                failure = ET.SubElement(
                    case,
                    "failure",
                    message=_clean(f"{finding.rule}: {finding.message}"),
                    type=finding.rule,
                )
                failure.text = _clean(_described(finding))
            else:
                notes.append(_described(finding))
        ET.SubElement(case, "system-out").text = _clean("\n".join(notes))
    if failures:
        suite.set("failures", str(failures))
    ET.indent(suite)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
    )


def _described(finding: Finding) -> str:
    state = (
        f"suppressed: {finding.suppression_reason}"
        if finding.suppressed
        else finding.severity.value
    )
    return f"{finding.rule} ({state}) {finding.location}: {finding.message}"


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)
