"""The clients: `ImagineoAIClient` and `AsyncImagineoAIClient`.

Each is the generated resources of the spec (``imagineo_api.resources.SyncResources`` / ``AsyncResources``: one
attribute per resource, one method per operation, such as ``client.images.generate``) on top of the SDK's one
request pipeline (`_base_client`): the client holds the settings (URL, key, timeouts, retries, limits) and the httpx
client, and gives the generated methods a caller that runs every call the same way. It also has the generic
``client.request`` / ``get`` / ``post`` ... for paths the spec does not describe yet, through the same pipeline.

Defaults (see README "Timeouts, retries and idempotency"): ``timeout`` is httpx's, per socket operation: 300 s for
each read (image generation is slow) and 10 s to connect; ``attempt_timeout`` bounds one whole attempt at 600 s;
``max_retries`` is 2; ``max_response_bytes`` caps what is read of one answer at 1 MiB.

Arguments the SDK cannot use (a timeout of -1, NaN or "fast", extra_body with NaN or nested 10^5 deep, a header
value that is not ASCII, a value whose __repr__ or __eq__ raises) are an ImagineoValidationError before anything is
sent, never a raw Python error from deeper down.

A client belongs to the process and, for the async one, the event loop that first used it: after ``os.fork()`` a
sync client opens a new connection pool in the child (never sharing the parent's sockets), and an async client used
on another event loop than its first (``asyncio.run`` twice) gets a new pool for that loop (its own client; an
``http_client`` passed in cannot be rebuilt, so that case raises ImagineoError saying to make one client per loop).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

import httpx
from imagineo_api.resources import AsyncResources, SyncResources

from ._base_client import (
    API_KEY_ENV,
    API_URL_ENV,
    DEFAULT_ATTEMPT_TIMEOUT,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    NOT_GIVEN,
    AsyncCaller,
    Settings,
    SyncCaller,
)
from ._deadline import watch_deadlines
from ._exceptions import ImagineoError

if TYPE_CHECKING:
    from imagineo_api.call_signatures import TimeoutTypes

__all__ = [
    "API_KEY_ENV",
    "API_URL_ENV",
    "DEFAULT_ATTEMPT_TIMEOUT",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "AsyncImagineoAIClient",
    "ImagineoAIClient",
]

LOG_ENV = "IMAGINEO_LOG"
T = TypeVar("T")

logger = logging.getLogger("imagineo")


def _setup_logging() -> None:
    """IMAGINEO_LOG=debug (or info) sends the `imagineo` logger's records to stderr."""
    level = os.environ.get(LOG_ENV, "").strip().upper()
    if level in ("DEBUG", "INFO") and not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[%(asctime)s %(name)s %(levelname)s] %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(level)


_setup_logging()


def _check_http_client(http_client: Any, http_cls: type[Any]) -> None:
    if http_client is not None and not isinstance(http_client, http_cls):
        raise TypeError(f"http_client must be an httpx.{http_cls.__name__}, got {type(http_client).__name__}")


class _ClientBase:
    """What the sync and async clients share: settings, copies with other defaults, and a repr without the key."""

    _settings: Settings
    _owns_http: bool

    def _options(
        self, timeout: Any, max_retries: Any, extra_headers: Any, extra_query: Any = None
    ) -> tuple[Any, Any, Any, Any, Any]:
        return (timeout, max_retries, extra_headers, extra_query, None)

    def _copy(self, settings: Settings) -> Self:
        new = object.__new__(type(self))
        new.__dict__.update(
            {k: v for k, v in self.__dict__.items() if k in ("_http", "_pid", "_loop", "_http_lock", "_given_http")}
        )
        new._settings = settings
        new._owns_http = False
        new._caller = type(self._caller)(settings, new._current_http)  # type: ignore[attr-defined]
        return new

    def with_options(
        self,
        *,
        timeout: TimeoutTypes = NOT_GIVEN,
        max_retries: int = NOT_GIVEN,
        default_headers: Mapping[str, str] | None = None,
        attempt_timeout: float | None = NOT_GIVEN,
        max_response_bytes: int = NOT_GIVEN,
    ) -> Self:
        """A copy with other defaults, sharing this client's connection pool (closing the copy closes nothing).

        Any of the constructor's `timeout`, `max_retries`, `attempt_timeout` and `max_response_bytes` can be
        changed; `default_headers` are added to the client's."""
        return self._copy(
            self._settings.copy(timeout, max_retries, default_headers, attempt_timeout, max_response_bytes)
        )

    def __repr__(self) -> str:
        s = self._settings
        return f"{type(self).__name__}(api_url={s.api_url!r}, max_retries={s.max_retries}, timeout={s.timeout!r})"


