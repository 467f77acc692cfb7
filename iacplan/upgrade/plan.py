"""The upgrade plan: how to make one environment's version change, and in what order.

Everything here is computed from the change, the environment's facts, the rules' findings and
the version catalog; the renderers only lay it out. What is wrong is the rules' to say: the plan
marks an item as a problem when a finding says so, and names the finding's rule, never
re-deriving a rule's condition."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from itertools import pairwise
from typing import Any

from packaging.version import Version

from iacplan.catalog import constraints
from iacplan.catalog.versions import Catalog, parse_version, series
from iacplan.model import (
    Change,
    Environment,
    Finding,
    LiveEnvironment,
    Resolution,
    ResolveOutcome,
    S3File,
    ValueState,
    Versioning,
)
from iacplan.rules import bucket, live, s3_files
from iacplan.rules.base import Rule
from iacplan.rules.bucket import UNVERIFIED_BUCKET, UNVERSIONED_BUCKET
from iacplan.rules.live import MISSING_OBJECT
from iacplan.rules.replacement import REPLACED
from iacplan.rules.s3_files import UNPINNED_FILES
from iacplan.rules.version_path import DOWNGRADE

MWAA_UPGRADE_DOC = "https://docs.aws.amazon.com/mwaa/latest/userguide/upgrading-environment.html"
DOCKER_IMAGES = "https://github.com/aws/amazon-mwaa-docker-images"
LOCAL_RUNNER = "https://github.com/aws/aws-mwaa-local-runner"
METADATA_MIGRATION = "https://github.com/aws-samples/amazon-mwaa-examples"
AIRFLOW_3_UPGRADE = (
    "https://airflow.apache.org/docs/apache-airflow/stable/installation/upgrading_to_airflow3.html"
)
AIRFLOW_2_UPGRADE = "https://airflow.apache.org/docs/apache-airflow/2.0.2/upgrading-to-2.html"
HOURS_PER_HOP = 2  # MWAA: a version change takes up to two hours
TERRAFORM_UPDATE_TIMEOUT_MINUTES = 90  # the AWS provider's default `timeouts { update }`
# The first MWAA version aws-mwaa-docker-images covers; older ones use aws-mwaa-local-runner.
FIRST_DOCKER_IMAGE = Version("2.9.2")
# MWAA's bundled Amazon provider is 2.4.0 on Airflow 2.0.2 and 6.0.0 from 2.4.3 on.
AMAZON_PROVIDER_6 = Version("2.4.3")


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True)
class Step:
    """One version change MWAA makes in one go (a hop), or a move to a new environment."""

    from_version: str
    to_version: str
    kind: str  # patch/minor/major upgrade or downgrade, or "new environment"
    in_place: bool
    python: str | None  # the target's Python, None when the catalog does not know the target
    constraint: str | None  # the requirements.txt line for the target


@dataclass(frozen=True)
class Route:
    title: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class ReleaseNote:
    version: str
    python: str
    url: str


@dataclass(frozen=True)
class PythonChange:
    from_python: str
    to_python: str
    consequence: str


@dataclass(frozen=True)
class Section:
    key: str  # stable: changes | requirements | rollback | downtime
    title: str
    items: tuple[str, ...]
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class Plan:
    summary: str  # "2.8.1 → 2.10.3 (minor upgrade) — allowed"
    requested: Step  # the change as written; in_place says whether MWAA does it in one go
    routes: tuple[Route, ...]  # ways to get there, the recommended one first; may be empty
    route_note: str | None  # why there is no route, or what the routes leave out
    releases: tuple[ReleaseNote, ...]  # release notes to read, oldest first
    releases_title: str
    python: PythonChange | None
    sections: tuple[Section, ...]
    checklist: tuple[str, ...]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        """The inverse of dataclasses.asdict: a plan read back from a JSON report."""
        python = data["python"]
        return cls(
            summary=data["summary"],
            requested=Step(**data["requested"]),
            routes=tuple(
                Route(r["title"], tuple(Step(**s) for s in r["steps"])) for r in data["routes"]
            ),
            route_note=data["route_note"],
            releases=tuple(ReleaseNote(**r) for r in data["releases"]),
            releases_title=data["releases_title"],
            python=PythonChange(**python) if python else None,
            sections=tuple(
                Section(
                    s["key"], s["title"], tuple(s["items"]), tuple(Link(**k) for k in s["links"])
                )
                for s in data["sections"]
            ),
            checklist=tuple(data["checklist"]),
        )


@dataclass(frozen=True)
class _Found:
    """The rules' findings on one environment, suppressed ones too: a suppression accepts a
    risk, it does not remove it from the plan."""

    findings: Sequence[Finding]

    def of(self, rule: Rule, about: str) -> Finding | None:
        return next((f for f in self.findings if f.rule == rule.id and f.about == about), None)


def make(
    change: Change, verdict: str, findings: Sequence[Finding], catalog: Catalog, today: date
) -> Plan | None:
    """The plan for a change whose base and head are both versions and differ; else None.
    `findings` are the rules' findings on this change."""
    if change.base is None or change.head is None:
        return None
    found = _Found(findings)
    old = _version(change.base)
    new = _version(change.head)
    if old is None or new is None or old == new:
        return None
    env = change.head
    route = catalog.route(old, new, today)
    routes = _routes(old, new, route, catalog, today)
    requested = _step(old, new, catalog, in_place=route == (new,))
    hops = len(routes[0].steps) if routes else 1
    return Plan(
        summary=f"{old} → {new} ({requested.kind}) — {verdict}",
        requested=requested,
        routes=routes,
        route_note=_route_note(old, new, route, catalog, today),
        releases=_releases(old, new, catalog),
        releases_title=(
            f"Release notes to read: every Airflow release after {old} up to {new}"
            if new > old
            else f"Release notes of what the downgrade gives up: after {new} up to {old}"
        ),
        python=_python_change(old, new, catalog),
        sections=tuple(
            s
            for s in (
                _provider_changes(old, new),
                _requirements(env.resolution, str(new)),
                _rollback(change.base, env, found, new),
                _downtime(env, hops),
            )
            if s is not None
        ),
        checklist=_checklist(env, old, new, routes, catalog, found, hops),
    )


