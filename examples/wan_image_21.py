"""Generate with WAN Image 2.1 (a fine-tuned model, by its UUID)."""

from _common import client

result = client().images.generate(
    prompt="A portrait in the style of the fine-tuned model",
    model_id="3f1c2a9e-6b7d-4e2f-9a1b-5c8d7e6f4a3b",  # required: your model's UUID
    model_type="wan-image-2.1",
    width=1920,
    height=1088,
    strength_model=1.5,  # optional: 0-2, default 1
    model_weight=0.7,  # optional: 0-1, default 0.7
    guidance=7.5,  # optional: 0-100, default 7.5
)
if result is not None:
    print(result.image_url)
