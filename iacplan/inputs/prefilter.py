"""A cheap look at the text before anything is parsed: which files may define an MWAA
environment. Parsing and evaluating a monorepo costs seconds to minutes, reading it costs
milliseconds; only what may hold an environment (and what it depends on) is evaluated.

The tests are supersets, never guesses: a file passes when it names the resource types,
anything an MWAA module call is recognised by (`mwaa` or `airflow` in a source or argument
name), or holds an escape sequence that could spell one of them in another way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

# aws_mwaa_environment, awscc_mwaa_environment, the known MWAA modules (aws-ia, cloudposse,
# idealo: all contain "mwaa"), remote calls that look like MWAA (terraform_modules.py), and
# \u, \U (HCL, JSON) or \/ (JSON) escapes, which could spell any of them.
_TERRAFORM = re.compile(r"mwaa|airflow|\\[uU/]", re.IGNORECASE)
# The environment, and what iacplan reports as an unknown environment: nested stacks, SAM
# applications and modules; YAML and JSON escapes (\x, \u, \U, \N, \/, a line continuation
# over any line break YAML knows: LF, CR, CRLF, NEL, LS, PS).
_CLOUDFORMATION = re.compile(
    r"AWS::MWAA::Environment|AWS::CloudFormation::Stack|AWS::Serverless::Application"
    r"|::MODULE\b|\\[xuUN/]|\\[\r\n\x85\u2028\u2029]"
)
# Every string that starts like a local module source: a superset of the `source` arguments
# of local module calls (which must be literal strings), confirmed later by the parser.
_LOCAL_SOURCE = re.compile(r'"(\.\.?/[^"\n]*)"')
# Any function whose name starts with "file" (file, filebase64, fileexists, fileset, filemd5,
# filesha*, …) or templatefile, as HCL calls it: comments and line breaks may stand between
# the name and the parenthesis; `core::file` is matched too. A match in a comment or a string
# is renamed as well (view.py): harmless (a string that shows the new name is never a version).
FILE_CALL = re.compile(
    r"\b(?P<name>templatefile|file\w*)(?=(?:\s|/\*.*?\*/|#[^\n]*\n|//[^\n]*\n)*\()", re.S
)
# The argument forms that are checked and let through: a plain literal path, alone (or the
# first argument of templatefile), relative to the root or to path.module / path.root.
LITERAL_ARG = re.compile(
    r'\(\s*"(?:\$\{path\.(?P<base>module|root)\}/)?(?P<path>[^"\\$%\n]*)"\s*(?P<end>[),])'
)
# What follows "file" in every FILE_CALL match: the rest of the name, then a parenthesis or
# what may come before one (a comment).
_AFTER_FILE = re.compile(r"file\w*\s*[(/#]")
JSON_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_TEMPLATE = re.compile(r'^["\']?Resources["\']?\s*:|"Resources"\s*:', re.MULTILINE)


# A `removed` block (Terraform 1.7) may take out a module that held an environment.
_REMOVED = re.compile(r'^\s*removed\s*\{|"removed"\s*:', re.MULTILINE)


def terraform_may_hold(text: str) -> bool:
    if text.isascii():  # the same test, ten times faster (monorepos hold megabytes of .tf)
        lower = text.lower()
        if "mwaa" in lower or "airflow" in lower or "\\u" in lower or "\\/" in text:
            return True
    elif _TERRAFORM.search(text) is not None:
        return True
    return "removed" in text and _REMOVED.search(text) is not None


def cloudformation_may_hold(text: str) -> bool:
    return _CLOUDFORMATION.search(text) is not None


def looks_like_template(text: str) -> bool:
    """Whether the text has a Resources section (templates, unlike parameter files, do)."""
    return _TEMPLATE.search(text) is not None


def local_sources(text: str) -> list[str]:
    return _LOCAL_SOURCE.findall(text)


def literal_reads(text: str, path: Path) -> Iterator[tuple[str, str]]:
    """What the file-reading calls of a .tf or .tf.json text may read, as (base, path) with
    base "module" (the module's directory) or "root" (the root's: `path.root`, or a plain
    relative path): every call view.py can let through, and more (a superset)."""
    if not _may_call_file(text):  # most files are spared the slower regex
        return
    texts = [text]
    if path.name.endswith(".json"):  # escapes can spell a name: the strings, decoded
        texts += [
            decoded_json_string(token) for token in JSON_STRING.findall(text) if "\\" in token
        ]
    for scanned in texts:
        for match in FILE_CALL.finditer(scanned):
            argument = LITERAL_ARG.match(scanned, scanned.find("(", match.end()))
            if argument is not None and argument["path"]:
                yield ("module" if argument["base"] == "module" else "root"), argument["path"]


def decoded_json_string(token: str) -> str:
    try:
        decoded = json.loads(token)
    except ValueError:
        return token
    return decoded if isinstance(decoded, str) else token


def _may_call_file(text: str) -> bool:
    """A superset of FILE_CALL.search, looked for only where "file" is."""
    start = text.find("file")
    while start >= 0:
        if _AFTER_FILE.match(text, start):
            return True
        start = text.find("file", start + 4)
    return False
