"""``images.with_raw_response.generate`` and ``result._request_id`` (openai-python's names), on a real loopback server.

Each test runs the sync and the async client. The bodies sent are the spec's seed examples.
"""

from __future__ import annotations

import asyncio
from typing import Any

import imagineo
import pytest
from imagineo import (
    APIResponse,
    APIResponseValidationError,
    AsyncAPIResponse,
    AsyncImagineoAIClient,
    ImagineoAIClient,
    RateLimitError,
)

from tests.loopback import DEFAULT_IMAGE_URL, LoopbackServer
from tests.overlay_helpers import API_KEY, MODES, generate, seed_examples


@pytest.fixture
def example(spec: dict[str, Any]) -> dict[str, Any]:
    """One of the spec's request examples, as keyword arguments."""
    return next(iter(seed_examples(spec).values()))


def raw_call(mode: str, url: str, *args: Any, **kwargs: Any) -> tuple[APIResponse[Any] | AsyncAPIResponse[Any], Any]:
    """One ``with_raw_response.generate`` call: (the raw response, its ``parse()``, or the error parse() raised)."""
    if mode == "sync":
        with ImagineoAIClient(url, api_key=API_KEY, max_retries=0) as client:
            raw = client.images.with_raw_response.generate(*args, **kwargs)
            try:
                return raw, raw.parse()
            except imagineo.APIError as exc:
                return raw, exc

    async def run() -> tuple[AsyncAPIResponse[Any], Any]:
        async with AsyncImagineoAIClient(url, api_key=API_KEY, max_retries=0) as client:
            araw = await client.images.with_raw_response.generate(*args, **kwargs)
            try:
                return araw, await araw.parse()
            except imagineo.APIError as exc:
                return araw, exc

    return asyncio.run(run())


@pytest.mark.parametrize("mode", MODES)
def test_a_result_carries_the_request_id(mode: str, loopback: LoopbackServer, example: dict[str, Any]) -> None:
    """Breaks if a success loses the answer's x-request-id (``result._request_id``), or if carrying it changes what
    the result is: the id leaking into to_dict(), repr() or ==, or an absent field showing generated ``Unset``
    instead of None (issue 23)."""
    loopback.enqueue(200, {"image_url": DEFAULT_IMAGE_URL, "later_field": 1}, headers={"x-request-id": "req_abc"})
    result = generate(mode, {"api_url": loopback.url}, **example)
    assert isinstance(result, imagineo.GenerateImageOutput)
    assert result.image_urls is None and result.run_id is None
    assert "Unset" not in repr(result)
    assert result._request_id == "req_abc"
    assert result.image_url == DEFAULT_IMAGE_URL
    assert result["later_field"] == 1
    assert result.to_dict() == {"image_url": DEFAULT_IMAGE_URL, "later_field": 1}
    assert "req_abc" not in repr(result)
    twin = imagineo.GenerateImageOutput.from_dict(result.to_dict())
    assert twin == result
    assert twin._request_id is None


@pytest.mark.parametrize("mode", MODES)
def test_no_request_id_header_is_none(mode: str, loopback: LoopbackServer, example: dict[str, Any]) -> None:
    """Breaks if an answer without x-request-id makes ``_request_id`` raise (an unset slot) instead of None."""
    loopback.enqueue(200, {"image_url": DEFAULT_IMAGE_URL})
    assert generate(mode, {"api_url": loopback.url}, **example)._request_id is None


@pytest.mark.parametrize("mode", MODES)
def test_raw_response_gives_headers_status_request_and_the_result(
    mode: str, loopback: LoopbackServer, example: dict[str, Any]
) -> None:
    """Breaks if the raw response loses the headers (rate limits), the status, the request as sent or the request
    id, if parse() differs from what images.generate returns, or if per-call options are dropped on this path."""
    headers = {"x-request-id": "req_raw", "x-ratelimit-remaining-requests": "41"}
    loopback.enqueue(200, {"image_url": DEFAULT_IMAGE_URL, "run_id": "r_1"}, headers=headers)
    raw, result = raw_call(mode, loopback.url, **example, extra_headers={"X-Trace": "t1"}, idempotency_key="k-1")
    assert isinstance(raw, APIResponse if mode == "sync" else AsyncAPIResponse)
    assert raw.status_code == 200
    assert raw.headers["X-RateLimit-Remaining-Requests"] == "41"
    assert raw.request_id == "req_raw"
    assert raw.http_request.method == raw.method == "POST"
    assert raw.url.path.endswith("/runs/generate")
    assert raw.http_request.headers["idempotency-key"] == "k-1"
    assert loopback.requests[-1].headers["x-trace"] == "t1"
    assert isinstance(result, imagineo.GenerateImageOutput)
    assert (result.image_url, result.run_id, result._request_id) == (DEFAULT_IMAGE_URL, "r_1", "req_raw")
    assert repr(raw).endswith("[200 OK] request_id='req_raw'>")


