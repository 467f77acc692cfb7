"""What every human-facing format leads with, laid out from the report alone: which
environments need attention (most severe first), each with the rule, a short reason and the
fix; groups of environments with the same change; the rollout by stage; the closing verdict.

No decision is made here: verdicts and findings come from the report. The short rule titles
below are presentation only (`iacplan rules` has the full summaries)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from iacplan.model import ChangeKind, Finding, Severity
from iacplan.report import EnvironmentEntry, Report, Verdict, overall_verdict
from iacplan.upgrade.plan import Plan

# A few words per rule, for titles such as "MWAA001 downgrade rejected (marketing-prod)".
# TODO(rules): swap for the rule's own short summary once every rule carries one.
TITLES = {
    "MWAA001": "downgrade",
    "MWAA002": "major change not in place",
    "MWAA003": "no version change from 1.10",
    "MWAA004": "version MWAA does not offer",
    "MWAA005": "bucket versioning off",
    "MWAA006": "bucket versioning unverified",
    "MWAA007": "replace/destroy",
    "MWAA008": "version unresolved",
    "MWAA009": "version past support",
    "MWAA010": "files not pinned",
    "MWAA011": "constraints line",
    "MWAA012": "drift from the account",
    "MWAA013": "Airflow 3 DAG review",
    "MWAA014": "environment not AVAILABLE",
    "MWAA015": "pinned object missing",
    "MWAA016": "account call error",
    "MWAA017": "requirements conflict",
    "MWAA018": "requirements unchecked",
}

# Most severe first: what blocks, then what cannot be checked, then warnings on allowed ones.
_RANK = {Verdict.REJECTED: 0, Verdict.UNVERIFIED: 1, Verdict.ALLOWED: 2, Verdict.UNCHANGED: 3}


def rank(verdict: Verdict) -> int:
    return _RANK[verdict]


def title(rule: str) -> str:
    return TITLES.get(rule, rule)


def label(entry: EnvironmentEntry) -> str:
    """How people name an environment: its MWAA name, else its id."""
    return entry.name or entry.id


@dataclass(frozen=True)
class Gist:
    """One finding in a line: a short reason and, where the message has one, the fix."""

    reason: str
    fix: str | None


def gist(finding: Finding, entry: EnvironmentEntry | None) -> Gist:
    message = finding.message.rstrip(".")
    when = ""
    # "if condition IsProd is false: downgrade …": the branch stays in front of the reason.
    found = re.match(r"(if [^:]+: )(.*)", message)
    if found:
        when, message = found[1], found[2]
    downgrade = re.match(r"downgrade (\S+) → (\S+?):", message)
    if finding.rule == "MWAA001" and downgrade:
        return Gist(
            f"{when}{downgrade[1]} → {downgrade[2]}",
            f"keep {downgrade[1]}",
        )
    if finding.rule == "MWAA007":
        sentences = re.split(r"(?<=[a-z)])\. (?=[A-Z])", message)
        head = sentences[0].split(" — ")[0].split(" (")[0]
        if "history is lost" in message:
            head += ": every run's history is lost"
        elif "history" not in head:
            head += ": its metadata database and run history go with it"
        fixes = [s for s in sentences[1:] if s.startswith(("To keep it", "MWAA cannot make"))]
        fix = fixes[0].removeprefix("To keep it, ") if fixes else None
        return Gist(when + head, fix)
    if "; " in message:
        reason, fix = message.rsplit("; ", 1)
        if not fix.startswith(("if ", "it is ")):
            return Gist(when + reason, fix)
    return Gist(when + message, None)


@dataclass(frozen=True)
class Attention:
    """An environment that needs a look: rejected, unverified, or allowed with warnings."""

    entry: EnvironmentEntry
    findings: tuple[Finding, ...]  # unsuppressed, errors first

    @property
    def lead(self) -> Finding | None:
        return self.findings[0] if self.findings else None


def attention(report: Report) -> list[Attention]:
    out = []
    for entry in report.environments:
        active = [f for f in report.findings_of(entry.id) if not f.suppressed]
        if entry.verdict in (Verdict.ALLOWED, Verdict.UNCHANGED) and not active:
            continue
        active.sort(key=lambda f: -f.severity.rank)
        out.append(Attention(entry, tuple(active)))
    # Stable: within a verdict, the report's order (by id).
    return sorted(out, key=lambda a: rank(a.entry.verdict))


def counts_phrase(
    report: Report, *, zero_ok: bool = False, shown: Callable[[str], str] = str
) -> str:
    """ "2 rejected, 2 unverified of 30 environments" / "30 allowed" — no zero counts; the
    environment and its change when there is only one."""
    counts = report.summary()
    total = counts["environments"]
    if total == 1:
        (entry,) = report.environments
        return f"{shown(label(entry))}: {change_phrase(entry)}"
    parts = [
        f"{counts[v.value]} {v.value}"
        for v in (Verdict.REJECTED, Verdict.UNVERIFIED)
        if counts[v.value]
    ]
    if parts:
        return f"{', '.join(parts)} of {plural(total, 'environment')}"
    parts = [
        f"{counts[v.value]} {v.value}"
        for v in (Verdict.ALLOWED, Verdict.UNCHANGED)
        if counts[v.value]
    ]
    return ", ".join(parts) if parts else ("no environment" if zero_ok else "")


def untouched(report: Report, code: Callable[[str], str] = str) -> str:
    """The root modules and templates left out, in a sentence; "" when none was. `code`
    shows the option (a code span in Markdown)."""
    count = report.untouched
    if not count:
        return ""
    what = "root module or template" if count == 1 else "root modules and templates"
    they = "it" if count == 1 else "they"
    return (
        f"{count} {what} untouched: no file {they} can read changed, so not evaluated "
        f"({code('--all')} evaluates {'it' if count == 1 else 'them'})."
    )


def no_environment(report: Report) -> str:
    return "no aws_mwaa_environment " + ("this change affects" if report.untouched else "found")


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def gate(report: Report) -> str:
    """The headline verdict in a few words."""
    verdict = overall_verdict(report)
    if verdict is Verdict.REJECTED:
        return "blocks this change"
    if verdict is Verdict.UNVERIFIED:
        return "cannot verify this change"
    if verdict is Verdict.ALLOWED:
        return "allows this change"
    if verdict is Verdict.UNCHANGED:
        return "found no version change"
    return "found no MWAA environment" + (" this change affects" if report.untouched else "")


@dataclass(frozen=True)
class Group:
    """Environments shown as one: same verdict, same versions, no finding, same plan."""

    entries: tuple[EnvironmentEntry, ...]

    @property
    def first(self) -> EnvironmentEntry:
        return self.entries[0]


def groups(
    entries: Sequence[EnvironmentEntry], report: Report, by_plan: bool = False
) -> list[Group]:
    """Allowed and unchanged environments without findings, grouped by their change (and,
    with `by_plan`, by their plan but for its per-environment rollback facts; then problems
    whose findings and plan say the very same thing are grouped too); every other
    environment is a group of its own. Order: as given (the first member decides)."""
    keyed: dict[object, list[EnvironmentEntry]] = {}
    for entry in entries:
        quiet = entry.verdict in (Verdict.ALLOWED, Verdict.UNCHANGED) and not any(
            not f.suppressed for f in report.findings_of(entry.id)
        )
        key: object = entry.id
        plan = shared_plan(entry.plan) if by_plan and entry.plan else None
        versions = (entry.verdict, entry.shown("base"), entry.shown("head"), entry.change)
        facts = (entry.notes, entry.planned_action, entry.planned_detail, entry.evaluated_alone)
        if quiet:
            key = (*versions, plan, facts)
        elif by_plan and entry.verdict in (Verdict.REJECTED, Verdict.UNVERIFIED):
            # Problems share a details block only when they say the very same thing.
            said = tuple(
                (f.rule, f.severity, f.message, f.suppressed, f.suppression_reason)
                for f in report.findings_of(entry.id)
            )
            key = (*versions, plan, said, facts)
        keyed.setdefault(key, []).append(entry)
    return [Group(tuple(members)) for members in keyed.values()]


def shared_plan(plan: Plan) -> Plan:
    """The plan without what differs between environments with the same change (the
    bucket and files of the rollback section)."""
    return replace(plan, sections=tuple(s for s in plan.sections if s.key != "rollback"))


def change_phrase(entry: EnvironmentEntry) -> str:
    base, head = entry.shown("base"), entry.shown("head")
    if entry.change is ChangeKind.UNCHANGED:
        return f"{head} (unchanged)"
    if entry.change is ChangeKind.UNKNOWN:
        return f"{base} → {head}"
    return f"{base} → {head} ({entry.change.value.replace('-', ' ')})"


def findings_count(findings: Sequence[Finding]) -> str:
    errors = sum(f.severity is Severity.ERROR for f in findings if not f.suppressed)
    warnings = sum(f.severity is Severity.WARNING for f in findings if not f.suppressed)
    suppressed = sum(f.suppressed for f in findings)
    parts = []
    if errors:
        parts.append(plural(errors, "error"))
    if warnings:
        parts.append(plural(warnings, "warning"))
    if suppressed:
        parts.append(f"{suppressed} suppressed")
    return ", ".join(parts)


@dataclass(frozen=True)
class Stage:
    name: str
    entries: tuple[EnvironmentEntry, ...]


def stages(report: Report) -> list[Stage]:
    """The rollout order as one row per stage, least critical first."""
    by_id = {e.id: e for e in report.environments}
    out: list[Stage] = []
    for item in report.rollout.order:
        entry = by_id.get(item.id)
        if entry is None:
            continue
        if out and out[-1].name == item.stage:
            out[-1] = Stage(item.stage, (*out[-1].entries, entry))
        else:
            out.append(Stage(item.stage, (entry,)))
    return out


def closing(report: Report) -> str:
    """The last line of the text report: the verdict again and what did not pass."""
    verdict = overall_verdict(report)
    if verdict is None:
        return f"iacplan: {no_environment(report)}"
    rejected = [
        f"{label(a.entry)} ({', '.join(_error_rules(a.findings))})"
        for a in attention(report)
        if a.entry.verdict is Verdict.REJECTED
    ]
    unverified = [label(e) for e in report.environments if e.verdict is Verdict.UNVERIFIED]
    parts = []
    if rejected:
        parts.append(_capped(rejected))
    if unverified:
        parts.append("unverified: " + _capped(unverified))
    if not parts:
        counts = counts_phrase(report)
        return f"iacplan: {verdict.value.upper()} — {counts}"
    return f"iacplan: {verdict.value.upper()} — {'; '.join(parts)}"


def _error_rules(findings: Sequence[Finding]) -> list[str]:
    return list(dict.fromkeys(f.rule for f in findings if f.severity is Severity.ERROR))


def _capped(names: Sequence[str], most: int = 10) -> str:
    if len(names) <= most:
        return ", ".join(names)
    return ", ".join(names[:most]) + f" and {len(names) - most} more"
