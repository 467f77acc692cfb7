"""--resolve: pip's real resolver, fully offline — wheels these tests build, constraints files
they write, `--no-index --find-links` — on the head version's constraints, Python and platform."""

from __future__ import annotations

import json
import os
import socket
import stat
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from helpers import REPO, Run, all_ended, iacplan, mwaa, write_tree
from iacplan.catalog.versions import load_catalog
from iacplan.errors import InputError
from iacplan.inputs.resolve.prepare import marker_environment, pin_conflicts, prepare, read_pins
from iacplan.report import Report
from wheelhouse import sdist, wheel

HEAD, BASE = "2.10.3", "2.9.2"
# The host's Python decides markers differently from a target of another minor version.
HOST = f"{sys.version_info.major}.{sys.version_info.minor}"
OTHER = ("3.0.6", "3.12") if HOST != "3.12" else ("2.10.3", "3.11")


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Wheels, a constraints mirror, and pip reading only them; the cache in tmp_path."""
    for key in [k for k in os.environ if k.startswith("PIP_") or k.lower().endswith("_proxy")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # reports show paths relative to it
    wheels = tmp_path / "wheels"
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    monkeypatch.setenv("IACPLAN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("IACPLAN_TODAY", "2026-10-20")
    monkeypatch.delenv("IACPLAN_RESOLVE_PYTHON", raising=False)
    for version in ("1.0", "2.0"):
        wheel(wheels, "foo", version)
        wheel(wheels, "baz", version)
    wheel(wheels, "bar", "1.0", ["baz>=2"])
    wheel(wheels, "qux", "1.0", ["foo"])
    sdist(wheels, "sdonly", "1.0")
    sdist(wheels, "pinned-sdist", "1.0")
    mirror = tmp_path / "mirror"
    constraints(mirror, HEAD, "3.11", "foo==2.0\nbaz==1.0\nqux==1.0\npinned-sdist==1.0\n")
    constraints(mirror, BASE, "3.11", "foo==1.0\nbaz==1.0\nqux==1.0\n")
    return tmp_path


def constraints(mirror: Path, airflow: str, python: str, text: str) -> None:
    path = mirror / f"constraints-{airflow}" / f"constraints-{python}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# constraints for {airflow}\n{text}")


def trees(root: Path, requirements: str | None, head: str = HEAD, base: str = BASE) -> None:
    extra = '  requirements_s3_path = "dags/requirements.txt"\n'
    write_tree(root / "base", {"main.tf": mwaa(f'"{base}"', extra=extra)})
    files: dict[str, str | bytes] = {"main.tf": mwaa(f'"{head}"', extra=extra)}
    if requirements is not None:
        files["dags/requirements.txt"] = requirements
    write_tree(root / "head", files)


def check(root: Path, *options: str | Path, mirror: str | Path | None = None) -> Run:
    return iacplan(
        "check",
        "--base",
        root / "base",
        root / "head",
        "--format",
        "json",
        "--resolve",
        "--constraints-mirror",
        mirror or root / "mirror",
        *options,
    )


def resolution(run: Run) -> dict[str, Any]:
    found: dict[str, Any] = run.env("aws_mwaa_environment.main")["resolution"]
    return found


def findings(run: Run, rule: str) -> list[dict[str, Any]]:
    return [f for f in run.report["findings"] if f["rule"] == rule]


def test_a_compatible_file_resolves_and_lists_what_changes_from_the_base(world: Path) -> None:
    trees(world, "foo\nqux\n")
    run = check(world)
    assert run.exit_code == 0, run.stdout + run.stderr
    found = resolution(run)
    assert found["outcome"] == "resolves"
    assert found["packages"] == [
        {"name": "foo", "version": "2.0"},
        {"name": "qux", "version": "1.0"},
    ]
    assert found["changes"] == [{"name": "foo", "before": "1.0", "after": "2.0"}]
    assert (found["airflow"], found["python"]) == (HEAD, "3.11.9")
    assert found["platforms"][0] == "manylinux_2_34_x86_64"
    assert not findings(run, "MWAA017") and not findings(run, "MWAA018")
    section = next(
        s for s in run.env("aws_mwaa_environment.main")["plan"]["sections"]
        if s["key"] == "requirements"
    )  # fmt: skip
    assert section["items"][0].startswith("✓ pip resolves `head/dags/requirements.txt`")
    assert "foo 1.0 → 2.0" in section["items"][1]


def test_a_pin_the_constraints_exclude_is_an_error_with_its_line(world: Path) -> None:
    trees(world, "Qux==1.0\n# the team's pin, in another spelling (PEP 503 finds it)\nFOO==1.0\n")
    run = check(world)
    assert run.exit_code == 1
    [conflict] = findings(run, "MWAA017")
    assert (conflict["file"], conflict["line"]) == ("head/dags/requirements.txt", 3)
    assert "FOO==1.0 excludes foo 2.0" in conflict["message"]
    assert "constraints-2.10.3/constraints-3.11.txt" in conflict["message"]
    assert resolution(run)["outcome"] == "conflict"
    assert run.env("aws_mwaa_environment.main")["verdict"] == "rejected"


def test_the_static_check_holds_even_where_pip_is_not_run(world: Path) -> None:
    trees(world, "--extra-index-url https://pypi.example/simple\nfoo>=1,<2\n")
    run = check(world)
    [conflict] = findings(run, "MWAA017")
    assert conflict["line"] == 2
    [problem] = findings(run, "MWAA018")
    assert "--extra-index-url https://pypi.example/simple" in problem["message"]
    assert "--allow-requirements-index" in problem["message"]
    assert resolution(run)["packages"] == []


def test_a_transitive_conflict_only_the_resolver_sees(world: Path) -> None:
    trees(world, "foo\nbar\n")
    run = check(world)
    assert run.exit_code == 1
    [conflict] = findings(run, "MWAA017")
    assert conflict["line"] == 2
    assert "bar 1.0 depends on baz>=2" in conflict["message"]
    assert "the constraints pin baz==1.0" in conflict["message"]
    assert resolution(run)["conflicts"][0]["kind"] == "resolver"


def test_a_source_only_package_is_unverified_and_the_rest_still_checked(world: Path) -> None:
    trees(world, "sdonly==1.0\nfoo\nbar\n")
    run = check(world)
    [problem] = findings(run, "MWAA018")
    assert problem["line"] == 1
    assert "only a source archive" in problem["message"]
    # pip stops at the first package it cannot find; the line is left out and the rest asked
    [conflict] = findings(run, "MWAA017")
    assert "bar 1.0 depends on baz>=2" in conflict["message"]
    assert resolution(run)["problems"][0]["packages"] == ["sdonly"]


def test_source_only_alone_is_never_a_pass(world: Path) -> None:
    # pinned by the constraints, pip calls it a conflict with the pin: it is not one
    trees(world, "pinned-sdist\nfoo\n")
    run = check(world, "--fail-on", "warning")
    assert run.exit_code == 1
    assert not findings(run, "MWAA017")
    [problem] = findings(run, "MWAA018")
    assert "pinned-sdist has no wheel for MWAA's Python and platform" in problem["message"]
    found = resolution(run)
    assert found["outcome"] == "unverified"
    assert run.env("aws_mwaa_environment.main")["plan"]["checklist"][2].startswith(
        "Resolve the requirements on 2.10.3 yourself"
    )


def test_an_unreachable_mirror_is_reported_not_passed(world: Path) -> None:
    trees(world, "foo\n")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run = check(world, mirror=f"http://127.0.0.1:{port}/constraints")
    assert run.exit_code == 0  # a warning: nothing certain was found
    [problem] = findings(run, "MWAA018")
    assert (
        f"http://127.0.0.1:{port}/constraints/constraints-2.10.3/constraints-3.11.txt"
        in (problem["message"])
    )
    assert "cannot be reached" in problem["message"]
    found = resolution(run)
    assert (found["outcome"], found["constraints"], found["packages"]) == ("unverified", None, [])


@pytest.fixture
def served(world: Path) -> Iterator[tuple[str, ThreadingHTTPServer]]:
    """The mirror served over HTTP on the loopback interface."""
    handler = partial(_QuietHandler, directory=str(world / "mirror"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", server
    server.shutdown()
    server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: Any) -> None:
        _QuietHandler.requests.append(self.path)


def test_constraints_are_cached_and_a_second_run_needs_no_network(
    world: Path, served: tuple[str, ThreadingHTTPServer]
) -> None:
    url, server = served
    trees(world, "foo\nqux\n")
    _QuietHandler.requests.clear()
    first = check(world, mirror=url)
    assert resolution(first)["outcome"] == "resolves"
    assert sorted(_QuietHandler.requests) == [
        "/constraints-2.10.3/constraints-3.11.txt",
        "/constraints-2.9.2/constraints-3.11.txt",
    ]
    server.shutdown()
    server.server_close()  # nothing listens any more
    second = check(world, mirror=url)
    assert resolution(second) == resolution(first)
    assert second.stdout == first.stdout
    cached = list((world / "cache" / "constraints").rglob("*.txt"))
    assert len(cached) == 2


def test_without_resolve_nothing_is_resolved_and_nothing_fetched(world: Path) -> None:
    trees(world, "foo==1.0\n")
    run = iacplan("check", "--base", world / "base", world / "head", "--format", "json")
    assert run.env("aws_mwaa_environment.main")["resolution"] is None
    assert not findings(run, "MWAA017")
    assert not (world / "cache").exists()


def test_resolve_options_need_resolve_and_a_mirror_must_exist(world: Path) -> None:
    trees(world, "foo\n")
    run = iacplan("check", world / "head", "--constraints-mirror", world / "mirror")
    assert run.exit_code == 2 and "go with --resolve" in run.stderr
    run = check(world, mirror=world / "nowhere")
    assert run.exit_code == 2 and "neither a directory nor an http(s) URL" in run.stderr


def test_an_index_line_is_followed_only_when_the_user_allows_it(world: Path) -> None:
    # A find-links folder next to the file, as pip reads it (relative to the file)
    wheel(world / "head" / "dags" / "wheels", "private", "1.0")
    trees(world, "--find-links wheels\nprivate==1.0\nfoo\n")
    refused = check(world)
    [problem] = findings(refused, "MWAA018")
    assert problem["line"] == 1 and "--find-links wheels" in problem["message"]
    assert resolution(refused)["outcome"] == "unverified"
    allowed = check(world, "--allow-requirements-index")
    assert resolution(allowed)["outcome"] == "resolves", allowed.stdout
    assert {"name": "private", "version": "1.0"} in resolution(allowed)["packages"]


def test_only_wheels_for_mwaa_python_and_glibc_count(world: Path) -> None:
    wheels = world / "wheels"
    wheel(wheels, "native", "1.0", tag="cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64")
    wheel(wheels, "native", "2.0", tag="cp311-cp311-manylinux_2_35_x86_64")  # newer than AL2023
    wheel(wheels, "future", "1.0", tag="cp312-cp312-manylinux_2_28_x86_64")
    wheel(wheels, "needs313", "1.0", requires_python=">=3.13")
    trees(world, "native\n")
    assert resolution(check(world))["packages"] == [{"name": "native", "version": "1.0"}]
    trees(world, "native==2.0\n")
    [conflict] = findings(check(world), "MWAA017")
    assert "native==2.0" in conflict["message"]
    assert "other Pythons or platforms" in conflict["message"]
    trees(world, "future\nneeds313\n")
    messages = [f["message"] for f in findings(check(world), "MWAA017")]
    assert len(messages) == 2, messages
    assert "future: nothing pip may install on MWAA" in messages[0]
    assert "needs313 needs Python >=3.13, MWAA runs 3.11.9" in messages[1]


def test_markers_are_decided_for_mwaa_not_for_this_machine(world: Path) -> None:
    version, python = OTHER
    constraints(world / "mirror", version, python, "foo==2.0\n")
    wheel(world / "wheels", "marked", "1.0", [f'foo; python_version == "{python}"'])
    # On the file's own lines iacplan decides the marker: MWAA's Python installs `baz`, not qux
    trees(world, f'baz; python_version == "{python}"\nqux; python_version == "{HOST}"\n', version)
    found = resolution(check(world))
    assert found["packages"] == [{"name": "baz", "version": "2.0"}], found
    # A dependency's marker is pip's to decide, here for this machine: said, never passed
    trees(world, "marked\n", version)
    run = check(world)
    [problem] = findings(run, "MWAA018")
    assert f'marked requires foo; python_version == "{python}"' in problem["message"]
    assert "IACPLAN_RESOLVE_PYTHON" in problem["message"]
    assert resolution(run)["outcome"] == "unverified"


def test_a_file_mwaa_installs_but_not_found_here_is_said(world: Path) -> None:
    trees(world, None)
    run = check(world)
    [problem] = findings(run, "MWAA018")
    assert "no local copy of dags/requirements.txt" in problem["message"]
    assert (problem["file"], problem["line"]) == ("head/main.tf", 4)
    assert resolution(run)["file"] is None


def _fake_python(folder: Path, body: str) -> Path:
    """An interpreter that answers `-m pip --version` and does `body` for anything else."""
    script = folder / "fake-python"
    script.write_text(
        "#!/bin/sh\n"
        'case "$*" in *--version*) echo "pip 26.0 from fake"; exit 0;; esac\n' + body + "\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_a_resolution_past_its_time_is_stopped_and_said(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pids = world / "pids"
    fake = _fake_python(world, f'echo $$ >> "{pids}"\nexec sleep 60')
    monkeypatch.setenv("IACPLAN_RESOLVE_PYTHON", str(fake))
    trees(world, "foo\n")
    run = check(world, "--resolve-timeout", "1")
    problems = findings(run, "MWAA018")
    assert len(problems) == 1 and "did not finish resolving in time" in problems[0]["message"]
    assert all_ended(int(pid) for pid in pids.read_text().split())


def test_environments_sharing_a_file_and_target_resolve_it_once(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = world / "calls"
    fake = _fake_python(world, f'echo "$*" >> "{calls}"\nexec "{sys.executable}" "$@"')
    monkeypatch.setenv("IACPLAN_RESOLVE_PYTHON", str(fake))
    extra = '  requirements_s3_path = "requirements.txt"\n'
    both = {"main.tf": mwaa('"2.9.2"', "a", extra) + mwaa('"2.9.2"', "b", extra)}
    write_tree(world / "base", both)
    head = {"main.tf": mwaa('"2.10.3"', "a", extra) + mwaa('"2.10.3"', "b", extra)}
    write_tree(world / "head", {**head, "requirements.txt": "foo\n"})
    run = check(world)
    assert [e["resolution"]["outcome"] for e in run.report["environments"]] == ["resolves"] * 2
    installs = [line for line in calls.read_text().splitlines() if " install " in line]
    assert len(installs) == 2  # the head version and the base version, once each


def test_an_unreachable_index_is_said(world: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.delenv("PIP_NO_INDEX")
    monkeypatch.delenv("PIP_FIND_LINKS")
    monkeypatch.setenv("PIP_INDEX_URL", f"http://127.0.0.1:{port}/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")
    trees(world, "foo\n")
    [problem] = findings(check(world), "MWAA018")
    assert f"pip could not reach http://127.0.0.1:{port}/simple" in problem["message"]
    assert "Connection refused" in problem["message"]


def test_text_and_markdown_show_the_result(world: Path) -> None:
    trees(world, "foo\nbar\n")
    text = iacplan(
        "check", "--base", world / "base", world / "head", "--resolve",
        "--constraints-mirror", world / "mirror",
    ).stdout  # fmt: skip
    # Rejected by MWAA017: the requirements' result is the way that works (a rejected change
    # gets no checklist).
    assert "Requirements on the new version (pip's resolver):" in text
    assert "✗ head/dags/requirements.txt:2: pip's resolver finds no solution" in text
    markdown = iacplan(
        "check", "--base", world / "base", world / "head", "--resolve",
        "--constraints-mirror", world / "mirror", "--format", "markdown",
    ).stdout  # fmt: skip
    assert "#### Requirements on the new version (pip's resolver)" in markdown


def test_the_json_report_reads_back_with_the_resolution(world: Path) -> None:
    trees(world, "foo\nsdonly\n")
    data = check(world).report
    again = Report.from_dict(data, "report.json").to_dict()
    assert json.loads(json.dumps(again)) == data


# What is decided before pip runs ---------------------------------------------------------

TARGET = marker_environment("3.12.10", "x86_64")


def _prepare(text: str, tmp_path: Path, allow: bool = False) -> Any:
    return prepare(text, "r.txt", tmp_path, TARGET, allow)


def test_the_copy_keeps_line_numbers_and_drops_what_pip_must_not_read(tmp_path: Path) -> None:
    text = (
        '--constraint "https://raw.githubusercontent.com/apache/airflow/constraints-3.0.6/'
        'constraints-3.12.txt"\n'
        "foo==1.0 \\\n"
        "  --hash=sha256:00\n"
        "-r other.txt\n"
        "-e ./local\n"
        "--no-binary lxml\n"
        "git+https://example.invalid/x.git#egg=x\n"
        "y @ https://example.invalid/y-1.0.tar.gz\n"
        "z @ https://example.invalid/z-1.0-py3-none-any.whl\n"
        "/usr/local/airflow/plugins/w-1.0-py3-none-any.whl\n"
        'old; python_version < "3.12"\n'
        'Apache_Airflow[amazon] == 3.0.6; python_version >= "3.12"  # pinned\n'
    )
    prepared = _prepare(text, tmp_path)
    assert prepared.lines == (
        "",
        "foo==1.0 --hash=sha256:00",
        "",
        "",
        "",
        "",
        "",
        "",
        "z @ https://example.invalid/z-1.0-py3-none-any.whl",
        "",
        "",
        "Apache_Airflow[amazon]==3.0.6",
    )
    kinds = [(p.location.line, p.kind) for p in prepared.problems]
    assert kinds == [
        (4, "include"),
        (5, "not-resolvable-here"),
        (6, "sdist-only"),
        (7, "not-resolvable-here"),
        (8, "not-resolvable-here"),
        (10, "not-resolvable-here"),
    ]
    assert not prepared.blocked
    assert [(d.line, d.name) for d in prepared.direct] == [
        (2, "foo"),
        (9, "z"),
        (12, "apache-airflow"),
    ]


def test_index_lines_block_pip_unless_allowed(tmp_path: Path) -> None:
    (tmp_path / "wheels").mkdir()
    text = "-i https://private.example/simple --trusted-host private.example\n-f wheels\nfoo\n"
    refused = _prepare(text, tmp_path)
    assert refused.blocked and [p.kind for p in refused.problems] == ["index-not-allowed"] * 3
    allowed = _prepare(text, tmp_path, allow=True)
    assert not allowed.blocked and not allowed.problems
    assert allowed.lines[:2] == (
        "-i https://private.example/simple --trusted-host private.example",
        f"-f {tmp_path / 'wheels'}",
    )
    gone = _prepare("--find-links /usr/local/airflow/plugins\n", tmp_path, allow=True)
    assert [p.kind for p in gone.problems] == ["not-resolvable-here"]


def test_pins_and_the_static_check() -> None:
    pins = read_pins(
        "# c\nFoo.Bar==1.2\nqux==2.0 ; python_version < '3.12'\nqux==3.0; python_version>='3.12'\n"
        "--index-url http://ignored\nnot a pin\nrange>=1\n",
        TARGET,
    )
    assert pins == {"foo-bar": "1.2", "qux": "3.0"}
    prepared = prepare(
        "foo_bar>=2\nqux~=3.0\napache-airflow==2.11.2\nunpinned==9\n", "r.txt", Path("."),
        TARGET, False,
    )  # fmt: skip
    conflicts = pin_conflicts(prepared.direct, pins, "r.txt", "constraints-3.0.6/c.txt", "3.0.6")
    assert [(c.location.line, c.packages) for c in conflicts] == [
        (1, ("foo-bar",)),
        (3, ("apache-airflow",)),
    ]
    assert "the version MWAA installs" in conflicts[1].message


def test_catalog_platform_tags_follow_the_image_glibc() -> None:
    catalog = load_catalog()
    for release in catalog.releases:
        assert release.image is not None, release.version
    al2023 = next(i for i in catalog.images if i.name == "al2023")
    tags = al2023.pip_platforms()
    assert tags[0] == "manylinux_2_34_x86_64" and tags[-1] == "linux_x86_64"
    assert {"manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"} <= set(tags)
    assert "manylinux_2_35_x86_64" not in tags
    al2 = next(i for i in catalog.images if i.name == "al2")
    assert al2.pip_platforms()[0] == "manylinux_2_26_x86_64"


def test_a_catalog_naming_an_image_it_does_not_have_is_refused(tmp_path: Path) -> None:
    catalog = json.loads((REPO / "iacplan" / "data" / "mwaa_versions.json").read_text())
    catalog["versions"][-1]["image"] = "al2099"
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog))
    with pytest.raises(InputError, match="no image 'al2099' in images"):
        load_catalog(path)
    del catalog["images"]  # a catalog from before --resolve: valid, its versions have no image
    for version in catalog["versions"]:
        version.pop("image")
    path.write_text(json.dumps(catalog))
    assert all(release.image is None for release in load_catalog(path).releases)


def test_what_pip_says_is_read_in_its_own_words() -> None:
    from iacplan.inputs.resolve import pip

    text = (
        "ERROR: Cannot install -r r.txt (line 2) and -r r.txt (line 5) because these package "
        "versions have conflicting dependencies.\n\nThe conflict is caused by:\n"
        "    bar 1.0 depends on baz>=2\n    The user requested foo==2.0\n"
        "    The user requested (constraint) baz==1.0\n\nTo fix this you could try to:\n"
    )
    assert pip._causes(text) == [
        "bar 1.0 depends on baz>=2",
        "the file asks for foo==2.0",
        "the constraints pin baz==1.0",
    ]
    assert pip._lines(text) == {2, 5}
    assert sorted({n for c in pip._causes(text) for n in pip._names(c)}) == ["bar", "baz", "foo"]
    log = (
        "Could not fetch URL https://pypi.corp.example/simple/foo/: connection error: "
        "HTTPSConnectionPool(host='pypi.corp.example', port=443): Max retries exceeded "
        "(Caused by NewConnectionError('[Errno -2] Name or service not known')) - skipping\n"
        "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) "
        "after connection broken by 'ConnectTimeoutError(x, 'timed out')': /simple/bar/\n"
    )
    assert pip._unreachable(log) == [
        "https://pypi.corp.example/simple ([Errno -2] Name or service not known)"
    ]
    assert pip._unreachable(log.splitlines()[1]) == [
        "the package index (retrying after ConnectTimeoutError(x, 'timed out'))"
    ]
