"""The client and the spec agree, judged by Prism: a contract server built from openapi/imagineo.yaml by people who did
not write either.

Prism (`tests/prism.py`) validates every request against the spec and answers 422 with the violations in the
``sl-violations`` header when one breaks it. So:

* everything the client sends for valid input (every named example, every optional field, every bound) must get a 2xx
  that the client parses (sync and async);
* every body in `NEGATIVE_CASES` must get 422 from Prism when sent raw, AND be refused by the client with
  ImagineoValidationError before anything is sent: where the two disagree, the spec or the overlay is wrong;
* ``Prefer: code=...`` makes Prism answer a documented response (204, 429, every error status), which the client
  must map to None or the documented exception class.

Breaks tried (in a scratch copy of the repo, then thrown away) and the tests that caught them are named in each
test's docstring.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import imagineo
import pytest
from imagineo import (
    APIStatusError,
    AsyncImagineoAIClient,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    GenerateImageOutput,
    ImagineoAIClient,
    ImagineoValidationError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from imagineo_api import catalog, schemas

from tests.loopback import LoopbackServer
from tests.prism import (
    API_KEY,
    OPERATION,
    REQUEST_EXAMPLES,
    RESPONSE_EXAMPLES_200,
    SPEC,
    TLS_CONTEXT,
    VARIANTS,
    PrismServer,
    describe_violations,
    running_prism,
    violations,
)
from tests.spec_cases import DEFAULT_MODEL_TYPE, TAG_FIELD, fields_where, full_body, valid_value


@pytest.fixture(scope="session")
def prism() -> Iterator[PrismServer]:
    """Prism on 127.0.0.1, validating every request against openapi/imagineo.yaml (422 + sl-violations)."""
    with running_prism() as server:
        yield server


MODES = ("sync", "async")

#: One body per model type with every optional field set: its named example plus valid values for the rest
#: (tests/spec_cases.py), so "every optional field" stays true when the spec grows.
FULL: dict[str, dict[str, Any]] = {model_type: full_body(model_type) for model_type in VARIANTS}
ANY_MODEL = DEFAULT_MODEL_TYPE
TAG = TAG_FIELD


# -- running the client ------------------------------------------------------------------------------------------------


def run_client(
    mode: str, base_url: str, body: dict[str, Any], responses: list[httpx.Response], **options: Any
) -> GenerateImageOutput | None:
    """One images.generate(body) call through the sync or async client; every HTTP response lands in `responses`."""
    max_retries = options.pop("max_retries", 0)
    if mode == "sync":
        with (
            httpx.Client(verify=TLS_CONTEXT, event_hooks={"response": [responses.append]}) as http,
            ImagineoAIClient(base_url, api_key=API_KEY, http_client=http, max_retries=max_retries) as client,
        ):
            return client.images.generate(body, **options)

    async def record(response: httpx.Response) -> None:
        responses.append(response)

    async def run() -> GenerateImageOutput | None:
        async with (
            httpx.AsyncClient(verify=TLS_CONTEXT, event_hooks={"response": [record]}) as http,
            AsyncImagineoAIClient(base_url, api_key=API_KEY, http_client=http, max_retries=max_retries) as client,
        ):
            return await client.images.generate(body, **options)

    return asyncio.run(run())


def assert_prism_accepts(mode: str, prism: PrismServer, body: dict[str, Any], what: str) -> None:
    """The client sends `body`; Prism must find nothing wrong with the request and the client must parse the 200."""
    responses: list[httpx.Response] = []
    rejected: APIStatusError | None = None
    try:
        result = run_client(mode, prism.url, body, responses)
    except APIStatusError as exc:
        rejected = exc
    if rejected is not None:
        pytest.fail(
            f"Prism rejected {what} ({mode}) with {rejected.status_code}; the client sent something the spec "
            f"forbids:\n{describe_violations(rejected.response)}\nbody: {body!r}"
        )
    (response,) = responses
    assert violations(response) == [], f"{what}: Prism flagged the request:\n{describe_violations(response)}"
    assert isinstance(result, GenerateImageOutput), what
    # Prism answers with the spec's first 200 example; the client must give it back whole.
    assert result.to_dict() == RESPONSE_EXAMPLES_200[0], what


# -- valid input: Prism must accept what the client sends ------------------------------------------------------------


def test_full_bodies_set_every_field() -> None:
    """FULL must set every property of every variant, so 'every optional field' stays true when the spec grows."""
    assert set(FULL) == set(VARIANTS)
    for model_type, schema in VARIANTS.items():
        assert set(FULL[model_type]) == set(schema["properties"]), model_type
        assert FULL[model_type]["model_type"] == model_type


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(REQUEST_EXAMPLES))
def test_seed_examples_pass_prism(prism: PrismServer, mode: str, name: str) -> None:
    """Every named request example, sent by the client (defaults added), is a request Prism finds valid.

    Caught: the spec's Dimension maximum lowered to 1536 without regenerating (Prism refuses wan-image-2.1's width
    1920); the overlay adding a stray "client" key to every body (all 18 fail, the message lists Prism's
    "must NOT have additional properties; found 'client'").
    """
    assert_prism_accepts(mode, prism, REQUEST_EXAMPLES[name], f"seed example {name!r}")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("model_type", list(FULL))
def test_every_optional_field_passes_prism(prism: PrismServer, mode: str, model_type: str) -> None:
    """One call per model type with every optional field set.

    Caught: the spec's Seed minimum raised to 1 (flux-kontext-max's seed 0 refused by Prism); its Dimension maximum
    lowered to 1536 (openai's height 2048, wan's 1920 and 2048 refused); the stray-key overlay break.
    """
    assert_prism_accepts(mode, prism, FULL[model_type], f"{model_type} with every field")


def _step(value: float, towards: float, integer: bool) -> float:
    if integer:
        return value + (1 if towards > value else -1)
    return math.nextafter(value, towards)


def _bound_cases(inside: bool) -> list[tuple[str, dict[str, Any], str]]:
    """(id, body, field): for every bounded number and list in every variant, the bound and one step inside it
    (``inside``), or one step outside it."""
    cases = []
    for model_type, schema in VARIANTS.items():
        for name, prop in schema["properties"].items():
            integer = prop.get("type") == "integer"
            for key, towards in (("minimum", math.inf), ("maximum", -math.inf)):
                if key not in prop:
                    continue
                bound = prop[key]
                values = [bound, _step(bound, towards, integer)] if inside else [_step(bound, -towards, integer)]
                for value in values:
                    value = int(value) if integer else value
                    cases.append((f"{model_type}-{name}={value!r}", {**FULL[model_type], name: value}, name))
            for key in ("minItems", "maxItems"):
                if key in prop:
                    n = prop[key] if inside else prop[key] + (-1 if key == "minItems" else 1)
                    item = valid_value(prop["items"])
                    items = [f"{item}{i}" if isinstance(item, str) else item for i in range(n)]
                    cases.append((f"{model_type}-{name}-{n}-items", {**FULL[model_type], name: items}, name))
    return cases


@pytest.mark.parametrize("body", [pytest.param(body, id=case_id) for case_id, body, _ in _bound_cases(inside=True)])
def test_bounds_pass_prism(prism: PrismServer, body: dict[str, Any]) -> None:
    """Each range bound, and one step inside it, is valid for the client and for Prism (inclusive bounds).

    Caught: the spec's Dimension maximum lowered to 1536 without regenerating (the bodies keep the other fields'
    full values, so every openai / wan case fails with Prism's violation on the 2048 or 1920 dimension).
    """
    assert_prism_accepts("sync", prism, body, "a bound")


@pytest.mark.parametrize("mode", MODES)
def test_model_type_default_makes_a_valid_request(prism: PrismServer, mode: str) -> None:
    """Without model_type the raw body breaks the spec (model_type is required), but the client fills in the
    spec's default model type."""
    body = {k: v for k, v in FULL[DEFAULT_MODEL_TYPE].items() if k != TAG}
    assert prism.post_raw(body).status_code == 422
    assert_prism_accepts(mode, prism, body, "a body without model_type")


