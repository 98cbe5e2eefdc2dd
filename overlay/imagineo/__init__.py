"""Python SDK for the ImagineoAI image-generation API.

    from imagineo import ImagineoAIClient

    client = ImagineoAIClient("https://api.example.com", api_key="sk-...")
    result = client.images.generate(prompt="A cat in a spacesuit", model_type="flux-dev", width=512, height=512)
    if result is not None:
        print(result.image_url)

Where things live: `_client` (the public surface and the order of one call), `_models` (the model rules: aliases,
defaults, validation), `_transport` (timeouts, retries, idempotency), `_exceptions` (every error). The request and
response models and the endpoint come from the generated `imagineo_api` package.
"""

from imagineo_api.models import GenerateImageOutput

from ._client import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, AsyncImagineoAIClient, ImagineoAIClient
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
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

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MODEL_TYPE",
    "DEFAULT_TIMEOUT",
    "MODEL_DEFAULTS",
    "MODEL_TYPES",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncImagineoAIClient",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
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
