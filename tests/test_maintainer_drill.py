"""The maintainer's loop, drilled: edit the spec, run the generator, and everything follows with no other edit.

A copy of the project (spec, generator, generated package, overlay, pyproject) gets scripted spec edits of every
kind the maintainers make, then ``generator/generate.py``; subprocesses that import only the copy then prove:

* runtime: the new model type is accepted, its spec default is sent, a missing required field of it is named, and
  the changed default, the added optional field, the narrowed range and the removed model type all take effect;
* the command line: ``imagineo models --json`` lists the new model type and its fields, and
  ``imagineo generate --model <new>`` sends it;
* types: mypy --strict accepts a valid call for the new model type and flags one without its required field;
* operations (issue 17): a GET operation with a path parameter, a POST operation with a body and the
  Idempotency-Key parameter listed *first* in ``paths``, a new enum value, a new response field, a deprecated
  property, a new error status, a bumped ``info.version`` and a new header parameter each reach the runtime
  (``client.runs.get``, ``client.runs.combine``, typed results and errors, warnings, User-Agent, the header), mypy,
  the CLI and the sandbox, while ``client.images.generate`` still posts to its own path.

The edits are chosen from the spec itself (the first numeric default, the first bounded integer, the last model type
that is not the default), so the drill keeps working whatever the spec's model types are. It breaks when any part of
the SDK keeps a second copy of the catalogue (as MODEL_TYPES/MODEL_DEFAULTS, the *Params classes and the overloads
once did: the new model type was refused and the old default sent).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.spec_cases import DEFAULT_MODEL_TYPE, ROOT, SCHEMAS, SPEC, TAG_FIELD, VARIANT_SCHEMA_NAMES, VARIANTS

pytestmark = pytest.mark.slow

NEW = "sketch-1"
NEW_SCHEMA = {
    "title": "Sketch1Input",
    "description": "A drill model type: a pencil or ink sketch.",
    "type": "object",
    "additionalProperties": False,
    "required": ["prompt", TAG_FIELD, "style"],
    "properties": {
        "prompt": {"$ref": "#/components/schemas/Prompt"},
        TAG_FIELD: {"type": "string", "const": NEW, "description": "Selects the drill model."},
        "style": {"type": "string", "enum": ["pencil", "ink", "charcoal"], "description": "Drawing medium."},
        "strokes": {"type": "integer", "minimum": 1, "maximum": 50, "default": 12, "description": "Stroke count."},
        "detail": {"type": "number", "minimum": 0, "maximum": 1, "description": "Detail, 0 to 1."},
    },
}
ADDED_FIELD = "drill_note"


def _edits(spec: dict[str, Any]) -> dict[str, Any]:
    """Apply the drill's edits to a copy of the spec; return what a check needs to know about them."""
    schemas = spec["components"]["schemas"]
    union = schemas["GenerateImageInput"]
    by_tag = {schemas[m["$ref"].rsplit("/", 1)[1]]["properties"][TAG_FIELD]["const"]: m["$ref"] for m in union["oneOf"]}
    # 1. a new model type, with a named example
    schemas["Sketch1Input"] = NEW_SCHEMA
    union["oneOf"].append({"$ref": "#/components/schemas/Sketch1Input"})
    union["discriminator"]["mapping"][NEW] = "#/components/schemas/Sketch1Input"
    examples = spec["paths"]["/api/v1/runs/generate"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    examples[NEW] = {"summary": "A drill sketch", "value": {"prompt": "A lighthouse", TAG_FIELD: NEW, "style": "ink"}}
    # 2. a changed default: the first numeric default in the spec
    changed_type, changed_field = next(
        (t, f) for t, v in VARIANTS.items() for f, p in v["properties"].items()
        if isinstance(p.get("default"), int | float) and "maximum" in p and p["default"] != p["maximum"]
    )  # fmt: skip
    prop = VARIANTS[changed_type]["properties"][changed_field]
    new_default = prop["maximum"]
    target = schemas[by_tag[changed_type].rsplit("/", 1)[1]]["properties"][changed_field]
    target["default"] = new_default
    # 3. an optional field added to the default model type, and a range narrowed on the first bounded integer
    default_schema = schemas[by_tag[DEFAULT_MODEL_TYPE].rsplit("/", 1)[1]]
    default_schema["properties"][ADDED_FIELD] = {"type": "string", "minLength": 1, "description": "A drill field."}
    narrowed_type, narrowed_field = next(
        (t, f) for t, v in VARIANTS.items() for f, p in v["properties"].items()
        if p.get("type") == "integer" and "maximum" in p and "minimum" in p and f not in v["required"]
    )  # fmt: skip
    narrowed = VARIANTS[narrowed_type]["properties"][narrowed_field]
    new_max = (narrowed["minimum"] + narrowed["maximum"]) // 2
    narrowed_schema = schemas[by_tag[narrowed_type].rsplit("/", 1)[1]]["properties"]
    narrowed_schema[narrowed_field] = {"type": "integer", "minimum": narrowed["minimum"], "maximum": new_max}
    # 4. a model type removed: the last one that no other edit uses
    removed = next(t for t in reversed(list(by_tag)) if t not in (DEFAULT_MODEL_TYPE, changed_type, narrowed_type))
    union["oneOf"] = [m for m in union["oneOf"] if m["$ref"] != by_tag[removed]]
    del union["discriminator"]["mapping"][removed]
    for name in [n for n, e in examples.items() if e["value"].get(TAG_FIELD) == removed]:
        del examples[name]
    ops = _operation_edits(spec)
    return {
        **ops,
        "changed": [changed_type, changed_field, new_default],
        "narrowed": [narrowed_type, narrowed_field, new_max],
        "removed": removed,
    }


DRILL_VERSION = "9.9.9"
DEPRECATED_FIELD = ("wan-image-2.1", "guidance")  # a field the seed page documents (the spec still has it)


def _operation_edits(spec: dict[str, Any]) -> dict[str, Any]:
    """Issue 17's edits: new operations (one listed first), an enum value, a response field, a deprecated
    property, an error status, a version bump and a header parameter. Returns what the checks need."""
    schemas = spec["components"]["schemas"]
    generate_path, generate_item = next((p, i) for p, i in spec["paths"].items() if "post" in i)
    generate = generate_item["post"]
    error_json = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    schemas["Run"] = {
        "title": "Run",
        "type": "object",
        "required": ["run_id"],
        "additionalProperties": True,
        "properties": {
            "run_id": {"type": "string", "description": "The run's identifier."},
            "status": {"type": "string", "enum": ["queued", "running", "done"], "description": "Where it is."},
            "image_url": {"type": "string", "format": "uri", "description": "The first image, once done."},
        },
    }
    schemas["CombineInput"] = {
        "title": "CombineInput",
        "type": "object",
        "additionalProperties": False,
        "required": ["prompt", "image_urls"],
        "properties": {
            "prompt": {"$ref": "#/components/schemas/Prompt"},
            "image_urls": {"type": "array", "minItems": 2, "items": {"$ref": "#/components/schemas/HttpUrl"}},
            "strength": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.5},
        },
    }
    get_run = {
        "get": {
            "operationId": "get_run",
            "tags": ["runs"],
            "summary": "Read a run back",
            "parameters": [
                {"name": "run_id", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
            ],
            "responses": {
                "200": {
                    "description": "The run.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Run"}}},
                },
                "404": {"description": "No such run.", "content": error_json},
            },
        }
    }
    combine = {
        "post": {
            "operationId": "combine_run",
            "tags": ["runs"],
            "summary": "Combine images",
            "description": "Combines the images at image_urls into one.",
            "parameters": [{"$ref": "#/components/parameters/IdempotencyKey"}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CombineInput"}}},
            },
            "responses": {
                "200": {
                    "description": "Done.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GenerateImageOutput"}}},
                },
                "422": {"description": "Invalid.", "content": error_json},
                "500": {"description": "Failed.", "content": error_json},
            },
        }
    }
    # the new POST path listed first: "the" operation is found by operationId, never by position
    spec["paths"] = {"/api/v1/runs/combine": combine, **spec["paths"], "/api/v1/runs/{run_id}": get_run}
    # a new enum value
    enum_schema = next(n for n, s in schemas.items() if s.get("type") == "string" and "enum" in s)
    new_enum_value = "7:3"
    schemas[enum_schema]["enum"].append(new_enum_value)
    enum_user = next(
        t
        for t, v in VARIANTS.items()
        for p in v["properties"].values()
        if p.get("enum") == SCHEMAS[enum_schema]["enum"]
    )
    enum_field = next(
        f for f, p in VARIANTS[enum_user]["properties"].items() if p.get("enum") == SCHEMAS[enum_schema]["enum"]
    )
    # new response fields
    output = schemas["GenerateImageOutput"]["properties"]
    output["seed"] = {"type": "integer", "description": "The seed the run used."}
    output["cost_credits"] = {"type": "number", "description": "What the run cost."}
    # a deprecated property
    dtype, dfield = DEPRECATED_FIELD
    schema_name = VARIANT_SCHEMA_NAMES[dtype]
    schemas[schema_name]["properties"][dfield]["deprecated"] = True
    # a new error status, and a new optional header parameter, on the generate operation
    spec["components"]["responses"]["PaymentRequired"] = {
        "description": "The account has no credits left.",
        "content": error_json,
    }
    generate["responses"]["402"] = {"$ref": "#/components/responses/PaymentRequired"}
    generate["parameters"].append(
        {"name": "X-Imagineo-Project", "in": "header", "required": False, "schema": {"type": "string", "minLength": 1},
         "description": "The project the run is billed to."}
    )  # fmt: skip
    spec["info"]["version"] = DRILL_VERSION
    return {
        "generate_path": generate_path,
        "enum": [enum_user, enum_field, new_enum_value],
        "deprecated": [dtype, dfield],
    }


