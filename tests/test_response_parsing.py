"""The response side: what the client makes of the API's answers.

* 200 bodies generated from the spec's GenerateImageOutput schema (hypothesis-jsonschema), plus unknown extra fields,
  parse without loss: every documented field as sent, every extra field kept and reachable
  (``GenerateImageOutput.additional_properties``, ``result[key]``, ``to_dict()``).
* 2xx bodies that break the schema (a required field missing, wrong types, not JSON, truncated JSON, an empty body)
  raise APIResponseValidationError, never a KeyError, JSONDecodeError or ValueError from the generated parser; error
  statuses with bodies that are not the documented Error (an HTML 502, a non-standard 520) raise their documented
  class with the body text kept.

The generated bodies go through an httpx.MockTransport (thousands of them, fast); the table of broken answers goes
through the real loopback server (tests/loopback.py), sync and async.
"""

from __future__ import annotations

import asyncio
import json
import warnings
from typing import Any

import httpx
import pytest
from hypothesis import given, note
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from imagineo import (
    APIError,
    APIResponseValidationError,
    APIStatusError,
    AsyncImagineoAIClient,
    GenerateImageOutput,
    ImagineoAIClient,
    InternalServerError,
    _send,
)

from tests.hypothesis_profiles import CUSTOM_FORMATS, json_values, scaled
from tests.loopback import LoopbackServer
from tests.prism import SCHEMAS, TLS_CONTEXT, resolve

pytestmark = pytest.mark.filterwarnings("ignore:Overriding standard format:hypothesis.errors.HypothesisWarning")

OUTPUT_SCHEMA: dict[str, Any] = resolve(SCHEMAS["GenerateImageOutput"])
KNOWN = frozenset(OUTPUT_SCHEMA["properties"])
OPTIONAL = sorted(KNOWN - set(OUTPUT_SCHEMA["required"]))
MODES = ("sync", "async")


class Answer:
    """A client whose every request is answered by `self.response` (an httpx.MockTransport)."""

    def __init__(self) -> None:
        self.response = httpx.Response(204)
        self.calls = 0
        http = httpx.Client(transport=httpx.MockTransport(self._answer), verify=TLS_CONTEXT)
        self.client = ImagineoAIClient("https://api.imagineo.test", api_key="sk-resp", max_retries=0, http_client=http)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        return self.response

    def get(self, status: int, content: bytes, content_type: str = "application/json") -> GenerateImageOutput | None:
        self.response = httpx.Response(status, content=content, headers={"Content-Type": content_type})
        return self.client.images.generate(prompt="A cat")


ANSWER = Answer()


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


# -- generated 200 bodies parse without loss ---------------------------------------------------------------------------

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # "Overriding standard format 'uri'": intended, see CUSTOM_FORMATS
    #: 200 bodies drawn from the spec's schema (which already allows extra fields: additionalProperties is true).
    documented_outputs: st.SearchStrategy[dict[str, Any]] = from_schema(OUTPUT_SCHEMA, custom_formats=CUSTOM_FORMATS)

extra_fields = st.dictionaries(st.text(max_size=16).filter(lambda k: k not in KNOWN), json_values, max_size=4)
outputs = st.builds(lambda extras, documented: {**extras, **documented}, extra_fields, documented_outputs)


@scaled(1.5)
@given(body=outputs)
def test_generated_outputs_parse_without_loss(body: dict[str, Any]) -> None:
    """Each documented field comes back as sent; each unknown field stays reachable; to_dict() gives the body back.

    Caught: _parse dropping the extras after parsing (``parsed.additional_properties = {}`` before returning).
    """
    result = ANSWER.get(200, json.dumps(body).encode())
    assert isinstance(result, GenerateImageOutput)
    assert result.image_url == body["image_url"]
    for name in OPTIONAL:
        assert getattr(result, name) == body.get(name), name  # an absent field is None, never Unset
    extras = {k: v for k, v in body.items() if k not in KNOWN}
    note(f"extras: {extras!r}")
    assert canonical(result.additional_properties) == canonical(extras)
    for key, value in extras.items():
        assert key in result
        assert canonical(result[key]) == canonical(value)
    assert canonical(result.to_dict()) == canonical(body)