def test_parse_is_cached_and_the_body_stays_readable(loopback: LoopbackServer, example: dict[str, Any]) -> None:
    """Breaks if parse() builds a new result on each call, or if parsing consumes the body read()/text()/json()
    give back."""
    loopback.enqueue(200, {"image_url": DEFAULT_IMAGE_URL})
    with ImagineoAIClient(loopback.url, api_key=API_KEY) as client:
        raw = client.images.with_raw_response.generate(**example)
        assert raw.parse() is raw.parse()
        assert raw.json() == {"image_url": DEFAULT_IMAGE_URL}
        assert raw.read() == raw.content == raw.text().encode()


@pytest.mark.parametrize("mode", MODES)
def test_a_204_has_its_request_id_on_the_raw_response(
    mode: str, loopback: LoopbackServer, example: dict[str, Any]
) -> None:
    """Breaks if a 204 (whose result is None) leaves its request id unreachable on the raw response."""
    loopback.enqueue(204, headers={"x-request-id": "req_204"})
    raw, result = raw_call(mode, loopback.url, **example)
    assert (raw.status_code, raw.request_id, result) == (204, "req_204", None)


@pytest.mark.parametrize("mode", MODES)
def test_an_error_status_raises_as_generate_does(mode: str, loopback: LoopbackServer, example: dict[str, Any]) -> None:
    """Breaks if with_raw_response returns an error answer instead of raising the typed error images.generate
    raises (with its request id), as openai-python's does."""
    loopback.enqueue(429, {"error": "slow down"}, headers={"x-request-id": "req_429"})
    with pytest.raises(RateLimitError) as caught:
        raw_call(mode, loopback.url, **example)
    assert caught.value.request_id == "req_429"


@pytest.mark.parametrize("mode", MODES)
def test_a_broken_body_fails_at_parse_with_headers_readable(
    mode: str, loopback: LoopbackServer, example: dict[str, Any]
) -> None:
    """Breaks if a 200 that is not the documented JSON raises from the call (hiding its headers) rather than from
    parse(), or raises a raw builtin exception there."""
    loopback.enqueue(200, {"run_id": "no image_url"}, headers={"x-request-id": "req_bad"})
    raw, error = raw_call(mode, loopback.url, **example)
    assert raw.request_id == "req_bad"
    assert isinstance(error, APIResponseValidationError)
    assert error.request_id == "req_bad"


def test_the_key_is_not_in_raw_headers_or_repr(loopback: LoopbackServer, example: dict[str, Any]) -> None:
    """Breaks if an answer echoing the key back (in a header, in x-request-id) shows it through the raw response's
    headers, request_id or repr(), or through result._request_id."""
    loopback.enqueue(200, {"image_url": DEFAULT_IMAGE_URL}, headers={"x-echo": API_KEY, "x-request-id": API_KEY})
    raw, result = raw_call("sync", loopback.url, **example)
    shown = [repr(raw), str(raw.request_id), str(dict(raw.headers)), str(result._request_id)]
    assert not any(API_KEY in text for text in shown), shown


def test_with_options_copies_get_their_own_raw_calls(loopback: LoopbackServer, example: dict[str, Any]) -> None:
    """Breaks if a with_options() copy's with_raw_response sends with the original client's settings."""
    with ImagineoAIClient(loopback.url, api_key=API_KEY) as client:
        client.images.with_raw_response.generate(**example)
        copy = client.with_options(default_headers={"X-Copy": "yes"})
        copy.images.with_raw_response.generate(**example)
    assert "x-copy" not in loopback.requests[0].headers
    assert loopback.requests[1].headers["x-copy"] == "yes"
