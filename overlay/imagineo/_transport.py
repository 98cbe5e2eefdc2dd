"""Sending one request: timeouts, a per-attempt deadline, a cap on what is read, retries, and logging.

This is the seam where the SDK adds behaviour the generated code does not have. The generated endpoint builds the
request (`imagineo_api.api.runs.generate_run._get_kwargs`) and parses the answer; between the two, `send()` /
`send_async()` put the request on the wire through the caller's (or our own) httpx client and retry it:

* up to ``max_retries`` more attempts after the first, for connection errors, timeouts and the statuses in
  `RETRY_STATUSES` (never 400, 401, 403, 404, 409 or 422, which would fail the same way again). A 409 is retried
  only when its body's ``code`` is `IN_PROGRESS_CODE` (the key's first request is still running); any other 409 is
  the same Idempotency-Key used with a different body, which no retry can fix;
* the wait is ``Retry-After`` / ``retry-after-ms`` when the server gives one (seconds or an HTTP date) up to
  `MAX_RETRY_AFTER` seconds; a longer wait is not sat out: the error is raised at once, so a caller is never
  blocked for minutes inside one call. A value that is not a usable wait (garbage, NaN, a date no calendar has) is
  ignored. Without a header: exponential backoff from `INITIAL_RETRY_DELAY`, doubling, capped at
  `MAX_RETRY_DELAY`, minus up to 25% jitter so clients that failed together do not retry together;
* the same request object is re-sent, so every attempt carries the same ``Idempotency-Key`` header.

Each attempt reads at most ``max_response_bytes`` of body, counted both as received and after Content-Encoding
is undone (the SDK inflates gzip/deflate itself, a bounded step at a time, so a small compressed bomb never
becomes a large buffer); past it, `APIResponseTooLargeError`, not retried. Each attempt may also have a total
``attempt_timeout`` (httpx's own timeouts bound each connect / read / write / pool wait, not the whole exchange):
async attempts are cancelled at it; sync attempts clamp every socket operation to the time left (on the SDK's own
httpx client; on one passed in, at the start and between the body's reads). Answers' bodies and headers have the
client's own API key redacted before anything else sees them (`_exceptions.redact_response`).

Each attempt is logged at DEBUG on the ``imagineo`` logger (method, path, status or error, attempt, elapsed);
headers and bodies are never logged, so the API key never reaches a log line.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import random
import threading
import time
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from ._exceptions import APIConnectionError, APIResponseTooLargeError, APITimeoutError, leaks, redact_response

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "IN_PROGRESS_CODE",
    "MAX_RETRY_AFTER",
    "RETRY_STATUSES",
    "retry_delay",
    "send",
    "send_async",
]

logger = logging.getLogger("imagineo")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
IN_PROGRESS_CODE = "idempotency_in_progress"  # the one 409 that is retried (see the spec's Conflict response)
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 60.0
DEFAULT_MAX_RESPONSE_BYTES = 1 << 20  # 1 MiB: the API's answers are a few hundred bytes of JSON
_STEP = 64 * 1024  # bytes inflated per step

# Indirections the tests replace to observe waits without waiting. None: asyncio.sleep (asyncio is imported only
# when an async call has to wait, so a sync program's ``import imagineo`` does not load it).
_sleep = time.sleep
_async_sleep: Callable[[float], Awaitable[object]] | None = None


# -- Retry-After ---------------------------------------------------------------------------------------------------


def _seconds(value: str, scale: float = 1.0) -> float | None:
    """A finite, non-negative number of seconds, or None for anything else (nan, inf, negative, garbage)."""
    try:
        seconds = float(value) * scale
    except (ValueError, OverflowError):
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _date_wait(value: str) -> float | None:
    """Seconds until an HTTP date; None when it is not one a datetime can hold (day 10^20, year 99999...)."""
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(when.timestamp() - time.time(), 0.0)
    except (TypeError, ValueError, OverflowError, IndexError, OSError):
        return None


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds the server asked us to wait, from retry-after-ms, Retry-After seconds or Retry-After HTTP date.

    A value that is not a finite, non-negative wait is ignored, so backoff applies instead."""
    ms = response.headers.get("retry-after-ms")
    if ms is not None and (seconds := _seconds(ms, 0.001)) is not None:
        return seconds
    value = response.headers.get("retry-after")
    if value is None:
        return None
    if (seconds := _seconds(value)) is not None:
        return seconds
    return _date_wait(value)


