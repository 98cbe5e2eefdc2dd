"""Sharing the spec with other-language teams (docs/for-other-languages.md).

- `make spec` artefacts: self-contained bundled YAML/JSON (valid per openapi-spec-validator), an HTML reference that
  renders with no network, TypeScript types.
- TypeScript parity: the seed page's request objects compile against the types openapi-typescript generates; objects
  that break the contract do not (tests/typescript/).
- A second generator (openapi-typescript-codegen) makes a client from the bundle that type-checks.
- The breaking-change guard (tools/check_breaking.mjs, `make check-breaking`) on fixture pairs derived from the spec.
- Spec versioning: semver `info.version` with an entry in openapi/CHANGELOG.md.

Every npm tool is the pinned copy in node_modules/.bin; a missing one fails the test with "run `make install`".
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NODE_BIN = ROOT / "node_modules" / ".bin"
TS_DIR = ROOT / "tests" / "typescript"
CHECK_BREAKING = ROOT / "tools" / "check_breaking.mjs"
BUILD_SPEC = ROOT / "tools" / "build_spec.py"
TS_REDOCLY_CONFIG = ROOT / "tools" / "openapi-typescript.redocly.yaml"
CHANGELOG = ROOT / "openapi" / "CHANGELOG.md"
OPERATION = ("paths", "/api/v1/runs/generate", "post")
TOOL_ENV_EXTRA = {"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"}
NINE_MODEL_TYPES = [
    "flux-dev",
    "openai",
    "google-imagen4",
    "flux-kontext-max",
    "flux-kontext-multi",
    "wan-image-2.1",
    "wan-image-2.2",
    "nanobanana",
    "qwen-image-edit",
]
# https://semver.org/#is-there-a-suggested-regular-expression-regex-to-check-a-semver-string
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


# ---------------------------------------------------------------------------------------------------------------
# Helpers


def tool(name: str) -> str:
    """The pinned npm tool, or a failure that says how to get it (never a skip, never a global or npx copy)."""
    path = NODE_BIN / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make install` (it runs `npm ci` from package-lock.json)")
    return str(path)


def node() -> str:
    found = shutil.which("node")
    if not found:
        pytest.fail("node is not on PATH: install Node.js 20+, then run `make install`")
    return found


def run(cmd: list[str], *, cwd: Path = ROOT, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **TOOL_ENV_EXTRA}
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=180, check=False)
    if check and result.returncode != 0:
        pytest.fail(f"$ {' '.join(cmd)}\nexit {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def tsc(tsconfig: Path) -> subprocess.CompletedProcess[str]:
    return run([tool("tsc"), "-p", str(tsconfig), "--noEmit", "--strict", "--pretty", "false"], check=False)


def write_tsconfig(path: Path, extends: Path, paths: dict[str, Path], files: list[Path] | None = None) -> Path:
    config: dict[str, Any] = {
        "extends": str(extends),
        "compilerOptions": {"paths": {name: [str(target)] for name, target in paths.items()}},
    }
    if files is not None:
        config["files"] = [str(f) for f in files]
    path.write_text(json.dumps(config, indent=2))
    return path


def schemas(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["components"]["schemas"]  # type: ignore[no-any-return]


def operation(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["paths"]["/api/v1/runs/generate"]["post"]  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------------------------------
# `make spec`: the artefacts


@pytest.fixture(scope="session")
def spec_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The artefacts `make spec` writes (same script), built into a tmp folder once per session."""
    for name in ("redocly", "openapi-typescript"):
        tool(name)
    out = tmp_path_factory.mktemp("spec-build")
    run([sys.executable, str(BUILD_SPEC), "--out", str(out)])
    return out


def external_refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and not value.startswith("#"):
                yield value
            else:
                yield from external_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from external_refs(item)


def test_make_spec_writes_self_contained_valid_bundles(spec_build: Path, spec: dict[str, Any]) -> None:
    """The bundled YAML and JSON exist, hold the same document as openapi/imagineo.yaml, have no external $ref, and
    the JSON validates with openapi-spec-validator.
    Catches: a bundle step dropped or writing YAML where JSON is expected, an external $ref left in the bundle
    (e.g. the spec split into files and bundled without resolving them), a bundle that stops being a valid spec."""
    from openapi_spec_validator import validate

    bundled_json = json.loads((spec_build / "imagineo.json").read_text())
    bundled_yaml = yaml.safe_load((spec_build / "imagineo.yaml").read_text())
    assert bundled_json == bundled_yaml
    assert list(external_refs(bundled_json)) == []
    validate(bundled_json)
    assert bundled_json["info"]["version"] == spec["info"]["version"]
    assert bundled_json["paths"].keys() == spec["paths"].keys()
    assert schemas(bundled_json).keys() == schemas(spec).keys()
    assert bundled_json["components"]["schemas"]["GenerateImageInput"] == schemas(spec)["GenerateImageInput"]


