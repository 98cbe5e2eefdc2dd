"""An offline ImagineoAI server driven by the spec: ``imagineo sandbox`` and `imagineo.testing`.

It implements ``POST /api/v1/runs/generate`` from openapi/imagineo.yaml, the same file the SDK is generated from,
shipped inside the package (the wheel force-includes it as ``imagineo/_spec/imagineo.yaml``; an editable install
reads ``openapi/imagineo.yaml`` from the checkout). It needs the ``cli`` extra (jsonschema, pyyaml); the core
library does not import this module.

What it does with one request, in this order:

1. **Auth**: ``Authorization: Bearer <key>`` must be present (401 otherwise). Any key is accepted unless the server
   was given one (``--api-key`` / ``api_key=``); then any other key is a 401. Keys are never echoed.
2. **Body**: JSON only (400 otherwise), validated with jsonschema against the spec's ``GenerateImageInput``: the
   variant is picked by ``model_type`` through the spec's own discriminator mapping, and every problem is answered
   in one 422 with the spec's ``Error`` body, one ``details`` entry per problem naming the field as a JSON path
   (``width``, ``image_urls.1``, ``model_id``).
3. **Faults** (see below), then **idempotency**: a request repeating an ``Idempotency-Key`` with the same body (as
   parsed JSON, so key order and spacing do not matter) gets the original answer back, marked
   ``Idempotent-Replayed: true``, and creates no run; with a different body it is a 409 (``idempotency_conflict``).
   Keys are scoped per API key. A repeat that arrives while the first is still running waits for it.
4. **The run**: ``runs_created`` goes up by one and the answer is a 200 ``GenerateImageOutput``: ``run_id``,
   ``model_type``, ``image_url`` (and ``image_urls``, one per image, for WAN Image 2.2's ``batch_size``).

**Where images are served**: by the sandbox itself, at ``GET /images/<digest>-<W>x<H>.png``, where ``digest`` is
the first 20 hex digits of the SHA-256 of the canonical request body (and the image's index). A URL fully decides
its image, so the same request gives the same URL and the same bytes, and URLs stay valid across restarts. Size:
``width``/``height`` when the request gives them (one alone makes a square); for ``aspect_ratio`` models the long
side is 1024 and the other follows the ratio (16:9 -> 1024x576); otherwise 1024x1024. The PNGs are written with
zlib and struct from the standard library (a coloured mosaic; no Pillow).

**Fault injection**, per request with the ``X-Sandbox-Fault`` header or for a session with flags/attributes:

====================  ==============================================================================================
``429`` / ``503``     refused before any run is created, with ``Retry-After`` (``--retry-after``, default 1 s);
                      any other 4xx status is refused the same way (without Retry-After)
``500``, ``502``, …   the run **is created**, then the answer fails with that status (the SDK retries: the retry,
                      with the same Idempotency-Key, gets the original run back, not a second one)
``drop``              the run is created, then the connection is closed without an answer (a lost response)
``slow=SECONDS``      the run is created, then the answer is held back SECONDS (e.g. to trip a client timeout)
``204``               the run is created and answered 204 No Content (replays answer 204 too)
====================  ==============================================================================================

A header fault applies to the first attempt of a call only (attempts are counted per Idempotency-Key, or per body
when a request has none), so an SDK's retry of that call goes through; ``503;times=3`` faults the first three
attempts and ``503;times=all`` every one. Session faults: ``fail_first=N`` (``--fail-first``) faults the first N
generate requests of the session, ``fail_each=N`` (``--fail-each``) the first N attempts of every call, both with
``fail_status`` (``--fail-status``, default 503); ``latency`` (``--latency``) holds every answer back that many
seconds after its run is created. They can be changed while running: ``set_faults()`` or ``POST /_sandbox/faults``.

**Run counting**: ``runs_created`` (attribute, and ``GET /_sandbox/stats`` as JSON with the other counters) counts
runs created: idempotent replays, 4xx refusals and 422s do not count, so a test can prove that the retries of one
call (which carry one Idempotency-Key) created one run. ``GET /_sandbox/runs`` (``runs()``) lists them with each
request body; ``POST /_sandbox/reset`` forgets runs, keys and counters.

It binds to 127.0.0.1 by default and says so on start; every answer carries an ``x-request-id``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import json
import re
import socket
import struct
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TextIO

from ._exceptions import ImagineoError

__all__ = ["DEFAULT_PORT", "FAULT_HEADER", "SandboxServer", "render_png", "serve", "spec_path"]

DEFAULT_HOST = "127.0.0.1"
#: Prism's default port: the spec's other mock server.
DEFAULT_PORT = 4010
FAULT_HEADER = "X-Sandbox-Fault"
REPLAY_HEADER = "Idempotent-Replayed"
DEFAULT_SIZE = 1024
MAX_BODY = 1 << 20
MAX_IMAGE_SIDE = 4096
REFUSE_STATUSES_WITH_RETRY_AFTER = frozenset({429, 503})

_EXTRA_HINT = "the sandbox needs the 'cli' extra: pip install 'imagineo[cli]'"


# ---------------------------------------------------------------------------------------------------------------
# The spec


def spec_path() -> Path:
    """The spec the sandbox serves: the copy shipped in the wheel, else the checkout's (editable install)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_spec" / "imagineo.yaml", here.parent.parent / "openapi" / "imagineo.yaml"):
        if candidate.is_file():
            return candidate
    raise ImagineoError(f"openapi spec not found (looked in {here / '_spec'}); reinstall imagineo")


