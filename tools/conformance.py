"""Conformance vectors for ImagineoAI clients in any language, generated from openapi/imagineo.yaml alone.

    .venv/bin/python tools/conformance.py [--out dist/spec]      (`make spec` runs it through tools/build_spec.py)

writes ``conformance.json`` (the vectors) and ``conformance.schema.json`` (the JSON Schema of that file). The format
is documented in docs/for-other-languages.md ("The conformance kit"). Only the spec is read, never the SDK, so every
client (the Python SDK included) is judged against the spec.

* request cases: per model type, valid inputs (the named example, the required fields only, the default model type
  left out, each alias, both bounds of every range, item count and length, every enum value) with the JSON body a
  conforming client sends (aliases renamed, ``x-imagineo-default-model-type`` when ``model_type`` is left out, the
  spec's ``default`` filled in for each field left out) and ``defaulted``, the fields of that body that only a
  default put there. The rule on defaults (`body_problems`): a client may leave a ``defaulted`` field out (the
  server applies the same default), but a field it sends must equal the body's; generated clients
  (openapi-typescript, @hey-api/openapi-ts, OpenAPI Generator) do not fill defaults in, the Python SDK does.
  Invalid inputs (each required field missing, each bound exceeded by the smallest step, a value outside an enum or
  format, a wrong type, an unknown field, a field of another model type) with the field at fault, as the JSON path
  the server's 422 ``details`` uses.
* answer cases: status, headers and body of each kind of answer (200, 204, each documented error, the forms of
  ``Retry-After``, a 200 that breaks the schema, a non-JSON error page) with the outcome a client must produce.

The retry policy (which statuses are retried, the longest ``Retry-After`` sat out) is the clients' policy, stated in
`POLICY` below with the spec text each rule rests on; a documented status without a rule stops the build.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "openapi" / "imagineo.yaml"
FORMAT = 1  # the layout of conformance.json; bumped only when a runner has to change
VECTORS_NAME, SCHEMA_NAME = "conformance.json", "conformance.schema.json"

#: Error categories, by status. A client maps each to its own error type (the Python SDK: tests/test_conformance.py).
CATEGORIES = {
    400: "bad_request",
    401: "auth",
    403: "permission",
    404: "not_found",
    409: "conflict",
    413: "payload_too_large",
    422: "validation",
    429: "rate_limit",
}
#: Retried statuses and why (the spec's response descriptions). 409 is retried only with code
#: ``idempotency_in_progress`` (the spec's Conflict response); every status >= 500 is "server".
POLICY: dict[str, Any] = {
    "retry_statuses": [408, 429, 500, 502, 503, 504],
    "retry_conflict_codes": ["idempotency_in_progress"],
    "max_retry_after_seconds": 60,
    "backoff": {"initial_seconds": 0.5, "multiplier": 2, "max_seconds": 8, "jitter_fraction": 0.25},
    "same_idempotency_key_on_retry": True,
}
UNKNOWN_FIELD = "conformance_unknown_field"
_URL = "https://example.com/conformance/{}.png"


class SpecError(Exception):
    pass


# -- reading the spec ----------------------------------------------------------------------------------------------


class Spec:
    def __init__(self, document: dict[str, Any]) -> None:
        self.doc = document
        self.schemas: dict[str, Any] = document["components"]["schemas"]
        self.path, self.operation = next((p, ops["post"]) for p, ops in document["paths"].items() if "post" in ops)
        inp = self.schemas["GenerateImageInput"]
        self.tag: str = inp["discriminator"]["propertyName"]
        self.default_model_type: str = inp["x-imagineo-default-model-type"]
        self.aliases: dict[str, dict[str, Any]] = inp.get("x-imagineo-aliases", {})
        self.variants: dict[str, dict[str, Any]] = {}
        for member in inp["oneOf"]:
            schema = self.resolve(member)
            self.variants[schema["properties"][self.tag]["const"]] = schema
        content = self.operation["requestBody"]["content"]["application/json"]
        self.examples: dict[str, dict[str, Any]] = {}
        for name, example in content["examples"].items():
            self.examples.setdefault(example["value"][self.tag], {"name": name, "value": example["value"]})

    def ref(self, ref: str) -> Any:
        node: Any = self.doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        return node

    def resolve(self, node: Any) -> Any:
        """`node` with local $refs and allOf inlined (keywords beside them win); discriminator and x- dropped."""
        if isinstance(node, dict):
            merged: dict[str, Any] = {}
            if "$ref" in node:
                merged.update(self.resolve(self.ref(node["$ref"])))
            for part in node.get("allOf", []):
                merged.update(self.resolve(part))
            for key, value in node.items():
                if key not in ("$ref", "allOf", "discriminator") and not key.startswith("x-"):
                    merged[key] = self.resolve(value)
            return merged
        if isinstance(node, list):
            return [self.resolve(item) for item in node]
        return node

    def defaults(self, model_type: str) -> dict[str, Any]:
        props = self.variants[model_type]["properties"]
        return {name: prop["default"] for name, prop in props.items() if "default" in prop}

    def wire(self, body: dict[str, Any]) -> dict[str, Any]:
        """The body a conforming client sends for caller input `body` (aliases renamed, model type, defaults)."""
        out = self.named(body)
        return {**self.defaults(out[self.tag]), **out}

    def named(self, body: dict[str, Any]) -> dict[str, Any]:
        """Caller input `body` with aliases renamed and the model type filled in, no default added."""
        out = dict(body)
        for alias, spec in self.aliases.items():
            if alias in out:
                out[spec["field"]] = out.pop(alias)
        out.setdefault(self.tag, self.default_model_type)
        return out

    def defaulted(self, body: dict[str, Any]) -> list[str]:
        """The fields that `wire(body)` has only because the spec gives them a default."""
        given = self.named(body)
        return sorted(name for name in self.defaults(given[self.tag]) if name not in given)


# -- values --------------------------------------------------------------------------------------------------------


def sample(prop: dict[str, Any], index: int = 0) -> Any:
    """A value `prop` accepts (for fields an input needs but the example leaves out)."""
    if "const" in prop:
        return prop["const"]
    if "enum" in prop:
        return prop["enum"][0]
    kind = prop.get("type")
    if kind in ("integer", "number"):
        return prop.get("default", prop.get("minimum", 0))
    if kind == "array":
        return [sample(prop.get("items", {}), i) for i in range(max(prop.get("minItems", 1), 1))]
    if prop.get("format") == "uuid":
        return "3f1c2a9e-6b7d-4e2f-9a1b-5c8d7e6f4a3b"
    if prop.get("format") == "uri":
        return _URL.format(index)
    return "conformance"


def wrong_type(prop: dict[str, Any]) -> Any:
    kind = prop.get("type")
    if kind in ("integer", "number"):
        return str(prop.get("minimum", 1))
    if kind == "array":
        return _URL.format(0)
    if kind == "boolean":
        return "true"
    return 12345


def step_over(value: float, integer: bool, up: bool) -> float:
    """The nearest value past a bound: one for an integer, the next IEEE 754 double for a number."""
    if integer:
        return int(value) + (1 if up else -1)
    return math.nextafter(float(value), math.inf if up else -math.inf)


def _same(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0 (one JSON number), but true is not 1 and "1" is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def body_problems(case: dict[str, Any], sent: Any) -> list[str]:
    """Why `sent` (the JSON a client put on the wire for a request case) does not conform; empty when it does.

    The rule on defaults: each field of the case's ``body`` is sent with that value, except that a field listed in
    ``defaulted`` may be left out (the server applies the same default). A filled-in default must equal the spec's;
    a field the body does not have must not be sent.
    """
    if not isinstance(sent, dict):
        return [f"the body is {type(sent).__name__}, not a JSON object"]
    expected: dict[str, Any] = case["body"]
    optional = set(case.get("defaulted", []))
    problems = []
    for name, value in expected.items():
        if name not in sent:
            if name not in optional:
                problems.append(f"{name} left out (expected {json.dumps(value)})")
        elif not _same(sent[name], value):
            problems.append(f"{name} is {json.dumps(sent[name])}, expected {json.dumps(value)}")
    problems += [f"{name} sent, but not in the case's body" for name in sent if name not in expected]
    return problems


# -- request cases -------------------------------------------------------------------------------------------------


def _base(spec: Spec, model_type: str) -> dict[str, Any]:
    """The model type's named example, plus any required field it leaves out."""
    variant = spec.variants[model_type]
    base = copy.deepcopy(spec.examples[model_type]["value"])
    for name in variant.get("required", []):
        base.setdefault(name, sample(variant["properties"][name]))
    return base