OPERATIONS_CHECK = r"""
import json, sys, warnings
import httpx, imagineo
from imagineo import ImagineoAIClient, ImagineoValidationError, APIResponseValidationError, NotFoundError

facts = json.loads(sys.argv[1])
seen = []
plan = []
def answer(request):
    seen.append(request)
    if plan:
        status, body = plan.pop(0)
        return httpx.Response(status, json=body)
    if request.method == "GET":
        if request.url.path.endswith("/missing"):
            return httpx.Response(404, json={"error": "no such run"})
        return httpx.Response(200, json={"run_id": "r 1/x", "status": "done", "image_url": "https://cdn.example.com/a.png"})
    return httpx.Response(200, json={"image_url": "https://cdn.example.com/x.png", "seed": 42, "cost_credits": 1.5})
mock = httpx.Client(transport=httpx.MockTransport(answer))
client = ImagineoAIClient("https://api.example.com/gw", api_key="k", http_client=mock)
out = {"api_version": imagineo.API_VERSION}
def last():
    r = seen[-1]
    return {"method": r.method, "path": r.url.raw_path.decode(), "headers": dict(r.headers),
            "body": json.loads(r.content) if r.content else None}
result = client.images.generate(prompt="A cat", x_imagineo_project="p-1")
out["generate"] = last()
out["generate_result"] = {"seed": result.seed, "cost_credits": result.cost_credits, "dict": result.to_dict()}
run = client.runs.get("r 1/x")
out["get"] = last()
out["get_result"] = [type(run).__name__, run.run_id, run.status, run.image_url]
try:
    client.runs.get("missing")
except NotFoundError as exc:
    out["get_missing"] = [type(exc).__name__, exc.status_code]
plan[:] = [(500, {"error": "boom"}), (200, {"image_url": "https://cdn.example.com/c.png"})]
import imagineo._send as t; t._sleep = lambda s: None
combined = client.runs.combine(prompt="Mix", image_urls=["https://a.example/1.png", "https://a.example/2.png"])
out["combine"] = [{"path": r.url.raw_path.decode(), "key": r.headers.get("idempotency-key"),
                   "body": json.loads(r.content)} for r in seen[-2:]]
try:
    client.runs.combine(prompt="Mix", image_urls=["https://a.example/1.png"])
except ImagineoValidationError as exc:
    out["combine_invalid"] = str(exc)
etype, efield, evalue = facts["enum"]
client.images.generate(prompt="p", model_type=etype, **{efield: evalue})
out["enum_body"] = last()["body"]
dtype, dfield = facts["deprecated"]
example = json.loads(sys.argv[2])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    client.images.generate(example)
out["deprecated_warnings"] = [str(w.message) for w in caught if w.category is DeprecationWarning]
plan[:] = [(402, {"error": "no credits", "code": "payment_required"})]
before = len(seen)
try:
    client.images.generate(prompt="p")
except imagineo.APIStatusError as exc:
    out["payment"] = [type(exc).__name__, exc.status_code, len(seen) - before,
                      type(exc) is getattr(imagineo, "PaymentRequiredError", None)]
plan[:] = [(200, {"image_url": "https://cdn.example.com/x.png", "seed": "forty-two"})]
try:
    client.images.generate(prompt="p")
except APIResponseValidationError as exc:
    out["bad_seed"] = str(exc)
print("DRILL-RESULT " + json.dumps(out))
"""

