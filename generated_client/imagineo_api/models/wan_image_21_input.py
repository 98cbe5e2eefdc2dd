from __future__ import annotations

from collections.abc import Mapping
from typing import (
    Any,
    Literal,
    Self,
    TypeVar,
    cast,
)
from uuid import UUID

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="WanImage21Input")


@_attrs_define
class WanImage21Input:
    """WAN Image 2.1, for fine-tuned models and LoRAs.

    Attributes:
        prompt (str): The text prompt (not empty).
        model_type (Literal['wan-image-2.1']): Selects WAN Image 2.1.
        model_id (UUID): UUID of the fine-tuned model.
        width (int): Size in pixels, 64 to 2048.
        height (int): Size in pixels, 64 to 2048.
        strength_model (float | Unset): Model (LoRA) strength, 0 to 2. Default: 1.0.
        model_weight (float | Unset): Model weight, 0 to 1. Default: 0.7.
        guidance (float | Unset): Guidance scale, 0 to 100. Default: 7.5.
    """

    prompt: str
    model_type: Literal["wan-image-2.1"]
    model_id: UUID
    width: int
    height: int
    strength_model: float | Unset = 1.0
    model_weight: float | Unset = 0.7
    guidance: float | Unset = 7.5

    def to_dict(self) -> dict[str, Any]:
        prompt = self.prompt

        model_type = self.model_type

        model_id = str(self.model_id)

        width = self.width

        height = self.height

        strength_model = self.strength_model

        model_weight = self.model_weight

        guidance = self.guidance

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "prompt": prompt,
                "model_type": model_type,
                "model_id": model_id,
                "width": width,
                "height": height,
            }
        )
        if strength_model is not UNSET:
            field_dict["strength_model"] = strength_model
        if model_weight is not UNSET:
            field_dict["model_weight"] = model_weight
        if guidance is not UNSET:
            field_dict["guidance"] = guidance

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        prompt = d.pop("prompt")
        if not isinstance(prompt, str):
            raise TypeError("prompt: Input should be a valid string")

        model_type = cast(Literal["wan-image-2.1"], d.pop("model_type"))
        if model_type != "wan-image-2.1":
            raise ValueError(
                f"model_type must match const 'wan-image-2.1', got '{model_type}'"
            )

        model_id = UUID(d.pop("model_id"))

        width = d.pop("width")

        height = d.pop("height")

        strength_model = d.pop("strength_model", UNSET)

        model_weight = d.pop("model_weight", UNSET)

        guidance = d.pop("guidance", UNSET)

        wan_image_21_input = cls(
            prompt=prompt,
            model_type=model_type,
            model_id=model_id,
            width=width,
            height=height,
            strength_model=strength_model,
            model_weight=model_weight,
            guidance=guidance,
        )

        return wan_image_21_input
