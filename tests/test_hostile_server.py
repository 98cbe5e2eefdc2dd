"""The SDK against a hostile server (tests/hostile_server.py), through the sync client, the async client and the
CLI: every case ends in a documented SDK exception, bounded in memory and time, and the key appears nowhere.

Each test's docstring names the break it catches (issue 12, "The SDK", items 1-5).
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import math
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import imagineo
import pytest
from imagineo import (
    APIError,
    APIResponseTooLargeError,
    APITimeoutError,
    AsyncImagineoAIClient,
    ImagineoAIClient,
    ImagineoError,
    ImagineoValidationError,
)
from imagineo.cli import main

from tests.hostile_server import HostileServer, answer, drip, echo_auth, gzip_bomb, malformed_echo, unsized
from tests.overlay_helpers import API_KEY, MODES

MIB = 1 << 20
ABSURD_DATE = "Wed, 99999999999999999999 Nov 2026 10:00:00 GMT"


@pytest.fixture(scope="module")
def _server() -> Iterator[HostileServer]:
    server = HostileServer()
    yield server
    server.close()


@pytest.fixture
def hostile(_server: HostileServer) -> HostileServer:
    _server.reset()
    return _server


def call(mode: str, url: str, client_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """One generate call (prompt "p" unless given) through a fresh sync or async client."""
    options = {"api_key": API_KEY, **(client_kwargs or {})}
    kwargs.setdefault("prompt", "p")
    if mode == "sync":
        with ImagineoAIClient(url, **options) as client:
            return client.images.generate(**kwargs)

    async def run() -> Any:
        async with AsyncImagineoAIClient(url, **options) as client:
            return await client.images.generate(**kwargs)

    return asyncio.run(run())


def raises(exc_type: type[BaseException], fn: Callable[[], Any]) -> BaseException:
    with pytest.raises(exc_type) as info:
        fn()
    return info.value


def texts_of(exc: BaseException) -> str:
    """Everything an exception shows a person: str, repr, args, body, request id, the response's text."""
    parts = [str(exc), repr(exc), repr(exc.args)]
    for name in ("body", "request_id", "message"):
        parts.append(repr(getattr(exc, name, None)))
    response = getattr(exc, "response", None)
    if response is not None:
        parts += [response.text, repr(dict(response.headers))]
    return "\n".join(parts)


def peak_memory(fn: Callable[[], Any]) -> tuple[int, BaseException | None]:
    """tracemalloc's peak (bytes) while `fn` runs, and what it raised."""
    gc.collect()
    tracemalloc.start()
    error: BaseException | None = None
    try:
        fn()
    except BaseException as exc:
        error = exc
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, error


# -- 1. raw exceptions ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_retry_after_date_with_an_absurd_day_falls_back_to_backoff(
    mode: str, hostile: HostileServer, waits: list[float]
) -> None:
    """Breaks if a Retry-After date no datetime can hold raises OverflowError out of the retry logic."""
    hostile.enqueue(answer(503, b'{"error": "busy"}', {"Retry-After": ABSURD_DATE}), answer())
    assert call(mode, hostile.url) is not None
    assert len(hostile.requests) == 2 and len(waits) == 1 and 0.375 <= waits[0] <= 0.5


