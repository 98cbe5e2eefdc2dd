#!/usr/bin/env node
// Breaking-change guard for the OpenAPI contract (what `make check-breaking BASE=<git ref>` runs).
//
//   node tools/check_breaking.mjs --base [REF] [--spec openapi/imagineo.yaml]   spec at REF vs the working copy
//   node tools/check_breaking.mjs BEFORE AFTER                                   two files (.json read as is,
//                                                                                .yaml/.yml bundled to JSON first)
//   add --json to print {breaking, other} as JSON instead of text.
//
// Exit status: 0 no breaking change, 1 breaking change(s) (each one listed), 2 usage or tool error.
//
// Without REF (or with an empty one), BASE is the last tag (`git describe --tags --abbrev=0`), else `origin/main`
// when it exists, else `HEAD~1`. The openapi/ folder at REF is extracted with `git archive`, so a spec split over
// several files works; both sides are bundled with the pinned Redocly CLI (node_modules/.bin/redocly).
//
// Classification is api-smart-diff@1.0.6's (`apiDiff(before, after)`), read from the operation-level diffs only,
// where it knows whether a schema sits in a request body or in a response. The `components/` diffs are left out:
// api-smart-diff judges them without that context (a response schema by request rules and the reverse), and every
// component that matters is reached, and diffed with the right rules, from an operation. On top of it, four rules
// fix what it was measured to misclassify for this API (each has a test in tests/test_spec_sharing.py; see
// docs/for-other-languages.md):
//   R1 request body, a property removed -> breaking. api-smart-diff says non-breaking, but every input variant has
//      `additionalProperties: false`, so a client that still sends the field is now answered 422.
//   R2 response, a property removed, or removed from `required` -> breaking. api-smart-diff says non-breaking for
//      optional properties (and for nested `required`), but an existing client reads that field.
//   R3 response, a `type` replaced or removed (including `string` -> `[string, null]`) -> breaking. api-smart-diff
//      says non-breaking, but an existing client parses the old type.
//   R4 request body, a discriminator `mapping` entry (a model type): added -> non-breaking (a new model type),
//      removed or re-pointed -> breaking (a removed or renamed model type). api-smart-diff leaves these unclassified,
//      and renaming a model type's `const` together with its mapping key is reported through the mapping only.
// Everything else keeps api-smart-diff's type. Only `breaking` fails the check; `unclassified` changes (example
// values, x- extensions, tag texts) are listed for review but do not fail it.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { apiDiff } from "api-smart-diff";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const REDOCLY = path.join(ROOT, "node_modules", ".bin", "redocly");
const TOOL_ENV = { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" };

class UsageError extends Error {}

// ---------------------------------------------------------------------------------------------------------------
// Where a diff sits: request body or response schema, and which schema keyword it touches.

// Keywords whose value is a map of name -> schema, a list of schemas, or one schema.
const NAMED = new Set(["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"]);
const LISTS = new Set(["allOf", "anyOf", "oneOf", "prefixItems"]);
const SINGLE = new Set([
  "items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames",
  "unevaluatedItems", "unevaluatedProperties", "additionalItems", "contentSchema",
]);

/** {context: "request"|"response", keyword, name, rest} for a diff inside an operation's schema, else null. */
export function locate(diffPath) {
  const p = diffPath.map(String);
  if (p[0] !== "paths" || p.length < 5) return null;
  let context;
  if (p[3] === "requestBody") context = "request";
  else if (p[3] === "responses") context = "response";
  else return null;
  const start = p.indexOf("schema", 4);
  if (start < 0) return null;
  // Walk schema -> keyword -> (name|index)? -> schema ... and stop at the first keyword that holds a value.
  let i = start + 1;
  while (i < p.length) {
    const keyword = p[i];
    if (NAMED.has(keyword)) {
      if (i + 1 >= p.length) return { context, keyword, name: undefined, rest: [] };
      if (i + 2 >= p.length) return { context, keyword, name: p[i + 1], rest: [] };
      i += 2;
    } else if (LISTS.has(keyword)) {
      if (i + 2 >= p.length) return { context, keyword, name: p[i + 1], rest: [] };
      i += 2;
    } else if (SINGLE.has(keyword)) {
      if (i + 1 >= p.length) return { context, keyword, name: undefined, rest: [] };
      i += 1;
    } else {
      return { context, keyword, name: undefined, rest: p.slice(i + 1) };
    }
  }
  return { context, keyword: undefined, name: undefined, rest: [] };
}

/** The type this guard gives a diff, and the rule that set it (undefined when api-smart-diff's type stands). */
export function classify(diff) {
  const at = locate(diff.path);
  if (at) {
    const { context, keyword, name, rest } = at;
    if (context === "request" && keyword === "properties" && name !== undefined && diff.action === "remove") {
      return { type: "breaking", rule: "R1" };
    }
    if (context === "response" && diff.action === "remove") {
      if (keyword === "properties" && name !== undefined) return { type: "breaking", rule: "R2" };
      if (keyword === "required") return { type: "breaking", rule: "R2" };
    }
    if (context === "response" && keyword === "type") {
      const typeArrayItemAdded = rest.length === 1 && diff.action === "add"; // [string] -> [string, null]
      const typeReplacedOrRemoved = rest.length === 0 && diff.action !== "add";
      const typeItemReplaced = rest.length === 1 && diff.action === "replace";
      if (typeArrayItemAdded || typeReplacedOrRemoved || typeItemReplaced) return { type: "breaking", rule: "R3" };
    }
    if (context === "request" && keyword === "discriminator" && rest[0] === "mapping" && rest.length === 2) {
      return { type: diff.action === "add" ? "non-breaking" : "breaking", rule: "R4" };
    }
  }
  return { type: diff.type, rule: undefined };
}

// api-smart-diff copies a oneOf's discriminator into every branch (`oneOf/<n>/allOf/0/discriminator`), so one mapping
// change is reported once per branch: report it once.
function dedupeKey(diff) {
  return `${diff.action} ${diff.path.join("/").replace(/\/oneOf\/\d+\/allOf\/0\/discriminator\//, "/discriminator/")}`;
}

function show(value) {
  if (value === undefined) return "";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

// api-smart-diff's descriptions are good for the first occurrence of a change and degrade for the repeats reached
// through the same $ref ("in Response 401 content", "annotation (message)"): build a plain one for those.
function labelOf(diff) {
  const text = (diff.description ?? "").trim();
  if (text && text !== "undefined" && !text.startsWith("in ") && !text.includes("annotation (")) return text;
  const p = diff.path.map(String);
  const action = { add: "Added", remove: "Removed", replace: "Replaced", rename: "Renamed" }[diff.action] ?? diff.action;
  const at = locate(diff.path);
  let where = p.slice(0, 3).join(" ");
  if (at?.context === "request") where = "Request Body";
  else if (at?.context === "response") where = `Response ${p[4]}`;
  let subject = p.slice(-2).join(".");
  if (at?.keyword === "properties" && at.name !== undefined) subject = `property \`${at.name}\``;
  else if (at?.keyword === "required") subject = `required status of \`${diff.before ?? diff.after}\``;
  return `[${action}] ${subject} in ${where}`;
}

function describe(diff, rule) {
  const where = diff.path.map(String).join(" > ");
  const change =
    diff.action === "replace" ? `${show(diff.before)} -> ${show(diff.after)}`
    : diff.action === "add" ? `added ${show(diff.after)}`
    : diff.action === "remove" ? `removed ${show(diff.before)}`
    : diff.action;
  const label = labelOf(diff);
  return `${label}\n      at ${where}\n      ${change}${rule ? `  (rule ${rule}, see tools/check_breaking.mjs)` : ""}`;
}

/** Compare two parsed OpenAPI documents: {breaking: [...], other: [...]}, each item {type, rule, diff}. */
export function compareSpecs(before, after) {
  const seen = new Set();
  const breaking = [];
  const other = [];
  for (const diff of apiDiff(before, after)) {
    if (diff.path[0] === "components") continue;
    const key = dedupeKey(diff);
    if (seen.has(key)) continue;
    seen.add(key);
    const { type, rule } = classify(diff);
    (type === "breaking" ? breaking : other).push({ type, rule, diff });
  }
  return { breaking, other };
}

/** compareSpecs' result as plain JSON: each diff with the guard's `type`, its `rule` and api-smart-diff's type. */
export function toJSON({ breaking, other }) {
  const plain = (items) =>
    items.map(({ type, rule, diff }) => ({ ...diff, type, rule: rule ?? null, originalType: diff.type }));
  return { breaking: plain(breaking), other: plain(other) };
}

// ---------------------------------------------------------------------------------------------------------------
// Inputs: files and git refs.

function run(cmd, args, options = {}) {
  try {
    return execFileSync(cmd, args, { env: TOOL_ENV, stdio: ["ignore", "pipe", "pipe"], ...options });
  } catch (error) {
    const stderr = error.stderr ? error.stderr.toString() : "";
    throw new UsageError(`${cmd} ${args.join(" ")} failed:\n${stderr || error.message}`);
  }
}

function loadSpec(file, tmp) {
  if (!fs.existsSync(file)) throw new UsageError(`no such file: ${file}`);
  if (file.endsWith(".json")) return JSON.parse(fs.readFileSync(file, "utf8"));
  if (!fs.existsSync(REDOCLY)) throw new UsageError(`${REDOCLY} is missing: run \`make install\``);
  const out = path.join(tmp, `bundle-${fs.readdirSync(tmp).length}.json`);
  run(REDOCLY, ["bundle", file, "--ext", "json", "-o", out]);
  return JSON.parse(fs.readFileSync(out, "utf8"));
}

function git(args) {
  return run("git", args).toString().trim();
}

function gitOk(args) {
  try {
    execFileSync("git", args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** The default BASE: the last tag, else origin/main, else HEAD~1. */
export function defaultBase() {
  if (gitOk(["describe", "--tags", "--abbrev=0"])) return git(["describe", "--tags", "--abbrev=0"]);
  if (gitOk(["rev-parse", "--verify", "--quiet", "origin/main^{commit}"])) return "origin/main";
  return "HEAD~1";
}

function specAtRef(ref, specPath, tmp) {
  if (!gitOk(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`])) {
    throw new UsageError(`BASE=${ref} is not a commit in this repository`);
  }
  const folder = path.dirname(specPath);
  if (!gitOk(["cat-file", "-e", `${ref}:${specPath}`])) throw new UsageError(`${specPath} does not exist at ${ref}`);
  const archive = path.join(tmp, "base.tar");
  run("git", ["archive", "--format=tar", "-o", archive, ref, "--", folder]);
  const dest = path.join(tmp, "base");
  fs.mkdirSync(dest);
  run("tar", ["-xf", archive, "-C", dest]);
  return path.join(dest, specPath);
}

function parseArgs(argv) {
  const args = { files: [], base: undefined, spec: "openapi/imagineo.yaml", json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--json") args.json = true;
    else if (arg === "--spec") args.spec = argv[++i];
    else if (arg === "--base") {
      const next = argv[i + 1];
      args.base = next === undefined || next.startsWith("--") ? "" : argv[++i];
    } else if (arg.startsWith("--base=")) args.base = arg.slice("--base=".length);
    else if (arg.startsWith("--")) throw new UsageError(`unknown option ${arg}`);
    else args.files.push(arg);
  }
  if (args.base === undefined && args.files.length !== 2) {
    throw new UsageError("usage: check_breaking.mjs --base [REF] [--spec FILE] | check_breaking.mjs BEFORE AFTER");
  }
  return args;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "check-breaking-"));
  try {
    let beforeFile;
    let afterFile;
    let label;
    if (args.base !== undefined) {
      const ref = args.base.trim() || defaultBase();
      beforeFile = specAtRef(ref, args.spec, tmp);
      afterFile = args.spec;
      label = `${args.spec} at ${ref} -> working copy`;
    } else {
      [beforeFile, afterFile] = args.files;
      label = `${beforeFile} -> ${afterFile}`;
    }
    const result = compareSpecs(loadSpec(beforeFile, tmp), loadSpec(afterFile, tmp));
    if (args.json) {
      console.log(JSON.stringify({ label, ...toJSON(result) }, null, 2));
    } else {
      console.log(`check-breaking: ${label}`);
      for (const { type, rule, diff } of result.other) console.log(`  ${type}: ${describe(diff, rule)}`);
      for (const { rule, diff } of result.breaking) console.log(`  BREAKING: ${describe(diff, rule)}`);
      if (result.breaking.length) {
        console.log(
          `${result.breaking.length} breaking change(s): existing clients would break. Keep the old behaviour; if the ` +
            "break is intended, see docs/for-other-languages.md (major info.version, CHANGELOG entry, tag).",
        );
      } else {
        console.log(`No breaking change (${result.other.length} other change(s)).`);
      }
    }
    return result.breaking.length ? 1 : 0;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main();
  } catch (error) {
    console.error(`check-breaking: ${error instanceof UsageError ? error.message : error.stack}`);
    process.exitCode = 2;
  }
}
