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

from ..types import UNSET, Unset

T = TypeVar("T", bound="QwenImageEditInput")


@_attrs_define
class QwenImageEditInput:
    """Qwen Image Edit, text-guided editing of the image at `reference_image_url`.

    Attributes:
        prompt (str): The text prompt (not empty).
        model_type (Literal['qwen-image-edit']): Selects Qwen Image Edit.
        width (int): Size in pixels, 64 to 2048.
        height (int): Size in pixels, 64 to 2048.
        lora_1 (str | Unset): Optional LoRA for style.
        strength_model (float | Unset): LoRA strength, 0 to 2. Default: 1.0.
        negative_prompt (str | Unset): What to avoid in the image.
        reference_image_url (str | Unset): An absolute http or https URL, sent exactly as given.
    """

    prompt: str
    model_type: Literal["qwen-image-edit"]
    width: int
    height: int
    lora_1: str | Unset = UNSET
    strength_model: float | Unset = 1.0
    negative_prompt: str | Unset = UNSET
    reference_image_url: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        prompt = self.prompt

        model_type = self.model_type

        width = self.width

        height = self.height

        lora_1 = self.lora_1

        strength_model = self.strength_model

        negative_prompt = self.negative_prompt

        reference_image_url = self.reference_image_url

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "prompt": prompt,
                "model_type": model_type,
                "width": width,
                "height": height,
            }
        )
        if lora_1 is not UNSET:
            field_dict["lora_1"] = lora_1
        if strength_model is not UNSET:
            field_dict["strength_model"] = strength_model
        if negative_prompt is not UNSET:
            field_dict["negative_prompt"] = negative_prompt
        if reference_image_url is not UNSET:
            field_dict["reference_image_url"] = reference_image_url

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        prompt = d.pop("prompt")
        if not isinstance(prompt, str):
            raise TypeError("prompt: Input should be a valid string")

        model_type = cast(Literal["qwen-image-edit"], d.pop("model_type"))
        if model_type != "qwen-image-edit":
            raise ValueError(
                f"model_type must match const 'qwen-image-edit', got '{model_type}'"
            )

        width = d.pop("width")

        height = d.pop("height")

        lora_1 = d.pop("lora_1", UNSET)
        if not isinstance(lora_1, (str, Unset)):
            raise TypeError(
                "lora_1: "
                + (
                    "must not be null"
                    if lora_1 is None
                    else "Input should be a valid string"
                )
            )

        strength_model = d.pop("strength_model", UNSET)

        negative_prompt = d.pop("negative_prompt", UNSET)
        if not isinstance(negative_prompt, (str, Unset)):
            raise TypeError(
                "negative_prompt: "
                + (
                    "must not be null"
                    if negative_prompt is None
                    else "Input should be a valid string"
                )
            )

        reference_image_url = d.pop("reference_image_url", UNSET)
        if not isinstance(reference_image_url, (str, Unset)):
            raise TypeError(
                "reference_image_url: "
                + (
                    "must not be null"
                    if reference_image_url is None
                    else "Input should be a valid string"
                )
            )

        qwen_image_edit_input = cls(
            prompt=prompt,
            model_type=model_type,
            width=width,
            height=height,
            lora_1=lora_1,
            strength_model=strength_model,
            negative_prompt=negative_prompt,
            reference_image_url=reference_image_url,
        )

        return qwen_image_edit_input
