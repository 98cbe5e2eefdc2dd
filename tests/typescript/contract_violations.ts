// Request objects that break the contract: each must be a TypeScript error, so each carries `@ts-expect-error`.
// If the spec (and so the generated types) stops rejecting one of them, its directive is unused and the compile
// fails with TS2578 "Unused '@ts-expect-error' directive", naming the line.
// Each object sits on ONE line, right under its directive (a directive covers the next line only), and breaks ONE
// rule: tests/test_spec_sharing.py relaxes each rule in a copy of the spec and checks that exactly its directive
// becomes unused, so an object rejected for some other reason (a typo in this file) fails the test too.
import type { GenerateRequest } from "./seed_examples";

// google-imagen4 without `aspect_ratio` (required for Imagen 4).
// @ts-expect-error -- aspect_ratio is required
export const imagen4WithoutAspectRatio: GenerateRequest = { prompt: 'A futuristic city at sunset', model_type: 'google-imagen4' };

// wan-image-2.1 without `model_id` (required: the fine-tuned model to run).
// @ts-expect-error -- model_id is required
export const wan21WithoutModelId: GenerateRequest = { prompt: 'A portrait', model_type: 'wan-image-2.1', width: 1920, height: 1088 };

// flux-kontext-max with an aspect ratio outside its list.
// @ts-expect-error -- 7:5 is not a Kontext aspect ratio
export const kontextMaxBadAspectRatio: GenerateRequest = { prompt: 'A dragon', model_type: 'flux-kontext-max', aspect_ratio: '7:5' };

// A misspelled field (`widht`): every variant has additionalProperties: false.
// @ts-expect-error -- widht is not a field of flux-dev
export const fluxDevMisspelledField: GenerateRequest = { prompt: 'A cat in a spacesuit', model_type: 'flux-dev', widht: 512 };
