"""The sandbox implements the spec: validation (422 naming the field), auth, idempotency, served PNGs, faults.

Everything here runs the sandbox in-process (`imagineo.testing`) and talks to it over real loopback sockets, with
raw httpx for what the SDK would refuse to send and with the SDK's clients for retries.
"""

from __future__ import annotations

import asyncio
import json
import signal
import struct
import subprocess
import sys
import time
import tomllib
import zlib
from pathlib import Path
from typing import Any

import httpx
import imagineo
import jsonschema
import pytest
from imagineo import _models
from imagineo.sandbox import SandboxServer, render_png, spec_path
from imagineo.testing import imagineo_sandbox as _registers_the_imagineo_sandbox_fixture  # noqa: F401
from imagineo.testing import sandbox_server
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests import spec_cases as sc

pytestmark = pytest.mark.usefixtures("no_backoff")  # tests/conftest.py

ROOT = Path(__file__).resolve().parent.parent
GENERATE = "/api/v1/runs/generate"


def spec_validator(spec: dict[str, Any], name: str) -> jsonschema.Draft202012Validator:
    registry = Registry().with_resource("urn:spec", Resource(contents=spec, specification=DRAFT202012))
    return jsonschema.Draft202012Validator({"$ref": f"urn:spec#/components/schemas/{name}"}, registry=registry)


