from typing import Literal

FluxKontextMaxInputAspectRatio = Literal[
    "16:9",
    "1:1",
    "1:2",
    "21:9",
    "2:1",
    "2:3",
    "3:2",
    "3:4",
    "4:3",
    "4:5",
    "5:4",
    "9:16",
    "9:21",
]

FLUX_KONTEXT_MAX_INPUT_ASPECT_RATIO_VALUES: set[FluxKontextMaxInputAspectRatio] = {
    "16:9",
    "1:1",
    "1:2",
    "21:9",
    "2:1",
    "2:3",
    "3:2",
    "3:4",
    "4:3",
    "4:5",
    "5:4",
    "9:16",
    "9:21",
}


def check_flux_kontext_max_input_aspect_ratio(
    value: str,
) -> FluxKontextMaxInputAspectRatio:
    if value in FLUX_KONTEXT_MAX_INPUT_ASPECT_RATIO_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {FLUX_KONTEXT_MAX_INPUT_ASPECT_RATIO_VALUES!r}"
    )
