"""Generate an image with Nanobanana."""

from _common import client

result = client().images.generate(
    prompt="A vibrant underwater scene with coral reefs",
    model_type="nanobanana",
    reference_image_url="https://example.com/style-guide.jpg",  # optional reference for style
)
if result is not None:
    print(result.image_url)