def _valid(spec: Spec, case_id: str, model_type: str, inp: dict[str, Any], note: str) -> dict[str, Any]:
    body, defaulted = spec.wire(inp), spec.defaulted(inp)
    return {"id": case_id, "model_type": model_type, "note": note, "input": inp, "body": body, "defaulted": defaulted}


def _invalid(
    spec: Spec, case_id: str, model_type: str, inp: dict[str, Any], path: list[str | int], rule: str
) -> dict[str, Any]:
    field = ".".join(str(p) for p in path)
    return {
        "id": case_id,
        "model_type": model_type,
        "input": inp,
        "body": spec.wire(inp),
        "defaulted": spec.defaulted(inp),
        "field": field,
        "path": path,
        "rule": rule,
    }


def _bounds(name: str, prop: dict[str, Any]) -> Iterator[tuple[str, Any, str, Any]]:
    """(bound name, value at it, rule, value just past it) for each bound of `prop`."""
    integer = prop.get("type") == "integer"
    for key, up in (("minimum", False), ("maximum", True)):
        if key in prop:
            yield key, prop[key], key, step_over(prop[key], integer, up)
    items = prop.get("items", {})
    if "minItems" in prop:
        n = prop["minItems"]
        yield "minItems", [sample(items, i) for i in range(n)], "minItems", [sample(items, i) for i in range(n - 1)]
    if "maxItems" in prop:
        n = prop["maxItems"]
        yield "maxItems", [sample(items, i) for i in range(n)], "maxItems", [sample(items, i) for i in range(n + 1)]
    if "minLength" in prop and "pattern" not in prop and "format" not in prop:
        n = prop["minLength"]
        yield "minLength", "x" * n, "minLength", "x" * (n - 1) if n > 0 else None
    if "maxLength" in prop and "pattern" not in prop and "format" not in prop:
        n = prop["maxLength"]
        yield "maxLength", "x" * n, "maxLength", "x" * (n + 1)


