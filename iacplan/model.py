"""Frozen dataclasses shared by every stage of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True, order=True)
class Location:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class ValueState(StrEnum):
    KNOWN = "known"
    UNKNOWN = "unknown"  # set, but cannot be resolved statically
    MISSING = "missing"  # not set at all


@dataclass(frozen=True)
class Value:
    """A configuration value as far as it can be resolved without applying anything."""

    state: ValueState
    location: Location
    text: str | None = None
    reason: str | None = None  # why it is unknown or missing, or a note on a known value
    # An unknown value that is one of a few outcomes (a CloudFormation Fn::If on a condition
    # that cannot be resolved): the rules judge every outcome, so a dangerous one is reported.
    alternatives: tuple[Alternative, ...] = ()
    # How the value is written, as far as it can be told (Terraform: the expression, with what
    # the locals and module arguments it goes through are written as): two unresolved values
    # are the same only when this is. None where the input does not say.
    expression: str | None = None

    @classmethod
    def known(cls, text: str, location: Location, note: str | None = None) -> Value:
        return cls(ValueState.KNOWN, location, text=text, reason=note)

    @classmethod
    def unknown(
        cls, reason: str, location: Location, alternatives: tuple[Alternative, ...] = ()
    ) -> Value:
        return cls(ValueState.UNKNOWN, location, reason=reason, alternatives=alternatives)

    @classmethod
    def missing(cls, reason: str, location: Location) -> Value:
        return cls(ValueState.MISSING, location, reason=reason)


@dataclass(frozen=True)
class Alternative:
    when: str  # what leads to this outcome, e.g. "if condition IsProd is false"
    value: Value


class Versioning(StrEnum):
    ENABLED = "enabled"
    SUSPENDED = "suspended"
    DISABLED = "disabled"  # explicitly disabled or never set
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Bucket:
    """The environment's S3 source bucket, as far as the configuration shows it."""

    id: str | None  # bucket name (or resource address when the name is computed)
    versioning: Versioning
    in_config: bool
    reason: str  # how the versioning state was determined, or why it is unknown
    location: Location | None = None


class Action(StrEnum):
    """What a Terraform plan or a CloudFormation change set says it will do."""

    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    FORGET = "forget"  # removed from state; the environment keeps running unmanaged
    NO_OP = "no-op"
    UNKNOWN = "unknown"  # decided only at apply time (a change set's Dynamic action)


@dataclass(frozen=True)
class Planned:
    action: Action
    detail: str | None = None  # why: replace_paths and action_reason, Replacement=Conditional


@dataclass(frozen=True)
class Pin:
    """A version requirement (or a file it names) as written, and where."""

    text: str
    location: Location


@dataclass(frozen=True)
class ProviderVersions:
    """What a Terraform configuration says about the AWS provider version it will run with.

    Facts only: whether that version replaces an environment is the rules' decision."""

    constraints: tuple[Pin, ...] = ()  # every `version` required of hashicorp/aws, any module
    locked: Pin | None = None  # the exact version .terraform.lock.hcl selects
    doubt: str | None = None  # why the constraints found may not be the whole story


@dataclass(frozen=True)
class S3File:
    """A file MWAA installs from the source bucket: requirements, plugins or startup script.

    MWAA only picks up a new file when its object version changes, and a rollback restores the
    previous one only through a pinned version."""

    role: str  # "requirements" | "plugins" | "startup script"
    path: Value  # the S3 key, as configured
    object_version: Value  # MISSING when the configuration pins no object version


@dataclass(frozen=True)
class ConstraintsLine:
    """A `--constraint` line of a requirements file, and what its target says if it can tell."""

    target: str  # the URL or path, as written (unquoted)
    location: Location
    # Read only from an apache/airflow constraints URL (`…/constraints-<airflow>/<file>`); None
    # where the target cannot be checked (a local path, another host, an environment variable).
    airflow: str | None = None
    file: str | None = None  # e.g. "constraints-3.11.txt"


