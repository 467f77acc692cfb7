"""The report as GitHub-flavoured Markdown (a pull-request comment body).

Verdict banner, summary table and rollout order first; then one collapsed `<details>` per
environment with its findings and upgrade plan. The body stays under LIMIT characters (GitHub
refuses comments over 65,536): when it would not, the middle sections of the details are
dropped, never the banner, a details block's summary or its findings; only with thousands of
environments does the table keep just the rejected and unverified rows and count the rest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from iacplan.model import Finding, Severity
from iacplan.report import EnvironmentEntry, Report, Verdict, overall_verdict
from iacplan.upgrade.plan import Plan, Route

LIMIT = 60_000

_VERDICT_ICON = {
    Verdict.ALLOWED: "✅",
    Verdict.REJECTED: "❌",
    Verdict.UNVERIFIED: "⚠️",
    Verdict.UNCHANGED: "⏸️",
}
_SEVERITY_ICON = {Severity.ERROR: "❌", Severity.WARNING: "⚠️"}
_SHORTENED = (
    "_… {count} section(s) left out to fit a pull-request comment: `iacplan check` or the JSON "
    "report has the whole plan._"
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(report: Report, colour: bool = False) -> str:
    foot = ["", f"<sub>iacplan · MWAA version catalog of {report.catalog_date}</sub>"]
    room = LIMIT - _size(foot) - 2_000  # what the banner, table and rollout order may take
    head = _banner(report) + _table(report, room)
    order = _rollout(report)
    if _size(head + order) <= room:
        head += order
    blocks = [_Block.of(entry, report.findings_of(entry.id)) for entry in report.environments]
    blocks = [b for b in blocks if b.sections or b.findings]
    body = _fit(blocks, LIMIT - _size(head + foot) - 1)
    return "\n".join(head + body + foot) + "\n"


def _banner(report: Report) -> list[str]:
    counts = report.summary()
    verdict = overall_verdict(report)
    title = (
        f"## {_VERDICT_ICON[verdict]} iacplan: {verdict.value}"
        if verdict is not None
        else "## iacplan: no MWAA environment found"
    )
    return [
        title,
        "",
        f"{counts['environments']} environment(s): {counts['allowed']} allowed, "
        f"{counts['rejected']} rejected, {counts['unverified']} unverified, "
        f"{counts['unchanged']} unchanged — {counts['errors']} error(s), "
        f"{counts['warnings']} warning(s).",
        "",
    ]


def _table(report: Report, budget: int) -> list[str]:
    """One row per environment; past `budget` (thousands of environments) the rows of
    rejected and unverified environments are kept and the rest are counted."""
    if not report.environments:
        return []
    lines = [
        "| Environment | File | Base → Head | Change | Verdict | Bucket versioning |",
        "|---|---|---|---|---|---|",
    ]
    rows = {entry.id: _row(entry) for entry in report.environments}
    if _size(lines) + _size(list(rows.values())) <= budget:
        return lines + list(rows.values())
    urgent = (Verdict.REJECTED, Verdict.UNVERIFIED)
    ranked = sorted(report.environments, key=lambda e: e.verdict not in urgent)
    kept: set[str] = set()
    used = _size(lines) + 200
    for entry in ranked:
        used += len(rows[entry.id]) + 1
        if used > budget:
            break
        kept.add(entry.id)
    left = [e for e in report.environments if e.id not in kept]
    counts = ", ".join(
        f"{sum(e.verdict is v for e in left)} {v.value}"
        for v in Verdict
        if any(e.verdict is v for e in left)
    )
    return [
        *lines,
        *(rows[e.id] for e in report.environments if e.id in kept),
        f"| … {len(left)} more ({counts}): see the JSON report | | | | | |",
    ]


def _row(entry: EnvironmentEntry) -> str:
    bucket = entry.source_bucket.versioning.value if entry.source_bucket else "—"
    return (
        f"| `{_cell(entry.id)}` | `{_cell(entry.file)}:{entry.line}` "
        f"| {_cell(entry.shown('base'))} → {_cell(entry.shown('head'))} "
        f"| {entry.change.value} | {_VERDICT_ICON[entry.verdict]} {entry.verdict.value} "
        f"| {bucket} |"
    )


def _rollout(report: Report) -> list[str]:
    if len(report.rollout.order) < 2:
        return []
    lines = ["", "### Rollout order", ""]
    lines += [
        f"{i}. `{_cell(e.id)}` — {e.stage} ({_cell(e.reason)})"
        for i, e in enumerate(report.rollout.order, 1)
    ]
    return [*lines, "", f"<sub>Order: {report.rollout.rule}.</sub>"]


@dataclass(frozen=True)
class _Block:
    """One environment's details: summary line, findings, then the plan's sections."""

    summary: str
    findings: tuple[str, ...]
    sections: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, entry: EnvironmentEntry, findings: Sequence[Finding]) -> _Block:
        plan = entry.plan
        title = plan.summary if plan else f"{entry.shown('base')} → {entry.shown('head')}"
        icon = _VERDICT_ICON[entry.verdict]
        lines = [_finding(f) for f in findings]
        lines += [
            f"- \N{INFORMATION SOURCE}\N{VARIATION SELECTOR-16} {note}" for note in entry.notes
        ]
        if entry.planned_action:
            detail = f" ({entry.planned_detail})" if entry.planned_detail else ""
            lines.append(f"- Planned action: **{entry.planned_action}**{detail}")
        return cls(
            summary=f"<summary>{icon} <b><code>{escape(entry.id, quote=False)}</code></b> — "
            f"{escape(title, quote=False)}</summary>",
            findings=tuple(lines),
            sections=_plan_sections(plan) if plan else (),
        )

    def render(self, sections: Sequence[tuple[str, ...]], dropped: int) -> list[str]:
        lines = ["", "<details>", self.summary]
        if self.findings:
            lines += ["", *self.findings]
        for section in sections:
            lines += ["", *section]
        if dropped:
            lines += ["", _SHORTENED.format(count=dropped)]
        return [*lines, "", "</details>"]


def _fit(blocks: Sequence[_Block], budget: int) -> list[str]:
    """Every block whole if that fits. Else each block's summary and findings first (those are
    never cut, only whole blocks past the budget), then as many plan sections as the rest of
    the budget allows, block by block, dropping sections from the middle of each."""
    whole = [b.render(b.sections, 0) for b in blocks]
    if sum(_size(lines) for lines in whole) <= budget:
        return [line for lines in whole for line in lines]
    budget -= 100  # room for the line that says how many details are left out
    short = [b.render((), len(b.sections)) for b in blocks]
    spare = budget - sum(_size(lines) for lines in short)
    out: list[str] = []
    for index, block in enumerate(blocks):
        if spare < 0 and _size(out) + _size(short[index]) > budget:
            left = len(blocks) - index
            return [*out, "", f"_… the details of {left} more environment(s) are left out._"]
        kept = list(block.sections)
        lines = whole[index]
        while kept and _size(lines) - _size(short[index]) > max(spare, 0):
            del kept[len(kept) // 2]
            lines = block.render(kept, len(block.sections) - len(kept))
        spare -= _size(lines) - _size(short[index])
        out += lines
    return out


def _size(lines: Sequence[str]) -> int:
    return sum(len(line) + 1 for line in lines)


def _finding(finding: Finding) -> str:
    icon = _SEVERITY_ICON[finding.severity]
    suppressed = f" _(suppressed: {finding.suppression_reason})_" if finding.suppressed else ""
    return (
        f"- {icon} **{finding.rule}** ({finding.severity.value}) `{finding.location}`: "
        f"{finding.message}{suppressed}"
    )


def _plan_sections(plan: Plan) -> tuple[tuple[str, ...], ...]:
    sections = [_path(plan)]
    if plan.releases:
        sections.append(
            (
                f"#### {plan.releases_title}",
                "",
                *(f"- [Airflow {r.version}]({r.url}) (Python {r.python})" for r in plan.releases),
            )
        )
    if plan.python:
        sections.append(
            (
                f"#### Python {plan.python.from_python} → {plan.python.to_python}",
                "",
                plan.python.consequence[:1].upper() + plan.python.consequence[1:] + ".",
            )
        )
    if plan.routes and plan.routes[0].steps[-1].constraint:
        sections.append(
            (
                "#### Constraints line for requirements.txt",
                "",
                "```",
                *(s.constraint or "" for s in plan.routes[0].steps),
                "```",
            )
        )
    for section in plan.sections:
        links = [f"[{link.title}]({link.url})" for link in section.links]
        sections.append(
            (
                f"#### {section.title}",
                "",
                *(f"- {item}" for item in section.items),
                *(["", "See: " + " · ".join(links)] if links else []),
            )
        )
    sections.append(("#### Pre-flight checklist", "", *(f"- [ ] {c}" for c in plan.checklist)))
    return tuple(sections)


def _path(plan: Plan) -> tuple[str, ...]:
    lines = ["#### Path", ""]
    if plan.route_note:
        lines += [plan.route_note + ".", ""]
    for number, route in enumerate(plan.routes):
        label = "Recommended" if number == 0 else "Or"
        lines.append(f"{label}: **{route.title}**")
        lines += [
            f"{i}. {s.from_version} → {s.to_version} ({s.kind}"
            + (", in place" if s.in_place else "")
            + ")"
            for i, s in enumerate(route.steps, 1)
        ]
        lines.append("")
    if not plan.routes:
        lines += ["No route: MWAA cannot make this change.", ""]
    if plan.routes and (len(plan.routes[0].steps) > 1 or not plan.requested.in_place):
        lines += _mermaid(plan)
    return tuple(lines[:-1] if lines[-1] == "" else lines)


def _node(version: str) -> str:
    return "v" + version.replace(".", "_")


def _mermaid(plan: Plan) -> list[str]:
    """The routes as a flow: solid arrows for the recommended one, dotted for the others."""
    recommended: Route = plan.routes[0]
    edges = [(s, "-->", "in place" if s.in_place else "migrate") for s in recommended.steps] + [
        (s, "-.->", s.kind) for route in plan.routes[1:] for s in route.steps
    ]
    if not plan.requested.in_place:
        edges.append((plan.requested, "-.-x", "as written: not in place"))
    versions = dict.fromkeys(v for s, *_ in edges for v in (s.from_version, s.to_version))
    return [
        "```mermaid",
        "flowchart LR",
        *(f'  {_node(v)}["{v}"]' for v in versions),
        *(
            f"  {_node(s.from_version)} {arrow}|{label}| {_node(s.to_version)}"
            for s, arrow, label in edges
        ),
        "```",
    ]
