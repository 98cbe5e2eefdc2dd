"""The HTTP server: the stdlib's ThreadingHTTPServer, reading request bodies, and writing answers.

Every answer is a `._reply.Reply`, written here as HTTP/1.1. What a request *means* is decided by
`imagineo.sandbox._app.SandboxApp` (through `imagineo.sandbox._server.SandboxServer`, which the handler hands every
request to); the in-process wire for the same answers is `._transport`.
"""

from __future__ import annotations

import contextlib
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .._cli.text import printable
from ._reply import MAX_BODY, BadBodyError, Reply

if TYPE_CHECKING:
    from ._server import SandboxServer

__all__ = [
    "MAX_BODY",
    "MAX_DRAIN",
    "HTTPServer",
    "Handler",
    "drop_connection",
    "read_body",
    "send_reply",
    "server_class",
]

#: A body up to this size is read and dropped before the 413; a larger one gets the 413 and a closed connection.
MAX_DRAIN = 64 << 20


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


def send_reply(handler: Handler, reply: Reply) -> None:
    payload = reply.body()
    handler.send_response(reply.status)
    for name, value in reply.headers.items():
        handler.send_header(name, value)
    if reply.has_body:
        handler.send_header("Content-Type", reply.content_type)
        handler.send_header("Content-Length", str(len(payload)))
    if handler.close_connection:
        handler.send_header("Connection", "close")  # the client learns the connection ends here
    handler.end_headers()
    if reply.has_body:
        handler.wfile.write(payload)


def drop_connection(handler: Handler) -> None:
    """Close the connection without an answer (the ``drop`` fault: a lost response)."""
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.connection.shutdown(socket.SHUT_RDWR)