def _version(env: Environment) -> Version | None:
    if env.version.state is not ValueState.KNOWN:
        return None
    return parse_version(env.version.text or "")


def _kind(old: Version, new: Version) -> str:
    direction = "upgrade" if new > old else "downgrade"
    if old.major != new.major:
        return f"major {direction}"
    if old.minor != new.minor:
        return f"minor {direction}"
    return f"patch {direction}"


def _step(old: Version, new: Version, catalog: Catalog, in_place: bool) -> Step:
    release = catalog.release(new)
    python = release.python if release else None
    return Step(
        from_version=str(old),
        to_version=str(new),
        kind=_kind(old, new),
        in_place=in_place,
        python=python,
        constraint=constraints.line(new, python) if python else None,
    )


def _routes(
    old: Version, new: Version, route: tuple[Version, ...] | None, catalog: Catalog, today: date
) -> tuple[Route, ...]:
    routes = []
    if route is not None:
        stops = (old, *route)
        steps = tuple(_step(a, b, catalog, True) for a, b in pairwise(stops))
        stones = ", ".join(str(v) for v in route[:-1])
        routes.append(Route(f"In place through {stones}" if stones else "In place", steps))
    # MWAA creates no environment on a version past its end of support.
    if catalog.supported(new, today) and (old.major != new.major or route is None):
        fresh = replace(_step(old, new, catalog, in_place=False), kind="new environment")
        routes.append(Route(f"A new environment on {new} and a metadata migration", (fresh,)))
    return tuple(routes)


def _route_note(
    old: Version, new: Version, route: tuple[Version, ...] | None, catalog: Catalog, today: date
) -> str | None:
    if catalog.release(new) is None:
        offered = [str(r.version) for r in catalog.releases if r.version.major == new.major]
        choice = f": choose one of {', '.join(offered)}" if offered else ""
        return f"MWAA does not offer Airflow {new}{choice}"
    if not catalog.supported(new, today):
        return f"{new} is past its end of support: MWAA no longer changes environments to it"
    if series(old) in catalog.no_change_from:
        return f"MWAA cannot change the version of an Airflow {series(old)} environment in place"
    if route is None:
        return f"MWAA has no in-place path from {old} to {new}"
    steps = (
        f"MWAA does not go from {old} to {new} in one step: each hop is its own apply"
        if len(route) > 1
        else None
    )
    if new < old:
        policy = (
            f"iacplan rejects downgrades by default ({DOWNGRADE.id}): the usual fix is to keep the "
            "deployed version"
        )
        return (
            f"{steps}; {policy}" if steps else f"MWAA accepts this downgrade in place, but {policy}"
        )
    return steps


def _release_notes_url(version: Version) -> str:
    # Airflow's versioned docs call the page "changelog" up to 2.2 and "release_notes" after.
    page = "release_notes" if version >= Version("2.3.0") else "changelog"
    return f"https://airflow.apache.org/docs/apache-airflow/{version}/{page}.html"


