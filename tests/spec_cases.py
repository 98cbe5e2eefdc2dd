"""The spec, read once for every test: its model types, their schemas, its examples, and the bodies derived from them.

Nothing here lists a model type, a field, a range or a default: every table the suites run over comes from
openapi/imagineo.yaml, so a model type or a field added to the spec is tested by every suite after ``make generate``
(wire, validation boundaries, Prism contract, differential, sandbox, CLI).

* `VARIANTS`: model_type -> its JSON Schema with every ``$ref`` and ``allOf`` inlined (keywords beside them win), in
  the oneOf's order; `SPEC_DEFAULTS`: each field's ``default``; `EXAMPLE_FOR`: each model type's named example.
* `valid_value(prop)` / `other_valid_value(prop)`: values a property's schema accepts, made from its type, range,
  enum, format and item counts; `full_body(model_type)`: the named example plus every optional field it leaves out,
  so "every field" stays true when the spec grows.
* `SEED`: what the TypeScript SDK's page (../shared/seed/images-generate.txt) documents. Tests that pin it say "the
  spec still says this", never "the spec has exactly this many".
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "openapi" / "imagineo.yaml"
ENDPOINT = "/api/v1/runs/generate"

SPEC: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]
OPERATION: dict[str, Any] = SPEC["paths"][ENDPOINT]["post"]
INPUT_SCHEMA: dict[str, Any] = SCHEMAS["GenerateImageInput"]
TAG_FIELD: str = INPUT_SCHEMA["discriminator"]["propertyName"]
DISCRIMINATOR_MAPPING: dict[str, str] = INPUT_SCHEMA["discriminator"]["mapping"]
DEFAULT_MODEL_TYPE: str = INPUT_SCHEMA["x-imagineo-default-model-type"]
REQUEST_EXAMPLES: dict[str, dict[str, Any]] = {
    name: example["value"]
    for name, example in OPERATION["requestBody"]["content"]["application/json"]["examples"].items()
}
#: The 200 examples in the spec's order; Prism (static mode) answers with the first.
RESPONSE_EXAMPLES_200: list[dict[str, Any]] = [
    example["value"] for example in OPERATION["responses"]["200"]["content"]["application/json"]["examples"].values()
]


def resolve(node: Any) -> Any:
    """`node` with every local ``$ref`` and every ``allOf`` inlined; keywords written beside them win.

    The spec only writes annotations (description, default) beside a ``$ref`` or an ``allOf``, so merging is the
    same as JSON Schema 2020-12's "both apply". The OpenAPI-only ``discriminator`` keyword is dropped (JSON Schema
    validators ignore it anyway), and so are ``x-`` extensions.
    """
    if isinstance(node, dict):
        merged: dict[str, Any] = {}
        if "$ref" in node:
            ref = node["$ref"]
            assert ref.startswith("#/components/schemas/"), ref
            merged.update(resolve(SCHEMAS[ref.rsplit("/", 1)[1]]))
        for part in node.get("allOf", []):
            merged.update(resolve(part))
        merged.update(
            {
                k: resolve(v)
                for k, v in node.items()
                if k not in ("$ref", "allOf", "discriminator") and not k.startswith("x-")
            }
        )
        return merged
    if isinstance(node, list):
        return [resolve(item) for item in node]
    return node


#: model_type -> that variant's JSON Schema, refs inlined, in the oneOf's order (the SDK's MODEL_TYPES order).
VARIANTS: dict[str, dict[str, Any]] = {}
for _member in INPUT_SCHEMA["oneOf"]:
    _schema = resolve(_member)
    VARIANTS[_schema["properties"][TAG_FIELD]["const"]] = _schema
MODEL_TYPES: list[str] = list(VARIANTS)
#: model_type -> the name of its schema in components.schemas.
VARIANT_SCHEMA_NAMES: dict[str, str] = {tag: ref.rsplit("/", 1)[1] for tag, ref in DISCRIMINATOR_MAPPING.items()}

#: model_type -> the spec's ``default`` of each of its fields that has one.
SPEC_DEFAULTS: dict[str, dict[str, Any]] = {
    model_type: {name: prop["default"] for name, prop in schema["properties"].items() if "default" in prop}
    for model_type, schema in VARIANTS.items()
}

#: model_type -> its first named request example (the spec has one per model type: tests/test_spec.py).
EXAMPLE_FOR: dict[str, dict[str, Any]] = {}
for _example in REQUEST_EXAMPLES.values():
    EXAMPLE_FOR.setdefault(_example[TAG_FIELD], _example)


def required(model_type: str) -> list[str]:
    return list(VARIANTS[model_type].get("required", []))


def optional(model_type: str) -> list[str]:
    return [name for name in VARIANTS[model_type]["properties"] if name not in required(model_type)]


def fields_where(test: Callable[[dict[str, Any]], bool]) -> list[tuple[str, str, dict[str, Any]]]:
    """(model_type, field, resolved schema) of every field but the model type's own whose schema passes `test`, in
    the spec's order: how a test picks "a bounded integer", "a uri field" without naming one."""
    return [
        (model_type, name, prop)
        for model_type, schema in VARIANTS.items()
        for name, prop in schema["properties"].items()
        if name != TAG_FIELD and test(prop)
    ]


