"""Edit an image using a reference URL (OpenAI)."""

from _common import client

result = client().images.generate(
    prompt="Make the cat astronaut suit red",
    reference_image_url="https://example.com/mycat.png",  # the image to edit (`reference_url` works too)
    model_type="openai",
    width=512,
    height=512,
)
if result is not None:
    print(result.image_url)