def test_integral_float_is_the_one_known_difference(prism: PrismServer, loopback: LoopbackServer) -> None:
    """512.0 for an integer: JSON Schema (and so Prism) calls it an integer; the overlay refuses it on purpose.

    Python callers who pass 512.0 almost always computed it (a float division), and the generated request model
    would send it as 512.0 anyway; the overlay's strict int says so instead. Stricter than the spec, never looser.
    """
    model_type, name, _ = fields_where(lambda p: p.get("type") == "integer")[0]
    body = {**FULL[model_type], name: float(FULL[model_type][name])}
    assert prism.post_raw(body).status_code == 200
    with pytest.raises(ImagineoValidationError) as info:
        run_client("sync", loopback.url, body, [])
    assert [e["field"] for e in info.value.errors] == [name]
    assert loopback.requests == []


# -- invalid input: Prism and the client must both refuse it ----------------------------------------------------------


@dataclass(frozen=True)
class Negative:
    body: dict[str, Any]
    field: str  # the field ImagineoValidationError must name (a prefix: image_urls matches image_urls[1])


def _wrong_types(prop: dict[str, Any], value: Any) -> list[tuple[str, Any]]:
    """(label, value of the wrong JSON type) for one property holding `value`."""
    kind = prop.get("type")
    if kind == "integer":
        return [("string", str(value)), ("bool", True), ("fraction", value + 0.5)]
    if kind == "number":
        return [("string", str(value)), ("bool", False)]
    if kind == "array":
        return [("string", value[0] if value else "x")]
    if kind == "string":
        return [("number", 5)]
    return []


