"""`SandboxServer`: what one request to the sandbox means, in order (auth, body, faults, idempotency, the run).

1. **Auth**: ``Authorization: Bearer <key>`` must be present (401 otherwise). Any key is accepted unless the server
   was given one; then any other key is a 401. Keys are never echoed.
2. **Body**: at most 1 MiB (413 otherwise, after reading it), framed by one Content-Length (`._http`); strict
   JSON (no NaN, no lone surrogates, at most 32 levels deep: 400 otherwise), validated against the spec
   (`._validation`), where an integer has no fraction (512.0 is not an integer): every problem in one 422.
3. **Faults** (`._faults`), then **idempotency** (`._store`).
4. **The run**: ``runs_created`` goes up by one and the answer is a 200 ``GenerateImageOutput`` whose images the
   sandbox serves itself (`._images`).

The wire (reading bodies, writing answers) is `._http`. Admin endpoints: ``GET /_sandbox/stats``,
``GET /_sandbox/runs``, ``POST /_sandbox/reset``, ``POST /_sandbox/faults``.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any, TextIO

from ._faults import FAULT_HEADER, REFUSE_STATUSES_WITH_RETRY_AFTER, Fault, SessionFaults, parse_fault
from ._http import (
    BadBodyError,
    DropConnectionError,
    Handler,
    Reply,
    error,
    read_body,
    send_png,
    send_reply,
    server_class,
)
from ._images import IMAGE_PATH, MAX_IMAGE_SIDE, canonical, image_urls, render_png
from ._store import IdempotencyStore, KeyRecord, Outcome
from ._validation import BodyError, Spec, load_spec, parse_json, problems, spec_path

__all__ = ["DEFAULT_HOST", "REPLAY_HEADER", "SandboxServer"]

DEFAULT_HOST = "127.0.0.1"
REPLAY_HEADER = "Idempotent-Replayed"
COUNTERS = (
    "generate_requests",
    "idempotent_replays",
    "conflicts",
    "faults_injected",
    "validation_errors",
    "auth_failures",
    "images_served",
)


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
        self.spec: Spec = load_spec(Path(spec).resolve() if spec is not None else spec_path())
        self.api_key = api_key
        self.log = log
        self._lock = threading.Lock()
        self._faults = SessionFaults()
        self._store = IdempotencyStore()
        self.set_faults(
            fail_first=fail_first,
            fail_each=fail_each,
            fail_status=fail_status,
            retry_after=retry_after,
            latency=latency,
        )
        self._reset_state()
        self._httpd = server_class(host)((host.strip("[]"), port), Handler)
        self._httpd.sandbox = self
        self.host = host
        self.port: int = self._httpd.server_address[1]
        shown = f"[{host.strip('[]')}]" if ":" in host else host
        self.url: str = f"http://{shown}:{self.port}"
        self._thread: threading.Thread | None = None

    # -- state ----------------------------------------------------------------------------------------------

    def _reset_state(self) -> None:
        with self._lock:
            self._runs: list[dict[str, Any]] = []
            self._counters = dict.fromkeys(COUNTERS, 0)
            self._requests = 0
        self._store.forget()
        self._faults.forget()

    def _count(self, name: str) -> None:
        with self._lock:
            self._counters[name] += 1

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
        """Change the session's faults (see `imagineo.sandbox._faults`); None leaves a setting as it is.

        Setting ``fail_first`` restarts its count: the next N generate requests fail.
        """
        self._faults.configure(
            fail_first=fail_first,
            fail_each=fail_each,
            fail_status=fail_status,
            retry_after=retry_after,
            latency=latency,
        )

    @property
    def fail_first(self) -> int:
        return self._faults.fail_first

    @property
    def fail_each(self) -> int:
        return self._faults.fail_each

    @property
    def fail_status(self) -> int:
        return self._faults.fail_status

    @property
    def retry_after(self) -> float:
        return self._faults.retry_after

    @property
    def latency(self) -> float:
        return self._faults.latency

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

    def _dispatch(self, handler: Handler) -> None:
        with self._lock:
            self._requests += 1
            request_id = f"req_sbx_{self._requests:06d}"
        path = handler.path.split("?", 1)[0]
        try:
            body = read_body(handler)
            if path == self.spec.generate_path:
                reply = (
                    self._generate(handler, body)
                    if handler.command == "POST"
                    else error(405, f"{handler.command} is not allowed here; use POST")
                )
            elif handler.command == "GET" and IMAGE_PATH.fullmatch(path):
                self._send_image(handler, path, request_id)
                return
            elif path.startswith("/_sandbox/") or path == "/":
                reply = self._admin(handler.command, path, body)
            else:
                reply = error(404, f"No such endpoint: {handler.command} {path}")
        except BadBodyError as exc:
            reply = exc.reply()
        except DropConnectionError:
            handler.close_connection = True
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
            return
        except (ConnectionError, TimeoutError):
            raise
        except Exception as exc:  # a sandbox bug: answer it rather than look like a dropped connection
            reply = error(500, f"Sandbox error: {type(exc).__name__}: {exc}")
        send_reply(handler, reply, request_id)

    def _send_image(self, handler: Handler, path: str, request_id: str) -> None:
        match = IMAGE_PATH.fullmatch(path)
        assert match is not None
        digest, w, h = match.group(1), int(match.group(2)), int(match.group(3))
        if not (1 <= w <= MAX_IMAGE_SIDE and 1 <= h <= MAX_IMAGE_SIDE):
            send_reply(handler, error(404, "No such image"), request_id)
            return
        data = render_png(digest, w, h)
        self._count("images_served")
        send_png(handler, data, request_id)

    def _admin(self, method: str, path: str, body: bytes) -> Reply:
        if method == "GET" and path == "/":
            return Reply(
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
            return Reply(200, self.stats())
        if method == "GET" and path == "/_sandbox/runs":
            return Reply(200, self.runs())
        if method == "POST" and path == "/_sandbox/reset":
            self.reset()
            return Reply(200, self.stats())
        if method == "POST" and path == "/_sandbox/faults":
            try:
                settings = parse_json(body) if body.strip() else {}
                if not isinstance(settings, dict):
                    raise TypeError("the body must be a JSON object")
                allowed = set(SessionFaults.SETTINGS)
                unknown = set(settings) - allowed
                if unknown:
                    raise TypeError(f"unknown settings {sorted(unknown)}; known: {sorted(allowed)}")
                self.set_faults(**settings)
            except (ValueError, TypeError) as exc:
                return error(400, f"Bad fault settings: {exc}")
            return Reply(200, self._faults.settings())
        return error(404, f"No such endpoint: {method} {path}")

    def _generate(self, handler: Handler, raw: bytes) -> Reply:
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
            return error(
                400,
                "Invalid Idempotency-Key",
                details=[{"field": "Idempotency-Key", "message": "must be 1 to 255 characters"}],
            )
        requested: Fault | None = None
        fault_header = handler.headers.get(FAULT_HEADER)
        if fault_header is not None:
            try:
                requested = parse_fault(fault_header)
            except ValueError as exc:
                return error(400, f"Bad {FAULT_HEADER} header: {exc}")
        content_type = handler.headers.get("Content-Type", "application/json").split(";", 1)[0].strip().lower()
        if content_type != "application/json" and not content_type.endswith("+json"):
            return error(400, f"Requests are JSON only; got Content-Type {content_type!r}")
        try:
            body = parse_json(raw)
        except BodyError as exc:
            return error(400, str(exc))
        model_type, details = problems(self.spec, body)
        if details:
            self._count("validation_errors")
            where = f' for model_type "{model_type}"' if model_type else ""
            return error(422, f"Invalid input{where}", details=details)
        assert isinstance(body, dict)
        assert isinstance(model_type, str)
        fingerprint = canonical(body)
        identity = (token, key if key is not None else "body:" + fingerprint)

        # 3. faults
        self._count("generate_requests")
        fault, latency, retry_after = self._faults.choose(identity, requested)
        if fault is not None:
            self._count("faults_injected")
        if fault is not None and fault.before_run:
            return self._refusal(fault.status, retry_after)

        # 4. idempotency, then the run
        record: KeyRecord | None = None
        if key is not None:
            record, owner = self._store.claim(identity, fingerprint)
            if not owner:
                if record.fingerprint != fingerprint:
                    self._count("conflicts")
                    return error(409, "This Idempotency-Key was already used with a different request body")
                return self._replay(record)
        try:
            outcome = self._run(handler, body, model_type, key, fault)
        except BaseException:
            if record is not None:
                self._store.release(identity, record)
            raise
        if record is not None:
            self._store.finish(record, outcome)
        # 5. what happens to the answer
        if latency:
            time.sleep(latency)
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.seconds)
        if fault is not None and fault.kind == "drop":
            raise DropConnectionError
        if fault is not None and fault.kind == "status" and fault.status != 204:
            return error(fault.status, "Injected failure after the run was created (X-Sandbox-Fault)")
        return self._outcome_reply(outcome)

    def _auth_failure(self, message: str) -> Reply:
        self._count("auth_failures")
        reply = error(401, message)
        reply.headers["WWW-Authenticate"] = "Bearer"
        return reply

    @staticmethod
    def _refusal(status: int, retry_after: float) -> Reply:
        text = "Too many requests" if status == 429 else "Injected failure (sandbox fault)"
        if status == 503:
            text = "Service unavailable"
        reply = error(status, text)
        if status in REFUSE_STATUSES_WITH_RETRY_AFTER:
            reply.headers["Retry-After"] = f"{retry_after:g}"
        return reply

    def _replay(self, record: KeyRecord) -> Reply:
        if not record.done.wait(timeout=600):
            return error(409, "A request with this Idempotency-Key is still in progress; retry later")
        if record.outcome is None:  # the first request failed before creating a run: nothing to replay
            reply = error(503, "The first request with this Idempotency-Key failed before creating a run; retry")
            reply.headers["Retry-After"] = "0"
            return reply
        self._count("idempotent_replays")
        reply = self._outcome_reply(record.outcome)
        reply.headers[REPLAY_HEADER] = "true"
        return reply

    @staticmethod
    def _outcome_reply(outcome: Outcome) -> Reply:
        if outcome.status == 204:
            return Reply(204)
        return Reply(outcome.status, json.loads(outcome.body))

    def _run(
        self, handler: Handler, body: dict[str, Any], model_type: str, key: str | None, fault: Fault | None
    ) -> Outcome:
        urls = image_urls(self._base_url(handler), body)
        run_id = "r_" + uuid.uuid4().hex[:12]
        output: dict[str, Any] = {"image_url": urls[0], "run_id": run_id, "model_type": model_type}
        if len(urls) > 1:
            output["image_urls"] = urls
        with self._lock:
            self._runs.append(
                {"run_id": run_id, "model_type": model_type, "idempotency_key": key, "image_urls": urls, "body": body}
            )
        if fault is not None and fault.kind == "status" and fault.status == 204:
            return Outcome(204, b"")
        return Outcome(200, json.dumps(output).encode())

    def _base_url(self, handler: Handler) -> str:
        host = handler.headers.get("Host")
        if host and re.fullmatch(r"[A-Za-z0-9.\-]+(:[0-9]+)?|\[[0-9A-Fa-f:.]+\](:[0-9]+)?", host):
            return f"http://{host}"
        return self.url
