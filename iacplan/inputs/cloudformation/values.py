"""Resolving CloudFormation intrinsic functions statically: what is known before deploy.

Every value that CloudFormation learns only at deploy (another resource's attribute, an export
of another stack, an SSM parameter, a pseudo parameter) ends as an *unknown* Value with the
reason. A condition that cannot be resolved is never decided here: `Fn::If` on it yields an
unknown value carrying both outcomes as alternatives, which the rules judge one by one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iacplan.errors import InputError
from iacplan.inputs.files import display_path, json_line, parse_json, read_text
from iacplan.model import Alternative, Location, Value, ValueState

PSEUDO_PARAMETERS = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")
# In an ARN only the resource part matters: the partition is a placeholder, and a Ref to a
# bucket resource stands for that bucket (its name is known only after deploy).
_RESOURCE_TOKEN = "\x00resource:{}\x00"
RESOURCE_TOKEN = re.compile("\x00resource:([^\x00]+)\x00")
_DEPLOY_TIME_FUNCTIONS = {
    "Fn::GetAZs": "lists the region's availability zones at deploy",
    "Fn::Base64": "is not resolved statically",
    "Fn::Cidr": "is not resolved statically",
    "Fn::Split": "yields a list, not a string",
    "Fn::Length": "yields a number of list items",
    "Fn::ToJsonString": "is not resolved statically",
    "Fn::Transform": "runs a macro at deploy",
}


def line_of(node: object, default: int) -> int:
    """The 1-based line where cfn-lint's decoder saw `node`, else `default`."""
    mark = getattr(node, "start_mark", None)
    line = getattr(mark, "line", None)
    return line + 1 if isinstance(line, int) else default


@dataclass(frozen=True)
class Parameters:
    """Values given for template parameters: --parameter wins over --parameters-file."""

    values: Mapping[str, str]
    previous: frozenset[str] = frozenset()  # UsePreviousValue: the deployed value is reused
    # Why no parameter has a known value (the deployed stack's values, which nothing shows).
    all_unknown: str | None = None
    # How a value is given, for a parameter without one (cfn-lint has options of its own).
    options: str = "--parameter or --parameters-file"

    def overridden_by(self, other: Parameters) -> Parameters:
        values = {**self.values, **other.values}
        previous = (self.previous | other.previous) - other.values.keys()
        return Parameters(values, previous, options=self.options)


def read_parameters(pairs: tuple[tuple[str, str], ...], files: tuple[Path, ...]) -> Parameters:
    values: dict[str, str] = {}
    previous: set[str] = set()
    # Later files override earlier ones; --parameter overrides every file.
    for path in files:
        file_values, file_previous = _parameter_file(path)
        values.update(file_values)
        previous |= file_previous
        previous -= file_values.keys()
    values.update(pairs)
    previous -= {name for name, _ in pairs}
    return Parameters(values, frozenset(previous))


def _parameter_file(path: Path) -> tuple[dict[str, str], set[str]]:
    text = read_text(path)
    shown = display_path(path)
    doc = parse_json(shown, text)

    def where(key: str) -> str:
        return f"{shown}:{json_line(text, key)}"

    if isinstance(doc, list):  # the AWS CLI form
        return parameter_list(doc, shown, where)
    if isinstance(doc, dict) and isinstance(doc.get("Parameters"), dict):
        doc = doc["Parameters"]  # the CodePipeline template configuration form
    if not isinstance(doc, dict):
        raise InputError(
            f"{shown}:1: not a parameters file ([{{ParameterKey, ParameterValue}}], "
            '{"Key": "Value"} or {"Parameters": {...}})'
        )
    return {str(k): _string(v, str(k), where) for k, v in doc.items()}, set()


def parameter_list(items: list[Any], shown: str, where: Any) -> tuple[dict[str, str], set[str]]:
    """`[{ParameterKey, ParameterValue | UsePreviousValue}]`: the CLI's and a change set's form."""
    values: dict[str, str] = {}
    previous: set[str] = set()
    for item in items:
        key = item.get("ParameterKey") if isinstance(item, dict) else None
        if not isinstance(key, str):
            raise InputError(
                f"{shown}:1: a list of parameters needs ParameterKey/ParameterValue objects"
            )
        if item.get("UsePreviousValue") is True:
            previous.add(key)
        else:
            values[key] = _string(item.get("ParameterValue"), key, where)
    return values, previous


