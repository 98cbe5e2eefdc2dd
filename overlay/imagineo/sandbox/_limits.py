"""Every bound the sandbox keeps, in one place (documented in docs/cli-and-sandbox.md, "Limits").

What the engine holds (connections, time) and what the state holds (records, bytes) are both bounded, so a long
session or a hostile client cannot grow the process without limit: under 64 connections sending 512 KiB bodies with
distinct keys for 30 s, the process stays well under `RSS_BOUND_MB` (``tests/test_sandbox_load.py`` checks it).
Records past their cap are evicted oldest first; the counters (``runs_created``...) keep counting.
"""

from __future__ import annotations

__all__ = [
    "BACKLOG",
    "BODY_TIMEOUT",
    "GRACEFUL_SHUTDOWN",
    "HANDLER_THREADS",
    "HEADER_TIMEOUT",
    "INLINE_BODY",
    "KEEP_ALIVE_TIMEOUT",
    "LIMIT_CONCURRENCY",
    "MAX_BODY",
    "MAX_DRAIN",
    "MAX_FAULT_COUNT",
    "MAX_FAULT_SECONDS",
    "MAX_KEPT_BODY",
    "MAX_KEYS",
    "MAX_LISTED",
    "MAX_RATE",
    "MAX_RENDERS",
    "MAX_RUNS",
    "RSS_BOUND_MB",
]

# -- the wire (uvicorn) -------------------------------------------------------------------------------------------
#: The listen backlog: connections the kernel queues before the sandbox accepts them (capped by net.core.somaxconn).
BACKLOG = 2048
#: Connections plus requests in flight; past it, uvicorn answers 503 at once (a retryable status) instead of queueing.
LIMIT_CONCURRENCY = 1024
#: Seconds an idle keep-alive connection is kept open after its last answer.
KEEP_ALIVE_TIMEOUT = 5.0
#: Seconds a connection has, from when it opens or its last answer was sent, to send a complete request head.
HEADER_TIMEOUT = 10.0
#: Seconds a request has to send its whole body once its head arrived (a 408 and a closed connection after).
BODY_TIMEOUT = 30.0
#: Seconds a stopping server (SIGTERM, SIGINT, ``close()``) waits for answers in flight before closing them.
GRACEFUL_SHUTDOWN = 5.0
#: Threads running `SandboxApp.handle` beside the event loop for GETs (pictures) and bodies over `INLINE_BODY`.
HANDLER_THREADS = 4
#: A non-GET request with a body up to this size is handled on the event loop itself (cheaper than a thread hop).
INLINE_BODY = 64 << 10

# -- bodies ---------------------------------------------------------------------------------------------------------
#: The largest request body answered (1 MiB); a larger one is a 413. Documented in the spec (PayloadTooLarge).
MAX_BODY = 1 << 20
#: A body up to this size is read and dropped before the 413; a larger one gets the 413 and a closed connection.
MAX_DRAIN = 64 << 20

# -- state ------------------------------------------------------------------------------------------------------------
#: Runs listed by ``runs()`` / ``GET /_sandbox/runs`` (and stored resources read back by id), oldest evicted first.
MAX_RUNS = 10_000
#: A run keeps its request body (``body``) up to this many bytes of canonical JSON; a larger one keeps
#: ``body: null`` with ``body_sha256`` and ``body_bytes``.
MAX_KEPT_BODY = 4096
#: Idempotency-Keys remembered (per API key, with a SHA-256 of the body and the answer), fault attempt counts,
#: conformance keys and rate-limit buckets: each at most this many, oldest evicted first. A key evicted is a new key.
MAX_KEYS = 50_000
#: Requests listed by ``GET /_sandbox/requests`` (the conformance verdicts), oldest forgotten first.
MAX_LISTED = 10_000
#: Pictures rendered at once (a 4096x4096 PNG is written row by row; the others wait their turn).
MAX_RENDERS = 2

# -- settings ----------------------------------------------------------------------------------------------------
#: ``latency``, ``retry_after``, ``slow=``, ``hold=``: seconds, finite, 0 to this.
MAX_FAULT_SECONDS = 600.0
#: ``fail_first``, ``fail_each``, ``times=N``: a whole number, 0 (1 for times) to this.
MAX_FAULT_COUNT = 1_000_000
#: ``rate_limit``: requests per second, above 0 and at most this; burst a whole number 1 to this.
MAX_RATE = 1_000_000

#: What the load test holds the served sandbox's resident memory to (MiB), documented.
RSS_BOUND_MB = 200
