"""Spec validation: where the spec is, loading it (every operation of it), and every way a request breaks one.

The sandbox validates with jsonschema against the same openapi/imagineo.yaml the SDK is generated from. Every
operation of ``paths`` becomes an `Operation`, keyed by its ``operationId`` and routed by method and path template
(`Spec.route`: ``/api/v1/runs/{run_id}`` matches one segment per parameter; a template with more literal segments
wins, so ``/runs/combine`` is never read as a run id), never by its position in the file. A body whose schema has a
``discriminator`` with a ``mapping`` is validated against the variant its tag picks (``model_type`` today); every
problem becomes one entry of the 422's ``details`` (a JSON path such as ``width`` or ``image_urls.1``, or a
parameter's name, and the rule in words).
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
from urllib.parse import unquote

from .._exceptions import ImagineoError

__all__ = [
    "EXTRA_HINT",
    "MAX_DEPTH",
    "Body",
    "BodyError",
    "Operation",
    "Parameter",
    "Spec",
    "load_spec",
    "parameter_problems",
    "parse_json",
    "problems",
    "spec_path",
]

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
class Parameter:
    name: str
    where: str  # "path", "query" or "header"
    required: bool
    schema: dict[str, Any]
    validator: Any


@dataclass(frozen=True)
class Body:
    required: bool
    schema: dict[str, Any]  # $refs inlined
    validator: Any
    tag: str | None  # the discriminator's property, when the schema has a mapping
    variants: dict[str, Any]  # tag value -> validator of that variant
    variant_schemas: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str  # upper case
    template: str  # a path of the spec, with its {parameters}
    pattern: re.Pattern[str]
    path_names: tuple[str, ...]  # the template's parameters, in order
    parameters: tuple[Parameter, ...]
    body: Body | None
    responses: dict[int, dict[str, Any]]  # status -> response object, $refs inlined
    auth: bool  # False when the operation (or the document) declares `security: []`

    @property
    def idempotency(self) -> Parameter | None:
        """The operation's ``Idempotency-Key`` header parameter, if it declares one."""
        return next((p for p in self.parameters if p.where == "header" and p.name.lower() == "idempotency-key"), None)

    def success(self) -> tuple[int, dict[str, Any] | None]:
        """(status, JSON content) of the operation's first documented 2xx answer (content None: no body)."""
        for status in sorted(self.responses):
            if 200 <= status < 300:
                content = self.responses[status].get("content", {})
                media = next((v for k, v in content.items() if k.split(";")[0].strip().endswith("json")), None)
                return status, media
        return 200, None


@dataclass(frozen=True)
class Spec:
    path: Path
    document: dict[str, Any]
    operations: tuple[Operation, ...]  # most literal template first (the routing order)

    def operation(self, operation_id: str) -> Operation:
        return next(op for op in self.operations if op.operation_id == operation_id)

    def route(self, method: str, path: str) -> tuple[Operation | None, dict[str, str], list[str]]:
        """(operation, path parameters, methods allowed at `path`) for a request; operation None if none fits."""
        allowed: list[str] = []
        for op in self.operations:
            match = op.pattern.fullmatch(path)
            if match is None:
                continue
            if op.method == method:
                return op, dict(zip(op.path_names, (unquote(v) for v in match.groups()), strict=True)), []
            allowed.append(op.method)
        return None, {}, sorted(set(allowed))


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

    def parameter(node: dict[str, Any]) -> Parameter:
        schema = inline_refs(document, node.get("schema", {}))
        where = str(node.get("in"))
        return Parameter(str(node["name"]), where, bool(node.get("required", where == "path")), schema,
                         validator_cls(schema, registry=registry, format_checker=checker))  # fmt: skip

    def body(node: dict[str, Any] | None) -> Body | None:
        content = (node or {}).get("content", {})
        media = next((v for k, v in content.items() if k.split(";")[0].strip().endswith("json")), None)
        if node is None or media is None or "schema" not in media:
            return None
        raw = media["schema"]
        schema = inline_refs(document, raw)
        target = _deref(document, raw)
        discriminator = target.get("discriminator") if isinstance(target, dict) else None
        mapping = (discriminator or {}).get("mapping") or {}
        tag = discriminator.get("propertyName") if mapping and discriminator else None
        variants = {value: validator(ref.removeprefix("#")) for value, ref in mapping.items()}
        variant_schemas = {value: inline_refs(document, {"$ref": ref}) for value, ref in mapping.items()}
        whole = validator_cls(schema, registry=registry, format_checker=checker)
        return Body(bool(node.get("required", False)), schema, whole, tag, variants, variant_schemas)

    top_security = document.get("security")
    operations: list[Operation] = []
    for template, item in document["paths"].items():
        if not isinstance(item, dict):
            continue
        shared = [inline_refs(document, p) for p in item.get("parameters", [])]
        for method, op in item.items():
            if method.lower() not in _METHODS or not isinstance(op, dict):
                continue
            own = [inline_refs(document, p) for p in op.get("parameters", [])]
            merged = {(p["in"], p["name"]): p for p in [*shared, *own]}  # the operation's own win
            names = tuple(re.findall(r"\{([^{}]+)\}", template))
            regex = re.sub(r"\\\{[^{}]+\\\}", "([^/]+)", re.escape(template))
            security = op.get("security", top_security)
            operations.append(
                Operation(
                    operation_id=str(op.get("operationId") or f"{method.lower()} {template}"),
                    method=method.upper(),
                    template=template,
                    pattern=re.compile(regex),
                    path_names=names,
                    parameters=tuple(parameter(p) for p in merged.values()),
                    body=body(inline_refs(document, op["requestBody"]) if "requestBody" in op else None),
                    responses={
                        int(status): inline_refs(document, response)
                        for status, response in op.get("responses", {}).items()
                        if str(status).isdigit()
                    },
                    auth=security != [],
                )
            )
    operations.sort(key=lambda o: (-sum(1 for seg in o.template.split("/") if seg and "{" not in seg), o.template))
    return Spec(path=path, document=document, operations=tuple(operations))


