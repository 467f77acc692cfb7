"""Templates with a key written twice in one mapping, read the way CloudFormation reads them.

cfn-lint's decoder refuses them (E0000 "Duplicate found"), but CloudFormation deploys them, each
key taking its last value, for YAML and JSON alike: a property or a whole resource written again
further down silently replaces the first. Published samples have such keys, so refusing them
would refuse templates that are deployed. Each key read over is recorded on the template, and
every environment of the template gets a note naming both places.

cfn-lint is imported inside the functions, like everywhere else (its import costs half a second).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from iacplan.inputs.cloudformation.values import line_of

# Set on the decoded template (cfn-lint's dict node takes attributes, as its yaml_aliases).
_ATTRIBUTE = "iacplan_duplicates"


def decode_last_wins(text: str, shown: str) -> Any:
    """The template with each duplicate key's last value, or None when it still cannot be
    decoded (the caller then reports cfn-lint's own error)."""
    from yaml.scanner import ScannerError

    found: list[tuple[str, int, int]] = []  # key, line read over, line kept
    try:
        template = _yaml(text, shown, found)
    except ScannerError:  # cfn-lint reads JSON with tabs as JSON, after YAML refused it
        try:
            template = _json(text, found)
        except Exception:
            return None
    except Exception:
        return None
    if not isinstance(template, dict) or not found:
        return None
    setattr(template, _ATTRIBUTE, tuple(sorted(set(found), key=lambda d: (d[1], d[2], d[0]))))
    return template


def notes(template: object, file: str) -> tuple[str, ...]:
    return tuple(
        f"{file}:{dropped}: {key} is written again at line {kept}; CloudFormation keeps the "
        f"last one, so line {kept} is what is read (and deployed)"
        for key, dropped, kept in getattr(template, _ATTRIBUTE, ())
    )


def _yaml(text: str, shown: str, found: list[tuple[str, int, int]]) -> Any:
    from cfnlint.decode.cfn_yaml import _guard_alias_expansion, multi_constructor

    loader = _last_wins_loader()(text, shown)
    loader.found = found
    loader.add_multi_constructor("!", multi_constructor)
    template = loader.get_single_data()
    if "&" in text:  # as cfn-lint does: an alias that expands without bound is refused
        _guard_alias_expansion(template, shown)
    return template


@cache
def _last_wins_loader() -> Any:
    from cfnlint.decode.cfn_yaml import CfnFullLoader, NodeConstructor

    class LastWins(CfnFullLoader):  # type: ignore[misc]
        found: list[tuple[str, int, int]]

        def construct_yaml_map(self, node: Any) -> Any:
            self.flatten_mapping(node)
            if not getattr(node, "using_merge", False):  # `<<:` keys override on purpose
                node.value = self._last_of_each(node.value)
            return NodeConstructor.construct_yaml_map(self, node)

        def _last_of_each(self, pairs: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
            kept: dict[Any, int] = {}
            for index, (key_node, _) in enumerate(pairs):
                key = self.construct_object(key_node, False)
                try:
                    earlier = kept.get(key)
                except TypeError:  # an unhashable key: cfn-lint's own error says so
                    return pairs
                if earlier is not None:
                    line = pairs[earlier][0].start_mark.line + 1
                    self.found.append((str(key), line, key_node.start_mark.line + 1))
                kept[key] = index
            return [pair for index, pair in enumerate(pairs) if index in kept.values()]

    LastWins.add_constructor("tag:yaml.org,2002:map", LastWins.construct_yaml_map)
    return LastWins


def _json(text: str, found: list[tuple[str, int, int]]) -> Any:
    from cfnlint.decode.cfn_json import CfnJSONDecoder
    from cfnlint.decode.node import dict_node

    def last_wins(pairs: list[tuple[Any, Any]], begin: Any, end: Any) -> Any:
        mapping = dict_node({}, begin, end)
        for key, value in pairs:
            if key in mapping:
                earlier = next(k for k in mapping if k == key)
                found.append((str(key), line_of(earlier, 1), line_of(key, 1)))
                del mapping[key]  # so the key kept is the last one, with its line
            mapping[key] = value
        return mapping

    class LastWins(CfnJSONDecoder):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.object_pairs_hook = last_wins

    return json.loads(text, cls=LastWins)
