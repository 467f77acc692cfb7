"""The report as GitHub-flavoured Markdown (a pull-request comment body), for a reviewer who
gives it five seconds.

Outside any `<details>`, in this order: a heading with the gate and the counts that matter;
one line per environment that needs attention (rejected, unverified, allowed with warnings;
most severe first) with the rule, the reason, the fix and a link to the file line; a slim
table (problems first, quiet environments with the same change grouped); the rollout, one line
per stage. Then the details: one collapsed block per plan, shared by every environment that
has the same one; a rejected change shows the way that works, not how to carry it out.

The body stays under LIMIT characters (GitHub refuses comments over 65,536): the heading and
the attention list are never cut; problem plans keep their whole text; allowed plans are
shortened first, then left out and counted."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from iacplan.model import ChangeKind, Finding, Severity
from iacplan.render import brief
from iacplan.render.context import Context
from iacplan.report import EnvironmentEntry, Report, Verdict, overall_verdict
from iacplan.upgrade.plan import Plan, Route, Section

LIMIT = 60_000

_VERDICT_ICON = {
    Verdict.ALLOWED: "✅",
    Verdict.REJECTED: "❌",
    Verdict.UNVERIFIED: "⚠️",
    Verdict.UNCHANGED: "➖",  # noqa: RUF001 (an emoji: "⏸️" read as paused)
}
_SEVERITY_ICON = {Severity.ERROR: "❌", Severity.WARNING: "⚠️"}
_SHORTENED = (
    "_… {count} section(s) left out to fit a pull-request comment: `iacplan check --verbose` "
    "or the JSON report has the whole plan._"
)
_ROOM_FOR_DETAILS = 6_000  # what the details keep at least before the table is shortened


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _text(text: str) -> str:
    """Plain text in Markdown: shown as written, never read as markup."""
    out = escape(text, quote=False)
    for char in "\\`*_[]|~#":
        out = out.replace(char, "\\" + char)
    return out


def _code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{text.replace(chr(10), ' ')}{pad}{fence}"


def render(report: Report, colour: bool = False, context: Context | None = None) -> str:
    ctx = context or Context()
    names = _Names(report)
    # What was not evaluated, where the reader who wonders looks: above the footer.
    untouched = brief.untouched(report, code=_code)
    foot = ["", *([untouched, ""] if untouched else []), _footer(report, ctx)]
    head = _banner(report) + _attention(report, ctx, names, LIMIT // 2)
    room = LIMIT - _size(head + foot) - _ROOM_FOR_DETAILS
    if len(report.environments) > 1 or not brief.attention(report):
        head += _table(report, ctx, names, room)
    order = _rollout(report, names)
    if _size(head + order + foot) <= LIMIT - _ROOM_FOR_DETAILS:
        head += order
    blocks = _blocks(report, ctx, names)
    body = _fit(blocks, LIMIT - _size(head + foot) - 1)
    lines = head + body + foot
    # Each part ends with a blank line and a details block starts with one: keep one.
    tidy = [x for i, x in enumerate(lines) if x or i == 0 or lines[i - 1]]
    return "\n".join(tidy) + "\n"


class _Names:
    """Each environment's name as shown: its MWAA name when no other environment has it."""

    def __init__(self, report: Report) -> None:
        seen: dict[str, int] = {}
        for entry in report.environments:
            if entry.name:
                seen[entry.name] = seen.get(entry.name, 0) + 1
        self._unique = {n for n, c in seen.items() if c == 1}

    def __call__(self, entry: EnvironmentEntry) -> str:
        if entry.name and entry.name in self._unique:
            return _text(entry.name)
        return _code(entry.id)

    def with_id(self, entry: EnvironmentEntry) -> str:
        shown = self(entry)
        if entry.name and entry.name in self._unique and entry.name != entry.id:
            return f"**{shown}** ({_code(entry.id)})"
        return f"**{shown}**"


def _banner(report: Report) -> list[str]:
    verdict = overall_verdict(report)
    icon = f"{_VERDICT_ICON[verdict]} " if verdict is not None else ""
    counts = brief.counts_phrase(report, shown=_text)
    title = f"## {icon}iacplan {brief.gate(report)}" + (f" — {counts}" if counts else "")
    return [title, ""]


def _link(text: str, url: str | None) -> str:
    return f"[{text}]({url})" if url else text


def _where(file: str, line: int, ctx: Context) -> str:
    shown = ctx.shown_path(file) + (f":{line}" if line >= 1 else "")
    return _link(_code(shown), ctx.file_url(file, line))