EXTERNAL_URL = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
CSS_IMPORT = re.compile(r"@import\s+(?:url\(\s*)?(['\"]?)([^'\")\s;]+)", re.IGNORECASE)
FONT_FACE = re.compile(r"@font-face\s*\{([^}]*)\}", re.IGNORECASE)
FONT_SRC = re.compile(r"\bsrc\s*:\s*([^;}]*)", re.IGNORECASE)
# A static or dynamic ES module import of a URL, in an inline <script type="module">.
JS_URL_IMPORT = re.compile(r"""\bimport\b[\s\w*{},$]*?(?:\bfrom\s*|\(\s*)(['"`])((?:https?:)?//[^'"`]+)\1""")
LOADING_LINK_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "preconnect", "dns-prefetch"}


class _OfflineScanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.scripts: list[str] = []
        self._in: str | None = None
        self._module = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k.lower(): (v or "") for k, v in attrs}
        if tag == "script":
            if attr.get("src"):
                self.problems.append(f"<script src={attr['src']!r}> loads a script from another file")
            self._in, self._module = "script", attr.get("type", "") == "module"
        elif tag == "link":
            rels = set(attr.get("rel", "").lower().split())
            if rels & LOADING_LINK_RELS or attr.get("as", "").lower() in {"font", "style", "script"}:
                href = attr.get("href", "")
                if href and not href.startswith("data:"):
                    self.problems.append(f"<link rel={attr.get('rel')!r} href={href!r}> loads another file")
        elif tag == "style":
            self._in = "style"
        if attr.get("style"):
            self.scan_css(attr["style"], f"style attribute of <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "style":
            self.scan_css(data, "<style>")
        elif self._in == "script":
            self.scripts.append(data)
            if self._module:
                for m in JS_URL_IMPORT.finditer(data):
                    self.problems.append(f"<script type=module> imports {m[2]!r}")

    def scan_css(self, css: str, where: str) -> None:
        for m in CSS_IMPORT.finditer(css):
            if not m[2].startswith("data:"):
                self.problems.append(f"{where}: @import {m[2]!r}")
        for face in FONT_FACE.finditer(css):
            for src in FONT_SRC.finditer(face[1]):
                for url in CSS_URL.finditer(src[1]):
                    if not url[2].startswith("data:"):
                        self.problems.append(f"{where}: @font-face src {url[2]!r}")
        for url in CSS_URL.finditer(css):
            value = url[2].strip()
            if EXTERNAL_URL.match(value):
                self.problems.append(f"{where}: url({value!r})")


def offline_problems(html: str) -> tuple[list[str], list[str]]:
    """(problems, inline script texts): every reference that needs the network (or another file) to render."""
    scanner = _OfflineScanner()
    scanner.feed(html)
    scanner.close()
    return scanner.problems, scanner.scripts


def test_html_reference_renders_offline(spec_build: Path) -> None:
    """The single-file reference has no external script, stylesheet or font (script src, link stylesheet/preload/
    modulepreload, CSS @import / url() / @font-face src, module import of a URL), carries Redoc's script inline, and
    documents this API.
    Catches: `build-docs` without --inlineBundle (the page then imports Redoc from cdn.redocly.com), a template or
    theme that pulls a web font or stylesheet, an empty or wrong page."""
    html = (spec_build / "imagineo.html").read_text()
    problems, scripts = offline_problems(html)
    assert problems == []
    assert max(len(s) for s in scripts) > 500_000, "Redoc's script is not inlined"
    assert "<title>ImagineoAI API reference</title>" in html
    assert "/api/v1/runs/generate" in html
    for model_type in NINE_MODEL_TYPES:
        assert model_type in html


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="https://cdn.redocly.com/redoc/redoc.standalone.js"></script>',
        '<script src="//cdn.example.com/redoc.js"></script>',
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">',
        '<link rel="stylesheet" href="//fonts.googleapis.com/css?family=Roboto">',
        '<link rel="preload" as="font" href="https://fonts.gstatic.com/x.woff2" crossorigin>',
        '<link rel="modulepreload" href="https://cdn.redocly.com/redoc/v3.0.1/bundles/redoc.standalone.js">',
        '<style>@import url("https://fonts.googleapis.com/css?family=Montserrat");</style>',
        "<style>@import '//cdn.example.com/theme.css';</style>",
        "<style>.logo { background: url(https://cdn.example.com/logo.png) }</style>",
        '<style>@font-face { font-family: X; src: url("//fonts.gstatic.com/x.woff2") format("woff2") }</style>',
        "<div style=\"background-image: url('http://cdn.example.com/bg.png')\"></div>",
        '<script type="module">import { hydrate } from "https://cdn.redocly.com/redoc/v3/redoc.js";</script>',
        '<script type="module">const m = await import("https://cdn.example.com/x.js");</script>',
    ],
)
def test_offline_check_flags_each_kind_of_external_reference(snippet: str) -> None:
    """The HTML scanner itself: each kind of network reference it is meant to catch is reported.
    Catches: a scanner regex or tag rule that stops matching (the offline test above would then pass vacuously)."""
    problems, _ = offline_problems(f"<html><head>{snippet}</head><body></body></html>")
    assert len(problems) >= 1, snippet


