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

from ..models.google_imagen_4_input_aspect_ratio import (
    GoogleImagen4InputAspectRatio,
    check_google_imagen_4_input_aspect_ratio,
)
from ..types import UNSET, Unset

T = TypeVar("T", bound="GoogleImagen4Input")


@_attrs_define
class GoogleImagen4Input:
    """Google Imagen 4. Sized by `aspect_ratio` (required), not by width and height.

    Attributes:
        prompt (str): The text prompt (not empty).
        model_type (Literal['google-imagen4']): Selects Google Imagen 4.
        aspect_ratio (GoogleImagen4InputAspectRatio): Aspect ratio of the generated image, "W:H". Imagen 4 renders
            exactly these five ratios, so the list is
            closed (the TypeScript SDK's page names 16:9, 1:1 and 9:16 as examples).
        reference_image_url (str | Unset): An absolute http or https URL, sent exactly as given.
    """

    prompt: str
    model_type: Literal["google-imagen4"]
    aspect_ratio: GoogleImagen4InputAspectRatio
    reference_image_url: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        prompt = self.prompt

        model_type = self.model_type

        aspect_ratio: str = self.aspect_ratio

        reference_image_url = self.reference_image_url

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "prompt": prompt,
                "model_type": model_type,
                "aspect_ratio": aspect_ratio,
            }
        )
        if reference_image_url is not UNSET:
            field_dict["reference_image_url"] = reference_image_url

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        prompt = d.pop("prompt")
        if not isinstance(prompt, str):
            raise TypeError("prompt: Input should be a valid string")

        model_type = cast(Literal["google-imagen4"], d.pop("model_type"))
        if model_type != "google-imagen4":
            raise ValueError(
                f"model_type must match const 'google-imagen4', got '{model_type}'"
            )

        aspect_ratio = check_google_imagen_4_input_aspect_ratio(d.pop("aspect_ratio"))

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

        google_imagen_4_input = cls(
            prompt=prompt,
            model_type=model_type,
            aspect_ratio=aspect_ratio,
            reference_image_url=reference_image_url,
        )

        return google_imagen_4_input
