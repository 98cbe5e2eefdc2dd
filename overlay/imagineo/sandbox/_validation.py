"""Spec validation: where the spec is, loading it, and every way a request body breaks ``GenerateImageInput``.

The sandbox validates with jsonschema against the same openapi/imagineo.yaml the SDK is generated from: the variant
is picked by ``model_type`` through the spec's own discriminator mapping, and every problem becomes one entry of the
422's ``details`` (a JSON path such as ``width`` or ``image_urls.1``, and the rule in words).
"""

from __future__ import annotations

import functools
import importlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._exceptions import ImagineoError

__all__ = ["EXTRA_HINT", "MAX_DEPTH", "BodyError", "Spec", "load_spec", "parse_json", "problems", "spec_path"]

EXTRA_HINT = "the sandbox needs the 'cli' extra: pip install 'imagineo[cli]'"
#: Deepest nesting a body may have. The spec's deepest body is 2 levels (an object holding a list of strings).
MAX_DEPTH = 32


class BodyError(ValueError):
    """The body is not a JSON text the spec can apply to (answered 400 with the message)."""


def _no_constant(name: str) -> float:
    raise BodyError(f"The body is not JSON: {name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise BodyError(f"The body has a number too large for a double: {text[:40]}")
    return value


def parse_json(raw: bytes) -> object:
    """The body as JSON (RFC 8259 and I-JSON, RFC 7493), or BodyError.

    Stricter than `json.loads`, which takes ``NaN``/``Infinity``, turns ``1e400`` into infinity, keeps lone
    surrogates (``"\\ud800"``, not Unicode text) and raises RecursionError on a deeply nested body: each of those is
    a 400 here, never a 200 or a 500.
    """
    if not raw.strip():
        raise BodyError("The body is empty; send a JSON object")
    try:
        value = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except BodyError:
        raise
    except RecursionError:
        raise BodyError(f"The body is nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # UnicodeDecodeError included
        raise BodyError(f"The body is not JSON: {exc}") from None
    _check_tree(value)
    return value


def _check_tree(value: object) -> None:
    """Depth at most MAX_DEPTH, and every string (keys too) Unicode text; iterative, so any depth is safe."""
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                bad = item[exc.start].encode("unicode_escape").decode()
                raise BodyError(
                    f"The body is not Unicode text: a string holds a lone surrogate ({bad}); send UTF-8 text"
                ) from None
            continue
        if not isinstance(item, dict | list):
            continue
        if depth >= MAX_DEPTH:
            raise BodyError(f"The body is nested more than {MAX_DEPTH} levels deep")
        children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children)


def spec_path() -> Path:
    """The spec the sandbox serves: the copy shipped in the wheel, else the checkout's (editable install)."""
    package = Path(__file__).resolve().parent.parent  # imagineo/
    for candidate in (package / "_spec" / "imagineo.yaml", package.parent.parent / "openapi" / "imagineo.yaml"):
        if candidate.is_file():
            return candidate
    raise ImagineoError(f"openapi spec not found (looked in {package / '_spec'}); reinstall imagineo")


@dataclass(frozen=True)
class Spec:
    path: Path
    document: dict[str, Any]
    generate_path: str
    variants: dict[str, Any]  # model_type -> jsonschema validator of that variant
    variant_schemas: dict[str, dict[str, Any]]
    key_validator: Any  # validator of the Idempotency-Key parameter


@functools.cache
def _ecma_pattern(jsonschema: Any) -> Any:
    """JSON Schema's `pattern` with ECMA-262 semantics for a final ``$`` (the very end of the string).

    Python's ``$`` also matches before a trailing newline, so stock jsonschema would accept "https://example.com\\n"
    for the spec's URL pattern, which Prism and the SDK (pydantic's regex engine) refuse.
    """

    def pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
        anchored = pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith("\\$") else pattern
        if validator.is_type(instance, "string") and not re.search(anchored, instance):
            yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")

    return pattern


def inline_refs(document: dict[str, Any], node: Any, seen: tuple[str, ...] = ()) -> Any:
    """`node` with every local ``$ref`` (``#/...``) replaced by what it points to (keywords beside a $ref kept, as
    JSON Schema 2020-12 applies both); a $ref that would recurse is left as the registry's, with the base URI."""
    if isinstance(node, list):
        return [inline_refs(document, item, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    out = {key: inline_refs(document, value, seen) for key, value in node.items() if key != "$ref"}
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return {**out, "$ref": ref} if ref is not None else out
    if ref in seen:
        return {**out, "$ref": _BASE + ref}
    target: Any = document
    for part in ref.removeprefix("#/").split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    resolved = inline_refs(document, target, (*seen, ref))
    if not out:
        return resolved
    return {"allOf": [resolved], **out}


_BASE = "urn:imagineo:openapi"


def load_spec(path: Path) -> Spec:
    """The spec at `path`, loaded once per version of the file (its size and mtime): every sandbox (a fixture per
    test, a transport per test) would otherwise parse the YAML and build the validators again."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise ImagineoError(f"cannot read the spec {path}: {exc.strerror or exc}") from None
    return _load_spec(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _load_spec(path: Path, mtime_ns: int, size: int) -> Spec:
    try:
        yaml = importlib.import_module("yaml")
        jsonschema = importlib.import_module("jsonschema")
        referencing = importlib.import_module("referencing")
        referencing_jsonschema = importlib.import_module("referencing.jsonschema")
    except ImportError as exc:
        raise ImagineoError(f"{EXTRA_HINT} ({exc})") from None
    try:
        with path.open(encoding="utf-8") as fh:
            document: dict[str, Any] = yaml.safe_load(fh)
    except OSError as exc:
        raise ImagineoError(f"cannot read the spec {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ImagineoError(f"{path} is not YAML: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise ImagineoError(f"{path} is not an OpenAPI document (no `paths` mapping)")
    base = _BASE
    resource = referencing.Resource(contents=document, specification=referencing_jsonschema.DRAFT202012)
    registry = referencing.Registry().with_resource(base, resource)
    # An integer is written without a fraction: 512.0 is "number", not "integer" (JSON Schema would take it as
    # 512). The SDKs never send one, and a server that took it would be free to read it differently.
    strict_integer = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda checker, instance: isinstance(instance, int) and not isinstance(instance, bool)
    )
    validator_cls = jsonschema.validators.extend(
        jsonschema.Draft202012Validator, {"pattern": _ecma_pattern(jsonschema)}, type_checker=strict_integer
    )
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER

    def validator(pointer: str) -> Any:
        # The schema with its local $refs inlined: jsonschema would otherwise look each $ref up through the registry
        # on every request (half the cost of validating a body). A $ref in a cycle stays a $ref, resolved as before.
        schema = inline_refs(document, {"$ref": f"#{pointer}"})
        return validator_cls(schema, registry=registry, format_checker=checker)

    generate_path = next(
        (p for p, ops in document["paths"].items() if (ops.get("post") or {}).get("operationId") == "generate_run"),
        None,
    )
    if generate_path is None:
        raise ImagineoError(f"{path}: no POST operation with operationId generate_run")
    schemas = document["components"]["schemas"]
    mapping: dict[str, str] = schemas["GenerateImageInput"]["discriminator"]["mapping"]
    variants = {tag: validator(ref.removeprefix("#")) for tag, ref in mapping.items()}
    variant_schemas = {tag: schemas[ref.rsplit("/", 1)[1]] for tag, ref in mapping.items()}
    key_param = document["components"]["parameters"]["IdempotencyKey"]
    return Spec(
        path=path,
        document=document,
        generate_path=generate_path,
        variants=variants,
        variant_schemas=variant_schemas,
        key_validator=validator_cls(key_param["schema"]),
    )


def problems(spec: Spec, body: object) -> tuple[str | None, list[dict[str, str]]]:
    """(model_type, details): every way the body breaks GenerateImageInput, one entry per field and rule."""
    if not isinstance(body, dict):
        return None, [{"field": "body", "message": f"must be a JSON object; got {type(body).__name__}"}]
    model_type = body.get("model_type")
    if not isinstance(model_type, str) or model_type not in spec.variants:
        known = ", ".join(spec.variants)
        message = "is required" if "model_type" not in body else f"must be one of {known}; got {model_type!r}"
        if "model_type" not in body:
            message += f" (one of {known})"
        return None, [{"field": "model_type", "message": message}]
    schema = spec.variant_schemas[model_type]
    details: list[dict[str, str]] = []
    for err in spec.variants[model_type].iter_errors(body):
        details.extend(_describe(err, schema, model_type))
    unique = {(d["field"], d["message"]): d for d in details}
    return model_type, sorted(unique.values(), key=lambda d: (d["field"], d["message"]))


def _describe(err: Any, variant: Mapping[str, Any], model_type: str) -> list[dict[str, str]]:
    path = ".".join(str(p) for p in err.absolute_path)
    prefix = f"{path}." if path else ""
    kind, expected, got = err.validator, err.validator_value, err.instance
    if kind == "required":
        return [{"field": prefix + name, "message": "is required"} for name in expected if name not in got]
    if kind == "additionalProperties":
        known = set(variant.get("properties", {})) if not path else set(err.schema.get("properties", {}))
        return [
            {"field": prefix + name, "message": f"is not allowed for model_type {model_type!r}"}
            for name in got
            if name not in known
        ]
    message = _rule(kind, expected) or err.message
    described = err.schema.get("description") if isinstance(err.schema, dict) else None
    if kind == "pattern" and isinstance(described, str) and described:
        what = described.strip().rstrip(".")
        what = what[0].lower() + what[1:] if what[1:2].islower() else what
        message = f"must be {what} (pattern {expected})"
    return [{"field": path or "body", "message": f"{message}; got {json.dumps(got)[:80]}"}]


def _rule(kind: str, expected: Any) -> str | None:
    """The rule a jsonschema keyword states, in words."""
    if kind == "type":
        return f"must be of type {expected}"
    if kind in ("minimum", "maximum"):
        return f"must be {'>=' if kind == 'minimum' else '<='} {expected}"
    if kind == "minLength":
        return "must not be empty" if expected == 1 else f"must have at least {expected} characters"
    if kind == "maxLength":
        return f"must have at most {expected} characters"
    if kind in ("minItems", "maxItems"):
        return f"must list {'at least' if kind == 'minItems' else 'at most'} {expected} items"
    if kind == "enum":
        return f"must be one of {', '.join(map(str, expected))}"
    if kind == "const":
        return f"must be {expected!r}"
    if kind == "pattern":
        return f"must match {expected}"
    if kind == "format":
        return f"must be a valid {expected}"
    return None
