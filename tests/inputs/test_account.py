"""--live as a user meets it: the account through boto3, with S3 from moto (in-process, and
once through its standalone server) and MWAA from a loopback server (moto has no MWAA). Every
address is 127.0.0.1; the credentials are fake and never appear in any output."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import CredentialRetrievalError
from moto import mock_aws
from moto.server import ThreadedMotoServer

from conftest import TreeMaker
from fake_aws import SECRET_KEY, SESSION_TOKEN, FakeMwaa, fake_credentials
from helpers import CFN_SAMPLES, REPO, SAMPLES, Run, iacplan, mwaa
from iacplan.inputs.account import (
    GET_BUCKET_VERSIONING,
    GET_ENVIRONMENT,
    HEAD_OBJECT,
    _botocore_error,
    _client_error,
)

PLANS = SAMPLES.parent / "terraform-plan"
ENV_ID = "aws_mwaa_environment.analytics"
BUCKET = "acme-airflow-src"  # outside the configuration: only the account knows its versioning


def definition(version: str, name: str = '"analytics"') -> dict[str, str | bytes]:
    """One environment (HCL `name` expression) whose source bucket is outside the config."""
    arn = f'  source_bucket_arn = "arn:aws:s3:::{BUCKET}"\n'
    return {"main.tf": mwaa(f'"{version}"', "analytics", arn).replace('"analytics"\n', name + "\n")}


def live(*args: str | Path) -> Run:
    """`iacplan check --live` with JSON output; no credential reaches any output format."""
    with tempfile.TemporaryDirectory() as out:
        files = {name: Path(out) / name for name in ("text", "markdown")}
        outputs = [f"--output={name}={path}" for name, path in files.items()]
        # An option given twice is refused: a test's own --region replaces the default one.
        region = () if "--region" in args else ("--region", "eu-west-1")
        run = iacplan("check", "--live", *region, "--format", "json", *outputs, *args)
        shown = [run.stdout, run.stderr] + [p.read_text() for p in files.values() if p.exists()]
    for secret in (SECRET_KEY, SESSION_TOKEN, "AKIATESTINGEXAMPLE"):
        assert not any(secret in text for text in shown)
    return run


def messages(run: Run, rule: str) -> list[str]:
    return [f["message"] for f in run.report["findings"] if f["rule"] == rule]


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeMwaa]:
    """The loopback MWAA API and moto's S3 in-process, with fake credentials."""
    fake_credentials(monkeypatch, tmp_path)
    fake = FakeMwaa()
    with fake.running(), mock_aws(config={"core": {"mock_credentials": False}}):
        monkeypatch.setenv("AWS_ENDPOINT_URL_MWAA", fake.url)
        yield fake


def bucket(name: str = BUCKET, versioning: str | None = "Enabled") -> str | None:
    """A bucket in (moto's) account; returns the version id of a requirements.txt in it."""
    s3 = boto3.client("s3", region_name="eu-west-1")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    if versioning is not None:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning})
    return s3.put_object(Bucket=name, Key="requirements.txt", Body=b"boto3\n").get("VersionId")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# --- the deployed version -------------------------------------------------------------------


def test_without_a_base_the_deployed_version_is_the_base(
    account: FakeMwaa, tree: TreeMaker
) -> None:
    account.add("analytics", version="2.9.2", bucket=BUCKET)
    bucket()
    run = live(tree(definition("2.10.3")))
    assert run.exit_code == 0, run.stdout + run.stderr
    env = run.env(ENV_ID)
    assert (env["base_version"], env["change"], env["verdict"]) == ("2.9.2", "upgrade", "allowed")
    assert "account (eu-west-1): analytics runs Airflow 2.9.2, status AVAILABLE" in env["notes"]
    assert env["source_bucket"]["versioning"] == "enabled"
    assert "GetBucketVersioning in the account: enabled" in env["source_bucket"]["reason"]
    # The host prefix `api.` is left out against a custom endpoint, or nothing would arrive.
    assert account.requests == [("/environments/analytics", account.url.removeprefix("http://"))]


