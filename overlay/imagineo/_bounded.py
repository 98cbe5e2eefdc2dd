"""Reading one answer's body within a cap: counted as received and once inflated, and within a deadline.

The SDK asks only for gzip and deflate and undoes them itself (`Inflater`), a bounded step at a time, so a small
compressed bomb never becomes a large buffer: each step inflates at most what is left of the budget plus one byte.
`BoundedReader` accumulates a body chunk by chunk, raising APIResponseTooLargeError past the cap and
``httpx.ReadTimeout`` past the attempt's deadline; the API call (`_send`) and image downloads (`_download`) both use
it. The finished body has the client's own API key redacted before anything else reads it (`_redact`).
"""

from __future__ import annotations

import time
import zlib
from typing import Any

import httpx

from ._exceptions import APIConnectionError, APIResponseTooLargeError
from ._redact import redact_response

__all__ = ["BoundedReader", "Inflater", "start_reading", "too_large"]


class Inflater:
    """Undoes a response's Content-Encoding (identity, gzip, deflate; stacked in any order), never producing more
    than `limit` bytes in all: each step inflates at most what is left of the budget plus one byte."""

    def __init__(self, request: httpx.Request, encodings: list[str], limit: int) -> None:
        self.request = request
        self.limit = limit
        self.total = 0
        self.stages: list[Any] = []
        for name in reversed(encodings):  # the last encoding applied is undone first
            if name in ("gzip", "x-gzip"):
                self.stages.append(zlib.decompressobj(zlib.MAX_WBITS | 16))
            elif name == "deflate":
                self.stages.append("deflate")  # zlib-wrapped or raw: decided by the first bytes, as httpx does
            elif name not in ("identity", ""):
                raise APIConnectionError(
                    request,
                    f"The response body could not be decoded: Content-Encoding {name[:40]!r} is not one the SDK "
                    "reads (it asks for gzip or deflate)",
                )

    def _inflate(self, index: int, data: bytes, room: int) -> bytes:
        stage = self.stages[index]
        if stage == "deflate":
            stage = zlib.decompressobj()
            try:
                out = stage.decompress(data, room)
            except zlib.error:
                stage = zlib.decompressobj(-zlib.MAX_WBITS)
                out = stage.decompress(data, room)
            self.stages[index] = stage
        else:
            out = stage.decompress(data, room)
        if stage.unconsumed_tail:  # it had more to give than `room`: past the cap
            return out + b"\0"
        return bytes(out)

    def feed(self, data: bytes) -> bytes:
        try:
            for index in range(len(self.stages)):
                data = self._inflate(index, data, self.limit - self.total + 1)
        except zlib.error as exc:
            raise APIConnectionError(self.request, f"The response body could not be decoded: {exc}") from None
        self.total += len(data)
        return data


def too_large(response: httpx.Response, limit: int, what: str) -> APIResponseTooLargeError:
    return APIResponseTooLargeError(response, limit, what)


def start_reading(response: httpx.Response, limit: int) -> Inflater | None:
    """Check Content-Length; the inflater for the body, or None when httpx already holds the body."""
    length = response.headers.get("content-length", "")
    if length.strip().isdigit() and int(length) > limit:
        raise too_large(response, limit, f"announces {int(length)} bytes (Content-Length)")
    try:
        content = response.content  # a transport that read the body already (httpx.MockTransport, say)
    except httpx.ResponseNotRead:
        encodings = [e.strip().lower() for e in response.headers.get_list("content-encoding", split_commas=True)]
        return Inflater(response.request, encodings, limit)
    if len(content) > limit:
        raise too_large(response, limit, f"has {len(content)} bytes")
    return None


class BoundedReader:
    """Accumulates one body: counts raw bytes, inflates, checks the cap and the attempt's deadline per chunk."""

    def __init__(self, response: httpx.Response, inflater: Inflater, limit: int, deadline: float | None) -> None:
        self.response, self.inflater, self.limit, self.deadline = response, inflater, limit, deadline
        self.raw = 0
        self.parts: list[bytes] = []

    def add(self, chunk: bytes) -> None:
        self.raw += len(chunk)
        if self.raw > self.limit:
            raise too_large(self.response, self.limit, "is larger than that as received")
        part = self.inflater.feed(chunk)
        if self.inflater.total > self.limit:
            raise too_large(self.response, self.limit, "is larger than that once decompressed")
        self.parts.append(part)
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise httpx.ReadTimeout("attempt_timeout reached while reading the body", request=self.response.request)

    def finish(self) -> None:
        self.response._content = b"".join(self.parts)
        redact_response(self.response)
