"""Rate-limit emulation: a token bucket per API key, as the real API limits by key.

``imagineo sandbox --rate-limit N/s[:BURST]`` (also ``"rate_limit"`` in ``POST /_sandbox/faults`` and
``rate_limit=`` in `imagineo.testing`): each API key has a bucket of ``BURST`` tokens (default: N rounded up, at
least 1), refilled at N tokens per second, full at the start. Every request to an API operation takes one token,
whatever its answer; admin endpoints and images take none. With no token left the answer is a **429** (``code``
``rate_limited``) and no run is created. Every answer to an API operation carries:

``x-ratelimit-limit-requests``      ``BURST``, the bucket's size
``x-ratelimit-remaining-requests``  whole tokens left after this request
``x-ratelimit-reset-requests``      time until the bucket is full again, as OpenAI writes it (``0.25s``, ``2s``)

and a 429 also ``Retry-After``: whole seconds until a token is available, rounded up (HTTP's form). Deterministic:
the bucket depends on the requests' arrival times only (the sandbox's monotonic clock), so a burst of B requests is
let through and request B+1 is refused, every time.
"""

from __future__ import annotations

import collections
import math
import re
import threading
from dataclasses import dataclass

from ._faults import SettingError
from ._limits import MAX_KEYS, MAX_RATE

__all__ = ["Buckets", "Decision", "RateLimit", "parse_rate_limit"]

_FORM = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*/\s*s\s*(?::\s*([0-9]+)\s*)?")


@dataclass(frozen=True)
class RateLimit:
    rate: float  # tokens per second
    burst: int  # the bucket's size

    def __str__(self) -> str:
        return f"{self.rate:g}/s:{self.burst}"


def parse_rate_limit(value: object, field: str = "rate_limit") -> RateLimit | None:
    """``"N/s"`` or ``"N/s:BURST"`` (N a decimal number above 0, BURST a whole number); None switches it off."""
    if value is None:
        return None
    match = _FORM.fullmatch(value) if isinstance(value, str) else None
    rate = float(match.group(1)) if match else math.nan
    if not match or not 0 < rate <= MAX_RATE:
        shown = repr(value)[:60]
        raise SettingError(field, f"must be N/s or N/s:BURST with 0 < N <= {MAX_RATE}; got {shown}")
    burst = int(match.group(2)) if match.group(2) else max(1, math.ceil(rate))
    if not 1 <= burst <= MAX_RATE:
        raise SettingError(field, f"BURST must be a whole number from 1 to {MAX_RATE}; got {burst}")
    return RateLimit(rate, burst)


def duration(seconds: float) -> str:
    """OpenAI's form of a reset time: ``0.25s``, ``2s`` (milliseconds, rounded up)."""
    millis = math.ceil(max(0.0, seconds) * 1000 - 1e-9)
    return f"{millis / 1000:.3f}".rstrip("0").rstrip(".") + "s"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    headers: dict[str, str]


class Buckets:
    """One bucket per API key (at most `MAX_KEYS`, the least recently used forgotten first: full again)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: collections.OrderedDict[str, tuple[float, float]] = collections.OrderedDict()

    def forget(self) -> None:
        with self._lock:
            self._buckets.clear()

    def take(self, key: str, limit: RateLimit, now: float) -> Decision:
        """Take one token from `key`'s bucket at clock time `now`."""
        with self._lock:
            tokens, then = self._buckets.pop(key, (float(limit.burst), now))
            tokens = min(float(limit.burst), tokens + max(0.0, now - then) * limit.rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > MAX_KEYS:
                self._buckets.popitem(last=False)
        headers = {
            "x-ratelimit-limit-requests": str(limit.burst),
            "x-ratelimit-remaining-requests": str(math.floor(tokens)),
            "x-ratelimit-reset-requests": duration((limit.burst - tokens) / limit.rate),
        }
        if not allowed:
            headers["Retry-After"] = str(max(1, math.ceil((1.0 - tokens) / limit.rate - 1e-9)))
        return Decision(allowed, headers)
