"""The generators other teams use, run from docs/for-other-languages.md's own commands, against `imagineo sandbox`.

The doc's blocks marked ``<!-- tested: NAME -->`` are the commands: the shell blocks run line by line (bash, in one
work folder, with .venv/bin and node_modules/.bin first on PATH, so `openapi-generator-cli` and `npx` find the
project's pinned tools), ``file PATH`` blocks are written to that path, the ``python-usage`` block runs as a script.
An install line (`pip install`, `npm install`) is not run: its pins must equal the project's (pyproject.toml's dev
group, package.json), which installed the same tools.

Then every request case of the conformance kit (tools/conformance.py: the named examples, ranges, enums, missing
fields, unknown fields...) goes through each generated client to one sandbox:

* valid: answered 200, and the body the sandbox received (GET /_sandbox/runs) conforms by the kit's rule
  (`conformance.body_problems`: a left-out default conforms, a filled-in one must equal the spec's);
* invalid: refused by the client with a message naming the field, or answered 422 naming it in ``details``;
* anything else must be one of the generator's `LIMITATIONS` (with its reason), and every listed limitation must
  still happen, so the list neither hides a new failure nor outlives a fixed one;
* a 204 (the sandbox's ``X-Sandbox-Fault: 204``) comes back as the doc says (`EMPTY_RESULT`).

Generation takes about 10 s per OpenAPI Generator target (a JVM each) and one `tsc` run compiles every TypeScript
client; all of it happens once, in module fixtures.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from .spec_cases import ROOT, SPEC
from .test_conformance_typescript import _sandbox

sys.path.insert(0, str(ROOT / "tools"))
import conformance

DOC = ROOT / "docs" / "for-other-languages.md"
PY_RUNNER = ROOT / "tests" / "generators" / "openapi_generator_python.py"
TS_RUNNER = ROOT / "tests" / "typescript" / "generators" / "runner.ts"
#: The sandbox answers 204 to a request carrying this header (imagineo.sandbox's faults).
FAULT_204 = {"fault": "204"}

#: WARN/ERROR lines OpenAPI Generator prints whatever the spec, and why no spec change can avoid them.
GENERATOR_WARNINGS = {
    "OpenAPI 3.1 support is still in beta": "the spec is OpenAPI 3.1 on purpose (const, JSON Schema 2020-12)",
    "Failed to get the schema name: null": "printed for any input, a 3.0 spec with a single schema too",
}


@dataclass(frozen=True)
class Limitation:
    """A known way a generated client departs from the kit, and what it does instead (checked to still happen)."""

    rule: str  # the invalid cases it concerns (conformance.json's `rule`)
    reason: str

    def shows_in(self, case: dict[str, Any], record: dict[str, Any], sent: dict[str, Any] | None) -> bool:
        """The case went out without its unknown field and was answered 200: the field was dropped, not refused."""
        field = case["path"][0]
        return record.get("status") == 200 and sent is not None and field not in sent


DROPS_UNKNOWN = "its models keep only the fields they know, so an unknown or misplaced field is dropped, not refused"
LIMITATIONS: dict[str, list[Limitation]] = {
    "openapi-generator-python": [
        Limitation(
            "additionalProperties",
            DROPS_UNKNOWN + " (except where it keeps `additional_properties`: the WAN variants, sent and refused 422)",
        )
    ],
    "typescript-fetch": [Limitation("additionalProperties", DROPS_UNKNOWN + " (ToJSON writes known fields only)")],
    "hey-api": [],
}
#: What each client returns for a 204, as docs/for-other-languages.md says: None (python), null (typescript-fetch),
#: `data: null` (hey-api: its fetch client reads a body without Content-Type as a stream, and a 204 has none).
EMPTY_RESULT: dict[str, Any] = {"openapi-generator-python": None, "typescript-fetch": None, "hey-api": None}


# -- the doc's blocks ----------------------------------------------------------------------------------------------


def doc_blocks() -> dict[str, str]:
    """``<!-- tested: NAME -->`` followed by a fenced block: NAME -> the block's text."""
    pattern = re.compile(r"<!-- tested: ([^>]+?) -->\n```[a-z]*\n(.*?)\n```", re.DOTALL)
    blocks = {name: text for name, text in pattern.findall(DOC.read_text())}
    assert blocks, f"{DOC} has no blocks marked `<!-- tested: NAME -->`"
    return blocks


