"""Hypothesis as the adversary: the overlay's validation against JSON Schema's verdict on the spec (differential tests).

The oracle is jsonschema (Draft 2020-12) reading openapi/imagineo.yaml itself, with a format checker for ``uuid`` and
``uri`` (rfc3986-validator) and ECMA-262 regex semantics for ``pattern`` (see `ORACLE`). The other side is the
public client, ``client.images.generate(...)``, sending through an httpx.MockTransport that records the body.

1. Bodies generated from each variant's schema (hypothesis-jsonschema) are accepted and go on the wire unchanged,
   apart from the defaults the overlay adds, which must be the spec's defaults.
2. Mutated bodies (a required field dropped, a number pushed past a bound, a type swapped, an unknown key, another
   variant's model_type, a nearly-valid UUID or URL) are refused by the overlay exactly when the oracle refuses them;
   refused means ImagineoValidationError and nothing sent.

Deliberate differences, kept out of the mutations (each is pinned by a test of its own elsewhere):

* integers written as floats (512.0): JSON Schema calls them integers, the overlay refuses them (strict ints: a
  Python float there is nearly always a computed value; see test_contract_prism.test_integral_float_is_the_one_
  known_difference). The mutations never produce an integral float for an integer field;
* a missing ``model_type``: the overlay fills in "flux-dev" (the documented default), so "drop a required field"
  never drops model_type;
* the aliases ``reference_url`` and ``workflow_type``: the overlay maps them to the spec's names, so they are never
  used as "unknown keys";
* ``model_id`` goes out in canonical lowercase (the generated request model parses it as a UUID; UUIDs are
  case-insensitive), so the expected wire body lowercases it.

None/null for optional fields and NaN/infinity agree already (JSON Schema refuses null, and NaN is not JSON).
"""

from __future__ import annotations

import json
import math
import re
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import jsonschema
import pytest
from hypothesis import event, given, note, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from imagineo import ImagineoAIClient, ImagineoValidationError
from imagineo_api import catalog
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from rfc3986_validator import URI_RE_COMP

from tests.hypothesis_profiles import CUSTOM_FORMATS, PROFILE, http_urls, json_values, scaled, uuids
from tests.prism import REQUEST_EXAMPLES, SPEC, SPEC_DEFAULTS, TLS_CONTEXT, VARIANTS
from tests.spec_cases import fields_where, minimal_body

pytestmark = pytest.mark.filterwarnings("ignore:Overriding standard format:hypothesis.errors.HypothesisWarning")

MODEL_TYPES = list(VARIANTS)
ALIASES = frozenset(catalog.ALIASES)


# -- the oracle: JSON Schema's verdict on the spec ---------------------------------------------------------------------


def _ecma_regex(pattern: str) -> str:
    """ECMA-262 (JSON Schema's regex dialect) ``$`` without the m flag matches only at the very end; Python's also
    matches before a final newline, which would make "https://example.com\\n" match the spec's patterns."""
    return pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith("\\$") else pattern


def _pattern(
    validator: Any, pattern: str, instance: Any, schema: dict[str, Any]
) -> Iterator[jsonschema.ValidationError]:
    if validator.is_type(instance, "string") and not re.search(_ecma_regex(pattern), instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


FORMAT_CHECKER = jsonschema.FormatChecker(("uuid",))


@FORMAT_CHECKER.checks("uri")
def _is_uri(instance: object) -> bool:
    """jsonschema's own uri check (rfc3986-validator), anchored at the very end like `_ecma_regex`."""
    return not isinstance(instance, str) or URI_RE_COMP.fullmatch(instance) is not None


_SPEC_URI = "urn:imagineo:openapi"
_OracleValidator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _pattern})
ORACLE = _OracleValidator(
    {"$ref": f"{_SPEC_URI}#/components/schemas/GenerateImageInput"},
    registry=Registry().with_resource(_SPEC_URI, DRAFT202012.create_resource(SPEC)),
    format_checker=FORMAT_CHECKER,
)


def spec_verdict(body: Any) -> list[str]:
    """The oracle's objections to `body` as a GenerateImageInput (empty: valid)."""
    return [f"{'/'.join(map(str, e.absolute_path)) or 'body'}: {e.message}" for e in ORACLE.iter_errors(body)]


