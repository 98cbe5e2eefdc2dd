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

T = TypeVar("T", bound="FluxDevInput")


@_attrs_define
class FluxDevInput:
    """Flux Dev, the default model when `model_type` is not given (the SDKs fill it in).

    Attributes:
        prompt (str): The text prompt (not empty).
        model_type (Literal['flux-dev']): Selects Flux Dev.
        width (int | Unset): Size in pixels, 64 to 2048.
        height (int | Unset): Size in pixels, 64 to 2048.
        reference_image_url (str | Unset): An absolute http or https URL, sent exactly as given.
    """

    prompt: str
    model_type: Literal["flux-dev"]
    width: int | Unset = UNSET
    height: int | Unset = UNSET
    reference_image_url: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        prompt = self.prompt

        model_type = self.model_type

        width = self.width

        height = self.height

        reference_image_url = self.reference_image_url

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "prompt": prompt,
                "model_type": model_type,
            }
        )
        if width is not UNSET:
            field_dict["width"] = width
        if height is not UNSET:
            field_dict["height"] = height
        if reference_image_url is not UNSET:
            field_dict["reference_image_url"] = reference_image_url

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        prompt = d.pop("prompt")
        if not isinstance(prompt, str):
            raise TypeError("prompt: Input should be a valid string")

        model_type = cast(Literal["flux-dev"], d.pop("model_type"))
        if model_type != "flux-dev":
            raise ValueError(
                f"model_type must match const 'flux-dev', got '{model_type}'"
            )

        width = d.pop("width", UNSET)

        height = d.pop("height", UNSET)

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

        flux_dev_input = cls(
            prompt=prompt,
            model_type=model_type,
            width=width,
            height=height,
            reference_image_url=reference_image_url,
        )

        return flux_dev_input