def _negatives() -> dict[str, Negative]:
    """Bodies that break the spec, each derived from it: every rule of every field of every model type."""
    cases: dict[str, Negative] = {}

    def add(case_id: str, base: str, field: str, **changes: Any) -> None:
        cases[case_id] = Negative({**FULL[base], **changes}, field)

    every_field = {n for v in VARIANTS.values() for n in v["properties"]}
    every_enum_value = {c for v in VARIANTS.values() for p in v["properties"].values() for c in p.get("enum", [])}
    for model_type, schema in VARIANTS.items():
        # A missing required field (model_type itself is filled in by the client: see above).
        for name in schema["required"]:
            if name != TAG:
                cases[f"{model_type}-missing-{name}"] = Negative(
                    {k: v for k, v in FULL[model_type].items() if k != name}, name
                )
        for name, prop in schema["properties"].items():
            if name == TAG:
                continue
            value = FULL[model_type][name]
            for label, wrong in _wrong_types(prop, value):
                add(f"{model_type}-{name}-{label}", model_type, name, **{name: wrong})
            if name not in schema["required"]:
                add(f"{model_type}-{name}=null", model_type, name, **{name: None})
            if prop.get("minLength") == 1:
                add(f"{model_type}-empty-{name}", model_type, name, **{name: ""})
            if "enum" in prop:
                outsiders = sorted(every_enum_value - set(prop["enum"]))[:2]
                first = prop["enum"][0]
                for outsider in [*outsiders, "", f" {first}", f"{first}x", f"{first}:1"]:
                    if outsider not in prop["enum"]:
                        add(f"{model_type}-{name}={outsider!r}", model_type, name, **{name: outsider})
        # Unknown fields, and the first field of another model type.
        add(f"{model_type}-unknown-field", model_type, "style_preset_unknown", style_preset_unknown="watercolor")
        foreign = sorted(every_field - set(schema["properties"]))
        if foreign:
            owner = next(m for m in VARIANTS if foreign[0] in VARIANTS[m]["properties"])
            add(f"{model_type}-foreign-{foreign[0]}", model_type, foreign[0], **{foreign[0]: FULL[owner][foreign[0]]})
    # Each range bound, one step outside.
    for case_id, body, field in _bound_cases(inside=False):
        cases[f"out-{case_id}"] = Negative(body, field)
    # Wrong discriminator values.
    for value in ("no-such-model", ANY_MODEL.upper(), ANY_MODEL.replace("-", "_"), "", 1, None, [ANY_MODEL]):
        add(f"model_type={value!r}", ANY_MODEL, TAG, **{TAG: value})
    # Bad UUIDs, in every uuid field.
    for model_type, name, _ in fields_where(lambda p: p.get("format") == "uuid"):
        good = FULL[model_type][name]
        for label, value in {
            "words": "not-a-uuid",
            "no-hyphens": good.replace("-", ""),
            "braces": "{" + good + "}",
            "urn": "urn:uuid:" + good,
            "trailing-newline": good + "\n",
            "non-hex": "g" + good[1:],
            "short": good[:-1],
            "empty": "",
        }.items():
            add(f"{model_type}-{name}-{label}", model_type, name, **{name: value})
    # Bad URLs: relative, other schemes, spaces, non-ASCII, IPv6 literals (outside the HttpUrl pattern), newlines,
    # and strings that are not RFC 3986 URIs (a second '#', a '%' without two hex digits; before the spec's HttpUrl
    # pattern was tightened these matched it, so the overlay sent what `format: uri` and Prism refuse).
    bad_urls = {
        "relative": "example.com/cat.png",
        "scheme-relative": "//example.com/cat.png",
        "ftp": "ftp://example.com/cat.png",
        "javascript": "javascript:alert(1)",
        "no-host": "https://",
        "space-in-host": "https://exa mple.com/cat.png",
        "space-in-path": "https://example.com/my cat.png",
        "non-ascii": "https://example.com/caf\u00e9.png",
        "ipv6": "https://[::1]/cat.png",
        "trailing-newline": "https://example.com/cat.png\n",
        "empty": "",
        "second-hash": "https://example.com/cat.png#a#b",
        "bad-percent": "https://example.com/100%zz.png",
    }
    url_fields = fields_where(lambda p: p.get("format") == "uri")
    if url_fields:
        model_type, name, _ = url_fields[0]
        for label, value in bad_urls.items():
            add(f"{model_type}-{name}-{label}", model_type, name, **{name: value})
    for model_type, name, _ in fields_where(lambda p: p.get("items", {}).get("format") == "uri"):
        add(
            f"{model_type}-{name}-item-not-a-url",
            model_type,
            name,
            **{name: [*FULL[model_type][name][:-1], "not a url"]},
        )
    return cases


