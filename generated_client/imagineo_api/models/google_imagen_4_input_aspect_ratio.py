from typing import Literal

GoogleImagen4InputAspectRatio = Literal["16:9", "1:1", "3:4", "4:3", "9:16"]

GOOGLE_IMAGEN_4_INPUT_ASPECT_RATIO_VALUES: set[GoogleImagen4InputAspectRatio] = {
    "16:9",
    "1:1",
    "3:4",
    "4:3",
    "9:16",
}


def check_google_imagen_4_input_aspect_ratio(
    value: str,
) -> GoogleImagen4InputAspectRatio:
    if value in GOOGLE_IMAGEN_4_INPUT_ASPECT_RATIO_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {GOOGLE_IMAGEN_4_INPUT_ASPECT_RATIO_VALUES!r}"
    )