def _string(value: object, key: str, where: Any) -> str:
    if isinstance(value, str):
        return value
    raise InputError(
        f"{where(key)}: parameter {key}: the value must be a JSON string, not "
        f"{json.dumps(value)} (a number such as 2.10 loses its trailing zero: quote it)"
    )


@dataclass(frozen=True)
class _Undecided:
    reason: str


class Resolver:
    """Resolves values in one template with the parameter values given."""

    def __init__(self, template: Mapping[str, Any], parameters: Parameters) -> None:
        self._parameters = parameters
        self._declared = _section(template, "Parameters")
        self._resources = _section(template, "Resources")
        self._mappings = _section(template, "Mappings")
        self._conditions = _section(template, "Conditions")
        self._decided: dict[str, bool | _Undecided] = {}

    # --- values ----------------------------------------------------------------------------

    def value(self, node: object, location: Location, arn: bool = False) -> Value:
        """The string `node` stands for; with `arn`, resource references become tokens."""
        value = self._value(node, location, arn)
        # Checked on the result, so one built by Sub, Join or a parameter is caught too.
        if value.state is ValueState.KNOWN and "{{resolve:" in (value.text or ""):
            return Value.unknown(
                f"{value.text!r} is a dynamic reference, resolved only at deploy", location
            )
        return value

    def _value(self, node: object, location: Location, arn: bool) -> Value:
        here = location
        if isinstance(node, bool):
            return Value.known(str(node).lower(), here)
        if isinstance(node, int | float):
            text = json.dumps(node)
            return Value.known(text, here, note=f"an unquoted number, read as {text}: quote it")
        if isinstance(node, str):
            return Value.known(node, here)
        if isinstance(node, list):
            return Value.unknown("a list where a string is expected", here)
        if not isinstance(node, dict):
            return Value.unknown(f"an unexpected value ({type(node).__name__})", here)
        if len(node) != 1:
            return Value.unknown("a mapping where a string is expected", here)
        [(function, argument)] = node.items()
        return self._function(str(function), argument, here, arn)

    def _function(self, function: str, argument: Any, here: Location, arn: bool) -> Value:
        if function == "Ref":
            return self._ref(argument, here, arn)
        if function == "Fn::Sub":
            return self._sub(argument, here, arn)
        if function == "Fn::Join":
            return self._join(argument, here, arn)
        if function == "Fn::Select":
            return self._select(argument, here, arn)
        if function == "Fn::FindInMap":
            return self._find_in_map(argument, here, arn)
        if function == "Fn::If":
            return self._if(argument, here, arn)
        if function == "Fn::GetAtt":
            return self._get_att(argument, here, arn)
        if function == "Fn::ImportValue":
            return Value.unknown(
                "Fn::ImportValue reads an export of another stack, known only at deploy", here
            )
        if function in _DEPLOY_TIME_FUNCTIONS:
            return Value.unknown(f"{function} {_DEPLOY_TIME_FUNCTIONS[function]}", here)
        if function.startswith("Fn::") or function in ("Condition",):
            return Value.unknown(f"{function} is not an intrinsic function iacplan resolves", here)
        return Value.unknown(f"a mapping ({function}: ...) where a string is expected", here)

    def _ref(self, name: object, here: Location, arn: bool) -> Value:
        if not isinstance(name, str):
            return Value.unknown("Ref needs a name", here)
        if name in self._declared:
            return self.parameter(name, here)
        if name == "AWS::NoValue":
            return Value.missing("AWS::NoValue removes the property", here)
        if name == "AWS::Partition" and arn:
            return Value.known("aws", here)
        if name in PSEUDO_PARAMETERS:
            return Value.unknown(f"the pseudo parameter {name} is known only at deploy", here)
        if name in self._resources:
            if arn:
                return Value.known(_RESOURCE_TOKEN.format(name), here)
            return Value.unknown(f"Ref {name} is a resource's id, known only after deploy", here)
        return Value.unknown(f"Ref {name}: no parameter or resource of that name", here)

    def parameter(self, name: str, here: Location) -> Value:
        declaration = self._declared.get(name)
        declaration = declaration if isinstance(declaration, dict) else {}
        kind = str(declaration.get("Type", "String"))
        where = f"parameter {name}"
        if kind.startswith("AWS::SSM::Parameter::Value"):
            return Value.unknown(
                f"{where} has type {kind}: its value is read from SSM Parameter Store at deploy",
                here,
            )
        if self._parameters.all_unknown is not None:
            return Value.unknown(f"{where}: {self._parameters.all_unknown}", here)
        if name in self._parameters.previous:
            return Value.unknown(
                f"{where} uses UsePreviousValue: the deployed stack's value is reused", here
            )
        if name in self._parameters.values:
            return Value.known(self._parameters.values[name], here)
        if "Default" in declaration:
            default = self.value(declaration["Default"], here)
            if default.state is ValueState.KNOWN and default.reason:
                return Value.known(
                    default.text or "", here, note=f"{where}'s Default is {default.reason}"
                )
            return default
        return Value.unknown(
            f"{where} has no Default and no value ({self._parameters.options})", here
        )

    def _sub(self, argument: Any, here: Location, arn: bool) -> Value:
        variables: Mapping[str, Any] = {}
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            argument, variables = argument
        if not isinstance(argument, str):
            return Value.unknown("Fn::Sub needs a string", here)
        parts: list[str] = []
        position = 0
        for match in _SUB_VARIABLE.finditer(argument):
            parts.append(argument[position : match.start()])
            position = match.end()
            name = match[1].strip()
            if name in variables:
                part = self.value(variables[name], here, arn)
            elif "." in name:
                resource, _, attribute = name.partition(".")
                part = self._get_att([resource, attribute], here, arn)
            else:
                part = self._ref(name, here, arn)
            if part.state is not ValueState.KNOWN or part.text is None:
                return _unknown_part(f"Fn::Sub ${{{name}}}", part, here)
            parts.append(part.text)
        parts.append(argument[position:])
        # ${!Literal} writes ${Literal}.
        return Value.known("".join(parts).replace("${!", "${"), here)

    def _join(self, argument: Any, here: Location, arn: bool) -> Value:
        if not (
            isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], list)
        ):
            return Value.unknown("Fn::Join needs a delimiter and a list of values", here)
        delimiter = self.value(argument[0], here)
        items = [self.value(item, here, arn) for item in argument[1]]
        for part in (delimiter, *items):
            if part.state is not ValueState.KNOWN or part.text is None:
                return _unknown_part("Fn::Join", part, here)
        return Value.known((delimiter.text or "").join(i.text or "" for i in items), here)

    def _select(self, argument: Any, here: Location, arn: bool) -> Value:
        if not (isinstance(argument, list) and len(argument) == 2):
            return Value.unknown("Fn::Select needs an index and a list", here)
        index = self.value(argument[0], here)
        if index.state is not ValueState.KNOWN or not (index.text or "").isdigit():
            return _unknown_part("Fn::Select", index, here)
        if not isinstance(argument[1], list):
            return Value.unknown("Fn::Select over a list that is not written out", here)
        items = argument[1]
        if int(index.text or "0") >= len(items):
            return Value.unknown(f"Fn::Select index {index.text} is out of range", here)
        return self.value(items[int(index.text or "0")], here, arn)

    def _find_in_map(self, argument: Any, here: Location, arn: bool) -> Value:
        if not (isinstance(argument, list) and len(argument) in (3, 4)):
            return Value.unknown("Fn::FindInMap needs a map name and two keys", here)
        map_name = self.value(argument[0], here)
        if map_name.state is not ValueState.KNOWN or map_name.text is None:
            return _unknown_part("Fn::FindInMap", map_name, here)
        name = map_name.text
        # AWS::LanguageExtensions adds a fourth argument: {DefaultValue: ...}.
        options = argument[3] if len(argument) == 4 else None
        default = options["DefaultValue"] if isinstance(options, dict) else None
        doubts: list[str] = []
        entries = self._map_entries(name, argument[1], argument[2], here, doubts)
        if not doubts or (len(entries) == 1 and not entries[0][0]):
            [(_, found)] = entries
            if found is not None:
                return self.value(found, here, arn)
            if default is not None:
                return self.value(default, here, arn)
            return Value.unknown(f"Fn::FindInMap: Mappings has no {doubts[-1]}", here)
        outcomes: list[Alternative] = []
        for when, found in entries:
            if found is None and default is None:
                continue  # a key CloudFormation cannot find fails the deploy: no outcome
            outcomes += _combined(when, self.value(default if found is None else found, here, arn))
        why = "; ".join(dict.fromkeys(doubts))
        if not outcomes:
            return Value.unknown(f"Fn::FindInMap [{name}, ...]: {why}", here)
        if len({(o.value.state, o.value.text) for o in outcomes}) == 1:
            return outcomes[0].value
        shown = ", ".join(f"{_shown(o.value)} {o.when}" for o in outcomes)
        return Value.unknown(
            f"Fn::FindInMap [{name}, ...] cannot be resolved ({why}): it is {shown}",
            here,
            tuple(outcomes),
        )

    def _map_entries(
        self, name: str, top: object, second: object, here: Location, doubts: list[str]
    ) -> list[tuple[str, object]]:
        """Every (when, entry) the two keys can select; an entry of None is not in the map.
        A key that cannot be resolved can still only be one of the map's keys (another fails
        the deploy), so each of them is an outcome, judged like a branch of `Fn::If`; `doubts`
        gets why the key is unknown. With both keys known, the one entry and when "" — and
        `doubts` the missing path, when it is missing."""
        mapping = self._mappings.get(name)
        results: list[tuple[str, object]] = []
        for top_when, top_key in self._map_keys(top, mapping, here, doubts):
            entry = mapping.get(top_key) if isinstance(mapping, dict) else None
            for second_when, second_key in self._map_keys(second, entry, here, doubts):
                found = entry.get(second_key) if isinstance(entry, dict) else None
                when = " and ".join(w for w in (top_when, second_when) if w)
                results.append(("if " + when if when else "", found))
                if found is None and not when:
                    doubts.append(f"{name}.{top_key}.{second_key}")
        return results

    def _map_keys(
        self, node: object, level: object, here: Location, doubts: list[str]
    ) -> list[tuple[str, str]]:
        key = self.value(node, here)
        if key.state is ValueState.KNOWN and key.text is not None:
            return [("", key.text)]
        subject = _key_subject(node)
        doubts.append(f"{subject} {_reason_of(key)}")
        if key.state is not ValueState.UNKNOWN:
            return []
        choices = [a for a in key.alternatives if a.value.state is ValueState.KNOWN]
        if choices and len(choices) == len(key.alternatives):  # a key from Fn::If
            return [(a.when.removeprefix("if "), a.value.text or "") for a in choices]
        if not isinstance(level, dict) or not level:
            return [(f"{subject} is any value", _NO_KEY)]  # only the DefaultValue, if any
        # Another value finds no entry: the DefaultValue, if there is one.
        other = (f"{subject} is none of {', '.join(map(str, level))}", _NO_KEY)
        return [*((f"{subject} is {k}", str(k)) for k in level), other]

    def _if(self, argument: Any, here: Location, arn: bool) -> Value:
        if not (isinstance(argument, list) and len(argument) == 3 and isinstance(argument[0], str)):
            return Value.unknown("Fn::If needs a condition name and two values", here)
        condition, when_true, when_false = argument
        decided = self.condition(condition)
        if isinstance(decided, bool):
            return self.value(when_true if decided else when_false, here, arn)
        outcomes = []
        for branch, node in (("true", when_true), ("false", when_false)):
            value = self.value(node, here, arn)
            when = f"if condition {condition} is {branch}"
            if value.alternatives:
                outcomes += [
                    Alternative(f"{when} and {a.when[3:]}", a.value) for a in value.alternatives
                ]
            else:
                outcomes.append(Alternative(when, value))
        if len({(o.value.state, o.value.text) for o in outcomes}) == 1:
            return outcomes[0].value
        shown = " or ".join(
            o.value.text
            if o.value.state is ValueState.KNOWN and o.value.text is not None
            else f"({o.value.state})"
            for o in outcomes
        )
        return Value.unknown(
            f"condition {condition} cannot be resolved ({decided.reason}): it is {shown}",
            here,
            tuple(outcomes),
        )

    def _get_att(self, argument: Any, here: Location, arn: bool) -> Value:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not (isinstance(argument, list) and len(argument) == 2):
            return Value.unknown("Fn::GetAtt needs a resource and an attribute", here)
        resource, attribute = argument
        declared = self._resources.get(resource) if isinstance(resource, str) else None
        kind = declared.get("Type") if isinstance(declared, dict) else None
        if arn and kind == "AWS::S3::Bucket" and attribute == "Arn":
            return Value.known("arn:aws:s3:::" + _RESOURCE_TOKEN.format(resource), here)
        if kind == "AWS::CloudFormation::Stack":
            return Value.unknown(f"{resource}.{attribute} is an output of a nested stack", here)
        return Value.unknown(
            f"Fn::GetAtt {resource}.{attribute} is an attribute of another resource, known "
            "only after deploy",
            here,
        )

    # --- conditions ------------------------------------------------------------------------

    def condition(self, name: str) -> bool | _Undecided:
        if name not in self._decided:
            self._decided[name] = _Undecided(f"condition {name} refers to itself")
            if name in self._conditions:
                self._decided[name] = self._evaluate(self._conditions[name])
            else:
                self._decided[name] = _Undecided(f"there is no condition {name}")
        return self._decided[name]

    def _evaluate(self, node: Any) -> bool | _Undecided:
        if not (isinstance(node, dict) and len(node) == 1):
            return _Undecided("it is not a condition function")
        [(function, argument)] = node.items()
        here = Location("", line_of(node, 1))
        if function == "Condition" and isinstance(argument, str):
            return self.condition(argument)
        if function == "Fn::Equals" and isinstance(argument, list) and len(argument) == 2:
            left, right = (self.value(side, here) for side in argument)
            for side in (left, right):
                if side.state is not ValueState.KNOWN:
                    return _Undecided(f"Fn::Equals compares a value that is unknown: {side.reason}")
            return left.text == right.text
        if function == "Fn::Not" and isinstance(argument, list) and len(argument) == 1:
            inner = self._evaluate(argument[0])
            return not inner if isinstance(inner, bool) else inner
        if function in ("Fn::And", "Fn::Or") and isinstance(argument, list):
            decisive: bool = function == "Fn::Or"  # Or is decided by one true, And by one false
            results = [self._evaluate(item) for item in argument]
            if decisive in results:
                return decisive
            undecided = [r for r in results if isinstance(r, _Undecided)]
            return undecided[0] if undecided else not decisive
        return _Undecided(f"{function} is not a condition function iacplan resolves")


