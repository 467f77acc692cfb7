"""Override files (`override.tf`, `*_override.tf`), merged as Terraform merges them.

The evaluator reads an override file as one more file, so a block it overrides is there twice
and whichever it reads first wins. Terraform loads the module's other files first, then each
override file in lexical order, and merges each of its blocks into the block of the same type
and labels: every argument replaces the original one (or is added), every nested block type
replaces all the original's blocks of that type; a `locals` entry replaces the local of the same
name wherever it is defined.

Here the merge is made in the text, in a copy of the module directories (other files and
directories are links to the originals): each block an override touches is blanked where it
was and written, merged, at the end of its file, so every other line keeps its number; a line
map carries what is read from the merged blocks back to the line it came from (the override
file's for an overriding argument). Where the merge is not static — JSON syntax, a
`terraform` block, an override of a block that does not exist, text the scanner cannot
follow — there is no copy, and the caller treats every value as unknown, as before.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields, is_dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

from iacplan.inputs import confine
from iacplan.inputs.files import display_path, read_text, shown_as, tf_files
from iacplan.inputs.terraform.values import _quoted_end
from iacplan.model import Location


def is_override(path: Path) -> bool:
    stem = path.name.removesuffix(".json").removesuffix(".tf")
    return stem == "override" or stem.endswith("_override")


class NotStatic(Exception):
    """The merge cannot be made from the text alone."""


class Item(NamedTuple):
    """A top-level block, or an argument or nested block inside one: lines, 0-based, end
    exclusive."""

    kind: str  # "attribute" | "block"
    name: str  # the argument's name, or the block type
    labels: tuple[str, ...]
    start: int
    end: int
    body: tuple[Item, ...] = ()  # a block's items


_HEADER = re.compile(
    r"[ \t]*(?P<name>[A-Za-z_][\w-]*)[ \t]*"
    r'(?:(?P<equals>=)(?!=)|(?P<labels>(?:"[^"\n]*"[ \t]*|[A-Za-z_][\w-]*[ \t]*)*)\{)'
)
_LABEL = re.compile(r'"([^"\n]*)"|([A-Za-z_][\w-]*)')
_BLANK = re.compile(r"[ \t]*(?:(?:#|//).*)?$")
_TOKEN = re.compile(r'"|#|//|/\*|<<-?(?P<heredoc>[A-Za-z_][\w-]*)|[()\[\]{}]|\n')


def _skip(text: str, position: int, body: bool) -> int:
    """Past an expression (to the line break that ends it) or a block body (past its `}`)."""
    depth = 0
    while True:
        match = _TOKEN.search(text, position)
        if match is None:
            if body:
                raise NotStatic("a block is not closed")
            return len(text)
        token, start = match[0], match.start()
        position = match.end()
        if token == "\n":
            if depth == 0 and not body:
                return start
        elif token in ("#", "//"):
            end = text.find("\n", start)
            position = len(text) if end < 0 else end
        elif token == "/*":
            end = text.find("*/", start)
            if end < 0:
                raise NotStatic("a comment is not closed")
            position = end + 2
        elif token == '"':
            position = _quoted_end(text, position)
        elif match["heredoc"]:
            closing = re.compile(rf"^[ \t]*{re.escape(match['heredoc'])}[ \t]*$", re.M)
            found = closing.search(text, position)
            if found is None:
                raise NotStatic("a heredoc is not closed")
            position = found.end()
        elif token in "([{":
            depth += 1
        else:
            depth -= 1
            if depth < 0:
                if body:
                    return position
                raise NotStatic("an argument shares its line with a closing brace")


def _items(text: str, starts: list[int], position: int, end: int) -> tuple[Item, ...]:
    """The items between `position` and `end` (offsets), each on lines of its own."""
    items = []
    while position < end:
        line_end = text.find("\n", position)
        line_end = end if line_end < 0 or line_end > end else line_end
        if _BLANK.fullmatch(text, position, line_end):
            position = line_end + 1
            continue
        header = _HEADER.match(text, position, end)
        if header is None:
            raise NotStatic(f"line {_line(starts, position) + 1} cannot be followed")
        if header["equals"]:
            stop = _skip(text, header.end(), body=False)
            body: tuple[Item, ...] = ()
            labels: tuple[str, ...] = ()
        else:
            stop = _skip(text, header.end(), body=True)
            one_line = _line(starts, header.end()) == _line(starts, stop)
            body = () if one_line else _items(text, starts, header.end(), stop - 1)
            labels = tuple(a or b for a, b in _LABEL.findall(header["labels"] or ""))
        rest = text.find("\n", stop)
        rest = len(text) if rest < 0 else rest
        if not _BLANK.fullmatch(text, stop, rest):
            raise NotStatic(f"line {_line(starts, stop) + 1} holds more than one item")
        kind = "attribute" if header["equals"] else "block"
        first, last = _line(starts, position), _line(starts, stop) + 1
        items.append(Item(kind, header["name"], labels, first, last, body))
        position = rest + 1
    return tuple(items)


def _line(starts: list[int], offset: int) -> int:
    low, high = 0, len(starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if starts[middle] <= offset:
            low = middle
        else:
            high = middle - 1
    return low


def parse(text: str) -> tuple[Item, ...]:
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    # A one-line block (`variable "v" { default = "" }`) is one item; its body is not split.
    return _items(text, starts, 0, len(text))


Line = tuple[str, str, int]  # text, file shown, line (1-based) it comes from
_ONE_LINE = re.compile(
    r"(?P<head>.*?\{)[ \t]*(?P<name>[A-Za-z_][\w-]*)[ \t]*=(?P<expr>.*)\}[ \t]*$"
)


class Entry(NamedTuple):
    kind: str
    name: str
    lines: list[Line]


class Block:
    """A top-level block being merged: its header and closing lines, and its items."""

    def __init__(self, file: _File, item: Item) -> None:
        self.item, self.name, self.labels = item, item.name, item.labels
        self.moved = False
        if item.end - item.start == 1:  # `variable "v" { default = "x" }`
            text, shown, number = file.origin(item.start, item.end)[0]
            one = _ONE_LINE.match(text)
            if one is None:
                raise NotStatic(f"{shown}:{number}: a one-line block cannot be split")
            self.head = [(one["head"], shown, number)]
            line = (f"  {one['name']} ={one['expr']}", shown, number)
            self.entries = [Entry("attribute", one["name"], [line])]
            self.tail = [("}", shown, number)]
            return
        first = item.body[0].start if item.body else item.end - 1
        last = item.body[-1].end if item.body else item.end - 1
        self.head = file.origin(item.start, first)
        self.tail = file.origin(last, item.end)
        self.entries = []
        previous = first
        for inner in item.body:  # comments and blank lines between items go with the next
            self.entries.append(Entry(inner.kind, inner.name, file.origin(previous, inner.end)))
            previous = inner.end

    def lines(self) -> list[Line]:
        return [*self.head, *(line for e in self.entries for line in e.lines), *self.tail]

    def merge(self, patch: Block) -> None:
        """Terraform's merge: arguments one by one, nested block types as a whole."""
        types = {e.name for e in patch.entries if e.kind == "block"}
        entries = [e for e in self.entries if not (e.kind == "block" and e.name in types)]
        for new in patch.entries:
            if new.kind == "attribute":
                at = next(
                    (
                        i
                        for i, e in enumerate(entries)
                        if (e.kind, e.name) == ("attribute", new.name)
                    ),
                    None,
                )
                if at is None:
                    entries.append(new)
                else:
                    entries[at] = new
            else:
                entries.append(new)
        self.entries = entries
        self.moved = True