@dataclass(frozen=True)
class Requirements:
    """What a local requirements.txt says that an Airflow version change depends on.

    Facts only: whether they fit the head version is MWAA011's decision."""

    file: str  # as reports show it
    constraints: tuple[ConstraintsLine, ...] = ()
    airflow_pins: tuple[Pin, ...] = ()  # each apache-airflow requirement's specifier ("==2.10.3")
    includes: tuple[Pin, ...] = ()  # -r/--requirement files, which are not read
    path: str | None = None  # where it was read (absolute), for --resolve to give pip a copy


class ResolveOutcome(StrEnum):
    """What `--resolve` predicts pip does with a requirements file on the head version."""

    RESOLVES = "resolves"  # pip resolved every requirement against the head's constraints
    CONFLICT = "conflict"  # a certain failure: the install on MWAA fails (MWAA017)
    UNVERIFIED = "unverified"  # some or all of it could not be predicted (MWAA018)


@dataclass(frozen=True)
class RequirementsIssue:
    """One thing `--resolve` found: a certain failure (in `Resolution.conflicts`) or what could
    not be predicted (in `Resolution.problems`), and where."""

    kind: str  # e.g. constraints, resolver, python | no-constraints, index-unreachable, sdist-only
    message: str
    location: Location
    packages: tuple[str, ...] = ()  # the projects concerned, PEP 503 names


@dataclass(frozen=True)
class PackageChange:
    """A project whose resolved version differs between the base and the head version."""

    name: str
    before: str | None  # None: not installed on the base version
    after: str | None  # None: no longer installed on the head version


@dataclass(frozen=True)
class Resolution:
    """What pip's resolver says about the head environment's requirements file on the head
    version's constraints, Python and platform (`--resolve`). Facts only: the rules decide."""

    file: str | None  # as reports show it; None when no local copy of the file was found
    airflow: str  # the version resolved for (the head version)
    python: str | None  # the Python pip was told (e.g. 3.12.10); None when unknown
    platforms: tuple[str, ...]  # the --platform tags pip was given, most preferred first
    constraints: str | None  # the constraints file's URL or path; None when none was had
    outcome: ResolveOutcome
    conflicts: tuple[RequirementsIssue, ...] = ()
    problems: tuple[RequirementsIssue, ...] = ()
    packages: tuple[tuple[str, str], ...] = ()  # (name, version) pip would install, sorted
    base_airflow: str | None = None  # the base version the same file was resolved on too
    # The packages whose version differs from the base version's resolution; None when that
    # resolution is not there to compare with (base_note says why).
    changes: tuple[PackageChange, ...] | None = None
    base_note: str | None = None


@dataclass(frozen=True)
class AccountError:
    """An account call that failed (--live): which call, the IAM action it needs, and what
    happened, in one line that never holds a credential."""

    call: str  # the API call, e.g. "mwaa:GetEnvironment"
    action: str  # the IAM action it needs, e.g. "airflow:GetEnvironment"
    message: str


@dataclass(frozen=True)
class LastUpdate:
    """The environment's last update as the account reports it."""

    status: str | None  # SUCCESS | PENDING | FAILED
    created_at: str | None  # ISO 8601, UTC
    error: str | None  # "ErrorCode: ErrorMessage" of a failed update


@dataclass(frozen=True)
class PinnedObject:
    """An S3 object version the deployed environment pins (requirements, plugins, startup
    script): a failed update rolls back to it, so it has to exist."""

    role: str  # "requirements" | "plugins" | "startup script"
    bucket: str
    key: str
    version_id: str
    exists: bool | None  # None: it could not be checked (an AccountError says why)
    detail: str | None = None  # how S3 answered, when the version is missing


@dataclass(frozen=True)
class LiveEnvironment:
    """What the AWS account says about one environment: read only with --live."""

    name: str
    region: str
    found: bool | None  # None: the account could not be asked (see errors)
    version: str | None = None
    status: str | None = None
    last_update: LastUpdate | None = None
    source_bucket: str | None = None  # the bucket name in the deployed SourceBucketArn
    versioning_bucket: str | None = None  # the bucket whose versioning was read
    versioning: Versioning = Versioning.UNKNOWN
    objects: tuple[PinnedObject, ...] = ()
    errors: tuple[AccountError, ...] = ()
    other_names: tuple[str, ...] | None = None  # when not found: the region's environments


