"""Terragrunt, as far as iacplan goes today: which module directories of the checked tree a
`terragrunt.hcl` feeds.

Terragrunt calls a module (`terraform { source = "../../modules//mwaa" }`) with its own
`inputs`, which iacplan does not read yet. Such a module, evaluated as a root on its
variable defaults, says nothing of what is deployed: every environment in it is unverified,
with the terragrunt.hcl line that sources it. A Terragrunt reader (evaluating the inputs)
replaces `sourced_modules` and `distrust`, and nothing else.

Sources are resolved as Terragrunt does where that is static: relative to the file's
directory, `//` joining the part Terragrunt copies and the module inside it,
`${get_terragrunt_dir()}`, `${get_parent_terragrunt_dir()}` and `${path_relative_from_include()}`
(the nearest directory above with a terragrunt.hcl or root.hcl), `${get_repo_root()}` (the
directory with `.git` above, else the top of the tree). What is left (a local, a remote source
of this repository: `git::…//modules/mwaa?ref=v1`) is matched by the end of its path: every
directory of the tree whose path ends so counts as sourced — a doubt, never a pass.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from iacplan.inputs.files import display_path, read_text
from iacplan.inputs.terraform.hcl_blocks import top_level_blocks
from iacplan.inputs.terraform.values import untrusted
from iacplan.model import Bucket, Environment, Value, Versioning

_SOURCE = re.compile(r'^[ \t]*source[ \t]*=[ \t]*"(?P<source>[^"\n]*)"', re.MULTILINE)
_REMOTE = re.compile(r"^(?:[a-z0-9]+::|[a-z][a-z0-9+.-]*://|git@|github\.com/|bitbucket\.org/)")
_PARENT_FUNCTIONS = re.compile(
    r"\$\{\s*(?:get_parent_terragrunt_dir|path_relative_from_include)\(\s*(?:\"[^\"]*\")?\s*\)\s*\}"
)
_THIS_DIRECTORY = re.compile(r"\$\{\s*get_terragrunt_dir\(\s*\)\s*\}")
_REPO_ROOT = re.compile(r"\$\{\s*get_repo_root\(\s*\)\s*\}")


class Sourced(NamedTuple):
    """A terragrunt.hcl line that sources a module directory, as the message shows it."""

    where: str  # file:line
    source: str


Sources = dict[Path, Sourced]  # resolved module directory -> what sources it


def sourced_modules(top: Path, files: list[Path], directories: list[Path]) -> Sources:
    """The directories of the tree (`directories`: those with .tf files) that a
    terragrunt.hcl among `files` sources, each with the first line that does."""
    found: Sources = {}
    tree = sorted({d.resolve() for d in directories})
    for path in sorted(files):
        text = read_text(path)
        blocks = top_level_blocks(text, "terraform")
        cut = blocks if blocks is not None else text
        for match in _SOURCE.finditer(cut):
            source = match["source"].strip()
            offset = text.find(match[0].strip())
            line = text.count("\n", 0, offset) + 1 if offset >= 0 else 1
            sourced = Sourced(f"{display_path(path)}:{line}", source)
            for directory in _targets(source, path.parent, top, tree):
                found.setdefault(directory, sourced)
    return found


def _targets(source: str, here: Path, top: Path, tree: list[Path]) -> list[Path]:
    local = source.split("?", 1)[0]
    if _REMOTE.match(local):
        # A repository's module: only its `//subdir` can match a directory of the tree.
        address = re.sub(r"^[a-z0-9]+::", "", local)
        address = re.sub(r"^[a-z][a-z0-9+.-]*://", "", address)
        _, slashes, subdir = address.partition("//")
        return _ending_with(subdir, tree) if slashes else []
    local = _THIS_DIRECTORY.sub(lambda _: here.as_posix(), local)
    if _PARENT_FUNCTIONS.search(local):
        parent = _parent_config(here, top)
        if parent is None:
            return _ending_with(_PARENT_FUNCTIONS.sub("", local), tree)
        local = _PARENT_FUNCTIONS.sub(lambda _: parent.as_posix(), local)
    local = _REPO_ROOT.sub(lambda _: _repo_root(here, top).as_posix(), local)
    if "${" in local:
        return _ending_with(local.rsplit("}", 1)[-1], tree)
    directory = Path(local.replace("//", "/"))
    if not directory.is_absolute():
        directory = here / directory
    resolved = directory.resolve()
    return [resolved] if resolved in tree else []


def _ending_with(tail: str, tree: list[Path]) -> list[Path]:
    parts = [p for p in tail.replace("//", "/").split("/") if p and p != "."]
    if not parts or ".." in parts:
        return []
    return [d for d in tree if list(d.parts[-len(parts) :]) == parts]


def _parent_config(here: Path, top: Path) -> Path | None:
    """The directory of the nearest terragrunt.hcl or root.hcl above `here`."""
    stop = top.resolve().parent
    directory = here.resolve().parent
    while True:
        if any((directory / name).is_file() for name in ("terragrunt.hcl", "root.hcl")):
            return directory
        if directory in (stop, directory.parent):
            return None
        directory = directory.parent


def _repo_root(here: Path, top: Path) -> Path:
    directory = here.resolve()
    while directory != directory.parent:
        if (directory / ".git").exists():
            return directory
        directory = directory.parent
    return top.resolve()


def distrust(environments: list[Environment], root: Path, sources: Sources) -> list[Environment]:
    """Every environment of a root that a terragrunt.hcl sources: unverified, never judged on
    the module's defaults."""
    sourced = sources.get(root.resolve())
    if sourced is None:
        return environments
    reason = (
        f'{sourced.where} sources this module (`source = "{sourced.source}"`) and calls it '
        "with its own inputs, which iacplan does not read yet (Terragrunt): the module's "
        "defaults say nothing of what is deployed"
    )
    return [env if env.removes else _distrusted(env, reason, sourced) for env in environments]


def _distrusted(env: Environment, reason: str, sourced: Sourced) -> Environment:
    """Nothing read from the module's defaults: version, files, name and bucket unknown."""
    env = untrusted(env, reason)
    location = env.version.location
    return replace(
        env,
        name=replace(
            Value.unknown(reason, env.name.location),
            # The same source on both sides is the same question: not a replacement doubt.
            expression=f"Terragrunt's inputs for {sourced.source}",
        ),
        bucket=Bucket(None, Versioning.UNKNOWN, False, reason, location),
    )
