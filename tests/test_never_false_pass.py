"""Never a false pass: in every sample and every fixture that holds a version, replace the
version with something unresolvable; nothing may then be allowed. Make an object version
unresolvable and it is never taken for pinned."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from helpers import FIXTURES, REPO, SAMPLES, Run, iacplan, write_tree

# --- Terraform ---------------------------------------------------------------------------

# The environment's attribute, and the version arguments of module calls iacplan judges when
# the module is not read (`mwaa_airflow_version`).
ATTRIBUTE = re.compile(r"^(\s*(?:\w+_)?airflow_version\s*=).*$", re.MULTILINE)
UNRESOLVABLE = {
    "required variable": ("var.iacplan_unresolved", 'variable "iacplan_unresolved" {}\n'),
    "data source": (
        "data.aws_ssm_parameter.iacplan.value",
        'data "aws_ssm_parameter" "iacplan" {\n  name = "/mwaa/version"\n}\n',
    ),
    "function over unknown": (
        "trimspace(var.iacplan_unresolved)",
        'variable "iacplan_unresolved" {}\n',
    ),
    "remote state": (
        "data.terraform_remote_state.s.outputs.v",
        'data "terraform_remote_state" "s" {\n  backend = "s3"\n}\n',
    ),
}
FIXTURE_TREES = sorted(
    {
        p.parent.parent
        for p in FIXTURES.glob("terraform/*/*/*.tf")
        if ATTRIBUTE.search(p.read_text())
    }
)


def _text(tree: Path) -> str:
    return "".join(p.read_text() for p in sorted(tree.rglob("*.tf")))


def make_unresolvable(tree: Path, expression: str, declaration: str) -> None:
    for path in tree.rglob("*"):
        if path.suffix == ".tf":
            text = path.read_text()
            if ATTRIBUTE.search(text):
                path.write_text(declaration + ATTRIBUTE.sub(rf"\1 {expression}", text))
        elif path.name.endswith(".tfvars"):
            kept = [line for line in path.read_text().splitlines() if "airflow_version" not in line]
            path.write_text("\n".join(kept) + "\n")


def judged(run: Run) -> list[dict[str, Any]]:
    """The environments whose head version matters: not one only forgotten (a `removed` block
    with destroy = false), which has no head and keeps running as it is."""
    return [env for env in run.report["environments"] if env["change"] != "forgotten"]


def assert_never_allowed(run: Run, unknown_rule: str | None = "MWAA008") -> None:
    assert run.exit_code in (0, 1), run.stderr
    assert judged(run), "nothing was checked"
    for env in judged(run):
        assert env["verdict"] in ("unverified", "rejected"), env
    if unknown_rule:
        assert unknown_rule in run.rules()


@pytest.mark.parametrize("how", sorted(UNRESOLVABLE))
@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.iterdir() if p.is_dir()))
def test_unresolvable_head_version_is_never_allowed(tmp_path: Path, sample: str, how: str) -> None:
    head = tmp_path / "head"
    shutil.copytree(SAMPLES / sample / "head", head)
    make_unresolvable(head, *UNRESOLVABLE[how])
    run = iacplan("check", "--base", SAMPLES / sample / "base", head, "--format", "json")
    assert_never_allowed(run)
    for env in judged(run):
        assert env["head_version"] is None
        assert env["verdict"] == "unverified", env
    assert "MWAA008" in run.rules()


OBJECT_VERSION = re.compile(r"^(\s*requirements_s3_object_version\s*=).*$", re.MULTILINE)
REQUIREMENTS_PATH = re.compile(r"^(\s*requirements_s3_path\s*=.*)$", re.MULTILINE)


def unresolvable_object_version(tree: Path, expression: str, declaration: str) -> None:
    for path in tree.rglob("*.tf"):
        text = path.read_text()
        if not REQUIREMENTS_PATH.search(text):
            continue
        if OBJECT_VERSION.search(text):
            text = OBJECT_VERSION.sub(rf"\1 {expression}", text)
        else:
            text = REQUIREMENTS_PATH.sub(
                rf"\1\n  requirements_s3_object_version = {expression}", text
            )
        path.write_text(declaration + text)


@pytest.mark.parametrize("how", sorted(UNRESOLVABLE))
@pytest.mark.parametrize(
    "sample",
    sorted(p.name for p in SAMPLES.iterdir() if REQUIREMENTS_PATH.search(_text(p / "head"))),
)
def test_an_unresolvable_object_version_is_never_pinned(
    tmp_path: Path, sample: str, how: str
) -> None:
    head = tmp_path / "head"
    shutil.copytree(SAMPLES / sample / "head", head)
    unresolvable_object_version(head, *UNRESOLVABLE[how])
    run = iacplan("check", "--base", SAMPLES / sample / "base", head, "--format", "json")
    assert run.exit_code in (0, 1), run.stderr
    changing = [
        env["id"]
        for env in run.report["environments"]
        if None not in (env["base_version"], env["head_version"])
        and env["base_version"] != env["head_version"]
    ]
    assert changing, "the sample changes no version"
    for env_id in changing:
        assert any(
            f["rule"] == "MWAA010"
            and f["environment"] == env_id
            and f["message"].startswith("whether the requirements file")
            and "cannot be verified" in f["message"]
            for f in run.report["findings"]
        ), run.report["findings"]


@pytest.mark.parametrize("how", sorted(UNRESOLVABLE))
@pytest.mark.parametrize("fixture", FIXTURE_TREES, ids=lambda p: p.name)
def test_unresolvable_version_in_a_fixture_is_never_allowed(
    tmp_path: Path, fixture: Path, how: str
) -> None:
    tree = tmp_path / fixture.name
    shutil.copytree(fixture, tree)
    make_unresolvable(tree, *UNRESOLVABLE[how])
    assert_never_allowed(iacplan("check", tree, "--format", "json"))


def test_the_walk_covers_the_fixtures() -> None:
    assert [p.name for p in FIXTURE_TREES] == ["monorepo"]


# --- plans -------------------------------------------------------------------------------

PLANS = sorted((REPO / "samples" / "terraform-plan").glob("*/plan.json"))


def _unknown_after(change: dict[str, Any]) -> None:
    change["after"].pop("airflow_version", None)
    if isinstance(change.get("after_unknown"), dict):
        change["after_unknown"]["airflow_version"] = True


def _sensitive_after(change: dict[str, Any]) -> None:
    if isinstance(change.get("after_sensitive"), dict):
        change["after_sensitive"]["airflow_version"] = True
    else:
        change["after_sensitive"] = {"airflow_version": True}


@pytest.mark.parametrize("how", [_unknown_after, _sensitive_after], ids=lambda f: f.__name__)
@pytest.mark.parametrize("sample", PLANS, ids=lambda p: p.parent.name)
def test_a_plans_unknown_version_is_never_allowed(tmp_path: Path, sample: Path, how: Any) -> None:
    plan = json.loads(sample.read_text())
    changes = [
        rc["change"]
        for rc in plan.get("resource_changes", [])
        if rc["type"].endswith("mwaa_environment") and isinstance(rc["change"].get("after"), dict)
    ]
    for change in changes:
        how(change)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, indent=2))
    run = iacplan("check", path, "--format", "json")
    assert run.exit_code in (0, 1), run.stderr
    for env in run.report["environments"]:
        if env["planned_action"] in ("update", "no-op", "create", "replace"):
            assert env["verdict"] in ("unverified", "rejected"), env
            assert env["head_version"] is None


VERSIONED_PLANS = [
    p
    for p in PLANS
    if any(
        rc["type"] == "aws_s3_bucket_versioning" and isinstance(rc["change"].get("after"), dict)
        for rc in json.loads(p.read_text()).get("resource_changes", [])
    )
]


@pytest.mark.parametrize(
    "mark",
    [[{"status": True}], [True], True],
    ids=["status", "block-element", "block"],
)
@pytest.mark.parametrize("sample", VERSIONED_PLANS, ids=lambda p: p.parent.name)
def test_a_plans_unknown_versioning_status_is_never_enabled(
    tmp_path: Path, sample: Path, mark: Any
) -> None:
    """Only `true` leaves of after_unknown are unknown (`[{}]` is not), but a true status is."""
    plan = json.loads(sample.read_text())
    for rc in plan["resource_changes"]:
        if rc["type"] == "aws_s3_bucket_versioning" and isinstance(rc["change"].get("after"), dict):
            rc["change"]["after_unknown"] = {"versioning_configuration": mark}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, indent=2))
    run = iacplan("check", path, "--format", "json")
    assert run.exit_code in (0, 1), run.stderr
    assert run.report["environments"]
    for env in run.report["environments"]:
        assert (env["source_bucket"] or {}).get("versioning") != "enabled", env


def test_the_walk_covers_every_plan_with_an_environment() -> None:
    names = {p.parent.name for p in PLANS}
    assert {"after-unknown", "minor-upgrade", "downgrade", "replace", "versioning-enabled"} <= names
    assert {p.parent.name for p in VERSIONED_PLANS} >= {"minor-upgrade", "versioning-enabled"}


# --- CloudFormation templates ------------------------------------------------------------

CFN = REPO / "samples" / "cloudformation"
TEMPLATE_SAMPLES = sorted(p for p in CFN.iterdir() if (p / "head").is_dir())
VERSION_LINE = re.compile(r"^(\s*AirflowVersion:).*$", re.MULTILINE)
NEW_PARAMETERS = {
    "IacplanUnresolved": {"Type": "String"},
    "IacplanSsm": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/mwaa/version"},
}
CFN_UNRESOLVABLE: dict[str, Any] = {
    "SSM dynamic reference": "{{resolve:ssm:/mwaa/airflow-version}}",
    "parameter without default": {"Ref": "IacplanUnresolved"},
    "SSM parameter": {"Ref": "IacplanSsm"},
    "another stack's export": {"Fn::ImportValue": "shared-airflow-version"},
    # Every map entry is an outcome: one region's unresolvable entry is never read as allowed.
    "a region's map entry": {
        "Fn::FindInMap": ["IacplanRegions", {"Ref": "AWS::Region"}, "Airflow"]
    },
}
NEW_MAPPINGS = {
    "IacplanRegions": {
        "us-east-1": {"Airflow": "2.10.3"},
        "eu-west-1": {"Airflow": "{{resolve:ssm:/mwaa/airflow-version}}"},
    }
}


def unresolvable_template(path: Path, how: str) -> None:
    value = CFN_UNRESOLVABLE[how]
    text = path.read_text()
    if path.suffix == ".json":
        template = json.loads(text)
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::MWAA::Environment":
                resource["Properties"]["AirflowVersion"] = value
        template.setdefault("Parameters", {}).update(NEW_PARAMETERS)
        template.setdefault("Mappings", {}).update(NEW_MAPPINGS)
        path.write_text(json.dumps(template, indent=2))
        return
    assert VERSION_LINE.search(text), path
    text = VERSION_LINE.sub(lambda m: f"{m[1]} {json.dumps(value)}", text)
    path.write_text(_with_parameters(text))


def _with_parameters(text: str) -> str:
    block = "".join(
        f"  {name}:\n" + "".join(f"    {k}: {json.dumps(v)}\n" for k, v in spec.items())
        for name, spec in NEW_PARAMETERS.items()
    )
    if re.search(r"^Parameters:\s*$", text, re.MULTILINE):
        text = re.sub(r"^Parameters:\s*\n", lambda m: m[0] + block, text, count=1, flags=re.M)
    else:
        text += "Parameters:\n" + block
    maps = "".join(f"  {name}: {json.dumps(spec)}\n" for name, spec in NEW_MAPPINGS.items())
    if re.search(r"^Mappings:\s*$", text, re.MULTILINE):
        return re.sub(r"^Mappings:\s*\n", lambda m: m[0] + maps, text, count=1, flags=re.M)
    return text + "Mappings:\n" + maps


def readme_command(sample: Path) -> list[str]:
    match = re.search(r"^Run: iacplan (.+)$", (sample / "README.md").read_text(), re.MULTILINE)
    return shlex.split(match[1]) if match else ["check", "--base", "base", "head"]


@pytest.mark.parametrize("how", sorted(CFN_UNRESOLVABLE))
@pytest.mark.parametrize("sample", TEMPLATE_SAMPLES, ids=lambda p: p.name)
def test_an_unresolvable_template_version_is_never_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample: Path, how: str
) -> None:
    copy = tmp_path / sample.name
    shutil.copytree(sample, copy)
    for template in (copy / "head").iterdir():
        if template.suffix in (".yaml", ".yml", ".json", ".template"):
            unresolvable_template(template, how)
    monkeypatch.chdir(copy)
    run = iacplan(*readme_command(sample), "--format", "json")
    # A change set that says the version changes, with templates resolving it the same, is
    # unknown too; a dynamic reference read as text is no version at all (MWAA004).
    assert_never_allowed(run, unknown_rule=None)
    assert {"MWAA004", "MWAA008"} & set(run.rules())


YAML_TEMPLATE_SAMPLES = [
    p
    for p in TEMPLATE_SAMPLES
    if any(t.suffix in (".yaml", ".yml") for t in (p / "head").iterdir())
]


@pytest.mark.parametrize("how", sorted(CFN_UNRESOLVABLE))
@pytest.mark.parametrize("sample", YAML_TEMPLATE_SAMPLES, ids=lambda p: p.name)
def test_a_version_written_again_below_is_the_one_judged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample: Path, how: str
) -> None:
    """CloudFormation keeps a key's last value: a second, unresolvable AirflowVersion under
    the known one is what deploys, so the known first one must never make it allowed."""
    copy = tmp_path / sample.name
    shutil.copytree(sample, copy)
    value = json.dumps(CFN_UNRESOLVABLE[how])
    for template in (copy / "head").iterdir():
        if template.suffix in (".yaml", ".yml"):
            text = VERSION_LINE.sub(lambda m: f"{m[0]}\n{m[1]} {value}", template.read_text())
            template.write_text(_with_parameters(text))
    monkeypatch.chdir(copy)
    run = iacplan(*readme_command(sample), "--format", "json")
    assert_never_allowed(run, unknown_rule=None)
    assert {"MWAA004", "MWAA008"} & set(run.rules())
    assert all(
        any("AirflowVersion is written again" in n for n in env["notes"])
        for env in run.report["environments"]
        if env["kind"] == "cloudformation"
    )


NAMES = {
    "stack name": '!Sub "${AWS::StackName}-airflow"',
    "join of pseudo parameters": '!Join ["-", [!Ref AWS::StackName, !Ref AWS::Region]]',
    "parameter without value": "!Ref IacplanUnresolved",
}
TEMPLATE_PAIRS = [
    p for p in TEMPLATE_SAMPLES if (p / "base").is_dir() and not (p / "changeset.json").exists()
]
ENVIRONMENT_NAME = re.compile(r"(Type: AWS::MWAA::Environment\n(?:.*\n)*?\s+Name:).*")


@pytest.mark.parametrize("how", sorted(NAMES))
@pytest.mark.parametrize("sample", TEMPLATE_PAIRS, ids=lambda p: p.name)
def test_a_name_that_cannot_be_evaluated_never_hides_a_replacement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample: Path, how: str
) -> None:
    """A new name destroys the environment: with head's name unknown and written otherwise
    than the base's, nothing is unchanged or allowed."""
    copy = tmp_path / sample.name
    shutil.copytree(sample, copy)
    changed = 0
    for template in (copy / "head").iterdir():
        if template.suffix in (".yaml", ".yml"):
            text, count = ENVIRONMENT_NAME.subn(rf"\1 {NAMES[how]}", template.read_text())
            template.write_text(_with_parameters(text))
            changed += count
        elif template.suffix == ".json":
            doc = json.loads(template.read_text())
            for resource in doc["Resources"].values():
                if resource["Type"] == "AWS::MWAA::Environment":
                    resource["Properties"]["Name"] = {"Fn::Sub": "${AWS::StackName}-airflow"}
                    changed += 1
            template.write_text(json.dumps(doc, indent=2))
    assert changed, "no environment name was rewritten"
    monkeypatch.chdir(copy)
    run = iacplan(*readme_command(sample), "--format", "json")
    assert_never_allowed(run, unknown_rule="MWAA007")
    for env in run.report["environments"]:
        assert any(
            f["rule"] == "MWAA007" and f["environment"] == env["id"] for f in run.report["findings"]
        ), env