RUNTIME_CHECK = r"""
import json, sys, threading, warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import httpx, imagineo, imagineo_api
from imagineo import ImagineoAIClient, ImagineoValidationError
from imagineo.cli import main as cli_main

facts = json.loads(sys.argv[1])
sent = []
def answer(request):
    sent.append(json.loads(request.content))
    return httpx.Response(200, json={"image_url": "https://cdn.example.com/x.png"})
mock = httpx.Client(transport=httpx.MockTransport(answer))
client = ImagineoAIClient("https://api.example.com", api_key="k", http_client=mock)
out = {"files": [imagineo.__file__, imagineo_api.__file__], "model_types": list(imagineo.MODEL_TYPES)}
client.images.generate(prompt="A lighthouse", model_type="sketch-1", style="ink")
out["new_body"] = sent[-1]
ctype, cfield, _ = facts["changed"]
example = {k: v for k, v in json.loads(sys.argv[2]).items() if k != cfield}
client.images.generate(example)
out["changed_body"] = sent[-1]
client.images.generate(prompt="p", drill_note="hello")
out["added_body"] = sent[-1]
def refusal(**fields):
    try:
        client.images.generate(**fields)
    except ImagineoValidationError as exc:
        return str(exc)
    return None
out["missing_style"] = refusal(prompt="p", model_type="sketch-1")
out["bad_style"] = refusal(prompt="p", model_type="sketch-1", style="crayon")
out["removed"] = refusal(prompt="p", model_type=facts["removed"])
ntype, nfield, nmax = facts["narrowed"]
narrow = dict(json.loads(sys.argv[3])); narrow[nfield] = nmax + 1
out["narrowed"] = refusal(**narrow)

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        sent.append(json.loads(body))
        data = b'{"image_url": "https://cdn.example.com/cli.png"}'
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
    def log_message(self, *args):
        pass
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
code = cli_main(["generate", "A lighthouse", "--model", "sketch-1", "--style", "charcoal", "--json",
                 "--api-url", f"http://127.0.0.1:{server.server_port}", "--api-key", "k"])
out["cli_code"] = code
out["cli_body"] = sent[-1]
server.shutdown()
print("DRILL-RESULT " + json.dumps(out))
"""

