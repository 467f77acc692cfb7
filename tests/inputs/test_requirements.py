"""Local requirements.txt files: the parse (pip's own line rules), which file goes with which
environment, and --requirements."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import TreeMaker
from helpers import Run, iacplan, mwaa
from iacplan.errors import InputError
from iacplan.inputs.requirements import parse_text
from iacplan.model import ConstraintsLine, Location

URL = "https://raw.githubusercontent.com/apache/airflow/constraints-{}/constraints-{}.txt"
RIGHT = URL.format("2.10.3", "3.11")
STALE = URL.format("2.9.2", "3.11")
FILE = 'requirements_s3_path = "{}"\n'


def constraints(text: str) -> list[tuple[str, int, str | None, str | None]]:
    parsed, _ = parse_text(text, "r.txt")
    return [(c.target, c.location.line, c.airflow, c.file) for c in parsed.constraints]


@pytest.mark.parametrize(
    "line",
    [
        f"-c {RIGHT}",
        f"-c{RIGHT}",
        f'-c "{RIGHT}"',
        f"--constraint {RIGHT}",
        f"--constraint={RIGHT}",
        f"--constraint '{RIGHT}'",
        f'--constraint "{RIGHT}"  # MWAA 2.10.3',
        f"--index-url https://pypi.org/simple --constraint {RIGHT}",
    ],
)
def test_every_way_pip_reads_a_constraints_line(line: str) -> None:
    assert constraints(line + "\n") == [(RIGHT, 1, "2.10.3", "constraints-3.11.txt")]


def test_comments_continuations_crlf_and_bom() -> None:
    text = (
        "\ufeff# the team's requirements\r\n"
        "\r\n"
        "--constraint \\\r\n"
        f'  "{STALE}"\r\n'
        "apache-airflow[celery,amazon] \\\r\n"
        "  == 2.9.2 --hash=sha256:0123  # pinned\r\n"
        "#apache-airflow==1.10.12\r\n"
        "apache-airflow-providers-amazon==8.0.0\r\n"
        "Apache_Airflow>=2.0\r\n"
        "-r common.txt\r\n"
        "-rmore.txt\r\n"
        "--requirement=../shared/base.txt\r\n"
    )
    parsed, notes = parse_text(text, "r.txt")
    assert parsed.constraints == (
        ConstraintsLine(STALE, Location("r.txt", 3), "2.9.2", "constraints-3.11.txt"),
    )
    assert [(p.text, p.location.line) for p in parsed.airflow_pins] == [
        ("==2.9.2", 5),
        (">=2.0", 9),
    ]
    assert [(p.text, p.location.line) for p in parsed.includes] == [
        ("common.txt", 10),
        ("more.txt", 11),
        ("../shared/base.txt", 12),
    ]
    assert notes == (
        "r.txt:10: -r common.txt is not read: a constraints line or apache-airflow pin in it is "
        "not checked",
        "r.txt:11: -r more.txt is not read: a constraints line or apache-airflow pin in it is "
        "not checked",
        "r.txt:12: -r ../shared/base.txt is not read: a constraints line or apache-airflow pin "
        "in it is not checked",
    )


def test_a_continuation_on_the_last_line_still_counts() -> None:
    assert constraints(f"-c \\\n{RIGHT}\\") == [(RIGHT, 1, "2.10.3", "constraints-3.11.txt")]


@pytest.mark.parametrize(
    "target",
    [
        "/usr/local/airflow/dags/constraints.txt",
        "constraints.txt",
        "https://mirror.example.com/apache/airflow/constraints-2.10.3/constraints-3.11.txt",
        "https://raw.githubusercontent.com/apache/airflow/constraints-${AIRFLOW_VERSION}/"
        "constraints-3.11.txt",
    ],
)
def test_constraints_that_cannot_be_checked_are_noted_not_judged(target: str) -> None:
    parsed, notes = parse_text(f"-c {target}\n", "r.txt")
    assert [(c.target, c.airflow, c.file) for c in parsed.constraints] == [(target, None, None)]
    assert notes == (
        f"r.txt:1: the constraints file {target} cannot be checked here (a local path, another "
        "host or a variable): make sure it was made for the Airflow version MWAA runs",
    )


@pytest.mark.parametrize(
    ("line", "how"),
    [
        ("apache-airflow @ https://example.com/airflow.whl", "a URL"),
        ('apache-airflow==2.9.2; python_version < "3.11"', "an environment marker"),
    ],
)
def test_airflow_requirements_that_cannot_be_checked(line: str, how: str) -> None:
    parsed, notes = parse_text(line + "\n", "r.txt")
    assert parsed.airflow_pins == ()
    assert notes == (f"r.txt:1: the apache-airflow requirement has {how}: not checked",)


@pytest.mark.parametrize(
    "spec", ["apache-airflow==${AIRFLOW_VERSION}", "Apache_Airflow[celery] >= two"]
)
def test_an_airflow_requirement_that_cannot_be_read_is_noted(spec: str) -> None:
    parsed, notes = parse_text(f"{spec} --hash=sha256:0123\n", "r.txt")
    assert parsed.airflow_pins == ()
    assert notes == (f"r.txt:1: the apache-airflow requirement {spec} cannot be read: not checked",)


def test_other_projects_are_not_airflow_pins() -> None:
    text = "apache-airflow-providers-amazon==${V}\napache-airflow.whl\nboto3>=1\n"
    parsed, notes = parse_text(text, "r.txt")
    assert (parsed.airflow_pins, notes) == ((), ())


def test_lines_that_are_not_requirements_are_skipped() -> None:
    text = "-e git+https://github.com/acme/lib.git#egg=lib\n./wheels/lib.whl\n--find-links ./w\n"
    parsed, notes = parse_text(text, "r.txt")
    assert (parsed.constraints, parsed.airflow_pins, parsed.includes, notes) == ((), (), (), ())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('-c "https://example.com/c.txt\n', "r.txt:1: cannot read this requirements line"),
        ("boto3\n--constraint\n", "r.txt:2: --constraint needs a file or URL"),
    ],
)
def test_a_broken_option_line_is_an_input_error(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_text(text, "r.txt")


# --- which file goes with which environment -------------------------------------------------


def check(*args: str | Path) -> Run:
    run = iacplan("check", *args, "--format", "json")
    assert run.exit_code in (0, 1), run.stderr
    return run


def mwaa011(run: Run) -> list[tuple[str, int]]:
    return [(f["file"], f["line"]) for f in run.report["findings"] if f["rule"] == "MWAA011"]


def test_found_next_to_the_configuration_by_its_key(tree: TreeMaker) -> None:
    root = tree(
        {
            "main.tf": mwaa('"2.10.3"', extra=FILE.format("requirements/requirements.txt")),
            "requirements/requirements.txt": f"-c {STALE}\n",
            "requirements.txt": f"-c {RIGHT}\n",  # the file name alone comes second
        }
    )
    assert mwaa011(check(root)) == [(f"{root.as_posix()}/requirements/requirements.txt", 1)]


def test_the_file_name_alone_and_the_nearest_directory_first(tree: TreeMaker) -> None:
    root = tree(
        {
            "envs/prod/main.tf": 'module "m" {\n  source = "../../modules/mwaa"\n}\n',
            "modules/mwaa/main.tf": mwaa('"2.10.3"', extra=FILE.format("config/reqs.txt")),
            "modules/mwaa/reqs.txt": f"-c {STALE}\n",
            "reqs.txt": f"-c {RIGHT}\n",
        }
    )
    run = check(root)
    assert mwaa011(run) == [(f"{root.as_posix()}/modules/mwaa/reqs.txt", 1)]


def test_found_in_a_parent_up_to_the_tree_given_but_not_above(
    tree: TreeMaker, tmp_path: Path
) -> None:
    root = tree(
        {"infra/main.tf": mwaa('"2.10.3"', extra=FILE.format("requirements.txt"))}, sub="repo"
    )
    (root / "requirements.txt").write_text(f"-c {STALE}\n")
    assert mwaa011(check(root)) == [(f"{root.as_posix()}/requirements.txt", 1)]
    assert mwaa011(check(root / "infra")) == []  # above the directory given


def test_never_outside_the_tree_given(tree: TreeMaker, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "requirements.txt"
    outside.parent.mkdir()
    outside.write_text(f"-c {STALE}\n")
    root = tree({"main.tf": mwaa('"2.10.3"', extra=FILE.format("../elsewhere/requirements.txt"))})
    assert mwaa011(check(root)) == []
    os.symlink(outside, root / "requirements.txt")
    root.joinpath("main.tf").write_text(mwaa('"2.10.3"', extra=FILE.format("requirements.txt")))
    assert mwaa011(check(root)) == []


def test_nothing_is_guessed_for_an_unknown_key(tree: TreeMaker) -> None:
    root = tree(
        {
            "main.tf": 'variable "key" {}\n' + mwaa('"2.10.3"', extra=FILE.format("${var.key}")),
            "requirements.txt": f"-c {STALE}\n",
        }
    )
    assert mwaa011(check(root)) == []


def test_only_head_environments_that_install_requirements(tree: TreeMaker) -> None:
    root = tree({"main.tf": mwaa('"2.10.3"'), "requirements.txt": f"-c {STALE}\n"})
    run = check(root)
    assert mwaa011(run) == []


# --- --requirements ---------------------------------------------------------------------------


def test_one_file_for_every_environment(tree: TreeMaker, tmp_path: Path) -> None:
    root = tree(
        {
            "main.tf": mwaa('"2.10.3"', "a", FILE.format("r.txt"))
            + mwaa('"2.10.3"', "b", FILE.format("r.txt"))
            + mwaa('"2.10.3"', "c"),
            "r.txt": f"-c {RIGHT}\n",  # the file given wins over the one found
        }
    )
    given = tmp_path / "given.txt"
    given.write_text(f"-c {STALE}\n")
    run = check(root, "--requirements", given)
    assert sorted(f["environment"] for f in run.report["findings"] if f["rule"] == "MWAA011") == [
        "aws_mwaa_environment.a",
        "aws_mwaa_environment.b",
    ]
    [note] = run.env("aws_mwaa_environment.c")["notes"]
    assert note == (
        f"{given.as_posix()} (--requirements) is not checked: the environment sets no "
        "requirements file, so MWAA installs none"
    )


def test_a_file_for_one_environment(tree: TreeMaker, tmp_path: Path) -> None:
    root = tree(
        {
            "main.tf": mwaa('"2.10.3"', "a", FILE.format("r.txt"))
            + mwaa('"2.10.3"', "b", FILE.format("r.txt"))
        }
    )
    stale, right = tmp_path / "stale.txt", tmp_path / "right=1.txt"
    stale.write_text(f"-c {STALE}\n")
    right.write_text(f"-c {RIGHT}\n")
    run = check(root, "--requirements", f"aws_mwaa_environment.a={stale}", "--requirements", right)
    findings = [(f["environment"], f["file"]) for f in run.report["findings"]]
    assert findings == [("aws_mwaa_environment.a", stale.as_posix())]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("missing.txt", "missing.txt: requirements file not found"),
        ("aws_mwaa_environment.a=missing.txt", "missing.txt: requirements file not found"),
        ("aws_mwaa_environment.zz={given}", "no environment aws_mwaa_environment.zz in head"),
    ],
)
def test_bad_requirements_options_exit_2_naming_the_path(
    tree: TreeMaker, tmp_path: Path, value: str, message: str
) -> None:
    root = tree({"main.tf": mwaa('"2.10.3"', "a", FILE.format("r.txt"))})
    given = tmp_path / "given.txt"
    given.write_text("boto3\n")
    run = iacplan("check", root, "--requirements", value.format(given=given))
    assert run.exit_code == 2
    assert message in run.stderr and "Traceback" not in run.stderr


def test_a_single_file_given_twice_is_refused(tree: TreeMaker, tmp_path: Path) -> None:
    root = tree({"main.tf": mwaa('"2.10.3"', "a", FILE.format("r.txt"))})
    given = tmp_path / "given.txt"
    given.write_text("boto3\n")
    run = iacplan("check", root, "--requirements", given, "--requirements", given)
    assert run.exit_code == 2
    assert "--requirements FILE is given twice" in run.stderr


def test_one_environment_given_two_files_is_refused(tree: TreeMaker, tmp_path: Path) -> None:
    root = tree({"main.tf": mwaa('"2.10.3"', "a", FILE.format("r.txt"))})
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("boto3\n")
    second.write_text("boto3\n")
    env = "aws_mwaa_environment.a"
    run = iacplan(
        "check", root, "--requirements", f"{env}={first}", "--requirements", f"{env}={second}"
    )
    assert run.exit_code == 2
    assert f"--requirements {env}=FILE is given twice" in run.stderr


def test_a_requirements_file_that_is_not_utf8_exits_2(tree: TreeMaker) -> None:
    root = tree(
        {"main.tf": mwaa('"2.10.3"', extra=FILE.format("r.txt")), "r.txt": b"-c \xff\xfe\n"}
    )
    run = iacplan("check", root)
    assert run.exit_code == 2
    assert run.stderr.strip().endswith("r.txt:1: not UTF-8 text (byte 3)")


def test_the_requirements_file_is_never_written(tree: TreeMaker) -> None:
    text = f"-c {STALE}\r\napache-airflow==2.9.2\r\n"
    root = tree({"main.tf": mwaa('"2.10.3"', extra=FILE.format("r.txt")), "r.txt": text})
    before = (root / "r.txt").read_bytes()
    check(root, "--output", f"markdown={root.parent / 'plan.md'}")
    assert (root / "r.txt").read_bytes() == before