# --- change sets -------------------------------------------------------------------------

CHANGESETS = sorted(CFN.glob("*/changeset.json"))


def _context_value(value: object) -> Any:
    def change(resource: dict[str, Any]) -> None:
        context = json.loads(resource["AfterContext"])
        context["Properties"]["AirflowVersion"] = value
        resource["AfterContext"] = json.dumps(context)
        for detail in resource.get("Details", []):
            detail["Target"].pop("AfterValue", None)

    return change


def _no_values(resource: dict[str, Any]) -> None:
    resource.pop("AfterContext", None)
    for detail in resource.get("Details", []):
        detail["Target"].pop("AfterValue", None)


CHANGESET_UNRESOLVABLE = {
    "dynamic reference": _context_value("{{resolve:ssm:/mwaa/airflow-version}}"),
    "a value that is no string": _context_value({"Ref": "AirflowVersion"}),
    "no values": _no_values,
}


@pytest.mark.parametrize("how", sorted(CHANGESET_UNRESOLVABLE))
@pytest.mark.parametrize("sample", CHANGESETS, ids=lambda p: p.parent.name)
def test_an_unresolvable_change_set_version_is_never_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample: Path, how: str
) -> None:
    copy = tmp_path / sample.parent.name
    shutil.copytree(sample.parent, copy)
    changeset = json.loads(sample.read_text())
    for change in changeset["Changes"]:
        resource = change["ResourceChange"]
        if (
            resource["ResourceType"] == "AWS::MWAA::Environment"
            and resource["Action"] != "Remove"
            and ("AfterContext" in resource or how == "no values")
        ):
            CHANGESET_UNRESOLVABLE[how](resource)
    (copy / "changeset.json").write_text(json.dumps(changeset, indent=2))
    if (copy / "head").is_dir():  # the proposed template fills in what the change set lacks
        unresolvable_template(copy / "head" / "mwaa.yaml", "parameter without default")
    monkeypatch.chdir(copy)
    run = iacplan(*readme_command(sample.parent), "--format", "json")
    assert_never_allowed(run, unknown_rule=None)