TYPING_CASES = """\
from imagineo import ImagineoAIClient

client = ImagineoAIClient("https://api.example.com", api_key="k")
client.images.generate(prompt="p", model_type="sketch-1", style="ink", strokes=3)
client.images.generate(prompt="p", model_type="sketch-1")
client.images.generate(prompt="p", model_type="sketch-1", style="crayon")
run = client.runs.get("r1")
status: str | None = run.status
client.runs.get(5)
client.runs.combine(prompt="p", image_urls=["https://a.example/1.png", "https://a.example/2.png"], idempotency_key="k")
client.runs.combine(prompt="p")
result = client.images.generate(prompt="p", x_imagineo_project="p-1")
seed: int | None = result.seed if result is not None else None
client.images.generate(prompt="p", x_imagineo_project=7)
"""


@pytest.fixture(scope="module")
def drilled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A copy of the project with the drill's spec edits, regenerated by generator/generate.py."""
    copy_root = tmp_path_factory.mktemp("drill") / "project"
    ignore = shutil.ignore_patterns("__pycache__", ".ruff_cache", ".mypy_cache", ".imagineo-gen-*")
    for part in ("openapi", "generator", "generated_client", "overlay"):
        shutil.copytree(ROOT / part, copy_root / part, ignore=ignore)
    shutil.copy2(ROOT / "pyproject.toml", copy_root / "pyproject.toml")
    spec = copy.deepcopy(SPEC)
    facts = _edits(spec)
    (copy_root / "openapi" / "imagineo.yaml").write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))
    proc = subprocess.run(
        [sys.executable, str(copy_root / "generator" / "generate.py")], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, f"generate.py failed on the drilled spec:\n{proc.stdout}{proc.stderr}"
    return copy_root, facts


def _env(copy_root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "IMAGINEO_API_URL", "IMAGINEO_API_KEY")}
    env["PYTHONPATH"] = os.pathsep.join([str(copy_root / "overlay"), str(copy_root / "generated_client")])
    return env


