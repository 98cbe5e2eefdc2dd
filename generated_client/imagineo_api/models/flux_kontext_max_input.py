from __future__ import annotations

from collections.abc import Mapping
from typing import (
    Any,
    Literal,
    Self,
    TypeVar,
    cast,
)

from attrs import define as _attrs_define

from ..models.flux_kontext_max_input_aspect_ratio import (
    FluxKontextMaxInputAspectRatio,
    check_flux_kontext_max_input_aspect_ratio,
)
from ..types import UNSET, Unset

T = TypeVar("T", bound="FluxKontextMaxInput")


@_attrs_define
class FluxKontextMaxInput:
    """Flux Kontext Max, advanced high-quality generation.

    Attributes:
        prompt (str): The text prompt (not empty).
        model_type (Literal['flux-kontext-max']): Selects Flux Kontext Max.
        aspect_ratio (FluxKontextMaxInputAspectRatio | Unset): Aspect ratio of the generated image. Default: '1:1'.
        seed (int | Unset): Random seed for reproducible results, 0 to 2^53 - 1. The upper bound is the largest integer
            every client can
            send and read back exactly (JavaScript's Number.MAX_SAFE_INTEGER); a larger seed would be silently rounded.
    """

    prompt: str
    model_type: Literal["flux-kontext-max"]
    aspect_ratio: FluxKontextMaxInputAspectRatio | Unset = "1:1"
    seed: int | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        prompt = self.prompt

        model_type = self.model_type

        aspect_ratio: str | Unset = UNSET
        if not isinstance(self.aspect_ratio, Unset):
            aspect_ratio = self.aspect_ratio

        seed = self.seed

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "prompt": prompt,
                "model_type": model_type,
            }
        )
        if aspect_ratio is not UNSET:
            field_dict["aspect_ratio"] = aspect_ratio
        if seed is not UNSET:
            field_dict["seed"] = seed

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        prompt = d.pop("prompt")
        if not isinstance(prompt, str):
            raise TypeError("prompt: Input should be a valid string")

        model_type = cast(Literal["flux-kontext-max"], d.pop("model_type"))
        if model_type != "flux-kontext-max":
            raise ValueError(
                f"model_type must match const 'flux-kontext-max', got '{model_type}'"
            )

        _aspect_ratio = d.pop("aspect_ratio", UNSET)
        aspect_ratio: FluxKontextMaxInputAspectRatio | Unset
        if isinstance(_aspect_ratio, Unset):
            aspect_ratio = UNSET
        else:
            aspect_ratio = check_flux_kontext_max_input_aspect_ratio(_aspect_ratio)

        seed = d.pop("seed", UNSET)

        flux_kontext_max_input = cls(
            prompt=prompt,
            model_type=model_type,
            aspect_ratio=aspect_ratio,
            seed=seed,
        )

        return flux_kontext_max_input
