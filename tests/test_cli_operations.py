"""The command follows the spec's operations: a copy of the spec with a new operation, a new header parameter, a
deprecated field, a new enum value and new result fields, regenerated, gives new commands, options and help with no
edit to the command.

One generation per module (`regenerated`, ~30 s): a copy of ``openapi/`` and ``generator/`` with the edits below,
then ``generator/generate.py --out``; each test runs ``python -m imagineo`` in a subprocess whose ``imagineo_api`` is
the regenerated one and whose ``imagineo`` is this checkout's overlay, against a real HTTP server on loopback
(`tests.loopback`). The edits:

* ``GET /api/v1/runs/{run_id}`` (operationId ``get_run``, tag ``runs``: ``client.runs.get``), answering the result
  of generate, and 404 for an unknown run;
* an optional header parameter ``X-Imagineo-Project`` on both operations;
* ``deprecated: true`` on a field of a model type, and a new value in an enum field (the first of each in the spec);
* new fields ``seed`` and ``cost_credits`` in generate's result schema.

Breaks if the command keeps a list of its own of operations, parameters, fields, choices or result fields.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from imagineo._cli.options import option_flag

from tests import spec_cases as sc
from tests.cli_helpers import on_a_terminal
from tests.loopback import LoopbackServer

pytestmark = pytest.mark.slow

RUN = "/api/v1/runs/{run_id}"
HEADER = "X-Imagineo-Project"
NEW_CHOICE = "drill-choice"
ANSWER = {
    "image_url": "https://cdn.imagineo.example.com/runs/r_1/0.png",
    "run_id": "r_1",
    "model_type": sc.DEFAULT_MODEL_TYPE,
    "seed": 42,
    "cost_credits": 3.5,
    "status": "succeeded",  # a field no schema names, and a name of the batch's own
}
GET_RUN = {
    "operationId": "get_run",
    "tags": ["runs"],
    "summary": "Read a run",
    "description": "Returns a run that generate started, by its id.\n\nRuns are kept for 30 days.",
    "security": [{"bearerAuth": []}],
    "parameters": [
        {
            "name": "run_id",
            "in": "path",
            "required": True,
            "description": "The run's identifier, as generate answered it.",
            "schema": {"type": "string", "minLength": 1},
        },
        {"$ref": "#/components/parameters/Project"},
    ],
    "responses": {
        "200": {
            "description": "The run.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GenerateImageOutput"}}},
        },
        "404": {"$ref": "#/components/responses/NotFound"},
    },
}


def _property(schemas: dict[str, Any], model_type: str, field: str) -> dict[str, Any]:
    """The raw (editable) schema node of a model type's field."""
    for member in schemas["GenerateImageInput"]["oneOf"]:
        schema = schemas[member["$ref"].rsplit("/", 1)[1]]
        if schema["properties"][sc.TAG_FIELD].get("const") == model_type:
            node: dict[str, Any] = schema["properties"][field]
            return node
    raise AssertionError(model_type)