class EnvironmentKind(StrEnum):
    """What an environment was read from; the value is what reports write."""

    TERRAFORM = "terraform"  # a Terraform configuration (.tf, .tf.json)
    TERRAFORM_PLAN = "terraform-plan"  # `terraform show -json` of a plan
    CLOUDFORMATION = "cloudformation"  # a CloudFormation template
    CLOUDFORMATION_CHANGESET = "cloudformation-changeset"  # a described change set


@dataclass(frozen=True)
class Environment:
    id: str  # stable across base and head: the address, prefixed by its root when needed
    kind: EnvironmentKind
    address: str
    name: Value
    version: Value
    location: Location
    bucket: Bucket | None
    evaluated_alone: bool = False  # a module nothing calls, evaluated with its own defaults
    moved_from: str | None = None  # the id a `moved` block says it had before
    planned: Planned | None = None  # only from plans and change sets
    notes: tuple[str, ...] = ()  # information for the reader that changes no verdict
    provider: ProviderVersions | None = None  # Terraform configurations only (not plans)
    files: tuple[S3File, ...] = ()  # only the files whose path is configured
    tags: tuple[tuple[str, str], ...] = ()  # known tags, sorted: they order environments
    requirements: Requirements | None = None  # the head's local requirements.txt, when found
    live: LiveEnvironment | None = None  # with --live: what the account says (subject side)
    # Why the environment may not exist at all (a count or for_each that cannot be resolved):
    # its version is still judged, as "if it exists".
    existence: str | None = None
    # Not an environment but a Terraform `removed` block: the address it takes out of the
    # configuration (a resource, or a module and all it holds), with `planned` saying whether
    # apply destroys (delete) or only forgets (forget) what the base has there.
    removes: str | None = None
    # With --resolve, on the head side of a version change: what pip's resolver predicts.
    resolution: Resolution | None = None


class ChangeKind(StrEnum):
    UPGRADE = "upgrade"
    DOWNGRADE = "downgrade"
    MAJOR_JUMP = "major-jump"
    UNCHANGED = "unchanged"
    ADDED = "added"
    REMOVED = "removed"
    REPLACED = "replaced"
    FORGOTTEN = "forgotten"  # removed from Terraform state only, not destroyed
    UNKNOWN = "unknown"
    NO_BASE = "no-base"  # checked on its own: no base was given


@dataclass(frozen=True)
class Change:
    id: str
    base: Environment | None
    head: Environment | None
    kind: ChangeKind
    reason: str | None = None  # why the kind is what it is, when that is not obvious
    # With --live, when the account runs another version than the base definition says: the
    # definition's version (base.version is then the deployed one, which the change is judged
    # from).
    drift: Value | None = None
    # Whether apply replaces the environment, when that cannot be told: a name that cannot be
    # evaluated and is written otherwise on the other side. MWAA007 says so as a warning, and
    # the verdict is at best unverified.
    replacement_doubt: str | None = None

    @property
    def subject(self) -> Environment:
        """The environment a finding about this change points at: head, else base."""
        env = self.head or self.base
        assert env is not None, "a change has at least one side"
        return env


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"

    @property
    def rank(self) -> int:
        return {"warning": 1, "error": 2}[self.value]


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    environment: str
    location: Location
    suppressed: bool = False
    suppression_reason: str | None = None
    # What in the environment the finding is about when a rule can say several things of one
    # environment ("source bucket", "file:plugins"): the upgrade plan places findings by it.
    # Not in the JSON report, and not part of a finding's identity.
    about: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Suppression:
    rule: str
    environment: str
    reason: str


@dataclass(frozen=True)
class Policy:
    """The team's choices from .iacplan.yaml: severities and accepted findings (the rules
    apply them; the config reads them)."""

    severities: dict[str, Severity] = field(default_factory=dict)
    suppressions: tuple[Suppression, ...] = ()

    def suppression(self, rule: str, environment: str) -> Suppression | None:
        return next(
            (s for s in self.suppressions if s.rule == rule and s.environment == environment),
            None,
        )