# -- broken 2xx bodies: APIResponseValidationError, nothing else -------------------------------------------------------

not_a_string = json_values.filter(lambda v: not isinstance(v, str))


@st.composite
def broken_bodies(draw: st.DrawFn) -> tuple[str, bytes]:
    """(what is wrong, the 200 body): a body that breaks GenerateImageOutput, or is not (complete) JSON at all."""
    documented: dict[str, Any] = draw(documented_outputs)
    kind = draw(
        st.sampled_from(
            [
                "missing image_url",
                "image_url not a string",
                "image_urls not a list of strings",
                "run_id or model_type not a string",
                "not an object",
                "truncated",
                "not JSON",
            ]
        )
    )
    body: Any = dict(documented)
    if kind == "missing image_url":
        del body["image_url"]
    elif kind == "image_url not a string":
        body["image_url"] = draw(not_a_string)
    elif kind == "image_urls not a list of strings":
        # null for an optional field has its own test (test_null_optional_fields_are_rejected).
        bad_item = st.lists(st.text(max_size=5)).flatmap(lambda ok: not_a_string.map(lambda bad: [*ok, bad]))
        body["image_urls"] = draw(bad_item | not_a_string.filter(lambda v: v is not None and not isinstance(v, list)))
    elif kind == "run_id or model_type not a string":
        body[draw(st.sampled_from(["run_id", "model_type"]))] = draw(not_a_string.filter(lambda v: v is not None))
    elif kind == "not an object":
        body = draw(json_values.filter(lambda v: not isinstance(v, dict)))
    elif kind == "truncated":
        text = json.dumps(documented).encode()
        return kind, text[: draw(st.integers(0, len(text) - 1))]
    else:
        return kind, draw(
            st.binary(max_size=40).filter(lambda b: not _is_json(b))
            | st.sampled_from([b"<html><body>OK</body></html>", b"{'image_url': 'x'}", b"\xff\xfe\xfa", b"   "])
        )
    return kind, json.dumps(body).encode()


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


@scaled(1.5)
@given(case=broken_bodies())
def test_broken_2xx_bodies_raise_response_validation_error(case: tuple[str, bytes]) -> None:
    """Whatever is wrong with a 200 body, the caller gets APIResponseValidationError (with the body), nothing else.

    Caught: _parse skipping its pydantic check (KeyError 'image_url' and friends leak from the generated
    from_dict); _check_output catching KeyError instead of ValueError (JSONDecodeError / UnicodeDecodeError leak).
    """
    kind, content = case
    note(f"{kind}: {content!r}")
    with pytest.raises(APIError) as info:
        ANSWER.get(200, content)
    assert type(info.value) is APIResponseValidationError, f"{kind}: {type(info.value).__name__}: {info.value}"
    assert info.value.status_code == 200
    # The body is kept for the caller: the parsed JSON when it is JSON, else the text as received.
    kept = json.loads(content) if _is_json(content) else content.decode("utf-8", errors="replace")
    assert canonical(info.value.body) == canonical(kept)


@pytest.mark.parametrize("field", OPTIONAL)
def test_null_optional_fields_are_rejected(field: str) -> None:
    """null breaks the spec's type for each optional output field, so it is an APIResponseValidationError."""
    body = {"image_url": "https://cdn.imagineo.test/0.png", field: None}
    try:
        result = ANSWER.get(200, json.dumps(body).encode())
    except APIResponseValidationError:
        return
    raise AssertionError(f"{field}: null accepted, parsed as {getattr(result, field)!r}")


# -- broken answers on a real server -----------------------------------------------------------------------------------

HTML_502 = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>"
CLOUDFLARE_520 = b"error code: 520"

JSON, TEXT, HTML = "application/json", "text/plain", "text/html"
INVALID = APIResponseValidationError