class ImagineoAIClient(_ClientBase, SyncResources):
    """Synchronous client for the ImagineoAI API.

    >>> client = ImagineoAIClient("https://api.example.com", api_key="sk-...")
    >>> result = client.images.generate(prompt="A cat in a spacesuit", width=512, height=512)

    `api_url` and `api_key` fall back to IMAGINEO_API_URL and IMAGINEO_API_KEY. `http_client` is an httpx.Client
    to send through (proxies, mTLS, a custom transport); the SDK's headers, timeouts and retries still apply, and
    the SDK does not close a client it was given. Plain http is refused for hosts other than ``localhost`` and
    loopback addresses unless `allow_insecure_http=True`; an `api_url` with a user name, a query or a fragment is
    refused (ImagineoValidationError naming the part).

    `timeout` is httpx's: it bounds each connect, each read (the silence between two pieces of the answer), each
    write and each wait for a pooled connection, not the call (default 300 s to read, 10 s to connect).
    `attempt_timeout` bounds one whole attempt, from sending to the last byte of the answer (default 600 s; None for
    no total); a call can take up to ``max_retries + 1`` attempts plus the waits between them.
    `max_response_bytes` caps one answer's body, as received and once decompressed (default 1 MiB); past it,
    APIResponseTooLargeError.

    Every operation of the API's spec is a method of a resource attribute (``client.images.generate``...), with
    ``with_raw_response``; `request` (and `get`, `post`...) reach paths the spec does not describe yet.
    """

    def __init__(
        self,
        api_url: str | None = None,
        *,
        api_key: str | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
        default_headers: Mapping[str, str] | None = None,
        allow_insecure_http: bool = False,
        attempt_timeout: float | None = DEFAULT_ATTEMPT_TIMEOUT,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        _check_http_client(http_client, httpx.Client)
        settings = Settings(
            api_url,
            api_key,
            timeout,
            max_retries,
            default_headers,
            allow_insecure_http,
            attempt_timeout,
            max_response_bytes,
        )
        self._settings = settings
        self._owns_http = http_client is None
        self._given_http = http_client is not None
        self._pid = os.getpid()
        self._http: httpx.Client = http_client if http_client is not None else self._new_http()
        self._caller: SyncCaller = SyncCaller(settings, self._current_http)

    def _new_http(self) -> httpx.Client:
        http = httpx.Client(timeout=self._settings.timeout)
        watch_deadlines(http)  # every socket read of our own sync client stops at attempt_timeout
        return http

    def _current_http(self) -> httpx.Client:
        """The connection pool for this process: a child of os.fork() never uses the parent's sockets."""
        if self._pid != os.getpid():
            if self._given_http:
                raise ImagineoError(
                    "this client's http_client was made in another process (before os.fork()); sockets cannot be "
                    "shared across processes: make the client (and its http_client) in each process"
                )
            self._pid = os.getpid()
            self._http = self._new_http()  # the parent's pool is left alone: closing it would close its sockets
            self._owns_http = True
        return self._http

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: object = None,
        headers: Mapping[str, str] | None = None,
        cast_to: type[T] | None = None,
        idempotency_key: str | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> T | Any:
        """Call a path the spec does not describe (yet) through the SDK's pipeline: auth, base URL, timeouts,
        retries (with one Idempotency-Key across them for POST and PATCH), bounded reads, redaction, typed errors.

        `path` is relative to api_url and starts with ``/``; `params` the query; `body` is sent as JSON.
        Returns None for an answer without a body, else the decoded JSON, or ``cast_to.from_dict(json)`` when
        `cast_to` is given (a class of ``imagineo_api.results`` or ``imagineo_api.models``)."""
        options = self._options(timeout, max_retries, None)
        return self._caller.request(method, path, params, body, headers, options, idempotency_key, cast_to, False)

    def get(self, path: str, **kwargs: Any) -> Any:
        """``request("GET", path, ...)``."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        """``request("POST", path, ...)``."""
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        """``request("PUT", path, ...)``."""
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        """``request("PATCH", path, ...)``."""
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        """``request("DELETE", path, ...)``."""
        return self.request("DELETE", path, **kwargs)

    def close(self) -> None:
        """Close the connection pool (not an http_client passed in by the caller)."""
        if self._owns_http and self._pid == os.getpid():
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncImagineoAIClient(_ClientBase, AsyncResources):
    """Asynchronous client for the ImagineoAI API; the same as `ImagineoAIClient` with ``await``."""

    def __init__(
        self,
        api_url: str | None = None,
        *,
        api_key: str | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
        default_headers: Mapping[str, str] | None = None,
        allow_insecure_http: bool = False,
        attempt_timeout: float | None = DEFAULT_ATTEMPT_TIMEOUT,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        _check_http_client(http_client, httpx.AsyncClient)
        settings = Settings(
            api_url,
            api_key,
            timeout,
            max_retries,
            default_headers,
            allow_insecure_http,
            attempt_timeout,
            max_response_bytes,
        )
        self._settings = settings
        self._owns_http = http_client is None
        self._given_http = http_client is not None
        self._pid = os.getpid()
        self._loop: object = None
        self._http_lock = threading.Lock()
        self._http: httpx.AsyncClient = (
            http_client if http_client is not None else httpx.AsyncClient(timeout=settings.timeout)
        )
        self._caller: AsyncCaller = AsyncCaller(settings, self._current_http)

    def _current_http(self) -> httpx.AsyncClient:
        """The connection pool for this event loop and process (see the module's docstring)."""
        import asyncio

        loop = asyncio.get_running_loop()
        with self._http_lock:
            if self._loop is None:
                self._loop = loop
            if self._loop is loop and self._pid == os.getpid():
                return self._http
            if self._given_http:
                raise ImagineoError(
                    "this async client's http_client belongs to another event loop (or process) than this call's: "
                    "an httpx.AsyncClient cannot move between loops; make one client per event loop (for example "
                    "inside the function that asyncio.run runs)"
                )
            self._loop, self._pid = loop, os.getpid()
            self._http = httpx.AsyncClient(timeout=self._settings.timeout)  # the old loop's pool died with it
            self._owns_http = True
            return self._http

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: object = None,
        headers: Mapping[str, str] | None = None,
        cast_to: type[T] | None = None,
        idempotency_key: str | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
    ) -> T | Any:
        """The async twin of `ImagineoAIClient.request`."""
        options = self._options(timeout, max_retries, None)
        return await self._caller.request(method, path, params, body, headers, options, idempotency_key, cast_to, False)

    async def get(self, path: str, **kwargs: Any) -> Any:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> Any:
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> Any:
        return await self.request("PUT", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> Any:
        return await self.request("PATCH", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> Any:
        return await self.request("DELETE", path, **kwargs)

    async def close(self) -> None:
        """Close the connection pool (not an http_client passed in by the caller).

        A pool made under another event loop than this one is dropped, not closed: its connections belong to that
        loop (usually gone, after ``asyncio.run``) and cannot be closed from here."""
        import asyncio

        if not self._owns_http:
            return
        if self._loop is None or self._loop is asyncio.get_running_loop():
            await self._http.aclose()
        else:
            self._loop = None
            self._http = httpx.AsyncClient(timeout=self._settings.timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