def _releases(old: Version, new: Version, catalog: Catalog) -> tuple[ReleaseNote, ...]:
    low, high = sorted((old, new))
    return tuple(
        ReleaseNote(str(r.version), r.python, _release_notes_url(r.version))
        for r in catalog.releases
        if low < r.version <= high
    )


def _python_change(old: Version, new: Version, catalog: Catalog) -> PythonChange | None:
    before, after = catalog.release(old), catalog.release(new)
    if before is None or after is None or before.python == after.python:
        return None
    tag = "cp" + after.python.replace(".", "")
    return PythonChange(
        before.python,
        after.python,
        f"custom wheels, compiled dependencies and plugins built for Python {before.python} "
        f"must be rebuilt for {after.python} ({tag} wheels); every pinned package needs a "
        f"release for Python {after.python}; the constraints URL's suffix changes too",
    )


def _provider_changes(old: Version, new: Version) -> Section | None:
    """What an upgrade across a boundary changes for DAG code. Only for upgrades: read
    backwards for a downgrade, these notes would mislead."""
    if new < old:
        return None
    low, high = old, new
    items: list[str] = []
    links: list[Link] = []
    if low.major < 2 <= high.major:
        items += [
            "Backport providers (`apache-airflow-backport-providers-*`) become "
            "`apache-airflow-providers-*`.",
            "Imports move out of `airflow.contrib`: e.g. the AWS hook is now "
            "`airflow.providers.amazon.aws.hooks.base_aws.AwsBaseHook`, and "
            "`airflow.operators.python_operator` is `airflow.operators.python`.",
        ]
        links.append(Link("Upgrading to Airflow 2", AIRFLOW_2_UPGRADE))
    if low < AMAZON_PROVIDER_6 <= high:
        items.append(
            "MWAA's bundled Amazon provider jumps to 6.x at Airflow 2.4.3 (2.4.0 on 2.0.2): "
            "modules were renamed, e.g. `operators.s3_bucket` became `operators.s3`."
        )
    if low.major < 3 <= high.major:
        items += [
            "Airflow 3 removes SubDAGs, SLAs, the SequentialExecutor and the context keys "
            "`execution_date`, `next_ds`, `prev_ds`, `tomorrow_ds`, `yesterday_ds` (and variants).",
            "BashOperator, PythonOperator and friends move to "
            "`apache-airflow-providers-standard`; FAB becomes a provider.",
            "`catchup_by_default` and `create_cron_data_intervals` now default to False.",
            "Workers can no longer reach the metadata database directly.",
            "Check DAGs with `ruff check --select AIR3` and the config with "
            "`airflow config update --fix`.",
        ]
        links.append(Link("Upgrading to Airflow 3", AIRFLOW_3_UPGRADE))
    if not items:
        return None
    links.append(Link("Changing the Airflow version (MWAA)", MWAA_UPGRADE_DOC))
    return Section("changes", "Provider and import changes", tuple(items), tuple(links))


MAX_LISTED = 25  # package changes listed before "and N more"


def _requirements(resolution: Resolution | None, version: str) -> Section | None:
    """What pip's resolver said about the requirements on the head version (--resolve)."""
    if resolution is None or resolution.airflow != version:
        return None
    file = f"`{resolution.file}`" if resolution.file else "The requirements file"
    python = f"Python {resolution.python}" if resolution.python else "its Python"
    platform = f", {resolution.platforms[0]}" if resolution.platforms else ""
    against = (
        f" against `{resolution.constraints.rsplit('/', 2)[-2]}/"
        f"{resolution.constraints.rsplit('/', 1)[-1]}`"
        if resolution.constraints and "/" in resolution.constraints
        else ""
    )
    items = []
    if resolution.outcome is ResolveOutcome.RESOLVES:
        items.append(
            f"✓ pip resolves {file} on Airflow {version} ({python}{platform}){against}: "
            f"{len(resolution.packages)} package(s) to install."
        )
        items += _package_changes(resolution)
    for conflict in resolution.conflicts:
        items.append(f"✗ {conflict.location}: {conflict.message} (MWAA017).")
    for problem in resolution.problems:
        items.append(f"? {problem.location}: {problem.message} (MWAA018).")
    if resolution.outcome is ResolveOutcome.UNVERIFIED and not resolution.problems:
        items.append(f"? {file} could not be resolved on Airflow {version} (MWAA018).")
    return Section("requirements", "Requirements on the new version (pip's resolver)", tuple(items))


