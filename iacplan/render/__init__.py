"""Output formats, each a module here with a function from the Report to text."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from iacplan.render.context import Context
    from iacplan.report import Report


class Renderer(Protocol):
    """(report, colour, context) -> text: a pure function; the context (paths from the
    repository root, CI links, layout) is computed by the caller."""

    def __call__(
        self, report: Report, colour: bool = False, context: Context | None = None, /
    ) -> str: ...


FORMATS = ("text", "markdown", "json", "sarif", "github", "junit")


class _Renderers(Mapping[str, Renderer]):
    """Each format's module is imported when a run asks for it: a run writes one or two, and
    importing all of them (XML, hashing) slows every start."""

    def __getitem__(self, name: str) -> Renderer:
        if name not in FORMATS:
            raise KeyError(name)
        render: Renderer = import_module(f"iacplan.render.{name}").render
        return render

    def __iter__(self) -> Iterator[str]:
        return iter(FORMATS)

    def __len__(self) -> int:
        return len(FORMATS)


RENDERERS: Mapping[str, Renderer] = _Renderers()
