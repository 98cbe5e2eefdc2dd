"""Every error the SDK raises, in one place.

    ImagineoError
    ├── ImagineoValidationError (also a ValueError)   bad input, raised before anything is sent
    ├── DownloadError                                  an image of a result could not be saved (images.download)
    └── APIError
        ├── APIConnectionError                         the request never got an HTTP answer
        │   └── APITimeoutError
        ├── APIResponseValidationError                 a 2xx answer that is not the documented JSON
        ├── APIResponseTooLargeError                   a body past max_response_bytes (any status)
        └── APIStatusError                             a non-2xx answer; one subclass per status
            ├── BadRequestError 400, AuthenticationError 401, PermissionDeniedError 403, NotFoundError 404,
            ├── ConflictError 409, UnprocessableEntityError 422, RateLimitError 429
            ├── InternalServerError >= 500
            └── one class per other 4xx status the spec documents, named by generator/catalog.py from the
                spec's response (413 PayloadTooLarge -> PayloadTooLargeError; imagineo_api.catalog.ERRORS):
                `documented_error_classes`

No message here ever contains the API key: messages are built from the status, the server's error text and the
request id, never from request headers, and every APIError redacts the key its request was sent with (the
``Authorization`` header's token, and that header whole) from its message, ``body`` and ``request_id``: a server or
proxy that echoes the header back gets ``[REDACTED]`` in its place. The transport does the same to each answer's
bytes and headers before anything reads them (`redact_response`), so ``.response.text`` is redacted too.

No message here is unbounded either: a message quotes at most `MAX_EXCERPT` characters of what a server sent
(`excerpt`), and an APIError or DownloadError message is cut at `MAX_MESSAGE`; the whole body stays on ``.body``
and ``.response``.
"""

from __future__ import annotations

import functools
import reprlib
from typing import Any

import httpx

from ._redact import redact, redact_value, secrets_of_request

__all__ = [
    "MAX_EXCERPT",
    "MAX_MESSAGE",
    "APIConnectionError",
    "APIError",
    "APIResponseTooLargeError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "DownloadError",
    "FieldError",
    "ImagineoError",
    "ImagineoValidationError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
    "documented_error_classes",
    "excerpt",
    "request_id",
    "safe_repr",
    "status_error",
]

#: The most characters of server text (an error body, its ``error`` field) a message quotes.
MAX_EXCERPT = 2048
#: The longest message an APIError or DownloadError carries (the excerpt plus the SDK's own words around it).
MAX_MESSAGE = 4096


