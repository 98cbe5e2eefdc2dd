"""Faults: the ``X-Sandbox-Fault`` header, the session's fault settings, and which attempt gets which fault.

====================  ==============================================================================================
``429`` / ``503``     refused before any run is created, with ``Retry-After`` (``--retry-after``, default 1 s);
                      any other 4xx status is refused the same way (without Retry-After)
``500``, ``502``, …   the run **is created**, then the answer fails with that status (the SDK retries: the retry,
                      with the same Idempotency-Key, gets the original run back, not a second one)
``drop``              the run is created, then the connection is closed without an answer (a lost response)
``slow=SECONDS``      the run is created, then the answer is held back SECONDS (e.g. to trip a client timeout);
                      the key is finished: a retry meanwhile gets the run back at once
``hold=SECONDS``      the run is created and stays *in progress* SECONDS, then is answered: meanwhile a request
                      repeating its Idempotency-Key (same body) is a 409 ``idempotency_in_progress`` with
                      ``Retry-After`` (the seconds left, rounded up)
``204``               the run is created and answered 204 No Content (replays answer 204 too)
====================  ==============================================================================================

A header fault applies to the first attempt of a call only (attempts are counted per Idempotency-Key, or per body
when a request has none), so an SDK's retry of that call goes through; ``503;times=3`` faults the first three
attempts and ``503;times=all`` every one. Session faults: ``fail_first=N`` faults the first N generate requests of
the session, ``fail_each=N`` the first N attempts of every call, both with ``fail_status`` (default 503);
``latency`` holds every answer back that many seconds after its run is created.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

__all__ = ["FAULT_HEADER", "REFUSE_STATUSES_WITH_RETRY_AFTER", "Fault", "SessionFaults", "parse_fault"]

FAULT_HEADER = "X-Sandbox-Fault"
REFUSE_STATUSES_WITH_RETRY_AFTER = frozenset({429, 503})


@dataclass(frozen=True)
class Fault:
    kind: str  # "status", "drop", "slow", "hold"
    status: int = 0
    seconds: float = 0.0
    times: int | None = 1  # None: every attempt

    @property
    def before_run(self) -> bool:
        """429, 503 and other 4xx refuse the request; 500, 502, 204, drop and slow act after the run exists."""
        return self.kind == "status" and (400 <= self.status < 500 or self.status == 503)


def parse_fault(value: str) -> Fault:
    """``429``, ``503;times=2``, ``drop``, ``slow=2.5``, ``hold=2``, ``204``, ``500;times=all``. Raises ValueError."""
    head, _, options = value.strip().partition(";")
    head = head.strip().lower()
    times: int | None = 1
    if options:
        name, _, arg = options.strip().partition("=")
        if name.strip() != "times":
            raise ValueError(f"unknown option {name.strip()!r} (only times=N or times=all)")
        arg = arg.strip()
        if arg == "all":
            times = None
        elif arg.isdigit() and int(arg) >= 1:
            times = int(arg)
        else:
            raise ValueError(f"times must be a whole number >= 1 or 'all', got {arg!r}")
    if head == "drop":
        return Fault("drop", times=times)
    for kind in ("slow", "hold"):
        if head.startswith(kind + "="):
            seconds = float(head.removeprefix(kind + "="))
            if not 0 <= seconds <= 600:
                raise ValueError(f"{kind}=SECONDS must be between 0 and 600")
            return Fault(kind, seconds=seconds, times=times)
    if head.isdigit() and (head == "204" or 400 <= int(head) <= 599):
        return Fault("status", status=int(head), times=times)
    raise ValueError(
        f"unknown fault {head!r}: use a status (429, 503, 500, 204...), drop, slow=SECONDS or hold=SECONDS"
    )


class SessionFaults:
    """The session's fault settings and the attempt counts that decide which request is faulted (thread-safe)."""

    SETTINGS = ("fail_first", "fail_each", "fail_status", "retry_after", "latency")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.fail_first = 0
        self.fail_each = 0
        self.fail_status = 503
        self.retry_after = 1.0
        self.latency = 0.0
        self.forget()

    def forget(self) -> None:
        """Forget the attempt counts (the settings stay)."""
        with self._lock:
            self._attempts: dict[tuple[str, str], int] = {}
            self._session_faulted = 0

    def configure(
        self,
        *,
        fail_first: int | None = None,
        fail_each: int | None = None,
        fail_status: int | None = None,
        retry_after: float | None = None,
        latency: float | None = None,
    ) -> None:
        """Change the settings; None leaves one as it is. Setting ``fail_first`` restarts its count."""
        for name, value in (("fail_first", fail_first), ("fail_each", fail_each)):
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ValueError(f"{name} must be an integer >= 0")
        if fail_status is not None and not (400 <= fail_status <= 599):
            raise ValueError("fail_status must be an HTTP error status (400-599)")
        with self._lock:
            if fail_first is not None:
                self.fail_first = fail_first
                self._session_faulted = 0
            if fail_each is not None:
                self.fail_each = fail_each
            if fail_status is not None:
                self.fail_status = fail_status
            if retry_after is not None:
                self.retry_after = max(0.0, float(retry_after))
            if latency is not None:
                self.latency = max(0.0, float(latency))

    def settings(self) -> dict[str, Any]:
        with self._lock:
            return {name: getattr(self, name) for name in self.SETTINGS}

    def choose(self, identity: tuple[str, str], requested: Fault | None) -> tuple[Fault | None, float, float]:
        """(fault, latency, retry_after) for this attempt of the call `identity`, counting the attempt."""
        with self._lock:
            attempt = self._attempts[identity] = self._attempts.get(identity, 0) + 1
            fault = requested
            if fault is not None and fault.times is not None and attempt > fault.times:
                fault = None
            if fault is None and self._session_faulted < self.fail_first:
                self._session_faulted += 1
                fault = Fault("status", status=self.fail_status)
            if fault is None and attempt <= self.fail_each:
                fault = Fault("status", status=self.fail_status)
            return fault, self.latency, self.retry_after