class _File:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.shown = display_path(path)
        text = read_text(path)
        self.raw = text.split("\n")
        self.items = parse(text)
        self.blocks: list[Block] = []

    def origin(self, start: int, end: int) -> list[Line]:
        return [(self.raw[i], self.shown, i + 1) for i in range(start, end)]

    def block(self, item: Item) -> Block:
        for block in self.blocks:
            if block.item is item:
                return block
        block = Block(self, item)
        self.blocks.append(block)
        return block

    def result(self) -> list[Line]:
        """The file with each merged block blanked where it was and written at the end."""
        lines = self.origin(0, len(self.raw))
        moved = [b for b in self.blocks if b.moved]
        for block in moved:
            for i in range(block.item.start, block.item.end):
                lines[i] = ("", self.shown, i + 1)
        for block in moved:
            lines += [("", self.shown, len(self.raw)), *block.lines()]
        return lines


class Merged(NamedTuple):
    root: Path  # the root in the copy
    modules: list[Path]  # the module directories in the copy, in the order given
    lines: dict[tuple[str, int], tuple[str, int]]  # (file, line) shown -> where it comes from
    files: str  # the override files, as shown


@contextmanager
def merged(root: Path, modules: list[Path]) -> Iterator[Merged | None]:
    """A copy of the module directories with their override files merged; None when no
    module has one. Raises NotStatic when the merge cannot be made from the text."""
    overridden = [d for d in modules if any(is_override(p) for p in tf_files(d))]
    if not overridden:
        yield None
        return
    rewritten: dict[Path, list[Line]] = {}
    for directory in overridden:
        rewritten.update(_merge_directory(directory))
    real = sorted({d.resolve() for d in [root, *modules]})
    top = Path(os.path.commonpath(real))
    with (
        tempfile.TemporaryDirectory(prefix="iacplan-override-") as scratch,
        confine.made_by_iacplan(Path(scratch)),
    ):
        copy = Path(scratch) / "tree"
        line_map: dict[tuple[str, int], tuple[str, int]] = {}
        for directory in real:
            (copy / directory.relative_to(top)).mkdir(parents=True, exist_ok=True)
        for directory in real:
            target = copy / directory.relative_to(top)
            for entry in sorted(directory.iterdir()):
                place = target / entry.name
                if place.exists() or (is_override(entry) and entry.name.endswith(".tf")):
                    continue  # a module directory made above, or an override merged
                lines = rewritten.get(entry.resolve())
                if lines is None:
                    place.symlink_to(entry)
                    continue
                place.write_text("\n".join(text for text, _, _ in lines), encoding="utf-8")
                with shown_as(copy, top):
                    shown = display_path(place)
                for number, (_, file, line) in enumerate(lines, 1):
                    if (file, line) != (shown, number):
                        line_map[(shown, number)] = (file, line)
        with shown_as(copy, top):
            yield Merged(
                copy / root.resolve().relative_to(top),
                [copy / d.resolve().relative_to(top) for d in modules],
                line_map,
                ", ".join(
                    display_path(p) for d in overridden for p in tf_files(d) if is_override(p)
                ),
            )


