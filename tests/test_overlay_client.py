"""The client on the wire, against a real HTTP server on loopback: requests, results, errors, retries, secrets."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
import sys
import uuid
from typing import Any

import httpx
import imagineo
import pytest
from imagineo import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AsyncImagineoAIClient,
    GenerateImageOutput,
    ImagineoAIClient,
    ImagineoError,
)

from tests.loopback import DEFAULT_IMAGE_URL, LoopbackServer
from tests.overlay_helpers import API_KEY, MODES, generate, seed_examples
from tests.spec_cases import SEED, with_defaults

# -- requests ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_every_seed_example_end_to_end(mode: str, loopback: LoopbackServer, spec: dict[str, Any]) -> None:
    """Each example from the TypeScript page (as the spec carries them) goes out exactly, defaults included."""
    examples = seed_examples(spec)
    assert set(SEED) <= {e["model_type"] for e in examples.values()}, "an example of each seed model type"
    for name, example in examples.items():
        loopback.reset()
        loopback.enqueue(200, {"image_url": f"https://cdn.example.com/{name}.png", "model_type": name})
        result = generate(mode, {"api_url": loopback.url}, **example)
        assert isinstance(result, GenerateImageOutput)
        assert result.image_url == f"https://cdn.example.com/{name}.png"
        expected = with_defaults(example)
        (request,) = loopback.requests
        assert request.json() == expected, name
        assert request.method == "POST"
        assert request.path == "/api/v1/runs/generate"


@pytest.mark.parametrize("mode", MODES)
def test_headers_auth_user_agent_and_idempotency(mode: str, loopback: LoopbackServer) -> None:
    generate(mode, {"api_url": loopback.url, "default_headers": {"X-Team": "art"}}, prompt="p")
    headers = loopback.requests[0].headers
    assert headers["authorization"] == f"Bearer {API_KEY}"
    assert headers["user-agent"] == f"imagineo-python/{imagineo.__version__} imagineo-api/{imagineo.API_VERSION}"
    assert headers["content-type"] == "application/json"
    assert headers["x-team"] == "art"
    assert uuid.UUID(headers["idempotency-key"]).version == 4


@pytest.mark.parametrize("mode", MODES)
def test_path_prefix_in_api_url_is_kept(mode: str, loopback: LoopbackServer) -> None:
    generate(mode, {"api_url": loopback.url + "/gateway/imagineo/"}, prompt="p")
    assert loopback.requests[0].path == "/gateway/imagineo/api/v1/runs/generate"


@pytest.mark.parametrize("mode", MODES)
def test_extra_headers_and_explicit_idempotency_key(mode: str, loopback: LoopbackServer) -> None:
    generate(mode, {"api_url": loopback.url}, prompt="p", extra_headers={"X-Trace": "t1"}, idempotency_key="my-key")
    headers = loopback.requests[0].headers
    assert headers["x-trace"] == "t1"
    assert headers["idempotency-key"] == "my-key"


def test_env_vars_supply_url_and_key(loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGINEO_API_URL", loopback.url)
    monkeypatch.setenv("IMAGINEO_API_KEY", "sk-from-env")
    with ImagineoAIClient() as client:
        client.images.generate(prompt="p")
    assert loopback.requests[0].headers["authorization"] == "Bearer sk-from-env"


@pytest.mark.parametrize("cls", [ImagineoAIClient, AsyncImagineoAIClient])
def test_missing_url_or_key_names_the_argument_and_variable(cls: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMAGINEO_API_URL", raising=False)
    monkeypatch.delenv("IMAGINEO_API_KEY", raising=False)
    with pytest.raises(ImagineoError, match=r"api_url=\.\.\. or set the IMAGINEO_API_URL"):
        cls(api_key="sk")
    with pytest.raises(ImagineoError, match=r"api_key=\.\.\. or set the IMAGINEO_API_KEY"):
        cls("https://api.example.com")


@pytest.mark.parametrize("cls", [ImagineoAIClient, AsyncImagineoAIClient])
def test_plain_http_to_a_remote_host_is_refused_unless_opted_in(cls: Any) -> None:
    with pytest.raises(ImagineoError, match="allow_insecure_http=True") as info:
        cls("http://api.example.com", api_key=API_KEY)
    assert API_KEY not in str(info.value)
    cls("http://api.example.com", api_key=API_KEY, allow_insecure_http=True)  # opted in
    for url in ("http://localhost:8080", "http://127.0.0.2", "http://[::1]:9"):
        cls(url, api_key=API_KEY)  # loopback is fine


@pytest.mark.parametrize("bad_key", ["sk-abc\r\nX-Injected: 1", "sk-abc\n", "sk\x00"])
def test_key_with_line_breaks_is_rejected_without_echoing_it(bad_key: str) -> None:
    with pytest.raises(ImagineoError) as info:
        ImagineoAIClient("https://api.example.com", api_key=bad_key)
    assert "line break" in str(info.value)
    assert "sk-abc" not in str(info.value)


def test_custom_http_client_keeps_sdk_headers_retries_and_timeouts(
    loopback: LoopbackServer, waits: list[float]
) -> None:
    """A caller's httpx.Client (its own headers, event hooks) is used; the SDK's behaviour still applies."""
    seen: list[httpx.Request] = []
    custom = httpx.Client(headers={"X-Proxy-Tenant": "t"}, event_hooks={"request": [seen.append]})
    loopback.enqueue(503, {"error": "busy"}, headers={"Retry-After": "1"})
    loopback.enqueue(200, {"image_url": DEFAULT_IMAGE_URL})
    with ImagineoAIClient(loopback.url, api_key=API_KEY, http_client=custom, timeout=12.5) as client:
        assert client.images.generate(prompt="p") is not None
    assert not custom.is_closed, "the SDK does not close a client it was given"
    assert len(seen) == 2 and waits == [1.0]
    for request in loopback.requests:
        assert request.headers["x-proxy-tenant"] == "t"
        assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert seen[0].extensions["timeout"]["read"] == 12.5
    custom.close()


def test_timeouts_default_per_client_and_per_call(loopback: LoopbackServer) -> None:
    seen: list[httpx.Request] = []
    custom = httpx.Client(event_hooks={"request": [seen.append]})
    with ImagineoAIClient(loopback.url, api_key=API_KEY, http_client=custom) as client:
        client.images.generate(prompt="p")
        client.images.generate(prompt="p", timeout=3.0)
        client.with_options(timeout=httpx.Timeout(7.0)).images.generate(prompt="p")
    reads = [r.extensions["timeout"]["read"] for r in seen]
    assert reads == [300.0, 3.0, 7.0]
    assert seen[0].extensions["timeout"]["connect"] == 10.0
    custom.close()


# -- results and errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_204_returns_none(mode: str, loopback: LoopbackServer) -> None:
    loopback.enqueue(204)
    assert generate(mode, {"api_url": loopback.url}, prompt="p") is None


@pytest.mark.parametrize("mode", MODES)
def test_result_keeps_unknown_fields(mode: str, loopback: LoopbackServer) -> None:
    body = {"image_url": "https://x/0.png", "image_urls": ["https://x/0.png", "https://x/1.png"], "cost": 0.02}
    loopback.enqueue(200, body)
    result = generate(mode, {"api_url": loopback.url}, prompt="p")
    assert result.image_urls == body["image_urls"]
    assert result.additional_properties == {"cost": 0.02}
    assert result.to_dict() == body


STATUS_CLASSES = [
    (400, imagineo.BadRequestError),
    (401, imagineo.AuthenticationError),
    (403, imagineo.PermissionDeniedError),
    (404, imagineo.NotFoundError),
    (409, imagineo.ConflictError),
    (422, imagineo.UnprocessableEntityError),
    (429, imagineo.RateLimitError),
    (500, imagineo.InternalServerError),
    (502, imagineo.InternalServerError),
    (503, imagineo.InternalServerError),
    (520, imagineo.InternalServerError),
    (418, APIStatusError),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("status", "cls"), STATUS_CLASSES)
def test_each_status_raises_its_class_with_body_and_request_id(
    mode: str, loopback: LoopbackServer, status: int, cls: type[APIStatusError]
) -> None:
    body = {"error": f"failure {status}", "code": "x"}
    loopback.enqueue(status, body, headers={"x-request-id": f"req_{status}"})
    with pytest.raises(cls) as info:
        generate(mode, {"api_url": loopback.url, "max_retries": 0}, prompt="p")
    err = info.value
    assert type(err) is cls
    assert err.status_code == status
    assert err.body == body
    assert err.request_id == f"req_{status}"
    assert f"Error code: {status} - failure {status} (request id: req_{status})" == str(err)
    assert err.response.status_code == status


@pytest.mark.parametrize("mode", MODES)
def test_html_error_page_still_gives_the_right_class_with_its_text(mode: str, loopback: LoopbackServer) -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    loopback.enqueue(502, body=page, headers={"Content-Type": "text/html"})
    with pytest.raises(imagineo.InternalServerError) as info:
        generate(mode, {"api_url": loopback.url, "max_retries": 0}, prompt="p")
    assert info.value.body == page.decode()
    assert "502 Bad Gateway" in str(info.value)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "empty body"),
        (b"<html>ok</html>", "not JSON"),
        (b'{"image_url": "https://x/0.png"', "not JSON"),
        (b'{"run_id": "r1"}', "image_url: Field required"),
        (b'{"image_url": 5}', "image_url: Input should be a valid string"),
        (b"[]", "does not match GenerateImageOutput"),
    ],
)
def test_bad_success_body_is_a_response_validation_error(
    mode: str, loopback: LoopbackServer, body: bytes, words: str
) -> None:
    loopback.enqueue(200, body=body)
    with pytest.raises(APIResponseValidationError) as info:
        generate(mode, {"api_url": loopback.url}, prompt="p")
    assert words in str(info.value)
    assert info.value.status_code == 200


# -- retries and idempotency -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_retries_honour_retry_after_and_keep_one_idempotency_key(
    mode: str, loopback: LoopbackServer, waits: list[float]
) -> None:
    loopback.enqueue(429, {"error": "slow down"}, headers={"Retry-After": "2"})
    loopback.enqueue(503, {"error": "busy"}, headers={"retry-after-ms": "1500"})
    loopback.enqueue(200, {"image_url": DEFAULT_IMAGE_URL})
    result = generate(mode, {"api_url": loopback.url}, prompt="p")
    assert result.image_url == DEFAULT_IMAGE_URL
    assert waits == [2.0, 1.5]
    keys = {r.headers["idempotency-key"] for r in loopback.requests}
    assert len(loopback.requests) == 3 and len(keys) == 1
    assert len({r.body for r in loopback.requests}) == 1


def test_retry_after_http_date_is_honoured(loopback: LoopbackServer, waits: list[float]) -> None:
    import email.utils
    import time

    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    loopback.enqueue(503, {"error": "maintenance"}, headers={"Retry-After": when})
    generate("sync", {"api_url": loopback.url}, prompt="p")
    assert len(waits) == 1 and 25 < waits[0] <= 30


def test_retry_after_beyond_the_cap_is_not_waited_out(loopback: LoopbackServer, waits: list[float]) -> None:
    loopback.enqueue(429, {"error": "quota"}, headers={"Retry-After": "3600"})
    with pytest.raises(imagineo.RateLimitError):
        generate("sync", {"api_url": loopback.url}, prompt="p")
    assert waits == [] and len(loopback.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_retries_stop_at_max_retries_with_backoff(mode: str, loopback: LoopbackServer, waits: list[float]) -> None:
    for _ in range(5):
        loopback.enqueue(500, {"error": "boom"})
    with pytest.raises(imagineo.InternalServerError):
        generate(mode, {"api_url": loopback.url, "max_retries": 3}, prompt="p")
    assert len(loopback.requests) == 4
    assert len(waits) == 3
    for i, wait in enumerate(waits):  # exponential from 0.5 s, minus at most 25% jitter
        assert 0.5 * 2**i * 0.75 <= wait <= 0.5 * 2**i


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_never_retried(mode: str, loopback: LoopbackServer, waits: list[float], status: int) -> None:
    loopback.enqueue(status, {"error": "no"})
    with pytest.raises(APIStatusError):
        generate(mode, {"api_url": loopback.url}, prompt="p")
    assert len(loopback.requests) == 1 and waits == []


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses(loopback: LoopbackServer, waits: list[float], status: int) -> None:
    loopback.enqueue(status, {"error": "again"})
    generate("sync", {"api_url": loopback.url}, prompt="p")
    assert len(loopback.requests) == 2


@pytest.mark.parametrize("mode", MODES)
def test_409_is_retried_only_while_the_first_request_is_in_progress(
    mode: str, loopback: LoopbackServer, waits: list[float]
) -> None:
    """Breaks if a 409 for a key reused with another body is retried (it can never succeed), or if the spec's
    `idempotency_in_progress` 409 (the key's first request still running) is not."""
    loopback.enqueue(409, {"error": "different body", "code": "idempotency_conflict"})
    with pytest.raises(imagineo.ConflictError):
        generate(mode, {"api_url": loopback.url}, prompt="p")
    assert len(loopback.requests) == 1 and waits == []
    loopback.reset()
    loopback.enqueue(409, {"error": "still running", "code": "idempotency_in_progress"}, headers={"Retry-After": "1"})
    assert generate(mode, {"api_url": loopback.url}, prompt="p") is not None
    assert len(loopback.requests) == 2 and waits == [1.0]


def test_per_call_max_retries(loopback: LoopbackServer, waits: list[float]) -> None:
    loopback.enqueue(503, {"error": "busy"})
    with ImagineoAIClient(loopback.url, api_key=API_KEY) as client, pytest.raises(imagineo.InternalServerError):
        client.images.generate(prompt="p", max_retries=0)
    assert len(loopback.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_idempotency_key_differs_between_calls(mode: str, loopback: LoopbackServer) -> None:
    generate(mode, {"api_url": loopback.url}, prompt="p")
    generate(mode, {"api_url": loopback.url}, prompt="p")
    assert loopback.requests[0].headers["idempotency-key"] != loopback.requests[1].headers["idempotency-key"]


@pytest.mark.parametrize("mode", MODES)
def test_timeout_gives_api_timeout_error_after_retries(mode: str, loopback: LoopbackServer, waits: list[float]) -> None:
    for _ in range(2):
        loopback.enqueue(200, {"image_url": DEFAULT_IMAGE_URL}, delay=0.5)
    with pytest.raises(APITimeoutError):
        generate(mode, {"api_url": loopback.url, "timeout": 0.1, "max_retries": 1}, prompt="p")
    assert len(loopback.requests) == 2
    assert len({r.headers["idempotency-key"] for r in loopback.requests}) == 1


@pytest.mark.parametrize("mode", MODES)
def test_refused_connection_gives_api_connection_error(mode: str, waits: list[float]) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(APIConnectionError) as info:
        generate(mode, {"api_url": f"http://127.0.0.1:{port}", "max_retries": 2}, prompt="p")
    assert not isinstance(info.value, APITimeoutError)
    assert len(waits) == 2


@pytest.mark.parametrize("mode", MODES)
def test_dropped_connection_is_retried(mode: str, loopback: LoopbackServer, waits: list[float]) -> None:
    loopback.enqueue(drop=True)
    loopback.enqueue(200, {"image_url": DEFAULT_IMAGE_URL})
    assert generate(mode, {"api_url": loopback.url}, prompt="p") is not None
    assert len(loopback.requests) == 2


# -- secrets and logging ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_key_never_in_repr_exceptions_or_logs(
    mode: str, loopback: LoopbackServer, waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="imagineo")
    texts: list[str] = [repr(ImagineoAIClient(loopback.url, api_key=API_KEY))]
    texts.append(str(AsyncImagineoAIClient(loopback.url, api_key=API_KEY)))
    loopback.enqueue(401, {"error": "bad key"})
    loopback.enqueue(503, {"error": "busy"}, headers={"Retry-After": "0"})
    loopback.enqueue(503, {"error": "busy"}, headers={"Retry-After": "0"})
    loopback.enqueue(503, {"error": "busy"}, headers={"Retry-After": "0"})
    for _ in range(2):
        with pytest.raises(APIStatusError) as info:
            generate(mode, {"api_url": loopback.url}, prompt="p")
        texts += [str(info.value), repr(info.value), repr(info.value.args)]
    with pytest.raises(ImagineoError) as bad:
        generate(mode, {"api_url": loopback.url}, prompt="")
    texts.append(str(bad.value))
    texts.append(caplog.text)
    assert "POST /api/v1/runs/generate -> 503 (attempt 1/3" in caplog.text
    for text in texts:
        assert API_KEY not in text


def test_imagineo_log_debug_turns_on_logging(loopback: LoopbackServer) -> None:
    code = (
        "from imagineo import ImagineoAIClient\n"
        f"c = ImagineoAIClient({loopback.url!r}, api_key={API_KEY!r})\n"
        "c.images.generate(prompt='p')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={**__import__("os").environ, "IMAGINEO_LOG": "debug"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "POST /api/v1/runs/generate -> 200 (attempt 1/3" in proc.stderr
    assert API_KEY not in proc.stderr


# -- client lifecycle --------------------------------------------------------------------------------------------------


def test_with_options_shares_the_pool_and_overrides(loopback: LoopbackServer, waits: list[float]) -> None:
    loopback.enqueue(503, {"error": "busy"})
    with ImagineoAIClient(loopback.url, api_key=API_KEY) as client:
        quiet = client.with_options(max_retries=0, default_headers={"X-Env": "test"})
        with pytest.raises(imagineo.InternalServerError):
            quiet.images.generate(prompt="p")
        quiet.close()  # a copy does not close the shared pool
        assert client.images.generate(prompt="p") is not None
    assert loopback.requests[0].headers["x-env"] == "test"
    assert "x-env" not in loopback.requests[1].headers


def test_async_client_concurrent_calls(loopback: LoopbackServer) -> None:
    async def run() -> list[Any]:
        async with AsyncImagineoAIClient(loopback.url, api_key=API_KEY) as client:
            return await asyncio.gather(*(client.images.generate(prompt=f"p{i}") for i in range(8)))

    results = asyncio.run(run())
    assert all(r.image_url == DEFAULT_IMAGE_URL for r in results)
    assert sorted(json.loads(r.body)["prompt"] for r in loopback.requests) == sorted(f"p{i}" for i in range(8))


# -- edge cases: each gives a documented error, never a raw one, and never shows the key ---------------------------


@pytest.mark.parametrize("bad_key", ["sk-SECRET ", "\tsk-SECRET", "sk-SECRET\x0b", "sk-live-\u00c4BC"])
def test_key_that_cannot_be_a_header_value_is_refused_up_front(bad_key: str) -> None:
    """Breaks if such a key reaches httpx, whose error quotes the header (key included) and was retried."""
    with pytest.raises(ImagineoError) as info:
        ImagineoAIClient("https://api.example.com", api_key=bad_key)
    assert "SECRET" not in str(info.value) and "BC" not in str(info.value)


def test_bad_header_value_is_not_retried_and_not_quoted(loopback: LoopbackServer, waits: list[float]) -> None:
    with pytest.raises(APIConnectionError) as info:
        generate("sync", {"api_url": loopback.url}, prompt="p", extra_headers={"X-Note": "ok\r\nX-Evil: 1"})
    assert "X-Evil" not in str(info.value) and info.value.__cause__ is None
    assert waits == [] and loopback.requests == []


def test_api_url_that_is_not_a_url_is_an_imagineo_error_without_echo() -> None:
    for url in ("http://[::1", API_KEY, "api.example.com"):
        with pytest.raises(ImagineoError, match="must be an absolute http\\(s\\) URL") as info:
            ImagineoAIClient(url, api_key=API_KEY)
        assert API_KEY not in str(info.value)


@pytest.mark.parametrize("bad", [-1, 1.5, "3", None, True])
def test_max_retries_must_be_a_non_negative_integer_everywhere(bad: object, loopback: LoopbackServer) -> None:
    with ImagineoAIClient(loopback.url, api_key=API_KEY) as client:
        if bad is not None:  # None per call means "the client's"
            with pytest.raises(ImagineoError, match="max_retries must be an integer >= 0"):
                client.images.generate(prompt="p", max_retries=bad)  # type: ignore[call-overload]
        with pytest.raises(ImagineoError, match="max_retries must be an integer >= 0"):
            client.with_options(max_retries=bad)  # type: ignore[arg-type]
    assert loopback.requests == []


@pytest.mark.parametrize("key", ["", "k" * 256, "a\r\nb", " padded", 123])
def test_idempotency_key_follows_the_spec(key: object, loopback: LoopbackServer) -> None:
    with pytest.raises(imagineo.ImagineoValidationError, match="idempotency_key: must be 1 to 255 printable ASCII"):
        generate("sync", {"api_url": loopback.url}, prompt="p", idempotency_key=key)
    assert loopback.requests == []


@pytest.mark.parametrize("value", ["nan", "inf", "-5", "soon"])
def test_unusable_retry_after_falls_back_to_backoff(value: str, loopback: LoopbackServer, waits: list[float]) -> None:
    loopback.enqueue(503, {"error": "busy"}, headers={"Retry-After": value, "retry-after-ms": value})
    assert generate("sync", {"api_url": loopback.url}, prompt="p") is not None
    assert len(waits) == 1 and 0.375 <= waits[0] <= 0.5


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [200, 500])
def test_body_that_cannot_be_decompressed_is_an_api_error(mode: str, status: int, loopback: LoopbackServer) -> None:
    loopback.enqueue(status, body=b"notgzip", headers={"Content-Encoding": "gzip"})
    with pytest.raises(APIConnectionError, match="could not be decoded"):
        generate(mode, {"api_url": loopback.url}, prompt="p")
    assert len(loopback.requests) == 1


@pytest.mark.parametrize("status", [200, 500])
def test_deeply_nested_json_is_not_a_recursion_error(status: int, loopback: LoopbackServer) -> None:
    nested = b'{"image_url": "https://x/0.png", "n": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    loopback.enqueue(status, body=nested)
    with pytest.raises((APIResponseValidationError, imagineo.InternalServerError)):
        generate("sync", {"api_url": loopback.url, "max_retries": 0}, prompt="p")


def test_http_client_of_the_wrong_kind_is_refused_at_construction() -> None:
    wrong_sync: Any = httpx.AsyncClient()
    wrong_async: Any = httpx.Client()
    with pytest.raises(TypeError, match=r"http_client must be an httpx\.Client, got AsyncClient"):
        ImagineoAIClient("https://api.example.com", api_key=API_KEY, http_client=wrong_sync)
    with pytest.raises(TypeError, match=r"http_client must be an httpx\.AsyncClient, got Client"):
        AsyncImagineoAIClient("https://api.example.com", api_key=API_KEY, http_client=wrong_async)


def test_generic_request_goes_through_the_same_pipeline(waits: list[float]) -> None:
    """Breaks if ``client.request`` / ``client.post`` (paths the spec does not describe yet) skip the pipeline: the
    api_url prefix, auth, one Idempotency-Key across retries of a POST, typed errors; or if a path that would leave
    api_url (``//host``, a query in the path) is sent at all."""
    seen: list[httpx.Request] = []
    plan = [500, 200, 404]

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(plan.pop(0), json={"ok": True, "error": "e"})

    client = imagineo.ImagineoAIClient(
        "https://api.example.com/gw", api_key=API_KEY, http_client=httpx.Client(transport=httpx.MockTransport(answer))
    )
    assert client.post("/v9/things", body={"a": 1}) == {"ok": True, "error": "e"}
    first, retry = seen
    assert first.url.path == "/gw/v9/things" and first.headers["authorization"] == f"Bearer {API_KEY}"
    assert first.headers["idempotency-key"] == retry.headers["idempotency-key"]
    assert json.loads(first.content) == {"a": 1}
    with pytest.raises(imagineo.NotFoundError):
        client.get("/v9/things/t_1", params={"x": 1})
    assert seen[-1].url.params["x"] == "1" and "idempotency-key" not in seen[-1].headers
    for bad in ("//evil.example.com/x", "/x?y=1", "x"):
        with pytest.raises(imagineo.ImagineoValidationError, match="path"):
            client.get(bad)
    assert len(seen) == 3
