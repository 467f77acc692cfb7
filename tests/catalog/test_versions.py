"""Version strings and the MWAA catalog."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from helpers import REPO, SAMPLES, iacplan
from iacplan.catalog.versions import load_catalog, parse_version
from iacplan.errors import InputError
from iacplan.schemas import load_schema

BUNDLED = Path(__file__).resolve().parents[2] / "iacplan" / "data" / "mwaa_versions.json"
TODAY = date(2026, 11, 24)


def test_bundled_catalog_is_valid_against_its_schema() -> None:
    jsonschema.validate(json.loads(BUNDLED.read_text()), load_schema("versions.schema.json"))


def test_catalog_lists_every_version_mwaa_offered() -> None:
    catalog = load_catalog()
    assert [str(r.version) for r in catalog.releases] == [
        "1.10.12", "2.0.2", "2.2.2", "2.4.3", "2.5.1", "2.6.3", "2.7.2", "2.8.1", "2.9.2",
        "2.10.1", "2.10.3", "2.11.0", "2.11.2", "3.0.6", "3.2.1", "3.3.1",
    ]  # fmt: skip
    assert catalog.release(Version("2.10.3")).python == "3.11"  # type: ignore[union-attr]
    assert catalog.release(Version("3.0.6")).python == "3.12"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("base", "head", "in_place"),
    [
        ("2.8.1", "2.10.3", True),
        ("1.10.12", "2.0.2", False),
        ("2.10.3", "3.0.6", False),
        ("2.11.0", "3.0.6", True),
        ("3.2.1", "2.11.2", True),
        ("3.2.1", "2.10.3", False),
        ("2.10.3", "2.9.2", True),
    ],
)
def test_documented_in_place_paths(base: str, head: str, in_place: bool) -> None:
    assert load_catalog().path_in_place(Version(base), Version(head)) is in_place


def test_versions_compare_as_versions_not_strings() -> None:
    old, new = parse_version("2.9.2"), parse_version("2.10.3")
    assert old is not None and new is not None and new > old


@pytest.mark.parametrize(
    "text", ["v2.10.3", "2.10", " 2.10.3", "2.10.3 ", "2.10.3.0", "02.1.0", ""]
)
def test_anything_but_an_exact_version_is_rejected(text: str) -> None:
    assert parse_version(text) is None


@given(st.tuples(*[st.integers(0, 40)] * 3), st.tuples(*[st.integers(0, 40)] * 3))
def test_ordering_agrees_with_packaging(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    va, vb = (parse_version(".".join(map(str, t))) for t in (a, b))
    assert va is not None and vb is not None
    assert (va < vb) == (Version(".".join(map(str, a))) < Version(".".join(map(str, b))))
    assert (va < vb) == (a < b)


@given(st.text(max_size=12))
def test_arbitrary_text_is_either_exact_or_rejected(text: str) -> None:
    version = parse_version(text)
    assert version is None or str(version) == text


def newer_catalog(tmp_path: Path) -> Path:
    raw = json.loads(BUNDLED.read_text())
    raw["catalog_date"] = "2027-03-01"
    raw["versions"].append(
        {"version": "3.4.0", "python": "3.12", "available": "2027-02-01", "end_of_support": None}
    )
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(raw))
    return path


def test_a_newer_catalog_from_versions_file(tmp_path: Path) -> None:
    sample = SAMPLES / "major-in-place-locked-provider"  # no replacement by the AWS provider
    head = tmp_path / "head"
    shutil.copytree(sample / "head", head)
    main = (sample / "head" / "main.tf").read_text().replace('"3.3.1"', '"3.4.0"')
    (head / "main.tf").write_text(main)
    without = iacplan("check", "--base", sample / "base", head, "--format", "json")
    assert without.exit_code == 1 and "MWAA004" in without.rules()
    catalog = newer_catalog(tmp_path)
    run = iacplan(
        "check", "--base", sample / "base", head, "--format", "json", "--versions-file", catalog
    )
    assert run.exit_code == 0 and run.rules() == ["MWAA010", "MWAA013"]
    assert run.report["catalog"]["date"] == "2027-03-01"


def test_invalid_catalog_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"catalog_date": "2027-01-01", "versions": [{"version": "v3"}]}))
    with pytest.raises(InputError, match=r"bad\.json"):
        load_catalog(bad)
    run = iacplan("check", SAMPLES / "minor-upgrade" / "head", "--versions-file", bad)
    assert run.exit_code == 2 and "bad.json" in run.stderr
    broken = tmp_path / "broken.json"
    broken.write_text('{"catalog_date": \n')
    run = iacplan("versions", "--versions-file", broken)
    assert run.exit_code == 2 and "broken.json:2" in run.stderr


def test_versions_command_lists_the_catalog() -> None:
    run = iacplan("versions")
    assert run.exit_code == 0
    assert "MWAA version catalog of 2026-10-20" in run.stdout
    line_243 = next(line for line in run.stdout.splitlines() if line.startswith("2.4.3"))
    assert "2025-12-30" in line_243 and "end of support" in line_243
    assert any(line.startswith("3.3.1") and "supported" in line for line in run.stdout.splitlines())
    assert "Amazon Linux 2023 (glibc 2.34, x86_64)" in run.stdout


# --- properties ------------------------------------------------------------------------------

CATALOG_VERSIONS = [str(r.version) for r in load_catalog().releases]
EXACT = st.one_of(
    st.sampled_from(CATALOG_VERSIONS),
    st.tuples(*[st.integers(0, 10**6)] * 3).map(lambda t: ".".join(map(str, t))),
)


@given(EXACT, EXACT)
def test_ordering_agrees_with_packaging_the_numbers_and_the_catalog(a: str, b: str) -> None:
    va, vb = parse_version(a), parse_version(b)
    assert va is not None and vb is not None and str(va) == a and str(vb) == b
    numbers = tuple(map(int, a.split("."))), tuple(map(int, b.split(".")))
    assert (va < vb) == (Version(a) < Version(b)) == (numbers[0] < numbers[1])
    assert (va == vb) == (a == b)
    if a in CATALOG_VERSIONS and b in CATALOG_VERSIONS:  # the catalog is sorted as versions
        assert (CATALOG_VERSIONS.index(a) < CATALOG_VERSIONS.index(b)) == (va < vb)


SUFFIXES = [".0", ".", "rc1", "-beta", "+local", "a1", ".post1", "*"]
_DIGITS = "０１２３４５６７８９"  # noqa: RUF001 (fullwidth digits: \d would match them)
MALFORMED = st.one_of(
    EXACT.map(lambda v: "v" + v),
    EXACT.map(lambda v: "V" + v),
    st.tuples(EXACT, st.sampled_from([" ", "\t", "\n", "\u00a0", "\ufeff"])).flatmap(
        lambda p: st.sampled_from([p[1] + p[0], p[0] + p[1]])
    ),
    st.tuples(
        EXACT, st.sampled_from([".0", ".", "rc1", "-beta", "+local", "a1", ".post1", "*"])
    ).map("".join),
    st.tuples(st.sampled_from(["=", "==", "~>", ">=", ".", "-"]), EXACT).map("".join),
    EXACT.map(lambda v: v.rsplit(".", 1)[0]),  # no patch
    EXACT.map(lambda v: v.replace(".", "_")),
    EXACT.map(lambda v: v.replace(".", ".0", 1)),  # a leading zero: 2.010.3
    EXACT.map(lambda v: "0" + v),
    EXACT.map(lambda v: v.translate(str.maketrans("0123456789", _DIGITS))).filter(
        lambda v: any(c in _DIGITS for c in v)
    ),
)


@given(MALFORMED)
def test_malformed_versions_are_rejected_never_normalised(text: str) -> None:
    assert parse_version(text) is None


@settings(max_examples=40, deadline=None)
@given(MALFORMED)
def test_a_malformed_head_version_is_reported_as_written_and_rejected(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    plan = json.loads(
        (REPO / "samples" / "terraform-plan" / "minor-upgrade" / "plan.json").read_text()
    )
    for change in plan["resource_changes"]:
        if change["type"] == "aws_mwaa_environment":
            change["change"]["after"]["airflow_version"] = text
    path = tmp_path_factory.mktemp("plan") / "plan.json"
    path.write_text(json.dumps(plan))
    run = iacplan("check", path, "--format", "json")
    assert run.exit_code == 1, run.stderr
    [env] = run.report["environments"]
    assert env["head_version"] == text and env["verdict"] == "rejected"
    assert "MWAA004" in run.rules()