def _attention(report: Report, ctx: Context, names: _Names, budget: int) -> list[str]:
    """One line per environment that needs a look (three or more with the very same problem
    share one line that names each); compact lines, then a count, only when thousands of
    them would not fit in a comment."""
    items = brief.attention(report)
    if not items:
        return []
    clusters: dict[object, list[brief.Attention]] = {}
    for item in items:
        clusters.setdefault(_problem_key(item), []).append(item)
    shared = {key for key, members in clusters.items() if len(members) >= 3}
    lines: list[str] = []
    done: set[object] = set()
    for compact in (False, True):
        lines, done = [], set()
        for item in items:
            key = _problem_key(item)
            if key in shared:
                if key not in done:
                    done.add(key)
                    lines.append(_shared_line(clusters[key], ctx, names, compact))
            else:
                lines.append(_attention_line(item, ctx, names, compact))
        if _size(lines) <= budget:
            break
    kept: list[str] = []
    for line in lines:
        if _size(kept) + len(line) + 1 > budget:
            left = len(lines) - len(kept)
            kept.append(f"- _… and {left} more: see the table and the JSON report._")
            break
        kept.append(line)
    return [*kept, ""]


def _problem_key(item: brief.Attention) -> object:
    lead = item.lead
    if lead is None:
        return item.entry.id
    gist = brief.gist(lead, item.entry)
    return (item.entry.verdict, lead.rule, gist.reason, gist.fix, _more(item.findings[1:]))


def _state(entry: EnvironmentEntry) -> str:
    return {
        Verdict.REJECTED: "rejected",
        Verdict.UNVERIFIED: "unverified",
    }.get(entry.verdict, f"{entry.verdict.value} with warnings")


def _problem_text(item: brief.Attention, compact: bool) -> str:
    lead = item.lead
    assert lead is not None
    extra = _more(item.findings[1:])
    if compact:
        return f"**{lead.rule}** {brief.title(lead.rule)}{extra}"
    gist = brief.gist(lead, item.entry)
    fix = f" **Fix:** {gist.fix}." if gist.fix else ""
    return f"**{lead.rule}** {brief.title(lead.rule)}: {gist.reason}.{fix}{extra}"


def _shared_line(
    members: Sequence[brief.Attention], ctx: Context, names: _Names, compact: bool
) -> str:
    first = members[0]
    icon = _VERDICT_ICON[first.entry.verdict]
    who = ", ".join(
        _link(names(m.entry), None if compact else _finding_url(m, ctx)) for m in members
    )
    return (
        f"- {icon} {len(members)} {_state(first.entry)} — {_problem_text(first, compact)} · {who}"
    )


def _finding_url(item: brief.Attention, ctx: Context) -> str | None:
    at = item.lead.location if item.lead else None
    if at is None:
        return ctx.file_url(item.entry.file, item.entry.line)
    return ctx.file_url(at.file, at.line)


def _attention_line(item: brief.Attention, ctx: Context, names: _Names, compact: bool) -> str:
    entry = item.entry
    start = f"- {_VERDICT_ICON[entry.verdict]} {names.with_id(entry)} {_state(entry)}"
    lead = item.lead
    if lead is None:
        reason = entry.notes[0] if entry.notes else "the version cannot be checked"
        return f"{start} — {reason} · {_where(entry.file, entry.line, ctx)}"
    if compact:
        return f"{start} — {_problem_text(item, compact)}"
    where = _where(lead.location.file, lead.location.line, ctx)
    return f"{start} — {_problem_text(item, compact)} · {where}"


def _more(findings: Sequence[Finding]) -> str:
    counted = brief.findings_count(findings)
    return f" (+{counted})" if counted else ""


def _table(report: Report, ctx: Context, names: _Names, budget: int) -> list[str]:
    """Problems first, then the rest; quiet environments with the same change in one row.
    Past `budget` (thousands of environments) the rows of problems are kept and the rest
    are counted."""
    if not report.environments:
        return []
    lines = ["| Environment | Change | Findings |", "|---|---|---|"]
    ranked = sorted(report.environments, key=lambda e: brief.rank(e.verdict))
    groups = brief.groups(ranked, report)
    rows = [_row(group, report, ctx, names) for group in groups]
    if _size(lines) + _size(rows) <= budget:
        return [*lines, *rows, ""]
    kept: list[str] = []
    used = _size(lines) + 200
    for row in rows:
        if used + len(row) + 1 > budget:
            break
        used += len(row) + 1
        kept.append(row)
    left = [e for g in groups[len(kept) :] for e in g.entries]
    counts = ", ".join(
        f"{sum(e.verdict is v for e in left)} {v.value}"
        for v in Verdict
        if any(e.verdict is v for e in left)
    )
    return [*lines, *kept, f"| … {len(left)} more ({counts}): see the JSON report | | |", ""]