def _package_changes(resolution: Resolution) -> list[str]:
    base = resolution.base_airflow
    if resolution.changes is None:
        note = resolution.base_note
        return [f"? Not compared with {base}: {note}."] if note else []
    if not resolution.changes:
        return [f"No package changes version from the same file's resolution on {base}."]
    shown = [
        f"{c.name} {c.before or '(new)'} → {c.after or '(removed)'}"
        for c in resolution.changes[:MAX_LISTED]
    ]
    more = len(resolution.changes) - MAX_LISTED
    return [
        f"Versions that change from the same file's resolution on {base}: "
        + ", ".join(shown)
        + (f", and {more} more" if more > 0 else "")
        + "."
    ]


def _file_line(file: S3File, old_files: dict[str, S3File], unpinned: Finding | None) -> str:
    path = file.path.text if file.path.state is ValueState.KNOWN else "(path unknown)"
    version = file.object_version
    if version.state is ValueState.KNOWN:
        before = old_files.get(file.role)
        same = (
            before is not None
            and before.object_version.state is ValueState.KNOWN
            and before.object_version.text == version.text
        )
        hint = (
            " — the same object version as the deployed one: upload the file for the new "
            "version and set its new object version if it changes"
            if same
            else ""
        )
        return f"✓ {file.role} `{path}` is pinned to object version `{version.text}`{hint}."
    if unpinned is not None and version.state is ValueState.MISSING:
        return (
            f"✗ {file.role} `{path}` is not pinned to an S3 object version ({unpinned.rule}): "
            "a rollback cannot restore the previous file."
        )
    return f"? {file.role} `{path}`: the object version cannot be resolved ({version.reason})."


def _rollback(base: Environment, head: Environment, found: _Found, new: Version) -> Section:
    items = [
        "MWAA snapshots the metadata database first and restores it if the change does not "
        "go through.",
        _bucket_line(head, found),
    ]
    old_files = {f.role: f for f in base.files}
    items += [
        _file_line(f, old_files, found.of(UNPINNED_FILES, s3_files.about(f))) for f in head.files
    ]
    items += _account(head.live, found)
    if not head.files:
        items.append("The configuration names no requirements, plugins or startup script.")
    items.append(
        "MWAA installs a changed file only when its object version changes: upload the "
        f"files for {new} and set their new object versions in the same change."
    )
    return Section("rollback", "Rollback readiness", tuple(items))


def _bucket_line(head: Environment, found: _Found) -> str:
    source = head.bucket
    unversioned = found.of(UNVERSIONED_BUCKET, bucket.ABOUT)
    unverified = found.of(UNVERIFIED_BUCKET, bucket.ABOUT)
    if source is None:
        return "? No source bucket found: its versioning cannot be checked."
    if unversioned is not None:
        return (
            f"✗ Source bucket `{source.id}` versioning is {source.versioning} "
            f"({unversioned.rule}): enable it before the upgrade, or a rollback restores the "
            "database but not the previous requirements and plugins."
        )
    if unverified is not None:
        return (
            f"? Source bucket versioning cannot be verified ({unverified.rule}): {source.reason}."
        )
    if source.versioning is Versioning.ENABLED:
        return (
            f"✓ Source bucket `{source.id}` keeps object versions: a rollback can restore "
            "the previous requirements and plugins."
        )
    return f"? Source bucket `{source.id}` versioning is {source.versioning} ({source.reason})."


def _account(account: LiveEnvironment | None, found: _Found) -> list[str]:
    """What --live found that a rollback depends on."""
    if account is None or not account.found:
        return []
    items = [f"The account runs `{account.name}` on {account.version}, status {account.status}."]
    last = account.last_update
    if last is not None and last.status == "FAILED":
        items.append(
            f"✗ Its last update did not succeed ({last.error or 'no error given'}, "
            f"{last.created_at}): find out why before changing the version again."
        )
    for pinned in account.objects:
        where = f"{pinned.role} `s3://{pinned.bucket}/{pinned.key}` version `{pinned.version_id}`"
        missing = found.of(MISSING_OBJECT, live.about(pinned))
        if pinned.exists:
            items.append(f"✓ The deployed {where} exists: a rollback can restore it.")
        elif missing is not None:
            items.append(
                f"✗ The deployed {where} is missing ({missing.rule}): a rollback cannot use it."
            )
        else:
            items.append(f"? The deployed {where} could not be checked.")
    return items


