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

T = TypeVar("T", bound="WanImage22Input")


@_attrs_define
class WanImage22Input:
    """WAN Image 2.2 with dual LoRA (a low-noise and a high-noise LoRA).

    Attributes:
        prompt (str): The text prompt (not empty).
        model_type (Literal['wan-image-2.2']): Selects WAN Image 2.2.
        model_id (UUID): UUID of the fine-tuned model.
        lora_low_name (str): Path of the low-noise LoRA.
        lora_high_name (str): Path of the high-noise LoRA.
        lora_low_strength (float | Unset): Strength of the low-noise LoRA, 0 to 2. Default: 0.5.
        lora_high_strength (float | Unset): Strength of the high-noise LoRA, 0 to 2. Default: 1.0.
        batch_size (int | Unset): Number of images to generate, 1 to 4 (all are listed in the response's `image_urls`).
            Default: 1.
        model_weight (float | Unset): Model weight, 0 to 1 (the server's default applies when omitted).
        guidance (float | Unset): Guidance scale, 0 to 100 (the server's default applies when omitted).
        width (int | Unset): Size in pixels, 64 to 2048.
        height (int | Unset): Size in pixels, 64 to 2048.
    """

    prompt: str
    model_type: Literal["wan-image-2.2"]
    model_id: UUID
    lora_low_name: str
    lora_high_name: str
    lora_low_strength: float | Unset = 0.5
    lora_high_strength: float | Unset = 1.0
    batch_size: int | Unset = 1
    model_weight: float | Unset = UNSET
    guidance: float | Unset = UNSET
    width: int | Unset = UNSET
    height: int | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        prompt = self.prompt

        model_type = self.model_type

        model_id = str(self.model_id)

        lora_low_name = self.lora_low_name

        lora_high_name = self.lora_high_name

        lora_low_strength = self.lora_low_strength

        lora_high_strength = self.lora_high_strength

        batch_size = self.batch_size

        model_weight = self.model_weight

        guidance = self.guidance

        width = self.width

        height = self.height

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "prompt": prompt,
                "model_type": model_type,
                "model_id": model_id,
                "lora_low_name": lora_low_name,
                "lora_high_name": lora_high_name,
            }
        )
        if lora_low_strength is not UNSET:
            field_dict["lora_low_strength"] = lora_low_strength
        if lora_high_strength is not UNSET:
            field_dict["lora_high_strength"] = lora_high_strength
        if batch_size is not UNSET:
            field_dict["batch_size"] = batch_size
        if model_weight is not UNSET:
            field_dict["model_weight"] = model_weight
        if guidance is not UNSET:
            field_dict["guidance"] = guidance
        if width is not UNSET:
            field_dict["width"] = width
        if height is not UNSET:
            field_dict["height"] = height

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        prompt = d.pop("prompt")
        if not isinstance(prompt, str):
            raise TypeError("prompt: Input should be a valid string")

        model_type = cast(Literal["wan-image-2.2"], d.pop("model_type"))
        if model_type != "wan-image-2.2":
            raise ValueError(
                f"model_type must match const 'wan-image-2.2', got '{model_type}'"
            )

        model_id = UUID(d.pop("model_id"))

        lora_low_name = d.pop("lora_low_name")
        if not isinstance(lora_low_name, str):
            raise TypeError("lora_low_name: Input should be a valid string")

        lora_high_name = d.pop("lora_high_name")
        if not isinstance(lora_high_name, str):
            raise TypeError("lora_high_name: Input should be a valid string")

        lora_low_strength = d.pop("lora_low_strength", UNSET)

        lora_high_strength = d.pop("lora_high_strength", UNSET)

        batch_size = d.pop("batch_size", UNSET)

        model_weight = d.pop("model_weight", UNSET)

        guidance = d.pop("guidance", UNSET)

        width = d.pop("width", UNSET)

        height = d.pop("height", UNSET)

        wan_image_22_input = cls(
            prompt=prompt,
            model_type=model_type,
            model_id=model_id,
            lora_low_name=lora_low_name,
            lora_high_name=lora_high_name,
            lora_low_strength=lora_low_strength,
            lora_high_strength=lora_high_strength,
            batch_size=batch_size,
            model_weight=model_weight,
            guidance=guidance,
            width=width,
            height=height,
        )

        return wan_image_22_input
