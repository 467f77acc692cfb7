"""HCL expressions as Terragrunt evaluates them, over python-hcl2's parse tree.

Terragrunt is not installed where iacplan runs, so the subset real live trees use is evaluated
here: literals, templates, collections, operators, conditionals, `for` expressions, indexing
and splats, Terraform's pure functions below and Terragrunt's path functions (given by the
caller). Anything else is *unknown*, with the reason and file:line: an unsupported function,
a dependency's outputs, a template directive. A value that depends on an unknown one is unknown
too, so nothing unresolvable ever reaches the Terraform evaluation as if it were known.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from lark import Token, Tree


@dataclass(frozen=True)
class Unknown:
    """A value that cannot be known before apply; `why` names what and where."""

    why: str


class EvalError(Exception):
    """What Terragrunt itself would refuse (a missing attribute, a type error): bad input,
    except inside `try()` and `can()`, which exist to catch it."""


# A value: None, bool, int, float, str, list, dict (or a Lazy mapping), or Unknown.
Val = Any


class Lazy(Mapping[str, Val]):
    """Attributes evaluated on first use, in any order, as Terragrunt's `locals` are."""

    def __init__(self, exprs: Mapping[str, Tree[Any]], evaluate: Callable[[Tree[Any]], Val]):
        self._exprs = dict(exprs)
        self._evaluate = evaluate
        self._done: dict[str, Val] = {}
        self._busy: set[str] = set()

    def __getitem__(self, key: str) -> Val:
        if key in self._done:
            return self._done[key]
        if key not in self._exprs:
            raise KeyError(key)
        if key in self._busy:
            raise EvalError(f"local.{key} refers to itself")
        self._busy.add(key)
        try:
            value = self._evaluate(self._exprs[key])
        finally:
            self._busy.discard(key)
        self._done[key] = value
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._exprs)

    def __len__(self) -> int:
        return len(self._exprs)


def line_of(node: Tree[Any] | Token) -> int:
    if isinstance(node, Token):
        return node.line or 0
    return getattr(node.meta, "line", 0) if not node.meta.empty else 0


