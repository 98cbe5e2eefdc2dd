"""Sending one request: the retry loop around each attempt, with its timeouts, deadline, cap and logging.

`send()` / `send_async()` put a built request on the wire through the caller's (or the SDK's own) httpx client:

* up to ``max_retries`` more attempts after the first, when `_retry` says the outcome is worth retrying, after the
  wait it gives; the same request object is re-sent, so every attempt carries the same ``Idempotency-Key`` header;
* each attempt reads at most ``max_response_bytes`` of body, as received and once inflated (`_bounded`); past it,
  APIResponseTooLargeError, not retried;
* each attempt may have a total ``attempt_timeout``: async attempts are cancelled at it; sync attempts clamp every
  socket operation to the time left on the SDK's own client (`_deadline`), and on one passed in check it at the start
  and between the body's reads.

Each attempt is logged at DEBUG on the ``imagineo`` logger (method, path, status or error, attempt, elapsed);
headers and bodies are never logged, so the API key never reaches a log line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from . import _deadline
from ._bounded import BoundedReader, start_reading
from ._exceptions import APIConnectionError, APITimeoutError
from ._redact import leaks, redact_response
from ._retry import retry_delay, retryable

__all__ = ["DEFAULT_MAX_RESPONSE_BYTES", "Limits", "send", "send_async"]

logger = logging.getLogger("imagineo")

DEFAULT_MAX_RESPONSE_BYTES = 1 << 20  # 1 MiB: the API's answers are a few hundred bytes of JSON

# Indirections the tests replace to observe waits without waiting. None: asyncio.sleep (asyncio is imported only
# when an async call has to wait, so a sync program's ``import imagineo`` does not load it).
_sleep = time.sleep
_async_sleep: Callable[[float], Awaitable[object]] | None = None


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
    if attempt == attempts or not retryable(response):
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
    with _deadline.deadline(deadline):
        response = client.send(request, stream=True)
        try:
            inflater = start_reading(response, limits.max_response_bytes)
            if inflater is not None:
                reader = BoundedReader(response, inflater, limits.max_response_bytes, deadline)
                for chunk in response.iter_raw():
                    reader.add(chunk)
                reader.finish()
            else:
                redact_response(response)
        finally:
            response.close()
    return response


async def _attempt_async(
    client: httpx.AsyncClient, request: httpx.Request, limits: Limits, base: dict[str, Any]
) -> httpx.Response:
    deadline = limits.deadline()
    _timeouts_left(request, base, deadline)
    response = await client.send(request, stream=True)
    try:
        inflater = start_reading(response, limits.max_response_bytes)
        if inflater is not None:
            reader = BoundedReader(response, inflater, limits.max_response_bytes, deadline)
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
