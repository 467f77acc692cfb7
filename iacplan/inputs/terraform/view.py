"""The confined view of a Terraform root that the evaluator reads (see iacplan.inputs.confine).

tfparse (Trivy's evaluator) reads files itself, and follows `..`, symbolic links and
`/proc` wherever they lead: `file("../../../proc/self/environ")`, a link `version.txt ->
~/.aws/credentials`, `fileset("/", "**")`, a module `source` taken from a variable, a
`.terraform/modules/modules.json` entry pointing anywhere. So it never reads the user's tree:
it evaluates a copy, made for each root, that holds only
- the `.tf`/`.tf.json` files of the root and of the modules it calls (every one inside the
  repository, links resolved: a link out of it is refused),
- the var files given to it, and the module manifest, its entries kept only where they stay
  inside the repository,
- the files that `file()`-family calls name with a literal path (`"VERSION"`,
  `"${path.module}/VERSION"`, `"${path.root}/…"`) that is a regular file inside the repository.
Every other file-reading call (a computed path, an absolute one, one leaving the repository,
`fileset()`) is renamed in the copy to a function that does not exist, so the evaluator
gives no value: the attribute is *unknown*, and `reason_at` tells why, naming the call.
Nothing in the copy is a link, so nothing the evaluator opens inside it leads out; and after
evaluation every block must come from a file of the copy (`check_result`), or nothing of the
result is used.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iacplan.errors import InputError
from iacplan.inputs import confine
from iacplan.inputs.files import (
    TF_SUFFIXES,
    display_path,
    normpath,
    parse_json,
    read_text,
    refuse_big,
    tf_files,
)
from iacplan.inputs.prefilter import FILE_CALL, JSON_STRING, LITERAL_ARG

_ONE_PATH = frozenset(
    {
        "file",
        "filebase64",
        "fileexists",
        "filemd5",
        "filesha1",
        "filesha256",
        "filesha512",
        "filebase64sha256",
        "filebase64sha512",
    }
)
NOT_READ = "iacplan_not_read"  # the function a refused call is renamed to: none has that name
_VARS_DIR = ".iacplan-vars"


@dataclass
class View:
    """Where the evaluator is pointed (`root`), what it may read (below `top`), the var files
    (relative to `root`), and why each refused call was refused, by (file, line) of the
    user's tree. `copied`: `root` is in a copy; else the tree itself is evaluated."""

    top: Path
    root: Path
    copied: bool
    vars_paths: list[str] = field(default_factory=list)
    refused: dict[tuple[str, int], str] = field(default_factory=dict)


# The view of the root being evaluated in this process, for `reason_at`.
_current: View | None = None


def build(
    scratch: Path,
    root: Path,
    modules: list[Path],
    installed: dict[str, Path],
    var_files: list[Path],
    cli_vars: dict[str, str],
) -> View:
    """What the evaluator is to read to evaluate `root`: a copy below `scratch` when the
    configuration has anything to confine, else the tree itself. `modules` are the (resolved)
    directories it may read, root included; `installed`, the manifest's records (key ->
    directory); `var_files`, in Terraform's order."""
    global _current
    real_root = Path(os.path.realpath(root))
    # A copy iacplan made (override files merged) is its own top: its links lead back into
    # the repository, and each read through them is checked where it leads.
    top = confine.made_root(real_root) or confine.current() or confine.repository_root([root])
    directories = list(dict.fromkeys(Path(os.path.realpath(m)) for m in modules))
    for directory in directories:
        _relative(directory, top, directory)  # refused when outside
    if _nothing_to_confine(root, directories, installed, top):
        # Only .tf files of checked directories and checked var files can be read: no
        # file-reading call, no manifest entry out of the repository (the cost of a copy is
        # spared for the usual configuration).
        view = View(top, root, copied=False)
        for var_file in var_files:
            read_text(var_file)  # checked (a link out is refused), as the copy would be
            view.vars_paths.append(os.path.relpath(var_file.resolve(), real_root))
    else:
        view = View(scratch, scratch / _relative(real_root, top, root), copied=True)
        for directory in directories:
            rel = directory.relative_to(top)
            target = scratch / rel
            target.mkdir(parents=True, exist_ok=True)
            for path in tf_files(directory):
                text = _checked_calls(read_text(path), path, rel, view, top)
                (target / path.name).write_bytes(text.encode("utf-8"))
        _write_manifest(root, installed, view, top)
        for number, var_file in enumerate(var_files):
            copy = scratch / _VARS_DIR / f"{number}-{var_file.name}"
            copy.parent.mkdir(exist_ok=True)
            copy.write_bytes(read_text(var_file).encode("utf-8"))
            view.vars_paths.append(os.path.relpath(copy, view.root))
    if cli_vars:
        copy = scratch / _VARS_DIR / "cli.auto.tfvars.json"
        copy.parent.mkdir(exist_ok=True)
        copy.write_text(json.dumps(cli_vars), encoding="utf-8")
        view.vars_paths.append(os.path.relpath(copy, real_root if not view.copied else view.root))
    _current = view
    return view


