"""Contains shared errors types that can be raised from API functions"""

from typing import Any

import httpx


class UnexpectedStatus(Exception):
    """Raised by api functions when the response status an undocumented status and Client.raise_on_unexpected_status is True,
    and always for a status outside http.HTTPStatus (e.g. 520, 299), which Response.status_code cannot hold"""

    def __init__(self, status_code: int, content: bytes):
        self.status_code = status_code
        self.content = content

        super().__init__(
            f"Unexpected status code: {status_code}\n\nResponse content:\n{content.decode(errors='ignore')}"
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
        except PARSE_ERRORS:
            text = response.text
            what = "an empty body" if not text.strip() else "a body that is not JSON"
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
            f"The API's {status} body does not match {schema}: {problem}",
            body,
        )


#: What parsing a body can raise: not JSON (json.JSONDecodeError, UnicodeDecodeError: ValueError), nested too deep
#: (RecursionError), or not matching the schema (a model's from_dict: KeyError, TypeError, ValueError).
PARSE_ERRORS = (ValueError, TypeError, KeyError, AttributeError, RecursionError)

__all__ = ["PARSE_ERRORS", "ResponseValidationError", "UnexpectedStatus"]