def test_regenerated_sdk_follows_every_kind_of_spec_edit(drilled: tuple[Path, dict[str, Any]]) -> None:
    """Runtime and CLI: a new model type is accepted (its default sent, its required enum enforced), a changed
    default is sent, an added field is accepted, a narrowed range is enforced, a removed model type is refused."""
    copy_root, facts = drilled
    ctype = facts["changed"][0]
    from tests.spec_cases import EXAMPLE_FOR, minimal_body

    ntype = facts["narrowed"][0]
    proc = subprocess.run(
        [sys.executable, "-c", RUNTIME_CHECK, json.dumps(facts), json.dumps(EXAMPLE_FOR[ctype]),
         json.dumps(minimal_body(ntype))],
        capture_output=True, text=True, timeout=120, env=_env(copy_root), cwd=copy_root,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.startswith("DRILL-RESULT "))
    out = json.loads(line.removeprefix("DRILL-RESULT "))
    assert all(str(copy_root) in f for f in out["files"]), f"the subprocess did not import the copy: {out['files']}"
    assert NEW in out["model_types"] and facts["removed"] not in out["model_types"]
    assert out["new_body"] == {"prompt": "A lighthouse", TAG_FIELD: NEW, "style": "ink", "strokes": 12}
    _, cfield, new_default = facts["changed"]
    assert out["changed_body"][cfield] == new_default, "the changed default was not the one sent"
    assert out["added_body"]["drill_note"] == "hello"
    assert "style: is required for model_type 'sketch-1'" in out["missing_style"]
    assert "style: must be one of 'pencil', 'ink' or 'charcoal'; got 'crayon'" in out["bad_style"]
    assert out["removed"] is not None and f"got {facts['removed']!r}" in out["removed"]
    _, nfield, nmax = facts["narrowed"]
    assert f"{nfield}: must be <= {nmax}" in out["narrowed"]
    assert out["cli_code"] == 0
    assert out["cli_body"] == {"prompt": "A lighthouse", TAG_FIELD: NEW, "style": "charcoal", "strokes": 12}


