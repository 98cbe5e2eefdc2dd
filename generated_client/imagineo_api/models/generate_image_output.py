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
        if not isinstance(image_url, str):
            raise TypeError("image_url: Input should be a valid string")

        _image_urls = d.pop("image_urls", UNSET)
        image_urls: list[str] | Unset = UNSET
        if _image_urls is not UNSET:
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
                    raise TypeError(
                        f"image_urls.{_index}: Input should be a valid string"
                    )
            image_urls = cast(list[str], _image_urls)

        run_id = d.pop("run_id", UNSET)
        if not isinstance(run_id, (str, Unset)):
            raise TypeError(
                "run_id: "
                + (
                    "must not be null"
                    if run_id is None
                    else "Input should be a valid string"
                )
            )

        model_type = d.pop("model_type", UNSET)
        if not isinstance(model_type, (str, Unset)):
            raise TypeError(
                "model_type: "
                + (
                    "must not be null"
                    if model_type is None
                    else "Input should be a valid string"
                )
            )

        generate_image_output = cls(
            image_url=image_url,
            image_urls=image_urls,
            run_id=run_id,
            model_type=model_type,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        generate_image_output.additional_properties = additional_properties
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