def shell_lines(block: str) -> list[str]:
    """A shell block's commands: continuation lines joined, comments and blank lines left out."""
    joined = block.replace("\\\n", " ")
    return [line.split(" #")[0].strip() for line in joined.splitlines() if line.strip() and not line.startswith("#")]


def project_pins() -> dict[str, str]:
    """The versions the project installs: pyproject.toml's dev group and package.json's devDependencies."""
    pins: dict[str, str] = {}
    for line in tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]["dev"]:
        if isinstance(line, str) and "==" in line:
            name, version = line.split("==")
            pins[name.lower()] = version
    pins.update(json.loads((ROOT / "package.json").read_text())["devDependencies"])
    return pins


def install_pins(line: str) -> dict[str, str]:
    """The packages an install line pins: name -> version ('pkg==1.2' for pip, 'pkg@1.2' for npm; '' if none)."""
    npm = line.startswith("npm")
    pins = {}
    for word in shlex.split(line)[2:]:
        if not word.startswith("-"):
            name, _, version = word.rpartition("@") if npm else word.partition("==")
            pins[(name or word) if npm else name.lower()] = version if name or not npm else ""
    return pins


# -- the work folder: the doc's commands, run once -----------------------------------------------------------------


@dataclass
class Work:
    path: Path
    env: dict[str, str]
    outputs: dict[str, str]  # generator (-g value, or the block name) -> its stdout and stderr


def _run(line: str, work: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", line],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def run_block(name: str, work: Work) -> None:
    for line in shell_lines(doc_blocks()[name]):
        if line.startswith(("pip install", "npm install")):
            continue  # the project's files installed these (test_doc_install_lines_pin_the_projects_versions)
        proc = _run(line, work.path, work.env)
        assert proc.returncode == 0, f"the doc's command failed: {line}\n{proc.stdout}\n{proc.stderr}"
        generator = re.search(r" -g (\S+)", line)
        work.outputs[generator.group(1) if generator else line] = proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("other-generators-sandbox")
    spec = ROOT / "openapi" / "imagineo.yaml"
    conformance.write(folder, spec)  # the kit's answer cases, served by X-Sandbox-Answer for the kit's runner
    proc = _sandbox(spec, folder / "url", folder / "conformance.json")
    try:
        yield (folder / "url").read_text().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory, sandbox: str) -> Work:
    """The doc's set-up and generation commands, run in one folder, as a team would (`IMAGINEO_SDK`: a checkout
    whose dist/spec/ holds what `make spec` writes)."""
    sdk = tmp_path_factory.mktemp("sdk")
    dist = sdk / "dist" / "spec"
    dist.mkdir(parents=True)
    (dist / "imagineo.yaml").write_text((ROOT / "openapi" / "imagineo.yaml").read_text())
    (dist / "imagineo.json").write_text(json.dumps(SPEC))
    conformance.write(dist, ROOT / "openapi" / "imagineo.yaml")
    (sdk / "tests").symlink_to(ROOT / "tests")

    path = tmp_path_factory.mktemp("other-generators")
    (path / "src").mkdir()
    (path / "node_modules").symlink_to(ROOT / "node_modules")
    env = {
        **os.environ,
        "PATH": f"{ROOT / '.venv' / 'bin'}:{ROOT / 'node_modules' / '.bin'}:{os.environ['PATH']}",
        "IMAGINEO_SDK": str(sdk),
        "IMAGINEO_API_URL": sandbox,
        "IMAGINEO_API_KEY": "sk-doc-snippet",
        "npm_config_offline": "true",  # npx must find the tools in node_modules, never fetch them
    }
    work = Work(path, env, {})
    for name, text in doc_blocks().items():
        if name.startswith("file "):
            target = path / name.removeprefix("file ")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text + "\n")
    run_block("setup", work)
    run_block("openapi-generator", work)
    run_block("hey-api", work)
    return work


