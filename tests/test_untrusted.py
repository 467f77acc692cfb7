"""Untrusted pull requests: nothing outside the repository is read, nothing secret is echoed.

A canary secret sits in the environment of the process and in a file outside the repository;
a hostile tree reaches for it every way the evaluator allows. No output format, no error line,
no stderr may hold it, and no environment that reached for it is `allowed`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FAKE_TOKEN
from forge import GITHUB_PR, GITHUB_REPO, Forge
from helpers import iacplan, mwaa, write_tree
from iacplan import safe
from iacplan.inputs import confine
from iacplan.inputs.terraform import view
from iacplan.render import FORMATS

FILE_CANARY = "zebra-canary-outside-0451"  # plain text: only confinement keeps it out
ENV_CANARY = "zebra-canary-environ-9137"
SCRIPT = Path(sys.executable).parent / "iacplan"


def hostile(tmp_path: Path) -> Path:
    """A repository whose root reaches for the canaries; returns the repository."""
    outside = tmp_path / "outside"
    write_tree(
        outside,
        {
            "secret.txt": FILE_CANARY,
            "secret.tpl": FILE_CANARY + "${x}",
            "mod/main.tf": mwaa(f'"{FILE_CANARY}"', "outside"),
        },
    )
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    up = "../../outside/secret.txt"  # from repo/infra, the root
    versions = {
        "dotdot": f'file("{up}")',
        "module_dotdot": f'file("${{path.module}}/{up}")',
        "absolute": f'file("{outside / "secret.txt"}")',
        "proc": 'file("/proc/self/environ")',
        "proc_up": 'file("${path.module}/../../../../../../../../../../proc/self/environ")',
        "proc_trimmed": 'trimspace(file("../../../../../../../../../../proc/self/environ"))',
        "link": 'file("version.txt")',
        "linked_dir": 'file("shared/secret.txt")',
        "variable": "file(var.path)",
        "local": "local.read",
        "template_outside": 'templatefile("../../outside/secret.tpl", { x = "" })',
        "template_inside": 'templatefile("inside.tpl", {})',
        "fileset": 'join(",", fileset("../../outside", "*.txt"))',
        "base64": 'base64decode(filebase64("version.txt"))',
    }
    main = (
        f'variable "path" {{ default = "{up}" }}\n'
        f'locals {{ read = file("{up}") }}\n'
        + "".join(mwaa(expr, name) for name, expr in versions.items())
        + mwaa('file("VERSION")', "legitimate")
    )
    write_tree(
        repo,
        {
            "infra/main.tf": main,
            "infra/VERSION": "2.10.3",
            "infra/inside.tpl": '${file("../../outside/secret.txt")}',
            # JSON syntax, the name spelled with an escape too
            "infra/more.tf.json": '{"resource": {"aws_mwaa_environment": {'
            f'"json": {{"name": "j", "airflow_version": "${{file(\\"{up}\\")}}"}}, '
            f'"escaped": {{"name": "e", "airflow_version": "${{\\u0066ile(\\"{up}\\")}}"}}'
            "}}}",
        },
    )
    (repo / "infra" / "version.txt").symlink_to(outside / "secret.txt")
    (repo / "infra" / "shared").symlink_to(outside, target_is_directory=True)
    return repo


def only(repo: Path, main: str) -> None:
    """The hostile repository with `main` as its root's only Terraform file."""
    (repo / "infra" / "more.tf.json").unlink()
    write_tree(repo, {"infra/main.tf": main})


