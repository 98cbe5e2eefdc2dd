// The conformance kit's TypeScript runner: a client built the way a TypeScript team would build one, run against
// the sandbox on every request vector (docs/for-other-languages.md, "The conformance kit").
//
//   types:   npx openapi-typescript openapi/imagineo.yaml -o api.ts        (the standard command, repo root)
//   runtime: openapi-fetch (createClient<paths>), pinned in package.json
//   node runner.js <conformance.json> <imagineo.json (the spec as JSON)> <sandbox base URL>
//
// The client's own logic is `prepare`: aliases, the default model type and the spec's defaults, all read from the
// spec (never from the vectors' expected bodies). For each valid case it checks prepare(input) against the vector's
// body, sends it, and wants a 200 whose image_url serves a PNG; each invalid case's body is sent as it stands (the
// types would refuse most of them at compile time: a team's hand-built JSON, or a bug, gets past them) and must be
// answered 422 with the vector's field in `details`. One line per failing case, naming it; exit 1 if any failed.
import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import createClient from "openapi-fetch";
import type { paths } from "./api.js";

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- vectors and spec are plain JSON
type GenerateRequest = paths["/api/v1/runs/generate"]["post"]["requestBody"]["content"]["application/json"];

const [vectorsPath, specPath, baseUrl] = process.argv.slice(2);
const vectors: Json = JSON.parse(readFileSync(vectorsPath, "utf8"));
const spec: Json = JSON.parse(readFileSync(specPath, "utf8"));
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

// -- what the client reads from the spec --------------------------------------------------------------------------
const input = spec.components.schemas.GenerateImageInput;
const tagField: string = input.discriminator.propertyName;
const defaultModelType: string = input["x-imagineo-default-model-type"];
const aliases: Record<string, { field: string }> = input["x-imagineo-aliases"] ?? {};
const defaults: Record<string, Record<string, unknown>> = {};
for (const [modelType, ref] of Object.entries<string>(input.discriminator.mapping)) {
  const variant = spec.components.schemas[ref.split("/").pop()!];
  defaults[modelType] = {};
  for (const [name, prop] of Object.entries<Json>(variant.properties)) {
    if ("default" in prop) defaults[modelType][name] = prop.default; // the spec writes `default` on the property
  }
}

/** The JSON body for a caller's input: aliases renamed, model_type filled in, the spec's defaults applied. */
export function prepare(given: Record<string, unknown>): GenerateRequest {
  const body: Record<string, unknown> = { ...given };
  for (const [alias, { field }] of Object.entries(aliases)) {
    if (alias in body) {
      body[field] = body[alias];
      delete body[alias];
    }
  }
  body[tagField] ??= defaultModelType;
  return { ...(defaults[body[tagField] as string] ?? {}), ...body } as GenerateRequest;
}

// -- the client ---------------------------------------------------------------------------------------------------
const client = createClient<paths>({ baseUrl });
const headers = () => ({ Authorization: "Bearer sk-conformance", "Idempotency-Key": randomUUID() });

async function send(body: GenerateRequest) {
  return client.POST("/api/v1/runs/generate", { body, headers: headers() });
}

async function valid(c: Json): Promise<string | null> {
  const body = prepare(c.input);
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(body)), c.body)) {
    return `client body ${JSON.stringify(body)} != vector body ${JSON.stringify(c.body)}`;
  }
  const { data, error, response } = await send(body);
  if (response.status !== 200 || !data) return `answered ${response.status}: ${JSON.stringify(error ?? null)}`;
  const image = await fetch(data.image_url);
  const bytes = new Uint8Array(await image.arrayBuffer());
  if (image.status !== 200 || !PNG.every((b, i) => bytes[i] === b)) {
    return `image_url ${data.image_url} answered ${image.status}, not a PNG`;
  }
  return null;
}

async function invalid(c: Json): Promise<string | null> {
  const { error, response } = await send(c.body as GenerateRequest);
  const fields = ((error as Json)?.details ?? []).map((d: Json) => d.field);
  if (response.status !== 422) return `answered ${response.status}, expected 422 naming ${c.field}`;
  if (!fields.includes(c.field)) return `422 named ${JSON.stringify(fields)}, expected ${c.field}`;
  return null;
}

async function main(): Promise<number> {
  const jobs: Array<[string, Json, (c: Json) => Promise<string | null>]> = [
    ...vectors.requests.valid.map((c: Json) => ["valid", c, valid] as const),
    ...vectors.requests.invalid.map((c: Json) => ["invalid", c, invalid] as const),
  ];
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const [kind, c, run] = jobs[next++];
      const problem = await run(c).catch((e: unknown) => `threw ${e}`);
      if (problem) failures.push(`FAIL ${kind} conformance case ${c.id}: ${problem}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  for (const line of failures.sort()) console.log(line);
  const counts = { valid: vectors.requests.valid.length, invalid: vectors.requests.invalid.length };
  console.log(`typescript conformance ${vectors.version}: ${jobs.length - failures.length} passed, ${failures.length} failed`);
  console.log(`counts ${JSON.stringify(counts)}`);
  return failures.length ? 1 : 0;
}

main().then((code) => process.exit(code));
