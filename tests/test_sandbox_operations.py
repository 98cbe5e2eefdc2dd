"""The sandbox serves every operation of the spec (issue 17, item 4), proved on a copy of the spec with two more.

The product spec has one operation; the copy (in tmp_path) adds, listed *before* the generate path in ``paths``:
(a) ``GET /api/v1/runs/{run_id}`` (``get_run``: 200 a new ``Run`` schema, 404 ``Error``) and (b) ``POST
/api/v1/runs/combine`` (a body and the ``Idempotency-Key`` parameter). The sandbox is started on the copy, served
(``imagineo sandbox --spec``) and in-process (``SandboxApp`` with that spec), and must route by method and path
template (never by position), validate each operation, answer each with a response valid for it, and keep state:
a run created by generate is read back by get_run; an unknown id is the spec's 404.
"""

from __future__ import annotations

import copy
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml
from imagineo.sandbox import SandboxTransport
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests import spec_cases as sc

EXAMPLE = next(iter(sc.REQUEST_EXAMPLES.values()))
AUTH = {"Authorization": "Bearer sk-any"}
GET_RUN = "/api/v1/runs/{run_id}"
COMBINE = "/api/v1/runs/combine"


def extended_spec() -> dict[str, Any]:
    """The spec with get_run and combine added, both listed before every existing path."""
    document = copy.deepcopy(sc.SPEC)
    schemas = document["components"]["schemas"]
    schemas["Run"] = {
        "type": "object",
        "required": ["run_id", "status"],
        "additionalProperties": True,
        "properties": {
            "run_id": {"type": "string"},
            "status": {"type": "string", "enum": ["succeeded", "running"]},
            "image_url": {"type": "string", "format": "uri"},
        },
    }
    schemas["CombineInput"] = {
        "type": "object",
        "required": ["image_urls", "prompt"],
        "additionalProperties": False,
        "properties": {
            "prompt": {"type": "string", "minLength": 1},
            "image_urls": {"type": "array", "minItems": 2, "items": {"type": "string", "format": "uri"}},
        },
    }
    error = {
        "description": "Unknown run",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    ok = lambda ref: {"description": "ok", "content": {"application/json": {"schema": {"$ref": ref}}}}  # noqa: E731
    added = {
        GET_RUN: {
            "get": {
                "operationId": "get_run",
                "parameters": [{"name": "run_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": ok("#/components/schemas/Run"), "404": error},
            }
        },
        COMBINE: {
            "post": {
                "operationId": "combine_images",
                "parameters": [{"$ref": "#/components/parameters/IdempotencyKey"}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CombineInput"}}},
                },
                "responses": {"200": ok("#/components/schemas/GenerateImageOutput"), "422": error},
            }
        },
    }  # fmt: skip
    document["paths"] = {**added, **document["paths"]}
    return document


def validator(document: dict[str, Any], name: str) -> jsonschema.Draft202012Validator:
    registry = Registry().with_resource("urn:spec", Resource(contents=document, specification=DRAFT202012))
    return jsonschema.Draft202012Validator({"$ref": f"urn:spec#/components/schemas/{name}"}, registry=registry)


@pytest.fixture(scope="module")
def spec_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "imagineo.yaml"
    path.write_text(yaml.safe_dump(extended_spec(), sort_keys=False))
    return path


@pytest.fixture(scope="module")
def served(spec_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``imagineo sandbox --spec <the copy>`` in a subprocess: what another team would run."""
    url_file = tmp_path_factory.mktemp("served") / "url"
    cmd = [str(sc.ROOT / ".venv" / "bin" / "imagineo"), "sandbox", "--port", "0", "--quiet", "--retry-after", "0"]
    cmd += ["--spec", str(spec_copy), "--url-file", str(url_file)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(400):
            if url_file.exists() and url_file.read_text().strip():
                break
            if proc.poll() is not None:
                pytest.fail(f"imagineo sandbox exited: {proc.stderr.read() if proc.stderr else ''}")
            time.sleep(0.05)
        yield url_file.read_text().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(params=["served", "in-process"])
def http(request: pytest.FixtureRequest, spec_copy: Path) -> Iterator[httpx.Client]:
    """An httpx client on the sandbox serving the copy: over loopback, or on the in-process transport."""
    if request.param == "served":
        with httpx.Client(base_url=request.getfixturevalue("served"), headers=AUTH) as client:
            yield client
    else:
        transport = SandboxTransport(spec=spec_copy)
        with httpx.Client(base_url=transport.url, transport=transport, headers=AUTH) as client:
            yield client


def test_generate_still_works_at_its_own_path_though_listed_last(http: httpx.Client) -> None:
    """Breaks if the sandbox takes the first path of the file as "the" operation (it would treat a generate body
    as a combine or a get_run), or routes by position rather than method and path."""
    answer = http.post(sc.ENDPOINT, json=EXAMPLE, headers={"Idempotency-Key": "g1"})
    assert answer.status_code == 200, answer.text
    validator(extended_spec(), "GenerateImageOutput").validate(answer.json())
    assert answer.json()["model_type"] == EXAMPLE.get("model_type", answer.json()["model_type"])
    assert http.get(answer.json()["image_url"]).content[:8] == b"\x89PNG\r\n\x1a\n"
    index = http.get("/").json()["operations"]
    assert index["get_run"] == f"GET {GET_RUN}"
    assert index["combine_images"] == f"POST {COMBINE}"


def test_a_run_created_by_generate_is_read_back_by_get_run_and_an_unknown_id_is_404(http: httpx.Client) -> None:
    """Breaks if the sandbox answers `No such endpoint` for an operation it does not know by name, forgets what
    generate gave out, answers an unknown id with a made-up run, or answers with a body the operation's schema
    refuses."""
    created = http.post(sc.ENDPOINT, json=EXAMPLE, headers={"Idempotency-Key": "g2"}).json()
    run_id = created["run_id"]
    read = http.get(f"/api/v1/runs/{run_id}")
    assert read.status_code == 200, read.text
    validator(extended_spec(), "Run").validate(read.json())
    assert read.json()["run_id"] == run_id
    assert read.json()["image_url"] == created["image_url"]
    unknown = http.get("/api/v1/runs/r_000000000000")
    assert unknown.status_code == 404
    validator(extended_spec(), "Error").validate(unknown.json())
    assert unknown.json()["code"] == "not_found"
    assert http.get(f"/api/v1/runs/{run_id}", headers={"Authorization": ""}).status_code == 401


def test_combine_validates_its_body_and_replays_on_the_same_key(http: httpx.Client) -> None:
    """Breaks if an operation other than generate is not validated against its own body schema (422 naming the
    field), or if Idempotency-Key handling is generate's only: the same key and body must replay the first answer
    and create no second run; another body on the key is a 409."""
    bad = http.post(COMBINE, json={"prompt": "mix", "image_urls": ["https://example.com/a.png"]})
    assert bad.status_code == 422
    assert [d["field"] for d in bad.json()["details"]] == ["image_urls"]
    body = {"prompt": "mix", "image_urls": ["https://example.com/a.png", "https://example.com/b.png"]}
    first = http.post(COMBINE, json=body, headers={"Idempotency-Key": "c1"})
    assert first.status_code == 200, first.text
    validator(extended_spec(), "GenerateImageOutput").validate(first.json())
    again = http.post(COMBINE, json=body, headers={"Idempotency-Key": "c1"})
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = http.post(COMBINE, json={**body, "prompt": "other"}, headers={"Idempotency-Key": "c1"})
    assert other.status_code == 409
    runs = [r for r in http.get("/_sandbox/runs").json() if r["operation"] == "combine_images"]
    assert [r["idempotency_key"] for r in runs] == ["c1"]
    assert runs[0]["run_id"] == first.json()["run_id"]
    assert http.get(f"/api/v1/runs/{first.json()['run_id']}").status_code == 200


def test_a_method_the_path_does_not_have_is_405_naming_the_allowed_ones(http: httpx.Client) -> None:
    """Breaks if a DELETE on a run's path is read as another operation, or answered 404 without saying which
    methods the path has."""
    answer = http.delete("/api/v1/runs/r_123")
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "GET"