class Evaluator:
    """Evaluates expressions of one file. `names` holds the root identifiers (`local`,
    `include`, `dependency`); `functions` the caller's Terragrunt functions, which take the
    evaluated arguments and the node (for its line)."""

    def __init__(
        self,
        shown: str,
        names: Mapping[str, Val],
        functions: Mapping[str, Callable[[list[Val], int], Val]],
    ) -> None:
        self.shown = shown
        self.names = dict(names)
        self.functions = {**_TERRAFORM_FUNCTIONS, **functions}

    def where(self, node: Tree[Any] | Token) -> str:
        return f"{self.shown}:{line_of(node)}"

    def evaluate(self, node: Tree[Any] | Token, scope: Mapping[str, Val] | None = None) -> Val:
        if isinstance(node, Token):
            raise EvalError(f"{self.where(node)}: unexpected {node!r}")
        method = getattr(self, f"_{node.data}", None)
        if method is None:
            return Unknown(f"{self.where(node)}: iacplan does not evaluate `{node.data}`")
        value: Val = method(node, scope or {})
        return value

    # --- structure -------------------------------------------------------------------------

    def _children(self, node: Tree[Any]) -> list[Tree[Any]]:
        return [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]

    def _expr_term(self, node: Tree[Any], scope: Mapping[str, Val]) -> Val:
        [inner] = self._children(node)
        return self.evaluate(inner, scope)

    def _literal_value(self, node: Tree[Any], scope: Mapping[str, Val]) -> Val:
        return {"true": True, "false": False, "null": None}[str(node.children[0])]

    def _int_lit(self, node: Tree[Any], scope: Mapping[str, Val]) -> Val:
        return int(str(node.children[0]))

    def _float_lit(self, node: Tree[Any], scope: Mapping[str, Val]) -> Val:
        return float(str(node.children[0]))

    def _identifier(self, node: Tree[Any], scope: Mapping[str, Val]) -> Val:
        name = str(node.children[0])
        if name in scope:
            return scope[name]
        if name in self.names:
            return self.names[name]
        return Unknown(f"{self.where(node)}: `{name}` is not something Terragrunt defines here")

    def _string(self, node: Tree[Any], scope: Mapping[str, Val]) -> Val:
        parts: list[str] = []
        unknown: Unknown | None = None
        for part in node.children:
            if not isinstance(part, Tree):
                continue  # the quotes
            [piece] = part.children
            if isinstance(piece, Token):
                text = str(piece)
                if piece.type in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
                    text = text[1:]
                parts.append(_unescape(text))
            elif piece.data == "interpolation":
                value = self.evaluate(self._children(piece)[0], scope)
                if isinstance(value, Unknown):
                    unknown = unknown or value
                else:
                    parts.append(_as_string(value, self.where(piece)))
            else:
                return Unknown(f"{self.where(piece)}: a template directive (%{{ … }})")
        return unknown if unknown is not None else "".join(parts)

    def _template_string(self, node: Tree[Any], scope: Mapping[str, Val]) -> Val:
        return Unknown(f"{self.where(node)}: a quoted template inside a directive")

    def _heredoc_template(self, node: Tree[Any], scope: Mapping[str, Val]) -> Val:
        return self._heredoc(node, trim=False)

    def _heredoc_template_trim(self, node: Tree[Any], scope: Mapping[str, Val]) -> Val:
        return self._heredoc(node, trim=True)

    def _heredoc(self, node: Tree[Any], trim: bool) -> Val:
        text = str(node.children[0])
        body = text.split("\n", 1)[1].rsplit("\n", 2)[0] + "\n" if "\n" in text else ""
        if "${" in body.replace("$${", "") or "%{" in body.replace("%%{", ""):
            return Unknown(f"{self.where(node)}: a heredoc with interpolation")
        lines = body.split("\n")
        if trim:
            indents = [len(x) - len(x.lstrip()) for x in lines if x.strip()]
            cut = min(indents, default=0)
            lines = [x[cut:] for x in lines]
        return "\n".join(lines).replace("$${", "${").replace("%%{", "%{")

    def _tuple(self, node: Tree[Any], scope: Mapping[str, Val]) -> Val:
        return [self.evaluate(c, scope) for c in self._children(node)]

    def _object(self, node: Tree[Any], scope: Mapping[str, Val]) -> Val:
        result: dict[str, Val] = {}
        for elem in self._children(node):
            key_node, value_node = self._children(elem)
            key = self._key(key_node, scope)
            if isinstance(key, Unknown):
                return key
            result[key] = self.evaluate(value_node, scope)
        return result

    def _key(self, node: Tree[Any], scope: Mapping[str, Val]) -> str | Unknown:
        [inner] = self._children(node) or [node]
        if inner.data == "keyword":
            return str(inner.children[0])
        term = self._children(inner)
        if inner.data == "expr_term" and len(term) == 1 and term[0].data == "identifier":
            return str(term[0].children[0])  # a bare name is the key itself
        value = self.evaluate(inner, scope)
        if isinstance(value, Unknown):
            return value
        return _as_string(value, self.where(node))

    # --- operators -------------------------------------------------------------------------

    def _conditional(self, node: Tree[Any], scope: Mapping[str, Val]) -> Val:
        cond, yes, no = self._children(node)
        test = self.evaluate(cond, scope)
        if isinstance(test, Unknown):
            return test
        if not isinstance(test, bool):
            raise EvalError(f"{self.where(node)}: the condition is not true or false")
        return self.evaluate(yes if test else no, scope)

    def _unary_op(self, node: Tree[Any], scope: Mapping[str, Val]) -> Val:
        op = str(node.children[0])
        value = self.evaluate(self._children(node)[-1], scope)
        if isinstance(value, Unknown):
            return value
        if op == "!" and isinstance(value, bool):
            return not value
        if op == "-" and _number(value):
            return -value
        raise EvalError(f"{self.where(node)}: `{op}` does not apply to {_kind(value)}")

    def _binary_op(self, node: Tree[Any], scope: Mapping[str, Val]) -> Val:
        left_node, term = self._children(node)[:2]
        operator_node, right_node = self._children(term)
        op = str(operator_node.children[0])
        left = self.evaluate(left_node, scope)
        right = self.evaluate(right_node, scope)
        for side in (left, right):
            if isinstance(side, Unknown):
                return side
        where = self.where(node)
        if op == "==":
            return bool(left == right)
        if op == "!=":
            return bool(left != right)
        if op in ("&&", "||"):
            if not (isinstance(left, bool) and isinstance(right, bool)):
                raise EvalError(f"{where}: `{op}` needs true or false on both sides")
            return (left and right) if op == "&&" else (left or right)
        left, right = _to_number(left, where), _to_number(right, where)
        if op in ("/", "%") and right == 0:
            raise EvalError(f"{where}: division by zero")
        return _ARITHMETIC[op](left, right)

    # --- traversal ------------------------------------------------------------------------

    def _get_attr_expr_term(self, node: Tree[Any], scope: Mapping[str, Val]) -> Val:
        target_node, attr = self._children(node)
        target = self.evaluate(target_node, scope)
        name = str(self._children(attr)[0].children[0])
        return self._attribute(target, name, attr)

    def _attribute(self, target: Val, name: str, node: Tree[Any]) -> Val:
        if isinstance(target, Unknown):
            return target
        if isinstance(target, Mapping):
            if name not in target:
                raise EvalError(f"{self.where(node)}: there is no attribute `{name}`")
            return target[name]
        raise EvalError(f"{self.where(node)}: {_kind(target)} has no attribute `{name}`")

    def _index_expr_term(self, node: Tree[Any], scope: Mapping[str, Val]) -> Val:
        target_node, index = self._children(node)
        target = self.evaluate(target_node, scope)
        return self._index(target, index, scope)

    def _index(self, target: Val, index: Tree[Any], scope: Mapping[str, Val]) -> Val:
        if index.data == "short_index":
            key: Val = int(str(index.children[-1]))
        else:
            key = self.evaluate(self._children(index)[0], scope)
        for value in (target, key):
            if isinstance(value, Unknown):
                return value
        where = self.where(index)
        if isinstance(target, list):
            number = _to_number(key, where)
            if number != int(number) or not 0 <= number < len(target):
                raise EvalError(f"{where}: index {key} is out of range")
            return target[int(number)]
        if isinstance(target, Mapping):
            text = _as_string(key, where)
            if text not in target:
                raise EvalError(f"{where}: there is no key {json.dumps(text)}")
            return target[text]
        raise EvalError(f"{where}: {_kind(target)} cannot be indexed")

    def _splat(self, node: Tree[Any], scope: Mapping[str, Val]) -> Val:
        target_node, splat = self._children(node)
        target = self.evaluate(target_node, scope)
        if isinstance(target, Unknown):
            return target
        items = target if isinstance(target, list) else ([] if target is None else [target])
        result = []
        for item in items:
            for step in self._children(splat):
                if step.data == "get_attr":
                    item = self._attribute(item, str(self._children(step)[0].children[0]), step)
                else:
                    item = self._index(item, step, scope)
            result.append(item)
        return result

    _attr_splat_expr_term = _splat
    _full_splat_expr_term = _splat

    # --- for expressions -------------------------------------------------------------------

    def _for_tuple_expr(self, node: Tree[Any], scope: Mapping[str, Val]) -> Val:
        intro, value_node, *cond = self._children(node)
        pairs = self._for_pairs(intro, scope)
        if isinstance(pairs, Unknown):
            return pairs
        result = []
        try:
            for inner in pairs:
                if cond and not self._for_keep(cond[0], inner):
                    continue
                result.append(self.evaluate(value_node, inner))
        except _Unknowable as exc:
            return exc.value
        return result

    def _for_object_expr(self, node: Tree[Any], scope: Mapping[str, Val]) -> Val:
        intro, key_node, value_node, *cond = self._children(node)
        grouped = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in node.children)
        pairs = self._for_pairs(intro, scope)
        if isinstance(pairs, Unknown):
            return pairs
        result: dict[str, Val] = {}
        for inner in pairs:
            try:
                if cond and not self._for_keep(cond[0], inner):
                    continue
            except _Unknowable as exc:
                return exc.value
            key = self.evaluate(key_node, inner)
            if isinstance(key, Unknown):
                return key
            text = _as_string(key, self.where(key_node))
            value = self.evaluate(value_node, inner)
            if grouped:
                result.setdefault(text, []).append(value)
            elif text in result:
                raise EvalError(f"{self.where(key_node)}: duplicate key {json.dumps(text)}")
            else:
                result[text] = value
        return result

    def _for_pairs(
        self, intro: Tree[Any], scope: Mapping[str, Val]
    ) -> list[dict[str, Val]] | Unknown:
        names = [str(c.children[0]) for c in self._children(intro) if c.data == "identifier"]
        collection = self.evaluate(self._children(intro)[-1], scope)
        if isinstance(collection, Unknown):
            return collection
        if isinstance(collection, Mapping):
            items = [(k, collection[k]) for k in sorted(collection)]
        elif isinstance(collection, list):
            items = list(enumerate(collection))
        else:
            raise EvalError(f"{self.where(intro)}: cannot iterate over {_kind(collection)}")
        pairs = []
        for key, value in items:
            inner = dict(scope)
            if len(names) == 2:
                inner[names[0]], inner[names[1]] = key, value
            else:
                inner[names[0]] = value
            pairs.append(inner)
        return pairs

    def _for_keep(self, cond: Tree[Any], scope: Mapping[str, Val]) -> bool:
        keep = self.evaluate(self._children(cond)[0], scope)
        if isinstance(keep, Unknown):
            raise _Unknowable(keep)
        return bool(keep)

    # --- functions -------------------------------------------------------------------------

    def _function_call(self, node: Tree[Any], scope: Mapping[str, Val]) -> Val:
        parts = [c for c in node.children if isinstance(c, Tree)]
        name = "::".join(str(c.children[0]) for c in parts if c.data == "identifier")
        arguments = next((c for c in parts if c.data == "arguments"), None)
        arg_trees = self._children(arguments) if arguments is not None else []
        expand = arguments is not None and any(
            isinstance(c, Token) and c.type == "ELLIPSIS" for c in arguments.children
        )
        where = self.where(node)
        if name in ("try", "can"):
            return self._try(name, arg_trees, scope, where)
        function = self.functions.get(name)
        if function is None:
            return Unknown(f"{where}: iacplan does not evaluate {name}()")
        args = [self.evaluate(a, scope) for a in arg_trees]
        if expand and args:
            last = args.pop()
            if isinstance(last, Unknown):
                return last
            args.extend(last if isinstance(last, list) else [last])
        try:
            return function(args, line_of(node))
        except _Unknowable as exc:
            return exc.value
        except (TypeError, ValueError, KeyError, IndexError) as exc:
            raise EvalError(f"{where}: {name}(): {exc}") from exc

    def _try(self, name: str, args: list[Tree[Any]], scope: Mapping[str, Val], where: str) -> Val:
        for arg in args:
            try:
                value = self.evaluate(arg, scope)
            except EvalError:
                continue
            if _contains_unknown(value):
                # Whether it would have failed cannot be told: the outcome is unknown too.
                if isinstance(value, Unknown):
                    return value
                return Unknown(f"{where}: {name}() of a partly unknown value")
            return True if name == "can" else value
        if name == "can":
            return False
        raise EvalError(f"{where}: no argument of try() could be evaluated")