@pytest.fixture(scope="module")
def compiled(work: Work) -> Work:
    """The kit's runner block (openapi-typescript, copy runner.ts, `npx tsc`; its `node` line runs in its test), with
    this suite's driver of the other TypeScript clients compiled in the same `tsc` run."""
    (work.path / "src" / "generators_runner.ts").write_text(TS_RUNNER.read_text())
    lines = [line for line in shell_lines(doc_blocks()["kit-runner"]) if not line.startswith("npm install")]
    for line in lines[:-1]:
        proc = _run(line, work.path, work.env)
        assert proc.returncode == 0, f"the doc's command failed: {line}\n{proc.stdout}\n{proc.stderr}"
    return work


# -- the calls and their judgement ---------------------------------------------------------------------------------


def vectors(work: Work) -> dict[str, Any]:
    return json.loads((work.path / "conformance.json").read_text())


def calls(work: Work) -> Path:
    """Every request case as the call a team's code makes (wire names, model_type set, defaults left to the client),
    plus one call the sandbox answers 204."""
    spec = conformance.Spec(SPEC)
    cases = vectors(work)["requests"]
    out = [
        {"id": case["id"], "kind": kind, "call": spec.named(case["input"])}
        for kind in ("valid", "invalid")
        for case in cases[kind]
    ]
    first = cases["valid"][0]
    out.append({"id": "204/no-content", "kind": "204", "call": spec.named(first["input"]), **FAULT_204})
    path = work.path / "calls.json"
    path.write_text(json.dumps(out))
    return path


def judge(generator: str, work: Work, output: str, sandbox: str) -> tuple[list[str], dict[str, int]]:
    """The failures (one line per case) and counts (passed, limitation) of a runner's output."""
    records = {r["id"]: r for r in map(json.loads, output.splitlines())}
    sent = {run["run_id"]: run["body"] for run in httpx.get(f"{sandbox}/_sandbox/runs").json()}
    limitations = LIMITATIONS[generator]
    failures, seen = [], set()
    counts = {"passed": 0, "limitation": 0}
    everything = vectors(work)["requests"]
    for kind in ("valid", "invalid"):
        for case in everything[kind]:
            record = records.get(case["id"])
            if record is None:
                failures.append(f"{case['id']}: the runner printed nothing")
                continue
            body = sent.get(record.get("run_id", ""))
            problem = (_valid if kind == "valid" else _invalid)(case, record, body)
            if problem is None:
                counts["passed"] += 1
                continue
            known = [lim for lim in limitations if kind == "invalid" and lim.rule == case["rule"]]
            if known and known[0].shows_in(case, record, body):
                seen.add(known[0].rule)
                counts["limitation"] += 1
            else:
                failures.append(f"{kind} {case['id']}: {problem}")
    stale = [lim.rule for lim in limitations if lim.rule not in seen]
    failures += [f"limitation {rule!r} is listed but never happened: remove it from LIMITATIONS" for rule in stale]
    empty = records.get("204/no-content", {})
    if (empty.get("outcome"), empty.get("status"), empty.get("empty_result")) != (
        "answered",
        204,
        EMPTY_RESULT[generator],
    ):
        failures.append(f"204: expected the result {EMPTY_RESULT[generator]!r} (the doc's), got {empty}")
    return failures, counts


def _valid(case: dict[str, Any], record: dict[str, Any], body: dict[str, Any] | None) -> str | None:
    if record.get("outcome") != "answered" or record.get("status") != 200:
        return f"expected 200, got {record}"
    if body is None:
        return f"the sandbox has no run {record.get('run_id')!r}"
    problems = conformance.body_problems(case, body)
    return "; ".join(problems) if problems else None


def _invalid(case: dict[str, Any], record: dict[str, Any], body: dict[str, Any] | None) -> str | None:
    field = case["field"]
    if record.get("outcome") == "refused":
        return None if field in record.get("message", "") else f"refused without naming {field}: {record['message']}"
    if record.get("outcome") == "answered" and record.get("status") == 422:
        fields = record.get("fields", [])
        return None if field in fields else f"422 named {fields}, expected {field}"
    return f"expected a refusal or 422 naming {field}, got {record}"