def run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed command, in the repository, with the canary in its environment."""
    env = {**os.environ, "IACPLAN_TEST_CANARY": ENV_CANARY, "IACPLAN_TODAY": "2025-06-01"}
    return subprocess.run(
        [str(SCRIPT), *args], cwd=repo, capture_output=True, text=True, env=env, check=False
    )


def assert_clean(*texts: str) -> None:
    for text in texts:
        assert FILE_CANARY not in text
        assert ENV_CANARY not in text
        assert "zebra-canary" not in text


@pytest.mark.parametrize("format_name", FORMATS)
def test_no_format_and_no_output_holds_a_canary(tmp_path: Path, format_name: str) -> None:
    repo = hostile(tmp_path)
    outputs = [f"--output={name}={tmp_path / name}.out" for name in FORMATS]
    done = run(repo, "check", "infra", "--format", format_name, *outputs)
    assert done.returncode in (0, 1), done.stderr
    written = [(tmp_path / f"{name}.out").read_text(encoding="utf-8") for name in FORMATS]
    assert_clean(done.stdout, done.stderr, *written)
    report = json.loads((tmp_path / "json.out").read_text(encoding="utf-8"))
    verdicts = {e["id"].removeprefix("aws_mwaa_environment."): e for e in report["environments"]}
    legitimate = verdicts.pop("legitimate")
    assert (legitimate["head_version"], legitimate["verdict"]) == ("2.10.3", "allowed")
    assert len(verdicts) == 16
    for name, entry in verdicts.items():
        assert entry["verdict"] != "allowed", name
        assert entry["head_state"] == "unknown", name


def test_an_unknown_value_names_the_call_and_why(tmp_path: Path) -> None:
    repo = hostile(tmp_path)
    done = run(repo, "check", "infra", "--format", "json")
    report = json.loads(done.stdout)
    messages = {f["environment"]: f["message"] for f in report["findings"]}
    assert '`file("version.txt")`' in messages["aws_mwaa_environment.link"]
    assert "through a symbolic link" in messages["aws_mwaa_environment.link"]
    assert "outside the repository" in messages["aws_mwaa_environment.dotdot"]
    assert "not a literal string" in messages["aws_mwaa_environment.variable"]
    assert "fileset() is never evaluated" in messages["aws_mwaa_environment.fileset"]


def test_the_evaluator_itself_reads_only_the_view(tmp_path: Path) -> None:
    """tfparse on the confined copy of the hostile root: the canary is nowhere in its answer;
    on the tree itself (what the copy is for) it is, as long as tfparse follows paths."""
    import tfparse

    repo = hostile(tmp_path)
    root = repo / "infra"
    os.environ["IACPLAN_TEST_CANARY"] = ENV_CANARY  # not in /proc/self/environ: set after exec
    with confine.within(repo):
        scratch = tmp_path / "view"
        scratch.mkdir()
        copy = view.build(scratch, root, [root], {}, [], {})
        try:
            result = tfparse.load_from_path(str(copy.root), stop_on_hcl_error=True)
        finally:
            view.finish()
    assert_clean(json.dumps(result))
    for path in scratch.rglob("*"):
        assert not path.is_symlink()
        if path.is_file():
            assert_clean(path.read_text(encoding="utf-8"))
    unconfined = json.dumps(tfparse.load_from_path(str(root), stop_on_hcl_error=True))
    if FILE_CANARY not in unconfined:
        pytest.skip("this tfparse confines file() itself")


REFUSED = "not read: it leads outside the repository"


@pytest.mark.parametrize(
    ("files", "link", "target", "message"),
    [
        # a .tf file that is a link out of the repository
        ({}, "infra/main.tf", "outside/secret.tf", REFUSED),
        # an auto-loaded var file
        (
            {"infra/main.tf": mwaa("var.v") + 'variable "v" {}\n'},
            "infra/terraform.tfvars",
            "outside/secret.txt",
            REFUSED,
        ),
        # a CloudFormation template: not read, so there is none
        ({}, "infra/template.yaml", "outside/secret.yaml", "no Terraform files"),
        # the default config
        ({"infra/main.tf": mwaa('"2.10.3"')}, ".iacplan.yaml", "outside/secret.yaml", REFUSED),
    ],
)
def test_a_file_that_leads_out_is_refused_without_its_content(
    tmp_path: Path, files: dict[str, str], link: str, target: str, message: str
) -> None:
    write_tree(
        tmp_path / "outside",
        {
            "secret.tf": f'resource "aws_mwaa_environment" "x" {{\n  {FILE_CANARY} = 1\n}}\n',
            "secret.txt": f"{FILE_CANARY}\nAKIAIOSFODNN7EXAMPLE\n",
            "secret.yaml": f"Resources:\n  {FILE_CANARY}: [\n",
        },
    )
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write_tree(repo, files)
    (repo / link).parent.mkdir(parents=True, exist_ok=True)
    (repo / link).symlink_to(tmp_path / target)
    for debug in ([], ["--debug"]):
        done = run(repo, *debug, "check", "infra", "--format", "json")
        assert done.returncode == 2, done.stdout
        assert message in done.stderr
        assert_clean(done.stdout, done.stderr)


def test_a_module_outside_the_repository_is_refused(tmp_path: Path) -> None:
    repo = hostile(tmp_path)
    only(repo, 'module "m" {\n  source = "../../outside/mod"\n}\n')
    done = run(repo, "check", "infra")
    assert done.returncode == 2
    assert (
        "infra/main.tf:2: module source" in done.stderr and "outside the repository" in done.stderr
    )
    assert_clean(done.stdout, done.stderr)


def test_a_computed_module_source_reads_nothing_outside(tmp_path: Path) -> None:
    """The evaluator follows a source from a variable (Terraform refuses one): not here."""
    repo = hostile(tmp_path)
    only(
        repo,
        'variable "m" { default = "../../outside/mod" }\n'
        'module "m" {\n  source = var.m\n}\n' + mwaa('"2.10.3"'),
    )
    done = run(repo, "check", "infra", "--format", "json")
    assert_clean(done.stdout, done.stderr)
    if done.returncode == 0:
        ids = [e["id"] for e in json.loads(done.stdout)["environments"]]
        assert ids == ["aws_mwaa_environment.main"]
    else:
        assert done.returncode == 2 and "not a literal string" in done.stderr


def test_a_manifest_entry_outside_the_repository_is_not_followed(tmp_path: Path) -> None:
    repo = hostile(tmp_path)
    manifest = {
        "Modules": [
            {"Key": "", "Source": "", "Dir": "."},
            {"Key": "m", "Source": "example/mwaa/aws", "Dir": "../../outside/mod"},
        ]
    }
    only(repo, 'module "m" {\n  source = "example/mwaa/aws"\n}\n')
    write_tree(repo, {"infra/.terraform/modules/modules.json": json.dumps(manifest)})
    done = run(repo, "check", "infra", "--format", "json")
    assert_clean(done.stdout, done.stderr)
    assert done.returncode in (0, 1), done.stderr
    for entry in json.loads(done.stdout)["environments"]:
        assert entry["verdict"] != "allowed"


def test_the_base_revision_is_confined_too(tmp_path: Path) -> None:
    """--base-ref: the revision's exported tree holds the hostile link, the head is clean."""
    repo = hostile(tmp_path)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
    }
    env["GIT_COMMITTER_EMAIL"] = "t@t"
    (repo / ".git").rmdir()
    git = ["git", "-c", "init.defaultBranch=main", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True, env=env)
    subprocess.run([*git, "add", "-A"], check=True, env=env)
    subprocess.run([*git, "commit", "-qm", "base"], check=True, env=env)
    only(repo, mwaa('"2.10.3"', "link") + mwaa('"2.10.3"', "dotdot"))
    for format_name in FORMATS:
        done = run(repo, "check", "infra", "--base-ref", "HEAD", "--format", format_name)
        assert done.returncode in (0, 1), done.stderr
        assert_clean(done.stdout, done.stderr)
    report = json.loads(
        run(repo, "check", "infra", "--base-ref", "HEAD", "--format", "json").stdout
    )
    for entry in report["environments"]:
        if entry["id"] in ("aws_mwaa_environment.link", "aws_mwaa_environment.dotdot"):
            assert entry["base_state"] == "unknown" and entry["verdict"] != "allowed"