@dataclass(frozen=True)
class _Spec:
    path: Path
    document: dict[str, Any]
    generate_path: str
    variants: dict[str, Any]  # model_type -> jsonschema validator of that variant
    variant_schemas: dict[str, dict[str, Any]]
    key_validator: Any  # validator of the Idempotency-Key parameter


@functools.cache
def _ecma_pattern(jsonschema: Any) -> Any:
    """JSON Schema's `pattern` with ECMA-262 semantics for a final ``$`` (the very end of the string).

    Python's ``$`` also matches before a trailing newline, so stock jsonschema would accept "https://example.com\\n"
    for the spec's URL pattern, which Prism and the SDK (pydantic's regex engine) refuse.
    """

    def pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
        anchored = pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith("\\$") else pattern
        if validator.is_type(instance, "string") and not re.search(anchored, instance):
            yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")

    return pattern


def _load_spec(path: Path) -> _Spec:
    try:
        yaml = importlib.import_module("yaml")
        jsonschema = importlib.import_module("jsonschema")
        referencing = importlib.import_module("referencing")
        referencing_jsonschema = importlib.import_module("referencing.jsonschema")
    except ImportError as exc:
        raise ImagineoError(f"{_EXTRA_HINT} ({exc})") from None
    try:
        with path.open(encoding="utf-8") as fh:
            document: dict[str, Any] = yaml.safe_load(fh)
    except OSError as exc:
        raise ImagineoError(f"cannot read the spec {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ImagineoError(f"{path} is not YAML: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise ImagineoError(f"{path} is not an OpenAPI document (no `paths` mapping)")
    base = "urn:imagineo:openapi"
    resource = referencing.Resource(contents=document, specification=referencing_jsonschema.DRAFT202012)
    registry = referencing.Registry().with_resource(base, resource)
    validator_cls = jsonschema.validators.extend(
        jsonschema.Draft202012Validator, {"pattern": _ecma_pattern(jsonschema)}
    )
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER

    def validator(pointer: str) -> Any:
        return validator_cls({"$ref": f"{base}#{pointer}"}, registry=registry, format_checker=checker)

    generate_path = next(
        (p for p, ops in document["paths"].items() if (ops.get("post") or {}).get("operationId") == "generate_run"),
        None,
    )
    if generate_path is None:
        raise ImagineoError(f"{path}: no POST operation with operationId generate_run")
    schemas = document["components"]["schemas"]
    mapping: dict[str, str] = schemas["GenerateImageInput"]["discriminator"]["mapping"]
    variants = {tag: validator(ref.removeprefix("#")) for tag, ref in mapping.items()}
    variant_schemas = {tag: schemas[ref.rsplit("/", 1)[1]] for tag, ref in mapping.items()}
    key_param = document["components"]["parameters"]["IdempotencyKey"]
    return _Spec(
        path=path,
        document=document,
        generate_path=generate_path,
        variants=variants,
        variant_schemas=variant_schemas,
        key_validator=validator_cls(key_param["schema"]),
    )


def _problems(spec: _Spec, body: object) -> tuple[str | None, list[dict[str, str]]]:
    """(model_type, details): every way the body breaks GenerateImageInput, one entry per field and rule."""
    if not isinstance(body, dict):
        return None, [{"field": "body", "message": f"must be a JSON object; got {type(body).__name__}"}]
    model_type = body.get("model_type")
    if not isinstance(model_type, str) or model_type not in spec.variants:
        known = ", ".join(spec.variants)
        message = "is required" if "model_type" not in body else f"must be one of {known}; got {model_type!r}"
        if "model_type" not in body:
            message += f" (one of {known})"
        return None, [{"field": "model_type", "message": message}]
    schema = spec.variant_schemas[model_type]
    details: list[dict[str, str]] = []
    for err in spec.variants[model_type].iter_errors(body):
        details.extend(_describe(err, schema, model_type))
    unique = {(d["field"], d["message"]): d for d in details}
    return model_type, sorted(unique.values(), key=lambda d: (d["field"], d["message"]))


def _describe(err: Any, variant: Mapping[str, Any], model_type: str) -> list[dict[str, str]]:
    path = ".".join(str(p) for p in err.absolute_path)
    prefix = f"{path}." if path else ""
    kind, expected, got = err.validator, err.validator_value, err.instance
    if kind == "required":
        return [{"field": prefix + name, "message": "is required"} for name in expected if name not in got]
    if kind == "additionalProperties":
        known = set(variant.get("properties", {})) if not path else set(err.schema.get("properties", {}))
        return [
            {"field": prefix + name, "message": f"is not allowed for model_type {model_type!r}"}
            for name in got
            if name not in known
        ]
    message = _rule(kind, expected) or err.message
    described = err.schema.get("description") if isinstance(err.schema, dict) else None
    if kind == "pattern" and isinstance(described, str) and described:
        what = described.strip().rstrip(".")
        what = what[0].lower() + what[1:] if what[1:2].islower() else what
        message = f"must be {what} (pattern {expected})"
    return [{"field": path or "body", "message": f"{message}; got {json.dumps(got)[:80]}"}]


def _rule(kind: str, expected: Any) -> str | None:
    """The rule a jsonschema keyword states, in words."""
    if kind == "type":
        return f"must be of type {expected}"
    if kind in ("minimum", "maximum"):
        return f"must be {'>=' if kind == 'minimum' else '<='} {expected}"
    if kind == "minLength":
        return "must not be empty" if expected == 1 else f"must have at least {expected} characters"
    if kind == "maxLength":
        return f"must have at most {expected} characters"
    if kind in ("minItems", "maxItems"):
        return f"must list {'at least' if kind == 'minItems' else 'at most'} {expected} items"
    if kind == "enum":
        return f"must be one of {', '.join(map(str, expected))}"
    if kind == "const":
        return f"must be {expected!r}"
    if kind == "pattern":
        return f"must match {expected}"
    if kind == "format":
        return f"must be a valid {expected}"
    return None


# ---------------------------------------------------------------------------------------------------------------
# Images


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


@functools.lru_cache(maxsize=32)
def render_png(digest: str, width: int, height: int) -> bytes:
    """A width x height RGB PNG decided by `digest` alone: a mosaic of four colours over a vertical fade."""
    seed = hashlib.sha256(digest.encode()).digest()
    palette = [tuple(seed[i : i + 3]) for i in range(0, 12, 3)]
    cell = max(4, min(width, height) // 8)
    columns = -(-width // cell)
    rows = []
    for y in range(height):
        cy = y // cell
        fade = 0.55 + 0.45 * (y / max(height - 1, 1))
        segments = []
        for cx in range(columns):
            r, g, b = palette[seed[(cx * 7 + cy * 13) % 32] % 4]
            segments.append(bytes((int(r * fade), int(g * fade), int(b * fade))) * cell)
        rows.append(b"\x00" + b"".join(segments)[: width * 3])
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"tEXt", b"Software\x00imagineo sandbox"),
            _chunk(b"IDAT", zlib.compress(b"".join(rows), 6)),
            _chunk(b"IEND", b""),
        )
    )