_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def _deref(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def parameter_problems(param: Parameter, raw: str | None) -> tuple[object, list[dict[str, str]]]:
    """(value, details): the parameter's text as its schema types it, and what is wrong with it."""
    if raw is None:
        return None, [{"field": param.name, "message": "is required"}] if param.required else []
    kind = param.schema.get("type")
    value: object = raw
    if kind == "integer" and re.fullmatch(r"-?[0-9]{1,18}", raw):
        value = int(raw)
    elif kind == "number":
        try:
            number = float(raw)
        except ValueError:
            number = float("nan")
        value = number if number == number and abs(number) != float("inf") else raw
    elif kind == "boolean" and raw in ("true", "false"):
        value = raw == "true"
    details = []
    for err in param.validator.iter_errors(value):
        message = _rule(err.validator, err.validator_value) or err.message
        details.append({"field": param.name, "message": f"{message}; got {json.dumps(value)[:80]}"})
    return value, details


def problems(spec: Body, body: object) -> tuple[str | None, list[dict[str, str]]]:
    """(tag value, details): every way the body breaks the operation's body schema, one entry per field and rule.

    With a discriminator (``model_type``), the variant its value picks is the schema; the value is returned."""
    if spec.tag is None:
        details = [d for err in spec.validator.iter_errors(body) for d in _describe(err, spec.schema, None, None)]
        unique = {(d["field"], d["message"]): d for d in details}
        return None, sorted(unique.values(), key=lambda d: (d["field"], d["message"]))
    tag = spec.tag
    if not isinstance(body, dict):
        return None, [{"field": "body", "message": f"must be a JSON object; got {type(body).__name__}"}]
    model_type = body.get(tag)
    if not isinstance(model_type, str) or model_type not in spec.variants:
        known = ", ".join(spec.variants)
        message = "is required" if tag not in body else f"must be one of {known}; got {model_type!r}"
        if tag not in body:
            message += f" (one of {known})"
        return None, [{"field": tag, "message": message}]
    schema = spec.variant_schemas[model_type]
    details = []
    for err in spec.variants[model_type].iter_errors(body):
        details.extend(_describe(err, schema, tag, model_type))
    unique = {(d["field"], d["message"]): d for d in details}
    return model_type, sorted(unique.values(), key=lambda d: (d["field"], d["message"]))


def _describe(err: Any, variant: Mapping[str, Any], tag: str | None, model_type: str | None) -> list[dict[str, str]]:
    path = ".".join(str(p) for p in err.absolute_path)
    prefix = f"{path}." if path else ""
    kind, expected, got = err.validator, err.validator_value, err.instance
    if kind == "required":
        return [{"field": prefix + name, "message": "is required"} for name in expected if name not in got]
    if kind == "additionalProperties":
        known = set(variant.get("properties", {})) if not path else set(err.schema.get("properties", {}))
        return [
            {"field": prefix + name, "message": f"is not allowed for {tag} {model_type!r}" if tag else "is not allowed"}
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
