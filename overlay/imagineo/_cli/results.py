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

import contextlib
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
    """Append `data` (one line) and fsync it; when that fails (disk full, a file-size limit), the part written is
    cut off again, so the next line does not start glued to half a line."""
    start = os.fstat(fd).st_size
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, start)
        raise


def _cut_torn_tail(fd: int, path: Path, what: str) -> tuple[bytes, list[str]]:
    """The file's whole lines; a last line without its newline (a write cut short by a kill, a crash or a full disk:
    its request was never sent, or its result never recorded) is cut off the file itself, so the next line appended
    starts on a line of its own."""
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end == len(data):
        return data, []
    os.ftruncate(fd, end)
    os.fsync(fd)
    return data[:end], [f"{path}: removed a half-written last line {what} (the previous run was interrupted)"]


#: How every line of RESULTS and of the journal starts (`dumps_line` of a dict whose first key is "id").
_LINE_START = b'{"id": '


def _parse_line(raw: bytes) -> Any:
    """One line's JSON; for a line an older SDK glued onto half a line (``<torn>{"id": ...}``), the whole line at
    its end. `_LINE_START` cannot occur inside a JSON string (its quotes would be escaped there)."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        pass
    start = raw.find(_LINE_START, 1)
    while start > 0:
        try:
            return json.loads(raw[start:])
        except (ValueError, RecursionError):
            start = raw.find(_LINE_START, start + 1)
    raise ValueError("not a JSON line")


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
        data, warnings = _cut_torn_tail(self._fd, self.path, "of results")
        for number, raw in enumerate(data.splitlines(), 1):
            if not raw.strip():
                continue
            try:
                record = _parse_line(raw)
            except ValueError:
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
        self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
        data, warnings = _cut_torn_tail(self._fd, self.path, "of the request journal")
        for number, raw in enumerate(data.splitlines(), 1):
            try:
                entry = _parse_line(raw)
                key, body = entry["idempotency_key"], entry["body"]
                if not isinstance(key, str) or not isinstance(body, str):
                    raise TypeError
            except (ValueError, KeyError, TypeError):
                if raw.strip():
                    warnings.append(f"{self.path} line {number}: not a journal entry; ignored")
                continue
            self._bodies.setdefault(key, body.encode("utf-8"))  # the first body a key was sent with is its body
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