def retry_delay(attempt: int, response: httpx.Response | None) -> float | None:
    """How long to wait before retry number `attempt` (1-based); None: the server's wait is too long to retry."""
    if response is not None:
        asked = _retry_after(response)
        if asked is not None:
            return asked if asked <= MAX_RETRY_AFTER else None
    backoff: float = min(INITIAL_RETRY_DELAY * 2 ** (attempt - 1), MAX_RETRY_DELAY)
    return backoff * (1 - 0.25 * random.random())  # noqa: S311 - jitter, not security


def _retryable(response: httpx.Response) -> bool:
    status = response.status_code
    if status == 409:
        try:
            body = json.loads(response.content)
        except (ValueError, RecursionError):
            return False
        return isinstance(body, dict) and body.get("code") == IN_PROGRESS_CODE
    return status in RETRY_STATUSES


# -- the body, capped ----------------------------------------------------------------------------------------------


class _Inflater:
    """Undoes a response's Content-Encoding (identity, gzip, deflate; stacked in any order), never producing more
    than `limit` bytes in all: each step inflates at most what is left of the budget plus one byte."""

    def __init__(self, request: httpx.Request, encodings: list[str], limit: int) -> None:
        self.request = request
        self.limit = limit
        self.total = 0
        self.stages: list[Any] = []
        for name in reversed(encodings):  # the last encoding applied is undone first
            if name in ("gzip", "x-gzip"):
                self.stages.append(zlib.decompressobj(zlib.MAX_WBITS | 16))
            elif name == "deflate":
                self.stages.append("deflate")  # zlib-wrapped or raw: decided by the first bytes, as httpx does
            elif name not in ("identity", ""):
                raise APIConnectionError(
                    request,
                    f"The response body could not be decoded: Content-Encoding {name[:40]!r} is not one the SDK "
                    "reads (it asks for gzip or deflate)",
                )

    def _inflate(self, index: int, data: bytes, room: int) -> bytes:
        stage = self.stages[index]
        if stage == "deflate":
            stage = zlib.decompressobj()
            try:
                out = stage.decompress(data, room)
            except zlib.error:
                stage = zlib.decompressobj(-zlib.MAX_WBITS)
                out = stage.decompress(data, room)
            self.stages[index] = stage
        else:
            out = stage.decompress(data, room)
        if stage.unconsumed_tail:  # it had more to give than `room`: past the cap
            return out + b"\0"
        return bytes(out)

    def feed(self, data: bytes) -> bytes:
        try:
            for index in range(len(self.stages)):
                data = self._inflate(index, data, self.limit - self.total + 1)
        except zlib.error as exc:
            raise APIConnectionError(self.request, f"The response body could not be decoded: {exc}") from None
        self.total += len(data)
        return data


def _too_large(response: httpx.Response, limit: int, what: str) -> APIResponseTooLargeError:
    return APIResponseTooLargeError(response, limit, what)


def _start_reading(response: httpx.Response, limit: int) -> _Inflater | None:
    """Check Content-Length; the inflater for the body, or None when httpx already holds the body."""
    length = response.headers.get("content-length", "")
    if length.strip().isdigit() and int(length) > limit:
        raise _too_large(response, limit, f"announces {int(length)} bytes (Content-Length)")
    try:
        content = response.content  # a transport that read the body already (httpx.MockTransport, say)
    except httpx.ResponseNotRead:
        encodings = [e.strip().lower() for e in response.headers.get_list("content-encoding", split_commas=True)]
        return _Inflater(response.request, encodings, limit)
    if len(content) > limit:
        raise _too_large(response, limit, f"has {len(content)} bytes")
    return None


class _Reader:
    """Accumulates one body: counts raw bytes, inflates, checks the cap and the attempt's deadline per chunk."""

    def __init__(self, response: httpx.Response, inflater: _Inflater, limit: int, deadline: float | None) -> None:
        self.response, self.inflater, self.limit, self.deadline = response, inflater, limit, deadline
        self.raw = 0
        self.parts: list[bytes] = []

    def add(self, chunk: bytes) -> None:
        self.raw += len(chunk)
        if self.raw > self.limit:
            raise _too_large(self.response, self.limit, "is larger than that as received")
        part = self.inflater.feed(chunk)
        if self.inflater.total > self.limit:
            raise _too_large(self.response, self.limit, "is larger than that once decompressed")
        self.parts.append(part)
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise httpx.ReadTimeout("attempt_timeout reached while reading the body", request=self.response.request)

    def finish(self) -> None:
        self.response._content = b"".join(self.parts)
        redact_response(self.response)


