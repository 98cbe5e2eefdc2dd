"""Contains all the data models used in inputs/outputs"""

from .error import Error
from .error_detail import ErrorDetail
from .flux_dev_input import FluxDevInput
from .flux_kontext_max_input import FluxKontextMaxInput
from .flux_kontext_max_input_aspect_ratio import FluxKontextMaxInputAspectRatio
from .flux_kontext_multi_input import FluxKontextMultiInput
from .generate_image_output import GenerateImageOutput
from .google_imagen_4_input import GoogleImagen4Input
from .google_imagen_4_input_aspect_ratio import GoogleImagen4InputAspectRatio
from .kontext_aspect_ratio import KontextAspectRatio
from .nanobanana_input import NanobananaInput
from .open_ai_input import OpenAIInput
from .qwen_image_edit_input import QwenImageEditInput
from .wan_image_21_input import WanImage21Input
from .wan_image_22_input import WanImage22Input

__all__ = (
    "Error",
    "ErrorDetail",
    "FluxDevInput",
    "FluxKontextMaxInput",
    "FluxKontextMaxInputAspectRatio",
    "FluxKontextMultiInput",
    "GenerateImageOutput",
    "GoogleImagen4Input",
    "GoogleImagen4InputAspectRatio",
    "KontextAspectRatio",
    "NanobananaInput",
    "OpenAIInput",
    "QwenImageEditInput",
    "WanImage21Input",
    "WanImage22Input",
)