def test_the_deployed_version_judges_a_downgrade_nobody_wrote(
    account: FakeMwaa, tree: TreeMaker
) -> None:
    account.add("analytics", version="2.11.0", bucket=BUCKET)
    bucket()
    run = live(tree(definition("2.10.3")))
    assert run.exit_code == 1 and run.rules(ENV_ID) == ["MWAA001"]
    assert "downgrade 2.11.0 → 2.10.3" in messages(run, "MWAA001")[0]


def test_drift_between_the_base_definition_and_the_account(
    account: FakeMwaa, tree: TreeMaker
) -> None:
    account.add("analytics", version="2.9.2", bucket=BUCKET)
    bucket()
    base, head = tree(definition("2.8.1"), "base"), tree(definition("2.10.3"), "head")
    run = live("--base", base, head)
    assert run.exit_code == 0 and run.rules(ENV_ID) == ["MWAA012"]
    [drift] = run.report["findings"]
    assert "the base definition says 2.8.1, the account runs 2.9.2" in drift["message"]
    assert drift["file"].endswith("base/main.tf") and drift["line"] == 3
    assert run.env(ENV_ID)["base_version"] == "2.9.2"


def test_an_environment_the_account_does_not_have(account: FakeMwaa, tree: TreeMaker) -> None:
    account.add("other", bucket=BUCKET)
    bucket()
    head = tree(definition("2.10.3"), "head")
    alone = live(head)
    env = alone.env(ENV_ID)
    assert env["change"] == "added" and alone.rules() == []
    assert (
        "account (eu-west-1): no environment named analytics (the region has: other): "
        "applying creates it" in env["notes"]
    )
    based = live("--base", tree(definition("2.9.2"), "base"), head)
    assert based.rules() == ["MWAA012"]
    assert "the account has none of that name in eu-west-1" in messages(based, "MWAA012")[0]


def test_an_unknown_name_is_not_looked_up_and_says_so(account: FakeMwaa, tree: TreeMaker) -> None:
    files = definition("2.10.3", name="var.name")
    files["variables.tf"] = 'variable "name" { type = string }\n'
    run = live(tree(files))
    [note] = run.env(ENV_ID)["notes"]
    assert note.startswith("not looked up in the account: the environment's name is unknown")
    assert account.requests == []


def test_plans_and_change_sets_are_compared_with_the_account(account: FakeMwaa) -> None:
    account.add("prod-airflow", version="2.9.2")  # the plan's before: 2.8.1
    account.add("analytics", version="2.11.0")  # the change set's before: 2.10.3
    plan = live(PLANS / "minor-upgrade" / "plan.json")
    [drift] = messages(plan, "MWAA012")
    assert "the base definition says 2.8.1, the account runs 2.9.2" in drift
    changeset = live(CFN_SAMPLES / "changeset-property-values" / "changeset.json")
    [drift] = messages(changeset, "MWAA012")
    assert "the base definition says 2.10.3, the account runs 2.11.0" in drift
    assert changeset.env("analytics-mwaa#Airflow")["base_version"] == "2.11.0"


# --- status -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "meaning"),
    [
        ("UPDATING", "an update is running"),
        ("CREATING_SNAPSHOT", "taking the snapshot of the metadata database"),
        ("ROLLING_BACK", "restoring the environment from the snapshot"),
        ("UPDATE_FAILED", "the last update failed and was rolled back"),
        ("UNAVAILABLE", "neither stable nor back to its previous state"),
        ("MAINTENANCE", "MWAA maintenance is running"),
    ],
)
def test_no_version_change_on_an_environment_that_is_not_available(
    account: FakeMwaa, tree: TreeMaker, status: str, meaning: str
) -> None:
    failed = {"Status": "FAILED", "CreatedAt": 1767229200}
    failed["Error"] = {"ErrorCode": "INCORRECT_CONFIGURATION", "ErrorMessage": "pip failed"}
    account.add("analytics", version="2.9.2", status=status, bucket=BUCKET, LastUpdate=failed)
    bucket()
    run = live(tree(definition("2.10.3")))
    assert run.exit_code == 1 and run.rules() == ["MWAA014"]
    [message] = messages(run, "MWAA014")
    assert f"the environment is {status} in the account: " in message and meaning in message
    assert run.env(ENV_ID)["verdict"] == "rejected"
    assert (
        "account (eu-west-1): the last update did not succeed (2026-01-01T01:00:00Z): "
        "INCORRECT_CONFIGURATION: pip failed" in run.env(ENV_ID)["notes"]
    )
    rollback = rollback_items(run)
    assert f"The account runs `analytics` on 2.9.2, status {status}." in rollback
    assert any(
        "Its last update did not succeed (INCORRECT_CONFIGURATION: pip failed" in i
        for i in rollback
    )


