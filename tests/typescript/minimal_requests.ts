// The smallest valid request for each of the nine model types: only the required fields. Every optional field with
// a `default` in the spec (flux-kontext-max's aspect_ratio, WAN's strength_model, ...) is left out, so this file stops
// compiling if the types make defaulted fields required (openapi-typescript does that unless given
// --default-non-nullable false) or if the spec adds a required field.
import type { GenerateRequest } from "./seed_examples";

export const minimalRequests: GenerateRequest[] = [
  { prompt: 'p', model_type: 'flux-dev' },
  { prompt: 'p', model_type: 'openai' },
  { prompt: 'p', model_type: 'google-imagen4', aspect_ratio: '1:1' },
  { prompt: 'p', model_type: 'flux-kontext-max' },
  { prompt: 'p', model_type: 'flux-kontext-multi', image_urls: ['https://example.com/a.png', 'https://example.com/b.png'] },
  { prompt: 'p', model_type: 'wan-image-2.1', model_id: '3f1c2a9e-6b7d-4e2f-9a1b-5c8d7e6f4a3b', width: 1024, height: 1024 },
  { prompt: 'p', model_type: 'wan-image-2.2', model_id: '3f1c2a9e-6b7d-4e2f-9a1b-5c8d7e6f4a3b', lora_low_name: 'low', lora_high_name: 'high' },
  { prompt: 'p', model_type: 'nanobanana' },
  { prompt: 'p', model_type: 'qwen-image-edit', width: 1024, height: 1024 },
];
