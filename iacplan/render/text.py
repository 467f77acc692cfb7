"""The terminal report: colour only when asked for (a TTY without NO_COLOR).

Same order as the Markdown: the verdict line, one block per environment (versions, verdict,
findings), then its upgrade plan, compact and wrapped to `width`."""

from __future__ import annotations

import textwrap

import click

from iacplan.model import Finding, Severity
from iacplan.report import EnvironmentEntry, Report, Verdict, overall_verdict
from iacplan.upgrade.plan import Plan

WIDTH = 100  # for files and pipes; a terminal passes its own width

_VERDICT_COLOUR = {
    Verdict.ALLOWED: "green",
    Verdict.REJECTED: "red",
    Verdict.UNVERIFIED: "yellow",
    Verdict.UNCHANGED: None,
}
_SEVERITY_COLOUR = {Severity.ERROR: "red", Severity.WARNING: "yellow"}


def render(report: Report, colour: bool = False, width: int = WIDTH) -> str:
    def style(text: str, fg: str | None = None, bold: bool = False) -> str:
        return click.style(text, fg=fg, bold=bold) if colour else text

    def wrap(text: str, indent: str, hanging: str = "") -> list[str]:
        return textwrap.wrap(
            text,
            width=max(width, 40),
            initial_indent=indent,
            subsequent_indent=indent + (" " * len(hanging) if hanging else "  "),
            break_on_hyphens=False,
            break_long_words=False,
        )

    verdict = overall_verdict(report)
    counts = report.summary()
    banner = (
        style(f"iacplan: {verdict.value.upper()}", _VERDICT_COLOUR[verdict], bold=True)
        if verdict is not None
        else "iacplan: no aws_mwaa_environment found"
    )
    lines = wrap(
        f"{banner} · {counts['environments']} environment(s): {counts['allowed']} allowed, "
        f"{counts['rejected']} rejected, {counts['unverified']} unverified, "
        f"{counts['unchanged']} unchanged · {counts['errors']} error(s), "
        f"{counts['warnings']} warning(s), {counts['suppressed']} suppressed "
        f"· MWAA catalog {report.catalog_date}",
        "",
    )
    lines.append("")
    if len(report.rollout.order) > 1:
        lines.append("Rollout order:")
        for i, e in enumerate(report.rollout.order, 1):
            lines += wrap(f"{i}. {e.id} — {e.stage} ({e.reason})", "  ", "   ")
        lines += wrap(f"({report.rollout.rule})", "  ")
        lines.append("")
    for entry in report.environments:
        lines.append(f"{style(entry.id, bold=True)}  {entry.file}:{entry.line}")
        versions = f"{entry.shown('base')} → {entry.shown('head')}"
        shown = style(entry.verdict.value.upper(), _VERDICT_COLOUR[entry.verdict], bold=True)
        lines.append(f"  {versions}  ({entry.change.value})  {shown}")
        for fact in _facts(entry):
            lines += wrap(fact, "  ")
        for finding in report.findings_of(entry.id):
            lines += wrap(_finding(finding, colour), "  ", " " * 8)
        if entry.plan is not None:
            for text in _plan(entry.plan):
                hanging = "    " if text.startswith(("- ", "[ ] ")) else ""
                lines += wrap(text, "    ", hanging) if text else [""]
        lines.append("")
    return "\n".join(lines) + "\n"


def _facts(entry: EnvironmentEntry) -> list[str]:
    lines = []
    if entry.evaluated_alone:
        lines.append("note: a module nothing in the tree calls, evaluated with its defaults")
    if entry.planned_action is not None:
        detail = f" ({entry.planned_detail})" if entry.planned_detail else ""
        lines.append(f"planned action: {entry.planned_action}{detail}")
    lines += [f"note: {note}" for note in entry.notes]
    if entry.source_bucket is not None:
        bucket = entry.source_bucket
        lines.append(
            f"source bucket {bucket.id or '(unresolved)'}: versioning {bucket.versioning} "
            f"({bucket.reason})"
        )
    return lines


def _plan(plan: Plan) -> list[str]:
    lines = [f"plan: {plan.summary}"]
    if plan.route_note:
        lines.append(f"- {plan.route_note}.")
    for number, route in enumerate(plan.routes):
        hops = " → ".join([route.steps[0].from_version, *(s.to_version for s in route.steps)])
        lines.append(f"- {'path' if number == 0 else 'or'}: {route.title}: {hops}")
    if plan.releases:
        notes = ", ".join(f"{r.version} {r.url}" for r in plan.releases)
        lines.append(f"- {plan.releases_title}: {notes}")
    if plan.python:
        lines.append(
            f"- Python {plan.python.from_python} → {plan.python.to_python}: "
            f"{plan.python.consequence}"
        )
    if plan.routes and plan.routes[0].steps[-1].constraint:
        lines += [f"- constraints: {s.constraint}" for s in plan.routes[0].steps]
    for section in plan.sections:
        lines.append(f"{section.title}:")
        lines += [f"- {item}" for item in section.items]
        lines += [f"- see {link.title}: {link.url}" for link in section.links]
    lines.append("Pre-flight checklist:")
    lines += [f"[ ] {item}" for item in plan.checklist]
    return lines


def _finding(finding: Finding, colour: bool) -> str:
    label = f"{finding.severity.value:<7}"
    if colour:
        label = click.style(label, fg=_SEVERITY_COLOUR[finding.severity], bold=True)
    text = f"{label} {finding.rule} {finding.location}: {finding.message}"
    if finding.suppressed:
        text += f" [suppressed: {finding.suppression_reason}]"
    return text
