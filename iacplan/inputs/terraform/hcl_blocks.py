"""Cutting the top-level `module` (or `removed`) blocks out of HCL text, so that python-hcl2
(about 0.1 MB/s) parses a few hundred bytes instead of a whole file of resources.

The scanner knows what may hide a brace or the word `module`: quoted strings with their
`${ }` / `%{ }` templates, heredocs and comments. Where it cannot follow the text it answers
None, and the caller parses the whole file: never a guess.
"""

from __future__ import annotations

import re
from functools import cache


# What matters at the top level and inside blocks: the start of a string, a comment or a
# heredoc, a brace, and the word `module` (at the top level, outside strings and comments, only
# a block starts with it, even after a comment on the same line: `/* data */ module "x" {`).
@cache
def _token(keyword: str) -> re.Pattern[str]:
    return re.compile(
        r'"|#|//|/\*|<<-?(?P<heredoc>[A-Za-z_][\w-]*)[ \t]*\r?\n|\{|\}|'
        rf"(?<![\w.-])(?P<module>{keyword})\b",
        re.MULTILINE,
    )


_IN_STRING = re.compile(r'\\.|\$\$\{|%%\{|[$%]\{|"|\n', re.DOTALL)
_IN_TEMPLATE = re.compile(r'"|\{|\}|#|//|/\*|\n')


def module_blocks(text: str) -> str | None:
    """Every top-level `module "name" { … }` block of `text`, one after another, or None
    when the text cannot be followed (the caller then parses all of it)."""
    return top_level_blocks(text, "module")


def top_level_blocks(text: str, keyword: str) -> str | None:
    """Every top-level block of `text` that starts with `keyword`, or None (as above)."""
    token_pattern = _token(keyword)
    blocks: list[str] = []
    depth, start, position = 0, -1, 0
    while True:
        match = token_pattern.search(text, position)
        if match is None:
            return "\n".join(blocks) if depth == 0 else None
        token, position = match[0], match.end()
        if match["module"]:
            if depth == 0:
                start = match.start("module")
            continue
        if token == '"':
            end = _string_end(text, position)
        elif token in ("#", "//"):
            end = _line_end(text, position)
        elif token == "/*":
            found = text.find("*/", position)
            end = found + 2 if found >= 0 else None
        elif match["heredoc"]:
            closing = re.compile(rf"^[ \t]*{re.escape(match['heredoc'])}[ \t]*\r?$", re.M)
            found_close = closing.search(text, position)
            end = found_close.end() if found_close else None
        elif token == "{":
            depth += 1
            continue
        else:  # "}"
            depth -= 1
            if depth < 0:
                return None
            if depth == 0 and start >= 0:
                blocks.append(text[start:position])
                start = -1
            continue
        if end is None:
            return None
        position = end


def _line_end(text: str, position: int) -> int:
    found = text.find("\n", position)
    return len(text) if found < 0 else found


def _string_end(text: str, position: int) -> int | None:
    """Just past the quote that closes the string begun before `position`."""
    while True:
        match = _IN_STRING.search(text, position)
        if match is None or match[0] == "\n":
            return None  # a quoted string ends on its line
        position = match.end()
        if match[0] == '"':
            return position
        if match[0] in ("${", "%{"):
            end = _template_end(text, position)
            if end is None:
                return None
            position = end


def _template_end(text: str, position: int) -> int | None:
    """Just past the brace that closes a `${ … }` or `%{ … }` begun before `position`."""
    depth = 1
    while True:
        match = _IN_TEMPLATE.search(text, position)
        if match is None or match[0] == "\n":
            return None  # a template in a quoted string is kept on one line here
        position = match.end()
        token = match[0]
        if token == '"':
            end = _string_end(text, position)
        elif token in ("#", "//", "/*"):
            return None
        else:
            depth += 1 if token == "{" else -1
            if depth == 0:
                return position
            continue
        if end is None:
            return None
        position = end
