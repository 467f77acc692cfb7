"""Mutation fuzzing from the samples: whatever the bytes, iacplan ends with exit 0 or 1 and a
report valid against its schema, or exit 2 and one line naming the input; never a traceback
or an "internal error", never a hang.

CI runs a few dozen examples per input kind, the same ones each time; set
IACPLAN_FUZZ_EXAMPLES (e.g. 5000) for a longer, randomised run.
"""

from __future__ import annotations

import faulthandler
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import REPO, Run, iacplan

SAMPLES = REPO / "samples"
TERRAFORM = sorted(p for p in (SAMPLES / "terraform").glob("*/*") if p.is_dir())
TEMPLATES = sorted(
    p
    for p in (SAMPLES / "cloudformation").rglob("*")
    if p.suffix in (".yaml", ".json") and p.name not in ("changeset.json", "prod.json")
)
TERRAGRUNT = sorted(p for p in (SAMPLES / "terragrunt").glob("*/*") if p.is_dir())
PLANS = sorted((SAMPLES / "terraform-plan").glob("*/plan.json"))
CHANGESETS = sorted((SAMPLES / "cloudformation").glob("*/changeset.json"))
HANG = 120  # seconds for one example: a guard against hangs, not a timing expectation


def _settings(ci_examples: int) -> Callable[[Any], Any]:
    examples = int(os.environ.get("IACPLAN_FUZZ_EXAMPLES", "0"))
    return settings(
        max_examples=examples or ci_examples,
        derandomize=not examples,  # CI explores the same examples on every run
        deadline=None,  # no timing expectations: the machine is shared
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )


@contextmanager
def watchdog() -> Iterator[None]:
    """A hang ends the whole test run with every thread's traceback, instead of hanging it."""
    faulthandler.dump_traceback_later(HANG, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


def assert_clean(run: Run) -> None:
    if run.exit_code in (0, 1):
        run.report  # noqa: B018 (parses and validates against the schema)
        return
    assert run.exit_code == 2, (run.exit_code, run.stdout, run.stderr)
    assert run.stderr.startswith("iacplan: error: "), run.stderr
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr, run.stderr


def check(*args: str | Path) -> None:
    with watchdog():
        assert_clean(iacplan("check", *args, "--format", "json"))


# --- mutations of bytes ------------------------------------------------------------------

TOKENS = [
    b"{", b"}", b"[", b"]", b"(", b")", b'"', b"'", b"${", b"%{", b"<<EOT\n", b"\nEOT\n", b"#",
    b"//", b"/*", b"*/", b"=", b":", b",", b"\n", b"\r\n", b"\t", b"\x00", b"\xef\xbb\xbf",
    b"\xff", b"\\", b"null", b"true", b"1e999", b"-0", b"99999999999999999999999", b"var.x",
    b"data.x.y.z", b"module.m", b"each.value", b"count.index", b"!Ref ", b"!GetAtt ", b"!Sub ",
    b"&a ", b"*a", b"- ", b"? ", b"---\n", b"...\n", b"%YAML 1.1\n", b"!!python/object ",
    b'module "m" {\n  source = "./"\n}\n', b'module "r" {\n  source = "aws-ia/mwaa/aws"\n}\n',
    b"count = 1e9\n", b"for_each = var.x\n", b'airflow_version = "2.10.3"\n',
    b"AirflowVersion: 2.10\n", b"Fn::If", b"Condition: X\n", b"[" * 1200,
]  # fmt: skip


@st.composite
def mutated_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(data)))
        j = draw(st.integers(i, min(len(data), i + 200)))
        insert = draw(st.one_of(st.sampled_from(TOKENS), st.binary(max_size=12)))
        data = draw(
            st.sampled_from(
                [
                    data[:i],  # truncated
                    data[:i] + data[j:],  # a span deleted
                    data[:i] + insert + data[i:],  # something inserted
                    data[:i] + insert + data[j:],  # a span replaced
                    data[:j] + data[i:j] + data[j:],  # a span repeated
                ]
            )
        )
    return data


# --- mutations of JSON documents ---------------------------------------------------------

WORDS = [
    "2.10.3", "v2.10.3", "2.10", "3.0.6", "1.10.12", "", "update", "delete", "create", "no-op",
    "forget", "Modify", "Remove", "Add", "Dynamic", "True", "Conditional",
    "AWS::MWAA::Environment", "aws_mwaa_environment", "{{resolve:ssm:/v}}", "arn:aws:s3:::b",
    '{"Properties": 1}', "${var.x}",
]  # fmt: skip
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.text(max_size=8),
    st.sampled_from(WORDS),
    st.lists(st.none(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.none(), max_size=2),
)
DEEP = "__iacplan_deep__"


def _paths(doc: object) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    pending: list[tuple[tuple[Any, ...], object]] = [((), doc)]
    while pending:
        path, node = pending.pop()
        found.append(path)
        if isinstance(node, dict):
            pending += [((*path, k), v) for k, v in node.items()]
        elif isinstance(node, list):
            pending += [((*path, i), v) for i, v in enumerate(node)]
    return sorted(found, key=repr)