# --- the source bucket and the object versions it pins --------------------------------------


@pytest.mark.parametrize(
    ("versioning", "rules", "shown"),
    [
        ("Enabled", [], "enabled"),
        ("Suspended", ["MWAA005"], "suspended"),
        (None, ["MWAA005"], "never enabled"),
    ],
)
def test_bucket_versioning_from_the_account(
    account: FakeMwaa, tree: TreeMaker, versioning: str | None, rules: list[str], shown: str
) -> None:
    account.add("analytics", version="2.9.2", bucket=BUCKET)
    bucket(versioning=versioning)
    offline = iacplan(
        "check",
        "--format",
        "json",
        "--base",
        tree(definition("2.9.2"), "b"),
        tree(definition("2.10.3"), "h"),
    )
    assert offline.rules() == ["MWAA006"]  # without the account: cannot be verified
    run = live("--base", tree(definition("2.9.2"), "base"), tree(definition("2.10.3"), "head"))
    assert run.rules() == rules
    assert (
        f"GetBucketVersioning in the account: {shown}" in run.env(ENV_ID)["source_bucket"]["reason"]
    )


def test_an_unresolved_bucket_is_not_taken_for_the_deployed_one(
    account: FakeMwaa, tree: TreeMaker
) -> None:
    """The head may move the environment to another bucket: the deployed bucket's versioning
    is shown, but the head's stays unverified (never a false pass)."""
    account.add("analytics", version="2.9.2", bucket=BUCKET)
    bucket()
    arn = "  source_bucket_arn = var.bucket_arn\n"
    head = {
        "main.tf": mwaa('"2.10.3"', "analytics", arn) + 'variable "bucket_arn" {}\n',
    }
    run = live(tree(head))
    assert run.rules(ENV_ID) == ["MWAA006"]
    source = run.env(ENV_ID)["source_bucket"]
    assert source["versioning"] == "unknown"
    assert (
        f"the deployed environment's bucket {BUCKET}: GetBucketVersioning in the account: enabled"
        in source["reason"]
    )


def test_a_pinned_object_version_that_is_gone(account: FakeMwaa, tree: TreeMaker) -> None:
    version = bucket()
    account.add(
        "analytics",
        version="2.9.2",
        bucket=BUCKET,
        RequirementsS3Path="requirements.txt",
        RequirementsS3ObjectVersion=version,
        PluginsS3Path="plugins.zip",
        PluginsS3ObjectVersion="3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nrjfkd",
    )
    run = live(tree(definition("2.10.3")))
    assert run.rules() == ["MWAA015"]
    [message] = messages(run, "MWAA015")
    assert "pins plugins version 3HL4kqtJ" in message and f"s3://{BUCKET}/plugins.zip" in message
    assert "MWAA cannot roll back to it" in message
    rollback = rollback_items(run)
    assert any(i.startswith("✓ The deployed requirements `s3://") for i in rollback)
    assert any(i.startswith("✗ The deployed plugins") and "(MWAA015)" in i for i in rollback)


def rollback_items(run: Run) -> list[str]:
    plan = run.env(ENV_ID)["plan"]
    items: list[str] = next(s["items"] for s in plan["sections"] if s["key"] == "rollback")
    return items


def test_moto_standalone_server(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tree: TreeMaker
) -> None:
    """S3 reached over real HTTP through AWS_ENDPOINT_URL_S3, as behind a proxy or VPC endpoint."""
    fake_credentials(monkeypatch, tmp_path)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    fake = FakeMwaa()
    try:
        host, port = server.get_host_and_port()
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://{host}:{port}")
        s3 = boto3.client("s3", region_name="eu-west-1")
        s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
        fake.add("analytics", version="2.9.2", bucket=BUCKET)
        with fake.running():
            monkeypatch.setenv("AWS_ENDPOINT_URL_MWAA", fake.url)
            run = live(tree(definition("2.10.3")))
    finally:
        server.stop()
    assert run.rules() == ["MWAA005"]
    assert run.env(ENV_ID)["source_bucket"]["versioning"] == "suspended"


