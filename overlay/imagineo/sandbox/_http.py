"""The HTTP server: the stdlib's ThreadingHTTPServer, reading request bodies, and writing answers.

Every answer is a `Reply` (status, JSON payload, headers); errors carry the spec's ``Error`` body
(``{"error", "code", "details"?}``, see `error`). What a request *means* is decided by
`imagineo.sandbox._server.SandboxServer`, which the handler hands every request to.
"""

from __future__ import annotations

import json
import socket
import sys
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .._cli.text import printable

if TYPE_CHECKING:
    from ._server import SandboxServer

__all__ = [
    "MAX_BODY",
    "MAX_DRAIN",
    "BadBodyError",
    "DropConnectionError",
    "HTTPServer",
    "Handler",
    "Reply",
    "error",
    "read_body",
    "send_png",
    "send_reply",
    "server_class",
]

#: The largest request body answered (1 MiB); a larger one is a 413. Documented in the spec (PayloadTooLarge).
MAX_BODY = 1 << 20
#: A body up to this size is read and dropped before the 413; a larger one gets the 413 and a closed connection.
MAX_DRAIN = 64 << 20

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


@dataclass
class Reply:
    status: int
    payload: object = None
    headers: dict[str, str] = field(default_factory=dict)


def error(status: int, message: str, **extra: object) -> Reply:
    """An error answer with the spec's ``Error`` body."""
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


class DropConnectionError(Exception):
    """Close the connection without an answer."""


class HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    sandbox: SandboxServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return  # the client went away (a timeout or a dropped connection): nothing to report
        super().handle_error(request, client_address)


class HTTPServer6(HTTPServer):
    address_family = socket.AF_INET6


def server_class(host: str) -> type[HTTPServer]:
    return HTTPServer6 if ":" in host else HTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HTTPServer
    server_version = "imagineo-sandbox"

    def log_message(self, format: str, *args: Any) -> None:
        log = self.server.sandbox.log
        if log is not None:
            # The request line is the client's text: escaped, so it cannot drive the terminal the log is on.
            log.write(f"[sandbox] {self.address_string()} {printable(format % args, newlines=False)}\n")
            log.flush()

    def do_GET(self) -> None:
        self.server.sandbox._dispatch(self)

    def do_POST(self) -> None:
        self.server.sandbox._dispatch(self)

    def do_PUT(self) -> None:
        self.server.sandbox._dispatch(self)

    def do_DELETE(self) -> None:
        self.server.sandbox._dispatch(self)

    def do_PATCH(self) -> None:
        self.server.sandbox._dispatch(self)


def read_body(handler: Handler) -> bytes:
    """The request's body, framed by exactly one Content-Length of plain digits. Raises BadBodyError.

    A body over MAX_BODY is read and thrown away (up to MAX_DRAIN bytes) before the 413, so the client, which
    writes its whole body before it reads the answer, gets the 413 rather than a reset connection (which an SDK
    would take for a network error and retry). Framing it cannot trust (no number, a negative one, two
    Content-Length headers, Transfer-Encoding) is a 400 and closes the connection: where the next request would
    start is unknown.
    """
    if handler.headers.get("Transfer-Encoding") is not None:
        handler.close_connection = True
        raise BadBodyError(400, "Transfer-Encoding request bodies are not supported; send Content-Length")
    values = handler.headers.get_all("Content-Length") or []
    if len(values) > 1:
        handler.close_connection = True
        raise BadBodyError(400, f"Content-Length is given {len(values)} times; send it once")
    if not values:
        return b""
    text = values[0].strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        handler.close_connection = True
        raise BadBodyError(400, f"Content-Length must be a whole number of bytes; got {text[:40]!r}")
    length = int(text)
    if length > MAX_BODY:
        if length > MAX_DRAIN:
            handler.close_connection = True
        else:
            _drain(handler, length)
        raise BadBodyError(
            413, f"The body is {length} bytes; the limit is {MAX_BODY} bytes (1 MiB)", limit_bytes=MAX_BODY
        )
    return handler.rfile.read(length) if length > 0 else b""


def _drain(handler: Handler, length: int) -> None:
    left = length
    while left > 0:
        chunk = handler.rfile.read(min(left, 1 << 16))
        if not chunk:
            handler.close_connection = True
            return
        left -= len(chunk)


def send_reply(handler: Handler, reply: Reply, request_id: str) -> None:
    payload = b"" if reply.payload is None else json.dumps(reply.payload).encode()
    handler.send_response(reply.status)
    handler.send_header("x-request-id", request_id)
    for name, value in reply.headers.items():
        handler.send_header(name, value)
    if reply.status not in (204, 304):
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
    if handler.close_connection:
        handler.send_header("Connection", "close")  # the client learns the connection ends here
    handler.end_headers()
    if reply.status not in (204, 304):
        handler.wfile.write(payload)


def send_png(handler: Handler, data: bytes, request_id: str) -> None:
    handler.send_response(200)
    handler.send_header("x-request-id", request_id)
    handler.send_header("Content-Type", "image/png")
    handler.send_header("Content-Length", str(len(data)))
    handler.send_header("Cache-Control", "public, max-age=31536000, immutable")
    handler.end_headers()
    handler.wfile.write(data)
