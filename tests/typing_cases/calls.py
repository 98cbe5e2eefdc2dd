"""Calls a type checker must accept (lines without a marker) or flag (lines ending in an "E:" comment, with
words mypy must say).

tests/test_overlay_typing.py runs mypy --strict on this file and compares its errors with the markers, so the
typed surface of images.generate cannot drift from the spec unnoticed.
"""

from imagineo import AsyncImagineoAIClient, ImagineoAIClient
from imagineo_api.models import GenerateImageOutput, GoogleImagen4Input

client = ImagineoAIClient("https://api.example.com", api_key="sk-...")
result: GenerateImageOutput | None = client.images.generate(prompt="A cat", width=512, height=512)
client.images.generate(prompt="A cat", model_type="flux-dev", width=512, timeout=30.0, max_retries=0)
client.images.generate(prompt="City", model_type="google-imagen4", aspect_ratio="16:9")
client.images.generate(
    prompt="p", model_type="wan-image-2.1", model_id="3f1c2a9e-6b7d-4e2f-9a1b-5c8d7e6f4a3b", width=64, height=64
)
client.images.generate({"prompt": "p", "model_type": "nanobanana"}, idempotency_key="k")
client.images.generate(GoogleImagen4Input(prompt="p", model_type="google-imagen4", aspect_ratio="1:1"))

client.images.generate(prompt="City", model_type="google-imagen4")  # E: No overload variant
client.images.generate(prompt="p", model_type="wan-image-2.1", width=64, height=64)  # E: No overload variant
client.images.generate(prompt="p", model_type="flux-kontext-max", aspect_ratio="7:3")  # E: No overload variant
client.images.generate(prompt="p", widht=512)  # E: Unexpected keyword argument "widht"
client.images.generate(prompt="p", width="512")  # E: No overload variant
client.images.generate(model_type="openai")  # E: No overload variant
client.images.generate(prompt="p", model_type="flux-pro")  # E: No overload variant


async def main() -> None:
    async with AsyncImagineoAIClient("https://api.example.com", api_key="sk-...") as aclient:
        out = await aclient.images.generate(prompt="p", model_type="nanobanana")
        if out is not None:
            url: str = out.image_url
            print(url)
        await aclient.images.generate(prompt="p", model_type="qwen-image-edit")  # E: No overload variant