def request_cases(spec: Spec) -> dict[str, list[dict[str, Any]]]:
    valid: list[dict[str, Any]] = []
    invalid: list[dict[str, Any]] = []
    all_fields = {name for variant in spec.variants.values() for name in variant["properties"]}
    for mt, variant in spec.variants.items():
        props: dict[str, Any] = variant["properties"]
        required = list(variant.get("required", []))
        base = _base(spec, mt)
        example = spec.examples[mt]
        valid.append(_valid(spec, f"{mt}/example/{example['name']}", mt, copy.deepcopy(example["value"]), "example"))
        minimal = {name: base[name] for name in required}
        valid.append(_valid(spec, f"{mt}/required-only", mt, minimal, "only the required fields: defaults apply"))
        if mt == spec.default_model_type:
            without = {k: v for k, v in minimal.items() if k != spec.tag}
            valid.append(_valid(spec, f"{mt}/model-type-left-out", mt, without, "x-imagineo-default-model-type"))
        for alias, target in spec.aliases.items():
            field = target["field"]
            if field in props:
                with_field = {**base, field: base.get(field, sample(props[field]))}
                inp = {(alias if k == field else k): v for k, v in with_field.items()}
                note = "deprecated alias (a client may warn)" if target.get("deprecated") else "alias"
                valid.append(_valid(spec, f"{mt}/alias/{alias}", mt, inp, note))
        for name, prop in props.items():
            if name == spec.tag:
                continue
            for bound, at, rule, past in _bounds(name, prop):
                valid.append(_valid(spec, f"{mt}/{name}/{bound}", mt, {**base, name: at}, f"{name} at its {bound}"))
                if past is not None:
                    path: list[str | int] = [name]
                    inp = {**base, name: past}
                    invalid.append(_invalid(spec, f"{mt}/{name}/past-{bound}", mt, inp, path, rule))
            for value in prop.get("enum", []):
                valid.append(_valid(spec, f"{mt}/{name}/enum/{value}", mt, {**base, name: value}, "enum value"))
            if "enum" in prop:
                outside = "0:0" if all(isinstance(v, str) for v in prop["enum"]) else -1
                invalid.append(_invalid(spec, f"{mt}/{name}/not-in-enum", mt, {**base, name: outside}, [name], "enum"))
            fmt_prop, fmt_path = (prop.get("items", {}), [name, 0]) if prop.get("type") == "array" else (prop, [name])
            if fmt_prop.get("format") in ("uri", "uuid"):
                bad = "not a url" if fmt_prop["format"] == "uri" else "not-a-uuid"
                value: Any = [bad, *base.get(name, sample(prop))[1:]] if prop.get("type") == "array" else bad
                invalid.append(
                    _invalid(
                        spec, f"{mt}/{name}/bad-{fmt_prop['format']}", mt, {**base, name: value}, fmt_path, "format"
                    )
                )
            invalid.append(
                _invalid(spec, f"{mt}/{name}/wrong-type", mt, {**base, name: wrong_type(prop)}, [name], "type")
            )
        for name in required:
            if name != spec.tag:  # left out, model_type is filled in (see the model-type-left-out case)
                inp = {k: v for k, v in base.items() if k != name}
                invalid.append(_invalid(spec, f"{mt}/missing/{name}", mt, inp, [name], "required"))
        inp = {**base, UNKNOWN_FIELD: True}
        invalid.append(_invalid(spec, f"{mt}/unknown-field", mt, inp, [UNKNOWN_FIELD], "additionalProperties"))
        foreign = next((f for f in sorted(all_fields) if f not in props and f not in spec.aliases), None)
        if foreign is not None:
            owner = next(o for o, v in spec.variants.items() if foreign in v["properties"])
            inp = {**base, foreign: sample(spec.variants[owner]["properties"][foreign])}
            invalid.append(
                _invalid(spec, f"{mt}/field-of-{owner}/{foreign}", mt, inp, [foreign], "additionalProperties")
            )
    return {"valid": valid, "invalid": invalid}


