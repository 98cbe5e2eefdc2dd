"""Python SDK for the ImagineoAI image-generation API.

    from imagineo import ImagineoAIClient

    client = ImagineoAIClient("https://api.example.com", api_key="sk-...")
    result = client.images.generate(prompt="A cat in a spacesuit", width=512, height=512)  # the default model type
    if result is not None:
        print(result.image_url)

Where things live: `_client` (the public surface and the order of one call), `_models` (the model rules: aliases,
defaults, validation), `_transport` (timeouts, retries, idempotency), `_exceptions` (every error). The request and
response models and the endpoint come from the generated `imagineo_api` package, which is imported on first use
(constructing a client, or reading `imagineo.GenerateImageOutput`), so ``import imagineo`` costs little more than
``import httpx``.

Results: ``images.generate`` returns `GenerateImageOutput` (the generated model plus ``_request_id``, the answer's
``x-request-id``; see `_result`) or None for a 204; ``images.with_raw_response.generate`` returns an `APIResponse`
(headers, status, request id, ``.parse()``; `_response`).
"""

from typing import TYPE_CHECKING, Any

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
from ._response import APIResponse, AsyncAPIResponse
from ._version import __version__

if TYPE_CHECKING:
    from ._result import GenerateImageOutput


def __getattr__(name: str) -> Any:
    if name == "GenerateImageOutput":
        from ._result import GenerateImageOutput

        return GenerateImageOutput
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
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