def _size(body: Mapping[str, Any]) -> tuple[int, int]:
    width, height = body.get("width"), body.get("height")
    if isinstance(width, int) or isinstance(height, int):
        w = width if isinstance(width, int) else height
        h = height if isinstance(height, int) else width
        assert isinstance(w, int)
        assert isinstance(h, int)
        return w, h
    ratio = body.get("aspect_ratio")
    if isinstance(ratio, str) and re.fullmatch(r"\d+:\d+", ratio):
        a, b = (int(x) for x in ratio.split(":"))
        if a >= b:
            return DEFAULT_SIZE, max(1, round(DEFAULT_SIZE * b / a))
        return max(1, round(DEFAULT_SIZE * a / b)), DEFAULT_SIZE
    return DEFAULT_SIZE, DEFAULT_SIZE


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


_IMAGE_PATH = re.compile(r"/images/([0-9a-f]{20})-([0-9]{1,4})x([0-9]{1,4})\.png")


# ---------------------------------------------------------------------------------------------------------------
# Faults


@dataclass(frozen=True)
class _Fault:
    kind: str  # "status", "drop", "slow"
    status: int = 0
    seconds: float = 0.0
    times: int | None = 1  # None: every attempt

    @property
    def before_run(self) -> bool:
        """429, 503 and other 4xx refuse the request; 500, 502, 204, drop and slow act after the run exists."""
        return self.kind == "status" and (400 <= self.status < 500 or self.status == 503)


