"""The hand-maintained spec, openapi/imagineo.yaml, checked on its own: valid OpenAPI 3.1, lint-clean under Redocly's
recommended rules, its named request examples valid against their variant, and its conventions held by every variant.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.spec_cases import EXAMPLE_FOR, SEED, VARIANTS, resolve

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "openapi" / "imagineo.yaml"
REDOCLY = ROOT / "node_modules" / ".bin" / "redocly"
SPEC_URI = "urn:imagineo:openapi"
OPERATION = ("paths", "/api/v1/runs/generate", "post")
# Property names that hold image URLs, in requests and responses.
IMAGE_URL_FIELD = re.compile(r"(^|_)image_urls?$")


# --- helpers -----------------------------------------------------------------------------------------------------


def _load_spec() -> dict[str, Any]:
    with SPEC_PATH.open() as fh:
        return yaml.safe_load(fh)  # type: ignore[no-any-return]


SPEC = _load_spec()
REQUEST_BODY = SPEC["paths"]["/api/v1/runs/generate"]["post"]["requestBody"]["content"]["application/json"]
EXAMPLES: dict[str, dict[str, Any]] = {name: ex["value"] for name, ex in REQUEST_BODY["examples"].items()}
MAPPING: dict[str, str] = SPEC["components"]["schemas"]["GenerateImageInput"]["discriminator"]["mapping"]


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    """A schema with every $ref and allOf inlined (keywords beside them win): tests/spec_cases.py's one reading."""
    return resolve(node)  # type: ignore[no-any-return]


_merged = _resolve


def _schema_name(ref: str) -> str:
    prefix = "#/components/schemas/"
    assert ref.startswith(prefix), ref
    return ref[len(prefix) :]


def _validator(schema_name: str) -> Draft202012Validator:
    """A 2020-12 validator for one component schema, with every $ref resolved inside the whole spec."""
    registry: Registry[Any] = Registry().with_resource(SPEC_URI, Resource(contents=SPEC, specification=DRAFT202012))
    return Draft202012Validator(
        {"$ref": f"{SPEC_URI}#/components/schemas/{schema_name}"},
        registry=registry,
        format_checker=FormatChecker(),
    )


def _variant_for(example: dict[str, Any]) -> str:
    return _schema_name(MAPPING[example["model_type"]])


def _errors(validator: Draft202012Validator, instance: Any) -> list[ValidationError]:
    """All errors, flattened through oneOf/anyOf contexts, so the keyword that failed can be asserted."""
    out: list[ValidationError] = []
    stack = list(validator.iter_errors(instance))
    while stack:
        err = stack.pop()
        out.append(err)
        stack.extend(err.context or [])
    return out


def _variant_properties(schema_name: str) -> dict[str, dict[str, Any]]:
    return _resolve({"$ref": f"#/components/schemas/{schema_name}"})["properties"]  # type: ignore[no-any-return]


def _range_breaks() -> Iterator[Any]:
    """(example, field, bad value, keyword) for every bounded field each example sets, plus an enum outsider and an
    empty prompt where an example has no bounded number (every example gets at least one)."""
    for name, example in EXAMPLES.items():
        props = _variant_properties(_variant_for(example))
        cases = 0
        for field, value in example.items():
            schema = _merged(props[field])
            if schema.get("type") not in {"integer", "number"}:
                continue
            step = 1 if schema["type"] == "integer" else 0.5
            if "maximum" in schema:
                cases += 1
                yield pytest.param(name, field, schema["maximum"] + step, "maximum", id=f"{name}-{field}-over-max")
            if "minimum" in schema:
                cases += 1
                yield pytest.param(name, field, schema["minimum"] - step, "minimum", id=f"{name}-{field}-under-min")
            assert isinstance(value, int | float)
        for field in example:
            schema = _merged(props[field])
            if "enum" in schema:
                cases += 1
                yield pytest.param(name, field, "17:9x", "enum", id=f"{name}-{field}-outsider")
            if schema.get("minLength") == 1:
                cases += 1
                yield pytest.param(name, field, "", "minLength", id=f"{name}-{field}-empty")
        assert cases, f"example {name} sets no bounded, enumerated or non-empty field to break"


def _required_breaks() -> Iterator[Any]:
    for name, example in EXAMPLES.items():
        required = _resolve({"$ref": MAPPING[example["model_type"]]})["required"]
        for field in required:
            yield pytest.param(name, field, id=f"{name}-without-{field}")


# --- the document as a whole -------------------------------------------------------------------------------------