# --- --base-ref with a path git ignores --------------------------------------------------


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.mark.parametrize(
    "sample",
    [*sorted(p for p in SAMPLES.iterdir() if p.is_dir()), *TEMPLATE_SAMPLES],
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
@pytest.mark.parametrize("inside", [False, True], ids=["the-path", "below-the-path"])
def test_a_path_git_ignores_is_never_compared_as_added(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample: Path, inside: bool
) -> None:
    """Build output (cdk.out, a generated tree) is at no revision: every environment in it
    would be 'added, allowed' whatever it does. Refused, whether it is the path checked or
    only below it."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    repo = tmp_path / "repo"
    (repo / "deploy").mkdir(parents=True)
    (repo / "deploy" / "README.md").write_text("generated definitions land in out/\n")
    (repo / ".gitignore").write_text("out/\n")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    shutil.copytree(sample / "head", repo / "deploy" / "out")
    monkeypatch.chdir(repo)
    checked = "deploy" if inside else "deploy/out"
    run = iacplan("check", "--base-ref", "HEAD", checked, "--format", "json")
    assert run.exit_code == 2, run.stdout
    assert "git ignores it (.gitignore:1: out/)" in run.stderr


# --- var and parameters files kept beside the configuration ------------------------------

VAR_FILES = FIXTURES / "var-files"
STAGE_FILES = [
    ("terraform", "--var-file", "env/prod.tfvars"),
    ("cloudformation", "--parameters-file", "params/prod.json"),
]


@pytest.mark.parametrize(("kind", "option", "file"), STAGE_FILES)
def test_a_version_lowered_in_the_heads_var_file_is_rejected(
    monkeypatch: pytest.MonkeyPatch, kind: str, option: str, file: str
) -> None:
    """The PR changes only env/prod.tfvars (params/prod.json): read on both sides, the head's
    file made the downgrade "unchanged"."""
    monkeypatch.chdir(VAR_FILES)
    head_file = f"{kind}/head/{file}"
    run = iacplan(
        "check", "--base", f"{kind}/base", f"{kind}/head", option, head_file, "--format", "json"
    )
    assert run.exit_code == 1, run.stderr
    [env] = run.report["environments"]
    assert (env["base_version"], env["head_version"], env["change"], env["verdict"]) == (
        "2.10.3",
        "2.9.2",
        "downgrade",
        "rejected",
    )
    assert "MWAA001" in run.rules()
    assert (
        f"iacplan: {option} {head_file}: the head reads it, the base reads {kind}/base/{file}\n"
        in run.stderr
    )


# --- Terraform constructs of real repositories (issue 16) --------------------------------
# Each class in several shapes, base and head written as a PR would change them.


def _env(name: str, version: str = '"2.10.3"', extra: str = "") -> str:
    return (
        'resource "aws_mwaa_environment" "main" {\n'
        f"  name            = {name}\n"
        f"  airflow_version = {version}\n"
        f"{extra}"
        "}\n"
    )


def _pair(tmp_path: Path, base: dict[str, str], head: dict[str, str], *options: str) -> Run:
    write_tree(tmp_path / "base", base)
    write_tree(tmp_path / "head", head)
    return iacplan(
        "check", "--base", tmp_path / "base", tmp_path / "head", "--format", "json", *options
    )


SSM = 'data "aws_ssm_parameter" "n" {\n  name = "/mwaa/name"\n}\n'
NO_VALUE = 'variable "project" {}\n'
NAME_CHANGES = {
    "workspace": ({}, '"orders-${terraform.workspace}"', '"orders-${terraform.workspace}-v2"'),
    "data source": (
        {"d.tf": SSM},
        "data.aws_ssm_parameter.n.value",
        '"${data.aws_ssm_parameter.n.value}-x"',
    ),
    "variable without value": ({"v.tf": NO_VALUE}, "var.project", '"${var.project}-prod"'),
    "known to unknown": ({"v.tf": NO_VALUE}, '"orders-prod"', '"${var.project}-prod"'),
    "over several lines": (
        {"d.tf": SSM},
        'format(\n    "%s-a",\n    data.aws_ssm_parameter.n.value,\n  )',
        'format(\n    "%s-b",\n    data.aws_ssm_parameter.n.value,\n  )',
    ),
}


@pytest.mark.parametrize("how", sorted(NAME_CHANGES))
def test_a_name_that_cannot_be_evaluated_and_changes_is_never_unchanged(
    tmp_path: Path, how: str
) -> None:
    extra, old, new = NAME_CHANGES[how]
    run = _pair(tmp_path, {**extra, "main.tf": _env(old)}, {**extra, "main.tf": _env(new)})
    assert_never_allowed(run, "MWAA007")
    (message,) = [f["message"] for f in run.report["findings"] if "replaced" in f["message"]]
    assert f"{(tmp_path / 'base').as_posix()}/main.tf:2" in message
    assert f"{(tmp_path / 'head').as_posix()}/main.tf:2" in message


def test_a_name_through_a_local_or_a_module_argument_that_changes_is_never_unchanged(
    tmp_path: Path,
) -> None:
    local = NO_VALUE + 'locals {\n  name = "${var.project}-%s"\n}\n' + _env("local.name")
    run = _pair(tmp_path / "local", {"main.tf": local % "a"}, {"main.tf": local % "b"})
    assert_never_allowed(run, "MWAA007")
    module = NO_VALUE + 'module "m" {\n  source = "./m"\n  name   = "${var.project}-%s"\n}\n'
    inner = {"m/main.tf": 'variable "name" {}\n' + _env("var.name")}
    run = _pair(
        tmp_path / "module",
        {"main.tf": module % "a", **inner},
        {"main.tf": module % "b", **inner},
    )
    assert_never_allowed(run, "MWAA007")


def test_a_name_from_a_data_source_configured_otherwise_is_never_unchanged(
    tmp_path: Path,
) -> None:
    def side(parameter: str) -> dict[str, str]:
        data = f'data "aws_ssm_parameter" "n" {{\n  name = "{parameter}"\n}}\n'
        return {"main.tf": data + _env("data.aws_ssm_parameter.n.value")}

    assert_never_allowed(_pair(tmp_path, side("/mwaa/prod"), side("/mwaa/analytics")), "MWAA007")


def test_the_same_unresolvable_name_on_both_sides_is_no_replacement(tmp_path: Path) -> None:
    files = {"v.tf": NO_VALUE, "main.tf": _env('"${var.project}-prod"')}
    run = _pair(tmp_path, files, files, "--all")
    assert run.env("aws_mwaa_environment.main")["verdict"] == "unchanged"
    assert run.report["findings"] == []


EXISTENCE = {
    "module output": (
        'module "flags" {\n  source = "app.terraform.io/acme/flags/aws"\n}\n',
        "module.flags.mwaa_enabled ? 1 : 0",
    ),
    "data source": (
        'data "aws_ssm_parameter" "on" {\n  name = "/mwaa/enabled"\n}\n',
        'data.aws_ssm_parameter.on.value == "true" ? 1 : 0',
    ),
    "variable without value": ('variable "enabled" {\n  type = bool\n}\n', "var.enabled ? 1 : 0"),
}


@pytest.mark.parametrize("how", sorted(EXISTENCE))
def test_unresolved_existence_never_hides_a_downgrade(tmp_path: Path, how: str) -> None:
    declaration, count = EXISTENCE[how]

    def side(version: str) -> dict[str, str]:
        return {"main.tf": declaration + _env('"acme"', version, f"  count = {count}\n")}

    run = _pair(tmp_path, side('"2.10.3"'), side('"2.9.2"'))
    env = run.env("aws_mwaa_environment.main[0]")
    assert env["verdict"] == "rejected"
    (downgrade,) = [f["message"] for f in run.report["findings"] if f["rule"] == "MWAA001"]
    assert downgrade.startswith("if the environment exists")
    assert any("whether the environment exists" in f["message"] for f in run.report["findings"])


def test_unresolved_existence_of_a_module_instance_never_hides_a_major_jump(
    tmp_path: Path,
) -> None:
    inner = {"m/main.tf": 'variable "v" {}\n' + _env('"acme"', "var.v")}
    call = 'variable "n" {}\nmodule "m" {\n  source = "./m"\n  count  = var.n\n  v = "%s"\n}\n'
    run = _pair(
        tmp_path, {"main.tf": call % "2.10.3", **inner}, {"main.tf": call % "3.0.6", **inner}
    )
    assert run.env("module.m[0].aws_mwaa_environment.main")["verdict"] == "rejected"
    assert "MWAA002" in run.rules()


REMOTE_SOURCES = [
    "git::https://github.com/acme/platform.git//modules/mwaa?ref=v3",
    "git@github.com:acme/data-platform.git//orchestration?ref=v1.2.0",
    "app.terraform.io/acme/orchestration/aws",
    "github.com/acme/terraform-aws-scheduler",
]


@pytest.mark.parametrize("source", REMOTE_SOURCES)
@pytest.mark.parametrize("argument", ["airflow_version", "mwaa_airflow_version"])
def test_a_remote_modules_known_version_argument_is_never_left_unjudged(
    tmp_path: Path, source: str, argument: str
) -> None:
    call = f'module "scheduler" {{\n  source = "{source}"\n  {argument} = "%s"\n}}\n'
    run = _pair(tmp_path, {"main.tf": call % "2.9.2"}, {"main.tf": call % "2.8.1"})
    assert run.env("module.scheduler")["verdict"] == "rejected"
    assert "MWAA001" in run.rules()


TERRAGRUNT_SOURCES = {
    "relative": "../../../modules/mwaa",
    "double slash": "../../../modules//mwaa",
    "parent dir": "${get_parent_terragrunt_dir()}/../modules//mwaa",
    "this dir": "${get_terragrunt_dir()}/../../../modules/mwaa",
    "this repository by git": "git::git@github.com:acme/infra.git//modules/mwaa?ref=v2.1.0",
    "through a local": "${local.modules}/mwaa",
}
LOCALS = 'locals {\n  modules = "${get_terragrunt_dir()}/../../../modules"\n}\n'


@pytest.mark.parametrize("how", sorted(TERRAGRUNT_SOURCES))
def test_a_module_terragrunt_feeds_is_never_judged_on_its_defaults(
    tmp_path: Path, how: str
) -> None:
    module = (
        'provider "aws" {\n  region = "eu-west-1"\n}\n'
        'variable "airflow_version" {\n  default = "2.10.3"\n}\n'
        + _env('"acme"', "var.airflow_version")
    )

    def side(version: str) -> dict[str, str]:
        grunt = (
            'include "root" {\n  path = find_in_parent_folders("root.hcl")\n}\n'
            f'terraform {{\n  source = "{TERRAGRUNT_SOURCES[how]}"\n}}\n'
            f'inputs = {{\n  airflow_version = "{version}"\n}}\n'
            + (LOCALS if "local." in TERRAGRUNT_SOURCES[how] else "")
        )
        return {
            "modules/mwaa/main.tf": module,
            "live/root.hcl": "",
            "live/prod/mwaa/terragrunt.hcl": grunt,
        }

    run = _pair(tmp_path, side("2.10.3"), side("3.0.6"))
    # The unit's inputs are read (a local source's module evaluated with them, a remote one's
    # version input judged): the major jump is rejected; the module's default never decides.
    assert_never_allowed(run, None)
    assert "MWAA002" in run.rules()
    for env in run.report["environments"]:
        assert env["head_version"] in (None, "3.0.6"), env


def test_the_same_unresolvable_version_on_both_sides_stays_unverified(tmp_path: Path) -> None:
    files = {"main.tf": NO_VALUE + _env('"acme"', '"2.${var.project}.3"')}
    assert_never_allowed(_pair(tmp_path, files, files, "--all"))
    # Without --all the same files are untouched: not evaluated, counted, and nothing allowed.
    run = _pair(tmp_path, files, files)
    assert (run.report["environments"], run.report["summary"]["untouched"]) == ([], 1)


def test_an_empty_version_is_never_a_pass_against_a_known_one(tmp_path: Path) -> None:
    run = _pair(tmp_path, {"main.tf": _env('"acme"')}, {"main.tf": _env('"acme"', '""')})
    assert_never_allowed(run)


BUCKET_NAMES = {
    "variable without value": ('variable "suffix" {}\n', '"acme-dags-${var.suffix}"'),
    "random_id": (
        'resource "random_id" "s" {\n  byte_length = 4\n}\n',
        '"acme-dags-${random_id.s.hex}"',
    ),
    "random_string": (
        'resource "random_string" "s" {\n  length = 6\n}\n',
        'lower("acme-dags-${random_string.s.result}")',
    ),
    "module output": (
        'module "naming" {\n  source = "app.terraform.io/acme/naming/aws"\n}\n',
        "module.naming.bucket_name",
    ),
}


@pytest.mark.parametrize("how", sorted(BUCKET_NAMES))
def test_suspended_versioning_of_a_bucket_linked_by_reference_is_reported(
    tmp_path: Path, how: str
) -> None:
    declaration, name = BUCKET_NAMES[how]
    buckets = (
        f'resource "aws_s3_bucket" "dags" {{\n  bucket = {name}\n}}\n'
        'resource "aws_s3_bucket_versioning" "dags" {\n  bucket = aws_s3_bucket.dags.id\n'
        '  versioning_configuration {\n    status = "Suspended"\n  }\n}\n'
        'resource "aws_s3_bucket" "logs" {\n  bucket = "acme-logs"\n}\n'
        'resource "aws_s3_bucket_versioning" "logs" {\n  bucket = aws_s3_bucket.logs.id\n'
        '  versioning_configuration {\n    status = "Enabled"\n  }\n}\n'
    )
    arn = "  source_bucket_arn = aws_s3_bucket.dags.arn\n"

    def side(version: str) -> dict[str, str]:
        return {"main.tf": declaration + buckets + _env('"acme"', version, arn)}

    run = _pair(tmp_path, side('"2.9.2"'), side('"2.10.3"'))
    assert run.rules() == ["MWAA005"]


OVERRIDES = {
    "variable default": ("a_override.tf", 'variable "v" {\n  default = "%s"\n}\n'),
    "resource argument": (
        "override.tf",
        'resource "aws_mwaa_environment" "main" {\n  airflow_version = "%s"\n}\n',
    ),
    "local": ("z_override.tf", 'locals {\n  v = "%s"\n}\n'),
}


@pytest.mark.parametrize("how", sorted(OVERRIDES))
def test_a_downgrade_in_an_override_file_is_never_allowed(tmp_path: Path, how: str) -> None:
    name, text = OVERRIDES[how]
    main = 'variable "v" {\n  default = "2.10.3"\n}\nlocals {\n  v = var.v\n}\n' + _env(
        '"acme"', "local.v"
    )
    run = _pair(tmp_path, {"main.tf": main}, {"main.tf": main, name: text % "2.9.2"})
    assert run.env("aws_mwaa_environment.main")["verdict"] == "rejected"
    assert "MWAA001" in run.rules()


# --- Terragrunt --------------------------------------------------------------------------

TERRAGRUNT_SAMPLES = sorted(p for p in (REPO / "samples" / "terragrunt").iterdir() if p.is_dir())
# The version as a unit's configuration sets it (an env.hcl local, a unit input): each form
# below is what Terragrunt knows only when it runs.
TERRAGRUNT_UNRESOLVABLE = {
    "dependency output": "dependency.versions.outputs.airflow",
    "get_env without default": 'get_env("IACPLAN_NEVER_SET_VARIABLE")',
    "run_cmd": 'run_cmd("cat", "VERSION")',
    "sops_decrypt_file": 'yamldecode(sops_decrypt_file("secrets.enc.yaml")).version',
    "aws account": '"2.${get_aws_account_id()}.3"',
    "unsupported function": 'templatefile("version.tpl", {})',
}
TERRAGRUNT_VERSION_LINE = re.compile(r"^(\s*airflow_version\s*=).*$", re.MULTILINE)


def make_terragrunt_unresolvable(tree: Path, expression: str) -> None:
    """The version made unresolvable where it is set: in the units' inputs for a dependency
    (declared in the unit), else in every file that sets it (env.hcl, units)."""
    pattern = "terragrunt.hcl" if expression.startswith("dependency.") else "*.hcl"
    for path in tree.rglob(pattern):
        text = path.read_text()
        if TERRAGRUNT_VERSION_LINE.search(text):
            path.write_text(TERRAGRUNT_VERSION_LINE.sub(rf"\1 {expression}", text))
    for unit in tree.rglob("terragrunt.hcl"):
        unit.write_text(
            unit.read_text() + 'dependency "versions" {\n  config_path = "../versions"\n}\n'
        )


@pytest.mark.parametrize("how", sorted(TERRAGRUNT_UNRESOLVABLE))
@pytest.mark.parametrize("sample", TERRAGRUNT_SAMPLES, ids=lambda p: p.name)
@pytest.mark.parametrize("side", ["head", "base"])
def test_an_unresolvable_terragrunt_version_is_never_allowed(
    tmp_path: Path, sample: Path, how: str, side: str
) -> None:
    shutil.copytree(sample, tmp_path / "sample")
    make_terragrunt_unresolvable(tmp_path / "sample" / side, TERRAGRUNT_UNRESOLVABLE[how])
    run = iacplan(
        "check", "--base", tmp_path / "sample/base", tmp_path / "sample/head", "--format", "json"
    )
    assert_never_allowed(run)
    for env in run.report["environments"]:
        assert env[f"{side}_version"] is None, env