def test_offline_check_allows_inline_and_data_references() -> None:
    """Inline code, data: URIs, plain links and URLs inside script strings are not network loads.
    Catches: a scanner so broad that it would fail every page (and get switched off)."""
    html = """<html><head>
      <style>@font-face{font-family:I;src:url('data:application/font-woff;base64,AAAA') format('woff')}
             .a{background:url("data:image/svg+xml,%3Csvg%3E%3C/svg%3E")}</style>
      <script>var docs = "https://react.dev/errors/"; var ns = "http://www.w3.org/2000/svg";</script>
      <script type="module">import("./local.js"); const u = `https://redocly.com/redoc/`;</script>
    </head><body><a href="https://imagineo.example.com/support">support</a></body></html>"""
    assert offline_problems(html)[0] == []


def test_html_reference_built_without_inline_bundle_is_caught(tmp_path: Path) -> None:
    """The real failure mode: Redocly CLI's default build-docs output (no --inlineBundle) loads Redoc from its CDN,
    and the offline check reports it.
    Catches: the offline check no longer recognising how build-docs references the CDN."""
    out = tmp_path / "cdn.html"
    run([tool("redocly"), "build-docs", str(ROOT / "openapi" / "imagineo.yaml"), "-o", str(out)])
    problems, _ = offline_problems(out.read_text())
    assert any("cdn.redocly.com" in p for p in problems), problems


# ---------------------------------------------------------------------------------------------------------------
# TypeScript parity: the seed's examples compile, contract violations do not


SEED_MODEL_TYPES = {
    "flux-dev",
    "google-imagen4",
    "flux-kontext-max",
    "nanobanana",
    "openai",
    "wan-image-2.1",
    "wan-image-2.2",
    "qwen-image-edit",
}


# tests/typescript/tsconfig.json's "files" (the test's copy of the config lists them again, plus generated files).
TS_PROJECT_FILES = ("seed_examples.ts", "minimal_requests.ts", "contract_violations.ts")


def expect_error_lines() -> dict[str, int]:
    """Name of each declaration in contract_violations.ts -> line (1-based) of the `@ts-expect-error` above it."""
    lines = (TS_DIR / "contract_violations.ts").read_text().splitlines()
    found = {}
    for index, line in enumerate(lines):
        if line.lstrip().startswith("// @ts-expect-error"):
            m = re.match(r"export const (\w+): GenerateRequest = \{.*\};$", lines[index + 1])
            assert m, f"line {index + 2}: the object under a @ts-expect-error must be one declaration on one line"
            found[m[1]] = index + 1
    return found


def spec_examples_ts(spec: dict[str, Any]) -> str:
    examples = operation(spec)["requestBody"]["content"]["application/json"]["examples"]
    lines = ['import type { operations } from "imagineo-openapi-types";']
    lines.append('type GenerateRequest = operations["generate_run"]["requestBody"]["content"]["application/json"];')
    for index, (name, example) in enumerate(examples.items()):
        lines.append(f"// {name}")
        lines.append(f"export const example{index}: GenerateRequest = {json.dumps(example['value'])};")
    return "\n".join(lines) + "\n"


def test_typescript_files_cover_the_seed_examples_and_the_four_violations() -> None:
    """seed_examples.ts declares one request object per example on the seed page (8, every model type but
    flux-kontext-multi, which the page has no example for); minimal_requests.ts has one request per model type (9);
    contract_violations.ts has the four required violations; tsconfig.json compiles all three.
    Catches: an example, a model type or a violation deleted, or a file dropped from the project (the compile would
    still pass without it)."""
    tsconfig = (TS_DIR / "tsconfig.json").read_text()
    assert re.search(r'"files": \[' + ", ".join(f'"{f}"' for f in TS_PROJECT_FILES) + r"\]", tsconfig)
    minimal = (TS_DIR / "minimal_requests.ts").read_text()
    assert re.findall(r"model_type: '([^']+)'", minimal) == NINE_MODEL_TYPES
    seed = (TS_DIR / "seed_examples.ts").read_text()
    assert len(re.findall(r"^export const \w+: GenerateRequest = \{$", seed, re.M)) == 8
    assert set(re.findall(r"model_type: '([^']+)'", seed)) == SEED_MODEL_TYPES
    assert "model_id: 'your-model-uuid'" in seed  # the seed's placeholder, verbatim
    assert set(expect_error_lines()) == {
        "imagen4WithoutAspectRatio",
        "wan21WithoutModelId",
        "kontextMaxBadAspectRatio",
        "fluxDevMisspelledField",
    }


