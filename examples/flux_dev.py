"""Generate an image with Flux Dev (the default model)."""

from _common import client

result = client().images.generate(
    prompt="A cat in a spacesuit",
    model_type="flux-dev",  # optional, this is the default
    width=512,
    height=512,
)
if result is not None:
    print(result.image_url)
