"""The head version's constraints file: from a mirror (a directory or an HTTP(S) URL), kept in
the user's cache so that a second run needs no network.

A released Airflow version's constraints file does not change, so a cached copy is used as it
is, without asking the mirror again. A directory mirror is read in place and never cached.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

# What MWAA's documentation links from its version table (MWAA_FACTS §4).
DEFAULT_MIRROR = "https://raw.githubusercontent.com/apache/airflow"
MAX_BYTES = 4 * 1024 * 1024  # Airflow's are ~30 KB; anything far larger is not one
_USER_AGENT = "iacplan (constraints for --resolve)"


class Unavailable(Exception):
    """The constraints file could not be had: the message says why, in one line."""


@dataclass(frozen=True)
class Mirror:
    """Where constraints files are: `<location>/constraints-<airflow>/constraints-<python>.txt`."""

    location: str  # a directory, or an http(s) URL without a trailing slash

    @classmethod
    def parse(cls, text: str) -> Mirror:
        """A directory that exists, else an http(s) URL; ValueError for anything else."""
        if re.match(r"https?://", text, re.IGNORECASE):
            return cls(text.rstrip("/"))
        if Path(text).is_dir():
            return cls(str(Path(os.path.abspath(text))))
        raise ValueError(f"{text!r} is neither a directory nor an http(s) URL")

    @property
    def is_url(self) -> bool:
        return re.match(r"https?://", self.location, re.IGNORECASE) is not None

    def where(self, airflow: str, python: str) -> str:
        """The file's URL or path."""
        name = f"constraints-{airflow}/constraints-{python}.txt"
        return f"{self.location}/{name}" if self.is_url else str(Path(self.location) / name)


def cache_dir() -> Path:
    """IACPLAN_CACHE_DIR, else $XDG_CACHE_HOME/iacplan, else ~/.cache/iacplan."""
    explicit = os.environ.get("IACPLAN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "iacplan"


def _cached_path(mirror: Mirror, airflow: str, python: str) -> Path:
    """One folder per mirror: a readable name and a hash, so two mirrors never share a file."""
    readable = re.sub(r"[^A-Za-z0-9.-]+", "_", re.sub(r"^https?://", "", mirror.location))[:60]
    digest = hashlib.sha256(mirror.location.encode()).hexdigest()[:12]
    name = f"constraints-{airflow}/constraints-{python}.txt"
    return cache_dir() / "constraints" / f"{readable}-{digest}" / name


def fetch(mirror: Mirror, airflow: str, python: str, timeout: float) -> tuple[str, str]:
    """(text, where it came from) of the constraints file; Unavailable when it cannot be had.

    From the cache when there; else read from the mirror, checked to be a constraints file,
    and (for a URL) written to the cache."""
    where = mirror.where(airflow, python)
    if not mirror.is_url:
        try:
            text = Path(where).read_text(encoding="utf-8-sig")
        except FileNotFoundError as exc:
            raise Unavailable(f"no constraints file at {where}") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise Unavailable(f"{where}: cannot read: {exc}") from exc
        _check(text, where)
        return text, where
    cached = _cached_path(mirror, airflow, python)
    try:
        text = cached.read_text(encoding="utf-8")
        _check(text, where)
        return text, where
    except (OSError, UnicodeDecodeError, Unavailable):
        pass  # not cached yet (or a damaged copy): fetch it again
    text = _download(where, timeout)
    _check(text, where)
    _store(cached, text)
    return text, where


def _download(url: str, timeout: float) -> str:
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=max(timeout, 1)) as response:
            data = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise Unavailable(
                f"no constraints file at {url} (HTTP 404: Airflow publishes one for each "
                "released version and Python)"
            ) from exc
        raise Unavailable(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Unavailable(f"{url} cannot be reached ({reason})") from exc
    if len(data) > MAX_BYTES:
        raise Unavailable(f"{url}: over {MAX_BYTES // 1024 // 1024} MB: not a constraints file")
    try:
        text: str = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unavailable(f"{url}: not UTF-8 text: not a constraints file") from exc
    return text


def _check(text: str, where: str) -> None:
    """A constraints file pins projects with `==`: a page of HTML or an error text does not."""
    if not re.search(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*===?\s*[A-Za-z0-9]", text, re.MULTILINE):
        raise Unavailable(f"{where} holds no `name==version` line: not a constraints file")


def _store(path: Path, text: str) -> None:
    """Written whole or not at all (a run stopped halfway leaves no half file); a cache that
    cannot be written costs only the next run's download."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError:
        return
