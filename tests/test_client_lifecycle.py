"""A client across processes, event loops and header spellings (issue 18, points 1, 4 and 5).

* One header per name, whatever its case: the caller's ``authorization`` is refused (it is the client's api_key,
  and a second copy would be sent and escape redaction); the caller's ``idempotency-key`` is the call's one key,
  kept across retries; other headers replace the client's own of the same name.
* After ``os.fork()`` a sync client gets a new connection pool in the child: parent and child never share a socket.
* An async client used under a second event loop (``asyncio.run`` twice) gets a pool for that loop; one built on a
  caller's ``http_client`` raises ImagineoError saying to make one client per loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from imagineo import AsyncImagineoAIClient, ImagineoAIClient, ImagineoError, ImagineoValidationError

from tests.overlay_helpers import API_KEY


class _Echo(BaseHTTPRequestHandler):
    """Answers each POST with an image URL that names the request's prompt, so a crossed answer shows."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        data = json.dumps({"image_url": f"https://cdn.example.com/{body['prompt']}.png"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def echo_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _recording(statuses: list[int]) -> tuple[httpx.Client, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status = statuses.pop(0) if statuses else 200
        return httpx.Response(status, json={"image_url": "https://cdn.example.com/x.png", "error": "e"})

    return httpx.Client(transport=httpx.MockTransport(answer)), seen


@pytest.mark.parametrize("name", ["authorization", "AUTHORIZATION", "Authorization"])
def test_a_callers_authorization_header_is_refused_in_any_case(name: str) -> None:
    """Breaks if ``extra_headers={"authorization": ...}`` (or default_headers) sends a second Authorization header:
    redaction would then miss the client's own key when a server echoes it."""
    http, seen = _recording([])
    client = ImagineoAIClient("https://api.example.com", api_key=API_KEY, http_client=http)
    with pytest.raises(ImagineoValidationError) as info:
        client.images.generate(prompt="p", extra_headers={name: "Bearer other"})
    assert info.value.errors[0]["field"].startswith("extra_headers") and "api_key" in str(info.value)
    assert seen == [], "nothing may be sent"
    with pytest.raises(ImagineoValidationError, match="api_key"):
        ImagineoAIClient("https://api.example.com", api_key=API_KEY, default_headers={name: "Bearer other"})


def test_a_callers_idempotency_key_header_in_any_case_is_the_one_key_across_retries(
    waits: list[float],
) -> None:
    """Breaks if ``extra_headers={"idempotency-key": k}`` sends two Idempotency-Keys (the SDK's and the caller's),
    so that a retried call could be paid twice, or if the retry carries another key."""
    http, seen = _recording([500, 200])
    client = ImagineoAIClient("https://api.example.com", api_key=API_KEY, http_client=http)
    client.images.generate(prompt="p", extra_headers={"idempotency-key": "mine-1"})
    assert len(seen) == 2
    for request in seen:
        assert request.headers.get_list("idempotency-key") == ["mine-1"]
        assert len(request.headers.get_list("authorization")) == 1
    with pytest.raises(ImagineoValidationError, match="give the key once"):
        client.images.generate(prompt="p", idempotency_key="a", extra_headers={"Idempotency-Key": "b"})


def test_a_header_given_twice_in_two_cases_is_sent_once_with_the_later_value() -> None:
    """Breaks if default_headers ``x-team`` and extra_headers ``X-Team`` both go out (a server would see a list)."""
    http, seen = _recording([])
    client = ImagineoAIClient(
        "https://api.example.com", api_key=API_KEY, http_client=http, default_headers={"x-team": "a"}
    )
    client.images.generate(prompt="p", extra_headers={"X-Team": "b"})
    assert seen[0].headers.get_list("x-team") == ["b"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_after_fork_parent_and_child_never_share_a_socket(echo_url: str) -> None:
    """Breaks if a forked child reuses the parent's pooled connection: the two then read each other's answers,
    interleave bodies (400 "not JSON") or hang until the read timeout."""
    client = ImagineoAIClient(echo_url, api_key=API_KEY, timeout=10.0, max_retries=0)
    first = client.images.generate(prompt="warm-up")  # the pool now holds an open connection
    assert first is not None and first.image_url.endswith("/warm-up.png")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: many calls, each must get its own answer
        ok = 1
        try:
            for n in range(20):
                result = client.images.generate(prompt=f"child-{n}")
                ok &= result is not None and result.image_url.endswith(f"/child-{n}.png")
        except BaseException:
            ok = 0
        os.write(write, bytes([ok]))
        os._exit(0)
    os.close(write)
    try:
        for n in range(20):
            result = client.images.generate(prompt=f"parent-{n}")
            assert result is not None and result.image_url.endswith(f"/parent-{n}.png")
    finally:
        child_ok = os.read(read, 1)
        os.close(read)
        os.waitpid(pid, 0)
    assert child_ok == b"\x01", "the child got a crossed answer or an error"
    client.close()


def test_an_async_client_works_under_a_second_event_loop(echo_url: str) -> None:
    """Breaks if ``asyncio.run`` twice with one client raises a bare ``RuntimeError: Event loop is closed``."""
    client = AsyncImagineoAIClient(echo_url, api_key=API_KEY, max_retries=0)

    async def one(prompt: str) -> str:
        result = await client.images.generate(prompt=prompt)
        assert result is not None
        return result.image_url

    assert asyncio.run(one("first")).endswith("/first.png")
    assert asyncio.run(one("second")).endswith("/second.png")
    asyncio.run(client.close())


def test_an_async_client_on_a_callers_http_client_says_one_client_per_loop(echo_url: str) -> None:
    """Breaks if a caller's httpx.AsyncClient, bound to a closed loop, surfaces as a bare RuntimeError: the SDK
    cannot rebuild a client it was given, so it says what to do instead."""
    client = AsyncImagineoAIClient(echo_url, api_key=API_KEY, max_retries=0, http_client=httpx.AsyncClient())

    async def one() -> object:
        return await client.images.generate(prompt="p")

    asyncio.run(one())
    with pytest.raises(ImagineoError, match="one client per event loop"):
        asyncio.run(one())
