from typing import Literal

KontextAspectRatio = Literal[
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

KONTEXT_ASPECT_RATIO_VALUES: set[KontextAspectRatio] = {
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


def check_kontext_aspect_ratio(value: str) -> KontextAspectRatio:
    if value in KONTEXT_ASPECT_RATIO_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {KONTEXT_ASPECT_RATIO_VALUES!r}"
    )