def _row(group: brief.Group, report: Report, ctx: Context, names: _Names) -> str:
    entry = group.first
    # The verdict's emoji goes with the change it judges; the environment links to its line.
    # No-break spaces: a narrow column must not split "2.10.3 → (unknown)" over two lines.
    phrase = _cell(brief.change_phrase(entry)).replace(" ", "\N{NO-BREAK SPACE}")
    change = f"{_VERDICT_ICON[entry.verdict]}\N{NO-BREAK SPACE}{phrase}"
    if len(group.entries) > 1:
        shown = ", ".join(names(e) for e in group.entries[:3])
        rest = len(group.entries) - 3
        more = f" and {rest} more" if rest > 0 else ""
        who = f"{len(group.entries)} {entry.verdict.value}: {_cell(shown)}{more}"
        return f"| {who} | {change} | — |"
    who = _link(_cell(names(entry)), ctx.file_url(entry.file, entry.line))
    found = brief.findings_count(report.findings_of(entry.id))
    bucket = entry.source_bucket
    if bucket is not None and bucket.versioning.value != "enabled":
        found = ", ".join(x for x in (found, f"bucket versioning {bucket.versioning}") if x)
    return f"| {who} | {change} | {_cell(found) or '—'} |"


def _rollout(report: Report, names: _Names) -> list[str]:
    stages = brief.stages(report)
    if sum(len(s.entries) for s in stages) < 2:
        return []
    lines = ["**Rollout**, least critical first:", ""]
    for number, stage in enumerate(stages, 1):
        problems = [e for e in stage.entries if e.verdict in _HELD]
        rest = [e for e in stage.entries if e.verdict not in _HELD]
        shown = [f"{_VERDICT_ICON[e.verdict]} {names(e)} ({_HELD[e.verdict]})" for e in problems]
        if len(shown) > 12:
            shown = [*shown[:12], f"{len(shown) - 12} more held back"]
        if len(rest) <= 4:
            shown += [f"{_VERDICT_ICON[e.verdict]} {names(e)}" for e in rest]
        else:
            verdicts = sorted({e.verdict for e in rest}, key=brief.rank)
            shown += [
                f"{_VERDICT_ICON[v]} {sum(e.verdict is v for e in rest)} {v.value}"
                for v in verdicts
            ]
        lines.append(f"{number}. **{_text(stage.name)}**: {', '.join(shown)}")
    return [*lines, "", f"<sub>Order: {_text(report.rollout.rule)}.</sub>", ""]


_HELD = {Verdict.REJECTED: "rejected", Verdict.UNVERIFIED: "unverified"}


def _footer(report: Report, ctx: Context) -> str:
    run = f"[CI run]({ctx.run_url}) · " if ctx.run_url else ""
    return f"<sub>{run}iacplan · MWAA version catalog of {report.catalog_date}</sub>"


@dataclass(frozen=True)
class _Block:
    """One plan's details, for every environment that shares it: summary line, findings,
    then the plan's sections."""

    problem: bool
    summary: str
    findings: tuple[str, ...]
    sections: tuple[tuple[str, ...], ...]

    def render(self, sections: Sequence[tuple[str, ...]], dropped: int) -> list[str]:
        lines = ["", "<details>", self.summary]
        if self.findings:
            lines += ["", *self.findings]
        for section in sections:
            lines += ["", *section]
        if dropped:
            lines += ["", _SHORTENED.format(count=dropped)]
        return [*lines, "", "</details>"]


def _blocks(report: Report, ctx: Context, names: _Names) -> list[_Block]:
    ranked = sorted(report.environments, key=lambda e: brief.rank(e.verdict))
    grouped = brief.groups(ranked, report, by_plan=True)
    blocks = [_block(group, report, ctx, names) for group in grouped]
    return [b for b in blocks if b.sections or b.findings]


