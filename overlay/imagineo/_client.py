"""The public surface: `ImagineoAIClient` / `AsyncImagineoAIClient` and their ``images.generate``.

One call flows one way:

    keyword arguments (or one mapping, or a generated input model)
      -> _models.prepare: aliases, model defaults, validation against imagineo_api.schemas, generated request model
      -> imagineo_api.api.runs.generate_run._get_kwargs: the generated endpoint's request (method, path, JSON, headers)
      -> _Settings.build: the client's URL prefix, auth and User-Agent headers, Idempotency-Key, extra_headers/body
      -> _transport.send / send_async: timeouts, retries, backoff (the same request, so the same Idempotency-Key)
      -> _response.parse: 204 -> None; 200 -> imagineo.GenerateImageOutput (the generated parser's
         imagineo_api.models.GenerateImageOutput, which checks the body (generator/templates/), with ``_request_id``
         from x-request-id; _result); anything else -> a typed error from _exceptions.
         ``images.with_raw_response.generate`` stops before parsing: an _response.APIResponse around the answer.

Defaults (see README "Timeouts, retries and idempotency"): ``timeout`` is httpx's, per socket operation: 300 s for
each read (image generation is slow) and 10 s to connect; ``attempt_timeout`` bounds one whole attempt at 600 s;
``max_retries`` is 2; ``max_response_bytes`` caps what is read of one answer at 1 MiB.

Arguments the SDK cannot use (a timeout of -1, NaN or "fast", extra_body with NaN or nested 10^5 deep, a header
value that is not ASCII, a value whose __repr__ or __eq__ raises) are an ImagineoValidationError before anything is
sent, never a raw Python error from deeper down.

Cost (docs/performance.md, ``make bench``): the generated package (attrs models, endpoint) is imported when the first
client is built and pydantic on the first call, not by ``import imagineo``; the request URL is parsed once per client;
`_new_request` merges the http client's headers with the SDK's in one pass; the 200 body is parsed once, by the
generated parser.
"""

from __future__ import annotations

import copy
import functools
import logging
import os
from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any, Self, TypeAlias

import httpx
from imagineo_api import catalog

from . import _download, _transport
from ._checks import (
    _check_attempt_timeout,
    _check_extra_body,
    _check_headers,
    _check_idempotency_key,
    _check_max_response_bytes,
    _check_retries,
    _check_timeout,
    _prepare,
)
from ._exceptions import ImagineoError
from ._response import AsyncImagesWithRawResponse, ImagesWithRawResponse, parse
from ._version import __version__

if TYPE_CHECKING:
    from pathlib import Path

    from imagineo_api import models as _generated

    from ._result import GenerateImageOutput
    from ._types import AsyncGenerate, Generate, TimeoutTypes

__all__ = [
    "DEFAULT_ATTEMPT_TIMEOUT",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "AsyncImagineoAIClient",
    "ImagineoAIClient",
]

#: The spec's x-imagineo-timeout: 300 s to read (a run is slow to answer), 10 s to connect.
DEFAULT_TIMEOUT = httpx.Timeout(catalog.TIMEOUT_READ, connect=catalog.TIMEOUT_CONNECT)
DEFAULT_ATTEMPT_TIMEOUT = 600.0
DEFAULT_MAX_RESPONSE_BYTES = _transport.DEFAULT_MAX_RESPONSE_BYTES
DEFAULT_MAX_RETRIES = 2
API_URL_ENV = "IMAGINEO_API_URL"
API_KEY_ENV = "IMAGINEO_API_KEY"
LOG_ENV = "IMAGINEO_LOG"
_NOT_GIVEN: Any = object()

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


def _is_loopback(host: str) -> bool:
    """Plain http is allowed without opting in only to these: the name ``localhost`` itself, and IP literals in
    127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104. Other ``*.localhost`` names are not: RFC 6761 says they should resolve
    to loopback, but the system resolver httpx uses (glibc's, for one) may pass them on to DNS, which can answer
    anything, and the key would then travel in clear."""
    host = host.lower().rstrip(".")
    if host == "localhost":
        return True
    import ipaddress

    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _without_userinfo(url: httpx.URL) -> str:
    """scheme://host[:port]/path, for messages and repr: a user name or password in the URL is never shown."""
    return str(url.copy_with(username=None, password=None, query=None, fragment=None))