def _merge_directory(directory: Path) -> dict[Path, list[Line]]:
    paths = tf_files(directory)
    if any(p.name.endswith(".json") for p in paths):
        raise NotStatic("JSON syntax beside an override file")
    primaries = [_File(p) for p in paths if not is_override(p)]
    for override in (_File(p) for p in paths if is_override(p)):
        for item in override.items:
            where = f"{override.shown}:{item.start + 1}"
            if item.kind != "block" or item.name == "terraform":
                raise NotStatic(f"{where}: {item.name} is not merged")
            patch = override.block(item)
            if item.name == "locals":
                _override_locals(primaries, patch)
                continue
            targets = [
                (f, i)
                for f in primaries
                for i in f.items
                if (i.kind, i.name, i.labels) == ("block", item.name, item.labels)
            ]
            if len(targets) != 1:
                raise NotStatic(f"{where}: no one block to merge into")
            file, target = targets[0]
            file.block(target).merge(patch)
    return {f.path.resolve(): f.result() for f in primaries if any(b.moved for b in f.blocks)}


def _override_locals(primaries: list[_File], patch: Block) -> None:
    """Each local the override defines replaces the one of that name, in whichever block."""
    for entry in patch.entries:
        for file in primaries:
            for item in file.items:
                if item.name != "locals" or item.kind != "block":
                    continue
                block = file.block(item)
                at = [i for i, e in enumerate(block.entries) if e.name == entry.name]
                if at:
                    block.entries[at[0]] = entry
                    block.moved = True
                    break
            else:
                continue
            break
        else:
            raise NotStatic(f"{patch.head[0][1]}:{patch.head[0][2]}: local {entry.name} is new")


def relocated(value: Any, lines: dict[tuple[str, int], tuple[str, int]]) -> Any:
    """`value` (an environment, and everything in it) with each location in the merged copy
    moved to the line it comes from, also where a message names one (`main.tf:12`)."""
    if isinstance(value, Location):
        file, line = lines.get((value.file, value.line), (value.file, value.line))
        return Location(file, line)
    if isinstance(value, str):
        return _WHERE.sub(lambda m: _moved(m, lines), value) if ":" in value else value
    if isinstance(value, tuple):
        return tuple(relocated(v, lines) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: relocated(getattr(value, f.name), lines) for f in fields(value)}
        return replace(value, **changes)
    return value


_WHERE = re.compile(r"(?P<file>[^\s`'\"(),]+):(?P<line>\d+)")


def _moved(match: re.Match[str], lines: dict[tuple[str, int], tuple[str, int]]) -> str:
    found = lines.get((match["file"], int(match["line"])))
    return f"{found[0]}:{found[1]}" if found else match[0]
