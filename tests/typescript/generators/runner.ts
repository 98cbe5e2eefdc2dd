// Drives a TypeScript client made by another generator from the spec, as a team would use it
// (docs/for-other-languages.md, "Generators other teams use"; run by tests/test_other_generators.py).
//
//   node out/runner.js <hey-api | typescript-fetch> <calls.json> <sandbox base URL>
//
// The clients come from the doc's commands: @hey-api/openapi-ts into ./hey (its fetch client and `generateRun`),
// OpenAPI Generator `-g typescript-fetch` into ./fetch (`RunsApi.generateRun`, `GenerateImageInputFromJSON`).
// calls.json lists `id`, `kind` and `call` (the JSON object a team's code passes: wire names, model_type set,
// defaults left to the client); a call with `fault` also sends the sandbox's X-Sandbox-Fault header. One JSON line
// per call: outcome `refused` (the client threw before sending; `message`), or `answered` with `status`, `run_id`
// (200), `fields` (a 422's details) and `empty_result` (what the client returned on a 204). The test judges.
import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { createClient } from "./hey/client/index.js";
import { generateRun } from "./hey/sdk.gen.js";
import type { GenerateImageInput as HeyInput } from "./hey/types.gen.js";
import { Configuration, GenerateImageInputFromJSON, ResponseError, RunsApi } from "./fetch/index.js";

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- calls are plain JSON
type Call = { id: string; kind: string; call: Record<string, unknown>; fault?: string };
type Record_ = Record<string, unknown>;

const [generator, callsPath, baseUrl] = process.argv.slice(2);
const calls: Call[] = JSON.parse(readFileSync(callsPath, "utf8"));
const API_KEY = "sk-other-generators";

function headersFor(call: Call): Record<string, string> {
  return { "Idempotency-Key": randomUUID(), ...(call.fault ? { "X-Sandbox-Fault": call.fault } : {}) };
}

function fieldsOf(body: Json): string[] {
  return (body?.details ?? []).map((d: Json) => d.field);
}

// -- @hey-api/openapi-ts: the body goes out as given (no runtime checks, no defaults filled in) --------------------
const hey = createClient({ baseUrl, auth: () => API_KEY });

async function viaHeyApi(call: Call): Promise<Record_> {
  const { data, error, response } = await generateRun({
    client: hey,
    body: call.call as HeyInput,
    headers: headersFor(call),
  });
  if (response.status === 204) return { outcome: "answered", status: 204, empty_result: data ?? null };
  if (response.ok) return { outcome: "answered", status: response.status, run_id: data?.run_id };
  return { outcome: "answered", status: response.status, fields: fieldsOf(error) };
}

// -- OpenAPI Generator typescript-fetch: FromJSON maps the wire object to the model, ToJSON writes it out ----------
const runs = new RunsApi(new Configuration({ basePath: baseUrl, accessToken: async () => API_KEY }));

async function viaTypescriptFetch(call: Call): Promise<Record_> {
  let input;
  try {
    input = GenerateImageInputFromJSON(call.call);
  } catch (e) {
    return { outcome: "refused", message: String(e) };
  }
  const extra = headersFor(call);
  try {
    const result = await runs.generateRun(
      { generateImageInput: input, idempotencyKey: extra["Idempotency-Key"] },
      async ({ init }) => ({ headers: { ...(init.headers as Record<string, string>), ...extra } }),
    );
    if (result === null || result === undefined) return { outcome: "answered", status: 204, empty_result: result ?? null };
    return { outcome: "answered", status: 200, run_id: result.runId };
  } catch (e) {
    if (e instanceof ResponseError) {
      const body = await e.response.json().catch(() => null);
      return { outcome: "answered", status: e.response.status, fields: fieldsOf(body) };
    }
    return { outcome: "refused", message: String(e) };
  }
}

const drivers: Record<string, (call: Call) => Promise<Record_>> = {
  "hey-api": viaHeyApi,
  "typescript-fetch": viaTypescriptFetch,
};

async function main(): Promise<number> {
  const drive = drivers[generator];
  if (!drive) throw new Error(`unknown generator ${generator}: use one of ${Object.keys(drivers).join(", ")}`);
  for (const call of calls) {
    const record = await drive(call).catch((e: unknown) => ({ outcome: "threw", message: String(e) }));
    console.log(JSON.stringify({ id: call.id, kind: call.kind, ...record }));
  }
  return 0;
}

main().then((code) => process.exit(code));