# -- answer cases --------------------------------------------------------------------------------------------------


def _category(status: int) -> str:
    if status >= 500:
        return "server"
    if status not in CATEGORIES:
        raise SpecError(f"the spec documents status {status}, which tools/conformance.py has no category for")
    return CATEGORIES[status]


def _error(status: int, retry: bool, wait: float | None = None) -> dict[str, Any]:
    outcome: dict[str, Any] = {"kind": "error", "category": _category(status), "status": status, "retry": retry}
    if retry:
        outcome["wait_seconds"] = wait  # None: the client's own backoff (POLICY["backoff"])
    return outcome


def _answer(case_id: str, status: int, body: Any, outcome: dict[str, Any], **extra: Any) -> dict[str, Any]:
    headers = {"x-request-id": f"req_conformance_{case_id.replace('/', '_')}", **extra.pop("headers", {})}
    answer: dict[str, Any] = {"status": status, "headers": headers}
    if isinstance(body, str):
        answer["body_text"] = body
    elif body is not None:
        answer["headers"].setdefault("content-type", "application/json")
        answer["body"] = body
    return {"id": case_id, "note": extra.pop("note", ""), "answer": answer, "outcome": outcome}


def _conflict_codes(description: str) -> list[str]:
    return [line.split("`")[1] for line in description.splitlines() if line.strip().startswith("- `")]


