"""`SandboxTransport`: the sandbox in-process as an httpx transport, sync and async, with no socket at all.

    transport = SandboxTransport(api_key="sk-test")
    client = ImagineoAIClient(SANDBOX_URL, api_key="sk-test", http_client=httpx.Client(transport=transport))

Every request goes to the same `._app.SandboxApp.handle` the HTTP server uses, so validation, idempotency, faults,
the run counter and the conformance verdicts are the served sandbox's, not a second implementation. Image URLs are
built on the origin the request was sent to, and the transport answers for any origin, so the images a run returns
download through the same transport (``http.get(result.image_url)``), offline.

The wire's part is imitated as httpx would see it: a ``drop`` fault raises `httpx.RemoteProtocolError` (what a
closed connection gives), and an answer held back (``slow``, ``hold``, ``latency``) longer than the request's read
timeout waits that timeout and raises `httpx.ReadTimeout`, so a client's timeout-and-retry path runs as it would
against the socket. The sync transport sleeps in the caller's thread; the async one with ``anyio.sleep`` (asyncio
or trio), so held answers do not block the event loop. Closing a client does not reset the transport: one
transport may serve several clients, sync and async, sharing one state.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from ._app import Request, SandboxApp
from ._reply import Reply

__all__ = ["SANDBOX_URL", "SandboxTransport"]

#: The API URL to give a client on a `SandboxTransport`: ``.invalid`` never resolves, so nothing can leave by it.
SANDBOX_URL = "https://sandbox.imagineo.invalid"


class SandboxTransport(SandboxApp, httpx.BaseTransport, httpx.AsyncBaseTransport):
    """The sandbox as an `httpx.BaseTransport` and `httpx.AsyncBaseTransport` (``runs_created``, ``stats()``,
    ``runs()``, ``requests()``, ``reset()``, ``set_faults()`` as on `SandboxServer`); ``url`` is `SANDBOX_URL`."""

    def __init__(
        self,
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
        url: str = SANDBOX_URL,
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
        self.url = url

    def __repr__(self) -> str:
        return f"SandboxTransport(url={self.url!r}, runs_created={self.runs_created})"

    def _reply(self, request: httpx.Request, body: bytes) -> Reply:
        origin = f"{request.url.scheme}://{request.url.netloc.decode('ascii')}"
        headers = {name.lower(): value for name, value in request.headers.items()}
        return self.handle(Request(request.method, request.url.raw_path.decode("ascii"), headers, body, origin))

    @staticmethod
    def _wait(request: httpx.Request, reply: Reply) -> tuple[float, bool]:
        """(seconds to wait, whether the read times out first)."""
        timeout = (request.extensions.get("timeout") or {}).get("read")
        if isinstance(timeout, int | float) and reply.delay > timeout:
            return float(timeout), True
        return reply.delay, False

    @staticmethod
    def _response(request: httpx.Request, reply: Reply, timed_out: bool) -> httpx.Response:
        if timed_out:
            raise httpx.ReadTimeout("The read operation timed out (sandbox transport)", request=request)
        if reply.drop:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        content = reply.body()
        headers = list(reply.headers.items())
        if reply.has_body:
            if reply.content_type:
                headers.append(("Content-Type", reply.content_type))
            headers.append(("Content-Length", str(len(content))))
        return httpx.Response(reply.status, headers=headers, stream=httpx.ByteStream(content), request=request)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        reply = self._reply(request, request.read())
        seconds, timed_out = self._wait(request, reply)
        if seconds:
            time.sleep(seconds)
        return self._response(request, reply, timed_out)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        reply = self._reply(request, await request.aread())
        seconds, timed_out = self._wait(request, reply)
        if seconds:
            import anyio  # httpx's own dependency; imported here so the sync path never loads it

            await anyio.sleep(seconds)
        return self._response(request, reply, timed_out)
