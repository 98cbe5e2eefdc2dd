"""The attempt's deadline for sync calls, enforced on every socket operation of the SDK's own httpx client.

httpx's timeouts bound each connect, read, write and pool wait, not a whole exchange. For the SDK's own sync client
(`watch_deadlines`) the httpcore network backend is wrapped so that every socket operation waits no longer than the
running attempt has left (`deadline`, a context manager setting it for this thread); on a client passed in, the
deadline is checked at the start and between the body's reads only (`_bounded`). Async attempts are cancelled at
the deadline instead (anyio), so they need none of this.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

__all__ = ["deadline", "watch_deadlines"]


_local = threading.local()  # .deadline: the running sync attempt's time.monotonic() deadline, or None


def _clamp(timeout: float | None, error: type[Exception]) -> float | None:
    deadline: float | None = getattr(_local, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("attempt_timeout reached")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream:
    """An httpcore network stream whose every read and write waits no longer than the attempt has left."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        import httpcore

        data: bytes = self._stream.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        import httpcore

        self._stream.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> Any:
        import httpcore

        return _DeadlineStream(
            self._stream.start_tls(ssl_context, server_hostname, _clamp(timeout, httpcore.ConnectTimeout))
        )

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend:
    """An httpcore network backend whose streams are `_DeadlineStream`s."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, **kwargs: Any) -> _DeadlineStream:
        import httpcore

        return _DeadlineStream(
            self._backend.connect_tcp(host, port, _clamp(timeout, httpcore.ConnectTimeout), **kwargs)
        )

    def connect_unix_socket(self, path: str, timeout: float | None = None, **kwargs: Any) -> _DeadlineStream:
        import httpcore

        return _DeadlineStream(
            self._backend.connect_unix_socket(path, _clamp(timeout, httpcore.ConnectTimeout), **kwargs)
        )

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def watch_deadlines(client: httpx.Client) -> bool:
    """Make the SDK's own sync client clamp each socket operation to the attempt's deadline; False if httpx's
    internals are not the expected ones (the deadline is then checked at the start and between reads only)."""
    pool = getattr(getattr(client, "_transport", None), "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is None or not hasattr(backend, "connect_tcp"):
        return False
    if not isinstance(backend, _DeadlineBackend):
        pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]
    return True


@contextmanager
def deadline(at: float | None) -> Iterator[None]:
    """Every socket operation of a watched client in this thread, inside the block, ends by `at` (time.monotonic())."""
    outer, _local.deadline = getattr(_local, "deadline", None), at
    try:
        yield
    finally:
        _local.deadline = outer