def test_seed_examples_compile_and_contract_violations_do_not(
    spec_build: Path, spec: dict[str, Any], tmp_path: Path
) -> None:
    """`tsc --noEmit --strict` over the seed's request objects, a minimal request per model type, every request
    example in the spec, and the @ts-expect-error violations, against the types openapi-typescript generated from
    the spec.
    Catches: the spec rejecting a seed example (a field renamed, an enum value dropped), defaulted fields generated
    as required (openapi-typescript without --default-non-nullable false: minimal_requests.ts fails), and the spec
    accepting a violation (TS2578 unused directive)."""
    (tmp_path / "spec_examples.ts").write_text(spec_examples_ts(spec))
    tsconfig = write_tsconfig(
        tmp_path / "tsconfig.json",
        TS_DIR / "tsconfig.json",
        {"imagineo-openapi-types": spec_build / "imagineo.d.ts"},
        [*(TS_DIR / f for f in TS_PROJECT_FILES), tmp_path / "spec_examples.ts"],
    )
    result = tsc(tsconfig)
    assert result.returncode == 0, result.stdout + result.stderr


RELAXATIONS: dict[str, Callable[[dict[str, Any]], None]] = {
    "imagen4WithoutAspectRatio": lambda d: schemas(d)["GoogleImagen4Input"]["required"].remove("aspect_ratio"),
    "wan21WithoutModelId": lambda d: schemas(d)["WanImage21Input"]["required"].remove("model_id"),
    "kontextMaxBadAspectRatio": lambda d: schemas(d)["KontextAspectRatio"]["enum"].append("7:5"),
    "fluxDevMisspelledField": lambda d: schemas(d)["FluxDevInput"].update(additionalProperties=True),
}


# openapi-typescript's own API, in one node process for all relaxed specs (the CLI costs ~1.5 s of start-up each);
# defaultNonNullable: false is the CLI's --default-non-nullable false. The output is the CLI's, minus its header.
_GENERATE_TYPES = """
import fs from "node:fs";
import { pathToFileURL } from "node:url";
const [moduleFile, ...pairs] = process.argv.slice(2);
const { default: openapiTS, astToString } = await import(pathToFileURL(moduleFile).href);
for (let i = 0; i < pairs.length; i += 2) {
  const ast = await openapiTS(pathToFileURL(pairs[i]), { defaultNonNullable: false, silent: true });
  fs.writeFileSync(pairs[i + 1], astToString(ast));
}
"""


def test_each_violation_is_rejected_by_its_own_rule_only(spec: dict[str, Any], tmp_path: Path) -> None:
    """For each violation, a copy of the spec with just that rule relaxed (aspect_ratio not required, model_id not
    required, "7:5" added to the Kontext list, additionalProperties true on flux-dev) makes exactly that
    @ts-expect-error unused (TS2578), and nothing else fails.
    Catches: a violation object that is an error for some other reason (a typo in it), so it would not notice the
    spec relaxing the rule it is there for; and openapi-typescript no longer turning these rules into types."""
    assert set(RELAXATIONS) == set(expect_error_lines())
    tool("openapi-typescript")
    seed = (TS_DIR / "seed_examples.ts").read_text()
    assert seed.count('from "imagineo-openapi-types"') == 1
    pairs: list[str] = []
    for name, relax in RELAXATIONS.items():
        folder = tmp_path / name
        folder.mkdir()
        relaxed = copy.deepcopy(spec)
        relax(relaxed)
        (folder / "spec.json").write_text(json.dumps(relaxed))
        pairs += [str(folder / "spec.json"), str(folder / "imagineo.d.ts")]
        (folder / "seed_examples.ts").write_text(seed.replace('from "imagineo-openapi-types"', 'from "./imagineo"'))
        shutil.copy(TS_DIR / "contract_violations.ts", folder / "contract_violations.ts")
    script = tmp_path / "generate_types.mjs"
    script.write_text(_GENERATE_TYPES)
    run([node(), str(script), str(ROOT / "node_modules" / "openapi-typescript" / "dist" / "index.mjs"), *pairs])

    files = [tmp_path / name / f for name in RELAXATIONS for f in ("seed_examples.ts", "contract_violations.ts")]
    tsconfig = write_tsconfig(tmp_path / "tsconfig.json", TS_DIR / "tsconfig.json", {}, files)
    result = tsc(tsconfig)
    lines = expect_error_lines()
    errors = sorted(
        (Path(m["file"]).parent.name, Path(m["file"]).name, int(m["line"]), m["code"])
        for m in re.finditer(r"^(?P<file>[^\n(]+)\((?P<line>\d+),\d+\): error (?P<code>TS\d+)", result.stdout, re.M)
    )
    expected = sorted((name, "contract_violations.ts", lines[name], "TS2578") for name in RELAXATIONS)
    assert errors == expected, result.stdout


