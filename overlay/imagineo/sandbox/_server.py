"""`SandboxServer`: the sandbox (`._app.SandboxApp`) served over HTTP on a socket, in a thread or the foreground.

Each request the handler reads (`._http`: framing, the 1 MiB limit) becomes a `._app.Request`; the answer
`SandboxApp.handle` gives is written back, after its ``delay``, or the connection is closed for a ``drop``. What a
request means is all in `._app`, shared with the in-process transport (`._transport`), so the served sandbox and
the transport answer alike.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import TextIO

from ._app import REPLAY_HEADER, Request, SandboxApp
from ._http import Handler, drop_connection, read_body, send_reply, server_class
from ._reply import BadBodyError, Reply

__all__ = ["DEFAULT_HOST", "REPLAY_HEADER", "SandboxServer"]

DEFAULT_HOST = "127.0.0.1"
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]+)?|\[[0-9A-Fa-f:.]+\](:[0-9]+)?")


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
        log: TextIO | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            spec=spec,
            fail_first=fail_first,
            fail_each=fail_each,
            fail_status=fail_status,
            retry_after=retry_after,
            latency=latency,
        )
        self.log = log
        self._httpd = server_class(host)((host.strip("[]"), port), Handler)
        self._httpd.sandbox = self
        self.host = host
        self.port: int = self._httpd.server_address[1]
        shown = f"[{host.strip('[]')}]" if ":" in host else host
        self.url: str = f"http://{shown}:{self.port}"
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> SandboxServer:
        """Serve in a daemon thread; returns self (for ``with SandboxServer().start() as server``)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="imagineo-sandbox", daemon=True
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever(poll_interval=0.1)

    def close(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SandboxServer(url={self.url!r}, runs_created={self.runs_created})"

    # -- requests -------------------------------------------------------------------------------------------

    def _dispatch(self, handler: Handler) -> None:
        """Read one request off the socket, hand it to `handle`, deliver the answer (ConnectionError propagates:
        the client went away, and the server drops it quietly)."""
        body, body_error = b"", None
        try:
            body = read_body(handler)
        except BadBodyError as exc:
            body_error = exc.reply()
        headers = {name.lower(): value for name, value in handler.headers.items()}
        reply: Reply = self.handle(
            Request(handler.command, handler.path, headers, body, self._base_url(handler), body_error)
        )
        if reply.delay:
            time.sleep(reply.delay)
        if reply.drop:
            drop_connection(handler)
            return
        send_reply(handler, reply)

    def _base_url(self, handler: Handler) -> str:
        host = handler.headers.get("Host")
        if host and _HOST.fullmatch(host):
            return f"http://{host}"
        return self.url
