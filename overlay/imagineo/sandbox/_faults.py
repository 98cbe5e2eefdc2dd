"""Faults: the ``X-Sandbox-Fault`` header, the session's fault settings (validated), and which attempt gets which.

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
attempts and ``503;times=all`` every one. Session faults: ``fail_first=N`` faults the first N requests of the
session, ``fail_each=N`` the first N attempts of every call, both with ``fail_status`` (default 503); ``latency``
holds every answer back that many seconds after its run is created.

**Replays are faulted too.** A fault that falls on an attempt repeating a finished Idempotency-Key applies to the
replayed answer (``500;times=all`` is a persistent 500 although the run exists; ``drop`` drops the replay), and no
second run is created. ``faults_injected`` counts the faults actually delivered: not one that an answer decided
before it (a 409 for the key, a 401, a 422).

**Settings are validated** (`configure`, so the CLI flags, ``imagineo.testing`` arguments and ``POST
/_sandbox/faults`` alike): counts are whole numbers 0 to `MAX_FAULT_COUNT` (a bool is not a number here), seconds are
finite numbers 0 to `MAX_FAULT_SECONDS`, ``fail_status`` an integer from `FAIL_STATUSES`; anything else raises
`SettingError` naming the field (a 422 over HTTP).
"""

from __future__ import annotations

import collections
import http
import json
import math
import threading
from dataclasses import dataclass
from typing import Any

from ._limits import MAX_FAULT_COUNT, MAX_FAULT_SECONDS, MAX_KEYS

__all__ = [
    "FAIL_STATUSES",
    "FAULT_HEADER",
    "REFUSE_STATUSES_WITH_RETRY_AFTER",
    "Fault",
    "SessionFaults",
    "SettingError",
    "check_count",
    "check_seconds",
    "parse_fault",
    "parse_times",
]

FAULT_HEADER = "X-Sandbox-Fault"
REFUSE_STATUSES_WITH_RETRY_AFTER = frozenset({429, 503})
#: The statuses a fault may answer with: every registered HTTP error status (RFC 9110 and the IANA registry).
FAIL_STATUSES = frozenset(s.value for s in http.HTTPStatus if 400 <= s.value <= 599)


class SettingError(ValueError):
    """A fault or rate-limit setting out of its documented range: `field` names it (a 422 over HTTP)."""

    def __init__(self, field: str, message: str, more: list[SettingError] | None = None) -> None:
        super().__init__(f"{field} {message}")
        self.field = field
        self.rule = message
        #: Every problem found, this one first: (field, rule).
        self.problems: list[tuple[str, str]] = [(field, message)] + [(e.field, e.rule) for e in more or []]

    def __str__(self) -> str:
        return "; ".join(f"{name} {rule}" for name, rule in self.problems)


