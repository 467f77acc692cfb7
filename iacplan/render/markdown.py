"""The report as GitHub-flavoured Markdown (a pull-request comment body)."""

from __future__ import annotations

from iacplan.model import Severity
from iacplan.report import Report, Verdict, shown_version

_VERDICT_ICON = {
    Verdict.ALLOWED: "✅",
    Verdict.REJECTED: "❌",
    Verdict.UNVERIFIED: "⚠️",
    Verdict.UNCHANGED: "⏸️",
}
_SEVERITY_ICON = {Severity.ERROR: "❌", Severity.WARNING: "⚠️"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(report: Report, colour: bool = False) -> str:
    counts = report.summary()
    lines = [
        "## iacplan: MWAA version check",
        "",
        f"{counts['environments']} environment(s): {counts['allowed']} allowed, "
        f"{counts['rejected']} rejected, {counts['unverified']} unverified, "
        f"{counts['unchanged']} unchanged — {counts['errors']} error(s), "
        f"{counts['warnings']} warning(s).",
        "",
    ]
    if report.environments:
        lines += [
            "| Environment | Base | Head | Change | Verdict | Source bucket versioning |",
            "|---|---|---|---|---|---|",
        ]
    for result in report.environments:
        change, env = result.change, result.change.subject
        bucket = env.bucket.versioning.value if env.bucket else "—"
        lines.append(
            f"| `{_cell(change.id)}` | {_cell(shown_version(result, 'base'))} "
            f"| {_cell(shown_version(result, 'head'))} | {change.kind.value} "
            f"| {_VERDICT_ICON[result.verdict]} {result.verdict.value} | {bucket} |"
        )
    notes = [(r.change.id, note) for r in report.environments for note in r.change.subject.notes]
    if notes:
        lines += ["", "### Notes", ""]
        lines += [
            f"- \N{INFORMATION SOURCE}\N{VARIATION SELECTOR-16} `{_cell(env_id)}`: {note}"
            for env_id, note in notes
        ]
    if report.findings:
        lines += ["", "### Findings", ""]
    for finding in report.findings:
        icon = _SEVERITY_ICON[finding.severity]
        suppressed = f" _(suppressed: {finding.suppression_reason})_" if finding.suppressed else ""
        lines.append(
            f"- {icon} **{finding.rule}** ({finding.severity.value}) `{finding.location}` "
            f"`{finding.environment}`: {finding.message}{suppressed}"
        )
    lines += ["", f"<sub>iacplan · MWAA version catalog of {report.catalog_date}</sub>"]
    return "\n".join(lines) + "\n"
