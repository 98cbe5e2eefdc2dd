"""The batch's two files: RESULTS (one final line per id, locked while a batch runs) and its request journal.

**The lock.** A batch holds an exclusive, non-blocking ``flock(2)`` on RESULTS from before it reads the file until
it exits; a second batch on the same file is refused at once with a clear message, before it reads or sends
anything. Why the OS's advisory lock, and ``flock`` rather than a lock file or ``fcntl.lockf``:

* the kernel drops it when the process ends, however it ends (SIGKILL, a crash, a power cut), so there is no stale
  lock to clean up and no PID to check; a lock *file* (``O_EXCL``, or the ``filelock`` library's ``.lock``
  beside it) would need one, or a new dependency of the ``cli`` extra for what is a dozen lines;
* ``flock`` belongs to the open file description, so another descriptor of the same file opened and closed in
  this process (to read it) does not drop it, which POSIX ``lockf``/``fcntl`` record locks would do;
* it locks RESULTS itself, so the two batches are refused on exactly the thing they would corrupt. On Linux,
  ``flock`` on NFS is carried as a POSIX lock, so it also holds across machines sharing the file.

On Windows, ``msvcrt.locking`` locks the first byte the same way (also released when the process ends).

**The request journal**, ``RESULTS.requests`` beside RESULTS: one line per Idempotency-Key,
``{"id", "idempotency_key", "body"}``, where ``body`` is the exact JSON text of the request, appended and fsynced
*before the request is first sent* (by `JournalTransport`, under the SDK's retries, so what is recorded is byte
for byte what goes on the wire). A later run that sends the same key sends that recorded body again instead of the
one the current SDK would build: after an SDK upgrade changed a default, the server still sees the same key with
the same body and returns the original run, rather than a 409 for a new body under an old key.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

__all__ = ["JournalTransport", "RequestJournal", "ResultLog", "ResultsLockedError", "dumps_line"]


class ResultsLockedError(Exception):
    """Another process holds the lock on RESULTS."""


def dumps_line(record: Mapping[str, Any]) -> bytes:
    """One JSONL line, UTF-8. Text that is not Unicode (a lone surrogate from a server) is kept as JSON escapes."""
    try:
        return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    except UnicodeEncodeError:
        return (json.dumps(record, ensure_ascii=True) + "\n").encode("ascii")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
    os.fsync(fd)


def _lock(fd: int, path: Path) -> None:
    """Take the exclusive lock on `fd` without waiting; ResultsLockedError if another process has it."""
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            raise ResultsLockedError(str(path)) from None
        return
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise ResultsLockedError(str(path)) from None


class ResultLog:
    """RESULTS.jsonl: lock it, read the done ids, then append one fsynced line per finished input."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = -1

    def open(self) -> None:
        """Open (creating) and lock RESULTS; ResultsLockedError if another batch is writing it."""
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            _lock(fd, self.path)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def load(self) -> tuple[dict[str, dict[str, Any]], list[str]]:
        """(id -> last record, warnings); cuts off a trailing half-written line. Call after `open`."""
        done: dict[str, dict[str, Any]] = {}
        warnings: list[str] = []
        data = self.path.read_bytes()
        end = data.rfind(b"\n") + 1
        if end < len(data):
            warnings.append(f"{self.path}: removed a half-written last line (the previous run was interrupted)")
            os.ftruncate(self._fd, end)
            os.fsync(self._fd)
            data = data[:end]
        for number, raw in enumerate(data.splitlines(), 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except (ValueError, RecursionError):
                warnings.append(f"{self.path} line {number}: not JSON; ignored")
                continue
            if isinstance(record, dict) and "id" in record:
                done[json.dumps(record["id"])] = record
        return done, warnings

    def append(self, record: Mapping[str, Any]) -> None:
        _write_all(self._fd, dumps_line(record))

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # releases the lock
            self._fd = -1


class RequestJournal:
    """RESULTS.requests: the exact body each Idempotency-Key was first sent with (see the module docstring)."""

    def __init__(self, results: Path) -> None:
        self.path = results.with_name(results.name + ".requests")
        self._bodies: dict[str, bytes] = {}
        self._ids: dict[str, str | int] = {}
        self._fd = -1

    def open(self) -> list[str]:
        """Read the recorded bodies and open the journal for appending; returns warnings."""
        warnings: list[str] = []
        if self.path.exists():
            for number, raw in enumerate(self.path.read_bytes().splitlines(), 1):
                try:
                    entry = json.loads(raw)
                    key, body = entry["idempotency_key"], entry["body"]
                    if not isinstance(key, str) or not isinstance(body, str):
                        raise TypeError
                    self._bodies[key] = body.encode("utf-8")
                except (ValueError, RecursionError, KeyError, TypeError):
                    if raw.strip():  # a half-written last line of a killed run: its request was never sent
                        warnings.append(f"{self.path} line {number}: not a journal entry; ignored")
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        return warnings

    def expect(self, key: str, item_id: str | int) -> None:
        """The batch is about to send `key` for the line `item_id` (named in the journal entry)."""
        self._ids[key] = item_id

    def body(self, key: str) -> bytes | None:
        return self._bodies.get(key)

    def record(self, key: str, body: bytes) -> None:
        """Append and fsync `body` as the one to send for `key` (before it is sent)."""
        entry = {"id": self._ids.get(key), "idempotency_key": key, "body": body.decode("utf-8")}
        _write_all(self._fd, dumps_line(entry))
        self._bodies[key] = body

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class JournalTransport(httpx.AsyncBaseTransport):
    """An httpx transport that journals each batch request before its first send and resends journaled bodies.

    It sits under the SDK (``AsyncImagineoAIClient(http_client=httpx.AsyncClient(transport=...))``), so every
    attempt passes through it with the Idempotency-Key the batch chose: a key without a journaled body gets its body
    recorded, then sent; a key with one is sent with exactly that body, whatever the current SDK built.
    """

    def __init__(self, journal: RequestJournal, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._journal = journal
        self._inner = inner if inner is not None else httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = request.headers.get("Idempotency-Key")
        if key is not None:
            body = await request.aread()
            recorded = self._journal.body(key)
            if recorded is None:
                self._journal.record(key, body)
            elif recorded != body:
                headers = request.headers.copy()
                headers["Content-Length"] = str(len(recorded))
                request = httpx.Request(
                    request.method, request.url, headers=headers, content=recorded, extensions=request.extensions
                )
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