def _shown(value: object) -> str:
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_count(field: str, value: object, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_FAULT_COUNT:
        raise SettingError(field, f"must be a whole number from {low} to {MAX_FAULT_COUNT}; got {_shown(value)}")
    return value


def check_seconds(field: str, value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= MAX_FAULT_SECONDS
    ):
        raise SettingError(field, f"must be a number of seconds from 0 to {MAX_FAULT_SECONDS:g}; got {_shown(value)}")
    return float(value)


def check_status(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in FAIL_STATUSES:
        raise SettingError(
            field, f"must be an HTTP error status (an integer, 400-599, registered); got {_shown(value)}"
        )
    return value


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


def parse_times(options: str) -> int | None:
    """``times=N`` (N >= 1) or ``times=all`` (None); ``""`` is 1. Raises ValueError."""
    if not options:
        return 1
    name, _, arg = options.strip().partition("=")
    if name.strip() != "times":
        raise ValueError(f"unknown option {name.strip()!r} (only times=N or times=all)")
    arg = arg.strip()
    if arg == "all":
        return None
    if arg.isascii() and arg.isdigit() and 1 <= int(arg) <= MAX_FAULT_COUNT:
        return int(arg)
    raise ValueError(f"times must be a whole number from 1 to {MAX_FAULT_COUNT} or 'all', got {arg[:40]!r}")


def parse_fault(value: str) -> Fault:
    """``429``, ``503;times=2``, ``drop``, ``slow=2.5``, ``hold=2``, ``204``, ``500;times=all``. Raises ValueError."""
    head, _, options = value.strip().partition(";")
    head = head.strip().lower()
    times = parse_times(options)
    if head == "drop":
        return Fault("drop", times=times)
    for kind in ("slow", "hold"):
        if head.startswith(kind + "="):
            try:
                seconds = float(head.removeprefix(kind + "="))
            except ValueError:
                seconds = math.nan
            if not (math.isfinite(seconds) and 0 <= seconds <= MAX_FAULT_SECONDS):
                raise ValueError(f"{kind}=SECONDS must be a number from 0 to {MAX_FAULT_SECONDS:g}")
            return Fault(kind, seconds=seconds, times=times)
    if head.isascii() and head.isdigit() and (head == "204" or int(head) in FAIL_STATUSES):
        return Fault("status", status=int(head), times=times)
    raise ValueError(
        f"unknown fault {head[:40]!r}: use a status (429, 503, 500, 204...), drop, slow=SECONDS or hold=SECONDS"
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
            self._attempts: collections.OrderedDict[tuple[str, str], int] = collections.OrderedDict()
            self._session_faulted = 0

    def configure(
        self,
        *,
        fail_first: object = None,
        fail_each: object = None,
        fail_status: object = None,
        retry_after: object = None,
        latency: object = None,
        also: SettingError | None = None,
    ) -> None:
        """Change the settings; None leaves one as it is. Setting ``fail_first`` restarts its count.

        Every value is checked before any is applied: a `SettingError` (listing every problem, `also`'s too: a
        problem the caller found in its own settings) changes nothing."""
        found: list[SettingError] = []

        def checked(check: Any, name: str, value: object) -> Any:
            if value is None:
                return None
            try:
                return check(name, value)
            except SettingError as exc:
                found.append(exc)
                return None

        first = checked(check_count, "fail_first", fail_first)
        each = checked(check_count, "fail_each", fail_each)
        status = checked(check_status, "fail_status", fail_status)
        wait = checked(check_seconds, "retry_after", retry_after)
        delay = checked(check_seconds, "latency", latency)
        if also is not None:
            found += [SettingError(name, rule) for name, rule in also.problems]
        if found:
            raise SettingError(found[0].field, found[0].rule, found[1:])
        with self._lock:
            if first is not None:
                self.fail_first = first
                self._session_faulted = 0
            if each is not None:
                self.fail_each = each
            if status is not None:
                self.fail_status = status
            if wait is not None:
                self.retry_after = wait
            if delay is not None:
                self.latency = delay

    def settings(self) -> dict[str, Any]:
        with self._lock:
            return {name: getattr(self, name) for name in self.SETTINGS}

    def attempt(self, identity: tuple[str, str]) -> int:
        """Count one attempt of the call `identity`; returns its number (1 for the first)."""
        with self._lock:
            attempt = self._attempts.pop(identity, 0) + 1
            self._attempts[identity] = attempt
            while len(self._attempts) > MAX_KEYS:
                self._attempts.popitem(last=False)
            return attempt

    def choose(self, attempt: int, requested: Fault | None) -> tuple[Fault | None, float, float]:
        """(fault, latency, retry_after) for attempt number `attempt` of a call."""
        with self._lock:
            fault = requested
            if fault is not None and fault.times is not None and attempt > fault.times:
                fault = None
            if fault is None and self._session_faulted < self.fail_first:
                self._session_faulted += 1
                fault = Fault("status", status=self.fail_status)
            if fault is None and attempt <= self.fail_each:
                fault = Fault("status", status=self.fail_status)
            return fault, self.latency, self.retry_after
