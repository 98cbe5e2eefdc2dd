"""Reading an answer: the result (`parse`), and the raw answer of ``images.with_raw_response.generate``.

As in openai-python, ``client.images.with_raw_response.generate(...)`` takes exactly the arguments of
``images.generate`` (the same generated per-model overloads, `Generate[APIResponse[Result]]`) and returns an
`APIResponse` (`AsyncAPIResponse` for the async client, whose ``parse()``, ``read()``, ``text()`` and ``json()`` are
awaited) instead of the result:

* ``.headers``, ``.status_code``, ``.http_request``, ``.url``, ``.method``, ``.http_version``, ``.elapsed``,
  ``.request_id`` (the ``x-request-id`` header; also reachable this way for a 204, whose result is None), and
  ``.http_response``, the httpx.Response itself;
* ``.parse()``: what ``images.generate`` would have returned (parsed once, then cached).

An error status raises the same APIStatusError subclass as ``images.generate`` (it carries ``.response``,
``.status_code`` and ``.request_id``); a 2xx body that is not the documented JSON raises APIResponseValidationError
from ``.parse()``, so its headers stay readable. The answer has been read (bounded by max_response_bytes) and the
connection released before the raw response is returned: nothing needs closing. The API key is not in the headers
(the transport redacts an echoed key) nor in ``repr()``.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar

import httpx

from ._exceptions import APIResponseValidationError, _request_id, status_error

if TYPE_CHECKING:
    from imagineo_api.errors import ResponseValidationError

    from ._client import AsyncImages, Images
    from ._result import GenerateImageOutput
    from ._types import AsyncGenerate, Generate, TimeoutTypes

    Result: TypeAlias = GenerateImageOutput | None

__all__ = ["APIResponse", "AsyncAPIResponse", "AsyncImagesWithRawResponse", "ImagesWithRawResponse"]

R = TypeVar("R")


@functools.cache
def _response_parsing() -> tuple[type[ResponseValidationError], Callable[..., Any], Any, Callable[..., Any]]:
    """The generated parser's error for a broken body, the parser and its client, and the overlay's result maker."""
    from imagineo_api.api.runs.generate_run import _parse_response
    from imagineo_api.client import Client
    from imagineo_api.errors import ResponseValidationError

    from ._result import with_request_id

    context = Client(base_url="http://parse-context.invalid", raise_on_unexpected_status=True)
    return ResponseValidationError, _parse_response, context, with_request_id


def parse(response: httpx.Response) -> Result:
    """204 -> None; 200 -> `GenerateImageOutput` (the generated parser's, with ``_request_id``); else a typed error."""
    status = response.status_code
    if status == 204:
        return None
    if not 200 <= status < 300:
        raise status_error(response)
    if status != 200:
        raise APIResponseValidationError(
            response, response.text, f"Undocumented success status {status}; the API documents 200 and 204"
        )
    invalid, parse_response, context, with_request_id = _response_parsing()
    try:
        # The generated parser checks the body (JSON, an object, each field's type, no null) and raises its
        # ResponseValidationError, whose reason and body (the JSON, else the text) are this error's.
        parsed = parse_response(client=context, response=response)
    except invalid as exc:
        raise APIResponseValidationError(response, exc.body, exc.reason) from None
    result: GenerateImageOutput = with_request_id(parsed, _request_id(response))
    return result


class _BaseAPIResponse(Generic[R]):
    """What the sync and async raw responses share: the answer's metadata, read without parsing the body."""

    http_response: httpx.Response
    """The httpx.Response (already read; its body is bounded by max_response_bytes)."""

    def __init__(self, response: httpx.Response, parser: Callable[[httpx.Response], R]) -> None:
        self.http_response = response
        self._parser = parser
        self._parsed: list[R] = []

    @property
    def headers(self) -> httpx.Headers:
        """The answer's headers (rate limits, ``x-request-id``...), case-insensitive."""
        return self.http_response.headers

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def http_request(self) -> httpx.Request:
        """The request as sent (its last attempt); its ``Authorization`` header holds the key: do not log it whole."""
        return self.http_response.request

    @property
    def url(self) -> httpx.URL:
        return self.http_response.url

    @property
    def method(self) -> str:
        return self.http_request.method

    @property
    def http_version(self) -> str:
        return self.http_response.http_version

    @property
    def elapsed(self) -> datetime.timedelta:
        """From sending the (last) request to the end of the answer."""
        return self.http_response.elapsed

    @property
    def request_id(self) -> str | None:
        """The ``x-request-id`` header (None when absent): quote it when reporting a problem to the API's team."""
        return _request_id(self.http_response)

    @property
    def content(self) -> bytes:
        """The body, as bytes."""
        return self.http_response.content

    def _parse(self) -> R:
        if not self._parsed:
            self._parsed.append(self._parser(self.http_response))
        return self._parsed[0]

    def __repr__(self) -> str:
        status = f"{self.http_response.status_code} {self.http_response.reason_phrase}"
        return f"<{type(self).__name__} [{status}] request_id={self.request_id!r}>"


class APIResponse(_BaseAPIResponse[R]):
    """The raw answer of ``images.with_raw_response.generate`` (see the module's docstring)."""

    def parse(self) -> R:
        """What ``images.generate`` returns for this answer: the result (with ``_request_id``), or None for a 204.

        Raises APIResponseValidationError when the body is not the documented JSON. Parsed once, then cached."""
        return self._parse()

    def read(self) -> bytes:
        return self.http_response.content

    def text(self) -> str:
        return self.http_response.text

    def json(self) -> object:
        """The body parsed as JSON (not checked against the spec; ``parse()`` checks)."""
        value: object = self.http_response.json()
        return value


class AsyncAPIResponse(_BaseAPIResponse[R]):
    """The raw answer of the async client's ``images.with_raw_response.generate``; read methods are awaited."""

    async def parse(self) -> R:
        """What ``await images.generate`` returns for this answer (see `APIResponse.parse`)."""
        return self._parse()

    async def read(self) -> bytes:
        return self.http_response.content

    async def text(self) -> str:
        return self.http_response.text

    async def json(self) -> object:
        value: object = self.http_response.json()
        return value


def _checked(response: httpx.Response) -> httpx.Response:
    """An error status raises here, as for ``images.generate``; any 2xx is returned for the caller to read."""
    if not 200 <= response.status_code < 300:
        raise status_error(response)
    return response


class ImagesWithRawResponse:
    """``client.images.with_raw_response``: the same calls, returning an `APIResponse` around the result."""

    if TYPE_CHECKING:
        # The generated overloads of images.generate, returning the raw response (imagineo_api.call_signatures).
        generate: Generate[APIResponse[Result]]

    def __init__(self, images: Images) -> None:
        self._images = images

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
    ) -> APIResponse[Result]:
        options = (timeout, max_retries, extra_headers, extra_body, idempotency_key)
        return APIResponse(_checked(self._images._send(input, params, *options)), parse)

    if not TYPE_CHECKING:
        generate = _generate


class AsyncImagesWithRawResponse:
    """``client.images.with_raw_response`` of the async client: `AsyncAPIResponse`, awaited like the call."""

    if TYPE_CHECKING:
        generate: AsyncGenerate[AsyncAPIResponse[Result]]

    def __init__(self, images: AsyncImages) -> None:
        self._images = images

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
    ) -> AsyncAPIResponse[Result]:
        options = (timeout, max_retries, extra_headers, extra_body, idempotency_key)
        return AsyncAPIResponse(_checked(await self._images._send(input, params, *options)), parse)

    if not TYPE_CHECKING:
        generate = _generate
