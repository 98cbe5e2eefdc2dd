"""Conformance: what a client did that a conforming client would not, per request and counted.

The sandbox doubles as the conformance server for other languages' SDKs: their test suite starts
``imagineo sandbox``, drives its client through faults, then asks ``GET /_sandbox/stats`` (``conformance``: a count
per rule) or ``GET /_sandbox/requests`` (every request to the generate endpoint with its ``violations``). The rules,
for requests to the generate endpoint, keys scoped per API key as idempotency is:

``missing_idempotency_key``
    a POST without an ``Idempotency-Key`` header.
``retry_changed_body``
    a request repeating an Idempotency-Key with another body (compared as canonical JSON; an unparsable body by its
    bytes) than the first request that carried the key. A key names one request, retried or not.
``retry_changed_key``
    a request with a key never seen before whose body equals that of an earlier request with another key that the
    sandbox answered *retryably* (408, 429, 500, 502, 503, 504, a 409 ``idempotency_in_progress``, or a dropped
    connection), when nothing was sent with that earlier key since, and the new request arrives within
    ``RETRY_GRACE`` seconds (plus the ``Retry-After`` given) of that answer. Each abandoned key flags at most one
    request. A heuristic: a *new call* with the same body right after a call that gave up looks the same (vary the
    body, or ``POST /_sandbox/reset`` between such calls).
``retry_before_retry_after``
    a request repeating an Idempotency-Key sooner than the ``Retry-After`` (seconds) of the last answer to that
    key, by more than ``RETRY_AFTER_TOLERANCE``. Measured by the sandbox's clock from the moment the answer was
    written to the moment the repeat arrived: a client waiting from when it *received* the answer is never early.

Every request is listed (the latest `MAX_LISTED`), with ``at`` in seconds since the sandbox started or was reset.
Bounded: bodies are compared by SHA-256 fingerprints, and at most `MAX_KEYS` keys and abandoned bodies are
remembered (the oldest forgotten first); the counts are never forgotten.
"""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass
from typing import Any

from ._limits import MAX_KEYS, MAX_LISTED

__all__ = ["MAX_LISTED", "RETRY_AFTER_TOLERANCE", "RETRY_GRACE", "RULES", "Conformance", "Exchange"]

RULES = {
    "missing_idempotency_key": "a POST to the generate endpoint without an Idempotency-Key header",
    "retry_changed_body": "an Idempotency-Key sent again with another body than its first request",
    "retry_changed_key": "the body of a request answered retryably, sent again at once with a new Idempotency-Key",
    "retry_before_retry_after": "an Idempotency-Key sent again sooner than the Retry-After its last answer gave",
}
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
IN_PROGRESS_CODE = "idempotency_in_progress"
#: Seconds after a retryable answer (plus its Retry-After) in which the same body with a new key counts as a retry.
RETRY_GRACE = 10.0
#: How much sooner than Retry-After a repeat may arrive (clock granularity, the header's rounding).
RETRY_AFTER_TOLERANCE = 0.05


@dataclass(frozen=True)
class Exchange:
    """One request to the generate endpoint and the answer the sandbox gave it."""

    request_id: str
    method: str
    token: str  # the API key (scopes Idempotency-Keys); never listed
    key: str | None
    fingerprint: str  # SHA-256 of the body's canonical JSON, or "raw:<sha256>" when it does not parse
    arrived: float  # clock seconds
    answered: float  # clock seconds when the answer was written (after any delay)
    status: int | None  # None: the connection was dropped
    code: str | None
    retry_after: float | None  # seconds, as the answer's Retry-After said

    @property
    def retryable(self) -> bool:
        if self.status is None:
            return True
        return self.status in RETRYABLE_STATUSES or (self.status == 409 and self.code == IN_PROGRESS_CODE)


@dataclass
class _Key:
    fingerprint: str  # the first body sent with the key
    last: Exchange  # the latest request with the key


class Conformance:
    """The per-request verdicts and the counts (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.forget(0.0)

    def forget(self, now: float) -> None:
        with self._lock:
            self._epoch = now
            self._keys: collections.OrderedDict[tuple[str, str], _Key] = collections.OrderedDict()
            # (token, body fingerprint) -> (key, deadline)
            self._abandoned: collections.OrderedDict[tuple[str, str], tuple[str, float]] = collections.OrderedDict()
            self._counts = dict.fromkeys(RULES, 0)
            self._listed: collections.deque[dict[str, Any]] = collections.deque(maxlen=MAX_LISTED)

    def record(self, exchange: Exchange) -> list[str]:
        """Judge one exchange against the rules, count and list it; returns its violations."""
        with self._lock:
            violations = self._judge(exchange)
            for name in violations:
                self._counts[name] += 1
            for table in (self._keys, self._abandoned):
                while len(table) > MAX_KEYS:
                    table.popitem(last=False)
            self._listed.append(
                {
                    "request_id": exchange.request_id,
                    "at": round(exchange.arrived - self._epoch, 6),
                    "method": exchange.method,
                    "idempotency_key": exchange.key,
                    "status": exchange.status,
                    "code": exchange.code,
                    "retry_after": exchange.retry_after,
                    "dropped": exchange.status is None,
                    "violations": violations,
                }
            )
            return violations

    def _judge(self, ex: Exchange) -> list[str]:
        violations: list[str] = []
        if ex.key is None:
            if ex.method == "POST":
                violations.append("missing_idempotency_key")
            return violations
        scope = (ex.token, ex.key)
        known = self._keys.get(scope)
        if known is None:
            abandoned = self._abandoned.get((ex.token, ex.fingerprint))
            if abandoned is not None and abandoned[0] != ex.key and ex.arrived <= abandoned[1]:
                violations.append("retry_changed_key")
                del self._abandoned[(ex.token, ex.fingerprint)]
            known = self._keys[scope] = _Key(ex.fingerprint, ex)
        else:
            if ex.fingerprint != known.fingerprint:
                violations.append("retry_changed_body")
            last = known.last
            if last.retry_after is not None and ex.arrived < last.answered + last.retry_after - RETRY_AFTER_TOLERANCE:
                violations.append("retry_before_retry_after")
            if self._abandoned.get((ex.token, last.fingerprint), ("", 0.0))[0] == ex.key:
                del self._abandoned[(ex.token, last.fingerprint)]  # the key was retried after all
            known.last = ex
        if ex.retryable:
            deadline = ex.answered + (ex.retry_after or 0.0) + RETRY_GRACE
            self._abandoned[(ex.token, ex.fingerprint)] = (ex.key, deadline)
        return violations

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(entry, violations=list(entry["violations"])) for entry in self._listed]