def _enum_node(schemas: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """The node that holds the `enum` of a field, following its $ref or allOf."""
    while "enum" not in node:
        ref = node.get("$ref") or next(part["$ref"] for part in node["allOf"] if "$ref" in part)
        node = schemas[ref.rsplit("/", 1)[1]]
    return node


def _edit(spec: dict[str, Any]) -> dict[str, Any]:
    """Apply the module's edits to `spec`; return what the tests need to know about them."""
    schemas = spec["components"]["schemas"]
    spec["components"]["parameters"]["Project"] = {
        "name": HEADER,
        "in": "header",
        "required": False,
        "description": "The project the run is billed to.",
        "schema": {"type": "string", "minLength": 1},
    }
    spec["paths"][RUN] = {"get": copy.deepcopy(GET_RUN)}
    spec["paths"][sc.ENDPOINT]["post"]["parameters"].append({"$ref": "#/components/parameters/Project"})
    deprecated_type, deprecated, _ = next(
        (m, f, p) for m, f, p in sc.fields_where(lambda p: p.get("type") == "number") if f not in sc.required(m)
    )
    _property(schemas, deprecated_type, deprecated)["deprecated"] = True
    enum_type, enum_field, _ = sc.fields_where(lambda p: "enum" in p)[0]
    _enum_node(schemas, _property(schemas, enum_type, enum_field))["enum"].append(NEW_CHOICE)
    result = schemas["GenerateImageOutput"]["properties"]
    result["seed"] = {"type": "integer", "description": "The seed the run used."}
    result["cost_credits"] = {"type": "number", "description": "What the run cost, in credits."}
    return {"deprecated": (deprecated_type, deprecated), "enum": (enum_type, enum_field)}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], dict[str, Any]]:
    """(the environment of a subprocess that runs the regenerated SDK, the edits' facts)."""
    root = tmp_path_factory.mktemp("operations") / "project"
    ignore = shutil.ignore_patterns("__pycache__", ".ruff_cache", ".mypy_cache", ".imagineo-gen-*")
    for part in ("openapi", "generator"):
        shutil.copytree(sc.ROOT / part, root / part, ignore=ignore)
    spec = copy.deepcopy(sc.SPEC)
    facts = _edit(spec)
    (root / "openapi" / "imagineo.yaml").write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))
    proc = subprocess.run(
        [sys.executable, str(root / "generator" / "generate.py"), "--out", str(root / "gen")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"generate.py failed on the edited spec:\n{proc.stdout}{proc.stderr}"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("IMAGINEO_")}
    env["PYTHONPATH"] = os.pathsep.join([str(root / "gen"), str(sc.ROOT / "overlay")])
    env["COLUMNS"] = "300"
    return env, facts


def imagineo(env: dict[str, str], *commands: Sequence[str]) -> list[subprocess.CompletedProcess[str]]:
    """Run ``python -m imagineo <args>`` for each argument list at once (the regenerated SDK); in order."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "imagineo", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for args in commands
    ]
    done = []
    for args, proc in zip(commands, procs, strict=True):
        out, err = proc.communicate(timeout=60)
        done.append(subprocess.CompletedProcess(args, proc.returncode, out, err))
    return done


def connect(server: LoopbackServer) -> list[str]:
    return ["--api-url", server.url, "--api-key", "sk-test"]


def test_a_new_operation_is_a_command_with_the_specs_help(regenerated: tuple[dict[str, str], Any]) -> None:
    """``imagineo api runs get RUN_ID [--x-imagineo-project TEXT]``, its help the spec's summary, description and
    parameter descriptions; ``imagineo api`` and ``imagineo api runs`` list it."""
    env, _ = regenerated
    get, api, runs = imagineo(env, ["api", "runs", "get", "--help"], ["api", "--help"], ["api", "runs", "--help"])
    assert get.returncode == api.returncode == runs.returncode == 0, get.stderr + api.stderr + runs.stderr
    text = " ".join(get.stdout.split())
    assert get.stdout.startswith("usage: imagineo api runs get ")
    assert "RUN_ID" in text
    assert "--x-imagineo-project TEXT" in text
    assert "Read a run" in text
    assert "Returns a run that generate started, by its id." in text
    assert "Runs are kept for 30 days." in text
    assert "The run's identifier, as generate answered it." in text
    assert f"The project the run is billed to. [not empty] (header {HEADER})" in text
    assert "GET /api/v1/runs/{run_id} (operationId get_run; client.runs.get)" in text
    assert "--output" in text  # its result carries image URLs: client.runs has download
    assert "runs" in api.stdout
    assert "Read a run" in runs.stdout


def test_the_new_command_calls_the_operation_through_the_client(
    regenerated: tuple[dict[str, str], Any], loopback: LoopbackServer
) -> None:
    """The request is the operation's (method, path with the id, the header, the key, no body), the answer is
    printed whole with --json (new and unknown fields kept), an API error is the SDK's (404, exit 1, not retried),
    and a path parameter that breaks its schema is refused by the SDK's check before anything is sent."""
    env, _ = regenerated
    loopback.enqueue(200, ANSWER)
    (found,) = imagineo(env, ["api", "runs", "get", "r_1", "--x-imagineo-project", "p-1", "--json", *connect(loopback)])
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout) == ANSWER
    (request,) = loopback.requests
    assert (request.method, request.path, request.body) == ("GET", "/api/v1/runs/r_1", b"")
    assert request.headers["x-imagineo-project"] == "p-1"
    assert request.headers["authorization"] == "Bearer sk-test"

    loopback.reset()
    loopback.enqueue(404, {"error": "No such run", "code": "not_found"}, headers={"x-request-id": "req_404"})
    (missing,) = imagineo(env, ["api", "runs", "get", "r_404", *connect(loopback)])
    assert missing.returncode == 1
    assert "the API answered 404: No such run [not_found] (request id: req_404)" in missing.stderr
    assert len(loopback.requests) == 1

    loopback.reset()
    (empty,) = imagineo(env, ["api", "runs", "get", "", *connect(loopback)])
    assert empty.returncode == 2
    assert "run_id: must have 1 to" in empty.stderr
    assert loopback.requests == []