def test_requirements_and_parameters_files_that_lead_out_are_refused(tmp_path: Path) -> None:
    repo = hostile(tmp_path)
    only(repo, mwaa('"2.10.3"', extra='  requirements_s3_path = "requirements.txt"\n'))
    (repo / "infra" / "requirements.txt").symlink_to(tmp_path / "outside" / "secret.txt")
    done = run(repo, "check", "infra", "--format", "json")  # found by its S3 key: not read
    assert done.returncode in (0, 1), done.stderr
    assert json.loads(done.stdout)["environments"][0]["verdict"] == "allowed"  # no upgrade
    assert_clean(done.stdout, done.stderr)
    # named on the command line, but inside the repository: checked like the others
    done = run(repo, "check", "infra", "--requirements", "infra/requirements.txt")
    assert done.returncode == 2 and "not read" in done.stderr
    assert_clean(done.stdout, done.stderr)


def test_a_file_named_on_the_command_line_outside_the_repository_is_read(tmp_path: Path) -> None:
    repo = hostile(tmp_path)
    only(repo, mwaa("var.v") + 'variable "v" {}\n')
    var_file = write_tree(tmp_path / "ci", {"prod.tfvars": 'v = "2.10.3"\n'}) / "prod.tfvars"
    done = run(repo, "check", "infra", "--var-file", str(var_file), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["environments"][0]["head_version"] == "2.10.3"


SECRETS = [
    FAKE_TOKEN,
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
    "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "HOME=/root\0AWS_SECRET_ACCESS_KEY=abc\0PATH=/bin",
]


@pytest.mark.parametrize("secret", SECRETS)
def test_a_secret_from_the_environment_is_never_shown(tmp_path: Path, secret: str) -> None:
    """TF_VAR_* are read as Terraform reads them; what they hold is published only as far as
    it looks safe: a version like a version, a name like a name, never a secret shape."""
    if "\0" in secret:
        pytest.skip("an environment value cannot hold NUL")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    extra = '  tags = { team = var.v }\n  source_bucket_arn = "arn:aws:s3:::${var.v}"\n'
    write_tree(repo, {"infra/main.tf": 'variable "v" {}\n' + mwaa("var.v", extra=extra)})
    env_name = "name"
    outputs = [f"--output={name}={tmp_path / name}.out" for name in FORMATS]
    done = subprocess.run(
        [str(SCRIPT), "check", "infra", *outputs],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "TF_VAR_v": secret, "IACPLAN_TODAY": "2025-06-01"},
        check=False,
    )
    written = [(tmp_path / f"{name}.out").read_text(encoding="utf-8") for name in FORMATS]
    for text in (done.stdout, done.stderr, *written):
        assert secret not in text, env_name
    report = json.loads((tmp_path / "json.out").read_text(encoding="utf-8"))
    assert report["environments"][0]["verdict"] != "allowed"