class _Settings:
    """What one client sends with every request: URL, headers, timeout, retries. Built once, shared by copies."""

    __slots__ = ("allow_insecure_http", "api_url", "headers", "limits", "max_retries", "target", "timeout", "url")

    def __init__(
        self,
        api_url: str | None,
        api_key: str | None,
        timeout: TimeoutTypes,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        allow_insecure_http: bool,
        attempt_timeout: float | None = DEFAULT_ATTEMPT_TIMEOUT,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        api_url = api_url if api_url is not None else os.environ.get(API_URL_ENV)
        api_key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        if not api_url:
            raise ImagineoError(f"No API URL: pass api_url=... or set the {API_URL_ENV} environment variable")
        if not api_key:
            raise ImagineoError(f"No API key: pass api_key=... or set the {API_KEY_ENV} environment variable")
        if not all("!" <= c <= "~" for c in api_key):
            # The key goes into a header: httpx would refuse it at send time with a message quoting it.
            raise ImagineoError(
                "api_key contains a line break, a space, a control or a non-ASCII character; check how it was read "
                "(the key is not shown)"
            )
        try:
            parsed = httpx.URL(api_url)
        except httpx.InvalidURL:
            parsed = httpx.URL()
        if parsed.scheme not in ("http", "https") or not parsed.host:
            # Not echoed: a key passed by mistake as the first argument would otherwise end up in the message.
            raise ImagineoError("api_url must be an absolute http(s) URL, such as https://api.example.com")
        if parsed.scheme == "http" and not _is_loopback(parsed.host) and not allow_insecure_http:
            raise ImagineoError(
                f"api_url {_without_userinfo(parsed)!r} is plain http to a non-loopback host (only localhost and "
                "loopback addresses count), so the API key would travel unencrypted; use https, or pass "
                "allow_insecure_http=True if you really mean it"
            )
        _check_retries(max_retries)
        _check_timeout(timeout)
        self.limits = _transport.Limits(
            _check_max_response_bytes(max_response_bytes), _check_attempt_timeout(attempt_timeout)
        )
        self.api_url = _without_userinfo(parsed) if parsed.userinfo else api_url  # what repr() shows
        self.allow_insecure_http = allow_insecure_http
        self.timeout = timeout
        self.max_retries = max_retries
        # The prefix of api_url is kept: https://gateway.example.com/imagineo -> .../imagineo/api/v1/runs/generate
        self.url = api_url.rstrip("/") + catalog.OPERATION_PATH  # userinfo included: it is the caller's URL
        self.target = httpx.URL(self.url)  # parsed once: httpx would parse the string again on every request
        self.headers = {
            "Authorization": f"Bearer {api_key}",
            "User-Agent": f"imagineo-python/{__version__}",
            "Accept": "application/json",
            # The encodings the transport inflates itself, in bounded steps (not br or zstd, even when installed).
            "Accept-Encoding": "gzip, deflate",
            **_check_headers(default_headers, "default_headers"),
        }

    def copy(
        self,
        timeout: Any,
        max_retries: Any,
        default_headers: Mapping[str, str] | None,
        attempt_timeout: Any = _NOT_GIVEN,
        max_response_bytes: Any = _NOT_GIVEN,
    ) -> _Settings:
        new = object.__new__(_Settings)
        new.api_url, new.url, new.target = self.api_url, self.url, self.target
        new.allow_insecure_http = self.allow_insecure_http
        new.timeout = self.timeout if timeout is _NOT_GIVEN else _check_timeout(timeout)
        new.max_retries = self.max_retries if max_retries is _NOT_GIVEN else _check_retries(max_retries)
        new.limits = _transport.Limits(
            self.limits.max_response_bytes
            if max_response_bytes is _NOT_GIVEN
            else _check_max_response_bytes(max_response_bytes),
            self.limits.attempt_timeout if attempt_timeout is _NOT_GIVEN else _check_attempt_timeout(attempt_timeout),
        )
        new.headers = {**self.headers, **_check_headers(default_headers, "default_headers")}
        return new

    def build(
        self,
        http: httpx.Client | httpx.AsyncClient,
        input: object,
        params: dict[str, Any],
        timeout: Any,
        extra_headers: Mapping[str, str] | None,
        extra_body: Mapping[str, Any] | None,
        idempotency_key: str | None,
    ) -> httpx.Request:
        """Validate the input and turn it into the httpx request the transport sends (and re-sends)."""
        request_model = _prepare(_collect(input, params))
        key = _new_idempotency_key() if idempotency_key is None else _check_idempotency_key(idempotency_key)
        timeout = self.timeout if timeout is None else _check_timeout(timeout)
        kwargs = _endpoint()._get_kwargs(body=request_model, idempotency_key=key)
        body = kwargs["json"]
        if extra_body:
            body = {**body, **_check_extra_body(extra_body)}
        headers = {**self.headers, **kwargs["headers"]}
        if extra_headers:
            headers.update(_check_headers(extra_headers, "extra_headers"))
        return _new_request(http, kwargs["method"].upper(), self.target, body, headers, timeout)


def _new_idempotency_key() -> str:
    import uuid  # here rather than at the top: uuid imports platform, a tenth of what ``import imagineo`` adds

    return str(uuid.uuid4())


_STOCK_BUILD_REQUEST = httpx.Client.build_request  # httpx.AsyncClient inherits the same function


def _new_request(
    http: httpx.Client | httpx.AsyncClient,
    method: str,
    url: httpx.URL,
    body: Any,
    headers: Mapping[str, str],
    timeout: Any,
) -> httpx.Request:
    """The request ``http.build_request(method, url, json=body, headers=headers, timeout=timeout)`` builds.

    build_request turns `headers` into an httpx.Headers and then merges it into a copy of the client's, one
    case-insensitive lookup and removal at a time (about a tenth of a call's CPU, more than all of the SDK's
    validation). Here the client's headers that `headers` does not override are kept, in order, with their original
    names, and `headers` follows, which is the list build_request ends up with. A client with cookies or query
    params to merge, or whose build_request is overridden, gets its own build_request.
    """
    if type(http).build_request is not _STOCK_BUILD_REQUEST or http.cookies or http.params:
        return http.build_request(method, url, json=body, headers=headers, timeout=timeout)
    overridden = {name.lower().encode() for name in headers}
    merged: list[tuple[Any, Any]] = [(k, v) for k, v in http.headers.raw if k.lower() not in overridden]
    merged.extend(headers.items())
    return httpx.Request(
        method, url, json=body, headers=merged, extensions={"timeout": httpx.Timeout(timeout).as_dict()}
    )


@functools.cache
def _endpoint() -> ModuleType:
    """The generated endpoint, imagineo_api.api.runs.generate_run (with it, the attrs models it imports)."""
    from imagineo_api.api.runs import generate_run

    return generate_run


def _collect(input: object, params: dict[str, Any]) -> Mapping[str, Any]:
    """The call's fields, from keyword arguments, one mapping, or a generated input model."""
    if input is None:
        return params
    if params:
        raise TypeError(
            "images.generate() takes the fields either as keyword arguments or as one input, not both; "
            f"got an input and {', '.join(sorted(params))}"
        )
    if isinstance(input, Mapping):
        return input
    to_dict = getattr(input, "to_dict", None)
    if callable(to_dict) and type(input).__module__.startswith("imagineo_api.models"):
        return to_dict()  # type: ignore[no-any-return]
    raise TypeError(
        f"images.generate() input must be a mapping or an imagineo_api.models input model, got {type(input).__name__}"
    )


class _ClientBase:
    """What the sync and async clients share: copies with other defaults, and a repr without the key."""

    _settings: _Settings
    _owns_http: bool
    images: Any

    def _connect(self, settings: _Settings, http_client: Any, http_cls: type[Any]) -> Any:
        """Keep the settings; return the caller's http client (checked to be an `http_cls`) or a new one we own."""
        if http_client is not None and not isinstance(http_client, http_cls):
            raise TypeError(f"http_client must be an httpx.{http_cls.__name__}, got {type(http_client).__name__}")
        self._settings = settings
        self._owns_http = http_client is None
        if http_client is not None:
            return http_client
        http = http_cls(timeout=settings.timeout)
        if isinstance(http, httpx.Client):
            _transport.watch_deadlines(http)  # every socket read of our own sync client stops at attempt_timeout
        return http

    def with_options(
        self,
        *,
        timeout: TimeoutTypes = _NOT_GIVEN,
        max_retries: int = _NOT_GIVEN,
        default_headers: Mapping[str, str] | None = None,
        attempt_timeout: float | None = _NOT_GIVEN,
        max_response_bytes: int = _NOT_GIVEN,
    ) -> Self:
        """A copy with other defaults, sharing this client's connection pool (closing the copy closes nothing).

        Any of the constructor's `timeout`, `max_retries`, `attempt_timeout` and `max_response_bytes` can be
        changed; `default_headers` are added to the client's."""
        new = copy.copy(self)
        new._settings = self._settings.copy(timeout, max_retries, default_headers, attempt_timeout, max_response_bytes)
        new._owns_http = False
        new.images = type(self.images)(new)
        return new

    def __repr__(self) -> str:
        s = self._settings
        return f"{type(self).__name__}(api_url={s.api_url!r}, max_retries={s.max_retries}, timeout={s.timeout!r})"


class ImagineoAIClient(_ClientBase):
    """Synchronous client for the ImagineoAI API.

    >>> client = ImagineoAIClient("https://api.example.com", api_key="sk-...")
    >>> result = client.images.generate(prompt="A cat in a spacesuit", width=512, height=512)

    `api_url` and `api_key` fall back to IMAGINEO_API_URL and IMAGINEO_API_KEY. `http_client` is an httpx.Client
    to send through (proxies, mTLS, a custom transport); the SDK's headers, timeouts and retries still apply, and
    the SDK does not close a client it was given. Plain http is refused for hosts other than ``localhost`` and
    loopback addresses unless `allow_insecure_http=True`.

    `timeout` is httpx's: it bounds each connect, each read (the silence between two pieces of the answer), each
    write and each wait for a pooled connection, not the call (default 300 s to read, 10 s to connect).
    `attempt_timeout` bounds one whole attempt, from sending to the last byte of the answer (default 600 s; None for
    no total); a call can take up to ``max_retries + 1`` attempts plus the waits between them.
    `max_response_bytes` caps one answer's body, as received and once decompressed (default 1 MiB); past it,
    APIResponseTooLargeError.
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
        settings = _Settings(
            api_url,
            api_key,
            timeout,
            max_retries,
            default_headers,
            allow_insecure_http,
            attempt_timeout,
            max_response_bytes,
        )
        self._http: httpx.Client = self._connect(settings, http_client, httpx.Client)
        self.images: Images = Images(self)

    def close(self) -> None:
        """Close the connection pool (not an http_client passed in by the caller)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> ImagineoAIClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncImagineoAIClient(_ClientBase):
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
        settings = _Settings(
            api_url,
            api_key,
            timeout,
            max_retries,
            default_headers,
            allow_insecure_http,
            attempt_timeout,
            max_response_bytes,
        )
        self._http: httpx.AsyncClient = self._connect(settings, http_client, httpx.AsyncClient)
        self.images: AsyncImages = AsyncImages(self)

    async def close(self) -> None:
        """Close the connection pool (not an http_client passed in by the caller)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncImagineoAIClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


if TYPE_CHECKING:
    Result: TypeAlias = GenerateImageOutput | None


class Images:
    """``client.images``: image generation."""

    if TYPE_CHECKING:
        # One overload per model type, generated from the spec (imagineo_api.call_signatures), then the untyped
        # forms: one mapping or a generated input model. At run time `generate` is `_generate` below.
        generate: Generate[Result]

    def __init__(self, client: ImagineoAIClient) -> None:
        self._client = client

    @functools.cached_property
    def with_raw_response(self) -> ImagesWithRawResponse:
        """The same calls, returning the raw answer (headers, status, request id; ``.parse()`` for the result)."""
        return ImagesWithRawResponse(self)

    def _generate(
        self,
        input: object = None,
        /,
        *,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> Result:
        """Start a generation (or edit) run and wait for its result.

        Give the fields as keyword arguments, as one mapping (like the TypeScript SDK's ``generate(input)``), or as
        a generated ``imagineo_api.models`` input model. Returns the result (``.image_url``), or None when the API
        answers 204. Raises ImagineoValidationError before sending anything when the input breaks the spec, and an
        APIError subclass for network and API errors.
        """
        return parse(self._send(input, params, timeout, max_retries, extra_headers, extra_body, idempotency_key))

    def _send(
        self,
        input: object,
        params: dict[str, Any],
        timeout: TimeoutTypes,
        max_retries: int | None,
        extra_headers: Mapping[str, str] | None,
        extra_body: Mapping[str, Any] | None,
        idempotency_key: str | None,
    ) -> httpx.Response:
        """Build, send (with retries) and read one call's answer, whatever its status."""
        client = self._client
        settings = client._settings
        request = settings.build(client._http, input, params, timeout, extra_headers, extra_body, idempotency_key)
        retries = settings.max_retries if max_retries is None else _check_retries(max_retries)
        return _transport.send(client._http, request, retries, settings.limits)

    if not TYPE_CHECKING:
        generate = _generate

    def download(
        self,
        result: _generated.GenerateImageOutput | None,
        dest: str | os.PathLike[str],
        *,
        max_bytes: int = _download.DEFAULT_MAX_IMAGE_BYTES,
        progress: _download.Progress | None = None,
        timeout: float | httpx.Timeout | None = _download.DEFAULT_DOWNLOAD_TIMEOUT,
        attempt_timeout: float | None = _download.DEFAULT_DOWNLOAD_ATTEMPT_TIMEOUT,
        http_client: httpx.Client | None = None,
    ) -> list[Path]:
        """Save every image of `result` to disk, atomically; returns the paths written, in the result's order.

        One image is saved as `dest`; several as ``<stem>-1<suffix>``, ``<stem>-2<suffix>``... beside it (in it
        when `dest` is a directory). Fetched through the transport of `http_client`, else of the client's own httpx
        client (its proxies, mTLS or custom transport), never with the API key nor that client's headers;
        `max_bytes` caps each image (default 64 MiB); ``progress(index, bytes_done, bytes_total)`` is called as
        bytes arrive. Raises DownloadError (a body that is not an image included), and no file is left half
        written. The details: `imagineo._download`.
        """
        return _download.download(
            result,
            dest,
            max_bytes=max_bytes,
            progress=progress,
            timeout=timeout,
            attempt_timeout=attempt_timeout,
            http_client=self._client._http if http_client is None else http_client,
        )


class AsyncImages:
    """``client.images`` of the async client."""

    if TYPE_CHECKING:
        generate: AsyncGenerate[Result]

    def __init__(self, client: AsyncImagineoAIClient) -> None:
        self._client = client

    @functools.cached_property
    def with_raw_response(self) -> AsyncImagesWithRawResponse:
        """The same calls, returning the raw answer (headers, status, request id; ``await .parse()`` for the result)."""
        return AsyncImagesWithRawResponse(self)

    async def _generate(
        self,
        input: object = None,
        /,
        *,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> Result:
        """The async twin of `Images.generate`."""
        options = (timeout, max_retries, extra_headers, extra_body, idempotency_key)
        return parse(await self._send(input, params, *options))

    async def _send(
        self,
        input: object,
        params: dict[str, Any],
        timeout: TimeoutTypes,
        max_retries: int | None,
        extra_headers: Mapping[str, str] | None,
        extra_body: Mapping[str, Any] | None,
        idempotency_key: str | None,
    ) -> httpx.Response:
        """Build, send (with retries) and read one call's answer, whatever its status."""
        client = self._client
        settings = client._settings
        request = settings.build(client._http, input, params, timeout, extra_headers, extra_body, idempotency_key)
        retries = settings.max_retries if max_retries is None else _check_retries(max_retries)
        return await _transport.send_async(client._http, request, retries, settings.limits)

    if not TYPE_CHECKING:
        generate = _generate

    async def download(
        self,
        result: _generated.GenerateImageOutput | None,
        dest: str | os.PathLike[str],
        *,
        max_bytes: int = _download.DEFAULT_MAX_IMAGE_BYTES,
        progress: _download.Progress | None = None,
        timeout: float | httpx.Timeout | None = _download.DEFAULT_DOWNLOAD_TIMEOUT,
        attempt_timeout: float | None = _download.DEFAULT_DOWNLOAD_ATTEMPT_TIMEOUT,
        http_client: httpx.AsyncClient | None = None,
    ) -> list[Path]:
        """The async twin of `Images.download`."""
        return await _download.download_async(
            result,
            dest,
            max_bytes=max_bytes,
            progress=progress,
            timeout=timeout,
            attempt_timeout=attempt_timeout,
            http_client=self._client._http if http_client is None else http_client,
        )
