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

T = TypeVar("T", bound="NanobananaInput")


@_attrs_define
class NanobananaInput:
    """Nanobanana, a Replicate-based model for generation and style transfer.

    Attributes:
        prompt (str): The text prompt (not empty).
        model_type (Literal['nanobanana']): Selects Nanobanana.
        reference_image_url (str | Unset): An absolute http or https URL, sent exactly as given.
    """

    prompt: str
    model_type: Literal["nanobanana"]
    reference_image_url: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        prompt = self.prompt

        model_type = self.model_type

        reference_image_url = self.reference_image_url

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "prompt": prompt,
                "model_type": model_type,
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

        model_type = cast(Literal["nanobanana"], d.pop("model_type"))
        if model_type != "nanobanana":
            raise ValueError(
                f"model_type must match const 'nanobanana', got '{model_type}'"
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

        nanobanana_input = cls(
            prompt=prompt,
            model_type=model_type,
            reference_image_url=reference_image_url,
        )

        return nanobanana_input