def _nothing_to_confine(
    root: Path, directories: list[Path], installed: dict[str, Path], top: Path
) -> bool:
    from iacplan.inputs.terraform.modules import MANIFEST

    if any(FILE_CALL.search(read_text(p)) for d in directories for p in tf_files(d)):
        return False
    if not (root / MANIFEST).exists():
        return True
    # Every record the evaluator may follow is one modules.py kept (inside the repository).
    manifest = parse_json(display_path(root / MANIFEST), read_text(root / MANIFEST))
    records = manifest.get("Modules") if isinstance(manifest, dict) else None
    for record in records if isinstance(records, list) else ():
        if isinstance(record, dict) and record.get("Key"):
            directory = normpath(root / str(record.get("Dir", "")))
            if str(record["Key"]) not in installed or not confine.inside(directory):
                return False
    return True


def reason_at(file: Path, line: int) -> str | None:
    """Why an attribute at `file`:`line` (the user's tree) has no value, when a file-reading
    call there was refused."""
    if _current is None:
        return None
    return _current.refused.get((os.path.abspath(file), line))


def refused_calls() -> list[str]:
    """Every call refused in the current view, for a note."""
    return [] if _current is None else sorted(set(_current.refused.values()))


def finish() -> None:
    global _current
    _current = None


def check_result(result: dict[str, Any], view: View) -> None:
    """Every evaluated block must come from a file of the copy: a module the evaluator found
    some other way (a source it computed) would have been read from outside it."""
    files = {
        block["__tfmeta"].get("filename")
        for blocks in result.values()
        if isinstance(blocks, list)
        for block in blocks
        if isinstance(block, dict) and isinstance(block.get("__tfmeta"), dict)
    }
    top = str(view.top)
    for filename in files:
        if not isinstance(filename, str):
            continue
        read = os.path.normpath(os.path.join(view.root, filename))
        if not read.startswith(top + os.sep) and (view.copied or not confine.inside(Path(read))):
            raise InputError(
                f"{display_path(view.root)}: the evaluator read a module outside the "
                "repository (a module source it computed?): nothing of it is used"
            )


def _relative(directory: Path, top: Path, shown: Path) -> Path:
    if not directory.is_relative_to(top):
        raise InputError(
            f"{display_path(shown)}: outside the repository ({top}): iacplan reads only "
            "files inside it"
        )
    return directory.relative_to(top)