# (status, raw body, content type, expected class)
BROKEN_ANSWERS: dict[str, tuple[int, bytes, str, type[APIError]]] = {
    "200-missing-image_url": (200, b'{"run_id": "r_1"}', JSON, INVALID),
    "200-image_url-number": (200, b'{"image_url": 5}', JSON, INVALID),
    "200-image_url-null": (200, b'{"image_url": null}', JSON, INVALID),
    "200-image_urls-string": (200, b'{"image_url": "u", "image_urls": "u"}', JSON, INVALID),
    "200-image_urls-number-item": (200, b'{"image_url": "u", "image_urls": ["u", 1]}', JSON, INVALID),
    "200-run_id-object": (200, b'{"image_url": "u", "run_id": {}}', JSON, INVALID),
    "200-array": (200, b'[{"image_url": "u"}]', JSON, INVALID),
    "200-null": (200, b"null", JSON, INVALID),
    "200-string": (200, b'"https://cdn.example.com/0.png"', JSON, INVALID),
    "200-not-json": (200, b"Image ready", TEXT, INVALID),
    "200-malformed-json": (200, b"{'image_url': 'https://cdn.example.com/0.png'}", JSON, INVALID),
    "200-truncated-json": (200, b'{"image_url": "https://cdn.example.com/0', JSON, INVALID),
    "200-empty": (200, b"", JSON, INVALID),
    "200-invalid-utf8": (200, b'{"image_url": "\xff\xfe"}', JSON, INVALID),
    "200-html": (200, b"<html><body>Welcome</body></html>", HTML, INVALID),
    "201-undocumented-success": (201, b'{"image_url": "u"}', JSON, INVALID),
    "502-html": (502, HTML_502, HTML, InternalServerError),
    "502-empty": (502, b"", HTML, InternalServerError),
    "520-non-standard": (520, CLOUDFLARE_520, TEXT, InternalServerError),
    "418-non-standard-4xx": (418, b"I'm a teapot", TEXT, APIStatusError),
}


def _call(mode: str, url: str) -> GenerateImageOutput | None:
    if mode == "sync":
        with ImagineoAIClient(url, api_key="sk-resp", max_retries=0) as client:
            return client.images.generate(prompt="A cat")

    async def run() -> GenerateImageOutput | None:
        async with AsyncImagineoAIClient(url, api_key="sk-resp", max_retries=0) as client:
            return await client.images.generate(prompt="A cat")

    return asyncio.run(run())


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", list(BROKEN_ANSWERS))
def test_broken_answers_raise_the_documented_class(loopback: LoopbackServer, mode: str, case: str) -> None:
    """Each broken answer, over real HTTP, raises exactly its documented class; text bodies are kept as text.

    Caught: _parse skipping its pydantic check (KeyError / JSONDecodeError leaks from the generated parser on
    most 200 rows); _check_output catching KeyError instead of ValueError (every non-JSON 200 row); status_error
    keeping None instead of the text of a non-JSON error body (the 502 / 520 / 418 rows).
    """
    status, content, content_type, expected = BROKEN_ANSWERS[case]
    loopback.enqueue(status, body=content, headers={"Content-Type": content_type, "x-request-id": "req_broken"})
    with pytest.raises(APIError) as info:
        _call(mode, loopback.url)
    exc = info.value
    assert type(exc) is expected, f"{case}: {type(exc).__name__}: {exc}"
    assert len(loopback.requests) == 1
    assert exc.status_code == status  # type: ignore[attr-defined]
    assert exc.request_id == "req_broken"  # type: ignore[attr-defined]
    if status >= 300:
        # Not JSON: the body is the text as received, for the caller (and the message) to show.
        assert exc.body == content.decode()
        if content:
            assert content.decode()[:40] in str(exc)


def test_html_502_is_retried_then_raised_with_its_text(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An HTML 502 from a proxy is retried (502 is documented as retryable) and the last page's text is kept.

    Caught: status_error keeping None instead of the text of a non-JSON error body.
    """

    waits: list[float] = []
    monkeypatch.setattr(_send, "_sleep", waits.append)
    for _ in range(3):
        loopback.enqueue(502, body=HTML_502, headers={"Content-Type": "text/html"})
    with ImagineoAIClient(loopback.url, api_key="sk-resp", max_retries=2) as client, pytest.raises(APIError) as info:
        client.images.generate(prompt="A cat")
    assert type(info.value) is InternalServerError
    assert info.value.body == HTML_502.decode()
    assert len(loopback.requests) == 3
    assert len(waits) == 2