class _Unknowable(Exception):
    def __init__(self, value: Unknown) -> None:
        self.value = value


_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "%": lambda a, b: a % b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


def _contains_unknown(value: Val) -> bool:
    return first_unknown(value) is not None


def first_unknown(value: Val) -> Unknown | None:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, list):
        children = value
    elif isinstance(value, Mapping):
        children = [value[k] for k in value]
    else:
        return None
    for child in children:
        found = first_unknown(child)
        if found is not None:
            return found
    return None


def _unescape(text: str) -> str:
    escapes = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code in escapes:
            return escapes[code]
        if code[0] in "uU":
            return chr(int(code[1:], 16))
        return "\\" + code

    return re.sub(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", one, text)


def _number(value: Val) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _to_number(value: Val, where: str) -> int | float:
    if _number(value):
        return value  # type: ignore[no-any-return]
    if isinstance(value, str):
        try:
            return int(value) if re.fullmatch(r"-?\d+", value) else float(value)
        except ValueError:
            pass
    raise EvalError(f"{where}: {_kind(value)} is not a number")


def _kind(value: Val) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a bool"
    if _number(value):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _as_string(value: Val, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if _number(value):
        return str(int(value)) if float(value).is_integer() else str(value)
    raise EvalError(f"{where}: {_kind(value)} cannot be used as a string")


def plain(value: Val) -> Val:
    """`value` with every Lazy mapping evaluated into a dict (for merging and JSON)."""
    if isinstance(value, Mapping):
        return {k: plain(value[k]) for k in value}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


# --- Terraform's pure functions -----------------------------------------------------------
# Each takes the evaluated arguments; an unknown argument makes the result unknown (checked
# once here rather than in each function).


def _pure(function: Callable[..., Val], shallow: bool = False) -> Callable[[list[Val], int], Val]:
    """`shallow`: the function only moves values around (merge, concat…), so unknown values
    inside its arguments stay where they are instead of making the whole result unknown."""

    def call(args: list[Val], line: int) -> Val:
        if shallow:
            found = next((a for a in args if isinstance(a, Unknown)), None)
        else:
            found = first_unknown(args)
        if found is not None:
            raise _Unknowable(found)
        return function(*[plain(a) for a in args])

    return call


def _merge(*maps: Val) -> Val:
    result: dict[str, Val] = {}
    for item in maps:
        if item is None:
            continue
        if not isinstance(item, dict):
            raise TypeError("arguments must be objects")
        result.update(item)
    return result


def _lookup(mapping: Val, key: Val, *default: Val) -> Val:
    if not isinstance(mapping, dict):
        raise TypeError("the first argument must be an object")
    if key in mapping:
        return mapping[key]
    if default:
        return default[0]
    raise KeyError(f"no key {json.dumps(key)}")


def _coalesce(*values: Val) -> Val:
    for value in values:
        if value is not None and value != "":
            return value
    raise ValueError("no non-null, non-empty argument")


def _format(spec: str, *args: Val) -> str:
    values = iter(args)

    def one(match: re.Match[str]) -> str:
        verb = match.group(1)
        if verb == "%":
            return "%"
        value = next(values)
        if verb == "d":
            return str(int(value))
        if verb == "q":
            return json.dumps(value)
        return value if isinstance(value, str) else json.dumps(value)

    return re.sub(r"%(?:[-+ #0]*\d*(?:\.\d+)?)([sdvqf%])", one, spec)


def _yamldecode(text: str) -> Val:
    import yaml

    return yaml.safe_load(text)


def _element(items: list[Val], index: int) -> Val:
    return items[int(index) % len(items)]


_SHALLOW: dict[str, Callable[..., Val]] = {
    "merge": _merge,
    "lookup": _lookup,
    "concat": lambda *lists: [x for items in lists for x in items],
    "tomap": lambda m: dict(m),
    "tolist": lambda items: list(items),
}
_PURE: dict[str, Callable[..., Val]] = {
    "coalesce": _coalesce,
    "format": _format,
    "jsondecode": json.loads,
    "jsonencode": lambda v: json.dumps(v, separators=(",", ":"), sort_keys=True),
    "yamldecode": _yamldecode,
    "lower": lambda s: s.lower(),
    "upper": lambda s: s.upper(),
    "trimspace": lambda s: s.strip(),
    "trim": lambda s, chars: s.strip(chars),
    "trimprefix": lambda s, p: s.removeprefix(p),
    "trimsuffix": lambda s, p: s.removesuffix(p),
    "replace": lambda s, old, new: s.replace(old, new),
    "split": lambda sep, s: s.split(sep),
    "join": lambda sep, items: sep.join(items),
    "contains": lambda items, value: value in items,
    "keys": lambda m: sorted(m),
    "values": lambda m: [m[k] for k in sorted(m)],
    "length": len,
    "element": _element,
    "flatten": lambda items: [y for x in items for y in (x if isinstance(x, list) else [x])],
    "distinct": lambda items: [json.loads(i) for i in dict.fromkeys(map(json.dumps, items))],
    "startswith": lambda s, p: s.startswith(p),
    "endswith": lambda s, p: s.endswith(p),
    "tostring": lambda v: v if isinstance(v, str) else _as_string(v, "tostring"),
    "tonumber": lambda v: _to_number(v, "tonumber"),
    "tobool": lambda v: v if isinstance(v, bool) else {"true": True, "false": False}[v],
    "toset": lambda items: sorted(set(items)),
    "compact": lambda items: [x for x in items if x not in ("", None)],
    "zipmap": lambda ks, vs: dict(zip(ks, vs, strict=True)),
    "min": min,
    "max": max,
    "abs": abs,
    "dirname": lambda path: path.rsplit("/", 1)[0] if "/" in path else ".",
    "basename": lambda path: path.rstrip("/").rsplit("/", 1)[-1],
}
_TERRAFORM_FUNCTIONS: dict[str, Callable[[list[Val], int], Val]] = {
    **{name: _pure(function, shallow=True) for name, function in _SHALLOW.items()},
    **{name: _pure(function) for name, function in _PURE.items()},
}
