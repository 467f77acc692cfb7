"""The rules as people read them, from the rules' own metadata: `iacplan rules` prints these.

`markdown()` is the README's rule table, byte for byte (tests/rules/test_docs.py fails when the
README drifts from it): regenerate it with `iacplan rules --format markdown`."""

from __future__ import annotations

from collections.abc import Sequence

from iacplan.rules.base import Rule


def text(rules: Sequence[Rule]) -> str:
    """One line per rule: ID, default severity, when it fires (code spans shown plain)."""
    return "".join(
        f"{rule.id}  {rule.severity.value:<8} {rule.summary.replace('`', '')}\n" for rule in rules
    )


def markdown(rules: Sequence[Rule]) -> str:
    """A Markdown table: ID, name, default severity, when it fires, the page that explains it."""
    lines = [
        "| ID | name | default | fires when | explained in |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {rule.id} | `{rule.name}` | {rule.severity.value} | {_cell(rule.summary)} | "
        f"[{_cell(rule.help_title)}]({rule.help_url}) |"
        for rule in rules
    ]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
