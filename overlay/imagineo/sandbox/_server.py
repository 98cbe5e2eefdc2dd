"""`SandboxServer`: the sandbox (`._app.SandboxApp`) served over HTTP by uvicorn, in a thread or the foreground.

The engine is uvicorn (h11), a maintained ASGI server, with the sandbox's bounds (`._limits`): a listen backlog of
`BACKLOG`, at most `LIMIT_CONCURRENCY` connections and requests (then a 503 at once), idle keep-alive connections
closed after `KEEP_ALIVE_TIMEOUT`, and a connection that has not sent a complete request head within
`HEADER_TIMEOUT` (from when it opened or its last answer was sent) closed, so idle or slow clients cannot hold the
server's descriptors. Stopping (``close()``, or SIGTERM/SIGINT in the foreground: uvicorn's own handling) stops
accepting, lets answers in flight finish for up to `GRACEFUL_SHUTDOWN` seconds, then closes.

Two things the engine gets from this module, in `_Protocol` (uvicorn's h11 protocol, subclassed): the header
timeout, and the connection's transport in the request's ``scope["state"]`` (`._asgi.TRANSPORT_KEY`) for the
``drop`` fault. A request h11 cannot parse (a bad or conflicting Content-Length, a Transfer-Encoding other than
chunked) is answered 400 with the spec's ``Error`` body and the connection closed. What a request means is all in
`._app`, shared with the in-process transport (`._transport`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from pathlib import Path
from typing import Any, TextIO

from ._app import REPLAY_HEADER, SandboxApp
from ._asgi import TRANSPORT_KEY, SandboxASGI
from ._limits import BACKLOG, GRACEFUL_SHUTDOWN, HEADER_TIMEOUT, KEEP_ALIVE_TIMEOUT, LIMIT_CONCURRENCY
from ._reply import error
from ._validation import EXTRA_HINT

__all__ = ["DEFAULT_HOST", "REPLAY_HEADER", "SandboxServer"]

DEFAULT_HOST = "127.0.0.1"


def _uvicorn() -> Any:
    try:
        import uvicorn
        from uvicorn.protocols.http.h11_impl import H11Protocol
    except ImportError as exc:
        from .._exceptions import ImagineoError

        raise ImagineoError(f"{EXTRA_HINT} ({exc})") from None
    return uvicorn, H11Protocol


def _protocol_class(base: Any, header_timeout: float, asgi: SandboxASGI) -> Any:
    import h11

    class _Protocol(base):  # type: ignore[misc]
        """uvicorn's h11 protocol with a request-head timeout, the transport in ``scope["state"]``, JSON 400s."""

        _head_timer: asyncio.TimerHandle | None = None
        _framing_problem = "unreadable request"
        _head = b""  # the start of the request being read, to log a request h11 refuses

        def data_received(self, data: bytes) -> None:
            if len(self._head) < 512:
                self._head += data[: 512 - len(self._head)]
            super().data_received(data)

        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            state: dict[str, Any] = getattr(self, "app_state", {})
            self.app_state = {**state, TRANSPORT_KEY: transport}
            self._arm_head_timer()
            parse = self.conn.next_event

            def next_event() -> Any:  # keeps h11's reason for a request it cannot parse, for the 400's text
                try:
                    return parse()
                except h11.RemoteProtocolError as exc:
                    self._framing_problem = str(exc)
                    raise

            self.conn.next_event = next_event

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_head_timer()
            super().connection_lost(exc)

        def on_response_complete(self) -> None:
            self._head = b""
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm_head_timer()

        def _arm_head_timer(self) -> None:
            self._disarm_head_timer()
            self._head_timer = self.loop.call_later(header_timeout, self._head_timed_out)

        def _disarm_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timed_out(self) -> None:
            self._head_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()  # no complete request head in time: idle, or sending it too slowly

        def send_400_response(self, msg: str) -> None:
            reply = error(400, f"{msg.rstrip('.')}: {self._framing_problem}")
            line = self._head.split(b"\r\n", 1)[0].decode("latin-1")
            asgi.log_line(self.client[0] if self.client else "-", f"{line} -> 400 ({self._framing_problem})")
            payload = reply.body()
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ]
            with contextlib.suppress(h11.LocalProtocolError):
                output = self.conn.send(h11.Response(status_code=400, headers=headers, reason=b"Bad Request"))
                output += self.conn.send(h11.Data(data=payload)) or b""
                output += self.conn.send(h11.EndOfMessage()) or b""
                self.transport.write(output)
            self.transport.close()

    return _Protocol


