"""Typed keyword arguments for ``images.generate``: one TypedDict per model type, from the generated TypedDicts.

``imagineo_api.typed_dicts`` is generated from the spec (datamodel-code-generator), so the required and optional
fields of each model type come from the spec. Each ``*Params`` class adds the per-call options to one of them, and
``images.generate`` has one overload per model type: a type checker flags a missing required field, or a field the
model does not take, for a given ``model_type`` literal.

`DefaultModelParams` is the one hand-written shape: Flux Dev's fields without ``model_type`` (omitted, it defaults
to "flux-dev"); tests/test_overlay_models.py checks it against the spec. The aliases ``reference_url`` and
``workflow_type`` work at run time but are not in these types, so a type checker steers code to the spec's names.
"""

# No `from __future__ import annotations` here: on 3.11 it hides Required[...] from TypedDict.__required_keys__.
from collections.abc import Mapping
from typing import Any, Required, TypeAlias, TypedDict

import httpx
from imagineo_api import typed_dicts as td

__all__ = [
    "DefaultModelParams",
    "FluxDevParams",
    "FluxKontextMaxParams",
    "FluxKontextMultiParams",
    "GoogleImagen4Params",
    "NanobananaParams",
    "OpenAIParams",
    "QwenImageEditParams",
    "RequestOptions",
    "TimeoutTypes",
    "WanImage21Params",
    "WanImage22Params",
]

TimeoutTypes: TypeAlias = float | httpx.Timeout | None


class RequestOptions(TypedDict, total=False):
    """Per-call options, accepted by every ``generate`` call beside the model's fields."""

    timeout: TimeoutTypes
    """Overrides the client's timeout for this call (seconds, or an httpx.Timeout)."""
    max_retries: int
    """Overrides the client's max_retries for this call."""
    extra_headers: Mapping[str, str]
    """Headers added to (or overriding) the SDK's own for this call."""
    extra_body: Mapping[str, Any]
    """Fields the SDK does not know yet, merged into the JSON body as given (not validated)."""
    idempotency_key: str
    """The Idempotency-Key for this call (default: a fresh UUID4, the same on every retry)."""


class DefaultModelParams(RequestOptions, total=False):
    """Flux Dev, selected by leaving ``model_type`` out."""

    prompt: Required[str]
    width: int
    height: int
    reference_image_url: str


class FluxDevParams(td.FluxDevInput, RequestOptions):
    pass


class OpenAIParams(td.OpenAIInput, RequestOptions):
    pass


class GoogleImagen4Params(td.GoogleImagen4Input, RequestOptions):
    pass


class FluxKontextMaxParams(td.FluxKontextMaxInput, RequestOptions):
    pass


class FluxKontextMultiParams(td.FluxKontextMultiInput, RequestOptions):
    pass


class WanImage21Params(td.WanImage21Input, RequestOptions):
    pass


class WanImage22Params(td.WanImage22Input, RequestOptions):
    pass


class NanobananaParams(td.NanobananaInput, RequestOptions):
    pass


class QwenImageEditParams(td.QwenImageEditInput, RequestOptions):
    pass
