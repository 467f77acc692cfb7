"""Tiny wheels with chosen metadata, and pip set up to use only them: what the --resolve tests
and benchmark run pip's real resolver against, with no network."""

from __future__ import annotations

import base64
import hashlib
import os
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path


def wheel(
    folder: Path,
    name: str,
    version: str,
    requires: Iterable[str] = (),
    tag: str = "py3-none-any",
    requires_python: str | None = None,
) -> Path:
    """A wheel whose METADATA says `Requires-Dist: <requires>` (one module, nothing else)."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{name.replace('-', '_')}-{version}"
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if requires_python:
        metadata.append(f"Requires-Python: {requires_python}")
    metadata += [f"Requires-Dist: {r}" for r in requires]
    pure = "true" if tag.endswith("-none-any") else "false"
    files = {
        f"{name.replace('-', '_')}/__init__.py": "",
        f"{stem}.dist-info/METADATA": "\n".join(metadata) + "\n",
        f"{stem}.dist-info/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: iacplan-tests\nRoot-Is-Purelib: {pure}\nTag: {tag}\n"
        ),
    }
    record = [f"{path},sha256={_digest(text)},{len(text.encode())}" for path, text in files.items()]
    files[f"{stem}.dist-info/RECORD"] = "\n".join([*record, f"{stem}.dist-info/RECORD,,"]) + "\n"
    path = folder / f"{stem}-{tag}.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in files.items():
            archive.writestr(member, text)
    return path


def sdist(folder: Path, name: str, version: str) -> Path:
    """A source archive pip must never open (--only-binary): its content is not a project."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name.replace('-', '_')}-{version}.tar.gz"
    path.write_bytes(b"not an archive: iacplan never builds packages\n")
    return path


def _digest(text: str) -> str:
    raw = hashlib.sha256(text.encode()).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def offline_environment(environ: Mapping[str, str], folder: Path | None) -> dict[str, str]:
    """`environ` with pip set to read no configuration file, no PIP_* variable of the machine,
    and no index: only `folder` (--no-index --find-links), when given."""
    found = {key: value for key, value in environ.items() if not key.startswith("PIP_")}
    found["PIP_CONFIG_FILE"] = os.devnull
    found["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    if folder is not None:
        found["PIP_NO_INDEX"] = "1"
        found["PIP_FIND_LINKS"] = str(folder)
    return found
