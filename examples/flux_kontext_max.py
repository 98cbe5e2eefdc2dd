"""Generate an image with Flux Kontext Max (aspect_ratio defaults to "1:1")."""

from _common import client

result = client().images.generate(
    prompt="A majestic dragon soaring through clouds at golden hour",
    model_type="flux-kontext-max",
    aspect_ratio="16:9",
    seed=42,  # for reproducible results
)
if result is not None:
    print(result.image_url)