# -- the attempt's deadline ----------------------------------------------------------------------------------------

_local = threading.local()  # .deadline: the running sync attempt's time.monotonic() deadline, or None


def _clamp(timeout: float | None, error: type[Exception]) -> float | None:
    deadline: float | None = getattr(_local, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("attempt_timeout reached")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream:
    """An httpcore network stream whose every read and write waits no longer than the attempt has left."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        import httpcore

        data: bytes = self._stream.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        import httpcore

        self._stream.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> Any:
        import httpcore

        return _DeadlineStream(
            self._stream.start_tls(ssl_context, server_hostname, _clamp(timeout, httpcore.ConnectTimeout))
        )

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend:
    """An httpcore network backend whose streams are `_DeadlineStream`s."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, **kwargs: Any) -> _DeadlineStream:
        import httpcore

        return _DeadlineStream(
            self._backend.connect_tcp(host, port, _clamp(timeout, httpcore.ConnectTimeout), **kwargs)
        )

    def connect_unix_socket(self, path: str, timeout: float | None = None, **kwargs: Any) -> _DeadlineStream:
        import httpcore

        return _DeadlineStream(
            self._backend.connect_unix_socket(path, _clamp(timeout, httpcore.ConnectTimeout), **kwargs)
        )

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def watch_deadlines(client: httpx.Client) -> bool:
    """Make the SDK's own sync client clamp each socket operation to the attempt's deadline; False if httpx's
    internals are not the expected ones (the deadline is then checked at the start and between reads only)."""
    pool = getattr(getattr(client, "_transport", None), "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is None or not hasattr(backend, "connect_tcp"):
        return False
    if not isinstance(backend, _DeadlineBackend):
        pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]
    return True


def _timeouts_left(request: httpx.Request, base: dict[str, Any], deadline: float | None) -> None:
    """Set the request's connect / read / write / pool timeouts to `base`, each capped at the time left."""
    if deadline is None:
        return
    left = max(deadline - time.monotonic(), 0.001)
    request.extensions["timeout"] = {
        name: left if base.get(name) is None else min(base[name], left) for name in ("connect", "read", "write", "pool")
    }


# -- sending -------------------------------------------------------------------------------------------------------


def _log(request: httpx.Request, outcome: str, attempt: int, attempts: int, started: float) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "%s %s -> %s (attempt %d/%d, %.3fs)",
            request.method,
            request.url.path,
            outcome,
            attempt,
            attempts,
            time.perf_counter() - started,
        )


def _after_error(
    request: httpx.Request, exc: httpx.TransportError, attempt: int, attempts: int, started: float
) -> float:
    """Log a failed attempt; raise the SDK's error if it was the last one, else return the wait before the next."""
    _log(request, type(exc).__name__, attempt, attempts, started)
    if isinstance(exc, httpx.LocalProtocolError):
        # httpx refused to send the request (an illegal header value, say): retrying cannot help, and its message
        # quotes the offending header, which may be the Authorization header, so it is not passed on.
        raise APIConnectionError(
            request, "The request could not be sent: httpx rejected a header value or the request line"
        ) from None
    if attempt == attempts:
        # httpx's message can quote what the server sent (a malformed header line, say): not kept as the cause
        # when it holds the key.
        cause = None if leaks(str(exc), request) else exc
        if isinstance(exc, httpx.TimeoutException):
            raise APITimeoutError(request) from cause
        raise APIConnectionError(request, f"Connection error: {type(exc).__name__}: {exc}") from cause
    return retry_delay(attempt, None) or 0.0


def _after_response(
    request: httpx.Request, response: httpx.Response, attempt: int, attempts: int, started: float
) -> float | None:
    """Log an answered attempt; None means return this response, a number is the wait before retrying."""
    _log(request, str(response.status_code), attempt, attempts, started)
    if attempt == attempts or not _retryable(response):
        return None
    return retry_delay(attempt, response)