def test_models_table_lists_the_new_model_type(drilled: tuple[Path, dict[str, Any]]) -> None:
    """`imagineo models --json` (the CLI's table) shows the new model type's fields, its default and its choices."""
    copy_root, facts = drilled
    proc = subprocess.run(
        [sys.executable, "-m", "imagineo", "models", "--json"],
        capture_output=True, text=True, timeout=60, env=_env(copy_root), cwd=copy_root,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    table = json.loads(proc.stdout)
    assert table[NEW]["style"]["required"] is True
    assert table[NEW]["style"]["choices"] == ["pencil", "ink", "charcoal"]
    assert table[NEW]["strokes"]["default"] == 12
    assert facts["removed"] not in table
    ctype, cfield, new_default = facts["changed"]
    assert table[ctype][cfield]["default"] == new_default


def test_mypy_types_the_new_model_type(drilled: tuple[Path, dict[str, Any]]) -> None:
    """The generated overloads cover the new model type: mypy --strict accepts the valid call and flags the call
    without the required `style` and the one with a value outside its enum."""
    copy_root, _ = drilled
    cases = copy_root / "drill_calls.py"
    cases.write_text(TYPING_CASES)
    from mypy import api

    cwd = Path.cwd()
    try:
        os.chdir(copy_root)  # mypy_path in pyproject.toml is relative to the working directory
        stdout, stderr, _ = api.run(
            ["--strict", "--no-error-summary", "--no-incremental", "--config-file", "pyproject.toml", str(cases)]
        )
    finally:
        os.chdir(cwd)
    flagged = {int(line.split(":")[1]) for line in stdout.splitlines() if ": error:" in line}
    assert flagged == {5, 6, 9, 11, 14}, stdout + stderr


def test_regenerated_sdk_follows_every_kind_of_operation_edit(drilled: tuple[Path, dict[str, Any]]) -> None:
    """Issue 17: new operations become methods (``client.runs.get``, ``client.runs.combine``) with auth, base URL,
    retries, one Idempotency-Key across them, typed results and errors; generate still posts to its own path with the
    new path listed first; a new enum value, response field, deprecated property, error status, version and header
    parameter all take effect. Breaks when any of them needs a hand edit outside openapi/ and generated_client/."""
    copy_root, facts = drilled
    from tests.spec_cases import EXAMPLE_FOR

    dtype, _ = facts["deprecated"]
    proc = subprocess.run(
        [sys.executable, "-c", OPERATIONS_CHECK, json.dumps(facts), json.dumps(EXAMPLE_FOR[dtype])],
        capture_output=True, text=True, timeout=120, env=_env(copy_root), cwd=copy_root,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = json.loads(next(x for x in proc.stdout.splitlines() if x.startswith("DRILL-RESULT ")).split(" ", 1)[1])
    assert out["api_version"] == DRILL_VERSION
    generate = out["generate"]
    assert (generate["method"], generate["path"]) == ("POST", "/gw" + facts["generate_path"])
    assert generate["headers"]["x-imagineo-project"] == "p-1"
    assert f"imagineo-api/{DRILL_VERSION}" in generate["headers"]["user-agent"]
    assert generate["headers"]["authorization"] == "Bearer k" and generate["headers"]["idempotency-key"]
    assert out["generate_result"]["seed"] == 42 and out["generate_result"]["cost_credits"] == 1.5
    assert out["generate_result"]["dict"]["seed"] == 42
    assert (out["get"]["method"], out["get"]["path"]) == ("GET", "/gw/api/v1/runs/r%201%2Fx")
    assert out["get"]["body"] is None and out["get"]["headers"]["authorization"] == "Bearer k"
    assert out["get_result"] == ["Run", "r 1/x", "done", "https://cdn.example.com/a.png"]
    assert out["get_missing"] == ["NotFoundError", 404]
    first, retry = out["combine"]
    assert first["path"] == retry["path"] == "/gw/api/v1/runs/combine"
    assert first["key"] and first["key"] == retry["key"], "a retried combine must carry the same Idempotency-Key"
    assert first["body"] == {"prompt": "Mix", "image_urls": ["https://a.example/1.png", "https://a.example/2.png"],
                             "strength": 0.5}  # fmt: skip
    assert "image_urls" in out["combine_invalid"] and "at least 2" in out["combine_invalid"]
    _, efield, evalue = facts["enum"]
    assert out["enum_body"][efield] == evalue
    assert any(facts["deprecated"][1] in w and "deprecated" in w for w in out["deprecated_warnings"])
    assert out["payment"] == ["PaymentRequiredError", 402, 1, True], "402: its own typed error, sent once"
    assert "seed" in out["bad_seed"] and "valid integer" in out["bad_seed"]


def test_cli_and_sandbox_follow_the_new_operations(drilled: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    """Issue 17: the regenerated copy's sandbox serves the new operations (a run generated through the CLI is read
    back by ``imagineo api runs get``; an unknown id is the spec's 404) and the CLI has a command per operation,
    with the new header parameter as an option. Breaks when the CLI or the sandbox keeps a hand list of operations."""
    import time

    copy_root, _ = drilled
    env = _env(copy_root)
    url_file = tmp_path / "url"
    spec = copy_root / "openapi" / "imagineo.yaml"
    server = subprocess.Popen(
        [sys.executable, "-m", "imagineo", "sandbox", "--port", "0", "--quiet", "--url-file", str(url_file),
         "--spec", str(spec)],
        env=env, cwd=copy_root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        for _ in range(200):
            if url_file.exists() and url_file.read_text().strip():
                break
            time.sleep(0.05)
        base = url_file.read_text().strip()
        cli_env = {**env, "IMAGINEO_API_URL": base, "IMAGINEO_API_KEY": "k"}

        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "imagineo", *args], capture_output=True, text=True, timeout=60, env=cli_env,
                cwd=copy_root,
            )  # fmt: skip

        made = cli("generate", "A lighthouse", "--x-imagineo-project", "p-1", "--json")
        assert made.returncode == 0, made.stdout + made.stderr
        run_id = json.loads(made.stdout)["run_id"]
        read = cli("api", "runs", "get", run_id, "--json")
        assert read.returncode == 0, read.stdout + read.stderr
        assert json.loads(read.stdout)["run_id"] == run_id
        missing = cli("api", "runs", "get", "no-such-run")
        assert missing.returncode == 1 and "404" in missing.stderr
        helped = cli("api", "runs", "combine", "--help")
        assert helped.returncode == 0 and "Combine images" in helped.stdout and "--image-urls" in helped.stdout
    finally:
        server.terminate()
        server.wait(timeout=20)