def _block(group: brief.Group, report: Report, ctx: Context, names: _Names) -> _Block:
    entry = group.first
    plan = entry.plan
    icon = _VERDICT_ICON[entry.verdict]
    change = plan.summary if plan else brief.change_phrase(entry)
    if len(group.entries) > 1:
        who = f"{len(group.entries)} environments"
        linked = len(group.entries) <= 30  # past that the names alone, all of them
        lines = [
            "Each of: "
            + ", ".join(
                _link(names(e), ctx.file_url(e.file, e.line) if linked else None)
                for e in group.entries
            )
        ]
        if entry.verdict in (Verdict.REJECTED, Verdict.UNVERIFIED):
            lines += ["", *(_finding(f, ctx, where=False) for f in report.findings_of(entry.id))]
    else:
        who = f"<b>{escape(entry.name or entry.id, quote=False)}</b>"
        lines = [_finding(f, ctx) for f in report.findings_of(entry.id)]
        lines += [f"- \N{INFORMATION SOURCE}\N{VARIATION SELECTOR-16} {n}" for n in entry.notes]
        if entry.planned_action:
            detail = f" ({entry.planned_detail})" if entry.planned_detail else ""
            lines.append(f"- Planned action: **{entry.planned_action}**{detail}")
    rejected = entry.verdict is Verdict.REJECTED
    if plan is None:
        sections: tuple[tuple[str, ...], ...] = ()
    elif rejected:
        sections = _way(entry, plan, report.findings_of(entry.id), ctx, len(group.entries) > 1)
    else:
        sections = _plan_sections(plan, group.entries, names)
    suffix = ": the way that works" if rejected and sections else ""
    return _Block(
        problem=entry.verdict in (Verdict.REJECTED, Verdict.UNVERIFIED),
        summary=f"<summary>{icon} {who} — {escape(change, quote=False)}{suffix}</summary>",
        findings=tuple(lines),
        sections=sections,
    )


def _fit(blocks: Sequence[_Block], budget: int) -> list[str]:
    """Every block whole if that fits. Else problems first: whole, then shortened (sections
    from the middle out), then counted; allowed plans get what is left, shortened first."""
    whole = [b.render(b.sections, 0) for b in blocks]
    if sum(_size(lines) for lines in whole) <= budget:
        return [line for lines in whole for line in lines]
    budget -= 200  # room for the lines that say how many details are left out
    short = [b.render((), len(b.sections)) for b in blocks]
    chosen: dict[int, list[str]] = {}
    used = 0
    problems = [i for i, b in enumerate(blocks) if b.problem]
    quiet = [i for i, b in enumerate(blocks) if not b.problem]
    # As many problems as fit shortened (in order), each whole while the others kept still
    # fit at least shortened.
    fitting = 0
    for i in problems:
        if used + _size(short[i]) > budget:
            break
        used += _size(short[i])
        fitting += 1
    every_problem = fitting == len(problems)
    problems, used = problems[:fitting], 0
    reserve = sum(_size(short[i]) for i in problems)
    for i in problems:
        reserve -= _size(short[i])
        lines = _shrunk(blocks[i], whole[i], budget - used - reserve)
        if lines is None:
            break
        chosen[i] = lines
        used += _size(lines)
    if every_problem and len(chosen) == len(problems):
        if used + sum(_size(whole[i]) for i in quiet) <= budget:
            for i in quiet:
                chosen[i] = whole[i]
        else:
            for i in quiet:
                if used + _size(short[i]) > budget:
                    break
                chosen[i] = short[i]
                used += _size(short[i])
    out = [line for i in sorted(chosen) for line in chosen[i]]
    left = len(blocks) - len(chosen)
    if left:
        out += ["", f"_… the details of {left} more plan(s) are left out: see the JSON report._"]
    return out


