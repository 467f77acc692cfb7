"""Loading .iacplan.yaml, validated against schemas/config.schema.json."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iacplan.errors import InputError
from iacplan.inputs.files import refuse_big, refuse_deep
from iacplan.model import Policy, Severity, Suppression
from iacplan.runtime.limits import Limits
from iacplan.schemas import validate
from iacplan.upgrade.rollout import Ordering

if TYPE_CHECKING:
    import yaml

DEFAULT_NAME = ".iacplan.yaml"


def today() -> date:
    """The date support status is judged on: IACPLAN_TODAY (YYYY-MM-DD) makes reruns identical."""
    fixed = os.environ.get("IACPLAN_TODAY")
    if not fixed:
        return date.today()
    try:
        return date.fromisoformat(fixed)
    except ValueError as exc:
        raise InputError(f"IACPLAN_TODAY={fixed!r} is not a date (YYYY-MM-DD)") from exc


@dataclass(frozen=True)
class Config:
    policy: Policy = field(default_factory=Policy)
    versions_file: Path | None = None
    ordering: Ordering = field(default_factory=Ordering)
    limits: Limits = field(default_factory=Limits.resolve)


@cache
def _loader() -> type[yaml.SafeLoader]:
    import yaml

    class Loader(yaml.SafeLoader):
        """Safe YAML without aliases of mappings or lists: a few lines of them expand to
        billions of nodes in any message that shows the value ("billion laughs")."""

        def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()  # type: ignore[no-untyped-call]
                if isinstance(self.anchors.get(event.anchor), yaml.CollectionNode):
                    raise yaml.composer.ComposerError(
                        problem="an alias of a mapping or list (not supported in the config)",
                        problem_mark=event.start_mark,
                    )
            return super().compose_node(parent, index)

    return Loader


def load_config(path: Path | None) -> Config:
    """The config at `path`; with None, ./.iacplan.yaml when present, else the defaults."""
    if path is None:
        path = Path(DEFAULT_NAME)
        if not path.is_file():
            return Config()
    refuse_big(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the config: {exc}") from exc
    import yaml  # about 25 ms: only when there is a config

    try:
        raw: Any = yaml.load(text, Loader=_loader())  # a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise InputError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from exc
    raw = {} if raw is None else raw
    refuse_deep(str(path), raw)
    validate(raw, "config.schema.json", str(path))
    from iacplan.rules import RULES  # only for a config file: not at every start

    known = {rule.id for rule in RULES}
    for rule_id in [*raw.get("severity", {}), *(s["rule"] for s in raw.get("suppressions", []))]:
        if rule_id not in known:
            raise InputError(f"{path}: unknown rule {rule_id} (see `iacplan rules`)")
    versions_file = raw.get("versions_file")
    return Config(
        policy=Policy(
            severities={k: Severity(v) for k, v in raw.get("severity", {}).items()},
            suppressions=tuple(Suppression(**s) for s in raw.get("suppressions", [])),
        ),
        versions_file=path.parent / versions_file if versions_file else None,
        ordering=_ordering(raw.get("rollout"), path),
        limits=Limits.resolve(raw.get("limits")),
    )


def _ordering(raw: dict[str, Any] | None, path: Path) -> Ordering:
    if raw is None:
        return Ordering()
    default = Ordering()
    stages = raw.get("stages")
    return Ordering(
        tags=tuple(raw.get("tags", default.tags)),
        stages=tuple(tuple(w.lower() for w in ([s] if isinstance(s, str) else s)) for s in stages)
        if stages
        else default.stages,
        source=str(path),
    )
