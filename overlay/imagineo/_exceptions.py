"""Every error the SDK raises, in one place.

    ImagineoError
    ├── ImagineoValidationError (also a ValueError)   bad input, raised before anything is sent
    └── APIError
        ├── APIConnectionError                         the request never got an HTTP answer
        │   └── APITimeoutError
        ├── APIResponseValidationError                 a 2xx answer that is not the documented JSON
        └── APIStatusError                             a non-2xx answer; one subclass per status
            ├── BadRequestError 400, AuthenticationError 401, PermissionDeniedError 403, NotFoundError 404,
            ├── ConflictError 409, UnprocessableEntityError 422, RateLimitError 429
            └── InternalServerError >= 500

No message here ever contains the API key: messages are built from the status, the server's error text and the
request id, never from request headers.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "FieldError",
    "ImagineoError",
    "ImagineoValidationError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
]


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
        self.model_type = model_type
        self.errors = errors
        where = f" for model_type {model_type!r}" if model_type else ""
        count = f"{len(errors)} problem{'s' if len(errors) != 1 else ''}"
        lines = "\n".join(f"  - {e.field}: {e.message}" for e in errors)
        super().__init__(f"Invalid input{where} ({count}); nothing was sent:\n{lines}")


class APIError(ImagineoError):
    """An error talking to the API: no answer, a bad answer, or an error status."""

    def __init__(self, message: str, request: httpx.Request | None, *, body: object | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request = request
        self.body = body


class APIConnectionError(APIError):
    """The request did not get an HTTP answer (refused, reset, DNS, TLS...), after all retries."""

    def __init__(self, request: httpx.Request | None, message: str = "Connection error.") -> None:
        super().__init__(message, request)


class APITimeoutError(APIConnectionError):
    """The request timed out, after all retries."""

    def __init__(self, request: httpx.Request | None, message: str = "Request timed out.") -> None:
        super().__init__(request, message)


def _request_id(response: httpx.Response) -> str | None:
    value: str | None = response.headers.get("x-request-id")
    return value


class APIResponseValidationError(APIError):
    """The API answered 2xx but the body is not the documented JSON (not JSON, truncated, missing fields...)."""

    def __init__(self, response: httpx.Response, body: object | None, message: str) -> None:
        super().__init__(message, response.request, body=body)
        self.response = response
        self.status_code = response.status_code
        self.request_id = _request_id(response)


class APIStatusError(APIError):
    """The API answered with a non-2xx status.

    ``status_code``, ``response``, ``body`` (the parsed JSON, or the raw text when it is not JSON) and
    ``request_id`` (from the ``x-request-id`` header) tell what happened.
    """

    def __init__(self, message: str, *, response: httpx.Response, body: object | None) -> None:
        super().__init__(message, response.request, body=body)
        self.response = response
        self.status_code = response.status_code
        self.request_id = _request_id(response)


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
    elif isinstance(body, str) and body.strip():
        detail = body.strip()[:200]
    cls = _STATUS_CLASSES.get(response.status_code)
    if cls is None:
        cls = InternalServerError if response.status_code >= 500 else APIStatusError
    message = f"Error code: {response.status_code}"
    if detail:
        message += f" - {detail}"
    request_id = _request_id(response)
    if request_id:
        message += f" (request id: {request_id})"
    return cls(message, response=response, body=body)
