"""Output formats, each a function from the Report to text."""

from __future__ import annotations

from collections.abc import Callable

from iacplan.render import json, markdown, text
from iacplan.report import Report

Renderer = Callable[[Report, bool], str]  # (report, colour) -> text

RENDERERS: dict[str, Renderer] = {
    "text": text.render,
    "markdown": markdown.render,
    "json": json.render,
}