NEGATIVE_CASES = _negatives()


@pytest.mark.parametrize("case_id", list(NEGATIVE_CASES))
def test_prism_rejects_negative_case(prism: PrismServer, case_id: str) -> None:
    """Each negative body, sent raw (no SDK), breaks the spec: Prism answers 422 and names a body violation.

    If this fails, the table is wrong about the spec (or the spec lost a rule): Prism is the judge here.
    """
    response = prism.post_raw(NEGATIVE_CASES[case_id].body)
    assert response.status_code == 422, f"Prism accepted {case_id}: {NEGATIVE_CASES[case_id].body!r}"
    found = violations(response)
    assert found, "422 without sl-violations"
    assert all(v["location"][:2] == ["request", "body"] for v in found), describe_violations(response)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case_id", list(NEGATIVE_CASES))
def test_client_rejects_negative_case_before_sending(loopback: LoopbackServer, mode: str, case_id: str) -> None:
    """The same bodies given to images.generate raise ImagineoValidationError naming the field; nothing is sent.

    Caught: the validation model (imagineo_api.schemas) with Dimension `le` raised to 4096 (the 20 width/height =
    2049 cases: DID NOT RAISE); the overlay's None check switched off (width=null, negative_prompt=null sent).
    """
    case = NEGATIVE_CASES[case_id]
    with pytest.raises(ImagineoValidationError) as info:
        run_client(mode, loopback.url, case.body, [])
    assert loopback.requests == [], "the client sent a request for invalid input"
    fields = [e["field"] for e in info.value.errors]
    assert any(f.startswith(case.field) for f in fields), f"expected an error on {case.field}, got {fields}"


