"""The conformance kit in TypeScript, and the copy-paste commands of docs/for-other-languages.md.

* The standard `openapi-typescript openapi/imagineo.yaml -o api.ts` from the repo root (the root redocly.yaml has
  no `apis:`, which made openapi-typescript ignore its argument).
* tests/typescript/conformance/runner.ts (those types + openapi-fetch) sends every request vector to a real
  `imagineo sandbox` subprocess: valid ones get a 200 with a PNG behind image_url, invalid ones a 422 naming the field.
* Drift: a default broken in a copy of the spec makes the TypeScript runner and the Python SDK fail, naming cases.
* The other ecosystem: datamodel-code-generator's pydantic models from the bundled JSON accept every valid vector.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import httpx
import imagineo
import pytest
import yaml

from .spec_cases import ROOT, SPEC

sys.path.insert(0, str(ROOT / "tools"))
import conformance

NODE_BIN = ROOT / "node_modules" / ".bin"
RUNNER = ROOT / "tests" / "typescript" / "conformance" / "runner.ts"
TSCONFIG = {
    "compilerOptions": {
        "strict": True,
        "target": "ES2022",
        "module": "NodeNext",
        "moduleResolution": "NodeNext",
        "lib": ["ES2022", "DOM"],
        "types": ["node"],
        "skipLibCheck": True,
        "outDir": "out",
    },
    "files": ["runner.ts", "api.ts"],
}


def tool(name: str) -> str:
    path = NODE_BIN / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make install` (it runs `npm ci` from package-lock.json)")
    return str(path)


def run(cmd: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"}
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def ts_runner(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """runner.ts compiled against the types the standard command writes, from the repo root."""
    out = tmp_path_factory.mktemp("ts-conformance")
    proc = run([tool("openapi-typescript"), "openapi/imagineo.yaml", "-o", str(out / "api.ts")])
    assert proc.returncode == 0, f"the standard openapi-typescript command failed:\n{proc.stdout}\n{proc.stderr}"
    (out / "runner.ts").write_text(RUNNER.read_text())
    (out / "tsconfig.json").write_text(json.dumps(TSCONFIG))
    (out / "package.json").write_text('{"type": "module"}')
    (out / "node_modules").symlink_to(ROOT / "node_modules")
    proc = run([tool("tsc"), "-p", str(out / "tsconfig.json"), "--pretty", "false"], cwd=out)
    assert proc.returncode == 0, f"tsc failed on the runner:\n{proc.stdout}"
    return out


def _sandbox(spec_path: Path, url_file: Path, answers: Path | None = None) -> subprocess.Popen[str]:
    cmd = [str(ROOT / ".venv" / "bin" / "imagineo"), "sandbox", "--port", "0", "--quiet", "--retry-after", "0"]
    cmd += ["--spec", str(spec_path), "--url-file", str(url_file)]
    if answers is not None:
        cmd += ["--answers", str(answers)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for _ in range(200):
        if url_file.exists() and url_file.read_text().strip():
            return proc
        if proc.poll() is not None:
            pytest.fail(f"imagineo sandbox exited: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.05)
    proc.kill()
    pytest.fail("imagineo sandbox did not write its URL")


def run_kit(runner: Path, document: dict[str, Any], work: Path) -> subprocess.CompletedProcess[str]:
    """Vectors from `document`, the sandbox serving `document` (and the vectors' answer cases), runner.js run once
    over all request and answer cases."""
    work.mkdir(parents=True, exist_ok=True)
    spec_yaml, spec_json = work / "imagineo.yaml", work / "imagineo.json"
    spec_yaml.write_text(yaml.safe_dump(document, sort_keys=False))
    spec_json.write_text(json.dumps(document))
    conformance.write(work, spec_yaml)
    sandbox = _sandbox(spec_yaml, work / "url", work / "conformance.json")
    try:
        url = (work / "url").read_text().strip()
        return run(["node", str(runner / "out" / "runner.js"), str(work / "conformance.json"), str(spec_json), url])
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)


def test_typescript_client_passes_every_request_vector_against_the_sandbox(ts_runner: Path, tmp_path: Path) -> None:
    """Catches: a valid vector the sandbox refuses or answers without a PNG, an invalid one it accepts or whose 422
    names another field, an answer case the sandbox does not serve as written (``X-Sandbox-Answer``) or that a
    client following the kit's policy turns into another outcome, a TS client (openapi-typescript + openapi-fetch)
    that cannot be built from the spec, and the root redocly.yaml trap (the standard openapi-typescript command
    failing from the repo root)."""
    proc = run_kit(ts_runner, SPEC, tmp_path)
    vectors = json.loads((tmp_path / "conformance.json").read_text())
    total = len(vectors["requests"]["valid"]) + len(vectors["requests"]["invalid"]) + len(vectors["answers"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f": {total} passed, 0 failed" in proc.stdout, proc.stdout


def broken_default(document: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A copy of the spec with one default set past its field's maximum (the first such field); its model type."""
    broken = copy.deepcopy(document)
    for schema in broken["components"]["schemas"].values():
        for prop in schema.get("properties", {}).values():
            if "default" in prop and "maximum" in prop:
                prop["default"] = prop["maximum"] + 1
                model_type = schema["properties"]["model_type"]["const"]
                return broken, model_type
    raise AssertionError("the spec has no defaulted field with a maximum to break")


def test_a_broken_default_fails_both_runners_naming_the_case(ts_runner: Path, tmp_path: Path) -> None:
    """Catches: a kit that does not notice drift. A default broken in the spec must fail the TypeScript runner (the
    sandbox refuses the body) and the Python SDK (which still sends the old default), each naming the case."""
    broken, model_type = broken_default(SPEC)
    proc = run_kit(ts_runner, broken, tmp_path)
    assert proc.returncode == 1, proc.stdout
    assert f"FAIL valid conformance case {model_type}/required-only: answered 422" in proc.stdout, proc.stdout

    vectors = conformance.build_vectors(broken)
    sent: list[httpx.Request] = []
    http = httpx.Client(transport=httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(204)))
    client = imagineo.ImagineoAIClient("http://127.0.0.1:9", api_key="k", http_client=http, max_retries=0)
    drifted = []
    for case in vectors["requests"]["valid"]:
        sent.clear()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            client.images.generate(case["input"])
        if sent and json.loads(sent[0].content) != case["body"]:
            drifted.append(case["id"])
    http.close()
    assert f"{model_type}/required-only" in drifted, drifted