def test_new_result_fields_are_shown_and_kept_by_batch(
    regenerated: tuple[dict[str, str], Any], loopback: LoopbackServer, tmp_path: Path
) -> None:
    """Plain output: stdout is the image URL only, the terminal (stderr) lists the other fields, the new typed ones
    (seed, cost_credits) and an unknown one included; a batch result line keeps every field of the result, the one
    named like the line's own ``status`` as ``result_status``."""
    env, _ = regenerated
    loopback.enqueue(200, ANSWER)
    status, out, screen = on_a_terminal(
        [sys.executable, "-m", "imagineo", "api", "runs", "get", "r_1", *connect(loopback)], {**env, "TERM": "xterm"}
    )
    assert status == 0, screen
    assert out == ANSWER["image_url"] + "\n"
    for line in ("run_id: r_1", "seed: 42", "cost_credits: 3.5", "status: succeeded"):
        assert line in screen

    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "prompt": "A cat"}) + "\n")
    loopback.enqueue(200, ANSWER)
    (run,) = imagineo(env, ["batch", str(source), "--out", str(tmp_path / "out.jsonl"), *connect(loopback)])
    assert run.returncode == 0, run.stderr
    (line,) = [json.loads(text) for text in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert line["status"] == "ok"
    assert line["result_status"] == "succeeded"
    assert {k: line[k] for k in ("image_url", "run_id", "model_type", "seed", "cost_credits")} == {
        k: ANSWER[k] for k in ("image_url", "run_id", "model_type", "seed", "cost_credits")
    }


def test_generate_follows_a_new_header_a_deprecated_field_and_a_new_enum_value(
    regenerated: tuple[dict[str, str], dict[str, Any]], loopback: LoopbackServer
) -> None:
    """``generate`` gets the header as ``--x-imagineo-project`` (sent), marks the deprecated field in ``--help`` and
    ``imagineo models`` and warns when it is given, and ``imagineo models`` lists the new enum value."""
    env, facts = regenerated
    dep_type, dep_field = facts["deprecated"]
    _, enum_field = facts["enum"]
    flag = option_flag(dep_field)
    fields = {**sc.minimal_body(dep_type), dep_field: sc.full_body(dep_type)[dep_field]}
    args = [a for k, v in fields.items() if k not in ("prompt", sc.TAG_FIELD) for a in (option_flag(k), str(v))]
    loopback.enqueue(200, ANSWER)
    help_, models, sent = imagineo(
        env,
        ["generate", "--help"],
        ["models"],
        ["generate", "A cat", "--model", dep_type, *args, "--x-imagineo-project", "p-2", *connect(loopback)],
    )
    assert help_.returncode == models.returncode == 0
    option_help = " ".join(help_.stdout.split(f"  {flag} X")[-1].split())
    assert option_help.startswith((f"(deprecated for {dep_type})", "(deprecated)")), option_help
    assert "--x-imagineo-project TEXT" in help_.stdout
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in models.stdout.splitlines() if "│" in line]
    assert sum(row[1] == f"{dep_field} (deprecated)" for row in rows) == 1  # only where the spec marks it
    assert any(row[1] == enum_field and NEW_CHOICE in row[5] for row in rows)
    assert sent.returncode == 0, sent.stderr
    assert f"imagineo: warning: {dep_field} is deprecated" in sent.stderr
    (request,) = loopback.requests
    assert request.headers["x-imagineo-project"] == "p-2"
    assert request.json()[dep_field] == fields[dep_field]
