from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="GenerateImageOutput")


@_attrs_define
class GenerateImageOutput:
    """The result of a run. Fields the server adds later are allowed and kept by the SDKs (`additionalProperties`),
    so a growing API does not break older clients.

        Attributes:
            image_url (str): URL of the (first) generated image.
            image_urls (list[str] | Unset): All generated images, in order, when the run made more than one (WAN Image 2.2
                `batch_size` > 1).
            run_id (str | Unset): The run's identifier.
            model_type (str | Unset): The model type that ran (a plain string, so new model types parse in old clients).
    """

    image_url: str
    image_urls: list[str] | Unset = UNSET
    run_id: str | Unset = UNSET
    model_type: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        image_url = self.image_url

        image_urls: list[str] | Unset = UNSET
        if not isinstance(self.image_urls, Unset):
            image_urls = self.image_urls

        run_id = self.run_id

        model_type = self.model_type

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "image_url": image_url,
            }
        )
        if image_urls is not UNSET:
            field_dict["image_urls"] = image_urls
        if run_id is not UNSET:
            field_dict["run_id"] = run_id
        if model_type is not UNSET:
            field_dict["model_type"] = model_type

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        image_url = d.pop("image_url")

        image_urls = cast(list[str], d.pop("image_urls", UNSET))

        run_id = d.pop("run_id", UNSET)

        model_type = d.pop("model_type", UNSET)

        generate_image_output = cls(
            image_url=image_url,
            image_urls=image_urls,
            run_id=run_id,
            model_type=model_type,
        )

        generate_image_output.additional_properties = d
        return generate_image_output

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
