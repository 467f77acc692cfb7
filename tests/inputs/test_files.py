"""Reading the user's files: one-line errors naming the file (and line), the size and nesting
limits, the per-load cache, and how paths are shown."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from iacplan.errors import InputError
from iacplan.inputs import files
from iacplan.runtime import limits


@pytest.fixture(autouse=True)
def fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test reads its own files from the start, from inside tmp_path."""
    monkeypatch.chdir(tmp_path)
    files.clear_caches()


def test_text_is_utf8_without_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "main.tf"
    path.write_bytes(b'\xef\xbb\xbfname = "\xc3\xa9"\n')
    assert files.read_text(path) == 'name = "é"\n'
    assert files.lines(path) == ['name = "é"']


def test_text_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "main.tf"
    path.write_bytes(b'a = 1\nb = 2\nc = "\xff"\n')
    with pytest.raises(InputError, match=r"^main\.tf:3: not UTF-8 text \(byte 17\)$"):
        files.read_text(path)


def test_an_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^missing\.tf: cannot read: "):
        files.read_text(tmp_path / "missing.tf")


def test_reads_are_cached_until_cleared(tmp_path: Path) -> None:
    path = tmp_path / "main.tf"
    path.write_text("before\n")
    assert files.read_text(path) == "before\n"
    path.write_text("after\n")
    # The same file, however it is named: several stages read it during one load.
    assert files.read_text(Path("main.tf")) == "before\n"
    files.clear_caches()
    assert files.read_text(path) == "after\n"


def test_a_file_beyond_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b" " * (2 * 1024 * 1024))
    with limits.applied(limits.Limits(max_file_mb=1)):
        with pytest.raises(InputError, match=r"^big\.json: 2\.0 MB, more than the 1 MB"):
            files.read_text(path)
        with pytest.raises(InputError, match="max_file_mb"):
            files.refuse_big(path)
    files.clear_caches()
    assert files.read_text(path).strip() == ""  # within the default limit


def test_tf_files_are_the_configurations_files_sorted(tmp_path: Path) -> None:
    for name in ("b.tf", "a.tf.json", "notes.md", "c.tfvars"):
        (tmp_path / name).write_text("")
    (tmp_path / "d.tf").mkdir()  # a directory with such a name is skipped, not read
    assert [p.name for p in files.tf_files(tmp_path)] == ["a.tf.json", "b.tf"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_among_the_tf_files_is_refused(tmp_path: Path) -> None:
    """The evaluator opens every .tf entry itself: a FIFO would block it forever."""
    os.mkfifo(tmp_path / "main.tf")
    with pytest.raises(InputError, match=r"main\.tf: not a regular file"):
        files.tf_files(tmp_path)


def test_parse_json_strict_and_not(tmp_path: Path) -> None:
    assert files.parse_json("plan.json", '{"a": [1]}') == {"a": [1]}
    with pytest.raises(InputError, match=r"^plan\.json:2: invalid JSON: "):
        files.parse_json("plan.json", '{\n  "a": oops\n}')
    assert files.parse_json("template.yaml", "Resources: {}", strict=False) is None


def test_parse_json_refuses_nesting_beyond_the_limits(tmp_path: Path) -> None:
    deep = "[" * 50 + "]" * 50
    with (
        limits.applied(limits.Limits(max_nesting=10)),
        pytest.raises(InputError, match=r"^deep\.json: .*max_nesting"),
    ):
        files.parse_json("deep.json", deep)
    assert files.parse_json("deep.json", deep) is not None
    beyond_python = "[" * 100_000 + "]" * 100_000
    with pytest.raises(InputError, match="nested too deeply for Python's parser"):
        files.parse_json("deep.json", beyond_python)


def test_refuse_deep_names_the_line_when_it_is_known() -> None:
    with (
        limits.applied(limits.Limits(max_nesting=2)),
        pytest.raises(InputError, match=r"^t\.yaml:7: "),
    ):
        files.refuse_deep("t.yaml", {"a": {"b": {"c": 1}}}, line=lambda node: 7)


def test_json_line_finds_a_key_or_a_key_and_value() -> None:
    text = json.dumps({"ParameterKey": "Stage", "x": 1}, indent=2) + '\n{"ParameterKey": "Version"}'
    assert files.json_line(text, "ParameterKey") == 2
    assert files.json_line(text, "ParameterKey", "Version") == 5
    assert files.json_line(text, "ParameterKey", start=text.index("Version")) == 1  # absent
    assert files.json_line('{"a": "quote \\" inside"}', "a", 'quote " inside') == 1


def test_display_path_is_relative_below_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    assert files.display_path(tmp_path / "infra" / "main.tf") == "infra/main.tf"
    assert files.display_path(Path("infra/../infra/main.tf")) == "infra/main.tf"
    outside = tmp_path.parent / "elsewhere.tf"
    assert files.display_path(outside) == outside.as_posix()


def test_shown_as_displays_a_revisions_copy_as_the_working_tree(tmp_path: Path) -> None:
    copy = tmp_path.parent / f"{tmp_path.name}-revision"
    assert files.shown_paths() == ()
    with files.shown_as(copy, tmp_path):
        assert files.display_path(copy / "infra" / "main.tf") == "infra/main.tf"
        assert files.shown_paths() == ((copy, tmp_path),)
    assert files.display_path(copy / "main.tf") == (copy / "main.tf").as_posix()
    assert files.shown_paths() == ()


def test_normpath_folds_dots_without_touching_the_disk() -> None:
    assert files.normpath(Path("a/./b/../c")) == Path("a/c")