# -- tests ---------------------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("generator", ["python", "typescript-fetch", "go", "npx openapi-ts"])
def test_generators_print_no_warning_the_spec_could_avoid(work: Work, generator: str) -> None:
    """Catches: a spec form a generator misreads (OpenAPI Generator on a $ref-only schema: 'Failed to look up object
    from the imports'; a name it must rename), i.e. any warning or error line beyond the two OpenAPI Generator prints
    for every spec (@hey-api/openapi-ts prints none)."""
    # OpenAPI Generator logs "[main] WARN  ..." (INFO lines name files such as docs/Error.md); hey-api logs prose.
    level = r"\] (WARN|ERROR) " if generator != "npx openapi-ts" else r"(?i)warn|error|fail"
    lines = [line for line in work.outputs[generator].splitlines() if re.search(level, line)]
    unexplained = [line for line in lines if not any(known in line for known in GENERATOR_WARNINGS)]
    assert not unexplained, "\n".join(unexplained)


@pytest.mark.slow
def test_openapi_generator_types_every_field_from_the_spec(work: Work) -> None:
    """Catches: a spec form that OpenAPI Generator types `object`/`any` (reference_image_url as a $ref-only alias)
    or whose default it drops (a default beside a $ref or on allOf: [$ref]), in the python and typescript-fetch
    clients: every spec default appears in the python model, no property is typed object/any."""
    models = work.path / "imagineo-python" / "imagineo_client" / "models"
    python = "\n".join(p.read_text() for p in models.glob("*.py"))
    assert "Optional[object]" not in python
    ts_models = work.path / "src" / "fetch" / "models"
    assert not [p.name for p in ts_models.glob("*.ts") if re.search(r"\?: any;", p.read_text())]
    spec = conformance.Spec(SPEC)
    for model_type in spec.variants:
        for name, value in spec.defaults(model_type).items():
            assert re.search(rf"\b{name}: .*default={re.escape(repr(value))}", python), (model_type, name, value)


@pytest.mark.slow
def test_go_client_looks_the_variant_up_by_model_type(work: Work) -> None:
    """Catches: the doc's go command losing useOneOfDiscriminatorLookup=true (without it four of the nine examples
    fail to decode: the go client ignores `const`, so several variants match)."""
    source = (work.path / "imagineo-go" / "model_generate_image_input.go").read_text()
    assert 'jsonDict["model_type"]' in source
    for model_type in conformance.Spec(SPEC).variants:
        assert f'"{model_type}"' in source, model_type


