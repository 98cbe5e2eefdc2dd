"""Sending one request: timeouts, retries with backoff, Retry-After, and per-attempt logging.

This is the seam where the SDK adds behaviour the generated code does not have. The generated endpoint builds the
request (`imagineo_api.api.runs.generate_run._get_kwargs`) and parses the answer; between the two, `send()` /
`send_async()` put the request on the wire through the caller's (or our own) httpx client and retry it:

* up to ``max_retries`` more attempts after the first, for connection errors, timeouts and the statuses in
  `RETRY_STATUSES` (never 400, 401, 403, 404 or 422, which would fail the same way again);
* the wait is ``Retry-After`` / ``retry-after-ms`` when the server gives one (seconds or an HTTP date) up to
  `MAX_RETRY_AFTER` seconds; a longer wait is not sat out: the error is raised at once, so a caller is never
  blocked for minutes inside one call. Without a header: exponential backoff from `INITIAL_RETRY_DELAY`, doubling,
  capped at `MAX_RETRY_DELAY`, minus up to 25% jitter so clients that failed together do not retry together;
* the same request object is re-sent, so every attempt carries the same ``Idempotency-Key`` header.

Each attempt is logged at DEBUG on the ``imagineo`` logger (method, path, status or error, attempt, elapsed);
headers are never logged, so the API key never reaches a log line.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable

import httpx

from ._exceptions import APIConnectionError, APITimeoutError

__all__ = ["MAX_RETRY_AFTER", "RETRY_STATUSES", "retry_delay", "send", "send_async"]

logger = logging.getLogger("imagineo")

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 60.0

# Indirections the tests replace to observe waits without waiting. None: asyncio.sleep (asyncio is imported only
# when an async call has to wait, so a sync program's ``import imagineo`` does not load it).
_sleep = time.sleep
_async_sleep: Callable[[float], Awaitable[object]] | None = None


def _seconds(value: str, scale: float = 1.0) -> float | None:
    """A finite, non-negative number of seconds, or None for anything else (nan, inf, negative, garbage)."""
    try:
        seconds = float(value) * scale
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


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
    when = email.utils.parsedate_to_datetime(value) if _looks_like_date(value) else None
    if when is None:
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _looks_like_date(value: str) -> bool:
    try:
        return email.utils.parsedate_to_datetime(value) is not None
    except (TypeError, ValueError):
        return False


def retry_delay(attempt: int, response: httpx.Response | None) -> float | None:
    """How long to wait before retry number `attempt` (1-based); None: the server's wait is too long to retry."""
    if response is not None:
        asked = _retry_after(response)
        if asked is not None:
            return asked if asked <= MAX_RETRY_AFTER else None
    backoff: float = min(INITIAL_RETRY_DELAY * 2 ** (attempt - 1), MAX_RETRY_DELAY)
    return backoff * (1 - 0.25 * random.random())  # noqa: S311 - jitter, not security


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
        if isinstance(exc, httpx.TimeoutException):
            raise APITimeoutError(request) from exc
        raise APIConnectionError(request, f"Connection error: {type(exc).__name__}: {exc}") from exc
    return retry_delay(attempt, None) or 0.0


def _after_response(
    request: httpx.Request, response: httpx.Response, attempt: int, attempts: int, started: float
) -> float | None:
    """Log an answered attempt; None means return this response, a number is the wait before retrying."""
    _log(request, str(response.status_code), attempt, attempts, started)
    if attempt == attempts or response.status_code not in RETRY_STATUSES:
        return None
    return retry_delay(attempt, response)


def send(client: httpx.Client, request: httpx.Request, max_retries: int) -> httpx.Response:
    """Send `request`, retrying as the module docstring says; returns the last response or raises APIError."""
    attempts = max_retries + 1
    attempt = 1
    while True:
        started = time.perf_counter()
        try:
            response = client.send(request)
        except httpx.DecodingError as exc:  # a body its Content-Encoding cannot decode: not worth retrying
            raise APIConnectionError(request, f"The response body could not be decoded: {exc}") from exc
        except httpx.TransportError as exc:
            delay = _after_error(request, exc, attempt, attempts, started)
        else:
            wait = _after_response(request, response, attempt, attempts, started)
            if wait is None:
                return response
            response.close()
            delay = wait
        if delay:
            _sleep(delay)
        attempt += 1


async def send_async(client: httpx.AsyncClient, request: httpx.Request, max_retries: int) -> httpx.Response:
    """The async twin of `send`."""
    attempts = max_retries + 1
    attempt = 1
    while True:
        started = time.perf_counter()
        try:
            response = await client.send(request)
        except httpx.DecodingError as exc:  # a body its Content-Encoding cannot decode: not worth retrying
            raise APIConnectionError(request, f"The response body could not be decoded: {exc}") from exc
        except httpx.TransportError as exc:
            delay = _after_error(request, exc, attempt, attempts, started)
        else:
            wait = _after_response(request, response, attempt, attempts, started)
            if wait is None:
                return response
            await response.aclose()
            delay = wait
        if delay:
            if _async_sleep is None:
                import asyncio

                await asyncio.sleep(delay)
            else:
                await _async_sleep(delay)
        attempt += 1