def _parse_fault(value: str) -> _Fault:
    """``429``, ``503;times=2``, ``drop``, ``slow=2.5``, ``204``, ``500;times=all``."""
    head, _, options = value.strip().partition(";")
    head = head.strip().lower()
    times: int | None = 1
    if options:
        name, _, arg = options.strip().partition("=")
        if name.strip() != "times":
            raise ValueError(f"unknown option {name.strip()!r} (only times=N or times=all)")
        arg = arg.strip()
        if arg == "all":
            times = None
        elif arg.isdigit() and int(arg) >= 1:
            times = int(arg)
        else:
            raise ValueError(f"times must be a whole number >= 1 or 'all', got {arg!r}")
    if head == "drop":
        return _Fault("drop", times=times)
    if head.startswith("slow="):
        seconds = float(head.removeprefix("slow="))
        if not 0 <= seconds <= 600:
            raise ValueError("slow=SECONDS must be between 0 and 600")
        return _Fault("slow", seconds=seconds, times=times)
    if head.isdigit() and (head == "204" or 400 <= int(head) <= 599):
        return _Fault("status", status=int(head), times=times)
    raise ValueError(f"unknown fault {head!r}: use a status (429, 503, 500, 204...), drop or slow=SECONDS")


# ---------------------------------------------------------------------------------------------------------------
# The server


@dataclass
class _Outcome:
    status: int
    body: bytes


@dataclass
class _KeyRecord:
    fingerprint: str
    done: threading.Event = field(default_factory=threading.Event)
    outcome: _Outcome | None = None


@dataclass
class _Reply:
    status: int
    payload: object = None
    headers: dict[str, str] = field(default_factory=dict)


_ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "idempotency_conflict",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    503: "unavailable",
    504: "gateway_timeout",
}


def _error(status: int, message: str, **extra: object) -> _Reply:
    body: dict[str, object] = {"error": message, "code": _ERROR_CODES.get(status, f"http_{status}")}
    body.update(extra)
    return _Reply(status, body)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    sandbox: SandboxServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return  # the client went away (a timeout or a dropped connection): nothing to report
        super().handle_error(request, client_address)


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer
    server_version = "imagineo-sandbox"

    def log_message(self, format: str, *args: Any) -> None:
        log = self.server.sandbox.log
        if log is not None:
            log.write(f"[sandbox] {self.address_string()} {format % args}\n")
            log.flush()

    def do_GET(self) -> None:
        self.server.sandbox._dispatch(self)

    def do_POST(self) -> None:
        self.server.sandbox._dispatch(self)

    def do_PUT(self) -> None:
        self.server.sandbox._dispatch(self)

    def do_DELETE(self) -> None:
        self.server.sandbox._dispatch(self)

    def do_PATCH(self) -> None:
        self.server.sandbox._dispatch(self)