# ---------------------------------------------------------------------------------------------------------------
# A second generator: openapi-typescript-codegen


def test_second_generator_makes_a_client_that_type_checks(spec_build: Path, tmp_path: Path) -> None:
    """openapi-typescript-codegen@0.31.0 generates a fetch client from the bundled JSON; tsc --strict type-checks all
    of it together with tests/typescript/codegen_client.ts, which calls it with seed examples, rejects a broken
    request, and asserts that both generators' request-body types are mutually assignable.
    Catches: a spec construct the second generator cannot read or turns into code that does not compile, and the
    two generators disagreeing about the request body."""
    client = tmp_path / "client"
    # Not node_modules/.bin/openapi: @redocly/cli has an `openapi` command too, and after `npm ci` that link is its.
    generator = ROOT / "node_modules" / "openapi-typescript-codegen" / "bin" / "index.js"
    if not generator.exists():
        pytest.fail(f"{generator} is missing: run `make install` (it runs `npm ci` from package-lock.json)")
    cmd = [node(), str(generator), "--input", str(spec_build / "imagineo.json"), "--output", str(client)]
    run([*cmd, "--client", "fetch", "--useUnionTypes"])
    service = (client / "services" / "RunsService.ts").read_text()
    assert "public static generateRun(" in service
    assert "url: '/api/v1/runs/generate'" in service
    tsconfig = write_tsconfig(
        tmp_path / "tsconfig.json",
        TS_DIR / "tsconfig.codegen.json",
        {"imagineo-openapi-types": spec_build / "imagineo.d.ts", "imagineo-codegen-client": client / "index.ts"},
    )
    result = tsc(tsconfig)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (TS_DIR / "codegen_client.ts").read_text().count("@ts-expect-error") == 1


# ---------------------------------------------------------------------------------------------------------------
# Breaking-change guard


def _remove_variant(d: dict[str, Any], model_type: str, schema: str) -> None:
    union = schemas(d)["GenerateImageInput"]
    union["oneOf"] = [v for v in union["oneOf"] if not v["$ref"].endswith(f"/{schema}")]
    del union["discriminator"]["mapping"][model_type]
    del schemas(d)[schema]


def _rename_model_type(d: dict[str, Any]) -> None:
    schemas(d)["NanobananaInput"]["properties"]["model_type"]["const"] = "nano-banana"
    mapping = schemas(d)["GenerateImageInput"]["discriminator"]["mapping"]
    mapping["nano-banana"] = mapping.pop("nanobanana")


def _add_required(d: dict[str, Any], schema: str, field: str, definition: dict[str, Any] | None = None) -> None:
    if definition is not None:
        schemas(d)[schema]["properties"][field] = definition
    schemas(d)[schema]["required"].append(field)


def _add_model_type(d: dict[str, Any]) -> None:
    schemas(d)["FluxProInput"] = {
        "title": "FluxProInput",
        "type": "object",
        "additionalProperties": False,
        "required": ["prompt", "model_type"],
        "properties": {
            "prompt": {"$ref": "#/components/schemas/Prompt"},
            "model_type": {"type": "string", "const": "flux-pro"},
        },
    }
    union = schemas(d)["GenerateImageInput"]
    union["oneOf"].append({"$ref": "#/components/schemas/FluxProInput"})
    union["discriminator"]["mapping"]["flux-pro"] = "#/components/schemas/FluxProInput"


def _ends(*tail: Any) -> Callable[[dict[str, Any]], bool]:
    return lambda item: [str(p) for p in item["path"][-len(tail) :]] == [str(t) for t in tail]