@pytest.mark.parametrize("secret", SECRETS)
def test_redact_removes_every_secret_shape(secret: str) -> None:
    shown = safe.redact(f"before {secret} after")
    for part in secret.split("\0"):
        if "=" in part:
            assert part.split("=", 1)[1] not in shown
        else:
            assert part not in shown
    assert shown.startswith("before ")


def test_values_are_shown_only_when_they_look_safe() -> None:
    assert safe.shown("2.10.3", "main.tf:3", version=True) == "2.10.3"
    assert safe.shown("2.10.3\nPATH=/bin", "main.tf:3", version=True) == (
        "<value of 16 characters, set at main.tf:3>"
    )
    assert safe.shown("prod-airflow", "main.tf:3") == "prod-airflow"
    assert safe.shown("x" * 200, "main.tf:3") == "<value of 200 characters, set at main.tf:3>"
    assert safe.shown("a\x1b[31mred", "main.tf:3") == "<value of 9 characters, set at main.tf:3>"


def test_an_error_that_quotes_a_file_is_redacted(tmp_path: Path) -> None:
    """A parser quotes what it could not read: a secret shape never reaches stderr."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    bad = 'module "m" {\n  source = "./x"\n  AKIAIOSFODNN7EXAMPLE\n}\n'
    write_tree(repo, {"infra/main.tf": mwaa('"2.10.3"') + bad})
    for debug in ([], ["--debug"]):
        done = run(repo, *debug, "check", "infra")
        assert done.returncode == 2
        assert "AKIAIOSFODNN7EXAMPLE" not in done.stderr + done.stdout


def test_the_comment_posted_never_holds_a_secret_shape(
    forge: Forge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", GITHUB_REPO)
    monkeypatch.setenv("GITHUB_API_URL", forge.url)
    monkeypatch.delenv("GITHUB_EVENT_PATH", raising=False)
    markdown = tmp_path / "plan.md"
    markdown.write_text("## plan\nkey AKIAIOSFODNN7EXAMPLE\n", encoding="utf-8")
    done = iacplan("comment", "github", "--markdown", markdown, "--pr", str(GITHUB_PR))
    assert done.exit_code == 0, done.stderr
    assert forge.bodies() and all("AKIAIOSFODNN7EXAMPLE" not in b for b in forge.bodies())


def test_the_external_data_source_is_never_run(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    marker = tmp_path / "ran"
    program = f'["sh", "-c", "touch {marker}; echo {{\\"v\\": \\"2.10.3\\"}}"]'
    external = f'data "external" "v" {{\n  program = {program}\n}}\n'
    write_tree(repo, {"infra/main.tf": external + mwaa("data.external.v.result.v")})
    done = run(repo, "check", "infra", "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    assert not marker.exists()
    entry = json.loads(done.stdout)["environments"][0]
    assert (entry["head_state"], entry["verdict"]) == ("unknown", "unverified")
