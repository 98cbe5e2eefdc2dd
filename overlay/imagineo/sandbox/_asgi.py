"""The sandbox as an ASGI application: what turns HTTP (from uvicorn, `._server`) into a `._app.Request` and a
`._reply.Reply` back into HTTP.

It reads the body within the limits (`._limits`): at most `MAX_BODY` kept; a larger body (by its Content-Length, or
as a chunked body grows) is read and dropped up to `MAX_DRAIN` and answered 413 on a connection that stays usable,
past `MAX_DRAIN` answered 413 at once and the connection closed; the whole body within `BODY_TIMEOUT` (else a 408
and a closed connection). ``Transfer-Encoding`` together with ``Content-Length`` is a 400 and closes the connection
(RFC 9112, 6.1: which one frames the body is ambiguous, the classic request-smuggling shape). What a request *means*
is `SandboxApp.handle`: run on the event loop for a request that is not a GET and has a body up to `INLINE_BODY`
(a validation and a run cost less than a hop to a thread), else in a small thread pool (`HANDLER_THREADS`: pictures,
large bodies), so the loop keeps serving the other connections meanwhile; an answer's
``delay`` is an ``asyncio.sleep`` (it holds no thread), and a ``drop`` closes the connection without an answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TextIO

from .._cli.text import printable
from ._app import Request, SandboxApp
from ._limits import BODY_TIMEOUT, HANDLER_THREADS, INLINE_BODY, MAX_BODY, MAX_DRAIN
from ._reply import Reply, error

__all__ = ["TRANSPORT_KEY", "SandboxASGI"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: Where the server (`._server`) puts the connection's asyncio transport in ``scope["state"]``: the ``drop`` fault
#: closes it, which ASGI itself has no message for.
TRANSPORT_KEY = "imagineo.sandbox.transport"
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]+)?|\[[0-9A-Fa-f:.]+\](:[0-9]+)?")


class _Body:
    def __init__(self) -> None:
        self.data = bytearray()
        self.error: Reply | None = None
        self.close = False
        self.gone = False


class SandboxASGI:
    """An ASGI 3 application serving `app` (``url`` is the address to build image URLs on when Host is unusable)."""

    def __init__(self, app: SandboxApp, url: str, log: TextIO | None = None) -> None:
        self.app = app
        self.url = url
        self.log = log
        self._pool = ThreadPoolExecutor(max_workers=HANDLER_THREADS, thread_name_prefix="imagineo-sandbox")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        body = await self._read_body(headers, receive)
        if body.gone:
            return
        target = scope.get("raw_path") or scope["path"].encode()
        target = target.decode("latin-1") + (
            f"?{scope['query_string'].decode('latin-1')}" if scope["query_string"] else ""
        )
        request = Request(scope["method"], target, headers, bytes(body.data), self._base_url(headers), body.error)
        if scope["method"] != "GET" and len(body.data) <= INLINE_BODY:
            reply = self.app.handle(request)  # cheap (a validation, a run): a thread hop would cost more than it
        else:  # pictures (GET) and large bodies: beside the loop, which keeps serving the other connections
            reply = await asyncio.get_running_loop().run_in_executor(self._pool, self.app.handle, request)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.drop:
            self._log(scope, "-")
            transport = scope.get("state", {}).get(TRANSPORT_KEY)
            if transport is not None:
                transport.close()
            while (await receive())["type"] != "http.disconnect":
                pass
            return
        await self._send(send, reply, close=body.close)
        self._log(scope, str(reply.status))

    async def _read_body(self, headers: dict[str, str], receive: Receive) -> _Body:
        body = _Body()
        if "transfer-encoding" in headers and "content-length" in headers:
            body.error = error(400, "Transfer-Encoding and Content-Length together are ambiguous; send one of them")
            body.close = True
            return body
        declared = int(headers["content-length"]) if "content-length" in headers else None
        if declared is not None and declared > MAX_DRAIN:
            body.error = self._too_large(declared)
            body.close = True  # not read: where the next request would start is unknown
            return body
        received = 0
        try:
            async with asyncio.timeout_at(asyncio.get_running_loop().time() + BODY_TIMEOUT):
                more = True
                while more:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        body.gone = True
                        return body
                    chunk = message.get("body", b"")
                    more = message.get("more_body", False)
                    received += len(chunk)
                    if received <= MAX_BODY and (declared is None or declared <= MAX_BODY):
                        body.data += chunk
                    else:
                        body.data.clear()
                        if received > MAX_DRAIN:
                            body.close = True
                            break
        except TimeoutError:
            body.error = error(408, f"The body did not arrive within {BODY_TIMEOUT:g} s ({received} bytes read)")
            body.close = True
            return body
        if received > MAX_BODY:
            body.error = self._too_large(received)
        return body

    @staticmethod
    def _too_large(size: int) -> Reply:
        return error(413, f"The body is {size} bytes; the limit is {MAX_BODY} bytes (1 MiB)", limit_bytes=MAX_BODY)

    @staticmethod
    async def _send(send: Send, reply: Reply, *, close: bool) -> None:
        payload = reply.body()
        headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in reply.headers.items()]
        if reply.has_body:
            if reply.content_type:
                headers.append((b"content-type", reply.content_type.encode("latin-1")))
            headers.append((b"content-length", str(len(payload)).encode()))
        if close:
            headers.append((b"connection", b"close"))  # the client learns the connection ends here
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    def _base_url(self, headers: dict[str, str]) -> str:
        host = headers.get("host")
        if host and _HOST.fullmatch(host):
            return f"http://{host}"
        return self.url

    def _log(self, scope: Scope, status: str) -> None:
        if self.log is not None:
            client = scope.get("client")
            line = f'"{scope["method"]} {scope["path"]} HTTP/{scope["http_version"]}" {status}'
            self.log_line(client[0] if client else "-", line)

    def log_line(self, client: str, line: str) -> None:
        """One line of the request log (when there is one). The request line is the client's text: escaped, so
        it cannot drive the terminal the log is on."""
        if self.log is None:
            return
        with contextlib.suppress(OSError, ValueError):
            self.log.write(f"[sandbox] {client} {printable(line, newlines=False)}\n")
            self.log.flush()