class SandboxServer:
    """The sandbox, listening as soon as it is built; `start()` serves in a thread, `serve_forever()` in this one.

    >>> with SandboxServer(api_key="sk-test").start() as server:
    ...     client = ImagineoAIClient(server.url, api_key=server.api_key)
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = 0,
        *,
        api_key: str | None = None,
        spec: str | Path | None = None,
        fail_first: int = 0,
        fail_each: int = 0,
        fail_status: int = 503,
        retry_after: float = 1.0,
        latency: float = 0.0,
        log: TextIO | None = None,
    ) -> None:
        self.spec = _load_spec(Path(spec).resolve() if spec is not None else spec_path())
        self.api_key = api_key
        self.log = log
        self._lock = threading.Lock()
        self.set_faults(
            fail_first=fail_first,
            fail_each=fail_each,
            fail_status=fail_status,
            retry_after=retry_after,
            latency=latency,
        )
        self._reset_state()
        self._httpd = (_HTTPServer6 if ":" in host else _HTTPServer)((host.strip("[]"), port), _Handler)
        self._httpd.sandbox = self
        self.host = host
        self.port: int = self._httpd.server_address[1]
        shown = f"[{host.strip('[]')}]" if ":" in host else host
        self.url = f"http://{shown}:{self.port}"
        self._thread: threading.Thread | None = None

    # -- state ----------------------------------------------------------------------------------------------

    def _reset_state(self) -> None:
        with self._lock:
            self._runs: list[dict[str, Any]] = []
            self._keys: dict[tuple[str, str], _KeyRecord] = {}
            self._attempts: dict[tuple[str, str], int] = {}
            self._counters = dict.fromkeys(
                (
                    "generate_requests",
                    "idempotent_replays",
                    "conflicts",
                    "faults_injected",
                    "validation_errors",
                    "auth_failures",
                    "images_served",
                ),
                0,
            )
            self._requests = 0
            self._session_faulted = 0

    def reset(self) -> None:
        """Forget every run, Idempotency-Key and counter (the fault settings stay)."""
        self._reset_state()

    def set_faults(
        self,
        *,
        fail_first: int | None = None,
        fail_each: int | None = None,
        fail_status: int | None = None,
        retry_after: float | None = None,
        latency: float | None = None,
    ) -> None:
        """Change the session's faults (see the module docstring); None leaves a setting as it is.

        Setting ``fail_first`` restarts its count: the next N generate requests fail.
        """
        for name, value in (("fail_first", fail_first), ("fail_each", fail_each)):
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ValueError(f"{name} must be an integer >= 0")
        if fail_status is not None and not (400 <= fail_status <= 599):
            raise ValueError("fail_status must be an HTTP error status (400-599)")
        with self._lock:
            if fail_first is not None:
                self.fail_first = fail_first
                self._session_faulted = 0
            if fail_each is not None:
                self.fail_each = fail_each
            if fail_status is not None:
                self.fail_status = fail_status
            if retry_after is not None:
                self.retry_after = max(0.0, float(retry_after))
            if latency is not None:
                self.latency = max(0.0, float(latency))

    @property
    def runs_created(self) -> int:
        """How many runs were created (replays and refusals do not count)."""
        with self._lock:
            return len(self._runs)

    def runs(self) -> list[dict[str, Any]]:
        """The runs created, oldest first: run_id, model_type, idempotency_key, image_urls and the request body."""
        with self._lock:
            return [json.loads(json.dumps(run)) for run in self._runs]

    def stats(self) -> dict[str, Any]:
        """The counters served at GET /_sandbox/stats."""
        with self._lock:
            return {"runs_created": len(self._runs), **self._counters}

    # -- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> SandboxServer:
        """Serve in a daemon thread; returns self (for ``with SandboxServer().start() as server``)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="imagineo-sandbox", daemon=True
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever(poll_interval=0.1)

    def close(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SandboxServer(url={self.url!r}, runs_created={self.runs_created})"

    # -- requests -------------------------------------------------------------------------------------------

    def _dispatch(self, handler: _Handler) -> None:
        with self._lock:
            self._requests += 1
            request_id = f"req_sbx_{self._requests:06d}"
        path = handler.path.split("?", 1)[0]
        try:
            body = self._read_body(handler)
            if path == self.spec.generate_path:
                reply = (
                    self._generate(handler, body)
                    if handler.command == "POST"
                    else _error(405, f"{handler.command} is not allowed here; use POST")
                )
            elif handler.command == "GET" and _IMAGE_PATH.fullmatch(path):
                self._send_image(handler, path, request_id)
                return
            elif path.startswith("/_sandbox/") or path == "/":
                reply = self._admin(handler.command, path, body)
            else:
                reply = _error(404, f"No such endpoint: {handler.command} {path}")
        except _BadBodyError as exc:
            reply = _error(400, str(exc))
        except _DropConnectionError:
            handler.close_connection = True
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
            return
        except (ConnectionError, TimeoutError):
            raise
        except Exception as exc:  # a sandbox bug: answer it rather than look like a dropped connection
            reply = _error(500, f"Sandbox error: {type(exc).__name__}: {exc}")
        self._send(handler, reply, request_id)

    def _read_body(self, handler: _Handler) -> bytes:
        if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
            handler.close_connection = True
            raise _BadBodyError("chunked request bodies are not supported; send Content-Length")
        try:
            length = int(handler.headers.get("Content-Length") or 0)
        except ValueError:
            handler.close_connection = True
            raise _BadBodyError("Content-Length is not a number") from None
        if length > MAX_BODY:
            handler.close_connection = True
            raise _BadBodyError(f"the body is larger than {MAX_BODY} bytes")
        return handler.rfile.read(length) if length > 0 else b""

    def _send(self, handler: _Handler, reply: _Reply, request_id: str) -> None:
        payload = b"" if reply.payload is None else json.dumps(reply.payload).encode()
        handler.send_response(reply.status)
        handler.send_header("x-request-id", request_id)
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        if reply.status not in (204, 304):
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        if reply.status not in (204, 304):
            handler.wfile.write(payload)

    def _send_image(self, handler: _Handler, path: str, request_id: str) -> None:
        match = _IMAGE_PATH.fullmatch(path)
        assert match is not None
        digest, w, h = match.group(1), int(match.group(2)), int(match.group(3))
        if not (1 <= w <= MAX_IMAGE_SIDE and 1 <= h <= MAX_IMAGE_SIDE):
            self._send(handler, _error(404, "No such image"), request_id)
            return
        data = render_png(digest, w, h)
        with self._lock:
            self._counters["images_served"] += 1
        handler.send_response(200)
        handler.send_header("x-request-id", request_id)
        handler.send_header("Content-Type", "image/png")
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("Cache-Control", "public, max-age=31536000, immutable")
        handler.end_headers()
        handler.wfile.write(data)

    def _admin(self, method: str, path: str, body: bytes) -> _Reply:
        if method == "GET" and path == "/":
            return _Reply(
                200,
                {
                    "service": "imagineo sandbox",
                    "spec": str(self.spec.path),
                    "generate": self.spec.generate_path,
                    "admin": [
                        "GET /_sandbox/stats",
                        "GET /_sandbox/runs",
                        "POST /_sandbox/reset",
                        "POST /_sandbox/faults",
                    ],
                },
            )
        if method == "GET" and path == "/_sandbox/stats":
            return _Reply(200, self.stats())
        if method == "GET" and path == "/_sandbox/runs":
            return _Reply(200, self.runs())
        if method == "POST" and path == "/_sandbox/reset":
            self.reset()
            return _Reply(200, self.stats())
        if method == "POST" and path == "/_sandbox/faults":
            try:
                settings = json.loads(body or b"{}")
                if not isinstance(settings, dict):
                    raise TypeError("the body must be a JSON object")
                allowed = {"fail_first", "fail_each", "fail_status", "retry_after", "latency"}
                unknown = set(settings) - allowed
                if unknown:
                    raise TypeError(f"unknown settings {sorted(unknown)}; known: {sorted(allowed)}")
                self.set_faults(**settings)
            except (ValueError, TypeError) as exc:
                return _error(400, f"Bad fault settings: {exc}")
            return _Reply(200, self._fault_settings())
        return _error(404, f"No such endpoint: {method} {path}")

    def _fault_settings(self) -> dict[str, Any]:
        with self._lock:
            return {
                "fail_first": self.fail_first,
                "fail_each": self.fail_each,
                "fail_status": self.fail_status,
                "retry_after": self.retry_after,
                "latency": self.latency,
            }

    def _generate(self, handler: _Handler, raw: bytes) -> _Reply:
        # 1. auth
        scheme, _, token = (handler.headers.get("Authorization") or "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return self._auth_failure("Missing API key: send 'Authorization: Bearer <api key>'")
        if self.api_key is not None and token != self.api_key:
            return self._auth_failure("Invalid API key")
        # 2. headers and body
        key = handler.headers.get("Idempotency-Key")
        if key is not None and not self.spec.key_validator.is_valid(key):
            return _error(
                400,
                "Invalid Idempotency-Key",
                details=[{"field": "Idempotency-Key", "message": "must be 1 to 255 characters"}],
            )
        fault: _Fault | None = None
        fault_header = handler.headers.get(FAULT_HEADER)
        if fault_header is not None:
            try:
                fault = _parse_fault(fault_header)
            except ValueError as exc:
                return _error(400, f"Bad {FAULT_HEADER} header: {exc}")
        content_type = handler.headers.get("Content-Type", "application/json").split(";", 1)[0].strip().lower()
        if content_type != "application/json" and not content_type.endswith("+json"):
            return _error(400, f"Requests are JSON only; got Content-Type {content_type!r}")
        try:
            body = json.loads(raw)
        except ValueError:
            return _error(400, "The body is not JSON" if raw.strip() else "The body is empty; send a JSON object")
        model_type, details = _problems(self.spec, body)
        if details:
            with self._lock:
                self._counters["validation_errors"] += 1
            where = f' for model_type "{model_type}"' if model_type else ""
            return _error(422, f"Invalid input{where}", details=details)
        assert isinstance(body, dict)
        assert isinstance(model_type, str)
        fingerprint = _canonical(body)
        identity = (token, key if key is not None else "body:" + fingerprint)

        # 3. faults
        with self._lock:
            self._counters["generate_requests"] += 1
            attempt = self._attempts[identity] = self._attempts.get(identity, 0) + 1
            if fault is not None and fault.times is not None and attempt > fault.times:
                fault = None
            if fault is None and self._session_faulted < self.fail_first:
                self._session_faulted += 1
                fault = _Fault("status", status=self.fail_status)
            if fault is None and attempt <= self.fail_each:
                fault = _Fault("status", status=self.fail_status)
            if fault is not None:
                self._counters["faults_injected"] += 1
            latency = self.latency
            retry_after = self.retry_after
        if fault is not None and fault.before_run:
            return self._refusal(fault.status, retry_after)

        # 4. idempotency, then the run
        record, owner = self._claim(identity if key is not None else None, fingerprint)
        if record is not None and not owner:
            if record.fingerprint != fingerprint:
                with self._lock:
                    self._counters["conflicts"] += 1
                return _error(409, "This Idempotency-Key was already used with a different request body")
            return self._replay(record)
        try:
            outcome = self._run(handler, body, model_type, key, fault)
        except BaseException:
            if record is not None:
                self._release(identity, record)
            raise
        if record is not None:
            record.outcome = outcome
            record.done.set()
        # 5. what happens to the answer
        if latency:
            time.sleep(latency)
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.seconds)
        if fault is not None and fault.kind == "drop":
            raise _DropConnectionError
        if fault is not None and fault.kind == "status" and fault.status != 204:
            return _error(fault.status, "Injected failure after the run was created (X-Sandbox-Fault)")
        return self._outcome_reply(outcome)

    def _auth_failure(self, message: str) -> _Reply:
        with self._lock:
            self._counters["auth_failures"] += 1
        reply = _error(401, message)
        reply.headers["WWW-Authenticate"] = "Bearer"
        return reply

    def _refusal(self, status: int, retry_after: float) -> _Reply:
        text = "Too many requests" if status == 429 else "Injected failure (sandbox fault)"
        if status == 503:
            text = "Service unavailable"
        reply = _error(status, text)
        if status in REFUSE_STATUSES_WITH_RETRY_AFTER:
            reply.headers["Retry-After"] = f"{retry_after:g}"
        return reply

    def _claim(self, identity: tuple[str, str] | None, fingerprint: str) -> tuple[_KeyRecord | None, bool]:
        """(record, owner): the key's record, and whether this request must run it."""
        if identity is None:
            return None, True
        with self._lock:
            record = self._keys.get(identity)
            if record is not None:
                return record, False
            record = self._keys[identity] = _KeyRecord(fingerprint)
            return record, True

    def _release(self, identity: tuple[str, str], record: _KeyRecord) -> None:
        with self._lock:
            if self._keys.get(identity) is record:
                del self._keys[identity]
        record.done.set()

    def _replay(self, record: _KeyRecord) -> _Reply:
        if not record.done.wait(timeout=600):
            return _error(409, "A request with this Idempotency-Key is still in progress; retry later")
        if record.outcome is None:  # the first request failed before creating a run: nothing to replay
            reply = _error(503, "The first request with this Idempotency-Key failed before creating a run; retry")
            reply.headers["Retry-After"] = "0"
            return reply
        with self._lock:
            self._counters["idempotent_replays"] += 1
        reply = self._outcome_reply(record.outcome)
        reply.headers[REPLAY_HEADER] = "true"
        return reply

    @staticmethod
    def _outcome_reply(outcome: _Outcome) -> _Reply:
        if outcome.status == 204:
            return _Reply(204)
        return _Reply(outcome.status, json.loads(outcome.body))

    def _run(
        self, handler: _Handler, body: dict[str, Any], model_type: str, key: str | None, fault: _Fault | None
    ) -> _Outcome:
        width, height = _size(body)
        count = body.get("batch_size", 1) if isinstance(body.get("batch_size"), int) else 1
        fingerprint = _canonical(body)
        base = self._base_url(handler)
        urls = []
        for index in range(count):
            digest = hashlib.sha256(f"{fingerprint}#{index}".encode()).hexdigest()[:20]
            urls.append(f"{base}/images/{digest}-{width}x{height}.png")
        run_id = "r_" + uuid.uuid4().hex[:12]
        output: dict[str, Any] = {"image_url": urls[0], "run_id": run_id, "model_type": model_type}
        if count > 1:
            output["image_urls"] = urls
        with self._lock:
            self._runs.append(
                {"run_id": run_id, "model_type": model_type, "idempotency_key": key, "image_urls": urls, "body": body}
            )
        if fault is not None and fault.kind == "status" and fault.status == 204:
            return _Outcome(204, b"")
        return _Outcome(200, json.dumps(output).encode())

    def _base_url(self, handler: _Handler) -> str:
        host = handler.headers.get("Host")
        if host and re.fullmatch(r"[A-Za-z0-9.\-]+(:[0-9]+)?|\[[0-9A-Fa-f:.]+\](:[0-9]+)?", host):
            return f"http://{host}"
        return self.url


class _BadBodyError(Exception):
    """The request's body cannot be read (answered 400)."""


class _DropConnectionError(Exception):
    """Close the connection without an answer."""


# ---------------------------------------------------------------------------------------------------------------
# `imagineo sandbox`


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    import ipaddress

    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    url_file: str | Path | None = None,
    quiet: bool = False,
    out: TextIO | None = None,
    on_ready: Callable[[SandboxServer], None] | None = None,
    **options: Any,
) -> None:
    """Run the sandbox in the foreground until Ctrl-C (what ``imagineo sandbox`` does)."""
    out = out if out is not None else sys.stdout
    server = SandboxServer(host, port, log=None if quiet else sys.stderr, **options)
    try:
        where = (
            "loopback only: not reachable from other machines"
            if _is_loopback(host)
            else "WARNING: not loopback: reachable from the network"
        )
        auth = "any API key accepted" if server.api_key is None else "only the configured API key is accepted"
        key_hint = "sandbox" if server.api_key is None else "<your --api-key>"
        out.write(
            f"imagineo sandbox listening on {server.url} ({where}; {auth})\n"
            f"  spec: {server.spec.path}\n"
            f"  try:  IMAGINEO_API_URL={server.url} IMAGINEO_API_KEY={key_hint} imagineo generate 'A cat'\n"
        )
        out.flush()
        if url_file is not None:
            target = Path(url_file)
            tmp = target.with_name(target.name + ".tmp")
            tmp.write_text(server.url + "\n", encoding="utf-8")
            tmp.replace(target)
        if on_ready is not None:
            on_ready(server)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    finally:
        server.close()