def test_oracle_is_the_spec() -> None:
    """The oracle accepts the spec's own examples and refuses what JSON Schema must refuse (sanity checks)."""
    for name, example in REQUEST_EXAMPLES.items():
        assert spec_verdict(example) == [], name
    url_type, url_field = fields_where(lambda p: p.get("format") == "uri")[0][:2]
    base = minimal_body(url_type)
    assert spec_verdict({**base, url_field: "https://example.com/a.png"}) == []
    assert spec_verdict({**base, url_field: "https://example.com/a.png\n"})  # ECMA `$`
    assert spec_verdict({**base, url_field: "https://example.com/#a#b"})  # format: uri
    assert spec_verdict({**base, url_field: None})
    assert spec_verdict({k: v for k, v in base.items() if k != "model_type"})  # model_type is required by the spec
    uuid_type, uuid_field = fields_where(lambda p: p.get("format") == "uuid")[0][:2]
    with_uuid = minimal_body(uuid_type)
    assert spec_verdict({**with_uuid, uuid_field: "3f1c2a9e-6b7d-4e2f-9a1b-5c8d7e6f4a3b"}) == []
    assert spec_verdict({**with_uuid, uuid_field: "3f1c2a9e6b7d4e2f9a1b5c8d7e6f4a3b"})


# -- the client, on a MockTransport ---------------------------------------------------------------------------------


class Wire:
    """One client for the whole module, sending through a MockTransport that records each JSON body."""

    def __init__(self) -> None:
        self.sent: list[Any] = []
        transport = httpx.MockTransport(self._answer)
        self.http = httpx.Client(transport=transport, verify=TLS_CONTEXT)
        self.client = ImagineoAIClient(
            "https://api.imagineo.test", api_key="sk-differential", max_retries=0, http_client=self.http
        )

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(json.loads(request.content))
        return httpx.Response(200, json={"image_url": "https://cdn.imagineo.test/0.png"})

    def send(self, body: dict[str, Any], as_kwargs: bool = False) -> tuple[Any, ImagineoValidationError | None]:
        """(the JSON body sent, None) or (None, the validation error; nothing sent)."""
        self.sent.clear()
        try:
            if as_kwargs:
                self.client.images.generate(**body)
            else:
                self.client.images.generate(body)
        except ImagineoValidationError as exc:
            assert self.sent == [], "ImagineoValidationError raised after sending"
            return None, exc
        (sent,) = self.sent
        return sent, None


WIRE = Wire()


def canonical(value: Any) -> str:
    """JSON text that tells 1 from 1.0 from true (Python's == does not)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def expected_wire(body: dict[str, Any]) -> dict[str, Any]:
    """What must go out for a valid `body`: the body, plus the spec's defaults for what it left out."""
    out = {**SPEC_DEFAULTS[body["model_type"]], **body}
    if "model_id" in out:
        out["model_id"] = out["model_id"].lower()
    return out


def check_agreement(body: dict[str, Any], as_kwargs: bool = False) -> None:
    """The overlay accepts `body` exactly when the spec does; when it does, the wire body is the expected one."""
    objections = spec_verdict(body)
    sent, error = WIRE.send(body, as_kwargs)
    note(f"spec: {objections or 'valid'}; overlay: {error.errors if error else 'accepted'}")
    event("the spec refuses it" if objections else "the spec accepts it")
    if objections:
        assert error is not None, f"the overlay sent a body the spec refuses ({objections}): {body!r}"
    else:
        assert error is None, f"the overlay refused a body the spec accepts: {error.errors} for {body!r}"
        assert canonical(sent) == canonical(expected_wire(body))
        assert spec_verdict(sent) == [], "the body on the wire breaks the spec"


# -- 1. valid bodies ---------------------------------------------------------------------------------------------------

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # "Overriding standard format 'uri'": intended, see CUSTOM_FORMATS
    VALID: dict[str, st.SearchStrategy[dict[str, Any]]] = {
        model_type: from_schema(schema, custom_formats=CUSTOM_FORMATS) for model_type, schema in VARIANTS.items()
    }