def excerpt(text: str, limit: int = MAX_EXCERPT) -> str:
    """`text` cut to `limit` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters not shown)"


def safe_repr(value: object, limit: int = 60) -> str:
    """A short repr for messages that never raises: deep values are elided and a raising __repr__ is named."""
    try:
        shown = _REPR.repr(value)
    except Exception:
        shown = f"<{_type_name(value)} object whose repr() failed>"
    if len(shown) > limit:
        shown = shown[: limit - 3] + "..."
    return shown


def _type_name(value: object) -> str:
    try:
        return str(type.__dict__["__qualname__"].__get__(type(value)))
    except Exception:
        return "object"


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 3, 50, 50


class ImagineoError(Exception):
    """Base class of every error raised by this SDK."""


class FieldError(dict[str, str]):
    """One validation problem: ``{"field": ..., "message": ...}`` (a dict, so it serialises as given)."""

    @property
    def field(self) -> str:
        return self["field"]

    @property
    def message(self) -> str:
        return self["message"]


class ImagineoValidationError(ImagineoError, ValueError):
    """The input breaks the API contract; nothing was sent.

    ``errors`` lists every problem found (not just the first) as ``{"field", "message"}`` dicts; the message names
    the model type, each field, the rule it breaks and the value given.
    """

    def __init__(self, model_type: str | None, errors: list[FieldError]) -> None:
        self.model_type: str | None = model_type
        self.errors: list[FieldError] = errors
        where = f" for model_type {model_type!r}" if model_type else ""
        count = f"{len(errors)} problem{'s' if len(errors) != 1 else ''}"
        lines = "\n".join(f"  - {e.field}: {e.message}" for e in errors)
        super().__init__(f"Invalid input{where} ({count}); nothing was sent:\n{lines}")


class DownloadError(ImagineoError):
    """An image of a result could not be saved (``client.images.download``); no file of the call was left half
    written. The message says why and names the image by its URL without the query string (signed URLs carry
    their signature there); ``url`` is the whole URL, ``index`` its position in the result (0-based, None when the
    failure is not one image's), ``status_code`` the image host's HTTP status when it answered with an error."""

    def __init__(
        self, message: str, *, url: str | None = None, index: int | None = None, status_code: int | None = None
    ) -> None:
        message = excerpt(message, MAX_MESSAGE)
        super().__init__(message)
        self.message = message
        self.url = url
        self.index = index
        self.status_code = status_code


class APIError(ImagineoError):
    """An error talking to the API: no answer, a bad answer, or an error status."""

    def __init__(self, message: str, request: httpx.Request | None, *, body: object | None = None) -> None:
        secrets = secrets_of_request(request)
        message = excerpt(redact(message, secrets), MAX_MESSAGE)
        body = redact_value(body, secrets)
        super().__init__(message)
        self.message: str = message
        self.request: httpx.Request | None = request
        self.body: object | None = body


class APIConnectionError(APIError):
    """The request did not get an HTTP answer (refused, reset, DNS, TLS...), after all retries."""

    def __init__(self, request: httpx.Request | None, message: str = "Connection error.") -> None:
        super().__init__(message, request)


class APITimeoutError(APIConnectionError):
    """The request timed out, after all retries."""

    def __init__(self, request: httpx.Request | None, message: str = "Request timed out.") -> None:
        super().__init__(request, message)


def request_id(response: httpx.Response) -> str | None:
    value: str | None = response.headers.get("x-request-id")
    if value is not None:
        value = redact(value, secrets_of_request(response.request))
    return value


class APIResponseTooLargeError(APIError):
    """The answer's body is larger than ``max_response_bytes`` (as received, or once decompressed); it was not read
    further and the call is not retried. ``limit`` is the cap, ``status_code`` / ``request_id`` / ``response`` (its
    body not read) tell which answer it was."""

    def __init__(self, response: httpx.Response, limit: int, what: str) -> None:
        message = (
            f"The API's {response.status_code} answer {what}, past the SDK's limit of {limit} bytes "
            "(max_response_bytes); it was not read further"
        )
        super().__init__(message, response.request)
        self.response: httpx.Response = response
        self.status_code: int = response.status_code
        self.request_id: str | None = request_id(response)
        self.limit: int = limit


class APIResponseValidationError(APIError):
    """The API answered 2xx but the body is not the documented JSON (not JSON, truncated, missing fields...)."""

    def __init__(self, response: httpx.Response, body: object | None, message: str) -> None:
        super().__init__(message, response.request, body=body)
        self.response: httpx.Response = response
        self.status_code: int = response.status_code
        self.request_id: str | None = request_id(response)


class APIStatusError(APIError):
    """The API answered with a non-2xx status.

    ``status_code``, ``response``, ``body`` (the parsed JSON, or the raw text when it is not JSON) and
    ``request_id`` (from the ``x-request-id`` header) tell what happened.
    """

    def __init__(self, message: str, *, response: httpx.Response, body: object | None) -> None:
        super().__init__(message, response.request, body=body)
        self.response: httpx.Response = response
        self.status_code: int = response.status_code
        self.request_id: str | None = request_id(response)


class BadRequestError(APIStatusError):
    """400"""


class AuthenticationError(APIStatusError):
    """401"""


class PermissionDeniedError(APIStatusError):
    """403"""


class NotFoundError(APIStatusError):
    """404"""


class ConflictError(APIStatusError):
    """409: e.g. an Idempotency-Key reused with a different body."""


class UnprocessableEntityError(APIStatusError):
    """422: the server rejected the input."""


class RateLimitError(APIStatusError):
    """429"""


class InternalServerError(APIStatusError):
    """Any status >= 500."""


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


@functools.cache
def documented_error_classes() -> dict[int, type[APIStatusError]]:
    """status -> error class, for each 4xx status the spec documents that has no class above (every status >= 500
    is an InternalServerError, whatever the spec documents).

    The class is made here, from its name in ``imagineo_api.catalog.ERRORS`` (the spec's response name plus
    ``Error``), so a status the spec adds gets its own class after ``make generate`` with no hand edit; ``imagineo``
    exports it by that name. Such a status is never retried (the transport retries 408, 429, 5xx and the 409 of a
    key still in progress)."""
    from imagineo_api import catalog

    known = {cls.__name__: cls for cls in (*_STATUS_CLASSES.values(), InternalServerError, APIStatusError)}
    made: dict[int, type[APIStatusError]] = {}
    for status, info in catalog.ERRORS.items():
        if status in _STATUS_CLASSES or status >= 500:
            continue
        name = info["class_name"]
        cls = known.get(name)
        if cls is None:
            base = APIStatusError
            doc = f"{status}: {info['description']}" if info.get("description") else f"The API answered {status}."
            cls = type(name, (base,), {"__doc__": doc, "__module__": "imagineo"})
            known[name] = cls
        made[status] = cls
    return made


def status_error(response: httpx.Response) -> APIStatusError:
    """The exception for a non-2xx response: the right class, its parsed body and a message from the server."""
    body: Any
    try:
        body = response.json()
    except (ValueError, RecursionError):  # not JSON, or nested too deeply for Python's json
        body = response.text
    detail: object = None
    if isinstance(body, dict):
        detail = body.get("error") or body.get("message")
        if isinstance(detail, dict):  # {"error": {"message": ...}} style
            detail = detail.get("message")
        if detail:
            detail = excerpt(str(detail))
    elif isinstance(body, str) and body.strip():
        detail = body.strip()[:200]
    cls = _STATUS_CLASSES.get(response.status_code) or documented_error_classes().get(response.status_code)
    if cls is None:
        cls = InternalServerError if response.status_code >= 500 else APIStatusError
    message = f"Error code: {response.status_code}"
    if detail:
        message += f" - {detail}"
    rid = request_id(response)
    if rid:
        message += f" (request id: {rid})"
    return cls(message, response=response, body=body)
