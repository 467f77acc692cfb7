"""The terminal and CI-log report, for someone who reads the first and the last screen.

Order: the verdict line; the environments that need attention (rejected, unverified, allowed
with warnings), each with its findings, the fix and, for a rejected change, the way that
works; one line per other environment; the rollout, one line per stage; the plans (all with
`--verbose`, else only for a single environment; folded with ::group:: under GitHub
Actions); the CI run's link; and a last line that repeats the verdict and names what did
not pass (GitHub Actions scrolls to the end of a step that did not pass).

Plain text: no Markdown (backticks are dropped), URLs alone on their line so terminals and
log viewers make them clickable; colour only when the context says so."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import replace

import click

from iacplan.model import ChangeKind, Finding, Severity
from iacplan.render import brief
from iacplan.render.context import Context
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


# A URL in running text; not one in quotes (a --constraint "…" to copy whole).
_URL = re.compile(r"(?<![\"/\w])https?://[^\s)\"]+")


def _plain(text: str) -> str:
    return text.replace("`", "")


class _Layout:
    def __init__(self, ctx: Context, colour: bool) -> None:
        self.ctx = ctx
        self.colour = colour
        self.width = max(ctx.width, 40)

    def style(self, text: str, fg: str | None = None, bold: bool = False) -> str:
        return click.style(text, fg=fg, bold=bold) if self.colour else text

    def wrap(self, text: str, indent: str, hanging: str = "  ") -> list[str]:
        """`text` wrapped; a URL inside it goes alone on the next line, where terminals and
        log viewers make it clickable (a --constraint line stays whole: it is copied)."""
        if text.strip().startswith("--constraint"):
            return [indent + text]
        urls = _URL.findall(text)
        text = _URL.sub("", text).replace(" ()", "").replace("()", "")
        return self._wrap(text, indent, hanging) + [indent + hanging + url for url in urls]

    def _wrap(self, text: str, indent: str, hanging: str) -> list[str]:
        return textwrap.wrap(
            _plain(text),
            width=self.width,
            initial_indent=indent,
            subsequent_indent=indent + hanging,
            break_on_hyphens=False,
            break_long_words=False,
        ) or [indent.rstrip()]

    def verdict(self, verdict: Verdict) -> str:
        return self.style(verdict.value.upper(), _VERDICT_COLOUR[verdict], bold=True)

    def url(self, file: str, line: int, indent: str) -> list[str]:
        found = self.ctx.file_url(file, line)
        return [f"{indent}{found}"] if found else []


def render(
    report: Report, colour: bool = False, context: Context | None = None, width: int | None = None
) -> str:
    ctx = context or Context()
    if width is not None:
        ctx = replace(ctx, width=width)
    out = _Layout(ctx, colour or ctx.colour)
    lines = _banner(report, out)
    items = brief.attention(report)
    if items:
        lines += ["", "Needs attention:"]
        for item in items:
            lines += _problem(item, report, out)
    rest = [e for e in report.environments if e.id not in {a.entry.id for a in items}]
    if rest:
        lines += ["", "Allowed and unchanged:" if items else "Environments:"]
        lines += _quiet(rest, out)
    if report.untouched:
        lines += ["", *out.wrap(brief.untouched(report), "")]
    lines += _rollout(report, out)
    lines += _plans(report, out, items)
    if ctx.run_url:
        lines += ["", "CI run:", f"  {ctx.run_url}"]
    lines += ["", _closing(report, out)]
    return "\n".join(lines) + "\n"


def _banner(report: Report, out: _Layout) -> list[str]:
    verdict = overall_verdict(report)
    if verdict is None:
        return [f"iacplan: {brief.no_environment(report)} · MWAA catalog {report.catalog_date}"]
    findings = brief.findings_count(report.findings)
    parts = [
        brief.counts_phrase(report),
        findings or "no findings",
        f"MWAA catalog {report.catalog_date}",
    ]
    head = f"iacplan: {verdict.value.upper()}"
    lines = out.wrap(f"{head} — {' · '.join(parts)}", "")
    if out.colour and lines:
        lines[0] = lines[0].replace(head, out.style(head, _VERDICT_COLOUR[verdict], bold=True), 1)
    return lines


def _problem(item: brief.Attention, report: Report, out: _Layout) -> list[str]:
    entry = item.entry
    lines = [
        f"  {out.verdict(entry.verdict)}  {out.style(brief.label(entry), bold=True)}  "
        f"{brief.change_phrase(entry)}",
        f"    {entry.id} · {out.ctx.shown_path(entry.file)}:{entry.line}"
        if entry.name
        else f"    {out.ctx.shown_path(entry.file)}:{entry.line}",
    ]
    for fact in _facts(entry, quiet_bucket=True):
        lines += out.wrap(fact, "    ")
    for finding in report.findings_of(entry.id):
        lines += _finding(finding, entry, out)
    if entry.verdict is Verdict.REJECTED and entry.plan is not None:
        lines += [out.style("    the way that works:", bold=True)]
        lines += [
            wrapped
            for text in _way(entry, entry.plan)
            for wrapped in out.wrap(text, "      ", "  ")
        ]
    return lines


def _finding(finding: Finding, entry: EnvironmentEntry, out: _Layout) -> list[str]:
    label = f"{finding.severity.value:<7}"
    if out.colour:
        label = click.style(label, fg=_SEVERITY_COLOUR[finding.severity], bold=True)
    where = f"{out.ctx.shown_path(finding.location.file)}:{finding.location.line}"
    text = f"{label} {finding.rule} {brief.title(finding.rule)} · {where}: {finding.message}"
    if finding.suppressed:
        text += f" [suppressed: {finding.suppression_reason}]"
    lines = out.wrap(text, "    ", " " * 8)
    gist = brief.gist(finding, entry)
    if gist.fix and not finding.suppressed and gist.fix not in finding.message:
        lines += out.wrap(f"fix: {gist.fix}", "            ", "     ")
    return lines + out.url(finding.location.file, finding.location.line, "            ")


def _quiet(entries: Sequence[EnvironmentEntry], out: _Layout) -> list[str]:
    names = [brief.label(e) for e in entries]
    changes = [brief.change_phrase(e) for e in entries]
    name_width = min(max(len(n) for n in names), 48)
    change_width = min(max(len(c) for c in changes), 36)
    lines = []
    for entry, name, change in zip(entries, names, changes, strict=True):
        verdict = f"{entry.verdict.value:<10}"
        if out.colour:
            verdict = click.style(verdict, fg=_VERDICT_COLOUR[entry.verdict])
        where = f"{out.ctx.shown_path(entry.file)}:{entry.line}"
        lines.append(f"  {verdict} {name:<{name_width}}  {change:<{change_width}}  {where}")
        # What a plan or change set says apply does, and notes: facts no verdict hides.
        for fact in _facts(entry, quiet_bucket=True):
            lines += out.wrap(fact, "    ", "  ")
    return lines


def _rollout(report: Report, out: _Layout) -> list[str]:
    stages = brief.stages(report)
    if sum(len(s.entries) for s in stages) < 2:
        return []
    lines = ["", "Rollout, least critical first:"]
    held = {Verdict.REJECTED: " (rejected)", Verdict.UNVERIFIED: " (unverified)"}
    for number, stage in enumerate(stages, 1):
        shown = ", ".join(brief.label(e) + held.get(e.verdict, "") for e in stage.entries)
        lines += out.wrap(f"{number}. {stage.name}: {shown}", "  ", "     ")
    return lines + out.wrap(f"(order: {report.rollout.rule})", "  ")


def _plans(report: Report, out: _Layout, items: Sequence[brief.Attention]) -> list[str]:
    """Every plan with --verbose; the plan of a single environment by default."""
    if not out.ctx.verbose and len(report.environments) != 1:
        return []
    rejected = {a.entry.id for a in items if a.entry.verdict is Verdict.REJECTED}
    lines: list[str] = []
    for entry in report.environments:
        if entry.plan is None or entry.id in rejected:
            continue  # a rejected change has the way that works above, not a plan
        title = f"plan for {brief.label(entry)}: {_plain(entry.plan.summary)}"
        body = [""] if not out.ctx.groups else []
        body += [out.style(title, bold=True)] if not out.ctx.groups else []
        for fact in _facts(entry) if entry.id not in {a.entry.id for a in items} else []:
            body += out.wrap(fact, "  ")
        for text in _plan(entry.plan):
            hanging = "    " if text.startswith(("- ", "[ ] ")) else "  "
            if text.startswith("http"):
                body.append(f"      {text}")
            else:
                body += out.wrap(text, "  ", hanging) if text else [""]
        if out.ctx.groups:
            lines += ["", f"::group::{title}", *body, "::endgroup::"]
        else:
            lines += body
    return lines


def _facts(entry: EnvironmentEntry, quiet_bucket: bool = False) -> list[str]:
    """Facts of an environment; `quiet_bucket`: the bucket only when its versioning is not
    enabled (in a list of problems, an enabled bucket is not news)."""
    lines = []
    if entry.evaluated_alone:
        lines.append("note: a module nothing in the tree calls, evaluated with its defaults")
    if entry.planned_action is not None:
        detail = f" ({entry.planned_detail})" if entry.planned_detail else ""
        lines.append(f"planned action: {entry.planned_action}{detail}")
    lines += [f"note: {note}" for note in entry.notes]
    bucket = entry.source_bucket
    if bucket is not None and not (quiet_bucket and bucket.versioning.value == "enabled"):
        lines.append(
            f"source bucket {bucket.id or '(unresolved)'}: versioning {bucket.versioning} "
            f"({bucket.reason})"
        )
    return lines


def _way(entry: EnvironmentEntry, plan: Plan) -> list[str]:
    """A rejected change: keep the version, or the route MWAA takes and what to change in
    the code; no downtime or checklist for a change that will not happen."""
    if entry.change is ChangeKind.DOWNGRADE:
        return [f"keep {entry.shown('base')}: set the Airflow version back to it"]
    lines = [f"{plan.route_note}."] if plan.route_note else []
    for number, route in enumerate(plan.routes):
        hops = " → ".join([route.steps[0].from_version, *(s.to_version for s in route.steps)])
        lines.append(f"{'route' if number == 0 else 'or'}: {route.title}: {hops}")
    if not plan.routes:
        lines.append("no route: MWAA cannot make this change")
    if plan.routes and plan.routes[0].steps[-1].constraint:
        lines.append("constraints line for requirements.txt, hop by hop:")
        lines += [f"  {s.constraint}" for s in plan.routes[0].steps]
    if plan.python:
        lines.append(
            f"Python {plan.python.from_python} → {plan.python.to_python}: {plan.python.consequence}"
        )
    for section in plan.sections:
        if section.key == "changes":
            lines += [f"code: {item}" for item in section.items]
        elif section.key == "requirements":  # --resolve: what to change before upgrading
            lines += [f"{section.title}:", *(f"  {item}" for item in section.items)]
    return lines


def _plan(plan: Plan) -> list[str]:
    lines = []
    if plan.route_note:
        lines.append(f"- {plan.route_note}.")
    for number, route in enumerate(plan.routes):
        hops = " → ".join([route.steps[0].from_version, *(s.to_version for s in route.steps)])
        lines.append(f"- {'path' if number == 0 else 'or'}: {route.title}: {hops}")
    if plan.releases:
        lines.append(f"- {plan.releases_title}:")
        for release in plan.releases:
            lines += [f"    Airflow {release.version}:", release.url]
    if plan.python:
        lines.append(
            f"- Python {plan.python.from_python} → {plan.python.to_python}: "
            f"{plan.python.consequence}"
        )
    if plan.routes and plan.routes[0].steps[-1].constraint:
        lines.append("- constraints line for requirements.txt:")
        lines += [f"    {s.constraint}" for s in plan.routes[0].steps]
    for section in plan.sections:
        lines.append(f"{section.title}:")
        lines += [f"- {item}" for item in section.items]
        for link in section.links:
            lines += [f"- see {link.title}:", link.url]
    lines.append("Pre-flight checklist:")
    lines += [f"[ ] {item}" for item in plan.checklist]
    return lines


def _closing(report: Report, out: _Layout) -> str:
    line = brief.closing(report)
    verdict = overall_verdict(report)
    if not out.colour or verdict is None:
        return line
    head = f"iacplan: {verdict.value.upper()}"
    return line.replace(head, out.style(head, _VERDICT_COLOUR[verdict], bold=True), 1)
