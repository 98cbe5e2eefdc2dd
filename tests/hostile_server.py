"""A hostile HTTP server on loopback: raw sockets, so it can send what no well-behaved server framework would.

Each request it receives is recorded (`requests`) and answered by the next queued behaviour (`enqueue`), a
function of the connection and the request that writes whatever bytes it likes, as slowly as it likes: gzip bombs,
oversized bodies, one byte every half second, the client's own Authorization header echoed back. Every
connection is closed after its answer, and a behaviour stops as soon as the client hangs up.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

OK_BODY = b'{"image_url": "https://cdn.example.com/r/0.png", "run_id": "r_1"}'


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes


Behaviour = Callable[[socket.socket, Seen], None]


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} Whatever"]
    lines += [f"{name}: {value}" for name, value in {"Connection": "close", **headers}.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def answer(status: int = 200, body: bytes = OK_BODY, headers: dict[str, str] | None = None) -> Behaviour:
    """An ordinary answer with Content-Length."""

    def run(conn: socket.socket, seen: Seen) -> None:
        head = {"Content-Type": "application/json", "Content-Length": str(len(body)), **(headers or {})}
        conn.sendall(_head(status, head))
        conn.sendall(body)

    return run


def unsized(status: int, body: bytes, headers: dict[str, str] | None = None) -> Behaviour:
    """A body with no Content-Length: it ends when the connection closes (so only counting while reading stops it)."""

    def run(conn: socket.socket, seen: Seen) -> None:
        conn.sendall(_head(status, {"Content-Type": "application/json", **(headers or {})}))
        view = memoryview(body)
        for start in range(0, len(view), 1 << 16):
            conn.sendall(view[start : start + (1 << 16)])

    return run


def drip(status: int = 200, body: bytes = OK_BODY, interval: float = 0.25, headers_too: bool = False) -> Behaviour:
    """One byte every `interval` seconds: of the body (after prompt headers), or of the whole answer."""

    def run(conn: socket.socket, seen: Seen) -> None:
        head = _head(status, {"Content-Type": "application/json", "Content-Length": str(len(body))})
        if not headers_too:
            conn.sendall(head)
        for byte in head + body if headers_too else body:
            time.sleep(interval)
            conn.sendall(bytes([byte]))

    return run


def echo_auth(status: int, *, as_text: bool = False, escaped: bool = False, pad: int = 0) -> Behaviour:
    """An error that quotes the request's Authorization header back: in the body, a detail and x-request-id."""

    def run(conn: socket.socket, seen: Seen) -> None:
        auth = seen.headers.get("authorization", "")
        if as_text:
            body = ("x" * pad + f"proxy says: Authorization: {auth}").encode()
            kind = "text/plain"
        else:
            data = {
                "error": f"invalid credentials {auth}",
                "code": "unauthorized",
                "details": [{"field": "authorization", "message": f"got {auth}"}],
            }
            body = json.dumps(data, ensure_ascii=escaped).encode()
            if escaped:  # every character of the key as \\uXXXX: only a JSON parser sees the key
                body = body.replace(auth.encode(), "".join(f"\\u{ord(c):04x}" for c in auth).encode())
            kind = "application/json"
        # The key travels in a header value as well (latin-1 is what raw sockets write).
        head = {"Content-Type": kind, "Content-Length": str(len(body)), "x-request-id": f"req {auth}"}
        conn.sendall(_head(status, head))
        conn.sendall(body)

    return run


def malformed_echo() -> Behaviour:
    """An answer whose header block is not HTTP, quoting the Authorization header (h11's error quotes the line)."""

    def run(conn: socket.socket, seen: Seen) -> None:
        conn.sendall(f"HTTP/1.1 200 OK\r\nnot a header {seen.headers.get('authorization')}\r\n\r\n".encode())

    return run


@cache
def gzip_bomb(inflated: int = 1 << 30) -> bytes:
    """A valid gzip stream of `inflated` zero bytes (1 GiB -> about 1 MB), built in a fraction of a second: after a
    full flush, each further MiB of zeros compresses to the same block."""
    mib = b"\0" * (1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = deflate.compress(mib) + deflate.flush(zlib.Z_FULL_FLUSH)
    block = deflate.compress(mib) + deflate.flush(zlib.Z_FULL_FLUSH)
    end = deflate.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(inflated >> 20):
        crc = zlib.crc32(mib, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + first + block * ((inflated >> 20) - 1) + end + struct.pack("<II", crc, inflated & 0xFFFFFFFF)


class HostileServer:
    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self._behaviours: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._serve, name="hostile-http", daemon=True)
        self._thread.start()

    def enqueue(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._behaviours.extend(behaviours)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._behaviours.clear()

    def close(self) -> None:
        self._closed.set()
        self._thread.join(5)
        self._sock.close()

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            try:
                seen = self._read(conn)
                if seen is None:
                    return
                with self._lock:
                    self.requests.append(seen)
                    behaviour = self._behaviours.popleft() if self._behaviours else answer()
                behaviour(conn, seen)
                conn.shutdown(socket.SHUT_WR)
            except OSError:  # the client hung up (as it should, on a hostile answer)
                return

    @staticmethod
    def _read(conn: socket.socket) -> Seen | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers: dict[str, Any] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length") or 0)
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        return Seen(method, path, headers, body)
