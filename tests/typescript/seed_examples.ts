// The request objects of the TypeScript SDK's `client.images.generate(...)` examples (its doc page,
// images-generate), copied verbatim, comments included: each must compile as the spec's request-body type.
// The WAN examples keep the page's placeholder `model_id: 'your-model-uuid'`: `format: uuid` is not a TypeScript
// type, so it compiles here (the Python SDK and the server reject it at run time).
// tests/test_spec_sharing.py compiles this file with `tsc --noEmit --strict` against the types openapi-typescript
// generates from openapi/imagineo.yaml; the module "imagineo-openapi-types" is mapped to them in tsconfig.json.
import type { operations } from "imagineo-openapi-types";

/** The request body of POST /api/v1/runs/generate (operationId generate_run), as the spec defines it. */
export type GenerateRequest = operations["generate_run"]["requestBody"]["content"]["application/json"];

// Generate an image with Flux Dev (default)
export const fluxDev: GenerateRequest = {
  prompt: 'A cat in a spacesuit',
  model_type: 'flux-dev', // Optional, this is the default
  width: 512,
  height: 512,
};

// Generate an image with Google Imagen4
export const googleImagen4: GenerateRequest = {
  prompt: 'A futuristic city at sunset',
  model_type: 'google-imagen4',
  aspect_ratio: '16:9', // Required for Google Imagen4
  reference_image_url: 'https://example.com/style-reference.jpg' // Optional style reference
};

// Generate an image with Flux Kontext Max
export const fluxKontextMax: GenerateRequest = {
  prompt: 'A majestic dragon soaring through clouds at golden hour',
  model_type: 'flux-kontext-max',
  aspect_ratio: '16:9', // Optional, defaults to "1:1"
  seed: 42, // Optional, for reproducible results
};

// Generate an image with Nanobanana
export const nanobanana: GenerateRequest = {
  prompt: 'A vibrant underwater scene with coral reefs',
  model_type: 'nanobanana',
  reference_image_url: 'https://example.com/style-guide.jpg' // Optional reference for style
};

// Edit an image using a reference URL
export const openaiEdit: GenerateRequest = {
  prompt: 'Make the cat astronaut suit red',
  reference_image_url: 'https://example.com/mycat.png', // URL to the image to edit
  model_type: 'openai', // or 'google-imagen4' with aspect_ratio
  width: 512,
  height: 512,
};

// Generate with WAN Image 2.1
export const wanImage21: GenerateRequest = {
  prompt: 'A portrait in the style of the fine-tuned model',
  model_id: 'your-model-uuid', // Required: Turso DB model ID
  model_type: 'wan-image-2.1', // WAN Image 2.1 model
  width: 1920,
  height: 1088,
  strength_model: 1.5, // Optional: Model strength (0-2, default: 1)
  model_weight: 0.7, // Optional: Model weight (0-1)
  guidance: 7.5, // Optional: Guidance scale
};

// Generate with WAN Image 2.2 (Dual LoRA)
export const wanImage22: GenerateRequest = {
  prompt: 'A professional fashion photograph with natural lighting',
  model_id: 'your-model-uuid', // Required: Turso DB model ID
  model_type: 'wan-image-2.2', // WAN Image 2.2 model with dual LoRA
  width: 1200,
  height: 1500,
  lora_low_name: 'wan2.2/wan2.2-lora-instagirl-2.0/Instagirlv2.0_lownoise.safetensors', // Required
  lora_low_strength: 0.5, // Optional: Low LoRA strength (0-2, default: 0.5)
  lora_high_name: 'wan2.2/wan2.2-lora-instagirl-2.0/Instagirlv2.0_hinoise.safetensors', // Required
  lora_high_strength: 1.0, // Optional: High LoRA strength (0-2, default: 1.0)
  batch_size: 1, // Optional: Number of images to generate (1-4, default: 1)
  model_weight: 0.7, // Optional: Model weight (0-1)
  guidance: 7.5, // Optional: Guidance scale
};

// Generate with Qwen Image Edit
export const qwenImageEdit: GenerateRequest = {
  prompt: 'Transform the scene into a fantasy landscape with magical elements',
  model_type: 'qwen-image-edit',
  lora_1: 'fantasy-style-v1', // Optional: LoRA model for style
  strength_model: 1.5, // Optional: LoRA strength (0-2, default: 1)
  width: 1024,
  height: 1024,
};
