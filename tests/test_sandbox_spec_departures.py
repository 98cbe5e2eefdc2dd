"""Where the sandbox used to depart from the spec (issue 12, item 10): each case is now a 4xx with the spec's Error.

Bodies the SDK would never send go over raw httpx or a raw socket (for the framing cases), against the in-process
sandbox on loopback. Each test's docstring names the break it catches.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from imagineo import APIStatusError, AsyncImagineoAIClient, ImagineoAIClient
from imagineo.sandbox import MAX_BODY, SandboxServer
from imagineo.testing import sandbox_server

from tests.test_sandbox import GENERATE, spec_validator

KEY = "sk-departures"
AUTH = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
VALID = b'{"prompt": "A cat", "model_type": "flux-dev", "width": 64, "height": 64}'


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with sandbox_server(api_key=KEY) as s:
        yield s


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def assert_error(response: httpx.Response, status: int, code: str, spec: dict[str, Any]) -> dict[str, Any]:
    assert response.status_code == status, response.text
    data: dict[str, Any] = response.json()
    spec_validator(spec, "Error").validate(data)
    assert data["code"] == code
    return data


def raw_exchange(server: SandboxServer, head: str, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """Send one hand-written request on a fresh socket; read the answer until the server closes it."""
    with socket.create_connection((server.host, server.port), timeout=30) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    header_block, _, payload = data.partition(b"\r\n\r\n")
    status_line, *header_lines = header_block.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, payload[: int(headers.get("content-length", len(payload)))]


def request_head(*headers: str) -> str:
    lines = [f"POST {GENERATE} HTTP/1.1", "Host: 127.0.0.1", f"Authorization: Bearer {KEY}", *headers]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_nan_and_infinity_are_not_json_numbers_and_create_no_run(
    server: SandboxServer, http: httpx.Client, spec: dict[str, Any], number: str
) -> None:
    """Breaks if `"width": NaN` (which Python's json reads, and which passes every min/max check) is answered 200
    and creates a run, or if 1e400 is read as infinity."""
    body = f'{{"prompt": "A cat", "model_type": "flux-dev", "width": {number}}}'.encode()
    data = assert_error(http.post(server.url + GENERATE, content=body, headers=AUTH), 400, "bad_request", spec)
    assert "not JSON" in data["error"] or "too large" in data["error"]
    assert server.runs_created == 0


@pytest.mark.parametrize("field", ["width", "height"])
def test_an_integer_with_a_fraction_part_is_a_422_not_a_silently_ignored_size(
    server: SandboxServer, http: httpx.Client, spec: dict[str, Any], field: str
) -> None:
    """Breaks if `"width": 512.0` is answered 200 with a 1024x1024 image: the width silently ignored."""
    body = {"prompt": "A cat", "model_type": "flux-dev", "width": 512, "height": 512, field: 512.0}
    data = assert_error(http.post(server.url + GENERATE, json=body, headers=AUTH), 422, "validation_error", spec)
    assert data["details"] == [{"field": field, "message": "must be of type integer; got 512.0"}]
    assert server.runs_created == 0
    ok = http.post(server.url + GENERATE, json={**body, field: 512}, headers=AUTH)
    assert ok.status_code == 200
    assert ok.json()["image_url"].endswith("-512x512.png")


@pytest.mark.parametrize(
    "body",
    [
        b'{"prompt": "A \\ud800 cat", "model_type": "flux-dev"}',
        b'{"prompt": "A cat", "model_type": "flux-dev", "\\udfff": 1}',
    ],
    ids=["in-a-value", "in-a-key"],
)
def test_a_lone_surrogate_is_a_400_not_a_500_that_clients_retry(
    server: SandboxServer, http: httpx.Client, spec: dict[str, Any], body: bytes
) -> None:
    """Breaks if a string holding a lone surrogate (valid JSON syntax, not Unicode text) crashes the sandbox into
    a 500, which every SDK retries, instead of a 400."""
    data = assert_error(http.post(server.url + GENERATE, content=body, headers=AUTH), 400, "bad_request", spec)
    assert "lone surrogate" in data["error"]
    assert server.runs_created == 0


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_a_deeply_nested_body_is_a_400_not_a_500(
    server: SandboxServer, http: httpx.Client, spec: dict[str, Any], depth: int
) -> None:
    """Breaks if a body nested deeper than any the spec allows is answered 500 (a RecursionError in the parser or
    the validator) instead of a 400."""
    body = b'{"prompt": "A cat", "model_type": "flux-dev", "x": ' + b"[" * depth + b"]" * depth + b"}"
    data = assert_error(http.post(server.url + GENERATE, content=body, headers=AUTH), 400, "bad_request", spec)
    assert "nested more than 32 levels deep" in data["error"]
    assert server.runs_created == 0


def test_a_body_over_the_limit_is_read_and_answered_413_on_a_connection_that_stays_usable(
    server: SandboxServer, http: httpx.Client, spec: dict[str, Any]
) -> None:
    """Breaks if a body over 1 MiB is answered 400 and the connection closed unread (the client sees a reset
    connection, not an answer), or if the limit is not the one the spec documents."""
    big = b'{"prompt": "' + b"a" * (2 * MAX_BODY) + b'", "model_type": "flux-dev"}'
    data = assert_error(http.post(server.url + GENERATE, content=big, headers=AUTH), 413, "payload_too_large", spec)
    assert data["limit_bytes"] == MAX_BODY == 1 << 20
    assert http.post(server.url + GENERATE, content=VALID, headers=AUTH).status_code == 200  # same pool, still fine
    assert server.runs_created == 1
    described = spec["components"]["responses"]["PayloadTooLarge"]["description"]
    assert "1 MiB (1,048,576 bytes)" in described
    assert spec["paths"][GENERATE]["post"]["responses"]["413"] == {"$ref": "#/components/responses/PayloadTooLarge"}


async def test_the_sdks_get_a_413_for_a_multi_megabyte_prompt_not_a_connection_error(server: SandboxServer) -> None:
    """Breaks if a legal multi-megabyte prompt makes the sync or async client see a connection error (and retry
    the upload) instead of one final 413."""
    prompt = "a" * (3 * MAX_BODY)
    with (
        ImagineoAIClient(server.url, api_key=KEY, max_retries=2) as client,
        pytest.raises(APIStatusError) as sync_error,
    ):
        client.images.generate(prompt=prompt)
    async with AsyncImagineoAIClient(server.url, api_key=KEY, max_retries=2) as aclient:
        with pytest.raises(APIStatusError) as async_error:
            await aclient.images.generate(prompt=prompt)
    for caught in (sync_error, async_error):
        assert caught.value.status_code == 413
        assert isinstance(caught.value.body, dict)
        assert caught.value.body["code"] == "payload_too_large"
    assert server.runs_created == 0
    assert server.stats()["generate_requests"] == 0


@pytest.mark.parametrize(
    ("headers", "complaint"),
    [
        (["Content-Length: -1"], "bad Content-Length"),
        (["Content-Length: +72"], "bad Content-Length"),
        (["Content-Length: 7_2"], "bad Content-Length"),
        (["Content-Length: 72", "Content-Length: 2"], "conflicting Content-Length"),
        (["Transfer-Encoding: chunked", "Content-Length: 72"], "Transfer-Encoding and Content-Length together"),
        (["Transfer-Encoding: gzip"], "Only Transfer-Encoding: chunked"),
    ],
    ids=["negative", "plus-sign", "underscore", "duplicate-different", "te-and-cl", "te-not-chunked"],
)
def test_framing_it_cannot_trust_is_a_400_and_closes_the_connection(
    server: SandboxServer, spec: dict[str, Any], headers: list[str], complaint: str
) -> None:
    """Breaks if `Content-Length: -1` is read as an empty body, a duplicated Content-Length takes the first value,
    or Python's lenient int() (a sign, an underscore) decides how much of the stream is the body."""
    assert len(VALID) == 72
    status, response_headers, payload = raw_exchange(
        server, request_head("Content-Type: application/json", *headers), VALID
    )
    assert status == 400
    data = json.loads(payload)
    spec_validator(spec, "Error").validate(data)
    assert data["code"] == "bad_request"
    assert complaint in data["error"]
    assert response_headers.get("connection") == "close"
    assert server.runs_created == 0


def test_a_well_framed_raw_request_still_works(server: SandboxServer) -> None:
    """Breaks if the stricter framing refuses a plain, correct Content-Length (the control case for the above)."""
    status, _, payload = raw_exchange(
        server, request_head("Content-Type: application/json", "Content-Length: 72", "Connection: close"), VALID
    )
    assert status == 200, payload
    assert json.loads(payload)["model_type"] == "flux-dev"


def test_a_repeated_identical_content_length_and_a_chunked_body_are_read_as_one_body(server: SandboxServer) -> None:
    """Breaks if the engine refuses what RFC 9112 lets a server accept: the same Content-Length twice (one value, no
    ambiguity: h11 merges them) or a chunked body (``Transfer-Encoding: chunked`` alone frames it)."""
    twice = request_head(
        "Content-Type: application/json", "Content-Length: 72", "Content-Length: 72", "Connection: close"
    )
    status, _, payload = raw_exchange(server, twice, VALID)
    assert status == 200, payload
    chunked_body = f"{len(VALID):x}\r\n".encode() + VALID + b"\r\n0\r\n\r\n"
    head = request_head("Content-Type: application/json", "Transfer-Encoding: chunked", "Connection: close")
    status, _, payload = raw_exchange(server, head, chunked_body)
    assert status == 200, payload
    assert server.runs_created == 2