def test_cli_batch_survives_an_absurd_retry_after(
    hostile: HostileServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Breaks if `imagineo batch` aborts with an OverflowError traceback on a 503 with an absurd Retry-After date."""
    hostile.enqueue(answer(503, b'{"error": "busy"}', {"Retry-After": ABSURD_DATE}), answer())
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "prompt": "p"}) + "\n")
    out = tmp_path / "out.jsonl"
    status = main(["batch", str(source), "--out", str(out), "--api-url", hostile.url, "--api-key", API_KEY])
    assert status == 0, capsys.readouterr().err
    assert json.loads(out.read_text())["status"] == "ok"
    assert "Traceback" not in capsys.readouterr().err


class _RaisingRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


class _HostileStr(str):
    __hash__ = str.__hash__

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no comparing")


def _deep(levels: int) -> Any:
    value: Any = []
    for _ in range(levels):
        value = [value]
    return value


HOSTILE_ARGUMENTS: dict[str, dict[str, Any]] = {
    "prompt nested 10^5 deep": {"prompt": _deep(100_000)},
    "unknown field nested 10^5 deep": {"prompt": "p", "extra_thing": _deep(100_000)},
    "value whose __repr__ raises": {"prompt": _RaisingRepr()},
    "str subclass with a raising __eq__ as an unknown model_type": {"prompt": "p", "model_type": _HostileStr("x")},
    "extra_body with NaN": {"prompt": "p", "extra_body": {"x": math.nan}},
    "extra_body nested 10^5 deep": {"prompt": "p", "extra_body": {"x": _deep(100_000)}},
    "extra_body with a raising repr": {"prompt": "p", "extra_body": {"x": _RaisingRepr()}},
    "extra_headers with a non-ASCII value": {"prompt": "p", "extra_headers": {"X-Note": "caf\u00e9"}},
    "timeout -1": {"prompt": "p", "timeout": -1},
    "timeout NaN": {"prompt": "p", "timeout": math.nan},
    "timeout 'fast'": {"prompt": "p", "timeout": "fast"},
    "idempotency_key with a raising repr": {"prompt": "p", "idempotency_key": _RaisingRepr()},
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", list(HOSTILE_ARGUMENTS))
def test_hostile_call_arguments_are_validation_errors_and_nothing_is_sent(
    mode: str, case: str, hostile: HostileServer, waits: list[float]
) -> None:
    """Breaks if a hostile argument escapes as RecursionError, RuntimeError, ValueError, UnicodeEncodeError or a
    retried APITimeoutError instead of an ImagineoValidationError raised before anything is sent."""
    started = time.monotonic()
    error = raises(ImagineoValidationError, lambda: call(mode, hostile.url, **HOSTILE_ARGUMENTS[case]))
    assert "nothing was sent" in str(error) and error.errors
    assert hostile.requests == [] and waits == []
    assert time.monotonic() - started < 10
    assert "caf\u00e9" not in str(error)  # header values are never echoed


@pytest.mark.parametrize("mode", MODES)
def test_str_subclass_with_a_raising_eq_is_used_as_its_plain_text(mode: str, hostile: HostileServer) -> None:
    """Breaks if a str subclass whose __eq__ raises, given as model_type, escapes as its RuntimeError: the SDK
    reads such a value as the plain str it holds, so its own methods never run."""
    assert call(mode, hostile.url, model_type=_HostileStr("flux-dev")) is not None
    assert json.loads(hostile.requests[0].body)["model_type"] == "flux-dev"


@pytest.mark.parametrize("bad", [-1, math.nan, math.inf, "fast", True])
def test_hostile_client_options_are_validation_errors(bad: object) -> None:
    """Breaks if a client-level timeout / attempt_timeout / max_response_bytes that httpx cannot use is accepted
    (failing later, deep inside httpx) instead of refused at construction."""
    for option in ("timeout", "attempt_timeout", "max_response_bytes"):
        with pytest.raises(ImagineoValidationError, match=option):
            ImagineoAIClient("https://api.example.com", api_key=API_KEY, **{option: bad})


# -- 2. unbounded answers ------------------------------------------------------------------------------------------

MEMORY_BOUND = 48 * MIB  # the cap is 1 MiB; before, a 1 GiB bomb took 3.4 GB


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [200, 500])
def test_gzip_bomb_is_refused_with_bounded_memory(
    mode: str, status: int, hostile: HostileServer, waits: list[float]
) -> None:
    """Breaks if a 1 MB gzip body that inflates to 1 GiB is read whole (3.4 GB before; 5.5 GB when a 500 was
    retried): it must be an APIResponseTooLargeError, not retried, with a bounded peak of memory."""
    bomb = gzip_bomb()
    hostile.enqueue(*[unsized(status, bomb, {"Content-Encoding": "gzip"})] * 3)
    started = time.monotonic()
    peak, error = peak_memory(lambda: call(mode, hostile.url))
    assert isinstance(error, APIResponseTooLargeError), error
    assert error.status_code == status and error.limit == imagineo.DEFAULT_MAX_RESPONSE_BYTES
    assert "decompressed" in str(error)
    assert peak < MEMORY_BOUND, f"peak {peak / MIB:.1f} MiB"
    assert len(hostile.requests) == 1 and waits == []
    assert time.monotonic() - started < 20


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("sized", [True, False])
def test_50_mb_json_answer_is_refused_with_bounded_memory(
    mode: str, sized: bool, hostile: HostileServer, waits: list[float]
) -> None:
    """Breaks if a 50 MB JSON 200 is accepted (it was): refused from its Content-Length, or while reading when
    the length is not announced, without holding it in memory."""
    body = b'{"image_url": "https://x/0.png", "junk": "' + b"a" * (50 * MIB) + b'"}'
    hostile.enqueue(answer(200, body) if sized else unsized(200, body))
    peak, error = peak_memory(lambda: call(mode, hostile.url))
    assert isinstance(error, APIResponseTooLargeError), error
    assert ("Content-Length" in str(error)) is sized
    assert peak < MEMORY_BOUND, f"peak {peak / MIB:.1f} MiB"


@pytest.mark.parametrize("mode", MODES)
def test_max_response_bytes_is_overridable(mode: str, hostile: HostileServer) -> None:
    """Breaks if max_response_bytes is ignored per client or by with_options."""
    padded = b'{"image_url": "https://x/0.png", "pad": "' + b"a" * 300 + b'"}'
    hostile.enqueue(unsized(200, padded))
    raises(APIResponseTooLargeError, lambda: call(mode, hostile.url, {"max_response_bytes": 200}))
    hostile.enqueue(answer(200, padded))
    with ImagineoAIClient(hostile.url, api_key=API_KEY, max_response_bytes=200) as client:
        assert client.with_options(max_response_bytes=1000).images.generate(prompt="p") is not None


def test_cli_generate_reports_a_bomb_without_a_traceback(
    hostile: HostileServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Breaks if `imagineo generate` against a gzip bomb runs out of memory or prints a traceback."""
    hostile.enqueue(unsized(200, gzip_bomb(), {"Content-Encoding": "gzip"}))
    status = main(["generate", "p", "--api-url", hostile.url, "--api-key", API_KEY])
    err = capsys.readouterr().err
    assert status != 0 and "max_response_bytes" in err and "Traceback" not in err


# -- 3. time -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("headers_too", [False, True])
def test_dripping_server_is_cut_at_the_attempt_timeout(mode: str, headers_too: bool, hostile: HostileServer) -> None:
    """Breaks if a server sending one byte every 0.25 s keeps a call alive past its attempt_timeout (a timeout=2
    call lived 40 s): `timeout` bounds the silence between reads, attempt_timeout the whole attempt."""
    hostile.enqueue(drip(interval=0.25, headers_too=headers_too))
    started = time.monotonic()
    error = raises(
        APITimeoutError,
        lambda: call(mode, hostile.url, {"timeout": 2.0, "attempt_timeout": 2.0, "max_retries": 0}),
    )
    elapsed = time.monotonic() - started
    assert 1.5 < elapsed < 10, elapsed
    assert API_KEY not in texts_of(error)


# -- 5. secrets in server text -------------------------------------------------------------------------------------

ECHOES = {
    "json 401": echo_auth(401),
    "json 422, key as \\u escapes": echo_auth(422, escaped=True),
    "text 502 past the 200-character cut": echo_auth(502, as_text=True, pad=190),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", list(ECHOES))
def test_echoed_authorization_is_redacted_everywhere(
    mode: str, case: str, hostile: HostileServer, waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    """Breaks if a server echoing the Authorization header puts the key (whole, bearer form, or a prefix cut at
    the message's 200 characters) into the exception's message, body, request id, response text or a log line."""
    caplog.set_level(logging.DEBUG, logger="imagineo")
    hostile.enqueue(*[ECHOES[case]] * 3)
    error = raises(APIError, lambda: call(mode, hostile.url))
    shown = texts_of(error) + caplog.text
    assert API_KEY[:12] not in shown and "[REDACTED]" in shown


@pytest.mark.parametrize("mode", MODES)
def test_key_quoted_in_a_malformed_answer_is_not_in_the_error_or_its_traceback(
    mode: str, hostile: HostileServer, waits: list[float]
) -> None:
    """Breaks if httpx's protocol error, quoting a header line that echoes the key, reaches the APIConnectionError's
    message or its chained cause (which a traceback prints)."""
    import traceback

    hostile.enqueue(*[malformed_echo()] * 3)
    error = raises(imagineo.APIConnectionError, lambda: call(mode, hostile.url))
    assert API_KEY[:12] not in texts_of(error) + "".join(traceback.format_exception(error))


def test_cli_stderr_and_batch_results_never_show_the_key(
    hostile: HostileServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Breaks if the CLI's stderr or the batch results file carries a key that the server echoed back."""
    hostile.enqueue(echo_auth(422))
    assert main(["generate", "p", "--api-url", hostile.url, "--api-key", API_KEY]) != 0
    hostile.enqueue(echo_auth(422), echo_auth(404))
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": i, "prompt": "p"}) + "\n" for i in ("a", "b")))
    out = tmp_path / "out.jsonl"
    main(["batch", str(source), "--out", str(out), "--api-url", hostile.url, "--api-key", API_KEY])
    captured = capsys.readouterr()
    assert [r["status"] for r in map(json.loads, out.read_text().splitlines())] == ["error", "error"]
    for text in (captured.err, captured.out, out.read_text()):
        assert API_KEY[:12] not in text
    assert "[REDACTED]" in out.read_text()


@pytest.mark.parametrize(
    ("url", "part"),
    [
        ("http://admin:hunter2@api.example.com/v", "user name or password"),
        ("https://admin:hunter2@api.example.com", "user name or password"),
        ("https://api.example.com/gw?tenant=a", "a query"),
        ("https://api.example.com/gw#frag", "a fragment"),
    ],
)
def test_api_url_with_userinfo_query_or_fragment_is_refused(url: str, part: str) -> None:
    """Breaks if an api_url shape that silently changes the request is accepted (issue 18, point 6): user info
    (httpx would send Basic auth in place of the Bearer key: every call a 401), a query (the POST would go to
    ``/gw?tenant=a/api/v1/...``) or a fragment (to ``/gw``); or if the refusal quotes the password."""
    error = raises(ImagineoValidationError, lambda: ImagineoAIClient(url, api_key=API_KEY))
    assert error.errors[0]["field"] == "api_url" and part in str(error)
    assert "hunter2" not in str(error) and "admin" not in str(error)


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://localhost:9", True),
        ("http://LOCALHOST.:9", True),
        ("http://127.0.0.9", True),
        ("http://[::1]:9", True),
        ("http://[::ffff:127.0.0.1]:9", True),
        ("http://app.localhost:9", False),
        ("http://localhost.example.com", False),
        ("http://0.0.0.0", False),
    ],
)
def test_which_names_count_as_loopback_for_plain_http(url: str, loopback: bool) -> None:
    """Breaks if a `*.localhost` name (which the system resolver may send to DNS) is let through plain http without
    allow_insecure_http, or if localhost itself / a loopback literal is refused."""
    if loopback:
        ImagineoAIClient(url, api_key=API_KEY)
    else:
        with pytest.raises(ImagineoError, match="allow_insecure_http"):
            ImagineoAIClient(url, api_key=API_KEY)


# -- issue 18, item 11: bounded messages ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_5000_digit_integer_in_an_answer_is_named_as_such_not_called_not_json(
    mode: str, hostile: HostileServer
) -> None:
    """Breaks if a JSON integer past Python's int max str digits limit (4300 by default) is reported as a body
    that "is not JSON" (it is JSON): the APIResponseValidationError must say what is wrong."""
    body = b'{"image_url": "https://x/0.png", "run_id": "r", "seed": ' + b"9" * 5000 + b"}"
    hostile.enqueue(answer(200, body))
    error = raises(imagineo.APIResponseValidationError, lambda: call(mode, hostile.url))
    assert "integer too long to read" in str(error) and "digits" in str(error), error
    assert "not JSON" not in str(error)


def test_a_huge_error_body_gives_a_bounded_message_and_keeps_the_whole_body(
    hostile: HostileServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Breaks if a 3 MB ``error`` field (or 10 000 ``details``) of an error answer is copied whole into the
    exception's message and the CLI's stderr: both must stay a few KiB, the whole body on ``.body``."""
    from imagineo._exceptions import MAX_MESSAGE

    details = [{"field": f"f{i}", "message": "m" * 100} for i in range(10_000)]
    body = json.dumps({"error": "e" * (3 * MIB), "details": details}).encode()
    hostile.enqueue(answer(400, body))
    error = raises(imagineo.BadRequestError, lambda: call("sync", hostile.url, {"max_response_bytes": 8 * MIB}))
    assert len(str(error)) <= MAX_MESSAGE + 100
    assert "more characters not shown" in str(error)
    assert isinstance(error, imagineo.BadRequestError) and len(error.body["error"]) == 3 * MIB  # type: ignore[index]
    from imagineo._cli.ui import describe_api_error

    shown = describe_api_error(error)
    assert len(shown) < 20_000 and "and 9980 more" in shown
