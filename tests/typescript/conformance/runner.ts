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
// answered 422 with the vector's field in `details`. Each answer case is asked for with `X-Sandbox-Answer: <id>` (the
// sandbox started with `--answers conformance.json` serves it as written): the client turns the answer into an
// outcome (a result, none, or an error with its category and retry decision, by the vectors' policy) that must be
// the case's outcome; a case the client retries is sent again with the same Idempotency-Key and must then get a 200.
// One line per failing case, naming it; exit 1 if any failed.
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

// -- answers: what the client makes of each kind of answer ---------------------------------------------------------
const CATEGORIES: Record<number, string> = {
  400: "bad_request", 401: "auth", 403: "permission", 404: "not_found", 409: "conflict", 413: "payload_too_large",
  422: "validation", 429: "rate_limit",
};
const output = spec.components.schemas.GenerateImageOutput;
const JSON_TYPES: Record<string, (v: unknown) => boolean> = {
  string: (v) => typeof v === "string",
  array: (v) => Array.isArray(v),
  object: (v) => typeof v === "object" && v !== null && !Array.isArray(v),
  integer: (v) => Number.isInteger(v),
  number: (v) => typeof v === "number",
  boolean: (v) => typeof v === "boolean",
};

/** The result, if `text` is a GenerateImageOutput (required fields present, each declared field of its type). */
function result(text: string): Json | null {
  let body: Json;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (!JSON_TYPES.object(body)) return null;
  if (!(output.required ?? []).every((name: string) => name in body)) return null;
  for (const [name, prop] of Object.entries<Json>(output.properties)) {
    if (name in body && prop.type && !JSON_TYPES[prop.type](body[name])) return null;
  }
  return body;
}

/** Seconds to wait before the retry: Retry-After (seconds or an HTTP date), null for the client's own backoff. */
function retryWait(header: string | null): number | null | "too-long" {
  if (header === null) return null;
  let seconds = /^\d+$/.test(header.trim()) ? Number(header.trim()) : NaN;
  if (Number.isNaN(seconds)) {
    const at = Date.parse(header);
    if (Number.isNaN(at)) return null;
    seconds = Math.max(0, Math.ceil((at - Date.now()) / 1000));
  }
  return seconds > vectors.policy.max_retry_after_seconds ? "too-long" : seconds;
}

function outcomeOf(status: number, headers: Headers, text: string): Json {
  if (status === 204) return { kind: "none" };
  if (status === 200) {
    const body = result(text);
    return body ? { kind: "result", result: body } : { kind: "error", category: "response_validation", retry: false };
  }
  if (status < 300) return { kind: "error", category: "response_validation", retry: false };
  const category = status >= 500 ? "server" : CATEGORIES[status] ?? "unknown";
  let code: unknown = null;
  try {
    code = JSON.parse(text)?.code;
  } catch {
    // not JSON: an error of its status all the same
  }
  let retry = vectors.policy.retry_statuses.includes(status) ||
    (status === 409 && vectors.policy.retry_conflict_codes.includes(code));
  const out: Json = { kind: "error", category, status, retry };
  if (retry) {
    const wait = retryWait(headers.get("retry-after"));
    if (wait === "too-long") retry = out.retry = false;
    else out.wait_seconds = wait;
  }
  return out;
}

async function answer(c: Json): Promise<string | null> {
  const key = randomUUID();
  const ask = () => client.POST("/api/v1/runs/generate", {
    body: prepare({ prompt: "A conformance answer" }),
    headers: { Authorization: "Bearer sk-conformance", "Idempotency-Key": key, "X-Sandbox-Answer": c.id },
    parseAs: "text",
  });
  const { data, error, response } = await ask();
  const text = typeof data === "string" ? data : typeof error === "string" ? error : JSON.stringify(error ?? "");
  const got = outcomeOf(response.status, response.headers, response.status === 204 ? "" : text);
  const want = { ...c.outcome };
  if (want.wait_seconds === 0 && got.wait_seconds === 0) delete want.wait_seconds, delete got.wait_seconds;
  if (!isDeepStrictEqual(got, want)) return `outcome ${JSON.stringify(got)} != ${JSON.stringify(c.outcome)}`;
  if (got.retry) {
    const again = await ask();
    if (again.response.status !== 200) return `the retry was answered ${again.response.status}, not 200`;
  }
  return null;
}

async function main(): Promise<number> {
  const jobs: Array<[string, Json, (c: Json) => Promise<string | null>]> = [
    ...vectors.requests.valid.map((c: Json) => ["valid", c, valid] as const),
    ...vectors.requests.invalid.map((c: Json) => ["invalid", c, invalid] as const),
    ...vectors.answers.map((c: Json) => ["answer", c, answer] as const),
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
  const counts = {
    valid: vectors.requests.valid.length,
    invalid: vectors.requests.invalid.length,
    answers: vectors.answers.length,
  };
  console.log(`typescript conformance ${vectors.version}: ${jobs.length - failures.length} passed, ${failures.length} failed`);
  console.log(`counts ${JSON.stringify(counts)}`);
  return failures.length ? 1 : 0;
}

main().then((code) => process.exit(code));
