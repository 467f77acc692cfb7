"""Output formats, each a function from the Report to text."""

from __future__ import annotations

from collections.abc import Callable

from iacplan.render import github, json, junit, markdown, sarif, text
from iacplan.report import Report

Renderer = Callable[[Report, bool], str]  # (report, colour) -> text

RENDERERS: dict[str, Renderer] = {
    "text": text.render,
    "markdown": markdown.render,
    "json": json.render,
    "sarif": sarif.render,
    "github": github.render,
    "junit": junit.render,
}
