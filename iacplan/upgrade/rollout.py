"""The rollout order: which changing environments go first, least critical first, ranked by a
stage tag or a stage word in the name (`rollout:` in .iacplan.yaml)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from iacplan.model import Change


@dataclass(frozen=True)
class Ordering:
    """How environments are ranked for a rollout: least critical first."""

    tags: tuple[str, ...] = ("env", "environment", "stage")
    stages: tuple[tuple[str, ...], ...] = (
        ("dev", "development", "sandbox"),
        ("test", "testing", "qa"),
        ("staging", "stage", "stg", "preprod", "uat"),
        ("prod", "production", "prd", "live"),
    )
    source: str = "the default"  # where the ordering comes from, for the reader

    def describe(self) -> str:
        stages = " < ".join(group[0] for group in self.stages)
        tags = "/".join(self.tags)
        return (
            f"least critical first: by the tag {tags} ({stages}), else by a stage word in the "
            f"name; environments with no stage go last (treated as production); ties by id — "
            f"ordering from {self.source}"
        )

    def rank(self, name: str | None, tags: Sequence[tuple[str, str]]) -> tuple[int, str]:
        """(stage index, why); len(stages) when nothing says which stage it is."""
        tag_values = {k.lower(): v for k, v in tags}
        for tag in self.tags:
            value = tag_values.get(tag.lower())
            index = self._stage(value)
            if index is not None:
                return index, f"tag {tag} = {value}"
        index = self._stage(name)
        if index is not None:
            return index, f"name {name}"
        return len(self.stages), "no stage found"

    def _stage(self, text: str | None) -> int | None:
        """The stage of the first word of `text` that names one ("prod-eu" is prod)."""
        for word in re.split(r"[^a-z0-9]+", (text or "").lower()):
            index = next((i for i, group in enumerate(self.stages) if word in group), None)
            if index is not None:
                return index
        return None


@dataclass(frozen=True)
class RolloutEntry:
    id: str
    stage: str  # the stage group's first word, or "unknown"
    reason: str


@dataclass(frozen=True)
class Rollout:
    rule: str
    order: tuple[RolloutEntry, ...]


def rollout(changes: Sequence[Change], ordering: Ordering) -> Rollout:
    """The changing environments, least critical first."""
    ranked = []
    for change in changes:
        env = change.head
        if env is None:
            continue
        index, reason = ordering.rank(env.name.text, env.tags)
        stage = ordering.stages[index][0] if index < len(ordering.stages) else "unknown"
        ranked.append((index, change.id, RolloutEntry(change.id, stage, reason)))
    return Rollout(ordering.describe(), tuple(entry for *_, entry in sorted(ranked)))
