"""The HCL expressions Terragrunt configurations use, evaluated as Terragrunt would."""

from __future__ import annotations

from typing import Any

import hcl2
import pytest

from iacplan.inputs.terragrunt.expressions import EvalError, Evaluator, Unknown


def evaluate(expression: str, **names: Any) -> Any:
    tree = hcl2.parses_to_tree(f"x = {expression}\n")
    attribute = next(tree.find_data("attribute"))
    return Evaluator("t.hcl", names, {}).evaluate(attribute.children[-1])


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ('"2.${local.minor}.3"', "2.10.3"),
        ('local.env == "prod" ? "2.10.3" : "2.9.2"', "2.10.3"),
        ("merge({ a = 1, b = 2 }, { b = 3 })", {"a": 1, "b": 3}),
        ('lookup({ prod = "2.10.3" }, local.env, "2.9.2")', "2.10.3"),
        ('lookup({ dev = "2.10.3" }, local.env, "2.9.2")', "2.9.2"),
        ('try(local.missing, "fallback")', "fallback"),
        ("can(local.missing)", False),
        ('format("%s-%d", "mwaa", 3)', "mwaa-3"),
        ('jsondecode("{\\"v\\": \\"2.11.0\\"}").v', "2.11.0"),
        ('yamldecode("v: 2.11.0").v', "2.11.0"),
        ('[for k, v in { a = "x", b = "y" } : upper(v) if k != "a"]', ["Y"]),
        ('{ for s in ["a", "b"] : s => length(s) }', {"a": 1, "b": 1}),
        ("[{ id = 1 }, { id = 2 }][*].id", [1, 2]),
        ('coalesce("", null, "2.10.3")', "2.10.3"),
        ('join(".", ["2", "10", "3"])', "2.10.3"),
        ("1 + 2 * 3 >= 7 && !false", True),
        ('"a\\tb"', "a\tb"),
        ('"$${literal}"', "${literal}"),
        ("<<-EOT\n    plain\n    EOT\n", "plain\n"),
    ],
)
def test_supported_expressions_evaluate(expression: str, value: Any) -> None:
    assert evaluate(expression, local={"minor": 10, "env": "prod"}) == value


@pytest.mark.parametrize(
    "expression",
    [
        "dependency.vpc.outputs.version",
        "upper(dependency.vpc.outputs.version)",
        '"2.${dependency.vpc.outputs.minor}.3"',
        'dependency.vpc.outputs.prod ? "2.10.3" : "2.9.2"',
        'try(dependency.vpc.outputs.version, "2.10.3")',
        'run_cmd("git", "describe")',
        'sops_decrypt_file("secrets.enc.yaml")',
        '"%{ if true }2.10.3%{ endif }"',
        "<<EOT\n${local.env}\nEOT\n",
    ],
)
def test_what_cannot_be_known_is_unknown(expression: str) -> None:
    names = {"local": {"env": "prod"}, "dependency": {"vpc": Unknown("a dependency")}}
    assert isinstance(evaluate(expression, **names), Unknown)


def test_merge_keeps_an_unknown_value_where_it_is() -> None:
    merged = evaluate(
        'merge({ name = "mwaa" }, { airflow_version = dependency.v.outputs.x })',
        dependency={"v": Unknown("a dependency")},
    )
    assert merged["name"] == "mwaa"
    assert isinstance(merged["airflow_version"], Unknown)


@pytest.mark.parametrize("expression", ["local.missing", '{ a = 1 }["b"]', '1 + "x"'])
def test_what_terragrunt_refuses_is_an_error_naming_the_line(expression: str) -> None:
    with pytest.raises(EvalError, match=r"t\.hcl:1"):
        evaluate(expression, local={})
