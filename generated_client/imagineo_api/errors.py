"""Contains shared errors types that can be raised from API functions"""

import sys
from typing import Any

import httpx

#: The most characters of a body (or of a parser's complaint about it) an exception message quotes; the whole body
#: stays on the exception's ``content`` (and ``body``), so a 50 MB answer never becomes a 50 MB message.
MAX_EXCERPT = 2048


def excerpt(text: str, limit: int = MAX_EXCERPT) -> str:
    """`text` cut to `limit` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters not shown)"


def _content_excerpt(content: bytes) -> str:
    shown = content[: MAX_EXCERPT * 4].decode(
        errors="ignore"
    )  # at most 4 bytes a character: enough to cut from
    if len(content) > MAX_EXCERPT * 4 or len(shown) > MAX_EXCERPT:
        return f"{shown[:MAX_EXCERPT]}... ({len(content)} bytes in all; the whole body is .content)"
    return shown


def _too_many_digits(exc: BaseException) -> bool:
    """Whether json refused the body for an integer longer than Python reads (sys.get_int_max_str_digits())."""
    return type(exc) is ValueError and "integer string conversion" in str(exc)


class UnexpectedStatus(Exception):
    """Raised by api functions when the response status an undocumented status and Client.raise_on_unexpected_status is True,
    and always for a status outside http.HTTPStatus (e.g. 520, 299), which Response.status_code cannot hold"""

    def __init__(self, status_code: int, content: bytes):
        self.status_code = status_code
        self.content = content

        super().__init__(
            f"Unexpected status code: {status_code}\n\nResponse content:\n{_content_excerpt(content)}"
        )


class ResponseValidationError(Exception):
    """Raised by api functions when a documented success status comes with a body that is empty, not JSON, or does not
    match its schema (a required field missing, a field of the wrong type, not an object).

    Attributes:
        status_code: The response's status code.
        content: The raw body.
        body: The decoded JSON value if the body is JSON, else its text.
        reason: What is wrong, e.g. "The API's 200 body does not match GenerateImageOutput: image_url: Field required".
    """

    def __init__(self, status_code: int, content: bytes, reason: str, body: Any = None):
        self.status_code = status_code
        self.content = content
        self.reason = reason
        self.body = body

        super().__init__(reason)

    @classmethod
    def from_response(
        cls, response: httpx.Response, schema: str, cause: BaseException
    ) -> "ResponseValidationError":
        """The error for `response`, whose body `cause` (raised while parsing it as `schema`) rejected."""
        status = response.status_code
        try:
            body = response.json()
        except PARSE_ERRORS as exc:
            text = response.text
            if _too_many_digits(exc):
                what = (
                    "a JSON integer too long to read (more than "
                    f"{sys.get_int_max_str_digits()} digits, Python's int max str digits limit)"
                )
            else:
                what = (
                    "an empty body" if not text.strip() else "a body that is not JSON"
                )
            return cls(
                status, response.content, f"The API answered {status} with {what}", text
            )
        problem = (
            f"{cause.args[0]}: Field required"
            if isinstance(cause, KeyError)
            else str(cause)
        )
        return cls(
            status,
            response.content,
            f"The API's {status} body does not match {schema}: {excerpt(problem)}",
            body,
        )


#: What parsing a body can raise: not JSON (json.JSONDecodeError, UnicodeDecodeError: ValueError), nested too deep
#: (RecursionError), or not matching the schema (a model's from_dict: KeyError, TypeError, ValueError).
PARSE_ERRORS = (ValueError, TypeError, KeyError, AttributeError, RecursionError)

__all__ = [
    "MAX_EXCERPT",
    "PARSE_ERRORS",
    "ResponseValidationError",
    "UnexpectedStatus",
    "excerpt",
]