def answer_cases(spec: Spec) -> list[dict[str, Any]]:
    responses = {int(k): spec.resolve(v) for k, v in spec.operation["responses"].items()}
    cases: list[dict[str, Any]] = []
    ok = responses[200]["content"]["application/json"]
    for name, example in ok.get("examples", {}).items():
        cases.append(_answer(f"200/{name}", 200, example["value"], {"kind": "result", "result": example["value"]}))
    first = next(iter(ok["examples"].values()))["value"]
    more = {**first, "conformance_new_field": {"kept": True}}
    cases.append(
        _answer(
            "200/unknown-field-kept",
            200,
            more,
            {"kind": "result", "result": more},
            note="responses are open (additionalProperties: true): keep unknown fields",
        )
    )
    result_schema = ok["schema"]
    for name in result_schema.get("required", []):
        body = {k: v for k, v in first.items() if k != name}
        cases.append(
            _answer(
                f"200/missing-{name}", 200, body, {"kind": "error", "category": "response_validation", "retry": False}
            )
        )
        bad = {**first, name: 12345}
        cases.append(
            _answer(
                f"200/{name}-wrong-type", 200, bad, {"kind": "error", "category": "response_validation", "retry": False}
            )
        )
    cases.append(
        _answer(
            "200/not-json",
            200,
            "<html>not json</html>",
            {"kind": "error", "category": "response_validation", "retry": False},
            headers={"content-type": "text/html"},
        )
    )
    cases.append(
        _answer(
            "202/undocumented-success",
            202,
            first,
            {"kind": "error", "category": "response_validation", "retry": False},
            note="the spec documents 200 and 204 only; another 2xx is not a result",
        )
    )
    cases.append(_answer("204/no-content", 204, None, {"kind": "none"}))
    for status, response in sorted(responses.items()):
        if status < 300:
            continue
        content = response.get("content", {}).get("application/json", {})
        body = content.get("example") or {"error": response["description"].strip().splitlines()[0]}
        if status == 409:
            codes = _conflict_codes(response["description"])
            missing = set(POLICY["retry_conflict_codes"]) - set(codes)
            if missing:
                raise SpecError(f"the 409 description no longer lists the code(s) {sorted(missing)}")
            for code in codes:
                retry = code in POLICY["retry_conflict_codes"]
                coded = {"error": f"Idempotency-Key: {code}", "code": code}
                cases.append(_answer(f"409/{code}", 409, coded, _error(409, retry)))
                if retry:
                    cases.append(
                        _answer(
                            f"409/{code}/retry-after-1", 409, coded, _error(409, True, 1), headers={"Retry-After": "1"}
                        )
                    )
            continue
        retry = status in POLICY["retry_statuses"]
        cases.append(_answer(f"{status}/plain", status, body, _error(status, retry)))
        if "Retry-After" in response.get("headers", {}):
            limit = POLICY["max_retry_after_seconds"]
            forms: list[tuple[str, str, bool, float | None]] = [
                ("seconds", "2", True, 2),
                ("zero", "0", True, 0),
                ("at-the-limit", str(limit), True, limit),
                ("past-the-limit", str(limit + 1), False, None),
                ("http-date-past", "Thu, 01 Jan 1970 00:00:00 GMT", True, 0),
                ("http-date-far-future", "Fri, 31 Dec 9999 23:59:59 GMT", False, None),
                ("unusable", "soon", True, None),
            ]
            for form, value, again, wait in forms:
                outcome = _error(status, again, wait)
                cases.append(
                    _answer(f"{status}/retry-after-{form}", status, body, outcome, headers={"Retry-After": value})
                )
    cases.append(
        _answer(
            "400/body-breaks-error-schema",
            400,
            {"message": "no `error` field"},
            _error(400, False),
            note="an error body that breaks the Error schema is still an error of its status",
        )
    )
    cases.append(
        _answer(
            "502/html-error-page",
            502,
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
            _error(502, True),
            headers={"content-type": "text/html"},
            note="a proxy's page: not JSON, still a server error",
        )
    )
    return cases


# -- the file and its schema ---------------------------------------------------------------------------------------

