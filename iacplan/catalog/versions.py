"""Airflow version strings and the MWAA version catalog."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from packaging.version import Version

from iacplan.errors import InputError
from iacplan.schemas import validate

# MWAA names versions exactly MAJOR.MINOR.PATCH; "v2.10.3", "2.10" or " 2.10.3" are not
# versions MWAA accepts, so they are never normalised into one.
_VERSION_RE = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")


def parse_version(text: str) -> Version | None:
    """The version, or None when `text` is not exactly an MWAA-style version string."""
    if not _VERSION_RE.fullmatch(text):
        return None
    return Version(text)


def series(version: Version) -> str:
    return f"{version.major}.{version.minor}"


def malformed_hint(text: str) -> str:
    """A short explanation of why `text` is not a version string, with a suggestion."""
    stripped = text.strip()
    if stripped != text:
        return f"it has leading or trailing white space ({text!r})"
    if stripped[:1] in ("v", "V") and _VERSION_RE.fullmatch(stripped[1:]):
        return f"MWAA versions have no 'v' prefix: did you mean {stripped[1:]}?"
    if re.fullmatch(r"[0-9]+\.[0-9]+", stripped):
        return "it has no patch number (MWAA versions are MAJOR.MINOR.PATCH, e.g. 2.10.3)"
    return "MWAA versions are MAJOR.MINOR.PATCH, e.g. 2.10.3"


# The oldest manylinux glibc level per architecture (PEP 600: manylinux1 is glibc 2.5 on x86,
# manylinux2014 glibc 2.17 everywhere), and the legacy aliases of PEPs 513, 571 and 599.
_OLDEST_GLIBC = {"x86_64": 5, "i686": 5}
_LEGACY = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}


@dataclass(frozen=True)
class Image:
    """The operating system MWAA runs an Airflow version on: it decides which wheels install."""

    name: str  # the catalog's key, e.g. "al2023"
    os: str  # e.g. "Amazon Linux 2023"
    glibc: str  # e.g. "2.34"
    arch: str  # e.g. "x86_64"
    sources: tuple[str, ...] = ()
    note: str | None = None

    def pip_platforms(self) -> tuple[str, ...]:
        """pip's `--platform` tags for this image, most preferred first: every manylinux level
        its glibc runs (pip does not expand `manylinux_2_34` to the older levels itself), the
        legacy aliases older wheels carry, and `linux_<arch>` (wheels built on such a machine)."""
        major, minor = (int(part) for part in self.glibc.split(".")[:2])
        tags = []
        for level in range(minor, _OLDEST_GLIBC.get(self.arch, 17) - 1, -1):
            tags.append(f"manylinux_{major}_{level}_{self.arch}")
            if major == 2 and level in _LEGACY:
                tags.append(f"{_LEGACY[level]}_{self.arch}")
        return (*tags, f"linux_{self.arch}")


@dataclass(frozen=True)
class Release:
    version: Version
    python: str
    available: date
    end_of_support: date | None
    python_full: str | None = None  # the image's Python, e.g. 3.11.9, when the catalog says
    image: Image | None = None  # where the catalog says which image MWAA runs it on


@dataclass(frozen=True)
class Catalog:
    catalog_date: date
    source: str
    releases: tuple[Release, ...]  # sorted by version
    no_change_from: frozenset[str]
    major_upgrade_from: dict[int, frozenset[str]]
    major_downgrade_to: dict[int, frozenset[str]]
    same_major_downgrade: bool
    images: tuple[Image, ...] = ()

    def release(self, version: Version) -> Release | None:
        return next((r for r in self.releases if r.version == version), None)

    def supported(self, version: Version, today: date) -> bool:
        release = self.release(version)
        return release is not None and (
            release.end_of_support is None or release.end_of_support > today
        )

    def path_in_place(self, base: Version, head: Version) -> bool:
        """Whether MWAA's documented paths allow `base` → `head` in place (support aside)."""
        if base == head:
            return True
        if series(base) in self.no_change_from:
            return False
        if head.major > base.major:
            return series(base) in self.major_upgrade_from.get(head.major, frozenset())
        if head.major < base.major:
            return series(head) in self.major_downgrade_to.get(base.major, frozenset())
        return head > base or self.same_major_downgrade

    def route(self, base: Version, head: Version, today: date) -> tuple[Version, ...] | None:
        """The fewest in-place hops from `base` to `head` (stepping stones included), or None.

        Every version a hop lands on must be offered and supported: MWAA refuses to change
        an environment *to* a version past its end of support. Among equally short routes the
        newest stepping stones win (2.11.2 rather than 2.11.0)."""
        targets = sorted(
            (r.version for r in self.releases if self.supported(r.version, today)), reverse=True
        )
        if head not in targets:
            return None
        frontier: list[tuple[Version, ...]] = [(base,)]
        seen = {base}
        while frontier:
            following = []
            for route in frontier:
                for target in targets:
                    if target in seen or not self.path_in_place(route[-1], target):
                        continue
                    if target == head:
                        return (*route[1:], head)
                    following.append((*route, target))
            seen.update(route[-1] for route in following)
            frontier = following
        return None


def _date(text: str, source: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"{source}: {text!r} is not a date (YYYY-MM-DD)") from exc


def load_catalog(path: Path | None = None) -> Catalog:
    """The bundled catalog, or the one at `path` (validated against versions.schema.json)."""
    if path is None:
        source = "iacplan/data/mwaa_versions.json"
        text = (Path(__file__).parents[1] / "data" / "mwaa_versions.json").read_text("utf-8")
    else:
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{source}: cannot read the version catalog: {exc}") from exc
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}:{exc.lineno}: not valid JSON: {exc.msg}") from exc
    if path is not None:  # the bundled catalog is validated by the tests
        validate(raw, "versions.schema.json", source)
    images = {
        name: Image(
            name,
            image["os"],
            image["glibc"],
            image["arch"],
            tuple(image.get("sources", ())),
            image.get("note"),
        )
        for name, image in sorted(raw.get("images", {}).items())
    }
    for v in raw["versions"]:
        if v.get("image") is not None and v["image"] not in images:
            raise InputError(f"{source}: version {v['version']}: no image {v['image']!r} in images")
    releases = tuple(
        sorted(
            (
                Release(
                    version=Version(v["version"]),
                    python=v["python"],
                    available=_date(v["available"], source),
                    end_of_support=_date(v["end_of_support"], source)
                    if v["end_of_support"]
                    else None,
                    python_full=v.get("python_full"),
                    image=images.get(v.get("image") or ""),
                )
                for v in raw["versions"]
            ),
            key=lambda r: r.version,
        )
    )
    seen = [str(r.version) for r in releases]
    if len(set(seen)) != len(seen):
        raise InputError(f"{source}: versions: a version is listed twice")
    rules = raw["in_place"]
    return Catalog(
        catalog_date=_date(raw["catalog_date"], source),
        source=source,
        releases=releases,
        no_change_from=frozenset(rules["no_change_from"]),
        major_upgrade_from={int(k): frozenset(v) for k, v in rules["major_upgrade_from"].items()},
        major_downgrade_to={int(k): frozenset(v) for k, v in rules["major_downgrade_to"].items()},
        same_major_downgrade=rules["same_major_downgrade"],
        images=tuple(images.values()),
    )