def _shrunk(block: _Block, whole: list[str], room: int) -> list[str] | None:
    """The block whole, or with sections dropped from the middle until it fits `room`."""
    kept = list(block.sections)
    lines = whole
    while _size(lines) > room:
        if not kept:
            return None
        del kept[len(kept) // 2]
        lines = block.render(kept, len(block.sections) - len(kept))
    return lines


def _size(lines: Sequence[str]) -> int:
    return sum(len(line) + 1 for line in lines)


def _finding(finding: Finding, ctx: Context, where: bool = True) -> str:
    icon = _SEVERITY_ICON[finding.severity]
    suppressed = f" _(suppressed: {finding.suppression_reason})_" if finding.suppressed else ""
    at = f"{_where(finding.location.file, finding.location.line, ctx)}: " if where else ": "
    return (
        f"- {icon} **{finding.rule}** {brief.title(finding.rule)} ({finding.severity.value})"
        f"{' ' if where else ''}{at}{finding.message}{suppressed}"
    )


def _way(
    entry: EnvironmentEntry,
    plan: Plan,
    findings: Sequence[Finding],
    ctx: Context,
    shared: bool = False,
) -> tuple[tuple[str, ...], ...]:
    """For a rejected change: the way that works (keep the version, or the route MWAA takes
    and what changes in the code), not the downtime or checklist of a change that will not
    happen."""
    if entry.change is ChangeKind.DOWNGRADE:
        base = entry.shown("base")
        at = next((f.location for f in findings if f.rule == "MWAA001"), None)
        where = _where(at.file, at.line, ctx) if at else _where(entry.file, entry.line, ctx)
        place = "in each (the links above)" if shared else f"in {where}"
        return (
            (
                "#### The way that works",
                "",
                f"Keep {base}: set the Airflow version back to {base} {place}.",
                *(["", plan.route_note + "."] if plan.route_note else []),
            ),
        )
    sections = [_path(plan, "#### The way that works")]
    if plan.routes and plan.routes[0].steps[-1].constraint:
        sections.append(_constraints(plan))
    if plan.python:
        sections.append(_python(plan))
    # What to change in the code, and (--resolve) in the requirements, before upgrading.
    sections += [_section(s) for s in plan.sections if s.key in ("changes", "requirements")]
    return tuple(sections)


def _constraints(plan: Plan) -> tuple[str, ...]:
    steps = plan.routes[0].steps
    title = "Constraints line for requirements.txt" + (", hop by hop" if len(steps) > 1 else "")
    return (f"#### {title}", "", "```", *(s.constraint or "" for s in steps), "```")


def _python(plan: Plan) -> tuple[str, ...]:
    assert plan.python is not None
    consequence = plan.python.consequence
    return (
        f"#### Python {plan.python.from_python} → {plan.python.to_python}",
        "",
        consequence[:1].upper() + consequence[1:] + ".",
    )


def _section(section: Section) -> tuple[str, ...]:
    links = [f"[{link.title}]({link.url})" for link in section.links]
    return (
        f"#### {section.title}",
        "",
        *(f"- {item}" for item in section.items),
        *(["", "See: " + " · ".join(links)] if links else []),
    )


def _plan_sections(
    plan: Plan, entries: Sequence[EnvironmentEntry], names: _Names
) -> tuple[tuple[str, ...], ...]:
    sections = [_path(plan, "#### Path")]
    if plan.releases:
        sections.append(
            (
                f"#### {plan.releases_title}",
                "",
                *(f"- [Airflow {r.version}]({r.url}) (Python {r.python})" for r in plan.releases),
            )
        )
    if plan.python:
        sections.append(_python(plan))
    if plan.routes and plan.routes[0].steps[-1].constraint:
        sections.append(_constraints(plan))
    for section in plan.sections:
        if section.key == "rollback" and len(entries) > 1:
            sections.append(_shared_rollback(section, entries, names))
        else:
            sections.append(_section(section))
    sections.append(("#### Pre-flight checklist", "", *(f"- [ ] {c}" for c in plan.checklist)))
    return tuple(sections)


def _shared_rollback(
    section: Section, entries: Sequence[EnvironmentEntry], names: _Names
) -> tuple[str, ...]:
    """One rollback section for a group: what holds for all once, including a fact that only
    names a different bucket or file in each (`…` in place of the name); the rest per
    environment."""
    own = [
        next((s.items for s in e.plan.sections if s.key == "rollback"), ()) if e.plan else ()
        for e in entries
    ]
    shapes = [{_shape(item) for item in items} for items in own]
    alike = {shape for shape in shapes[0] if all(shape in other for other in shapes)}
    lines = [f"#### {section.title}", ""]
    shown: set[str] = set()
    for item in own[0]:
        if all(item in items for items in own):
            lines.append(f"- {item}")
        elif _shape(item) in alike and _shape(item) not in shown:
            shown.add(_shape(item))
            lines.append(f"- {_shape(item)} (in each environment, with its own names)")
    for entry, items in zip(entries, own, strict=True):
        lines += [
            f"- {names(entry)}: {item}"
            for item in items
            if _shape(item) not in alike and not all(item in other for other in own)
        ]
    return tuple(lines)


def _shape(item: str) -> str:
    return re.sub(r"`[^`]*`", "`…`", item)


def _path(plan: Plan, heading: str) -> tuple[str, ...]:
    lines = [heading, ""]
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