_JSON = {}  # any JSON value
_INPUT = {"type": "object"}
_REQUEST = {
    "type": "object",
    "required": ["id", "model_type", "input", "body", "defaulted"],
    "properties": {
        "id": {"type": "string"},
        "model_type": {"type": "string"},
        "note": {"type": "string"},
        "input": _INPUT,
        "body": _INPUT,
        "defaulted": {"type": "array", "items": {"type": "string"}},
    },
}
_INVALID = {
    **_REQUEST,
    "required": [*_REQUEST["required"], "field", "path", "rule"],
    "properties": {
        **_REQUEST["properties"],
        "field": {"type": "string"},
        "rule": {"type": "string"},
        "path": {"type": "array", "items": {"type": ["string", "integer"]}},
    },
}
_OUTCOME = {
    "type": "object",
    "required": ["kind"],
    "properties": {
        "kind": {"enum": ["result", "none", "error"]},
        "result": {"type": "object"},
        "category": {"enum": sorted({*CATEGORIES.values(), "server", "response_validation"})},
        "status": {"type": "integer"},
        "retry": {"type": "boolean"},
        "wait_seconds": {"type": ["number", "null"], "minimum": 0},
    },
    "allOf": [
        {"if": {"required": ["kind"], "properties": {"kind": {"const": "result"}}}, "then": {"required": ["result"]}},
        {
            "if": {"required": ["kind"], "properties": {"kind": {"const": "error"}}},
            "then": {"required": ["category", "retry"]},
        },
        {
            "if": {"required": ["retry"], "properties": {"retry": {"const": True}}},
            "then": {"required": ["wait_seconds"]},
        },
    ],
}
_ANSWER = {
    "type": "object",
    "required": ["id", "answer", "outcome"],
    "properties": {
        "id": {"type": "string"},
        "note": {"type": "string"},
        "answer": {
            "type": "object",
            "required": ["status", "headers"],
            "properties": {
                "status": {"type": "integer", "minimum": 100, "maximum": 599},
                "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                "body": _JSON,
                "body_text": {"type": "string"},
            },
            "not": {"required": ["body", "body_text"]},
        },
        "outcome": _OUTCOME,
    },
}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:imagineo:conformance",
    "title": "ImagineoAI conformance vectors",
    "type": "object",
    "required": ["format", "version", "spec", "endpoint", "policy", "requests", "answers"],
    "properties": {
        "$schema": {"type": "string"},
        "format": {"const": FORMAT},
        "version": {"type": "string", "description": "the spec's info.version these vectors were generated from"},
        "spec": {"type": "object", "required": ["title", "version"]},
        "endpoint": {"type": "object", "required": ["method", "path"]},
        "policy": {"type": "object"},
        "model_type_field": {"type": "string"},
        "default_model_type": {"type": "string"},
        "requests": {
            "type": "object",
            "required": ["valid", "invalid"],
            "properties": {
                "valid": {"type": "array", "items": _REQUEST},
                "invalid": {"type": "array", "items": _INVALID},
            },
        },
        "answers": {"type": "array", "items": _ANSWER},
    },
}


def build_vectors(document: dict[str, Any]) -> dict[str, Any]:
    spec = Spec(document)
    info = document["info"]
    vectors = {
        "$schema": f"./{SCHEMA_NAME}",
        "format": FORMAT,
        "version": info["version"],
        "spec": {"title": info["title"], "version": info["version"]},
        "endpoint": {"method": "POST", "path": spec.path, "content_type": "application/json"},
        "model_type_field": spec.tag,
        "default_model_type": spec.default_model_type,
        "policy": POLICY,
        "requests": request_cases(spec),
        "answers": answer_cases(spec),
    }
    ids = [c["id"] for group in vectors["requests"].values() for c in group] + [c["id"] for c in vectors["answers"]]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise SpecError(f"duplicate case ids: {duplicates}")
    import jsonschema

    jsonschema.Draft202012Validator(SCHEMA).validate(vectors)
    return vectors


def write(out: Path, spec_path: Path = SPEC_PATH) -> list[Path]:
    vectors = build_vectors(yaml.safe_load(spec_path.read_text()))
    out.mkdir(parents=True, exist_ok=True)
    (out / VECTORS_NAME).write_text(json.dumps(vectors, indent=1, allow_nan=False) + "\n")
    (out / SCHEMA_NAME).write_text(json.dumps(SCHEMA, indent=1) + "\n")
    return [out / VECTORS_NAME, out / SCHEMA_NAME]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ROOT / "dist" / "spec")
    parser.add_argument("--spec", type=Path, default=SPEC_PATH)
    args = parser.parse_args(argv)
    try:
        written = write(args.out, args.spec)
    except SpecError as error:
        print(f"conformance: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
