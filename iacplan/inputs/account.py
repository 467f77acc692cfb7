"""The AWS account, read through boto3 only under --live: each environment's deployed version,
status and last update, its source bucket's versioning, and the object versions it pins.

boto3 is imported inside `read`, never when this module is: it costs ~0.3 s, and a run
without --live makes no network call at all. Facts only: the rules judge them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from iacplan.errors import InputError
from iacplan.model import AccountError, LastUpdate, LiveEnvironment, PinnedObject, Versioning

if TYPE_CHECKING:
    from botocore.config import Config
    from botocore.session import Session
    from mypy_boto3_mwaa import MWAAClient
    from mypy_boto3_s3 import S3Client

T = TypeVar("T")

# Bounded, so a throttled or unreachable account costs seconds, not minutes. AWS_MAX_ATTEMPTS
# and AWS_RETRY_MODE (or the profile's max_attempts / retry_mode) win over these.
MAX_ATTEMPTS = 3
CONNECT_TIMEOUT = 5  # seconds
READ_TIMEOUT = 20
_LISTED_NAMES = 50  # environment names shown when one is not found


@dataclass(frozen=True)
class Account:
    """Which account and region to read: --profile and --region, else the usual AWS chain."""

    region: str | None = None
    profile: str | None = None

    def __post_init__(self) -> None:
        # boto3 is an extra: most runs never read the account, and it is ~34 MB to install.
        try:
            import boto3  # noqa: F401
        except ImportError:
            raise InputError(
                "--live needs boto3, which comes with the live extra: pip install 'iacplan[live]'"
            ) from None


@dataclass(frozen=True)
class Lookup:
    """One environment to read, by name."""

    name: str
    versioning: bool = False  # read the source bucket's versioning
    # The bucket the configuration names, if any: read it rather than the deployed one.
    bucket: str | None = None


@dataclass(frozen=True)
class _Call:
    name: str  # as AWS names the API call
    action: str  # the IAM action it needs
    service: str  # the client: "mwaa" | "s3"
    denied: str = ""  # what else to say when access is denied


GET_ENVIRONMENT = _Call("mwaa:GetEnvironment", "airflow:GetEnvironment", "mwaa")
LIST_ENVIRONMENTS = _Call("mwaa:ListEnvironments", "airflow:ListEnvironments", "mwaa")
GET_BUCKET_VERSIONING = _Call("s3:GetBucketVersioning", "s3:GetBucketVersioning", "s3")
HEAD_OBJECT = _Call(
    "s3:HeadObject",
    "s3:GetObjectVersion",
    "s3",
    " (without s3:ListBucket, S3 also answers 403 for a version that does not exist)",
)

# The object versions GetEnvironment reports, by the file they pin.
_PINNED = (
    ("requirements", "RequirementsS3Path", "RequirementsS3ObjectVersion"),
    ("plugins", "PluginsS3Path", "PluginsS3ObjectVersion"),
    ("startup script", "StartupScriptS3Path", "StartupScriptS3ObjectVersion"),
)

# Error codes, as AWS services spell them (the same condition has several names).
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
_INVALID = {
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidAccessKeyId",
    "InvalidToken",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "AuthFailure",
}
_DENIED = {"AccessDenied", "AccessDeniedException", "Forbidden", "403"}
_THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "SlowDown",
}
_NOT_FOUND = frozenset({"ResourceNotFoundException"})
# HEAD has no body, so S3 answers with the bare status: 404 for a version that does not exist,
# 400 for a version id it cannot read at all.
_NO_SUCH_VERSION = frozenset({"404", "NoSuchKey", "NoSuchVersion", "400", "InvalidArgument"})


def read(lookups: Iterable[Lookup], account: Account) -> dict[Lookup, LiveEnvironment]:
    """What the account says about each environment; a failed call is an AccountError in its
    facts, never an exception. Bad --profile or no region at all is an InputError."""
    wanted = list(dict.fromkeys(lookups))
    if not wanted:
        return {}
    reader = _Reader(account)
    return {lookup: reader.environment(lookup) for lookup in wanted}


@dataclass(frozen=True)
class _Handled:
    """An error code the caller expects and reads as an answer (not found, no such version)."""

    code: str


class _Reader:
    def __init__(self, account: Account) -> None:
        import boto3
        import botocore.session
        from botocore.exceptions import BotoCoreError, ProfileNotFound

        core = botocore.session.Session()
        try:
            # AWS_REGION is what the AWS CLI v2 and the other SDKs read; botocore reads only
            # AWS_DEFAULT_REGION.
            region = account.region or os.environ.get("AWS_REGION") or None
            session = boto3.Session(
                botocore_session=core, profile_name=account.profile, region_name=region
            )
            self.region = session.region_name
            if not self.region:
                raise InputError(
                    "--live needs an AWS region: pass --region, or set AWS_REGION or the "
                    "profile's region"
                )
            mwaa_config = self._config(core, custom_endpoint=_endpoint_configured(core, "mwaa"))
            self.mwaa: MWAAClient = session.client("mwaa", config=mwaa_config)
            self.s3: S3Client = session.client("s3", config=self._config(core, False))
        except ProfileNotFound as exc:
            raise InputError(
                f"--live: AWS profile {exc.kwargs.get('profile')!r} is not in the AWS config "
                "files (it comes from --profile or AWS_PROFILE)"
            ) from exc
        except (BotoCoreError, ValueError) as exc:  # a bad region, endpoint URL or config file
            raise InputError(f"--live: {_one_line(str(exc))}") from exc
        # What broke for every later call: the credentials ("session"), or one endpoint.
        self._broken: dict[str, str] = {}

    @staticmethod
    def _config(core: Session, custom_endpoint: bool) -> Config:
        from botocore.config import Config

        retries: dict[str, Any] = {}
        if core.get_config_variable("retry_mode") is None:
            retries["mode"] = "standard"
        if core.get_config_variable("max_attempts") is None:
            retries["total_max_attempts"] = MAX_ATTEMPTS
        options: dict[str, Any] = {
            "retries": retries,
            "connect_timeout": CONNECT_TIMEOUT,
            "read_timeout": READ_TIMEOUT,
        }
        if custom_endpoint:
            # MWAA's operations carry the host prefix `api.` (api.airflow.REGION.amazonaws.com).
            # Against an endpoint given by URL (a proxy, a VPC endpoint's DNS name, a test
            # server) the prefix makes a host that does not exist, so it is left out there,
            # and only there: against AWS itself the prefixed host is the documented one.
            options["inject_host_prefix"] = False
        return Config(**options)

    def environment(self, lookup: Lookup) -> LiveEnvironment:
        errors: list[AccountError] = []
        got = self._attempt(
            GET_ENVIRONMENT, partial(self.mwaa.get_environment, Name=lookup.name), _NOT_FOUND
        )
        if isinstance(got, AccountError):
            errors.append(got)
            if "session" in self._broken:  # every other call would fail the same way
                return LiveEnvironment(lookup.name, self.region, None, errors=tuple(errors))
            return self._bucket(LiveEnvironment(lookup.name, self.region, None), lookup, errors)
        if isinstance(got, _Handled):
            missing = LiveEnvironment(lookup.name, self.region, False, other_names=self._others)
            return self._bucket(missing, lookup, errors)
        env = got["Environment"]
        update = env.get("LastUpdate")
        deployed = LiveEnvironment(
            lookup.name,
            self.region,
            True,
            version=env.get("AirflowVersion"),
            status=env.get("Status"),
            last_update=_last_update(update) if update else None,
            source_bucket=_bucket_name(env.get("SourceBucketArn")),
        )
        deployed = self._bucket(deployed, lookup, errors)
        return self._objects(deployed, env, errors)

    def _bucket(
        self, deployed: LiveEnvironment, lookup: Lookup, errors: list[AccountError]
    ) -> LiveEnvironment:
        bucket = lookup.bucket or deployed.source_bucket
        if not lookup.versioning or bucket is None:
            return _with(deployed, errors)
        got = self._attempt(
            GET_BUCKET_VERSIONING, partial(self.s3.get_bucket_versioning, Bucket=bucket)
        )
        if isinstance(got, AccountError):
            errors.append(got)
            return _with(deployed, errors)
        assert not isinstance(got, _Handled)
        # The key is absent when versioning was never set on the bucket.
        status = got.get("Status")
        versioning = {"Enabled": Versioning.ENABLED, "Suspended": Versioning.SUSPENDED}.get(
            status or "", Versioning.DISABLED if status is None else Versioning.UNKNOWN
        )
        return _with(deployed, errors, versioning_bucket=bucket, versioning=versioning)

    def _objects(
        self, deployed: LiveEnvironment, env: Mapping[str, Any], errors: list[AccountError]
    ) -> LiveEnvironment:
        objects = []
        bucket = deployed.source_bucket
        for role, path_key, version_key in _PINNED:
            key, version_id = env.get(path_key), env.get(version_key)
            if not bucket or not key or not version_id:
                continue
            got = self._attempt(
                HEAD_OBJECT,
                partial(self.s3.head_object, Bucket=bucket, Key=key, VersionId=version_id),
                _NO_SUCH_VERSION,
            )
            if isinstance(got, AccountError):
                errors.append(got)
                objects.append(PinnedObject(role, bucket, key, version_id, None))
            elif isinstance(got, _Handled):
                detail = (
                    "S3 rejects the version id as invalid"
                    if got.code in ("400", "InvalidArgument")
                    else "S3 answers 404"
                )
                objects.append(PinnedObject(role, bucket, key, version_id, False, detail))
            else:
                objects.append(PinnedObject(role, bucket, key, version_id, True))
        return _with(deployed, errors, objects=tuple(objects))

    @cached_property
    def _others(self) -> tuple[str, ...] | None:
        """The region's environment names (listed once), to tell a wrong region from a wrong
        name; None when they cannot be listed (that only costs the hint)."""

        def names() -> list[str]:
            pages = self.mwaa.get_paginator("list_environments").paginate(
                PaginationConfig={"MaxItems": _LISTED_NAMES}
            )
            return [name for page in pages for name in page["Environments"]]

        got = self._attempt(LIST_ENVIRONMENTS, names)
        return tuple(sorted(got)) if isinstance(got, list) else None

    def _attempt(
        self, call: _Call, send: Callable[[], T], handled: frozenset[str] = frozenset()
    ) -> T | _Handled | AccountError:
        from botocore.exceptions import BotoCoreError, ClientError

        broken = self._broken.get("session") or self._broken.get(call.service)
        if broken is not None:
            return AccountError(call.name, call.action, broken)
        try:
            return send()
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in handled:
                return _Handled(code)
            message, scope = _client_error(call, exc.response, code)
        except BotoCoreError as exc:
            message, scope = _botocore_error(call, exc)
        if scope is not None:
            self._broken[scope] = message
        return AccountError(call.name, call.action, message)


def _client_error(call: _Call, response: Mapping[str, Any], code: str) -> tuple[str, str | None]:
    """What an error answer means, and what it breaks beyond this call."""
    metadata = response.get("ResponseMetadata", {})
    if code in _EXPIRED:
        return f"the AWS credentials have expired ({code}): renew them and run again", "session"
    if code in _INVALID:
        return f"the AWS credentials are not valid ({code})", "session"
    if code in _DENIED or metadata.get("HTTPStatusCode") == 403:
        return f"access denied ({code}): allow {call.action}{call.denied}", None
    if code in _THROTTLED:
        attempts = int(metadata.get("RetryAttempts", 0)) + 1
        return (
            f"throttled ({code}) after {attempts} attempt(s): run again later, or raise "
            "AWS_MAX_ATTEMPTS",
            None,
        )
    message = _one_line(str(response.get("Error", {}).get("Message", "")))
    return f"{code or 'error'}: {message}" if message else code or "error", None


def _botocore_error(call: _Call, exc: Exception) -> tuple[str, str | None]:
    from botocore.exceptions import ConnectionError as NoConnection
    from botocore.exceptions import (
        CredentialRetrievalError,
        NoCredentialsError,
        PartialCredentialsError,
        ReadTimeoutError,
        SSOError,
        TokenRetrievalError,
    )

    if isinstance(exc, NoCredentialsError):
        return (
            "no AWS credentials found (environment, --profile, shared files, SSO or an "
            "instance role)",
            "session",
        )
    if isinstance(exc, PartialCredentialsError):
        return f"incomplete AWS credentials: {exc}", "session"
    if isinstance(exc, CredentialRetrievalError | TokenRetrievalError | SSOError):
        # Their messages can quote a credential process's output: name the kind only.
        return f"the AWS credentials cannot be loaded ({type(exc).__name__})", "session"
    kwargs: Mapping[str, Any] = getattr(exc, "kwargs", {})
    endpoint = _origin(str(kwargs.get("endpoint_url", "")))
    setting = f"AWS_ENDPOINT_URL_{call.service.upper()}"
    if isinstance(exc, ReadTimeoutError):
        return f"no answer from {endpoint} within {READ_TIMEOUT} s", call.service
    if isinstance(exc, NoConnection):
        return (
            f"cannot connect to {endpoint} ({type(exc).__name__}): check the network, the "
            f"proxy, or {setting}",
            call.service,
        )
    return f"{type(exc).__name__}: {_one_line(str(exc))}", None


def _endpoint_configured(core: Session, client_name: str) -> bool:
    """Whether the user gives this client's endpoint by URL (AWS_ENDPOINT_URL_<SERVICE>,
    AWS_ENDPOINT_URL, or endpoint_url in the profile or its services section)."""
    from botocore.configprovider import ConfiguredEndpointProvider

    if core.get_config_variable("ignore_configured_endpoint_urls"):
        return False
    provider = ConfiguredEndpointProvider(
        full_config=core.full_config,
        scoped_config=core.get_scoped_config(),
        client_name=client_name,
    )
    return bool(provider.provide())


def _with(deployed: LiveEnvironment, errors: list[AccountError], **changes: Any) -> LiveEnvironment:
    return replace(deployed, errors=tuple(errors), **changes)


def _last_update(update: Mapping[str, Any]) -> LastUpdate:
    created: datetime | None = update.get("CreatedAt")
    error = update.get("Error")
    return LastUpdate(
        update.get("Status"),
        created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if created else None,
        f"{error.get('ErrorCode')}: {_one_line(error.get('ErrorMessage') or '')}"
        if error
        else None,
    )


def _bucket_name(arn: str | None) -> str | None:
    if not arn:
        return None
    name = arn.split(":::", 1)[-1] if ":::" in arn else None
    return name or None


def _origin(url: str) -> str:
    """scheme://host[:port] of a URL, without a path or user information."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}" if parts.scheme and host else "the endpoint"


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]
