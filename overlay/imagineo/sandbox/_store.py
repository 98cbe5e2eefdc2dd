"""The idempotency store: which Idempotency-Key (per API key) has which run, and waiting for one in progress.

A request repeating a key with the same body (as parsed JSON: key order and spacing do not matter) gets the
original answer back, marked ``Idempotent-Replayed: true``, and creates no run; with a different body it is a 409.
A repeat that arrives while the first is still running waits for it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

__all__ = ["IdempotencyStore", "KeyRecord", "Outcome"]

Identity = tuple[str, str]  # (API key, Idempotency-Key)


@dataclass
class Outcome:
    """The answer a run got: what a replay answers again."""

    status: int
    body: bytes


@dataclass
class KeyRecord:
    fingerprint: str  # the canonical JSON of the body first sent with the key
    done: threading.Event = field(default_factory=threading.Event)
    outcome: Outcome | None = None


class IdempotencyStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[Identity, KeyRecord] = {}

    def forget(self) -> None:
        with self._lock:
            self._keys = {}

    def claim(self, identity: Identity, fingerprint: str) -> tuple[KeyRecord, bool]:
        """(record, owner): the key's record, and whether this request is the first (and must run it)."""
        with self._lock:
            record = self._keys.get(identity)
            if record is not None:
                return record, False
            record = self._keys[identity] = KeyRecord(fingerprint)
            return record, True

    @staticmethod
    def finish(record: KeyRecord, outcome: Outcome) -> None:
        record.outcome = outcome
        record.done.set()

    def release(self, identity: Identity, record: KeyRecord) -> None:
        """The first request failed before creating a run: forget the key, so a retry runs it."""
        with self._lock:
            if self._keys.get(identity) is record:
                del self._keys[identity]
        record.done.set()