# --- errors: one finding each, and the rest of the report still comes out -------------------


def two_environments(tree: TreeMaker) -> Path:
    arn = f'  source_bucket_arn = "arn:aws:s3:::{BUCKET}"\n'
    return tree(
        {"main.tf": mwaa('"2.10.3"', "analytics", arn) + mwaa('"2.10.3"', "reporting", arn)}
    )


def test_no_credentials(
    account: FakeMwaa, tree: TreeMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    run = live(two_environments(tree))
    assert run.exit_code == 1 and run.rules() == ["MWAA016", "MWAA016"]
    assert all(
        "mwaa:GetEnvironment (IAM action airflow:GetEnvironment) failed: no AWS credentials found"
        in m
        for m in messages(run, "MWAA016")
    )
    assert len(run.report["environments"]) == 2 and account.requests == []


def test_expired_token_stops_every_later_call(account: FakeMwaa, tree: TreeMaker) -> None:
    account.errors["analytics"] = (
        403,
        "ExpiredTokenException",
        "The security token included in the request is expired",
    )
    account.add("reporting", bucket=BUCKET)
    run = live(two_environments(tree))
    assert run.rules() == ["MWAA016", "MWAA016"]
    assert all(
        "the AWS credentials have expired (ExpiredTokenException)" in m
        for m in messages(run, "MWAA016")
    )
    assert [path for path, _ in account.requests] == ["/environments/analytics"]


def test_access_denied_on_one_call(account: FakeMwaa, tree: TreeMaker) -> None:
    account.errors["analytics"] = (
        403,
        "AccessDeniedException",
        "User: arn:aws:iam::123456789012:user/ci is not authorized",
    )
    account.add("reporting", version="2.9.2", bucket=BUCKET)
    bucket()
    run = live(two_environments(tree))
    assert run.rules("aws_mwaa_environment.analytics") == ["MWAA016"]
    [denied] = messages(run, "MWAA016")
    assert "access denied (AccessDeniedException): allow airflow:GetEnvironment" in denied
    reporting = run.env("aws_mwaa_environment.reporting")
    assert (reporting["base_version"], reporting["verdict"]) == ("2.9.2", "allowed")


def test_throttling_is_retried_a_bounded_number_of_times(
    account: FakeMwaa, tree: TreeMaker
) -> None:
    account.errors["analytics"] = (429, "ThrottlingException", "Rate exceeded")
    bucket()
    run = live(tree(definition("2.10.3")))
    [message] = messages(run, "MWAA016")
    assert "throttled (ThrottlingException) after 3 attempt(s)" in message
    assert len(account.requests) == 3


def test_unreachable_endpoint(
    account: FakeMwaa, tree: TreeMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = closed_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL_MWAA", f"http://127.0.0.1:{port}")
    bucket()
    run = live(tree(definition("2.10.3")))
    assert run.exit_code == 1
    [message] = messages(run, "MWAA016")
    assert f"cannot connect to http://127.0.0.1:{port}" in message
    assert "AWS_ENDPOINT_URL_MWAA" in message


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("--profile", "nope"), {}, "--live: AWS profile 'nope' is not in the AWS config files"),
        ((), {"AWS_PROFILE": "gone"}, "AWS profile 'gone' is not in the AWS config files"),
        (("--region", "eu west 1"), {}, "--live: Provided region_name 'eu west 1' doesn't match"),
        ((), {"AWS_ENDPOINT_URL_MWAA": "not a url"}, "--live: Invalid endpoint: not a url"),
    ],
)
def test_usage_errors(
    account: FakeMwaa,
    tree: TreeMaker,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    env: dict[str, str],
    message: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    run = live(*args, tree(definition("2.10.3")))
    assert run.exit_code == 2 and message in run.stderr and run.stdout == ""


def test_a_region_is_needed(account: FakeMwaa, tree: TreeMaker) -> None:
    run = iacplan("check", "--live", tree(definition("2.10.3")))
    assert run.exit_code == 2
    assert "--live needs an AWS region: pass --region" in run.stderr


def test_region_and_profile_go_with_live(tree: TreeMaker) -> None:
    run = iacplan("check", "--region", "eu-west-1", tree(definition("2.10.3")))
    assert run.exit_code == 2 and "--region and --profile go with --live" in run.stderr


@pytest.mark.parametrize(
    ("call", "code", "status", "message"),
    [
        (
            HEAD_OBJECT,
            "403",
            403,
            "access denied (403): allow s3:GetObjectVersion (without s3:ListBucket",
        ),
        (
            GET_BUCKET_VERSIONING,
            "AccessDenied",
            403,
            "access denied (AccessDenied): allow s3:GetBucketVersioning",
        ),
        (
            GET_BUCKET_VERSIONING,
            "ExpiredToken",
            400,
            "the AWS credentials have expired (ExpiredToken)",
        ),
        (GET_ENVIRONMENT, "UnrecognizedClientException", 403, "the AWS credentials are not valid"),
        (GET_BUCKET_VERSIONING, "SlowDown", 503, "throttled (SlowDown) after 1 attempt(s)"),
        (
            GET_BUCKET_VERSIONING,
            "NoSuchBucket",
            404,
            "NoSuchBucket: The specified bucket does not exist",
        ),
    ],
)
def test_what_an_error_answer_says(call: Any, code: str, status: int, message: str) -> None:
    """S3's errors, which moto does not produce on demand."""
    answer = {
        "Error": {"Code": code, "Message": "The specified bucket does not exist"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    assert _client_error(call, answer, code)[0].startswith(message)


def test_a_credential_process_error_is_not_quoted() -> None:
    error = CredentialRetrievalError(provider="custom-process", error_msg=f"bad key {SECRET_KEY}")
    message, scope = _botocore_error(GET_ENVIRONMENT, error)
    assert message == "the AWS credentials cannot be loaded (CredentialRetrievalError)"
    assert scope == "session"


# --- without --live: no network, no boto3 ---------------------------------------------------


def test_without_live_no_network_call(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: socket.socket, address: object) -> None:
        raise AssertionError(f"network call to {address!r} without --live")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    runs = [
        iacplan(
            "check",
            "--base",
            SAMPLES / "minor-upgrade" / "base",
            SAMPLES / "minor-upgrade" / "head",
        ),
        iacplan("check", PLANS / "minor-upgrade" / "plan.json"),
        iacplan("check", CFN_SAMPLES / "changeset-property-values" / "changeset.json"),
        iacplan(
            "check",
            "--base",
            CFN_SAMPLES / "yaml-minor-upgrade" / "base",
            CFN_SAMPLES / "yaml-minor-upgrade" / "head",
        ),
    ]
    assert [(r.exit_code, r.stderr) for r in runs] == [(0, ""), (0, ""), (1, ""), (0, "")]


def test_boto3_is_imported_only_with_live() -> None:
    script = f"""
import json, sys
from click.testing import CliRunner
from iacplan.cli import main
CliRunner().invoke(main, ["check", {str(SAMPLES / "minor-upgrade" / "head")!r}])
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("boto3", "botocore"))))
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert json.loads(out.stdout) == []


# --- boto3 is the live extra -------------------------------------------------------------


def test_live_without_boto3_names_the_extra(
    tree: TreeMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # `import boto3` now fails, as uninstalled
    run = iacplan("check", "--live", "--region", "eu-west-1", tree(definition("2.10.3")))
    assert run.exit_code == 2 and run.stdout == ""
    assert run.stderr.splitlines() == [
        "iacplan: error: --live needs boto3, which comes with the live extra: "
        "pip install 'iacplan[live]'"
    ]


def test_boto3_is_the_live_extra_and_only_the_account_imports_it() -> None:
    import ast
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert not any(dep.startswith(("boto3", "botocore")) for dep in project["dependencies"])
    assert any(dep.startswith("boto3") for dep in project["optional-dependencies"]["live"])
    assert "iacplan[live]" in project["optional-dependencies"]["test"]
    importers = set()
    for module in (REPO / "iacplan").rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(name.startswith(("boto3", "botocore", "mypy_boto3")) for name in names):
                importers.add(module.relative_to(REPO).as_posix())
    assert importers == {"iacplan/inputs/account.py"}
