"""The machine-readable report (schemas/report.schema.json)."""

from __future__ import annotations

import json

from iacplan.render.context import Context
from iacplan.report import Report


def render(report: Report, colour: bool = False, context: Context | None = None) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
