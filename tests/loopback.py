"""A real HTTP server on 127.0.0.1 for wire-level tests.

Tests script its answers (`enqueue`) and read what arrived (`requests`). It runs in a thread, on a free port, with
the stdlib's ThreadingHTTPServer, so the client under test goes through real sockets, real HTTP parsing and real
connection handling.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_IMAGE_URL = "https://cdn.imagineo.example.com/runs/r_test/0.png"


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (for timeout tests)
    drop: bool = False  # close the connection without answering


class LoopbackServer:
    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with server._lock:
                    server.requests.append(
                        RecordedRequest(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    reply = server._replies.popleft() if server._replies else server.default_reply()
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                payload = reply.body or b""
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json", **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                if reply.status != 204:
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if reply.status != 204:
                    self.wfile.write(payload)

            do_POST = _handle  # noqa: N815 - the stdlib's handler naming
            do_GET = _handle  # noqa: N815

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="loopback-http", daemon=True)
        self._thread.start()

    @staticmethod
    def default_reply() -> Reply:
        return Reply(200, json.dumps({"image_url": DEFAULT_IMAGE_URL, "run_id": "r_test"}).encode())

    def enqueue(
        self,
        status: int = 200,
        json_body: Any = None,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        drop: bool = False,
    ) -> None:
        """Queue the next answer. `json_body` is serialised; `body` is sent as raw bytes."""
        payload = body if body is not None else (json.dumps(json_body).encode() if json_body is not None else b"")
        with self._lock:
            self._replies.append(Reply(status, payload, dict(headers or {}), delay, drop))

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._replies.clear()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