class Limits:
    """What bounds one attempt: the body's size and the total time (None: no total)."""

    __slots__ = ("attempt_timeout", "max_response_bytes")

    def __init__(self, max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES, attempt_timeout: float | None = None):
        self.max_response_bytes = max_response_bytes
        self.attempt_timeout = attempt_timeout

    def deadline(self) -> float | None:
        return None if self.attempt_timeout is None else time.monotonic() + self.attempt_timeout


_NO_LIMITS = Limits()


def _attempt(client: httpx.Client, request: httpx.Request, limits: Limits, base: dict[str, Any]) -> httpx.Response:
    deadline = limits.deadline()
    _timeouts_left(request, base, deadline)
    outer, _local.deadline = getattr(_local, "deadline", None), deadline
    try:
        response = client.send(request, stream=True)
        try:
            inflater = _start_reading(response, limits.max_response_bytes)
            if inflater is not None:
                reader = _Reader(response, inflater, limits.max_response_bytes, deadline)
                for chunk in response.iter_raw():
                    reader.add(chunk)
                reader.finish()
            else:
                redact_response(response)
        finally:
            response.close()
    finally:
        _local.deadline = outer
    return response


async def _attempt_async(
    client: httpx.AsyncClient, request: httpx.Request, limits: Limits, base: dict[str, Any]
) -> httpx.Response:
    deadline = limits.deadline()
    _timeouts_left(request, base, deadline)
    response = await client.send(request, stream=True)
    try:
        inflater = _start_reading(response, limits.max_response_bytes)
        if inflater is not None:
            reader = _Reader(response, inflater, limits.max_response_bytes, deadline)
            async for chunk in response.aiter_raw():
                reader.add(chunk)
            reader.finish()
        else:
            redact_response(response)
    finally:
        await response.aclose()
    return response


async def _attempt_within(
    client: httpx.AsyncClient, request: httpx.Request, limits: Limits, base: dict[str, Any]
) -> httpx.Response:
    """`_attempt_async`, cancelled at the attempt's deadline (as an httpx.TimeoutException)."""
    if limits.attempt_timeout is None:
        return await _attempt_async(client, request, limits, base)
    import anyio

    try:
        with anyio.fail_after(limits.attempt_timeout):
            return await _attempt_async(client, request, limits, base)
    except TimeoutError:
        raise httpx.ReadTimeout("attempt_timeout reached", request=request) from None


def send(client: httpx.Client, request: httpx.Request, max_retries: int, limits: Limits = _NO_LIMITS) -> httpx.Response:
    """Send `request`, retrying as the module docstring says; returns the last response (its body read, at most
    ``limits.max_response_bytes``) or raises APIError."""
    attempts = max_retries + 1
    attempt = 1
    base = dict(request.extensions.get("timeout") or {})
    while True:
        started = time.perf_counter()
        try:
            response = _attempt(client, request, limits, base)
        except httpx.DecodingError as exc:  # a body its Content-Encoding cannot decode: not worth retrying
            raise APIConnectionError(request, f"The response body could not be decoded: {exc}") from exc
        except httpx.TransportError as exc:
            delay = _after_error(request, exc, attempt, attempts, started)
        else:
            wait = _after_response(request, response, attempt, attempts, started)
            if wait is None:
                return response
            delay = wait
        if delay:
            _sleep(delay)
        attempt += 1


async def send_async(
    client: httpx.AsyncClient, request: httpx.Request, max_retries: int, limits: Limits = _NO_LIMITS
) -> httpx.Response:
    """The async twin of `send`."""
    attempts = max_retries + 1
    attempt = 1
    base = dict(request.extensions.get("timeout") or {})
    while True:
        started = time.perf_counter()
        try:
            response = await _attempt_within(client, request, limits, base)
        except httpx.DecodingError as exc:  # a body its Content-Encoding cannot decode: not worth retrying
            raise APIConnectionError(request, f"The response body could not be decoded: {exc}") from exc
        except httpx.TransportError as exc:
            delay = _after_error(request, exc, attempt, attempts, started)
        else:
            wait = _after_response(request, response, attempt, attempts, started)
            if wait is None:
                return response
            delay = wait
        if delay:
            if _async_sleep is None:
                import asyncio

                await asyncio.sleep(delay)
            else:
                await _async_sleep(delay)
        attempt += 1
