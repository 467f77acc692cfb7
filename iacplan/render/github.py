"""GitHub Actions workflow commands: one annotation line per finding, on the file and line
from the repository root, e.g. `::error file=infra/main.tf,line=12,title=MWAA001::…`.

Escaped as the runner expects: `%`, CR and LF in the message; also `:` and `,` in the
properties. A suppressed finding is a notice; a file outside the repository gets no file."""

from __future__ import annotations

from iacplan.model import Finding, Severity
from iacplan.render.repo_paths import RepoPaths
from iacplan.report import Report

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: Report, colour: bool = False, paths: RepoPaths | None = None) -> str:
    paths = paths or RepoPaths.here()
    return "".join(_line(finding, paths) + "\n" for finding in report.findings)


def _line(finding: Finding, paths: RepoPaths) -> str:
    command = "notice" if finding.suppressed else _COMMAND[finding.severity]
    title = finding.rule + (" (suppressed)" if finding.suppressed else "")
    properties = []
    file = paths.relative(finding.location.file)
    if file is not None:
        properties.append(f"file={escape_property(file)}")
        if finding.location.line >= 1:
            properties.append(f"line={finding.location.line}")
    properties.append(f"title={escape_property(title)}")
    message = f"{finding.environment}: {finding.message}"
    if finding.suppressed and finding.suppression_reason:
        message += f" (suppressed: {finding.suppression_reason})"
    return f"::{command} {','.join(properties)}::{escape_data(message)}"
