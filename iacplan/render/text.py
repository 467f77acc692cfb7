"""The terminal report: colour only when asked for (a TTY without NO_COLOR)."""

from __future__ import annotations

import click

from iacplan.model import Finding, Severity
from iacplan.report import Report, Verdict, shown_version

_VERDICT_COLOUR = {
    Verdict.ALLOWED: "green",
    Verdict.REJECTED: "red",
    Verdict.UNVERIFIED: "yellow",
    Verdict.UNCHANGED: None,
}
_SEVERITY_COLOUR = {Severity.ERROR: "red", Severity.WARNING: "yellow"}


def render(report: Report, colour: bool = False) -> str:
    def style(text: str, fg: str | None = None, bold: bool = False) -> str:
        return click.style(text, fg=fg, bold=bold) if colour else text

    lines: list[str] = []
    for result in report.environments:
        change, env = result.change, result.change.subject
        lines.append(f"{style(change.id, bold=True)}  {env.location}")
        versions = f"{shown_version(result, 'base')} → {shown_version(result, 'head')}"
        verdict = style(result.verdict.value.upper(), _VERDICT_COLOUR[result.verdict], bold=True)
        lines.append(f"  {versions}  ({change.kind.value})  {verdict}")
        if env.evaluated_alone:
            lines.append("  note: a module nothing in the tree calls, evaluated with its defaults")
        if env.planned is not None:
            detail = f" ({env.planned.detail})" if env.planned.detail else ""
            lines.append(f"  planned action: {env.planned.action}{detail}")
        lines += [f"  note: {note}" for note in env.notes]
        if env.bucket is not None:
            name = env.bucket.id or "(unresolved)"
            lines.append(
                f"  source bucket {name}: versioning {env.bucket.versioning} ({env.bucket.reason})"
            )
        for finding in report.findings:
            if finding.environment == change.id:
                lines.append("  " + _finding(finding, colour))
        lines.append("")
    if not report.environments:
        lines += ["No aws_mwaa_environment found.", ""]
    counts = report.summary()
    lines.append(
        f"{counts['environments']} environment(s): {counts['allowed']} allowed, "
        f"{counts['rejected']} rejected, {counts['unverified']} unverified, "
        f"{counts['unchanged']} unchanged · {counts['errors']} error(s), "
        f"{counts['warnings']} warning(s), {counts['suppressed']} suppressed "
        f"· MWAA catalog {report.catalog_date}"
    )
    return "\n".join(lines) + "\n"


def _finding(finding: Finding, colour: bool) -> str:
    label = f"{finding.severity.value:<7}"
    if colour:
        label = click.style(label, fg=_SEVERITY_COLOUR[finding.severity], bold=True)
    text = f"{label} {finding.rule} {finding.location}: {finding.message}"
    if finding.suppressed:
        text += f" [suppressed: {finding.suppression_reason}]"
    return text
