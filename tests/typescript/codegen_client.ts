// Uses the client that the second generator, openapi-typescript-codegen@0.31.0, makes from the bundled spec:
//   node node_modules/openapi-typescript-codegen/bin/index.js --input dist/spec/imagineo.json --output <dir> --client fetch --useUnionTypes
// tests/test_spec_sharing.py generates it into a tmp folder and compiles this file (which pulls in every generated
// file through its index.ts) with `tsc --noEmit --strict`; "imagineo-codegen-client" is mapped to <dir>/index.ts.
import { OpenAPI, RunsService } from "imagineo-codegen-client";
import type { GenerateImageInput, GenerateImageOutput } from "imagineo-codegen-client";
import type { GenerateRequest } from "./seed_examples";
import { googleImagen4, wanImage22 } from "./seed_examples";

// Both generators read the same request-body type out of the spec: each is assignable to the other.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const requestTypesAgree: Same<GenerateRequest, GenerateImageInput> = true;

export async function generateWithTheSecondClient(): Promise<string[]> {
  OpenAPI.BASE = 'https://api.imagineo.example.com';
  OpenAPI.TOKEN = 'sk-...';
  const urls: string[] = [];
  for (const input of [googleImagen4, wanImage22]) {
    const result: GenerateImageOutput = await RunsService.generateRun(input, 'f3f4c2e0-3f57-4d0e-9a53-0d3c2e1b7a10');
    urls.push(result.image_url);
  }
  return urls;
}

// The second generator's types reject a broken request too.
// @ts-expect-error -- aspect_ratio is required for google-imagen4
export const imagen4WithoutAspectRatio: GenerateImageInput = { prompt: 'A futuristic city at sunset', model_type: 'google-imagen4' };