def test_spec_is_valid_openapi_31(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1.")
    validate(spec)  # raises OpenAPIValidationError, naming the failing path, if it is not


def test_redocly_lint_recommended_has_no_errors_and_no_warnings() -> None:
    """Catches: a spec edit that breaks a `recommended` rule, and redocly.yaml's overrides no longer applied."""
    if not REDOCLY.exists():
        pytest.fail(f"{REDOCLY.relative_to(ROOT)} is missing: run `make install` (npm ci) first")
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH: Redocly CLI needs Node.js; install it, then run `make install`")
    env = {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true", "NO_COLOR": "1"}
    proc = subprocess.run(
        [str(REDOCLY), "lint", "openapi/imagineo.yaml", "--config", "redocly.yaml", "--format=json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"redocly lint failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    # The JSON report goes to stdout; the banner and progress lines go to stderr.
    report = json.loads(proc.stdout)
    problems = [
        f"{p['severity']} {p['ruleId']}: {p['message']} at {[loc.get('pointer') for loc in p['location']]}"
        for p in report["problems"]
    ]
    assert report["totals"]["errors"] == 0, problems
    assert report["totals"]["warnings"] == 0, problems
    assert problems == []
    # redocly.yaml (recommended + its overrides) was applied: `recommended` alone warns `no-server-example.com` on
    # the spec's placeholder server, which the config turns off, so zero warnings above means the config was read.
    # The config has no `apis:` section (it would break openapi-typescript from the repo root), so it is passed.
    assert "validating openapi/imagineo.yaml" in proc.stderr, proc.stderr


def test_format_checker_really_checks_uri_and_uuid() -> None:
    """jsonschema checks `uri` only when rfc3986-validator is importable; without it these tests would pass blind."""
    checker = FormatChecker()
    assert {"uri", "uuid"} <= set(checker.checkers)
    assert checker.conforms("https://example.com/a.png", "uri")
    assert not checker.conforms("not a uri", "uri")
    assert not checker.conforms("/relative/path.png", "uri")
    assert checker.conforms("3f1c2a9e-6b7d-4e2f-9a1b-5c8d7e6f4a3b", "uuid")
    assert not checker.conforms("not-a-uuid", "uuid")
    # And the validators built here apply it: a bad uri in a `format: uri` field is an error of keyword `format`.
    model_type, field = next(
        (m, f) for m, v in VARIANTS.items() for f, p in v["properties"].items() if p.get("format") == "uri"
    )
    bad = {**EXAMPLE_FOR[model_type], field: "https:// bad host/x.png"}
    assert "format" in {e.validator for e in _errors(_validator(_variant_for(bad)), bad)}


# --- named request examples --------------------------------------------------------------------------------------


def test_the_spec_still_has_the_seed_pages_model_types() -> None:
    """The TypeScript SDK's page documents these model types; breaks, naming it, if the spec drops one."""
    for model_type in SEED:
        assert model_type in MAPPING, f"the seed page documents model_type {model_type!r}; the spec lost it"


def test_one_named_example_per_model_type() -> None:
    example_types = [ex["model_type"] for ex in EXAMPLES.values()]
    assert sorted(example_types) == sorted(MAPPING), "exactly one example per model type in the discriminator mapping"
    for name, ex in EXAMPLES.items():
        assert name == ex["model_type"], f"example {name} is named after its model_type"


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_is_valid_for_its_variant(name: str) -> None:
    example = EXAMPLES[name]
    _validator(_variant_for(example)).validate(example)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_matches_exactly_one_branch_of_generate_image_input(name: str) -> None:
    example = EXAMPLES[name]
    _validator("GenerateImageInput").validate(example)  # oneOf: exactly one branch
    branches = [_schema_name(b["$ref"]) for b in SPEC["components"]["schemas"]["GenerateImageInput"]["oneOf"]]
    matching = [b for b in branches if _validator(b).is_valid(example)]
    assert matching == [_variant_for(example)]


@pytest.mark.parametrize(("name", "field"), list(_required_breaks()))
def test_example_without_a_required_field_is_rejected(name: str, field: str) -> None:
    broken = copy.deepcopy(EXAMPLES[name])
    del broken[field]
    variant_errors = _errors(_validator(_variant_for(EXAMPLES[name])), broken)
    assert any(e.validator == "required" and field in e.message for e in variant_errors), variant_errors
    assert not _validator("GenerateImageInput").is_valid(broken)


@pytest.mark.parametrize(("name", "field", "value", "keyword"), list(_range_breaks()))
def test_example_with_a_value_out_of_range_is_rejected(name: str, field: str, value: Any, keyword: str) -> None:
    broken = {**EXAMPLES[name], field: value}
    variant_errors = _errors(_validator(_variant_for(EXAMPLES[name])), broken)
    assert [e.validator for e in variant_errors] == [keyword], variant_errors
    assert list(variant_errors[0].absolute_path) == [field]
    assert not _validator("GenerateImageInput").is_valid(broken)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_with_an_unknown_field_is_rejected(name: str) -> None:
    broken = {**EXAMPLES[name], "widht": 512}
    assert "additionalProperties" in {e.validator for e in _errors(_validator(_variant_for(broken)), broken)}
    assert not _validator("GenerateImageInput").is_valid(broken)


def _convention_breaks() -> Iterator[Any]:
    """The header's conventions, broken in every field they apply to (from the spec, not a list of fields)."""
    for model_type, variant in VARIANTS.items():
        for field, prop in variant["properties"].items():
            where = f"{model_type}-{field}"
            if prop.get("format") == "uri":
                yield pytest.param(model_type, field, "/mycat.png", id=f"{where}-relative-url")
                yield pytest.param(model_type, field, "ftp://example.com/mycat.png", id=f"{where}-not-http")
            if prop.get("format") == "uuid":
                yield pytest.param(model_type, field, "3f1c2a9e6b7d4e2f9a1b5c8d7e6f4a3b", id=f"{where}-no-hyphens")
            if prop.get("type") == "integer":
                yield pytest.param(model_type, field, "512", id=f"{where}-integer-as-string")
                yield pytest.param(model_type, field, 512.5, id=f"{where}-integer-with-fraction")
            if prop.get("type") == "array" and prop.get("items", {}).get("format") == "uri":
                yield pytest.param(model_type, field, ["https://example.com/a.png", "mycat.png"], id=f"{where}-item")
            if "minItems" in prop:
                few = ["https://example.com/a.png"] * (prop["minItems"] - 1)
                yield pytest.param(model_type, field, few, id=f"{where}-too-few")


@pytest.mark.parametrize(("name", "field", "value"), list(_convention_breaks()))
def test_documented_conventions_are_enforced(name: str, field: str, value: Any) -> None:
    broken = {**EXAMPLE_FOR[name], field: value}
    assert not _validator(_variant_for(EXAMPLE_FOR[name])).is_valid(broken)
    assert not _validator("GenerateImageInput").is_valid(broken)


# --- conventions every variant follows ---------------------------------------------------------------------------


def test_oneof_and_discriminator_mapping_name_the_same_variants() -> None:
    gii = SPEC["components"]["schemas"]["GenerateImageInput"]
    assert gii["discriminator"]["propertyName"] == "model_type"
    assert sorted(b["$ref"] for b in gii["oneOf"]) == sorted(MAPPING.values())
    assert len(set(MAPPING.values())) == len(MAPPING)


@pytest.mark.parametrize("model_type", sorted(MAPPING))
def test_variant_is_closed_and_keyed_by_a_const_model_type(model_type: str) -> None:
    variant = _resolve({"$ref": MAPPING[model_type]})
    assert variant["type"] == "object"
    assert variant["additionalProperties"] is False
    assert {"prompt", "model_type"} <= set(variant["required"])
    model_type_schema = variant["properties"]["model_type"]
    assert model_type_schema["const"] == model_type
    assert model_type_schema["type"] == "string"
    assert set(variant["required"]) <= set(variant["properties"]), "every required field is declared"


def _image_url_fields() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for schema_name, schema in SPEC["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            if IMAGE_URL_FIELD.search(field):
                yield schema_name, field, prop


def test_every_image_url_field_uses_format_uri() -> None:
    found = list(_image_url_fields())
    names = {f"{s}.{f}" for s, f, _ in found}
    assert "GenerateImageOutput.image_url" in names  # the seed page: result.image_url
    for schema_name, field, prop in found:
        schema = _merged(prop)
        if schema.get("type") == "array":
            schema = _merged(schema["items"])
        assert schema.get("type") == "string", f"{schema_name}.{field}"
        assert schema.get("format") == "uri", f"{schema_name}.{field} must use format: uri"


def test_every_uuid_field_is_a_canonical_uuid() -> None:
    uuid_fields = [p for v in VARIANTS.values() for p in v["properties"].values() if p.get("format") == "uuid"]
    for schema in uuid_fields:
        assert re.fullmatch(schema["pattern"], "3f1c2a9e-6b7d-4e2f-9a1b-5c8d7e6f4a3b")
        assert not re.fullmatch(schema["pattern"], "3f1c2a9e6b7d4e2f9a1b5c8d7e6f4a3b")
