"""GitHub Actions workflow commands: one annotation line per finding, on the file and line
from the repository root, e.g.
`::error file=infra/main.tf,line=12,title=MWAA001 downgrade rejected (marketing-prod)::…`.

Errors first, then warnings, then notices (suppressed findings): GitHub shows only the first
10 of each kind per step, in print order, so the ones that block come first, and past 10 one
more notice says how many were not shown and where the whole report is.

Escaped as the runner expects: `%`, CR and LF in the message; also `:` and `,` in the
properties. A file outside the repository gets no file."""

from __future__ import annotations

from iacplan.model import Finding, Severity
from iacplan.render import brief
from iacplan.render.context import Context
from iacplan.report import EnvironmentEntry, Report

SHOWN = 10  # GitHub keeps this many annotations of each kind per step
_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning"}
_ORDER = ("error", "warning", "notice")


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: Report, colour: bool = False, context: Context | None = None) -> str:
    ctx = context or Context()
    entries = {e.id: e for e in report.environments}
    kinds: dict[str, list[str]] = {kind: [] for kind in _ORDER}
    for finding in report.findings:
        kind = _kind(finding)
        kinds[kind].append(_line(kind, finding, entries.get(finding.environment), ctx))
    where = f"the job log or {ctx.run_url}" if ctx.run_url else "the job log"
    # The counts are notices too: they come before the suppressed findings' notices and
    # take their room, so GitHub keeps them.
    overflow = [kind for kind in _ORDER if len(kinds[kind]) > SHOWN]
    room = {"error": SHOWN, "warning": SHOWN, "notice": SHOWN - len(overflow)}
    lines = [line for kind in _ORDER[:2] for line in kinds[kind][: room[kind]]]
    for kind in overflow:
        left = len(kinds[kind]) - room[kind]
        title = escape_property(f"iacplan: {left} more {kind}s not shown")
        message = escape_data(
            f"{left} more {kind} annotation(s) not shown (GitHub shows {SHOWN} of each kind "
            f"per step): the whole report is in {where} (iacplan check --format text, or "
            "--output json=FILE)"
        )
        lines.append(f"::notice title={title}::{message}")
    lines += kinds["notice"][: room["notice"]]
    return "".join(line + "\n" for line in lines)


def _kind(finding: Finding) -> str:
    return "notice" if finding.suppressed else _COMMAND[finding.severity]


def _title(finding: Finding, entry: EnvironmentEntry | None) -> str:
    state = (
        {Severity.ERROR: " rejected"}.get(finding.severity, "") if not finding.suppressed else ""
    )
    who = brief.label(entry) if entry is not None else finding.environment
    suppressed = " (suppressed)" if finding.suppressed else ""
    return f"{finding.rule} {brief.title(finding.rule)}{state} ({who}){suppressed}"


def _line(kind: str, finding: Finding, entry: EnvironmentEntry | None, ctx: Context) -> str:
    properties = []
    file = ctx.paths.relative(finding.location.file)
    if file is not None:
        properties.append(f"file={escape_property(file)}")
        if finding.location.line >= 1:
            properties.append(f"line={finding.location.line}")
    properties.append(f"title={escape_property(_title(finding, entry))}")
    message = f"{finding.environment}: {finding.message}"
    if finding.suppressed and finding.suppression_reason:
        message += f" (suppressed: {finding.suppression_reason})"
    return f"::{kind} {','.join(properties)}::{escape_data(message)}"