def png_size(data: bytes) -> tuple[int, int]:
    """Check `data` is a well-formed RGB PNG (signature, chunk CRCs, IDAT size) and return (width, height)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, idat = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        tag, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(tag + body) & 0xFFFFFFFF == crc, tag
        chunks.append(tag)
        idat += body if tag == b"IDAT" else b""
        pos += 12 + length
    assert chunks[0] == b"IHDR"
    assert chunks[-1] == b"IEND"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (depth, colour) == (8, 2)
    assert len(zlib.decompress(idat)) == (width * 3 + 1) * height
    return width, height


HTTP = httpx.Client()  # one connection pool for the whole module (a new httpx.Client per call costs ~50 ms)


def post(server: SandboxServer, body: object, key: str | None = "sk-test", **headers: str) -> httpx.Response:
    if key is not None:
        headers.setdefault("Authorization", f"Bearer {key}")
    return HTTP.post(server.url + GENERATE, json=body, headers=headers)


def spec_examples(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    content = spec["paths"][GENERATE]["post"]["requestBody"]["content"]["application/json"]
    return {name: example["value"] for name, example in content["examples"].items()}


@pytest.fixture
def server() -> Any:
    with sandbox_server(api_key="sk-test") as s:
        yield s


# ---------------------------------------------------------------------------------------------------------------
# 200: every model type, the body the spec describes, and a real PNG served by the sandbox


def test_every_named_example_is_answered_with_a_spec_valid_output_and_a_served_png(
    server: SandboxServer, spec: dict[str, Any]
) -> None:
    output = spec_validator(spec, "GenerateImageOutput")
    examples = spec_examples(spec)
    assert {e["model_type"] for e in examples.values()} == set(_models.MODEL_TYPES)  # one example per model type
    for name, body in examples.items():
        response = post(server, body)
        assert response.status_code == 200, (name, response.text)
        assert response.headers["x-request-id"].startswith("req_sbx_")
        data = response.json()
        output.validate(data)
        assert data["model_type"] == body["model_type"]
        assert data["image_url"].startswith(server.url + "/images/")
        image = HTTP.get(data["image_url"])
        assert image.headers["content-type"] == "image/png"
        width, height = png_size(image.content)
        if "width" in body:
            assert (width, height) == (body["width"], body["height"]), name
    assert server.runs_created == len(examples)
    assert [run["body"] for run in server.runs()] == list(examples.values())


def _size_cases() -> list[tuple[dict[str, Any], tuple[int, int]]]:
    """(fields, expected PNG size), from the spec: each ratio of an `aspect_ratio` enum (the long side 1024), and
    `width` alone (a square) or with `height`, for the model types that take them."""
    cases: list[tuple[dict[str, Any], tuple[int, int]]] = []
    for model_type, variant in sc.VARIANTS.items():
        props, base = variant["properties"], sc.minimal_body(model_type)
        for ratio in props.get("aspect_ratio", {}).get("enum", [])[:3]:
            w, h = (int(x) for x in ratio.split(":"))
            size = (1024, round(1024 * h / w)) if w >= h else (round(1024 * w / h), 1024)
            cases.append(({**base, "aspect_ratio": ratio}, size))
        if "width" in props and "height" in props:
            lo = props["width"].get("minimum", 64)
            if "height" not in variant["required"]:
                cases.append(({**base, "width": lo + 136}, (lo + 136, lo + 136)))
            cases.append(({**base, "width": lo + 256, "height": lo + 32}, (lo + 256, lo + 32)))
    return cases


@pytest.mark.parametrize(("fields", "size"), _size_cases())
def test_image_size_follows_the_request(server: SandboxServer, fields: dict[str, Any], size: tuple[int, int]) -> None:
    data = post(server, fields).json()
    assert png_size(HTTP.get(data["image_url"]).content) == size


def test_same_request_gives_the_same_image_bytes_and_another_prompt_another_image(server: SandboxServer) -> None:
    body = {"prompt": "A cat", "model_type": "flux-dev", "width": 64, "height": 64}
    first, second = post(server, body).json(), post(server, dict(reversed(body.items()))).json()
    other = post(server, {**body, "prompt": "A dog"}).json()
    assert first["run_id"] != second["run_id"]  # no Idempotency-Key: two runs...
    assert first["image_url"] == second["image_url"]  # ...of the same image
    assert HTTP.get(first["image_url"]).content == HTTP.get(second["image_url"]).content
    assert other["image_url"] != first["image_url"]
    assert HTTP.get(other["image_url"]).content != HTTP.get(first["image_url"]).content
    assert render_png("0" * 20, 64, 64) == render_png("0" * 20, 64, 64)
    assert server.runs_created == 3


def test_batch_size_lists_every_image(server: SandboxServer, spec: dict[str, Any]) -> None:
    model_type = next(m for m, v in sc.VARIANTS.items() if "batch_size" in v["properties"])
    body = {**sc.EXAMPLE_FOR[model_type], "batch_size": 3}
    data = post(server, body).json()
    assert len(data["image_urls"]) == len(set(data["image_urls"])) == 3
    assert data["image_url"] == data["image_urls"][0]
    for url in data["image_urls"]:
        assert png_size(HTTP.get(url).content) == (body.get("width", 1024), body.get("height", 1024))


# ---------------------------------------------------------------------------------------------------------------
# Errors: 422 naming the field, 400, 401, 404


def _invalid_bodies() -> list[Any]:
    """(body, fields the 422 must name), from the spec: a required field missing, a bound exceeded, a wrong type,
    a bad enum value, a foreign field, per model type; plus the JSON-Schema subtleties the sandbox must share with
    Prism and the SDK (format: uri beyond the pattern; a final $ is the very end)."""
    cases: list[Any] = [pytest.param({"prompt": "p"}, {sc.TAG_FIELD}, id="no-model-type")]
    cases.append(pytest.param({"prompt": "p", sc.TAG_FIELD: "dall-e"}, {sc.TAG_FIELD}, id="unknown-model-type"))
    cases.append(pytest.param([1, 2], {"body"}, id="not-an-object"))
    every_field = {n for v in sc.VARIANTS.values() for n in v["properties"]}
    for model_type, variant in sc.VARIANTS.items():
        base, props = sc.full_body(model_type), variant["properties"]
        for name in variant["required"]:
            if name != sc.TAG_FIELD:
                body = {k: v for k, v in base.items() if k != name}
                cases.append(pytest.param(body, {name}, id=f"{model_type}-missing-{name}"))
        for name, prop in props.items():
            if name == sc.TAG_FIELD:
                continue
            if "maximum" in prop:
                cases.append(pytest.param({**base, name: prop["maximum"] + 1}, {name}, id=f"{model_type}-{name}-max"))
            if prop.get("type") == "integer":
                for bad in ("512", 512.5):
                    cases.append(pytest.param({**base, name: bad}, {name}, id=f"{model_type}-{name}-{bad!r}"))
            if "enum" in prop:
                cases.append(pytest.param({**base, name: "0:0"}, {name}, id=f"{model_type}-{name}-enum"))
            if prop.get("type") == "array" and prop.get("items", {}).get("format") == "uri":
                items = [*base[name][:-1], "x"]
                cases.append(
                    pytest.param({**base, name: items}, {f"{name}.{len(items) - 1}"}, id=f"{model_type}-{name}-item")
                )
            if "minItems" in prop:
                few = base[name][: prop["minItems"] - 1]
                cases.append(pytest.param({**base, name: few}, {name}, id=f"{model_type}-{name}-few"))
            if prop.get("format") == "uri" and prop.get("type") == "string":
                for label, url in (("bad-percent", "https://a.example/x%zz"), ("newline", "https://a.example/x.png\n")):
                    cases.append(pytest.param({**base, name: url}, {name}, id=f"{model_type}-{name}-{label}"))
        foreign = sorted(every_field - set(props))
        if foreign:
            owner = next(m for m in sc.VARIANTS if foreign[0] in sc.VARIANTS[m]["properties"])
            value = sc.full_body(owner)[foreign[0]]
            cases.append(pytest.param({**base, foreign[0]: value}, {foreign[0]}, id=f"{model_type}-foreign"))
        cases.append(pytest.param({**base, "prompt": "", "widht": 512}, {"prompt", "widht"}, id=f"{model_type}-two"))
    return cases


@pytest.mark.parametrize(("body", "fields"), _invalid_bodies())
def test_422_names_each_field_at_fault(
    server: SandboxServer, spec: dict[str, Any], body: object, fields: set[str]
) -> None:
    response = post(server, body)
    assert response.status_code == 422, response.text
    data = response.json()
    spec_validator(spec, "Error").validate(data)
    assert data["code"] == "validation_error"
    assert {d["field"] for d in data["details"]} == fields
    assert server.runs_created == 0


def test_401_without_a_bearer_key_or_with_another_key_and_the_key_is_never_echoed(server: SandboxServer) -> None:
    body = {"prompt": "p", "model_type": "flux-dev"}
    for response in (post(server, body, key=None), post(server, body, key="sk-wrong-secret-123")):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert "sk-wrong-secret-123" not in response.text
    assert HTTP.post(server.url + GENERATE, json=body, headers={"Authorization": "Basic eDp5"}).status_code == 401
    assert server.stats()["auth_failures"] == 3
    assert server.runs_created == 0


def test_any_key_is_accepted_when_none_is_configured() -> None:
    with SandboxServer().start() as server:
        assert post(server, {"prompt": "p", "model_type": "flux-dev"}, key="anything").status_code == 200


def test_400_for_a_body_that_is_not_json_and_404_for_other_paths(server: SandboxServer) -> None:
    auth = {"Authorization": "Bearer sk-test"}
    not_json = HTTP.post(server.url + GENERATE, content=b"{nope", headers={**auth, "Content-Type": "application/json"})
    assert not_json.status_code == 400
    assert not_json.json()["code"] == "bad_request"
    form = HTTP.post(server.url + GENERATE, data={"prompt": "p"}, headers=auth)
    assert form.status_code == 400
    assert HTTP.post(server.url + "/api/v1/runs/other", json={}, headers=auth).status_code == 404
    assert HTTP.get(server.url + GENERATE, headers=auth).status_code == 405
    assert HTTP.get(server.url + "/images/0123456789abcdef0123-0x5.png").status_code == 404


# ---------------------------------------------------------------------------------------------------------------
# Idempotency


def test_same_key_same_body_replays_the_run_and_a_different_body_is_409(
    server: SandboxServer, spec: dict[str, Any]
) -> None:
    body = {"prompt": "A cat", "model_type": "flux-dev", "width": 64, "height": 64}
    first = post(server, body, **{"Idempotency-Key": "k-1"})
    again = post(server, dict(reversed(body.items())), **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    conflict = post(server, {**body, "prompt": "A dog"}, **{"Idempotency-Key": "k-1"})
    assert conflict.status_code == 409
    spec_validator(spec, "Error").validate(conflict.json())
    assert conflict.json()["code"] == "idempotency_conflict"
    other_key = post(server, body, **{"Idempotency-Key": "k-2"})
    assert other_key.json()["run_id"] != first.json()["run_id"]
    assert server.runs_created == 2
    assert server.stats()["idempotent_replays"] == 1
    assert server.stats()["conflicts"] == 1
    assert post(server, body, **{"Idempotency-Key": "x" * 256}).status_code == 400


def test_the_sdk_gets_a_conflict_error_for_a_reused_key_with_another_body(imagineo_sandbox: Any) -> None:
    client = imagineo_sandbox.client(max_retries=0)
    client.images.generate(prompt="A cat", idempotency_key="same")
    with pytest.raises(imagineo.ConflictError) as info:
        client.images.generate(prompt="A dog", idempotency_key="same")
    assert info.value.status_code == 409
    assert imagineo_sandbox.runs_created == 1


# ---------------------------------------------------------------------------------------------------------------
# Faults: the SDK's retries of one call create one run


@pytest.mark.parametrize("fault", ["429", "503", "500", "502", "drop", "slow=0.05"])
def test_a_faulted_first_attempt_is_retried_and_creates_one_run(imagineo_sandbox: Any, fault: str) -> None:
    client = imagineo_sandbox.client(max_retries=2)
    result = client.images.generate(prompt="A cat", extra_headers={"X-Sandbox-Fault": fault})
    assert result is not None
    assert result.image_url.startswith(imagineo_sandbox.url)
    stats = imagineo_sandbox.stats()
    assert stats["runs_created"] == 1
    assert stats["faults_injected"] == 1
    if fault.startswith("slow"):
        assert stats["generate_requests"] == 1
    else:
        assert stats["generate_requests"] == 2
        # 500/502/drop happen after the run exists: the retry is answered from the Idempotency-Key
        assert stats["idempotent_replays"] == (1 if fault in ("500", "502", "drop") else 0)


def test_a_client_timeout_on_a_slow_answer_is_retried_without_a_second_run(imagineo_sandbox: Any) -> None:
    client = imagineo_sandbox.client(max_retries=1, timeout=0.3)
    result = client.images.generate(prompt="A cat", extra_headers={"X-Sandbox-Fault": "slow=1"})
    assert result is not None
    assert imagineo_sandbox.runs_created == 1
    assert imagineo_sandbox.stats()["idempotent_replays"] == 1


def test_429_and_503_carry_retry_after_and_times_all_exhausts_the_retries() -> None:
    with sandbox_server(retry_after=0) as server:
        for status in ("429", "503"):
            response = post(
                server,
                {"prompt": "p", "model_type": "flux-dev"},
                key=server.api_key,
                **{"X-Sandbox-Fault": status, "Idempotency-Key": f"key-{status}"},
            )
            assert response.status_code == int(status)
            assert response.headers["retry-after"] == "0"
        client = server.client(max_retries=1)
        with pytest.raises(imagineo.RateLimitError) as info:
            client.images.generate(prompt="p", extra_headers={"X-Sandbox-Fault": "429;times=all"})
        assert info.value.request_id is not None
        assert info.value.request_id.startswith("req_sbx_")
        assert server.runs_created == 0


def test_204_fault_returns_none_and_counts_the_run(imagineo_sandbox: Any) -> None:
    assert imagineo_sandbox.client().images.generate(prompt="p", extra_headers={"X-Sandbox-Fault": "204"}) is None
    assert imagineo_sandbox.runs_created == 1


def test_a_bad_fault_header_is_a_400(server: SandboxServer) -> None:
    response = post(server, {"prompt": "p", "model_type": "flux-dev"}, **{"X-Sandbox-Fault": "explode"})
    assert response.status_code == 400
    assert "X-Sandbox-Fault" in response.json()["error"]


def test_session_faults_fail_first_and_fail_each() -> None:
    with sandbox_server(fail_first=2, fail_status=503) as server:
        assert server.client(max_retries=2).images.generate(prompt="p") is not None
        assert server.stats()["generate_requests"] == 3
        assert server.runs_created == 1

    async def five_calls(server: Any) -> None:
        async with server.async_client(max_retries=1) as client:
            await asyncio.gather(*(client.images.generate(prompt=f"p{i}") for i in range(5)))

    with sandbox_server(fail_each=1, fail_status=429) as server:
        asyncio.run(five_calls(server))
        assert server.runs_created == 5
        assert server.stats()["generate_requests"] == 10


def test_admin_endpoints_stats_runs_faults_and_reset(server: SandboxServer) -> None:
    post(server, {"prompt": "p", "model_type": "flux-dev"}, **{"Idempotency-Key": "k"})
    stats = HTTP.get(server.url + "/_sandbox/stats").json()
    assert stats == server.stats()
    assert stats["runs_created"] == 1
    runs = HTTP.get(server.url + "/_sandbox/runs").json()
    assert runs[0]["idempotency_key"] == "k"
    assert runs[0]["body"] == {"prompt": "p", "model_type": "flux-dev"}
    settings = HTTP.post(server.url + "/_sandbox/faults", json={"fail_first": 1, "fail_status": 502}).json()
    assert settings["fail_first"] == 1
    assert post(server, {"prompt": "p", "model_type": "flux-dev"}).status_code == 502
    refused = HTTP.post(server.url + "/_sandbox/faults", json={"nope": 1})
    assert refused.status_code == 422
    assert refused.json()["details"][0]["field"] == "nope"
    assert HTTP.post(server.url + "/_sandbox/reset").json()["runs_created"] == 0
    assert server.runs_created == 0
    assert f"POST {GENERATE}" in HTTP.get(server.url + "/").json()["operations"].values()  # every operation listed


# ---------------------------------------------------------------------------------------------------------------
# The fixture, the packaged spec, the command


def test_fixture_serves_on_loopback_with_its_key(imagineo_sandbox: Any) -> None:
    assert imagineo_sandbox.url.startswith("http://127.0.0.1:")
    assert imagineo_sandbox.api_key
    result = imagineo_sandbox.client().images.generate(prompt="A cat", width=64, height=64)
    assert result is not None
    assert imagineo_sandbox.runs_created == 1


def test_the_sandbox_validates_with_the_spec_file_the_wheel_ships() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    force_include = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert force_include == {"openapi/imagineo.yaml": "imagineo/_spec/imagineo.yaml"}
    assert config["project"]["scripts"]["imagineo"] == "imagineo.cli:main"
    # In this (editable) checkout the sandbox reads the spec itself, not a copy that could go stale.
    assert spec_path() == ROOT / "openapi" / "imagineo.yaml"
    assert "jsonschema" not in " ".join(config["project"]["dependencies"])


BLOCK_EXTRAS = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("rich", "jsonschema", "yaml", "referencing"):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)")
        return None
sys.meta_path.insert(0, Block())
"""


