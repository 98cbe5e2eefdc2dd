"""The idempotency store: which Idempotency-Key (per API key) has which run, and whether it is still running.

A request repeating a key with the same body (as parsed JSON: key order and spacing do not matter) gets the
original answer back, marked ``Idempotent-Replayed: true``, and creates no run; with a different body it is a 409
``idempotency_conflict`` (never retryable). A repeat with the same body that arrives while the first request is
still in progress (before its answer is sent: the ``hold`` fault keeps it there) is a 409
``idempotency_in_progress`` with ``Retry-After``, which a client may retry. Nothing here waits: the sandbox answers
at once and the client decides.

Bounded: a key keeps the SHA-256 of its body's canonical JSON (not the body) and its answer; at most `MAX_KEYS`
keys are remembered, the oldest forgotten first (a forgotten key is a new key: its next request runs again).
"""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass

from ._limits import MAX_KEYS

__all__ = ["IdempotencyStore", "KeyRecord", "Outcome"]

Identity = tuple[str, str]  # (API key, Idempotency-Key)


@dataclass
class Outcome:
    """The answer a run got: what a replay answers again."""

    status: int
    body: bytes


@dataclass
class KeyRecord:
    fingerprint: str  # SHA-256 of the canonical JSON of the body first sent with the key
    outcome: Outcome | None = None  # None: the first request has not finished
    ready_at: float = 0.0  # clock time from which the first request counts as finished (its answer is sent)


class IdempotencyStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: collections.OrderedDict[Identity, KeyRecord] = collections.OrderedDict()

    def forget(self) -> None:
        with self._lock:
            self._keys = collections.OrderedDict()

    def claim(self, identity: Identity, fingerprint: str) -> tuple[KeyRecord, bool]:
        """(record, owner): the key's record, and whether this request is the first (and must run it)."""
        with self._lock:
            record = self._keys.get(identity)
            if record is not None:
                return record, False
            record = self._keys[identity] = KeyRecord(fingerprint)
            while len(self._keys) > MAX_KEYS:
                self._keys.popitem(last=False)
            return record, True

    def finish(self, record: KeyRecord, outcome: Outcome, ready_at: float) -> None:
        with self._lock:
            record.outcome = outcome
            record.ready_at = ready_at

    def release(self, identity: Identity, record: KeyRecord) -> None:
        """The first request failed before creating a run: forget the key, so a retry runs it."""
        with self._lock:
            if self._keys.get(identity) is record:
                del self._keys[identity]
