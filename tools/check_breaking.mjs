#!/usr/bin/env node
// The OpenAPI contract's release guard: what `make check-breaking`, `make release-spec` and tests/test_release.py run.
//
//   node tools/check_breaking.mjs --base [REF] [--spec openapi/imagineo.yaml]   the spec at the last release (or at
//                                                                                git REF) vs the working copy
//   node tools/check_breaking.mjs --record [--spec openapi/imagineo.yaml]      the same check against the last
//                                                                                release, then record the working
//                                                                                copy as the new release
//   node tools/check_breaking.mjs BEFORE AFTER                                   two files (.json read as is,
//                                                                                .yaml/.yml bundled to JSON first)
//   add --json to print {baseline, version, breaking, other, failures} as JSON instead of text.
//
// Exit status: 0 the rules hold, 1 a rule is broken (each problem listed), 2 usage or tool error.
//
// The baseline. Without REF (or with an empty one) it is the last release: `openapi/released.yaml`, a byte copy of
// the spec as it was released, committed, written by `make release-spec` (`--record`). The record and not a git tag
// is the baseline because CI checks out main without tags: a clone with tags and one without must get the same
// verdict. Tags are the record's labels: the commit that records release X is tagged `vX`, and when the clone has
// `v<semver>` tags reachable from HEAD the highest must agree with the record (the spec at that tag is the record,
// or the record is newer and its tag is still to be made); otherwise the check fails naming the tag. With no record
// (a repository that never recorded a release) the baseline is the last tag, else `origin/main`, else `HEAD~1`. A
// git REF's openapi/ folder is extracted with `git archive`, so a spec split over several files works; the record
// must be self-contained (it is bundled from a folder of its own). Both sides are bundled with the pinned Redocly CLI
// (node_modules/.bin/redocly), so "the spec changed" means the bundled document changed, not a comment or a layout.
//
// The rules:
//   Version rule, against a release (the record, or a `v<semver>` tag): when the spec changed, info.version must be
//     greater than the released version by semver precedence (1.2.0-rc.1 < 1.2.0; build metadata is ignored, so
//     1.1.0+2 is not above 1.1.0), and openapi/CHANGELOG.md (beside the spec) must have a non-empty `## <version>`
//     entry. Not applied to other git refs (origin/main, a branch) or two files: they are not releases.
//   Major rule, against any baseline: a breaking change (below) needs info.version's major above the baseline's
//     (for 0.x versions, the minor: semver's "anything may change" read as cargo reads it). With it, the breaking
//     changes are still listed, as allowed; without it the check fails, listing each one.
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
// Everything else keeps api-smart-diff's type. Only `breaking` changes count for the major rule; `unclassified`
// changes (example values, x- extensions, tag texts) are listed for review.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";

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
// Versions: semver precedence, the CHANGELOG's entries, and the two rules.

// https://semver.org/#is-there-a-suggested-regular-expression-regex-to-check-a-semver-string
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** {major, minor, patch, pre} (numbers as BigInt, `pre` the pre-release identifiers), or null when not semver. */
export function parseSemver(text) {
  const m = SEMVER.exec(String(text));
  if (!m) return null;
  return { major: BigInt(m[1]), minor: BigInt(m[2]), patch: BigInt(m[3]), pre: m[4] ? m[4].split(".") : [] };
}

/** -1, 0 or 1: semver precedence of two version strings (build metadata ignored); throws on a non-semver one. */
export function compareSemver(a, b) {
  const [x, y] = [parseSemver(a), parseSemver(b)];
  if (!x || !y) throw new UsageError(`not a semantic version: ${x ? b : a}`);
  const cmp = (p, q) => (p < q ? -1 : p > q ? 1 : 0);
  for (const key of ["major", "minor", "patch"]) if (x[key] !== y[key]) return cmp(x[key], y[key]);
  if (!x.pre.length || !y.pre.length) return cmp(y.pre.length, x.pre.length); // 1.2.0 is above 1.2.0-rc.1
  for (let i = 0; i < Math.min(x.pre.length, y.pre.length); i++) {
    const [p, q] = [x.pre[i], y.pre[i]];
    const [pn, qn] = [/^\d+$/.test(p), /^\d+$/.test(q)];
    if (pn && qn && BigInt(p) !== BigInt(q)) return cmp(BigInt(p), BigInt(q));
    if (pn !== qn) return pn ? -1 : 1; // numeric identifiers sort before alphanumeric ones
    if (!pn && p !== q) return p < q ? -1 : 1;
  }
  return cmp(x.pre.length, y.pre.length);
}

