"""The fast check: a plain-Python reading of a request body's pydantic-core schema, for the bodies it can vouch for.

It answers True only when pydantic-core would accept the body (each node it knows checks a narrower condition than
pydantic-core's: exact types, finite numbers, strings that are valid UTF-8, patterns without escapes matched in full
on ASCII text without a newline); anything else, including any schema key it does not know, answers False and the
body goes to pydantic-core, which decides and words the errors. A valid call therefore needs no pydantic-core
import, and an invalid one gets exactly pydantic-core's verdict. tests/test_validation_core.py checks both halves.

The schemas are ``imagineo_api.core_schemas`` (written at generation time by generator/core_schemas.py); `_models`
asks `fast_check(class_name)` first and gives every body it does not vouch for to pydantic-core.
"""

from __future__ import annotations

import functools
import math
import typing
from collections.abc import Mapping
from typing import Any

__all__ = ["fast_check"]


_Check = typing.Callable[[Any], bool]
_MAX_EXACT_FLOAT_INT = 2**53  # an int a float field converts without rounding
_MAX_INT = 2**63  # pydantic-core's own integers go further; past this the fast check defers to it


def _never(value: object) -> bool:
    return False


def _fits(value: float, node: Mapping[str, Any]) -> bool:
    return ("ge" not in node or value >= node["ge"]) and ("le" not in node or value <= node["le"])


def _str_check(node: Mapping[str, Any]) -> _Check | None:
    import re

    pattern = node.get("pattern")
    if pattern is not None and ("\\" in pattern or not (pattern.startswith("^") and pattern.endswith("$"))):
        return None
    regex = re.compile(pattern) if pattern is not None else None
    lo, hi = node.get("min_length", 0), node.get("max_length")

    def check(value: object) -> bool:
        if type(value) is not str or len(value) < lo or (hi is not None and len(value) > hi):
            return False
        if regex is not None:
            return value.isascii() and "\n" not in value and regex.fullmatch(value) is not None
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: pydantic-core cannot read it
                return False
        return True

    return check


def _number_check(node: Mapping[str, Any]) -> _Check:
    is_float = node["type"] == "float"

    def check(value: object) -> bool:
        if type(value) is int:
            return abs(value) < (_MAX_EXACT_FLOAT_INT if is_float else _MAX_INT) and _fits(value, node)
        if is_float and type(value) is float:
            return math.isfinite(value) and _fits(value, node)
        return False

    return check


_KNOWN_KEYS: Mapping[str, frozenset[str]] = {
    "str": frozenset({"type", "strict", "min_length", "max_length", "pattern"}),
    "int": frozenset({"type", "strict", "ge", "le"}),
    "float": frozenset({"type", "strict", "ge", "le"}),
    "bool": frozenset({"type", "strict"}),
    "literal": frozenset({"type", "expected"}),
    "list": frozenset({"type", "items_schema", "min_length", "max_length"}),
    "nullable": frozenset({"type", "schema"}),
}


def _compile(node: Mapping[str, Any]) -> _Check | None:
    """A check for one core-schema node, or None when the node uses something the fast check does not know."""
    kind = str(node.get("type"))
    if kind not in _KNOWN_KEYS or not set(node) <= _KNOWN_KEYS[kind] or node.get("strict", True) is not True:
        return None
    if kind == "str":
        return _str_check(node)
    if kind in ("int", "float"):
        return _number_check(node)
    if kind == "bool":
        return lambda value: type(value) is bool
    if kind == "literal":
        expected = node["expected"]
        if not all(type(e) is str for e in expected):
            return None
        choices = frozenset(expected)
        return lambda value: type(value) is str and value in choices
    inner = _compile(node["items_schema"] if kind == "list" else node["schema"])
    if inner is None:
        return None
    if kind == "nullable":
        return lambda value: value is None or inner(value)
    lo, hi = node.get("min_length", 0), node.get("max_length")
    return lambda value: (
        type(value) is list and lo <= len(value) and (hi is None or len(value) <= hi) and all(map(inner, value))
    )


@functools.cache
def fast_check(class_name: str) -> _Check:
    """The fast check of one request body class (a `model-fields` schema), built from imagineo_api.core_schemas."""
    from imagineo_api import core_schemas

    entry = core_schemas.SCHEMAS[class_name]
    schema, config = entry["schema"], entry["config"]
    if set(schema) - {"type", "fields", "model_name", "computed_fields"} or schema.get("computed_fields"):
        return _never
    if set(config) - {"title", "extra_fields_behavior"} or config.get("extra_fields_behavior") != "forbid":
        return _never
    required: set[str] = set()
    fields: dict[str, _Check] = {}
    for name, field in schema["fields"].items():
        node = field["schema"]
        if set(field) != {"type", "schema"}:
            return _never
        if node["type"] == "default":
            if set(node) != {"type", "schema", "default"}:
                return _never
            node = node["schema"]
        else:
            required.add(name)
        check = _compile(node)
        if check is None:
            return _never
        fields[name] = check

    def check_body(body: Mapping[str, Any]) -> bool:
        for name, value in body.items():
            field_check = fields.get(name)
            if field_check is None or not field_check(value):
                return False
        return required.issubset(body)

    return check_body