def _downtime(env: Environment, hops: int) -> Section:
    items = [
        "Statuses on success: UPDATING → CREATING_SNAPSHOT → UPDATING → AVAILABLE.",
        # No status name with "fail" in it: Atlantis takes that word as a failed policy check.
        "If it goes wrong: ROLLING_BACK, then the previous version restored and usable again, "
        "or UNAVAILABLE (the rollback did not complete: not usable, contact AWS support).",
        f"Up to {HOURS_PER_HOP} hours"
        + (f" per hop, {HOURS_PER_HOP * hops} hours in all" if hops > 1 else "")
        + ": the web server, schedulers and workers are down.",
        "Running tasks are stopped; interrupted runs are retried only as far as each task's "
        "`retries` allow.",
    ]
    if env.kind.startswith("terraform"):
        items.append(
            f"Terraform waits {TERRAFORM_UPDATE_TIMEOUT_MINUTES} minutes by default: set "
            '`timeouts { update = "150m" }` (or more) on the environment, or apply stops '
            "with a timeout while MWAA is still upgrading."
        )
    else:
        items.append(
            "The CloudFormation stack update waits for the same window and rolls the stack "
            "back if MWAA rolls the update back or the environment ends UNAVAILABLE."
        )
    return Section("downtime", "Downtime and what happens", tuple(items))


def _checklist(
    env: Environment,
    old: Version,
    new: Version,
    routes: Sequence[Route],
    catalog: Catalog,
    found: _Found,
    hops: int,
) -> tuple[str, ...]:
    release = catalog.release(new)
    python = f" (Python {release.python})" if release else ""
    tool = (
        f"aws-mwaa-docker-images ({DOCKER_IMAGES})"
        if new >= FIRST_DOCKER_IMAGE
        else f"aws-mwaa-local-runner ({LOCAL_RUNNER})"
    )
    items = [
        f"Test the DAGs, requirements and plugins against Airflow {new}{python} locally "
        f"with {tool}.",
        "Read the release notes listed above.",
    ]
    items += _requirements_item(env.resolution, str(new))
    if routes and routes[0].steps[-1].constraint:
        items.append(_constraints_item(env, routes[0].steps))
    if env.files:
        items.append("Upload the changed files and set their new S3 object versions.")
    doubts = (found.of(rule, bucket.ABOUT) for rule in (UNVERSIONED_BUCKET, UNVERIFIED_BUCKET))
    if env.bucket is None or any(doubt is not None for doubt in doubts):
        items.append("Make sure the source bucket has versioning enabled.")
    if old.major < 3 <= new.major:
        items.append("Run `ruff check --select AIR3` on the DAGs and fix what it reports.")
    if env.kind.startswith("terraform") and old.major < new.major:
        # Advice for any major upgrade in Terraform, whether or not this configuration's
        # provider is one that replaces (REPLACED says when it is).
        items.append(
            "Make sure `terraform plan` updates the environment in place: the AWS provider "
            f"replaces it on a major upgrade ({REPLACED.id})."
        )
    items += [
        "Clean up the metadata database if it is large (`airflow db clean`): a big database "
        "slows the snapshot and the migration.",
        f"Schedule a window of up to {HOURS_PER_HOP * hops} hours and tell the DAG owners: "
        "running tasks will be stopped.",
    ]
    return tuple(items)


def _requirements_item(resolution: Resolution | None, version: str) -> list[str]:
    if resolution is None or resolution.airflow != version:
        return []
    if resolution.outcome is ResolveOutcome.CONFLICT:
        return [
            f"Fix the requirements (MWAA017) before the upgrade: pip cannot install them on "
            f"{version}, and MWAA would roll the update back."
        ]
    if resolution.outcome is ResolveOutcome.UNVERIFIED:
        return [
            f"Resolve the requirements on {version} yourself: iacplan could not check all of "
            "them (MWAA018)."
        ]
    return [
        f"The requirements resolve on {version} (pip, `--resolve`): still check that the DAGs "
        "import with the versions listed."
    ]


def _constraints_item(env: Environment, steps: Sequence[Step]) -> str:
    final = steps[-1]
    found = env.requirements
    if found is not None and len(steps) == 1 and final.python is not None:
        expected = constraints.file_name(final.python)
        for line in found.constraints:
            if line.airflow == final.to_version and line.file == expected:
                return (
                    f"Upload {found.file}: it already has the constraints line for "
                    f"{final.to_version} (line {line.location.line})."
                )
    hop_lines = ", then ".join(f"`{s.constraint}`" for s in steps)
    return f"Point requirements.txt at the new constraints: {hop_lines}."