# -- documented responses, chosen with Prefer: code=... ---------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_204_is_none(prism: PrismServer, mode: str) -> None:
    """Prism's documented 204 (no body) comes back as None.

    Caught: _parse without its 204 branch (APIResponseValidationError 'empty body' instead of None).
    """
    responses: list[httpx.Response] = []
    result = run_client(mode, prism.url, FULL[ANY_MODEL], responses, extra_headers={"Prefer": "code=204"})
    assert result is None
    assert [r.status_code for r in responses] == [204]
    assert violations(responses[0]) == []


@pytest.mark.parametrize("mode", MODES)
def test_429_without_retries(prism: PrismServer, mode: str) -> None:
    """The documented 429 (Error body, Retry-After: 2) raises RateLimitError carrying the body and its headers."""
    responses: list[httpx.Response] = []
    with pytest.raises(RateLimitError) as info:
        run_client(mode, prism.url, FULL[ANY_MODEL], responses, extra_headers={"Prefer": "code=429"})
    documented = SPEC["components"]["responses"]["TooManyRequests"]
    exc = info.value
    assert exc.status_code == 429
    assert exc.body == documented["content"]["application/json"]["example"]
    assert exc.response.headers["retry-after"] == "2"
    assert "Too many requests" in str(exc)
    assert len(responses) == 1


@pytest.mark.parametrize("mode", MODES)
def test_429_is_retried_after_retry_after(prism: PrismServer, mode: str, waits: list[float]) -> None:
    """With retries, each 429's Retry-After (2 s, from the spec's header example) is the wait; then RateLimitError.

    Caught: 429 removed from _retry.RETRY_STATUSES (one attempt instead of three).
    """
    responses: list[httpx.Response] = []
    with pytest.raises(RateLimitError):
        run_client(mode, prism.url, FULL[ANY_MODEL], responses, max_retries=2, extra_headers={"Prefer": "code=429"})
    assert [r.status_code for r in responses] == [429, 429, 429]
    assert waits == [2.0, 2.0]


#: The SDK's own class for the statuses it names itself (as openai-python does); every other documented status
#: raises the class generated for it from the spec (imagineo_api.catalog.ERRORS), or InternalServerError for 5xx.
SDK_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}
DOCUMENTED_ERRORS = sorted(int(code) for code in OPERATION["responses"] if int(code) >= 400)


def expected_class(status: int) -> type[APIStatusError]:
    if status in SDK_CLASSES:
        return SDK_CLASSES[status]
    if status >= 500:
        return InternalServerError
    cls: type[APIStatusError] = getattr(imagineo, catalog.ERRORS[status]["class_name"])
    return cls


@pytest.mark.parametrize("status", DOCUMENTED_ERRORS)
def test_documented_error_statuses(prism: PrismServer, status: int) -> None:
    """Each documented error response, as Prism renders it (an Error body), raises its documented exception class."""
    responses: list[httpx.Response] = []
    with pytest.raises(APIStatusError) as info:
        run_client("sync", prism.url, FULL[ANY_MODEL], responses, extra_headers={"Prefer": f"code={status}"})
    assert type(info.value) is expected_class(status)
    assert issubclass(expected_class(status), APIStatusError)
    assert info.value.status_code == status
    assert violations(responses[0]) == []
    schemas.Error.model_validate(info.value.body)  # the body is the documented Error shape