# id -> (mutation, predicate that one reported breaking change must satisfy, rule expected on it or None)
BREAKING: dict[str, tuple[Callable[[dict[str, Any]], None], Callable[[dict[str, Any]], bool], str | None]] = {
    "removed model type": (
        lambda d: _remove_variant(d, "nanobanana", "NanobananaInput"),
        _ends("discriminator", "mapping", "nanobanana"),
        "R4",
    ),
    "renamed model type (const and mapping)": (_rename_model_type, _ends("mapping", "nanobanana"), "R4"),
    "removed request field": (
        lambda d: schemas(d)["FluxKontextMaxInput"]["properties"].pop("seed"),
        _ends("properties", "seed"),
        "R1",
    ),
    "new required field": (
        lambda d: _add_required(d, "NanobananaInput", "style", {"type": "string"}),
        lambda item: item["path"][-2] == "required" and item["after"] == "style",
        None,
    ),
    "optional field made required": (
        lambda d: _add_required(d, "FluxDevInput", "width"),
        lambda item: item["path"][-2] == "required" and item["after"] == "width",
        None,
    ),
    "narrowed maximum": (
        lambda d: schemas(d)["Dimension"].update(maximum=1024),
        lambda item: item["path"][-1] == "maximum" and item["after"] == 1024,
        None,
    ),
    "narrowed minimum": (
        lambda d: schemas(d)["WanImage22Input"]["properties"]["batch_size"].update(minimum=2),
        lambda item: item["path"][-2:] == ["batch_size", "minimum"],
        None,
    ),
    "narrowed maxItems": (
        lambda d: schemas(d)["FluxKontextMultiInput"]["properties"]["image_urls"].update(maxItems=3),
        _ends("image_urls", "maxItems"),
        None,
    ),
    "narrowed enum": (
        lambda d: schemas(d)["KontextAspectRatio"]["enum"].remove("21:9"),
        lambda item: "enum" in item["path"] and item["before"] == "21:9",
        None,
    ),
    "changed request type": (
        lambda d: schemas(d)["Seed"].update(type="string"),
        lambda item: item["path"][-2:] == ["seed", "type"] and item["after"] == "string",
        None,
    ),
    "changed response type": (
        lambda d: schemas(d)["GenerateImageOutput"]["properties"]["run_id"].update(type="integer"),
        lambda item: "responses" in item["path"] and item["path"][-2:] == ["run_id", "type"],
        "R3",
    ),
    "response field made nullable": (
        lambda d: schemas(d)["GenerateImageOutput"]["properties"]["run_id"].update(type=["string", "null"]),
        lambda item: "responses" in item["path"] and item["path"][-2:] == ["run_id", "type"],
        "R3",
    ),
    "removed response field": (
        lambda d: schemas(d)["GenerateImageOutput"]["properties"].pop("run_id"),
        lambda item: "responses" in item["path"] and item["path"][-2:] == ["properties", "run_id"],
        "R2",
    ),
    "removed error body field": (
        lambda d: schemas(d)["Error"]["properties"].pop("code"),
        lambda item: item["path"][4] == "422" and item["path"][-2:] == ["properties", "code"],
        "R2",
    ),
    "removed status 204": (
        lambda d: operation(d)["responses"].pop("204"),
        _ends("responses", "204"),
        None,
    ),
    "removed status 429": (
        lambda d: operation(d)["responses"].pop("429"),
        _ends("responses", "429"),
        None,
    ),
}


def _next_minor(version: str) -> str:
    major, minor, _ = (int(part) for part in version.split("."))
    return f"{major}.{minor + 1}.0"


COMPATIBLE: dict[str, Callable[[dict[str, Any]], None]] = {
    "new optional field": lambda d: schemas(d)["FluxDevInput"]["properties"].update(
        negative_prompt={"type": "string", "description": "What to avoid in the image."}
    ),
    "new model type": _add_model_type,
    "added description": lambda d: schemas(d)["FluxDevInput"]["properties"]["width"].update(
        description="Width in pixels."
    ),
    "changed description": lambda d: schemas(d)["Dimension"].update(description="Size in pixels (64 to 2048)."),
    "widened maximum": lambda d: schemas(d)["Dimension"].update(maximum=4096),
    "widened enum": lambda d: schemas(d)["KontextAspectRatio"]["enum"].append("7:5"),
    "required request field made optional": lambda d: schemas(d)["WanImage22Input"]["required"].remove(
        "lora_high_name"
    ),
    "new response field": lambda d: schemas(d)["GenerateImageOutput"]["properties"].update(seed={"type": "integer"}),
    "new error status": lambda d: operation(d)["responses"].update(
        {"418": {"$ref": "#/components/responses/Conflict"}}
    ),
    "changed request example": lambda d: operation(d)["requestBody"]["content"]["application/json"]["examples"][
        "flux-dev"
    ]["value"].update(width=1024),
    "version bump": lambda d: d["info"].update(version=_next_minor(d["info"]["version"])),
    # The server promising less is fine for clients; api-smart-diff's components/ diff calls it breaking (it judges
    # component schemas by request rules), which is why the guard reads only the operation-level diffs.
    "narrowed response field": lambda d: schemas(d)["GenerateImageOutput"]["properties"]["run_id"].update(maxLength=64),
}

_BATCH = """
import fs from "node:fs";
import { pathToFileURL } from "node:url";
const [tool, base, ...cases] = process.argv.slice(2);
const { compareSpecs, toJSON } = await import(pathToFileURL(tool).href);
const before = JSON.parse(fs.readFileSync(base, "utf8"));
const results = {};
for (const file of cases) {
  results[file] = toJSON(compareSpecs(before, JSON.parse(fs.readFileSync(file, "utf8"))));
}
console.log(JSON.stringify(results));
"""


