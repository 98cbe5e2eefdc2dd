"""What the sandbox answers, before any wire sees it: a `Reply`, and the spec's ``Error`` body (`error`).

Both wires write the same `Reply`: the HTTP server (`._http`) and the in-process httpx transport (`._transport`).
``delay`` and ``drop`` are the wire's to carry out (sleep before answering; close without an answer), so that what
a request *means* (`._app`) never sleeps or touches a socket.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ._limits import MAX_BODY

__all__ = ["ERROR_CODES", "IN_PROGRESS_CODE", "MAX_BODY", "BadBodyError", "Reply", "error"]

#: The spec's ``Error.code`` per status (the Conflict response has two codes; see `IN_PROGRESS_CODE`).
ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "idempotency_conflict",
    413: "payload_too_large",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    503: "unavailable",
    504: "gateway_timeout",
}
#: The 409 code for "this Idempotency-Key's first request is still running" (retryable, unlike the other 409).
IN_PROGRESS_CODE = "idempotency_in_progress"


@dataclass
class Reply:
    """One answer: status, JSON `payload` (or raw `content` of `content_type`), headers; how the wire delivers it."""

    status: int
    payload: object = None
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    content_type: str | None = "application/json"  # None: no Content-Type header
    delay: float = 0.0  # seconds the wire holds the answer back
    drop: bool = False  # the wire closes the connection instead of answering

    @property
    def has_body(self) -> bool:
        return self.status not in (204, 304)

    def body(self) -> bytes:
        if not self.has_body:
            return b""
        if self.content is not None:
            return self.content
        return b"" if self.payload is None else json.dumps(self.payload).encode()

    @property
    def code(self) -> str | None:
        """The Error body's ``code``, if this is an error answer."""
        if isinstance(self.payload, dict) and isinstance(self.payload.get("code"), str):
            return str(self.payload["code"])
        return None


def error(status: int, message: str, **extra: object) -> Reply:
    """An error answer with the spec's ``Error`` body (``code`` from `ERROR_CODES` unless given)."""
    body: dict[str, object] = {"error": message, "code": ERROR_CODES.get(status, f"http_{status}")}
    body.update(extra)
    return Reply(status, body)


class BadBodyError(Exception):
    """The request's body cannot be read: answered with `status` (400 or 413) and the spec's Error body."""

    def __init__(self, status: int, message: str, **extra: object) -> None:
        super().__init__(message)
        self.status = status
        self.extra = extra

    def reply(self) -> Reply:
        return error(self.status, str(self), **self.extra)