class SandboxServer(SandboxApp):
    """The sandbox, listening as soon as it is built; `start()` serves in a thread, `serve_forever()` in this one.

    >>> with SandboxServer(api_key="sk-test").start() as server:
    ...     client = ImagineoAIClient(server.url, api_key=server.api_key)
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = 0,
        *,
        api_key: str | None = None,
        spec: str | Path | None = None,
        fail_first: int = 0,
        fail_each: int = 0,
        fail_status: int = 503,
        retry_after: float = 1.0,
        latency: float = 0.0,
        rate_limit: str | None = None,
        answers: str | Path | None = None,
        log: TextIO | None = None,
        header_timeout: float = HEADER_TIMEOUT,
    ) -> None:
        super().__init__(
            api_key=api_key,
            spec=spec,
            fail_first=fail_first,
            fail_each=fail_each,
            fail_status=fail_status,
            retry_after=retry_after,
            latency=latency,
            rate_limit=rate_limit,
            answers=answers,
        )
        uvicorn, h11_protocol = _uvicorn()
        self.log = log
        self.host = host
        bare = host.strip("[]")
        family = socket.AF_INET6 if ":" in bare else socket.AF_INET
        # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted sockets only then (else an answer's header and
        # body writes can wait ~40 ms on a delayed ACK).
        self._socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._socket.bind((bare, port))
            self._socket.listen(BACKLOG)
        except OSError:
            self._socket.close()
            raise
        self.port: int = self._socket.getsockname()[1]
        shown = f"[{bare}]" if ":" in bare else host
        self.url: str = f"http://{shown}:{self.port}"
        self._asgi = SandboxASGI(self, self.url, log)
        config = uvicorn.Config(
            self._asgi,
            http=_protocol_class(h11_protocol, header_timeout, self._asgi),
            proxy_headers=False,
            loop="asyncio",
            lifespan="off",
            ws="none",
            interface="asgi3",
            backlog=BACKLOG,
            limit_concurrency=LIMIT_CONCURRENCY,
            timeout_keep_alive=int(KEEP_ALIVE_TIMEOUT),
            timeout_graceful_shutdown=int(GRACEFUL_SHUTDOWN),
            server_header=False,
            headers=[("server", "imagineo-sandbox")],
            log_config=None,
            log_level=None,
            access_log=False,
        )
        self._engine = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> SandboxServer:
        """Serve in a daemon thread; returns self once it accepts (``with SandboxServer().start() as server``)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._engine.run, kwargs={"sockets": [self._socket]}, name="imagineo-sandbox", daemon=True
            )
            self._thread.start()
            while not self._engine.started and self._thread.is_alive():
                self._thread.join(0.005)
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until SIGINT or SIGTERM (then a graceful stop; uvicorn re-raises the signal)."""
        _quiet_engine_logs(self.log is None)
        self._engine.run(sockets=[self._socket])

    def stop(self) -> None:
        """Ask the server to stop (from any thread, or a callback); `serve_forever` then returns."""
        self._engine.should_exit = True

    def close(self) -> None:
        """Stop accepting, let answers in flight finish (at most `GRACEFUL_SHUTDOWN` s), close every connection."""
        self.stop()
        if self._thread is not None:
            self._thread.join(GRACEFUL_SHUTDOWN + 5)
            self._thread = None
        self._socket.close()
        self._asgi.close()

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SandboxServer(url={self.url!r}, runs_created={self.runs_created})"


def _quiet_engine_logs(quiet: bool) -> None:
    """In the foreground (``imagineo sandbox``), uvicorn's warnings (a malformed request...) go to stderr unless
    ``--quiet``; in a test process, the caller's logging configuration is left alone."""
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).setLevel(logging.CRITICAL if quiet else logging.WARNING)
