"""The rollout order in the JSON report: least critical first, by tag, then name; configurable."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import TreeMaker
from helpers import SAMPLES, iacplan, mwaa
from iacplan.upgrade.rollout import Ordering


@pytest.fixture(autouse=True)
def fixed_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IACPLAN_TODAY", "2026-11-24")


STAGED = {
    "main.tf": "".join(
        mwaa(f'"{version}"', name, extra=f"  tags = {{ {tags} }}\n")
        for name, version, tags in [
            ("alpha", "{v}", 'env = "prod"'),
            ("bravo", "{v}", 'team = "data"'),
            ("charlie", "{v}", 'Environment = "staging"'),
            ("delta_dev", "{v}", ""),
        ]
    )
}


def staged(tree: TreeMaker, config: str | None = None) -> list[tuple[str, str]]:
    base = tree({k: v.replace("{v}", "2.9.2") for k, v in STAGED.items()}, sub="base")
    head = tree({k: v.replace("{v}", "2.10.3") for k, v in STAGED.items()}, sub="head")
    args: list[str | Path] = ["check", "--base", base, head, "--format", "json"]
    if config is not None:
        path = tree({"iacplan.yaml": config}, sub="config") / "iacplan.yaml"
        args += ["--config", path]
    run = iacplan(*args)
    assert run.exit_code == 0, run.stderr
    return [(e["id"].split(".")[-1], e["stage"]) for e in run.report["rollout"]["order"]]


def test_rollout_order_least_critical_first_by_tag_then_name(tree: TreeMaker) -> None:
    assert staged(tree) == [
        ("delta_dev", "dev"),
        ("charlie", "staging"),
        ("alpha", "prod"),
        ("bravo", "unknown"),
    ]


def test_rollout_order_is_configurable(tree: TreeMaker) -> None:
    config = "rollout:\n  tags: [team]\n  stages: [data, [dev, sandbox]]\n"
    assert staged(tree, config)[:2] == [("bravo", "data"), ("delta_dev", "dev")]


def test_rollout_rule_is_in_the_report() -> None:
    sample = SAMPLES / "minor-upgrade"
    run = iacplan("check", "--base", sample / "base", sample / "head", "--format", "json")
    assert run.report["rollout"]["rule"].startswith("least critical first")


def test_a_stage_word_inside_a_tag_value_counts_like_one_in_a_name() -> None:
    ordering = Ordering()
    assert ordering.rank("analytics", [("env", "prod-eu")]) == (3, "tag env = prod-eu")
    assert ordering.rank("analytics-dev", [("team", "data")]) == (0, "name analytics-dev")