@pytest.mark.parametrize("model_type", MODEL_TYPES)
@PROFILE
@given(data=st.data())
def test_valid_bodies_go_out_unchanged(model_type: str, data: st.DataObject) -> None:
    """Every body hypothesis-jsonschema draws from the variant's schema is accepted, and the JSON on the wire is that
    body plus the spec's defaults (compared as JSON text, so 1 vs 1.0 vs true count).

    Caught: the SDK's default for wan-image-2.1 guidance changed from 7.5 to 8 (Prism cannot see this: 8 is valid;
    the wire body differs from the spec's default).
    """
    body = data.draw(VALID[model_type], label="body")
    assert spec_verdict(body) == [], "hypothesis-jsonschema drew a body the oracle refuses"
    check_agreement(body, as_kwargs=data.draw(st.booleans(), label="as keyword arguments"))


# -- 2. mutated bodies -------------------------------------------------------------------------------------------------

Mutation = Callable[[str, dict[str, Any]], st.SearchStrategy[dict[str, Any]]]


def _props(model_type: str) -> dict[str, Any]:
    return VARIANTS[model_type]["properties"]  # type: ignore[no-any-return]


def _drop_required(model_type: str, body: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    names = [n for n in VARIANTS[model_type]["required"] if n != "model_type"]
    return st.sampled_from(names).map(lambda name: {k: v for k, v in body.items() if k != name})


def _number_near(prop: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values at, just inside and just outside each bound (one integer step, or one float ulp), and around them."""
    integer = prop["type"] == "integer"
    options: list[st.SearchStrategy[Any]] = []
    for key in ("minimum", "maximum"):
        if key not in prop:
            continue
        bound = prop[key]
        if integer:
            options.append(st.integers(bound - 2, bound + 2))
            options.append(st.integers(1, 10**30).map(lambda d, b=bound, k=key: b - d if k == "minimum" else b + d))
        else:
            ulps = [math.nextafter(bound, -math.inf), float(bound), math.nextafter(bound, math.inf)]
            options.append(st.sampled_from(ulps))
            options.append(st.floats(bound - 1, bound + 1))
            options.append(st.integers(int(bound) - 2, int(bound) + 2))  # JSON integers are numbers too
    return st.one_of(options)


def _past_a_bound(model_type: str, body: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    props = _props(model_type)
    choices: list[st.SearchStrategy[dict[str, Any]]] = []
    for name, prop in props.items():
        if prop.get("type") in ("integer", "number") and ("minimum" in prop or "maximum" in prop):
            choices.append(_number_near(prop).map(lambda v, n=name: {**body, n: v}))
        elif prop.get("type") == "array" and ("minItems" in prop or "maxItems" in prop):
            lo, hi = prop.get("minItems", 0), prop.get("maxItems", 8)
            items = st.lists(http_urls(), min_size=max(lo - 1, 0), max_size=hi + 1)
            choices.append(items.map(lambda v, n=name: {**body, n: v}))
        elif prop.get("type") == "string" and "minLength" in prop:
            short = st.text(max_size=prop["minLength"])
            choices.append(short.map(lambda v, n=name: {**body, n: v}))
    return st.one_of(choices)


def _any_json_except_integral_floats(prop: dict[str, Any]) -> st.SearchStrategy[Any]:
    if prop.get("type") == "integer":
        # Integral floats (512.0) are the one deliberate difference (module docstring): never generated here.
        return json_values.filter(lambda v: not (isinstance(v, float) and v.is_integer()))
    return json_values


def _swap_type(model_type: str, body: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    props = _props(model_type)
    return st.sampled_from(sorted(props)).flatmap(
        lambda name: _any_json_except_integral_floats(props[name]).map(lambda v: {**body, name: v})
    )


def _unknown_key(model_type: str, body: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    props = _props(model_type)
    others = sorted({n for schema in VARIANTS.values() for n in schema["properties"]} - set(props))
    keys = (st.sampled_from(others) if others else st.nothing()) | st.text(max_size=12)
    keys = keys.filter(lambda k: k not in props and k not in ALIASES)
    return st.tuples(keys, json_values).map(lambda kv: {**body, kv[0]: kv[1]})


def _other_model_type(model_type: str, body: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    others = [m for m in MODEL_TYPES if m != model_type]
    tags = st.sampled_from(others) | st.text(max_size=20) | st.sampled_from([model_type.upper(), model_type + " "])
    return tags.map(lambda tag: {**body, "model_type": tag})


#: Characters inserted into nearly-valid URLs and UUIDs. "#" and "%" have a test of their own,
#: test_url_fields_follow_format_uri.
TWEAK_CHARS = ' \n\t\u00e9[]{}\\"<>|^`/:@?.-_~0aAgG+'


@st.composite
def tweaked(draw: st.DrawFn, base: st.SearchStrategy[str], chars: str) -> str:
    """A valid string, then one edit: insert, replace or delete one character, change case, or strip hyphens."""
    value = draw(base)
    edit = draw(st.sampled_from(["insert", "replace", "delete", "upper", "strip-hyphens", "append"]))
    i = draw(st.integers(0, max(len(value) - 1, 0)))
    c = draw(st.sampled_from(chars))
    if edit == "insert":
        return value[:i] + c + value[i:]
    if edit == "replace":
        return value[:i] + c + value[i + 1 :]
    if edit == "delete":
        return value[:i] + value[i + 1 :]
    if edit == "upper":
        return value.upper()
    if edit == "strip-hyphens":
        return value.replace("-", "")
    return value + c


def _nearly_valid_string(model_type: str, body: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    props = _props(model_type)
    choices: list[st.SearchStrategy[dict[str, Any]]] = []
    urls = tweaked(http_urls(pct=False), TWEAK_CHARS)
    for name, prop in props.items():
        if prop.get("format") == "uuid":
            choices.append(tweaked(uuids, TWEAK_CHARS).map(lambda v, n=name: {**body, n: v}))
        elif prop.get("format") == "uri":
            choices.append(urls.map(lambda v, n=name: {**body, n: v}))
        elif prop.get("type") == "array" and props[name].get("items", {}).get("format") == "uri":
            lists = st.lists(http_urls(pct=False) | urls, min_size=2, max_size=4)
            choices.append(lists.map(lambda v, n=name: {**body, n: v}))
    return st.one_of(choices) if choices else st.nothing()


MUTATIONS: dict[str, Mutation] = {
    "drop a required field": _drop_required,
    "push a number past a bound": _past_a_bound,
    "swap the type": _swap_type,
    "add an unknown key": _unknown_key,
    "change model_type": _other_model_type,
    "nearly-valid uuid or url": _nearly_valid_string,
}


def _applicable(model_type: str) -> list[str]:
    has_strings = any(p.get("format") in ("uuid", "uri") or "items" in p for p in _props(model_type).values())
    return [m for m in MUTATIONS if m != "nearly-valid uuid or url" or has_strings]


@pytest.mark.parametrize(
    ("model_type", "kind"), [(model_type, kind) for model_type in MODEL_TYPES for kind in _applicable(model_type)]
)
@scaled(0.25)
@given(data=st.data())
def test_overlay_refuses_exactly_what_the_spec_refuses(model_type: str, kind: str, data: st.DataObject) -> None:
    """A valid body, mutated once; the overlay and the spec must agree on it (and on the wire body when valid).

    Caught: the validation model's Dimension `le` raised to 4096 (width 2049 sent although the spec refuses it);
    the spec's Dimension maximum lowered to 1536, or its Seed minimum raised to 1, without regenerating (the
    overlay still sends 1537 / seed 0); the overlay's None check switched off (null sent for optional fields:
    7 of the 9 "swap the type" cases).
    """
    body = data.draw(VALID[model_type], label="valid body")
    mutated = data.draw(MUTATIONS[kind](model_type, body), label="mutated body")
    check_agreement(mutated)


@settings(PROFILE)
@given(url=tweaked(http_urls(), "#%"))
def test_url_fields_follow_format_uri(url: str) -> None:
    """Valid URLs with one '#' or '%' edit: the overlay must refuse exactly those the spec's `format: uri` refuses.

    Catches a spec whose HttpUrl pattern admits what `format: uri` refuses ("https://a#b#c", "https://a/%zz"): the
    overlay (which checks the pattern) would send them and Prism would answer 422. It failed on the first pattern.
    """
    model_type, field = fields_where(lambda p: p.get("format") == "uri")[0][:2]
    check_agreement({**minimal_body(model_type), field: url})
