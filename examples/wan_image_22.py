"""Generate with WAN Image 2.2 (dual LoRA)."""

from _common import client

result = client().images.generate(
    prompt="A professional fashion photograph with natural lighting",
    model_id="3f1c2a9e-6b7d-4e2f-9a1b-5c8d7e6f4a3b",  # required: your model's UUID
    model_type="wan-image-2.2",
    width=1200,
    height=1500,
    lora_low_name="wan2.2/wan2.2-lora-instagirl-2.0/Instagirlv2.0_lownoise.safetensors",  # required
    lora_low_strength=0.5,  # optional: 0-2, default 0.5
    lora_high_name="wan2.2/wan2.2-lora-instagirl-2.0/Instagirlv2.0_hinoise.safetensors",  # required
    lora_high_strength=1.0,  # optional: 0-2, default 1.0
    batch_size=1,  # optional: 1-4, default 1
    model_weight=0.7,  # optional: 0-1
    guidance=7.5,  # optional: 0-100
)
if result is not None:
    print(result.image_url)
