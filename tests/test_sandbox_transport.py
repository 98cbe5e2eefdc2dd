"""The sandbox in-process as an httpx transport (issue 13, item 3): the served sandbox's answers, with no socket.

One table of exchanges runs against the sandbox served on loopback and against `imagineo.testing.sandbox_transport`
(sync and async); the answers must be the same, since one implementation (`SandboxApp.handle`) is behind both.
Each test's docstring names the break it catches.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from imagineo.sandbox import MAX_BODY, SandboxApp
from imagineo.testing import InProcessSandbox, sandbox_server, sandbox_transport

from tests.spec_cases import DEFAULT_MODEL_TYPE, ENDPOINT, REQUEST_EXAMPLES, TAG_FIELD
from tests.test_sandbox import png_size

pytestmark = pytest.mark.usefixtures("no_backoff")  # tests/conftest.py

KEY = "sk-transport"
AUTH = {"Authorization": f"Bearer {KEY}"}
BODY: dict[str, Any] = next(dict(b) for b in REQUEST_EXAMPLES.values() if b[TAG_FIELD] == DEFAULT_MODEL_TYPE)
OTHER = {**BODY, "prompt": BODY["prompt"] + " (another)"}
MISSING_REQUIRED = {TAG_FIELD: DEFAULT_MODEL_TYPE}  # every required field left out: a 422

Step = tuple[str, str, dict[str, str], bytes | dict[str, Any] | None]


def _json(body: dict[str, Any], **headers: str) -> Step:
    return ("POST", ENDPOINT, {**AUTH, **headers}, body)


#: name -> the requests, sent in order to a fresh sandbox; the answers are compared between the two wires.
TABLE: dict[str, list[Step]] = {
    "a valid body is a 200 and its image downloads": [_json(BODY), ("GET", "<image>", {}, None)],
    "no key is a 401": [("POST", ENDPOINT, {}, BODY)],
    "another key is a 401": [("POST", ENDPOINT, {"Authorization": "Bearer sk-other"}, BODY)],
    "a body breaking the spec is a 422": [_json(MISSING_REQUIRED)],
    "a body that is not JSON is a 400": [("POST", ENDPOINT, {**AUTH, "Content-Type": "application/json"}, b"{nope")],
    "a body over 1 MiB is a 413": [("POST", ENDPOINT, AUTH, b" " * (MAX_BODY + 1))],
    "a key repeated with the body replays": [
        _json(BODY, **{"Idempotency-Key": "k"}),
        _json(BODY, **{"Idempotency-Key": "k"}),
    ],
    "a key repeated with another body is a 409 conflict": [
        _json(BODY, **{"Idempotency-Key": "k"}),
        _json(OTHER, **{"Idempotency-Key": "k"}),
    ],
    "a 429 fault carries Retry-After, then the retry runs": [
        _json(BODY, **{"Idempotency-Key": "k", "X-Sandbox-Fault": "429"}),
        _json(BODY, **{"Idempotency-Key": "k", "X-Sandbox-Fault": "429"}),
    ],
    "a 500 fault creates the run; the retry replays it": [
        _json(BODY, **{"Idempotency-Key": "k", "X-Sandbox-Fault": "500"}),
        _json(BODY, **{"Idempotency-Key": "k"}),
    ],
    "a 204 fault is a 204": [_json(BODY, **{"X-Sandbox-Fault": "204"})],
    "a bad fault header is a 400": [_json(BODY, **{"X-Sandbox-Fault": "explode"})],
    "GET on generate is a 405, other paths 404": [("GET", ENDPOINT, AUTH, None), ("GET", "/nope", {}, None)],
    "admin endpoints": [
        _json(BODY),
        ("POST", "/_sandbox/faults", {}, {"fail_first": 1, "fail_status": 502}),
        _json(OTHER),
        ("GET", "/_sandbox/runs", {}, None),
        ("GET", "/_sandbox/requests", {}, None),
        ("POST", "/_sandbox/reset", {}, None),
    ],
}

KEPT_HEADERS = ("x-request-id", "retry-after", "idempotent-replayed", "content-type", "www-authenticate")


def _normalise(value: Any, origin: str) -> Any:
    """Image URLs without their origin (each wire answers at its own), run ids and timings left out."""
    if isinstance(value, str):
        return value.removeprefix(origin)
    if isinstance(value, list):
        return [_normalise(item, origin) for item in value]
    if isinstance(value, dict):
        return {k: _normalise(v, origin) for k, v in value.items() if k not in ("run_id", "at")}
    return value


def _request(step: Step, origin: str, last_image: str | None) -> httpx.Request:
    method, path, headers, body = step
    url = (last_image or "") if path == "<image>" else origin + path
    if isinstance(body, dict):
        return httpx.Request(method, url, headers=headers, json=body)
    return httpx.Request(method, url, headers=headers, content=body)


def _answer(response: httpx.Response, origin: str) -> dict[str, Any]:
    headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    if not response.content:
        return {"status": response.status_code, "headers": headers, "body": None}
    is_json = response.headers.get("content-type") == "application/json"
    payload = _normalise(response.json(), origin) if is_json else png_size(response.content)
    return {"status": response.status_code, "headers": headers, "body": payload}


def _image(response: httpx.Response) -> str | None:
    if response.headers.get("content-type") == "application/json" and response.status_code == 200:
        data = response.json()
        if isinstance(data, dict) and isinstance(data.get("image_url"), str):
            return str(data["image_url"])
    return None


def run_sync(steps: list[Step], http: httpx.Client, origin: str, sandbox: SandboxApp) -> list[Any]:
    answers: list[Any] = []
    image: str | None = None
    for step in steps:
        response = http.send(_request(step, origin, image))
        image = _image(response) or image
        answers.append(_answer(response, origin))
    return [*answers, _normalise(sandbox.stats(), origin), _normalise(sandbox.runs(), origin)]


async def run_async(steps: list[Step], http: httpx.AsyncClient, origin: str, sandbox: SandboxApp) -> list[Any]:
    answers: list[Any] = []
    image: str | None = None
    for step in steps:
        response = await http.send(_request(step, origin, image))
        image = _image(response) or image
        answers.append(_answer(response, origin))
    return [*answers, _normalise(sandbox.stats(), origin), _normalise(sandbox.runs(), origin)]


@pytest.mark.parametrize("name", list(TABLE))
def test_the_transport_answers_exactly_as_the_served_sandbox(name: str) -> None:
    """Catches the two wires drifting apart: a second implementation, a header or status only one of them sends,
    an image URL the transport cannot serve, counters or runs that differ; sync and async transport alike."""
    steps = TABLE[name]
    with sandbox_server(api_key=KEY) as served, httpx.Client() as http:
        expected = run_sync(steps, http, served.url, served)
    sync = sandbox_transport(api_key=KEY)
    assert run_sync(steps, sync.http_client(), sync.url, sync) == expected
    asynchronous = sandbox_transport(api_key=KEY)

    async def main() -> list[Any]:
        async with asynchronous.async_http_client() as http:
            return await run_async(steps, http, asynchronous.url, asynchronous)

    assert asyncio.run(main()) == expected
    assert expected[0]["status"] in (200, 204, 400, 401, 404, 405, 409, 413, 422, 429, 500)


# ---------------------------------------------------------------------------------------------------------------
# The SDK on either wire: retries after a lost answer or a client timeout create one run


@pytest.fixture(params=["served", "transport"])
def sandbox(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "served":
        with sandbox_server(api_key=KEY) as served:
            yield served
    else:
        yield sandbox_transport(api_key=KEY)


@pytest.mark.parametrize("fault", ["drop", "500", "503", "slow=1"])
def test_the_sdk_retries_on_either_wire_and_one_run_is_created(sandbox: Any, fault: str) -> None:
    """Catches the transport not imitating the wire: a drop that is not a connection error, a held answer that
    does not time out the client (so its retry path never runs), or a retry that pays twice."""
    result = sandbox.client(max_retries=2, timeout=0.3).images.generate(BODY, extra_headers={"X-Sandbox-Fault": fault})
    assert result is not None
    assert sandbox.runs_created == 1
    assert sandbox.stats()["generate_requests"] == 2
    assert sandbox.stats()["idempotent_replays"] == (0 if fault == "503" else 1)


def test_the_async_sdk_on_the_transport_fans_out_with_session_faults() -> None:
    """Catches the async transport diverging from the sync one: the session faults, the per-call attempt counts
    and the run counter under concurrent calls."""
    sandbox = sandbox_transport(api_key=KEY, fail_each=1, fail_status=429)

    async def five_calls() -> None:
        async with sandbox.async_client(max_retries=1) as client:
            await asyncio.gather(*(client.images.generate({**BODY, "prompt": f"p{i}"}) for i in range(5)))

    asyncio.run(five_calls())
    assert sandbox.runs_created == 5
    assert sandbox.stats()["generate_requests"] == 10


# ---------------------------------------------------------------------------------------------------------------
# No socket


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Make every way of opening a socket raise (call the returned function to arm it)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a socket was opened")

    def arm() -> None:
        monkeypatch.setattr(socket.socket, "__init__", refuse)
        monkeypatch.setattr(socket, "create_connection", refuse)
        monkeypatch.setattr(socket, "getaddrinfo", refuse)

    return arm


def test_the_transport_opens_no_socket_sync_or_async(no_sockets: Callable[[], None]) -> None:
    """Catches the in-process sandbox touching the network: a request, a retry, an image download or an async call
    that opens a socket (or resolves a name) is an AssertionError here."""
    sandbox: InProcessSandbox = sandbox_transport(api_key=KEY)
    loop = asyncio.new_event_loop()  # the loop's own self-pipe is a socket pair: made before sockets are refused
    try:
        no_sockets()
        result = sandbox.client(max_retries=1).images.generate(BODY, extra_headers={"X-Sandbox-Fault": "drop"})
        assert result is not None
        assert png_size(sandbox.http_client().get(result.image_url).content) == (BODY["width"], BODY["height"])

        async def call() -> Any:
            async with sandbox.async_client(max_retries=1) as client:
                return await client.images.generate(OTHER, extra_headers={"X-Sandbox-Fault": "503"})

        assert loop.run_until_complete(call()) is not None
    finally:
        loop.close()
    assert sandbox.runs_created == 2
    assert sandbox.stats()["images_served"] == 1
