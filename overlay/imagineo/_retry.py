"""When to retry an answer, and how long to wait first (the policy; the loop is `_send`).

* Retried: connection errors, timeouts, and the statuses in `RETRY_STATUSES` (never 400, 401, 403, 404, 409, 422 or
  any other 4xx, which would fail the same way again). A 409 is retried only when its body's ``code`` is
  `IN_PROGRESS_CODE` (the key's first request is still running); any other 409 is the same Idempotency-Key used with
  a different body, which no retry can fix.
* The wait is ``Retry-After`` / ``retry-after-ms`` when the server gives one (seconds or an HTTP date) up to
  `MAX_RETRY_AFTER` seconds; a longer wait is not sat out: the error is raised at once, so a caller is never
  blocked for minutes inside one call. A value that is not a usable wait (garbage, NaN, a date no calendar has) is
  ignored. Without a header: exponential backoff from `INITIAL_RETRY_DELAY`, doubling, capped at
  `MAX_RETRY_DELAY`, minus up to 25% jitter so clients that failed together do not retry together.
"""

from __future__ import annotations

import email.utils
import json
import math
import random
import time

import httpx

__all__ = [
    "INITIAL_RETRY_DELAY",
    "IN_PROGRESS_CODE",
    "MAX_RETRY_AFTER",
    "MAX_RETRY_DELAY",
    "RETRY_STATUSES",
    "retry_after",
    "retry_delay",
    "retryable",
]

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
IN_PROGRESS_CODE = "idempotency_in_progress"  # the one 409 that is retried (see the spec's Conflict response)
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 60.0


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


def retry_after(response: httpx.Response) -> float | None:
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
        asked = retry_after(response)
        if asked is not None:
            return asked if asked <= MAX_RETRY_AFTER else None
    backoff: float = min(INITIAL_RETRY_DELAY * 2 ** (attempt - 1), MAX_RETRY_DELAY)
    return backoff * (1 - 0.25 * random.random())  # noqa: S311 - jitter, not security


def retryable(response: httpx.Response) -> bool:
    status = response.status_code
    if status == 409:
        try:
            body = json.loads(response.content)
        except (ValueError, RecursionError):
            return False
        return isinstance(body, dict) and body.get("code") == IN_PROGRESS_CODE
    return status in RETRY_STATUSES