/** Whether `after` is a new major version of `before` (for 0.x, a new minor): what a breaking change needs. */
export function isMajorBump(before, after) {
  const [x, y] = [parseSemver(before), parseSemver(after)];
  if (!x || !y) return false;
  if (x.major === 0n && y.major === 0n) return y.minor > x.minor;
  return y.major > x.major;
}

/** The CHANGELOG's entries: heading version (`## 1.2.0`, `## [1.2.0]` or `## v1.2.0`) -> the entry's text. */
export function changelogEntries(text) {
  const entries = new Map();
  const parts = text.split(/^## /m).slice(1);
  for (const part of parts) {
    const newline = part.indexOf("\n");
    const heading = newline < 0 ? part : part.slice(0, newline);
    const version = /^\[?v?([^\]\s]+)\]?/.exec(heading.trim())?.[1];
    if (version) entries.set(version, newline < 0 ? "" : part.slice(newline + 1).trim());
  }
  return entries;
}

/** The version rule's problems (a list of sentences; empty when it holds) for a spec compared with a release. */
export function versionProblems({ released, current, changed, changelog, changelogPath }) {
  const problems = [];
  if (!changed) return problems;
  if (!parseSemver(current)) {
    problems.push(`info.version ${JSON.stringify(current)} is not a semantic version (MAJOR.MINOR.PATCH)`);
    return problems;
  }
  if (compareSemver(current, released) <= 0) {
    problems.push(
      `the spec changed since release ${released} but info.version is ${current === released ? "still " : ""}` +
        `${current}: bump it above ${released} (patch: descriptions and examples only; minor: compatible ` +
        "additions; major: breaking changes)",
    );
  }
  if (changelog === undefined) {
    problems.push(`there is no ${changelogPath}: add it with a \`## ${current}\` entry`);
  } else if (compareSemver(current, released) > 0) {
    const entry = changelogEntries(changelog).get(current);
    if (entry === undefined) {
      problems.push(
        `${changelogPath} has no \`## ${current}\` entry: add one, newest first, saying what changed since ${released}`,
      );
    } else if (!entry) {
      problems.push(`${changelogPath}'s \`## ${current}\` entry is empty: say what changed since ${released}`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// Inputs: files, git refs and the release record.

function run(cmd, args, options = {}) {
  try {
    return execFileSync(cmd, args, { env: TOOL_ENV, stdio: ["ignore", "pipe", "pipe"], ...options });
  } catch (error) {
    const stderr = error.stderr ? error.stderr.toString() : "";
    throw new UsageError(`${cmd} ${args.join(" ")} failed:\n${stderr || error.message}`);
  }
}

/** A fresh folder inside `tmp`. */
function scratch(tmp, name) {
  return fs.mkdtempSync(path.join(tmp, `${name}-`));
}

function loadSpec(file, tmp) {
  if (!fs.existsSync(file)) throw new UsageError(`no such file: ${file}`);
  if (file.endsWith(".json")) return JSON.parse(fs.readFileSync(file, "utf8"));
  if (!fs.existsSync(REDOCLY)) throw new UsageError(`${REDOCLY} is missing: run \`make install\``);
  const out = path.join(scratch(tmp, "bundle"), "bundle.json");
  run(REDOCLY, ["bundle", file, "--ext", "json", "-o", out]);
  return JSON.parse(fs.readFileSync(out, "utf8"));
}

/** A spec that must stand alone (a release record), bundled from a folder of its own: a `$ref` to another file
 * fails here instead of silently resolving to today's copy of that file. */
function loadSelfContained(file, tmp) {
  if (!fs.existsSync(file)) throw new UsageError(`no such file: ${file}`);
  const alone = path.join(scratch(tmp, "alone"), path.basename(file));
  fs.copyFileSync(file, alone);
  try {
    return loadSpec(alone, tmp);
  } catch (error) {
    throw new UsageError(`${file} is not self-contained (a release record must be one file):\n${error.message}`);
  }
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

/** The fallback BASE when no release is recorded: the last tag, else origin/main, else HEAD~1. */
export function defaultBase() {
  if (gitOk(["describe", "--tags", "--abbrev=0"])) return git(["describe", "--tags", "--abbrev=0"]);
  if (gitOk(["rev-parse", "--verify", "--quiet", "origin/main^{commit}"])) return "origin/main";
  return "HEAD~1";
}

/** The `v<semver>` tags reachable from HEAD, highest first ([] outside a git repository). */
export function releaseTags() {
  if (!gitOk(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])) return [];
  const tags = git(["tag", "--list", "v*", "--merged", "HEAD"]).split("\n");
  return tags.filter((tag) => parseSemver(tag.slice(1))).sort((a, b) => compareSemver(b.slice(1), a.slice(1)));
}

function specAtRef(ref, specPath, tmp) {
  if (!gitOk(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`])) {
    throw new UsageError(`BASE=${ref} is not a commit in this repository`);
  }
  const folder = path.dirname(specPath);
  if (!gitOk(["cat-file", "-e", `${ref}:${specPath}`])) throw new UsageError(`${specPath} does not exist at ${ref}`);
  const dest = scratch(tmp, "ref");
  const archive = path.join(dest, "base.tar");
  run("git", ["archive", "--format=tar", "-o", archive, ref, "--", folder]);
  run("tar", ["-xf", archive, "-C", dest]);
  return path.join(dest, specPath);
}

/** The release record's path for a spec: `released.yaml` beside it. */
export function recordPath(specPath) {
  return path.join(path.dirname(specPath), "released.yaml");
}

/** Problems with the tags (a list of sentences): the highest `v<semver>` tag must agree with the record. */
function tagProblems(record, recordFile, specPath, tmp) {
  const [tag] = releaseTags();
  if (!tag) return [];
  const [tagged, recorded] = [tag.slice(1), record.info?.version];
  if (!parseSemver(recorded)) return []; // the version rule reports it
  const order = compareSemver(tagged, recorded);
  if (order > 0) {
    return [
      `tag ${tag} is newer than the release recorded in ${recordFile} (${recorded}): the release was tagged ` +
        `without being recorded; check out ${tag}, run \`make release-spec\` and commit the record`,
    ];
  }
  if (order === 0 && !isDeepStrictEqual(loadSpec(specAtRef(tag, specPath, tmp), tmp), record)) {
    return [`${recordFile} (${recorded}) is not the spec at tag ${tag}: the tag or the record names the wrong spec`];
  }
  return [];
}

/** {kind, label, spec, version, release, problems}: what the working copy is compared with. */
function resolveBaseline(args, tmp, { tags = true } = {}) {
  const ref = args.base?.trim();
  const record = recordPath(args.spec);
  if (!ref && fs.existsSync(record)) {
    const spec = loadSelfContained(record, tmp);
    const version = spec.info?.version;
    if (!parseSemver(version)) throw new UsageError(`${record}: info.version ${JSON.stringify(version)} is not semver`);
    return {
      kind: "record",
      label: `release ${version} (${record})`,
      spec,
      version,
      release: true,
      problems: tags ? tagProblems(spec, record, args.spec, tmp) : [],
    };
  }
  const at = ref || defaultBase();
  const spec = loadSpec(specAtRef(at, args.spec, tmp), tmp);
  const isTag = gitOk(["rev-parse", "--verify", "--quiet", `refs/tags/${at}`]);
  const release = isTag && /^v/.test(at) && parseSemver(at.slice(1)) !== null;
  return { kind: "ref", label: `${args.spec} at ${at}`, spec, version: spec.info?.version, release, problems: [] };
}

function readChangelog(file) {
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// The check.

/** Everything the guard found: the diff, the version rule (against a release) and the major rule. */
export function check({ baseline, before, after, changelogPath }) {
  const result = compareSpecs(before, after);
  const [released, current] = [baseline.version, after.info?.version];
  const changed = !isDeepStrictEqual(before, after);
  const version = { before: released ?? null, after: current ?? null, changed, problems: [...baseline.problems] };
  if (baseline.release) {
    const changelog = readChangelog(changelogPath);
    version.problems.push(...versionProblems({ released, current, changed, changelog, changelogPath }));
    if (changelog !== undefined && !changelogEntries(changelog).has(released)) {
      version.problems.push(`${changelogPath} has no entry for the released ${released}`);
    }
  }
  const majorBump = isMajorBump(released, current);
  const breakingFails = result.breaking.length > 0 && !majorBump;
  const failures = [...version.problems];
  if (breakingFails) {
    failures.push(
      `${result.breaking.length} breaking change(s) need a major version, but info.version ${current} keeps the ` +
        `major version of ${released}:\n` +
        result.breaking.map(({ diff }) => `      - ${labelOf(diff)} (at ${diff.path.join(" > ")})`).join("\n"),
    );
  }
  return { ...result, version, majorBump, failures };
}

function report({ label, baseline, result, json }) {
  if (json) {
    const { version, majorBump, failures } = result;
    const base = { kind: baseline.kind, label: baseline.label, version: baseline.version, release: baseline.release };
    console.log(JSON.stringify({ label, baseline: base, version, majorBump, failures, ...toJSON(result) }, null, 2));
    return;
  }
  console.log(`check-breaking: ${label}`);
  for (const { type, rule, diff } of result.other) console.log(`  ${type}: ${describe(diff, rule)}`);
  for (const { rule, diff } of result.breaking) console.log(`  BREAKING: ${describe(diff, rule)}`);
  const { before, after, changed } = result.version;
  console.log(`Version: ${before} -> ${after}${changed ? "" : " (the spec is unchanged)"}.`);
  if (result.breaking.length && result.majorBump) {
    console.log(
      `${result.breaking.length} breaking change(s), allowed by the major version ${after} (from ${before}): the ` +
        "CHANGELOG entry must say how clients migrate.",
    );
  } else if (!result.breaking.length) {
    console.log(`No breaking change (${result.other.length} other change(s)).`);
  }
  for (const failure of result.failures) console.log(`FAIL: ${failure}`);
  if (result.failures.length) {
    console.log(
      'The steps (README.md, "Changing the API"): bump info.version (major for a breaking change, or keep the old ' +
        "behaviour), add its entry to openapi/CHANGELOG.md, record a release with `make release-spec`.",
    );
  }
}

/** `--record`: check the working copy against the last release, then make it the release record. */
function record(args, tmp) {
  const file = recordPath(args.spec);
  const after = loadSelfContained(args.spec, tmp);
  const current = after.info?.version;
  const changelogPath = path.join(path.dirname(args.spec), "CHANGELOG.md");
  // The tags are checked against the record as it would be once written (a tag made before recording is fine).
  const tags = tagProblems(after, file, args.spec, tmp);
  let failures;
  if (fs.existsSync(file)) {
    const baseline = resolveBaseline({ ...args, base: "" }, tmp, { tags: false });
    baseline.problems = tags;
    const result = check({ baseline, before: baseline.spec, after, changelogPath });
    report({ label: `${baseline.label} -> ${args.spec}`, baseline, result, json: false });
    if (!result.version.changed && !result.failures.length) {
      console.log(`${file} already records release ${current}: nothing to record.`);
      return 0;
    }
    failures = result.failures;
  } else {
    // The first release: any semver above 0.0.0, with its CHANGELOG entry.
    const changelog = readChangelog(changelogPath);
    failures = [...tags, ...versionProblems({ released: "0.0.0", current, changed: true, changelog, changelogPath })];
    for (const failure of failures) console.log(`FAIL: ${failure}`);
  }
  if (failures.length) {
    console.log(`Nothing recorded: ${file} is unchanged.`);
    return 1;
  }
  fs.copyFileSync(args.spec, file);
  console.log(
    `Recorded release ${current} in ${file}. Commit it, and tag that commit once it is on main:\n` +
      `  git add ${file} && git commit -m "Release the API contract ${current}"\n` +
      `  git tag v${current}`,
  );
  return 0;
}

function parseArgs(argv) {
  const args = { files: [], base: undefined, record: false, spec: "openapi/imagineo.yaml", json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--json") args.json = true;
    else if (arg === "--record") args.record = true;
    else if (arg === "--spec") args.spec = argv[++i];
    else if (arg === "--base") {
      const next = argv[i + 1];
      args.base = next === undefined || next.startsWith("--") ? "" : argv[++i];
    } else if (arg.startsWith("--base=")) args.base = arg.slice("--base=".length);
    else if (arg.startsWith("--")) throw new UsageError(`unknown option ${arg}`);
    else args.files.push(arg);
  }
  const modes = [args.base !== undefined, args.record, args.files.length > 0].filter(Boolean).length;
  if (modes !== 1 || (args.files.length && args.files.length !== 2) || (args.record && args.json)) {
    throw new UsageError(
      "usage: check_breaking.mjs --base [REF] [--spec FILE] [--json] | --record [--spec FILE] | BEFORE AFTER [--json]",
    );
  }
  return args;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "check-breaking-"));
  try {
    if (args.record) return record(args, tmp);
    let baseline;
    let before;
    let after;
    let label;
    if (args.base !== undefined) {
      baseline = resolveBaseline(args, tmp);
      before = baseline.spec;
      after = loadSpec(args.spec, tmp);
      label = `${baseline.label} -> working copy`;
    } else {
      const [beforeFile, afterFile] = args.files;
      before = loadSpec(beforeFile, tmp);
      after = loadSpec(afterFile, tmp);
      baseline = { kind: "file", label: beforeFile, version: before.info?.version, release: false, problems: [] };
      label = `${beforeFile} -> ${afterFile}`;
    }
    const changelogPath = path.join(path.dirname(args.spec), "CHANGELOG.md");
    const result = check({ baseline, before, after, changelogPath });
    report({ label, baseline, result, json: args.json });
    return result.failures.length ? 1 : 0;
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
