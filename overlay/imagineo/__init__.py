"""Python SDK for the ImagineoAI image-generation API.

    from imagineo import ImagineoAIClient

    client = ImagineoAIClient("https://api.example.com", api_key="sk-...")
    result = client.images.generate(prompt="A cat in a spacesuit", width=512, height=512)  # the default model type
    if result is not None:
        print(result.image_url)

Where things live: the public surface (resources, one method per operation of the spec, their typed overloads, the
result classes and ``APIResponse``) is generated from the spec into ``imagineo_api`` (`resources`, `results`,
`response`); this package holds the behaviour: `_client` (the two clients), `_base_client` (the one request
pipeline every method runs), `_models` (aliases, defaults, validation), `_transport` (timeouts, retries,
idempotency), `_response` (results and typed errors from answers), `_exceptions` (every error). The generated
modules are imported on first use, so ``import imagineo`` costs little more than ``import httpx``.

Results: ``images.generate`` returns `GenerateImageOutput` (``imagineo_api.results``: absent optional fields are
None, unknown ones in ``additional_properties``, ``_request_id`` the answer's ``x-request-id``) or None for a 204;
``images.with_raw_response.generate`` returns an `APIResponse` (headers, status, request id, ``.parse()``).
`API_VERSION` is the version of the API's spec the SDK was generated from (also sent in the User-Agent).
"""

from typing import TYPE_CHECKING, Any

from imagineo_api.catalog import SPEC_VERSION as API_VERSION

from ._client import (
    DEFAULT_ATTEMPT_TIMEOUT,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    AsyncImagineoAIClient,
    ImagineoAIClient,
)
from ._download import DEFAULT_MAX_IMAGE_BYTES
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseTooLargeError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DownloadError,
    FieldError,
    ImagineoError,
    ImagineoValidationError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from ._models import DEFAULT_MODEL_TYPE, MODEL_DEFAULTS, MODEL_TYPES
from ._version import __version__

if TYPE_CHECKING:
    from imagineo_api.response import APIResponse, AsyncAPIResponse
    from imagineo_api.results import GenerateImageOutput


def __getattr__(name: str) -> Any:
    """The generated names (results, raw responses) and the error classes of the spec's other error statuses,
    imported on first use: ``import imagineo`` loads none of them."""
    if name in ("APIResponse", "AsyncAPIResponse"):
        from imagineo_api import response

        return getattr(response, name)
    from imagineo_api import catalog

    if name in catalog.RESULTS:
        from imagineo_api import results

        return getattr(results, name)
    from ._exceptions import documented_error_classes

    for cls in documented_error_classes().values():
        if cls.__name__ == name:
            return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "API_VERSION",
    "DEFAULT_ATTEMPT_TIMEOUT",
    "DEFAULT_MAX_IMAGE_BYTES",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MODEL_TYPE",
    "DEFAULT_TIMEOUT",
    "MODEL_DEFAULTS",
    "MODEL_TYPES",
    "APIConnectionError",
    "APIError",
    "APIResponse",
    "APIResponseTooLargeError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncAPIResponse",
    "AsyncImagineoAIClient",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "DownloadError",
    "FieldError",
    "GenerateImageOutput",
    "ImagineoAIClient",
    "ImagineoError",
    "ImagineoValidationError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
    "__version__",
]
