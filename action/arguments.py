"""The action's `paths` and `args` inputs as a list of arguments, never split by a shell.

    arguments.py paths|args OUTPUT < TEXT

TEXT is a JSON array of strings, or one argument per line (blank lines skipped, each line
stripped); for `paths`, a single line is split at whitespace, as the input always was. The
arguments are written to OUTPUT separated by NUL bytes, which no argument can hold. A malformed
input is an `::error` workflow command and exit 2.
"""

from __future__ import annotations

import json
import sys


def arguments(kind: str, text: str) -> list[str]:
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"{kind}: not a JSON array ({exc})") from None
        if not isinstance(parsed, list) or not all(isinstance(a, str) for a in parsed):
            raise ValueError(f"{kind}: a JSON array must hold strings only")
        found = parsed
    else:
        found = [line.strip() for line in text.splitlines() if line.strip()]
        if kind == "paths" and len(found) == 1:
            found = found[0].split()
    if any("\0" in a for a in found):
        raise ValueError(f"{kind}: an argument holds a NUL character")
    return found


def _hint(argument: str) -> str | None:
    """An option and its value on one line, as a shell command line would have them."""
    option, _, rest = argument.partition(" ")
    if option.startswith("--") and "=" not in option and rest:
        return (
            f"args: {argument!r} is one argument; write {option}={rest.strip()} or put "
            "the value on the next line"
        )
    return None


def main() -> int:
    kind, output = sys.argv[1], sys.argv[2]
    try:
        found = arguments(kind, sys.stdin.read())
    except ValueError as exc:
        print(f"::error title=iacplan::{exc}")
        return 2
    if kind == "args":
        for argument in found:
            hint = _hint(argument)
            if hint is not None:
                print(f"::warning title=iacplan::{hint}")
    with open(output, "wb") as file:
        file.write(b"".join(a.encode() + b"\0" for a in found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
