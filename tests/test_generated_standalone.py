"""The generated package used alone (no overlay), as a Python service would: `AuthenticatedClient` and
`imagineo_api.api.runs.generate_run`, against a real HTTP server on 127.0.0.1 (tests/loopback.py).

What generator/templates/ promises (generator/README.md, "Templates"; README "Using the generated package alone"):
every malformed or non-standard answer ends in its documented outcome, a `Response` or an exception the generated
package defines, never a builtin exception (KeyError, json.JSONDecodeError, ValueError from HTTPStatus); the clients
have the spec's default timeout; the templates are tied to the openapi-python-client they were written for.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import imagineo
import pytest
import yaml
from imagineo_api import AuthenticatedClient, Client, catalog, errors
from imagineo_api.api.runs import generate_run
from imagineo_api.models import Error, FluxDevInput, GenerateImageOutput
from imagineo_api.types import Response

from tests.conftest import SPEC_PATH
from tests.loopback import DEFAULT_IMAGE_URL, LoopbackServer

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "generator" / "templates"
BODY = FluxDevInput(prompt="A cat", model_type="flux-dev")
HTML_502 = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
JSON, TEXT, HTML = "application/json", "text/plain", "text/html"


def _load_generate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("imagineo_generate", ROOT / "generator" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATE = _load_generate()


# -- the table of malformed and non-standard answers -----------------------------------------------------------------


@dataclass(frozen=True)
class Parsed:
    """sync_detailed returns a Response with this status, `parsed` of this type (None: parsed is None), content kept."""

    parsed: type[Any] | None


@dataclass(frozen=True)
class Raises:
    """sync_detailed raises this generated error, whose message contains `words`."""

    error: type[Exception]
    words: str


INVALID = errors.ResponseValidationError
UNEXPECTED = errors.UnexpectedStatus
NOT_STR, NOT_LIST = "Input should be a valid string", "Input should be a valid list"

# name: (status, raw body, content type, outcome)
ANSWERS: dict[str, tuple[int, bytes, str, Parsed | Raises]] = {
    "200-ok-with-extra-field": (200, b'{"image_url": "u", "seed_used": 5}', JSON, Parsed(GenerateImageOutput)),
    "200-missing-image_url": (200, b'{"run_id": "r_1"}', JSON, Raises(INVALID, "image_url: Field required")),
    "200-image_url-number": (200, b'{"image_url": 5}', JSON, Raises(INVALID, f"image_url: {NOT_STR}")),
    "200-image_url-null": (200, b'{"image_url": null}', JSON, Raises(INVALID, f"image_url: {NOT_STR}")),
    "200-image_urls-string": (
        200, b'{"image_url": "u", "image_urls": "u"}', JSON, Raises(INVALID, f"image_urls: {NOT_LIST}"),
    ),
    "200-image_urls-number-item": (
        200, b'{"image_url": "u", "image_urls": ["u", 1]}', JSON,
        Raises(INVALID, f"image_urls.1: {NOT_STR}"),
    ),
    "200-run_id-null": (200, b'{"image_url": "u", "run_id": null}', JSON, Raises(INVALID, "run_id: must not be null")),
    "200-model_type-object": (
        200, b'{"image_url": "u", "model_type": {}}', JSON, Raises(INVALID, f"model_type: {NOT_STR}"),
    ),
    "200-array-of-pairs": (200, b'[["image_url", "u"]]', JSON, Raises(INVALID, "body: Input should be an object")),
    "200-null": (200, b"null", JSON, Raises(INVALID, "body: Input should be an object")),
    "200-not-json": (200, b"Image ready", TEXT, Raises(INVALID, "The API answered 200 with a body that is not JSON")),
    "200-html": (200, b"<html><body>OK</body></html>", HTML, Raises(INVALID, "a body that is not JSON")),
    "200-truncated-json": (200, b'{"image_url": "https://cdn.example.com/0', JSON, Raises(INVALID, "not JSON")),
    "200-invalid-utf8": (200, b'{"image_url": "\xff\xfe"}', JSON, Raises(INVALID, "not JSON")),
    "200-nested-too-deep": (200, b"[" * 100_000, JSON, Raises(INVALID, "not JSON")),
    "200-empty": (200, b"", JSON, Raises(INVALID, "The API answered 200 with an empty body")),
    "204-no-content": (204, b"", JSON, Parsed(None)),
    "422-error-body": (422, b'{"error": "bad", "code": "validation_error"}', JSON, Parsed(Error)),
    "422-html": (422, b"<html><body>Unprocessable</body></html>", HTML, Parsed(None)),
    "422-json-not-an-error": (422, b'{"detail": "bad"}', JSON, Parsed(None)),
    "400-error-field-number": (400, b'{"error": 5}', JSON, Parsed(None)),
    "400-empty": (400, b"", JSON, Parsed(None)),
    "429-text": (429, b"slow down", TEXT, Parsed(None)),
    "502-html": (502, HTML_502, HTML, Parsed(None)),
    "503-empty": (503, b"", HTML, Parsed(None)),
    "201-undocumented": (201, b'{"image_url": "u"}', JSON, Parsed(None)),
    "418-undocumented": (418, b"I'm a teapot", TEXT, Parsed(None)),
    "520-outside-httpstatus": (520, b"error code: 520", TEXT, Raises(UNEXPECTED, "Unexpected status code: 520")),
    "299-outside-httpstatus": (299, b'{"image_url": "u"}', JSON, Raises(UNEXPECTED, "Unexpected status code: 299")),
}  # fmt: skip


def _call(mode: str, url: str, **client_args: Any) -> Response[Any]:
    if mode == "sync":
        with AuthenticatedClient(base_url=url, token="sk-alone", **client_args) as client:
            return generate_run.sync_detailed(client=client, body=BODY)

    async def run() -> Response[Any]:
        async with AuthenticatedClient(base_url=url, token="sk-alone", **client_args) as client:
            return await generate_run.asyncio_detailed(client=client, body=BODY)

    return asyncio.run(run())


def _outcome(mode: str, url: str) -> Response[Any] | Exception:
    """What sync_detailed / asyncio_detailed made of the answer: the Response, or whatever it raised."""
    try:
        return _call(mode, url)
    except Exception as exc:  # the point is to see which exception it is
        return exc


def _json_or_text(content: bytes) -> Any:
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        return content.decode("utf-8", errors="replace")


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("case", list(ANSWERS))
def test_each_answer_ends_in_its_documented_outcome(loopback: LoopbackServer, mode: str, case: str) -> None:
    """Each malformed or non-standard answer, over real HTTP, ends in its row's outcome and never a builtin exception.

    Caught: the upstream templates (a raw KeyError for a missing image_url, json.JSONDecodeError for a non-JSON 200,
    422 or 502, ValueError "520 is not a valid HTTPStatus", image_url=5 accepted); an error status with a broken body
    raising instead of leaving parsed None; the list check missing (a string taken as a list of characters).
    """
    status, content, content_type, outcome = ANSWERS[case]
    loopback.enqueue(status, body=content, headers={"Content-Type": content_type, "x-request-id": "req_alone"})
    response = _outcome(mode, loopback.url)
    if isinstance(response, Exception):
        exc = response
        assert isinstance(outcome, Raises), f"{case}: expected a Response, got {type(exc).__name__}: {exc}"
        assert type(exc) is outcome.error, f"{case}: {type(exc).__module__}.{type(exc).__name__}: {exc}"
        assert outcome.words in str(exc)
        assert exc.status_code == status  # type: ignore[attr-defined]
        assert exc.content == content  # type: ignore[attr-defined]
        if isinstance(exc, errors.ResponseValidationError):
            assert exc.reason == str(exc)
            assert exc.body == _json_or_text(content)
        return
    assert isinstance(outcome, Parsed), f"{case}: expected {outcome}, got a Response parsed as {response.parsed!r}"
    assert response.status_code == HTTPStatus(status)
    assert response.content == content  # a body the parser could not read is kept for the caller
    assert response.headers["x-request-id"] == "req_alone"
    if outcome.parsed is None:
        assert response.parsed is None
    else:
        assert type(response.parsed) is outcome.parsed


def test_sync_returns_none_for_a_documented_error_status_with_a_broken_body(loopback: LoopbackServer) -> None:
    """sync() raises only where upstream raises: an HTML 502 is None (sync_detailed keeps the page).

    Caught: the error-status branch raising ResponseValidationError (sync_detailed would raise on a documented status).
    """
    loopback.enqueue(502, body=HTML_502, headers={"Content-Type": HTML})
    with AuthenticatedClient(base_url=loopback.url, token="sk-alone") as client:
        assert generate_run.sync(client=client, body=BODY) is None


def test_undocumented_status_raises_when_asked_to(loopback: LoopbackServer) -> None:
    """raise_on_unexpected_status=True still turns an undocumented status (418) into UnexpectedStatus.

    Caught: the endpoint template losing upstream's raise_on_unexpected_status branch.
    """
    loopback.enqueue(418, body=b"I'm a teapot", headers={"Content-Type": TEXT})
    with pytest.raises(errors.UnexpectedStatus) as info:
        _call("sync", loopback.url, raise_on_unexpected_status=True)
    assert info.value.status_code == 418
    assert info.value.content == b"I'm a teapot"


def test_unexpected_status_quotes_only_an_excerpt_of_a_huge_body(loopback: LoopbackServer) -> None:
    """Caught: UnexpectedStatus putting the whole body in its message (50 MB seen): the message must quote at most
    errors.MAX_EXCERPT characters of it and say how big it was, while ``.content`` keeps every byte."""
    body = b"<html>" + b"x" * (5 << 20) + b"</html>"
    loopback.enqueue(418, body=body, headers={"Content-Type": TEXT})
    with pytest.raises(errors.UnexpectedStatus) as info:
        _call("sync", loopback.url, raise_on_unexpected_status=True)
    assert len(str(info.value)) < errors.MAX_EXCERPT + 200
    assert f"{len(body)} bytes in all" in str(info.value)
    assert info.value.content == body


def test_generate_image_output_from_dict_checks_types_and_keeps_extras() -> None:
    """GenerateImageOutput.from_dict itself rejects a mistyped field (TypeError naming it) and keeps unknown fields.

    Caught: the any_property / list_property templates losing their checks; the construct macro dropping
    additional_properties.
    """
    with pytest.raises(TypeError, match="image_url: Input should be a valid string"):
        GenerateImageOutput.from_dict({"image_url": 5})
    with pytest.raises(TypeError, match="image_urls: Input should be a valid list"):
        GenerateImageOutput.from_dict({"image_url": "u", "image_urls": "uv"})
    with pytest.raises(KeyError):
        GenerateImageOutput.from_dict({})
    parsed = GenerateImageOutput.from_dict({"image_url": "u", "image_urls": ["u"], "extra": None})
    assert parsed.image_urls == ["u"]
    assert parsed.additional_properties == {"extra": None}


# Response schemas' property types whose from_dict type checks the templates emit (string, and lists of strings or
# of objects). A response field of another type would be accepted unchecked: extend the templates first.
CHECKED_TYPES = {"string", "array of string", "array of object"}


def _kind(schema: dict[str, Any], schemas: dict[str, Any]) -> str:
    if "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
    if schema.get("type") == "array":
        return f"array of {_kind(schema['items'], schemas)}"
    return str(schema.get("type"))


def test_every_response_field_has_a_type_the_templates_check() -> None:
    """Each property of each response schema is of a type whose from_dict check the templates emit.

    Caught: a new response field (say an integer `seed`) that from_dict would take without checking its type.
    """
    spec = yaml.safe_load(SPEC_PATH.read_text())
    schemas = spec["components"]["schemas"]
    for name in ("GenerateImageOutput", "Error", "ErrorDetail"):
        for field, prop in schemas[name]["properties"].items():
            assert _kind(prop, schemas) in CHECKED_TYPES, f"{name}.{field}: {_kind(prop, schemas)} is not checked"


# -- timeouts ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP server that accepts connections (the kernel's backlog) and never answers a byte."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_default_timeout_is_the_specs_and_the_overlays() -> None:
    """Both clients, sync and async, default to 300 s read and 10 s connect: the spec's, the same as the overlay's.

    Caught: upstream's Timeout(timeout=None), which holds a call forever; a second copy of the numbers drifting.
    """
    spec = yaml.safe_load(SPEC_PATH.read_text())
    declared = spec["x-imagineo-timeout"]
    expected = httpx.Timeout(declared["read"], connect=declared["connect"])
    assert expected == httpx.Timeout(300.0, connect=10.0)
    assert (catalog.TIMEOUT_READ, catalog.TIMEOUT_CONNECT) == (300.0, 10.0)
    assert expected == imagineo.DEFAULT_TIMEOUT
    for client in (Client(base_url="http://x.invalid"), AuthenticatedClient(base_url="http://x.invalid", token="t")):
        assert client.get_httpx_client().timeout == expected
        assert client.get_async_httpx_client().timeout == expected
    # None still means no timeout at all, as upstream documents.
    assert Client(base_url="http://x.invalid", timeout=None).get_httpx_client().timeout == httpx.Timeout(None)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_server_that_never_answers_hits_the_timeout(silent_server: str, mode: str) -> None:
    """A server that accepts the connection and never answers ends in httpx.ReadTimeout, not a hang.

    Caught: the client template not passing its timeout to httpx (upstream's default of no timeout would hang here
    forever; the short timeout passed in stands for the default, whose value the test above checks).
    """
    with pytest.raises(httpx.ReadTimeout):
        _call(mode, silent_server, timeout=httpx.Timeout(0.3, connect=1.0))


# -- the templates and the generator version they were written for -----------------------------------------------------


def test_installed_generator_is_the_one_the_templates_were_written_for() -> None:
    """The installed openapi-python-client is the version generator/templates/ was written for.

    Caught: a dependency upgrade without rebasing the templates (their template API is not stable between releases).
    """
    from importlib.metadata import version

    installed = version("openapi-python-client")
    assert installed == GENERATE.TEMPLATES_WRITTEN_FOR, (
        f"openapi-python-client {installed} is installed, but generator/templates/ was written for "
        f"{GENERATE.TEMPLATES_WRITTEN_FOR}: rebase each template (generator/README.md, 'Templates')"
    )


def test_generate_refuses_another_generator_version(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """generate.py stops (exit 2) before generating anything when another openapi-python-client is installed.

    Caught: check_generator_version not called, or comparing against the wrong package.
    """
    import importlib.metadata

    real = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata, "version", lambda name: "0.30.0" if name == "openapi-python-client" else real(name)
    )
    with pytest.raises(GENERATE.GenerationError, match=r"openapi-python-client 0\.30\.0 is installed.*0\.29\.1"):
        GENERATE.check_generator_version()
    monkeypatch.setattr(GENERATE, "build", lambda into: pytest.fail("generated despite the version mismatch"))
    assert GENERATE.main(["--check"]) == 2
    err = capsys.readouterr().err
    assert "generate: openapi-python-client 0.30.0 is installed" in err
    assert "TEMPLATES_WRITTEN_FOR" in err


UPSTREAM = Path(importlib.util.find_spec("openapi_python_client").origin).parent / "templates"  # type: ignore[union-attr, arg-type]


@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.jinja")))
def test_each_template_overrides_an_upstream_one_and_names_it(template: str) -> None:
    """Each file in generator/templates/ replaces a template of the same name and says which (and which version).

    Caught: a misnamed override (silently ignored by the generator), or one whose header no longer names its base.
    """
    assert (UPSTREAM / template).is_file(), f"openapi-python-client has no templates/{template} to override"
    header = (TEMPLATES / template).read_text().split("#}", 1)[0]
    assert f"openapi-python-client {GENERATE.TEMPLATES_WRITTEN_FOR} templates/{template}" in " ".join(header.split())


# -- the README section runs -------------------------------------------------------------------------------------------


def _readme_block(heading: str) -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split(f"## {heading}\n", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def _run_readme(url: str) -> subprocess.CompletedProcess[str]:
    code = _readme_block("Using the generated package alone")
    assert '"https://api.example.com"' in code
    code = code.replace('"https://api.example.com"', repr(url))
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False, env=dict(os.environ)
    )


def test_readme_standalone_example_runs_as_written(loopback: LoopbackServer) -> None:
    """The README's standalone example (sync, sync_detailed, async), only the address swapped, runs and prints.

    Caught: the README drifting from the generated API (renamed function, module or attribute).
    """
    loopback.enqueue(200, {"image_url": DEFAULT_IMAGE_URL})
    loopback.enqueue(200, {"image_url": DEFAULT_IMAGE_URL}, headers={"x-request-id": "req_readme"})
    loopback.enqueue(200, {"image_url": DEFAULT_IMAGE_URL})
    proc = _run_readme(loopback.url)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [DEFAULT_IMAGE_URL, "200 req_readme", DEFAULT_IMAGE_URL]
    assert len(loopback.requests) == 3
    assert all(r.headers["authorization"] == "Bearer sk-..." for r in loopback.requests)
    assert loopback.requests[1].headers["idempotency-key"] == "run-0001"


def test_readme_standalone_example_handles_the_errors_it_names(loopback: LoopbackServer) -> None:
    """The README example's except branches catch what the generated package raises (a non-JSON 200, a 520).

    Caught: the README naming an exception the package does not raise.
    """
    loopback.enqueue(200, body=b"<html>OK</html>", headers={"Content-Type": HTML})
    loopback.enqueue(520, body=b"error code: 520", headers={"Content-Type": TEXT})
    loopback.enqueue(200, {"image_url": DEFAULT_IMAGE_URL})
    proc = _run_readme(loopback.url)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "invalid answer: The API answered 200 with a body that is not JSON",
        "unexpected status: 520",
        DEFAULT_IMAGE_URL,
    ]