def _write_manifest(root: Path, installed: dict[str, Path], view: View, top: Path) -> None:
    """The module manifest, its directories as the copy has them; records whose directory
    is not inside the repository are left out (the module is then not installed)."""
    from iacplan.inputs.terraform.modules import MANIFEST

    path = root / MANIFEST
    if not path.is_file():
        return
    manifest = parse_json(display_path(path), read_text(path))
    if not isinstance(manifest, dict) or not isinstance(manifest.get("Modules"), list):
        return  # the evaluator is not shown it; modules.py says what is wrong with it
    records = manifest["Modules"]
    kept = []
    for record in records:
        if not isinstance(record, dict):
            continue
        if not record.get("Key"):
            kept.append(record)
            continue
        directory = installed.get(str(record["Key"]))
        real = Path(os.path.realpath(directory)) if directory else None
        if real is None or not real.is_relative_to(top):
            continue
        kept.append({**record, "Dir": os.path.relpath(view.top / real.relative_to(top), view.root)})
    target = view.root / MANIFEST
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({**manifest, "Modules": kept}), encoding="utf-8")


def _checked_calls(text: str, path: Path, rel: Path, view: View, top: Path) -> str:
    """The file's text with every file-reading call it cannot let through renamed."""
    if not FILE_CALL.search(text):
        return text
    if path.name.endswith(".json"):

        def in_string(match: re.Match[str]) -> str:
            token = match[0]
            try:
                decoded = json.loads(token)
            except ValueError:
                return token
            if not isinstance(decoded, str) or not FILE_CALL.search(decoded):
                return token
            line = text.count("\n", 0, match.start()) + 1
            checked = _checked_template(decoded, path, rel, view, top, lambda _: line)
            return json.dumps(checked)

        # Escapes can spell a name (`\u0066ile`): the strings are looked at decoded.
        return JSON_STRING.sub(in_string, text)
    return _checked_template(text, path, rel, view, top, lambda at: text.count("\n", 0, at) + 1)


def _checked_template(text: str, path: Path, rel: Path, view: View, top: Path, line_of: Any) -> str:
    parts: list[str] = []
    last = 0
    for match in FILE_CALL.finditer(text):
        name = match["name"]
        line = line_of(match.start())
        why = _why_not(name, text, match.end(), rel, view, top)
        if why is None:
            continue
        shown = _shown_call(text, match.start())
        view.refused[(os.path.abspath(path), line)] = (
            f"{shown} at {display_path(path)}:{line} is not evaluated: {why}"
        )
        parts += [text[last : match.start()], NOT_READ]
        last = match.end()
    return "".join(parts) + text[last:]


def _shown_call(text: str, start: int) -> str:
    """The call as written, on its line, cut short."""
    end = text.find("\n", start)
    written = text[start : end if end >= 0 else len(text)].strip()
    return f"`{written[:80]}…`" if len(written) > 80 else f"`{written}`"


def _why_not(name: str, text: str, after_name: int, rel: Path, view: View, top: Path) -> str | None:
    """None when the call may be evaluated (its target copied into the view); else why not."""
    if name not in _ONE_PATH and name != "templatefile":
        return f"{name}() is never evaluated by iacplan (it lists or reads files)"
    opening = text.find("(", after_name)
    match = LITERAL_ARG.match(text, opening)
    if match is None or (name != "templatefile" and match["end"] != ")"):
        return (
            "its path is not a literal string, so iacplan cannot check that it stays inside "
            "the repository"
        )
    literal = match["path"]
    if not literal or literal.startswith(("/", "~")) or os.path.isabs(literal):
        return "an absolute path: iacplan reads only files inside the repository"
    # Relative paths are the root's (the working directory), path.module's the module's.
    base = rel if match["base"] == "module" else view.root.relative_to(view.top)
    lexical = Path(os.path.normpath(base / literal))
    if lexical.parts[:1] == ("..",):
        return f"{literal} is outside the repository ({top})"
    real = top / lexical
    why = confine.reason(real)
    if why is not None:
        return f"{literal}: {why}"
    if not real.exists():
        return None if name == "fileexists" else f"{literal} does not exist"
    if not real.is_file():
        return f"{literal} is not a regular file"
    refuse_big(real)
    if name == "templatefile" and FILE_CALL.search(read_text(real)):
        return "the template itself calls a file function, which iacplan does not follow"
    copy = view.top / lexical
    if not copy.exists() and not copy.name.endswith(TF_SUFFIXES):  # never a checked .tf's copy
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(real.read_bytes())
    return None