@pytest.mark.slow
@pytest.mark.parametrize("generator", ["openapi-generator-python", "typescript-fetch", "hey-api"])
def test_generated_client_sends_every_request_case_to_the_sandbox(compiled: Work, sandbox: str, generator: str) -> None:
    """Catches: a named example or conformance case that a generated client cannot send, sends differently from the
    kit (a filled-in default that is not the spec's, a field renamed or added), or lets through without the server
    or itself naming the field; a 204 handled otherwise than the doc says; a limitation that is gone or new."""
    if generator == "openapi-generator-python":
        cmd = [sys.executable, str(PY_RUNNER), str(compiled.path / "imagineo-python")]
    else:
        cmd = ["node", str(compiled.path / "out" / "generators_runner.js"), generator]
    proc = subprocess.run(
        [*cmd, str(calls(compiled)), sandbox], capture_output=True, text=True, timeout=600, check=False
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr
    failures, counts = judge(generator, compiled, proc.stdout, sandbox)
    assert not failures, f"{generator} ({counts}):\n" + "\n".join(failures)
    assert counts["passed"] > 0


@pytest.mark.slow
def test_the_docs_kit_runner_command_passes(compiled: Work) -> None:
    """Catches: the doc's commands for the kit's TypeScript runner not working as written (the ES module set-up,
    openapi-typescript's options, the compile step) or the runner failing a case against the sandbox."""
    line = shell_lines(doc_blocks()["kit-runner"])[-1]
    proc = _run(line, compiled.path, compiled.env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert re.search(r": \d+ passed, 0 failed", proc.stdout), proc.stdout


@pytest.mark.slow
def test_the_docs_usage_snippets_run(compiled: Work) -> None:
    """Catches: the doc's python, hey-api and openapi-fetch snippets not compiling or not running as written."""
    script = compiled.path / "python_usage.py"
    script.write_text(doc_blocks()["python-usage"])
    env = {**compiled.env, "PYTHONPATH": str(compiled.path / "imagineo-python")}
    proc = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and proc.stdout.startswith("http"), proc.stdout + proc.stderr
    for snippet in ("hey_usage", "fetch_usage"):
        node = _run(f"node out/{snippet}.js", compiled.path, compiled.env)
        assert node.returncode == 0 and node.stdout.startswith("http"), snippet + node.stdout + node.stderr


def test_doc_install_lines_pin_the_projects_versions() -> None:
    """Catches: the doc telling teams to install another version than the one the suite tests (pyproject.toml's dev
    group, package.json)."""
    pins = project_pins()
    checked = 0
    for name, block in doc_blocks().items():
        if name.startswith("file "):
            continue
        for line in shell_lines(block):
            if line.startswith(("pip install", "npm install")):
                for package, version in install_pins(line).items():
                    assert version, f"{line}: {package} is not pinned"
                    assert pins.get(package) == version, (
                        f"{line}: {package} {version}, the project has {pins.get(package)}"
                    )
                    checked += 1
    assert checked >= 3


def test_spec_writes_defaults_and_urls_in_forms_every_generator_reads() -> None:
    """Catches, without a JVM: a defaulted field written in a form OpenAPI Generator drops (a `default` beside a
    `$ref` or on `allOf: [$ref]`), or a component that is only a `$ref` (typed object/any), back in the spec."""
    for name, schema in SPEC["components"]["schemas"].items():
        assert set(schema) - {"description", "title"} != {"$ref"}, f"{name} is only a $ref"
        for field, prop in schema.get("properties", {}).items():
            if "default" in prop:
                assert "$ref" not in prop and "allOf" not in prop, f"{name}.{field}: default beside a $ref/allOf"


def test_the_rule_on_defaults_lets_a_default_be_left_out_but_not_changed() -> None:
    """Catches: a kit that fails the generated clients for leaving a default to the server, or passes a client that
    fills one in with another value than the spec's, sends a field the case does not have, or leaves out a field
    that is not a default (1 and 1.0 are one JSON number; true is not 1)."""
    cases = conformance.build_vectors(SPEC)["requests"]["valid"]
    case = next(c for c in cases if c["defaulted"])
    body, name = case["body"], case["defaulted"][0]
    assert conformance.body_problems(case, body) == []
    assert conformance.body_problems(case, {k: v for k, v in body.items() if k not in case["defaulted"]}) == []
    wrong = {**body, name: [body[name]]}
    assert conformance.body_problems(case, wrong) == [
        f"{name} is {json.dumps([body[name]])}, expected {json.dumps(body[name])}"
    ]
    required = next(k for k in body if k not in case["defaulted"])
    assert conformance.body_problems(case, {k: v for k, v in body.items() if k != required}) != []
    assert conformance.body_problems(case, {**body, "extra": 1}) == ["extra sent, but not in the case's body"]
    numbers = [(c, k) for c in cases for k in c["defaulted"] if type(c["body"][k]) in (int, float)]
    for numeric_case, field in numbers:
        value = numeric_case["body"][field]
        assert conformance.body_problems(numeric_case, {**numeric_case["body"], field: float(value)}) == []
        assert conformance.body_problems(numeric_case, {**numeric_case["body"], field: str(value)}) != []
        if value == 1:
            assert conformance.body_problems(numeric_case, {**numeric_case["body"], field: True}) != []
    assert any(numeric_case["body"][field] == 1 for numeric_case, field in numbers), "no default of 1 left to check"
