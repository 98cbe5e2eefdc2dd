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

from ..models.kontext_aspect_ratio import KontextAspectRatio, check_kontext_aspect_ratio
from ..types import UNSET, Unset

T = TypeVar("T", bound="FluxKontextMultiInput")


@_attrs_define
class FluxKontextMultiInput:
    """Flux Kontext Multi combines several input images into one, guided by the prompt. The images go in `image_urls`
    (a name chosen by this spec; the TypeScript SDK's page does not name the field): at least two, since one image
    is an edit rather than a combination, and at most four.

        Attributes:
            prompt (str): The text prompt (not empty).
            model_type (Literal['flux-kontext-multi']): Selects Flux Kontext Multi.
            image_urls (list[str]): The images to combine, in order, as absolute http(s) URLs (2 to 4).
            aspect_ratio (KontextAspectRatio | Unset): Aspect ratio of the generated image.
            seed (int | Unset): Random seed for reproducible results, 0 to 2^53 - 1. The upper bound is the largest integer
                every client can
                send and read back exactly (JavaScript's Number.MAX_SAFE_INTEGER); a larger seed would be silently rounded.
    """

    prompt: str
    model_type: Literal["flux-kontext-multi"]
    image_urls: list[str]
    aspect_ratio: KontextAspectRatio | Unset = UNSET
    seed: int | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        prompt = self.prompt

        model_type = self.model_type

        image_urls = self.image_urls

        aspect_ratio: str | Unset = UNSET
        if not isinstance(self.aspect_ratio, Unset):
            aspect_ratio = self.aspect_ratio

        seed = self.seed

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "prompt": prompt,
                "model_type": model_type,
                "image_urls": image_urls,
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

        model_type = cast(Literal["flux-kontext-multi"], d.pop("model_type"))
        if model_type != "flux-kontext-multi":
            raise ValueError(
                f"model_type must match const 'flux-kontext-multi', got '{model_type}'"
            )

        _image_urls = d.pop("image_urls")
        if not isinstance(_image_urls, list):
            raise TypeError(
                "image_urls: "
                + (
                    "must not be null"
                    if _image_urls is None
                    else "Input should be a valid list"
                )
            )

        for _index, _item in enumerate(_image_urls):
            if not isinstance(_item, str):
                raise TypeError(f"image_urls.{_index}: Input should be a valid string")
        image_urls = cast(list[str], _image_urls)

        _aspect_ratio = d.pop("aspect_ratio", UNSET)
        aspect_ratio: KontextAspectRatio | Unset
        if isinstance(_aspect_ratio, Unset):
            aspect_ratio = UNSET
        else:
            aspect_ratio = check_kontext_aspect_ratio(_aspect_ratio)

        seed = d.pop("seed", UNSET)

        flux_kontext_multi_input = cls(
            prompt=prompt,
            model_type=model_type,
            image_urls=image_urls,
            aspect_ratio=aspect_ratio,
            seed=seed,
        )

        return flux_kontext_multi_input