def test_datamodel_code_generator_models_accept_every_valid_vector(tmp_path: Path) -> None:
    """The docs' second ecosystem (Python, pydantic v2 via datamodel-code-generator, no JVM).
    Catches: a spec that generator cannot read, and generated models refusing a valid body or taking an invalid
    body with an unknown field (additionalProperties: false must become extra='forbid')."""
    spec_json = tmp_path / "imagineo.json"
    spec_json.write_text(json.dumps(SPEC))
    models = tmp_path / "imagineo_models.py"
    cmd = [
        str(ROOT / ".venv" / "bin" / "datamodel-codegen"),
        "--input",
        str(spec_json),
        "--input-file-type",
        "openapi",
        "--output-model-type",
        "pydantic_v2.BaseModel",
        "--output",
        str(models),
    ]
    proc = run(cmd)
    assert proc.returncode == 0, proc.stderr
    script = f"""
import json, sys
sys.path.insert(0, {str(tmp_path)!r})
from imagineo_models import GenerateImageInput
v = json.load(open({str(tmp_path / "conformance.json")!r}))
for c in v["requests"]["valid"]:
    GenerateImageInput.model_validate(c["body"])
bad = [c for c in v["requests"]["invalid"] if c["rule"] == "additionalProperties"]
for c in bad:
    try:
        GenerateImageInput.model_validate(c["body"])
    except ValueError:
        continue
    raise SystemExit("accepted " + c["id"])
print("ok", len(v["requests"]["valid"]), len(bad))
"""
    conformance.write(tmp_path, ROOT / "openapi" / "imagineo.yaml")
    proc = run([sys.executable, "-c", script])
    assert proc.returncode == 0 and proc.stdout.startswith("ok"), proc.stdout + proc.stderr
