"""Generate an image with Google Imagen4 (aspect_ratio is required)."""

from _common import client

result = client().images.generate(
    prompt="A futuristic city at sunset",
    model_type="google-imagen4",
    aspect_ratio="16:9",
    reference_image_url="https://example.com/style-reference.jpg",  # optional style reference
)
if result is not None:
    print(result.image_url)
