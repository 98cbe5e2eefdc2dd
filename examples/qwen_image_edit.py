"""Generate with Qwen Image Edit."""

from _common import client

result = client().images.generate(
    prompt="Transform the scene into a fantasy landscape with magical elements",
    model_type="qwen-image-edit",
    lora_1="fantasy-style-v1",  # optional: LoRA for style
    strength_model=1.5,  # optional: 0-2, default 1
    width=1024,
    height=1024,
)
if result is not None:
    print(result.image_url)