@pytest.fixture(scope="session")
def guard_results(spec: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The guard's verdict on every fixture pair (the real spec vs a mutated copy), computed in one node process with
    the function `make check-breaking` uses (compareSpecs in tools/check_breaking.mjs)."""
    tool("redocly")  # node_modules present (api-smart-diff is imported from it)
    folder = tmp_path_factory.mktemp("breaking")
    base = folder / "base.json"
    base.write_text(json.dumps(spec))
    files = {}
    cases = {name: mutate for name, (mutate, _, _) in BREAKING.items()} | COMPATIBLE
    for index, (name, mutate) in enumerate(cases.items()):
        after = copy.deepcopy(spec)
        mutate(after)
        assert after != spec, name
        files[name] = folder / f"case{index}.json"
        files[name].write_text(json.dumps(after))
    script = folder / "batch.mjs"
    script.write_text(_BATCH)
    result = run([node(), str(script), str(CHECK_BREAKING), str(base), *map(str, files.values())])
    by_file = json.loads(result.stdout)
    return {name: by_file[str(path)] for name, path in files.items()}


@pytest.mark.parametrize("case", list(BREAKING))
def test_guard_flags_each_breaking_change(case: str, guard_results: dict[str, dict[str, Any]]) -> None:
    """Each breaking change (removed or renamed model type, removed request field, new required field, narrowed
    range/maxItems/enum, changed type in request or response, removed response field, removed status) is reported
    as breaking, at the right place, by the rule noted where api-smart-diff alone gets it wrong.
    Catches: a breaking change the guard would let through (api-smart-diff misclassifying, a rule R1-R4 removed or
    broken, the operation-level filter dropping it)."""
    _, expected, rule = BREAKING[case]
    breaking = guard_results[case]["breaking"]
    matching = [item for item in breaking if expected(item)]
    assert matching, json.dumps(breaking, indent=1)
    if rule:
        assert {item["rule"] for item in matching} == {rule}


@pytest.mark.parametrize("case", list(COMPATIBLE))
def test_guard_passes_compatible_changes(case: str, guard_results: dict[str, dict[str, Any]]) -> None:
    """A compatible change (new optional field, new model type, added or changed description, wider range or enum,
    a required request field made optional, new response field or status, example or version change, a response
    field narrowed) is seen but not reported as breaking.
    Catches: a guard so strict it fails every spec edit (the added-field, new-variant and description cases in
    particular; the narrowed response field if components/ diffs are let in), or one that no longer sees the change
    at all."""
    assert guard_results[case]["breaking"] == []
    assert guard_results[case]["other"], "the change was not seen at all"


@pytest.mark.parametrize(
    ("case", "rule"),
    [
        ("removed request field", "R1"),
        ("removed response field", "R2"),
        ("removed error body field", "R2"),
        ("changed response type", "R3"),
        ("response field made nullable", "R3"),
        ("renamed model type (const and mapping)", "R4"),
    ],
)
def test_rules_fix_what_api_smart_diff_misclassifies(
    case: str, rule: str, guard_results: dict[str, dict[str, Any]]
) -> None:
    """Measured with api-smart-diff@1.0.6: on these cases its own verdict is not `breaking` (and for the renamed model
    type it reports nothing breaking at all), so the rule is what makes the guard fail.
    Catches: a rule dropped as "redundant"; if an upgraded api-smart-diff classifies a case itself, this test says
    so, and the rule can be reconsidered (docs/for-other-languages.md lists them)."""
    ruled = [item for item in guard_results[case]["breaking"] if item["rule"] == rule]
    assert ruled
    assert all(item["originalType"] != "breaking" for item in ruled)
    if case.startswith("renamed"):
        assert [item for item in guard_results[case]["breaking"] if item["rule"] is None] == []


def test_check_breaking_cli_exit_codes_and_listing(spec: dict[str, Any], tmp_path: Path) -> None:
    """The command line: exit 1 listing each breaking change (BREAKING: ... at <path>), exit 0 on a compatible
    change, exit 2 on a usage error.
    Catches: a CLI that prints the problem but exits 0 (make would not fail), or fails without saying why."""
    base, broken, fine = tmp_path / "base.json", tmp_path / "broken.json", tmp_path / "fine.json"
    base.write_text(json.dumps(spec))
    after = copy.deepcopy(spec)
    schemas(after)["Dimension"]["maximum"] = 1024
    operation(after)["responses"].pop("204")
    broken.write_text(json.dumps(after))
    after = copy.deepcopy(spec)
    _add_model_type(after)
    fine.write_text(json.dumps(after))

    result = run([node(), str(CHECK_BREAKING), str(base), str(broken)], check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BREAKING: [Replaced] maximum validator of `width`" in result.stdout
    assert "BREAKING: [Removed] Response 204" in result.stdout
    assert "breaking change(s)" in result.stdout

    result = run([node(), str(CHECK_BREAKING), str(base), str(fine)], check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No breaking change" in result.stdout

    result = run([node(), str(CHECK_BREAKING), str(base)], check=False)
    assert result.returncode == 2
    assert "usage" in result.stderr


def test_check_breaking_compares_a_git_base_with_the_working_copy(spec: dict[str, Any], tmp_path: Path) -> None:
    """`--base` (what `make check-breaking BASE=...` runs) in a repository: with no BASE it takes HEAD~1 when there is
    no tag and no origin/main, then the last tag once there is one; the spec at BASE comes from git, the other side
    is the working copy, and YAML on both sides is bundled.
    Catches: the default BASE resolving wrong, comparing HEAD with itself, or reading the wrong files."""
    repo = tmp_path / "repo"
    (repo / "openapi").mkdir(parents=True)
    spec_file = repo / "openapi" / "imagineo.yaml"
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]
    run(["git", "init", "-q", str(repo)])
    shutil.copy(ROOT / "openapi" / "imagineo.yaml", spec_file)
    run([*git, "add", "openapi"], cwd=repo)
    run([*git, "commit", "-q", "-m", "1.0.0"], cwd=repo)
    narrowed = copy.deepcopy(spec)
    schemas(narrowed)["Dimension"]["maximum"] = 1024
    spec_file.write_text(yaml.safe_dump(narrowed, sort_keys=False))
    run([*git, "commit", "-q", "-am", "narrow"], cwd=repo)
    spec_file.write_text(yaml.safe_dump(spec, sort_keys=False))  # working copy: widened back, compatible

    result = run([node(), str(CHECK_BREAKING), "--base"], cwd=repo, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "openapi/imagineo.yaml at HEAD~1 -> working copy" in result.stdout

    spec_file.write_text(yaml.safe_dump(narrowed, sort_keys=False))
    run([*git, "tag", "v1.0.0", "HEAD~1"], cwd=repo)
    result = run([node(), str(CHECK_BREAKING), "--base", ""], cwd=repo, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "openapi/imagineo.yaml at v1.0.0 -> working copy" in result.stdout
    assert "maximum validator of `width`" in result.stdout

    result = run([node(), str(CHECK_BREAKING), "--base", "no-such-ref"], cwd=repo, check=False)
    assert result.returncode == 2
    assert "not a commit" in result.stderr


# ---------------------------------------------------------------------------------------------------------------
# Versioning and tooling pins


def changelog_versions() -> list[str]:
    return re.findall(r"^## \[?v?([^\]\s]+)\]?", CHANGELOG.read_text(), re.M)


def test_info_version_is_semver(spec: dict[str, Any]) -> None:
    """info.version is a semantic version (MAJOR.MINOR.PATCH[-pre][+build]).
    Catches: versions such as "1.0", "v1.0.0" or "2025-11" that the breaking-change rule cannot be applied to."""
    assert SEMVER.match(str(spec["info"]["version"])), spec["info"]["version"]


def test_changelog_has_an_entry_for_the_current_version(spec: dict[str, Any]) -> None:
    """openapi/CHANGELOG.md's newest entry is the spec's info.version; every heading is semver, newest first, each
    once.
    Catches: info.version bumped without a changelog entry, or an entry added under the wrong or a malformed version."""
    versions = changelog_versions()
    assert versions, "no '## <version>' entries"
    assert versions[0] == spec["info"]["version"]
    assert all(SEMVER.match(v) for v in versions), versions
    cores = [tuple(int(n) for n in SEMVER.match(v).groups()[:3]) for v in versions]  # type: ignore[union-attr]
    assert cores == sorted(set(cores), reverse=True), versions


def test_changelog_starts_with_the_initial_contract(spec: dict[str, Any]) -> None:
    """The oldest entry is 1.0.0 and lists the nine model types of the initial contract.
    Catches: the changelog's history rewritten or the initial contract's model types missing from it."""
    text = CHANGELOG.read_text()
    assert changelog_versions()[-1] == "1.0.0"
    initial = text.split("## 1.0.0", 1)[1]
    for model_type in NINE_MODEL_TYPES:
        assert f"`{model_type}`" in initial, model_type
    assert sorted(schemas(spec)["GenerateImageInput"]["discriminator"]["mapping"]) == sorted(NINE_MODEL_TYPES)


def test_npm_tools_are_pinned_exactly() -> None:
    """Every npm tool in package.json is an exact version, installed at that version by the committed lock file, and
    the ones this file relies on are there.
    Catches: a range (^, ~, latest) that would let `npm ci` pick another version, a lock out of step with
    package.json, and a tool missing from the pins (it would be fetched by npx or taken from a global install)."""
    package = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    pins = {**package.get("dependencies", {}), **package.get("devDependencies", {})}
    for name, version in pins.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name}: {version}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version, name
    assert pins["openapi-typescript-codegen"] == "0.31.0"
    assert pins["typescript"].startswith("5."), "openapi-typescript 7.13.0 crashes with TypeScript 7"
    for name in ("@redocly/cli", "openapi-typescript", "api-smart-diff", "typescript"):
        assert name in pins
