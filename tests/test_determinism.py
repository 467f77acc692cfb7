"""Same input, same bytes: across runs, file-system listing orders and hash seeds."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helpers import CFN_SAMPLES, FIXTURES, REPO, SAMPLES, iacplan

PLANS = sorted((REPO / "samples" / "terraform-plan").glob("*/plan.json"))
# Several inputs per run, so that the order they are found and reported in matters.
COMMANDS = [
    ["check", "--base", "base", "head"],
    ["check", "--base", "cfn-base", "cfn-head"],
    ["check", *(f"plans/{p.parent.name}.json" for p in PLANS), "changeset.json"],
]


def _files() -> dict[str, bytes]:
    """A monorepo of every Terraform sample (base and head, one root each), the fixtures, the
    CloudFormation templates, the plans and a change set: relative path -> content."""
    files: dict[str, bytes] = {}
    for sample in sorted(p for p in SAMPLES.iterdir() if p.is_dir()):
        for side in ("base", "head"):
            for path in sorted((sample / side).rglob("*")):
                if path.is_file():
                    files[f"{side}/{sample.name}/{path.relative_to(sample / side)}"] = (
                        path.read_bytes()
                    )
    for path in sorted((FIXTURES / "terraform").rglob("*.tf")):
        files[f"head/fixtures/{path.relative_to(FIXTURES / 'terraform')}"] = path.read_bytes()
    for sample in sorted(p for p in CFN_SAMPLES.iterdir() if (p / "head").is_dir()):
        for side in ("base", "head"):
            for path in sorted((sample / side).iterdir()):
                files[f"cfn-{side}/{sample.name}/{path.name}"] = path.read_bytes()
    for plan in PLANS:
        files[f"plans/{plan.parent.name}.json"] = plan.read_bytes()
    changeset = CFN_SAMPLES / "changeset-property-values" / "changeset.json"
    files["changeset.json"] = changeset.read_bytes()
    return files


def _write(root: Path, files: dict[str, bytes], order: Callable[[list[str]], list[str]]) -> Path:
    for name in order(list(files)):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(files[name])
    return root


def _outputs() -> list[str]:
    """Each command's report as JSON, text and Markdown."""
    outputs = []
    for command in COMMANDS:
        run = iacplan(
            *command, "--format", "json", "--output", "text=out.txt", "--output", "markdown=out.md"
        )
        assert run.exit_code in (0, 1), (command, run.stderr)
        outputs += [run.stdout, Path("out.txt").read_text(), Path("out.md").read_text()]
    return outputs


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return _files()


@pytest.fixture
def in_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, bytes]
) -> Callable[[str, Callable[[list[str]], list[str]]], None]:
    """Write the monorepo in the given file order and work inside it (paths are relative)."""

    def make(name: str, order: Callable[[list[str]], list[str]]) -> None:
        monkeypatch.chdir(_write(tmp_path / name, files, order))

    return make


def test_the_same_input_gives_the_same_bytes_run_after_run(in_tree: Callable[..., None]) -> None:
    in_tree("tree", sorted)
    first = _outputs()
    assert _outputs() == first
    assert all(first)


def test_the_order_files_were_created_in_changes_nothing(in_tree: Callable[..., None]) -> None:
    in_tree("sorted", sorted)
    expected = _outputs()
    in_tree("reversed", lambda names: sorted(names, reverse=True))
    assert _outputs() == expected


def _listing(order: Callable[[list[str]], list[str]]) -> tuple[Callable[..., object], ...]:
    """os.scandir and os.listdir that return entries in the given order of names."""
    scandir, listdir = os.scandir, os.listdir

    class Scandir:
        def __init__(self, path: str | os.PathLike[str] = ".") -> None:
            with scandir(path) as entries:
                by_name = {entry.name: entry for entry in entries}
            self.entries = [by_name[name] for name in order(list(by_name))]

        def __iter__(self) -> Iterator[os.DirEntry[str]]:
            return self

        def __next__(self) -> os.DirEntry[str]:
            if not self.entries:
                raise StopIteration
            return self.entries.pop(0)

        def __enter__(self) -> Scandir:
            return self

        def __exit__(self, *_: object) -> None:
            pass

        def close(self) -> None:
            pass

    def ordered_listdir(path: str | os.PathLike[str] = ".") -> list[str]:
        return order(listdir(path))

    return Scandir, ordered_listdir


def _shuffled(names: list[str]) -> list[str]:
    random.Random(8).shuffle(names)
    return names


@pytest.mark.parametrize(
    "order",
    [lambda names: sorted(names, reverse=True), _shuffled],
    ids=["reversed", "shuffled"],
)
def test_the_order_the_file_system_lists_entries_in_changes_nothing(
    in_tree: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
    order: Callable[[list[str]], list[str]],
) -> None:
    in_tree("tree", sorted)
    expected = _outputs()
    scandir, listdir = _listing(order)
    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "listdir", listdir)
    assert _outputs() == expected


def test_the_hash_seed_changes_nothing(tmp_path: Path, files: dict[str, bytes]) -> None:
    """Set and dict orders of strings differ between processes unless the code sorts them."""
    root = _write(tmp_path / "tree", files, sorted)
    outputs = []
    for seed in ("1", "2"):
        runs = []
        for command in COMMANDS:
            child = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "from iacplan.cli import main; main()",
                    *command,
                    "--format",
                    "markdown",
                ],
                cwd=root,
                env={**os.environ, "PYTHONHASHSEED": seed},
                capture_output=True,
                timeout=300,
            )
            assert child.returncode in (0, 1), child.stderr
            runs.append(child.stdout)
        outputs.append(runs)
    assert outputs[0] == outputs[1]
    shutil.rmtree(root)