def _section(template: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    section = template.get(name)
    return section if isinstance(section, dict) else {}


_NO_KEY = "\x00no key"  # no Mappings key: map keys are alphanumeric, "-" and "."


def _combined(when: str, value: Value) -> list[Alternative]:
    """The outcome `value` under `when`, or its own outcomes under `when` too."""
    if not value.alternatives:
        return [Alternative(when, value)]
    if not when:
        return list(value.alternatives)
    return [Alternative(f"{when} and {a.when[3:]}", a.value) for a in value.alternatives]


def _shown(value: Value) -> str:
    if value.state is ValueState.KNOWN and value.text is not None:
        return value.text
    return f"({value.state})"


def _key_subject(node: object) -> str:
    """How a Fn::FindInMap key is named in a message: the parameter or pseudo parameter it
    refers to, else the expression."""
    if isinstance(node, dict) and len(node) == 1 and isinstance(node.get("Ref"), str):
        return str(node["Ref"])
    return f"the key {json.dumps(node, default=str)}"


def _reason_of(key: Value) -> str:
    if key.state is ValueState.MISSING:
        return "uses AWS::NoValue"
    return f"cannot be resolved: {key.reason}"


def _unknown_part(what: str, part: Value, here: Location) -> Value:
    if part.state is ValueState.MISSING:
        return Value.unknown(f"{what} uses AWS::NoValue", here)
    return Value.unknown(f"{what}: {part.reason}", here)