def _mutate(draw: st.DrawFn, doc: Any) -> Any:
    path = draw(st.sampled_from(_paths(doc)))
    if not path:
        return draw(VALUES)
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    key, node = path[-1], parent[path[-1]]
    operation = draw(st.sampled_from(["delete", "replace", "wrap", "deep", "rename", "inner"]))
    if operation == "delete":
        del parent[key]
    elif operation == "replace":
        parent[key] = draw(VALUES)
    elif operation == "wrap":
        parent[key] = draw(st.sampled_from([[node], {"x": node}, [node, node]]))
    elif operation == "deep":
        parent[key] = DEEP
    elif operation == "rename" and isinstance(parent, dict):
        parent[draw(st.text(max_size=12))] = parent.pop(key)
    elif operation == "inner" and isinstance(node, str) and node.startswith("{"):
        try:  # a change set's BeforeContext/AfterContext: JSON inside a string
            inner = json.loads(node)
        except ValueError:
            return doc
        parent[key] = json.dumps(_mutate(draw, inner))
    return doc


@st.composite
def mutated_json(draw: st.DrawFn, data: bytes) -> bytes:
    doc = json.loads(data)
    for _ in range(draw(st.integers(1, 4))):
        doc = _mutate(draw, doc)
    text = json.dumps(doc, indent=draw(st.sampled_from([None, 2])))
    depth = draw(st.sampled_from([50, 99, 101, 500, 1100]))
    return text.replace(f'"{DEEP}"', "[" * depth + "]" * depth).encode()


def _either(data: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(mutated_json(data), mutated_bytes(data))


# --- the suites --------------------------------------------------------------------------


@st.composite
def terraform_trees(
    draw: st.DrawFn, samples: list[Path] = TERRAFORM
) -> tuple[Path, dict[str, bytes], bool]:
    sample = draw(st.sampled_from(samples))
    files = {
        p.relative_to(sample).as_posix(): p.read_bytes()
        for p in sorted(sample.rglob("*"))
        if p.is_file()
    }
    for name in draw(st.lists(st.sampled_from(sorted(files)), min_size=1, max_size=2)):
        files[name] = draw(mutated_bytes(files[name]))
    return sample, files, draw(st.booleans())


@_settings(40)
@given(terraform_trees())
def test_mutated_terraform(case: tuple[Path, dict[str, bytes], bool]) -> None:
    sample, files, against_base = case
    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch) / "tree"
        for name, data in files.items():
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            (tree / name).write_bytes(data)
        base = sample.parent / ("base" if sample.name == "head" else "head")
        check(*(["--base", base] if against_base else []), tree)


@_settings(30)
@given(terraform_trees(TERRAGRUNT))
def test_mutated_terragrunt(case: tuple[Path, dict[str, bytes], bool]) -> None:
    # The same as Terraform trees: the mutations reach the units, their includes and env.hcl.
    test_mutated_terraform.hypothesis.inner_test(case)  # type: ignore[attr-defined]


def _one_file(sample: Path, data: bytes, *args: str | Path) -> None:
    """Check `data` written under the sample's file name, with `args`."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / sample.name
        path.write_bytes(data)
        check(*args, path)


@st.composite
def templates(draw: st.DrawFn) -> tuple[Path, bytes, bool]:
    sample = draw(st.sampled_from(TEMPLATES))
    data = sample.read_bytes()
    strategy = _either(data) if sample.suffix == ".json" else mutated_bytes(data)
    return sample, draw(strategy), draw(st.booleans())


@_settings(30)
@given(templates())
def test_mutated_templates(case: tuple[Path, bytes, bool]) -> None:
    sample, data, against_base = case
    _one_file(sample, data, *(["--base", sample] if against_base else []))


@_settings(150)
@given(st.sampled_from(PLANS).flatmap(lambda p: _either(p.read_bytes())))
def test_mutated_plans(data: bytes) -> None:
    _one_file(PLANS[0], data)


@_settings(150)
@given(
    st.sampled_from(CHANGESETS).flatmap(lambda p: st.tuples(st.just(p), _either(p.read_bytes())))
)
def test_mutated_change_sets(case: tuple[Path, bytes]) -> None:
    sample, data = case
    args: list[str | Path] = []
    if (sample.parent / "head").is_dir():  # the sample's templates, as its README runs it
        args = ["--template", sample.parent / "head" / "mwaa.yaml"]
        args += ["--base", sample.parent / "base" / "mwaa.yaml"]
    _one_file(sample, data, *args)


def test_the_suites_start_from_every_sample() -> None:
    assert len(TERRAFORM) >= 20 and len(PLANS) >= 7 and len(CHANGESETS) >= 3 and TERRAGRUNT
    assert {p.suffix for p in TEMPLATES} == {".json", ".yaml"}
