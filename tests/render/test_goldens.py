"""Snapshots of the text and Markdown reports of every sample (tests/render/goldens).

They are reviewed by eye: after a deliberate change, run `pytest tests/render --update-goldens`
and read the diff before committing it."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import CASES, command, iacplan

GOLDENS = Path(__file__).parent / "goldens"


@pytest.mark.parametrize("format_name,suffix", [("text", "txt"), ("markdown", "md")])
@pytest.mark.parametrize("sample", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_report_matches_its_golden(
    sample: Path,
    format_name: str,
    suffix: str,
    update_goldens: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IACPLAN_TODAY", "2026-11-24")
    monkeypatch.chdir(sample)
    out = iacplan(*command(sample), "--format", format_name).stdout
    golden = GOLDENS / sample.parent.name / f"{sample.name}.{suffix}"
    if update_goldens:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(out, encoding="utf-8")
    assert golden.is_file(), f"no golden {golden}: run pytest --update-goldens and review it"
    assert out == golden.read_text(encoding="utf-8")
