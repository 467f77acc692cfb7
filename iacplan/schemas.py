"""Loading the JSON schemas in schemas/ and validating documents against them."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from iacplan.errors import InputError

# Installed, the schemas ship as the iacplan.schemas package; in a source tree they sit
# at the top of the repository.
_CANDIDATES = (Path(__file__).parent / "schemas", Path(__file__).parent.parent / "schemas")


@cache
def load_schema(name: str) -> dict[str, Any]:
    for folder in _CANDIDATES:
        path = folder / name
        if path.is_file():
            schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return schema
    raise FileNotFoundError(f"schema {name} is not installed with iacplan")


def validate(document: Any, schema_name: str, source: str) -> None:
    """Raise InputError naming `source` and the offending field when `document` is invalid."""
    import jsonschema  # about 0.1 s: only when a config or another catalog is read

    validator = jsonschema.Draft202012Validator(load_schema(schema_name))
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InputError(f"{source}: {where}: {error.message}")