def test_import_imagineo_needs_neither_the_cli_nor_its_extra() -> None:
    # rich, jsonschema and pyyaml are made unimportable: the library must not need them. (In this dev venv httpx
    # itself imports rich, for its own CLI, when click, pygments and rich are all installed; not our import.)
    code = BLOCK_EXTRAS + (
        "import imagineo\n"
        "imagineo.ImagineoAIClient('http://127.0.0.1:9', api_key='k')\n"
        "mine = ('imagineo.cli', 'imagineo._cli', 'imagineo.sandbox')\n"
        "print(sorted(m for m in sys.modules if m in mine or m.startswith('imagineo._cli.')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
    # and the command says which extra it needs
    cli = subprocess.run(
        [sys.executable, "-c", BLOCK_EXTRAS + "from imagineo.cli import main; sys.exit(main(['models']))"],
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 2
    assert "pip install 'imagineo[cli]'" in cli.stderr


def test_imagineo_sandbox_command_binds_loopback_says_so_and_serves(tmp_path: Path) -> None:
    url_file = tmp_path / "url"
    command = [str(Path(sys.executable).parent / "imagineo"), "sandbox", "--port", "0", "--url-file", str(url_file)]
    proc = subprocess.Popen(
        [*command, "--api-key", "sk-only"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 20
        while not url_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        url = url_file.read_text().strip()
        assert url.startswith("http://127.0.0.1:")
        headers = {"Authorization": "Bearer sk-only"}
        ok = HTTP.post(url + GENERATE, json={"prompt": "p", "model_type": "flux-dev"}, headers=headers)
        assert ok.status_code == 200
        wrong = HTTP.post(
            url + GENERATE, json={"prompt": "p", "model_type": "flux-dev"}, headers={"Authorization": "Bearer x"}
        )
        assert wrong.status_code == 401
        assert HTTP.get(url + "/_sandbox/stats").json()["runs_created"] == 1
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert f"listening on {url} (loopback only" in out
    assert "sk-only" not in out + err
    assert '"POST /api/v1/runs/generate HTTP/1.1" 200' in err  # request log on stderr (not --quiet)


def test_a_non_loopback_bind_is_announced_as_such(tmp_path: Path) -> None:
    from imagineo.sandbox import serve

    lines: list[str] = []

    class Out:
        def write(self, text: str) -> None:
            lines.append(text)

        def flush(self) -> None:
            pass

    def stop(server: SandboxServer) -> None:
        server.stop()  # the server is up: it stops as soon as it serves

    serve("0.0.0.0", 0, quiet=True, out=Out(), on_ready=stop)  # type: ignore[arg-type]  # noqa: S104
    assert "WARNING: not loopback" in "".join(lines)


def test_png_writer_is_valid_for_odd_sizes() -> None:
    for width, height in ((1, 1), (7, 3), (65, 129)):
        assert png_size(render_png("ab" * 10, width, height)) == (width, height)
    assert json.dumps(spec_path().name) == '"imagineo.yaml"'


def test_a_port_out_of_range_is_a_usage_error_not_a_traceback() -> None:
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "imagineo"), "sandbox", "--port", "70000"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "expected a port from 0 to 65535, got 70000" in proc.stderr
    assert "Traceback" not in proc.stderr