def with_defaults(body: dict[str, Any]) -> dict[str, Any]:
    """The body a conforming client sends for `body`: the spec's defaults for the fields it leaves out, then it."""
    return {**SPEC_DEFAULTS[body.get(TAG_FIELD, DEFAULT_MODEL_TYPE)], **body}


# -- values a schema accepts -------------------------------------------------------------------------------------------

_FORMAT_VALUES = {
    "uri": ["https://images.example.com/a.png", "http://127.0.0.1:8080/b.jpg?size=large&v=2#crop"],
    "uuid": ["3f1c2a9e-6b7d-4e2f-9a1b-5c8d7e6f4a3b", "0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"],
}


def _numbers(prop: dict[str, Any]) -> list[float]:
    integer = prop.get("type") == "integer"
    lo = prop.get("minimum", prop.get("exclusiveMinimum", 0))
    hi = prop.get("maximum", prop.get("exclusiveMaximum", lo + 100))
    if "exclusiveMinimum" in prop:
        lo = lo + 1 if integer else lo + (hi - lo) / 4
    if "exclusiveMaximum" in prop:
        hi = hi - 1 if integer else hi - (hi - lo) / 4
    mid = (lo + hi) // 2 if integer else (lo + hi) / 2
    return [hi, mid, lo]


def valid_values(prop: dict[str, Any]) -> list[Any]:
    """Values `prop` (a resolved property schema) accepts, most informative first (never its default first)."""
    if "const" in prop:
        return [prop["const"]]
    if "enum" in prop:
        choices = list(prop["enum"])
        return [c for c in reversed(choices) if c != prop.get("default")] or choices
    kind = prop.get("type")
    if kind in ("integer", "number"):
        return [v for v in _numbers(prop) if v != prop.get("default")] or _numbers(prop)
    if kind == "boolean":
        return [not prop.get("default", False)]
    if kind == "array":
        item_values = valid_values(prop.get("items", {}))
        count = max(prop.get("minItems", 1), min(prop.get("maxItems", 2), 2))
        return [[item_values[i % len(item_values)] for i in range(count)]]
    if kind == "string":
        candidates = [*_FORMAT_VALUES.get(prop.get("format", ""), []), "fantasy-style-v1", "x" * 8]
        pattern = prop.get("pattern")
        lo, hi = prop.get("minLength", 0), prop.get("maxLength", 10**9)
        fits = [c for c in candidates if lo <= len(c) <= hi and (pattern is None or re.search(pattern, c))]
        if fits:
            return fits
        raise AssertionError(f"tests/spec_cases.py cannot make a string for {prop!r}: add a candidate for it")
    raise AssertionError(f"tests/spec_cases.py cannot make a value for {prop!r}")


def valid_value(prop: dict[str, Any]) -> Any:
    return valid_values(prop)[0]


def full_body(model_type: str) -> dict[str, Any]:
    """The model type's named example plus every optional field it leaves out, each at a valid value."""
    body = copy.deepcopy(EXAMPLE_FOR[model_type])
    for name, prop in VARIANTS[model_type]["properties"].items():
        if name not in body:
            body[name] = valid_value(prop)
    return body


def minimal_body(model_type: str) -> dict[str, Any]:
    """Only the required fields, taken from the named example (or made up where the example leaves one out)."""
    example = EXAMPLE_FOR[model_type]
    props = VARIANTS[model_type]["properties"]
    return {
        name: copy.deepcopy(example[name]) if name in example else valid_value(props[name])
        for name in required(model_type)
    }


# -- what the TypeScript SDK's page documents -------------------------------------------------------------------------

#: The seed page's model types, the fields it calls required for each (besides prompt), and the defaults it names.
#: A spec that drops one of these breaks a documented promise; tests say which one.
SEED: dict[str, dict[str, Any]] = {
    "flux-dev": {"required": [], "defaults": {}},
    "openai": {"required": [], "defaults": {}},
    "google-imagen4": {"required": ["aspect_ratio"], "defaults": {}},
    "flux-kontext-max": {"required": [], "defaults": {"aspect_ratio": "1:1"}},
    "flux-kontext-multi": {"required": [], "defaults": {}},
    "wan-image-2.1": {"required": ["model_id"], "defaults": {"strength_model": 1}},
    "wan-image-2.2": {
        "required": ["model_id", "lora_low_name", "lora_high_name"],
        "defaults": {"lora_low_strength": 0.5, "lora_high_strength": 1.0, "batch_size": 1},
    },
    "nanobanana": {"required": [], "defaults": {}},
    "qwen-image-edit": {"required": [], "defaults": {"strength_model": 1}},
}
SEED_DEFAULT_MODEL_TYPE = "flux-dev"
