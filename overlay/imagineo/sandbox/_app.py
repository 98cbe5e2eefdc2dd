"""`SandboxApp`: what one request to the sandbox means, whatever wire it came on (a socket or an httpx transport).

`SandboxApp.handle` is a function of (method, target, headers, body) to a `Reply` (status, headers, body, and how
the wire delivers it: ``delay``, ``drop``). It never sleeps and never touches a socket, so the HTTP server
(`._server.SandboxServer`) and the in-process transport (`._transport.SandboxTransport`) share it whole: the same
validation, idempotency, faults, counters and conformance verdicts.

**Every operation of the spec is served**, none named here: a request is routed to an operation by its method and
path template (`._validation.Spec.route`; a path that exists with other methods is a 405 with ``Allow``, another a
404), then, in order:

1. **Auth**: ``Authorization: Bearer <key>`` must be present (401 otherwise), unless the operation declares
   ``security: []``. Any key is accepted unless the sandbox was given one; then any other key is a 401. Keys are
   never echoed. Then the **rate limit** (`._ratelimit`), when one is set: a 429 and no run.
2. **Parameters and body**: the operation's header parameters (a 400 naming each broken one: a malformed request),
   path and query parameters (a 422 naming each); the body at most 1 MiB (413 otherwise), strict JSON (no NaN, no
   lone surrogates, at most 32 levels deep: 400 otherwise), validated against the operation's body schema
   (`._validation`; a discriminator picks the variant), where an integer has no fraction (512.0 is not an
   integer): every problem in one 422.
3. An **answer case** (``X-Sandbox-Answer``, `._answers`), then **faults** (`._faults`).
4. **State**: a path parameter named like an id some operation gives out (``run_id``) must name a resource the
   sandbox gave out (`._resources`), else the spec's 404.
5. **Idempotency** (`._store`), for an operation declaring the ``Idempotency-Key`` header parameter (keys are
   scoped per API key and operation): the same key with another body is a 409 ``idempotency_conflict``; with the
   same body while the first is in progress, a 409 ``idempotency_in_progress`` with ``Retry-After``; afterwards,
   the original answer again (faulted if a fault falls on the retry).
6. **The answer**, built by the rule of `._resources` (the spec's first example of the first 2xx, else a value built
   from its schema; echoed fields, new ids, the pictures the sandbox serves itself at the origin the request was
   sent to, the stored resource for a read). A request that is not a GET is a **run**: ``runs_created`` goes up by
   one and ``runs()`` lists it with its operation.

Every request to an operation that declares ``Idempotency-Key`` is then judged and listed by `._conformance`.
``generate_requests`` counts the requests that reached step 3, for every operation (the name is kept from when the
sandbox served generate alone). Admin endpoints: ``GET /`` (the operations served),
``GET /_sandbox/stats``, ``GET /_sandbox/runs``, ``GET /_sandbox/requests``, ``GET /_sandbox/conformance``,
``POST /_sandbox/reset``, ``POST /_sandbox/faults``.
"""

from __future__ import annotations

import collections
import hashlib
import json
import math
import threading
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._answers import ANSWER_HEADER, AnswerCases, load_answers
from ._conformance import RULES, Conformance, Exchange
from ._faults import (
    FAULT_HEADER,
    REFUSE_STATUSES_WITH_RETRY_AFTER,
    Fault,
    SessionFaults,
    SettingError,
    parse_fault,
    parse_times,
)
from ._images import IMAGE_PATH, MAX_IMAGE_SIDE, canonical, image_urls, render_png
from ._limits import MAX_BODY, MAX_KEPT_BODY, MAX_RUNS
from ._ratelimit import Buckets, RateLimit, parse_rate_limit
from ._reply import IN_PROGRESS_CODE, Reply, error
from ._resources import Resources, first_example, id_fields, shape, stateful_names
from ._store import IdempotencyStore, KeyRecord, Outcome
from ._validation import BodyError, Operation, Spec, load_spec, parameter_problems, parse_json, problems, spec_path

__all__ = ["ADMIN_ENDPOINTS", "COUNTERS", "REPLAY_HEADER", "Request", "SandboxApp"]

REPLAY_HEADER = "Idempotent-Replayed"
COUNTERS = (
    "generate_requests",
    "idempotent_replays",
    "conflicts",
    "in_progress",
    "faults_injected",
    "validation_errors",
    "auth_failures",
    "images_served",
    "rate_limited",
    "answers_served",
)
ADMIN_ENDPOINTS = (
    "GET /_sandbox/stats",
    "GET /_sandbox/runs",
    "GET /_sandbox/requests",
    "GET /_sandbox/conformance",
    "POST /_sandbox/reset",
    "POST /_sandbox/faults",
)


@dataclass(frozen=True)
class Request:
    """One request as the wire read it. `headers` have lower-case names; `base_url` is the origin it was sent to
    (image URLs are built on it); `body_error` is the answer when the wire could not read the body (framing)."""

    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes
    base_url: str
    body_error: Reply | None = None


def _bearer(headers: Mapping[str, str]) -> str:
    scheme, _, token = (headers.get("authorization") or "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def fingerprint(body: object) -> str:
    """What idempotency and the conformance rules compare bodies by: SHA-256 of the canonical JSON (never the body)."""
    return hashlib.sha256(canonical(body).encode("utf-8", "surrogatepass")).hexdigest()


def _fingerprint(raw: bytes) -> str:
    try:
        return fingerprint(parse_json(raw))
    except BodyError:
        return "raw:" + hashlib.sha256(raw).hexdigest()


_KEEP: Any = object()  # set_faults: leave the rate limit as it is


def _seconds(value: str | None) -> float | None:
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and math.isfinite(seconds) else None


class SandboxApp:
    """The sandbox's state (runs, keys, faults, counters, verdicts) and `handle`, the meaning of a request."""

    api_key: str | None

    def __init__(
        self,
        *,
        api_key: str | None = None,
        spec: str | Path | None = None,
        fail_first: int = 0,
        fail_each: int = 0,
        fail_status: int = 503,
        retry_after: float = 1.0,
        latency: float = 0.0,
        rate_limit: str | None = None,
        answers: str | Path | None = None,
    ) -> None:
        self.spec: Spec = load_spec(Path(spec).resolve() if spec is not None else spec_path())
        self.api_key: str | None = api_key
        self._clock = time.monotonic
        self._lock = threading.Lock()
        self._parsed = threading.local()  # (request, body fingerprint) of the request this thread is handling
        self._faults = SessionFaults()
        self._store = IdempotencyStore()
        self._conformance = Conformance()
        self._buckets = Buckets()
        self._resources = Resources()
        self._stateful = stateful_names(self.spec)
        self._rate_limit: RateLimit | None = None
        self.answers: AnswerCases | None = load_answers(Path(answers)) if answers is not None else None
        self.set_faults(
            fail_first=fail_first,
            fail_each=fail_each,
            fail_status=fail_status,
            retry_after=retry_after,
            latency=latency,
            rate_limit=rate_limit,
        )
        self._reset_state()

    # -- state ----------------------------------------------------------------------------------------------

    def _reset_state(self) -> None:
        with self._lock:
            self._runs: collections.deque[dict[str, Any]] = collections.deque(maxlen=MAX_RUNS)
            self._runs_created = 0
            self._counters = dict.fromkeys(COUNTERS, 0)
            self._requests = 0
        self._store.forget()
        self._buckets.forget()
        self._resources.forget()
        self._faults.forget()
        self._conformance.forget(self._clock())

    def _count(self, name: str) -> None:
        with self._lock:
            self._counters[name] += 1

    def reset(self) -> None:
        """Forget every run, Idempotency-Key, counter, listed request and rate-limit bucket (the settings stay)."""
        self._reset_state()

    def set_faults(
        self,
        *,
        fail_first: int | None = None,
        fail_each: int | None = None,
        fail_status: int | None = None,
        retry_after: float | None = None,
        latency: float | None = None,
        rate_limit: str | None = _KEEP,
    ) -> None:
        """Change the session's faults (see `imagineo.sandbox._faults`); None leaves a setting as it is, except
        ``rate_limit``: ``"N/s[:BURST]"`` sets it (`._ratelimit`), None switches it off, left out keeps it.

        Setting ``fail_first`` restarts its count: the next N generate requests fail. Every value is checked before
        any is applied: a `SettingError` (a ValueError naming the field) changes nothing.
        """
        limit, problem = self._rate_limit, None
        try:
            limit = limit if rate_limit is _KEEP else parse_rate_limit(rate_limit)
        except SettingError as exc:
            problem = exc
        self._faults.configure(
            fail_first=fail_first,
            fail_each=fail_each,
            fail_status=fail_status,
            retry_after=retry_after,
            latency=latency,
            also=problem,
        )
        self._rate_limit = limit

    @property
    def rate_limit(self) -> str | None:
        """The rate limit as ``"N/s:BURST"``, or None when requests are not limited."""
        return None if self._rate_limit is None else str(self._rate_limit)

    def settings(self) -> dict[str, Any]:
        """The session's fault and rate-limit settings (what ``POST /_sandbox/faults`` answers)."""
        return {**self._faults.settings(), "rate_limit": self.rate_limit}

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
        """How many runs were created (replays and refusals do not count; never forgotten, unlike `runs`)."""
        with self._lock:
            return self._runs_created

    def runs(self) -> list[dict[str, Any]]:
        """The latest runs created (at most `MAX_RUNS`), oldest first: run_id, model_type, idempotency_key,
        image_urls, the request body (``null`` past `MAX_KEPT_BODY` bytes), body_sha256 and body_bytes."""
        with self._lock:
            return [json.loads(json.dumps(run)) for run in self._runs]

    def stats(self) -> dict[str, Any]:
        """The counters served at GET /_sandbox/stats, with ``conformance``: a count per rule (`._conformance`)."""
        with self._lock:
            counters = {"runs_created": self._runs_created, **self._counters}
        return {**counters, "conformance": self._conformance.counts()}

    def requests(self) -> list[dict[str, Any]]:
        """Every request to the generate endpoint, oldest first, with its ``violations`` (GET /_sandbox/requests)."""
        return self._conformance.requests()

    def conformance(self) -> dict[str, Any]:
        """The rules, their counts and the requests that broke one (GET /_sandbox/conformance)."""
        return {
            "rules": dict(RULES),
            "counts": self._conformance.counts(),
            "violations": [entry for entry in self._conformance.requests() if entry["violations"]],
        }

    # -- requests -------------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        """The answer to one request (never raises: a sandbox bug is a 500 with the spec's Error body)."""
        arrived = self._clock()
        with self._lock:
            self._requests += 1
            request_id = f"req_sbx_{self._requests:06d}"
        path = request.target.split("?", 1)[0]
        op, params, allowed = self.spec.route(request.method, path)
        try:
            reply = self._route(request, path, op, params, allowed)
        except Exception as exc:  # a sandbox bug: answer it rather than look like a dropped connection
            reply = error(500, f"Sandbox error: {type(exc).__name__}: {exc}")
        reply.headers = {"x-request-id": request_id, **reply.headers}
        judged = op if op is not None else next((o for o in self.spec.operations if o.pattern.fullmatch(path)), None)
        if judged is not None and judged.idempotency is not None and not path.startswith("/_sandbox/"):
            self._judge(request, reply, request_id, arrived)
        return reply

    def _judge(self, request: Request, reply: Reply, request_id: str, arrived: float) -> None:
        self._conformance.record(
            Exchange(
                request_id=request_id,
                method=request.method,
                token=_bearer(request.headers),
                key=request.headers.get("idempotency-key"),
                fingerprint=self._fingerprint_of(request),
                arrived=arrived,
                answered=self._clock() + reply.delay,
                status=None if reply.drop else reply.status,
                code=reply.code,
                retry_after=_seconds(reply.headers.get("Retry-After")),
            )
        )

    def _fingerprint_of(self, request: Request) -> str:
        """The body's fingerprint: the one `_generate_allowed` computed for this request, else from its bytes."""
        known = getattr(self._parsed, "last", None)
        if known is not None and known[0] is request:
            return str(known[1])
        return _fingerprint(request.body)

    def _route(
        self, request: Request, path: str, op: Operation | None, params: dict[str, str], allowed: list[str]
    ) -> Reply:
        method = request.method
        if request.body_error is not None:
            return request.body_error
        if len(request.body) > MAX_BODY:
            return error(
                413,
                f"The body is {len(request.body)} bytes; the limit is {MAX_BODY} bytes (1 MiB)",
                limit_bytes=MAX_BODY,
            )
        if path.startswith("/_sandbox/") or path == "/":
            return self._admin(method, path, request.body)
        if method == "GET" and (match := IMAGE_PATH.fullmatch(path)):
            digest, w, h = match.group(1), int(match.group(2)), int(match.group(3))
            if not (1 <= w <= MAX_IMAGE_SIDE and 1 <= h <= MAX_IMAGE_SIDE):
                return error(404, "No such image")
            data = render_png(digest, w, h)
            self._count("images_served")
            headers = {"Cache-Control": "public, max-age=31536000, immutable"}
            return Reply(200, headers=headers, content=data, content_type="image/png")
        if op is not None:
            return self._operation(request, op, params)
        if allowed:
            reply = error(405, f"{method} is not allowed here; use {' or '.join(allowed)}")
            reply.headers["Allow"] = ", ".join(allowed)
            return reply
        return error(404, f"No such endpoint: {method} {path}")

    def _admin(self, method: str, path: str, body: bytes) -> Reply:
        if method == "GET" and path == "/":
            operations = {op.operation_id: f"{op.method} {op.template}" for op in self.spec.operations}
            index = {"service": "imagineo sandbox", "spec": str(self.spec.path), "operations": operations}
            return Reply(200, {**index, "admin": list(ADMIN_ENDPOINTS), "conformance_rules": dict(RULES)})
        if method == "GET" and path == "/_sandbox/stats":
            return Reply(200, self.stats())
        if method == "GET" and path == "/_sandbox/runs":
            return Reply(200, self.runs())
        if method == "GET" and path == "/_sandbox/requests":
            return Reply(200, self.requests())
        if method == "GET" and path == "/_sandbox/conformance":
            return Reply(200, self.conformance())
        if method == "POST" and path == "/_sandbox/reset":
            self.reset()
            return Reply(200, self.stats())
        if method == "POST" and path == "/_sandbox/faults":
            return self._set_faults_over_http(body)
        return error(404, f"No such endpoint: {method} {path}")

    def _set_faults_over_http(self, body: bytes) -> Reply:
        try:
            settings = parse_json(body) if body.strip() else {}
        except BodyError as exc:
            return error(400, f"Bad fault settings: {exc}")
        if not isinstance(settings, dict):
            detail = {"field": "body", "message": f"must be a JSON object; got {type(settings).__name__}"}
            return error(422, "Bad fault settings", details=[detail])
        allowed = (*SessionFaults.SETTINGS, "rate_limit")
        unknown = [name for name in settings if name not in allowed]
        if unknown:
            details = [
                {"field": name, "message": f"is not a setting (known: {', '.join(allowed)})"} for name in unknown
            ]
            return error(422, "Bad fault settings", details=details)
        try:
            self.set_faults(**settings)
        except SettingError as exc:
            details = [{"field": name, "message": rule} for name, rule in exc.problems]
            return error(422, f"Bad fault settings: {exc}", details=details)
        return Reply(200, self.settings())

    def _operation(self, request: Request, op: Operation, params: dict[str, str]) -> Reply:
        headers = request.headers
        # 1. auth, then the rate limit (per API key; a refused request creates nothing)
        token = _bearer(headers)
        if op.auth and not token:
            return self._auth_failure("Missing API key: send 'Authorization: Bearer <api key>'")
        if op.auth and self.api_key is not None and token != self.api_key:
            return self._auth_failure("Invalid API key")
        limit = self._rate_limit
        if limit is not None:
            decision = self._buckets.take(token, limit, self._clock())
            if not decision.allowed:
                self._count("rate_limited")
                reply = error(429, f"Rate limit reached for this API key ({limit}); retry after Retry-After")
                reply.headers.update(decision.headers)
                return reply
            reply = self._allowed(request, op, params, token)
            reply.headers.update(decision.headers)
            return reply
        return self._allowed(request, op, params, token)

    def _parameters(
        self, request: Request, op: Operation, params: dict[str, str]
    ) -> tuple[dict[str, Any], Reply | None]:
        """The operation's parameters, typed; or the answer for the broken ones (a header: 400, as a malformed
        request; a path or query parameter: 422), every problem named."""
        query = urllib.parse.parse_qs(request.target.partition("?")[2], keep_blank_values=True)
        values: dict[str, Any] = {}
        header_problems: list[dict[str, str]] = []
        other_problems: list[dict[str, str]] = []
        for param in op.parameters:
            if param.where == "header":
                raw = request.headers.get(param.name.lower())
            elif param.where == "path":
                raw = params.get(param.name)
            elif param.where == "query":
                raw = query[param.name][0] if param.name in query else None
            else:
                continue
            value, details = parameter_problems(param, raw)
            (header_problems if param.where == "header" else other_problems).extend(details)
            if raw is not None and not details:
                values[param.name] = value
        if header_problems:
            names = ", ".join(dict.fromkeys(d["field"] for d in header_problems))
            return values, error(400, f"Invalid {names}", details=header_problems)
        if other_problems:
            self._count("validation_errors")
            return values, error(422, "Invalid parameters", details=other_problems)
        return values, None

    def _allowed(self, request: Request, op: Operation, params: dict[str, str], token: str) -> Reply:
        headers = request.headers
        # 2. parameters, headers and body
        values, refused = self._parameters(request, op, params)
        if refused is not None:
            return refused
        key_param = op.idempotency
        key = values.get(key_param.name) if key_param is not None else None
        requested: Fault | None = None
        fault_header = headers.get(FAULT_HEADER.lower())
        if fault_header is not None:
            try:
                requested = parse_fault(fault_header)
            except ValueError as exc:
                return error(400, f"Bad {FAULT_HEADER} header: {exc}")
        answer_header = headers.get(ANSWER_HEADER.lower())
        answer: tuple[str, int | None] | None = None
        if answer_header is not None:
            try:
                answer = self._answer_case(answer_header)
            except ValueError as exc:
                return error(400, f"Bad {ANSWER_HEADER} header: {exc}")
        body: Any = None
        if op.body is not None and (request.body.strip() or op.body.required):
            content_type = headers.get("content-type", "application/json").split(";", 1)[0].strip().lower()
            if content_type != "application/json" and not content_type.endswith("+json"):
                return error(400, f"Requests are JSON only; got Content-Type {content_type!r}")
            try:
                body = parse_json(request.body)
            except BodyError as exc:
                return error(400, str(exc))
            tag_value, details = problems(op.body, body)
            if details:
                self._count("validation_errors")
                where = f' for {op.body.tag} "{tag_value}"' if tag_value else ""
                return error(422, f"Invalid input{where}", details=details)
        body_print = fingerprint(body) if body is not None else fingerprint({"path": params, "query": values})
        self._parsed.last = (request, body_print)
        scope = f"{op.operation_id} {key}" if key is not None else f"{op.operation_id} body:{body_print}"
        identity = (token, scope)

        # 3. an answer case, then faults (a fault refusing the request applies to every attempt it falls on)
        self._count("generate_requests")
        attempt = self._faults.attempt(identity)
        if answer is not None and (answer[1] is None or attempt <= answer[1]):
            assert self.answers is not None
            self._count("answers_served")
            return self.answers.reply(answer[0])
        fault, latency, retry_after = self._faults.choose(attempt, requested)
        if fault is not None and fault.before_run:
            self._count("faults_injected")
            return self._refusal(fault.status, retry_after)

        # 4. the resource the path names (rule 5 of `._resources`), if any
        stored: dict[str, Any] = {}
        for name in op.path_names:
            if name in self._stateful:
                found = self._resources.get(name, str(values.get(name, params.get(name))))
                if found is None:
                    return error(404, f"No such {name}: {params.get(name)!r}")
                stored.update(found)
        # 5. idempotency (a replay is faulted as the run would have been), then the run
        record: KeyRecord | None = None
        if key is not None:
            record, owner = self._store.claim(identity, body_print)
            if not owner:
                return self._repeat(record, body_print, fault, latency)
        try:
            outcome = self._run(request, op, body, body_print, {**params, **values}, stored, key, fault)
        except BaseException:
            if record is not None:
                self._store.release(identity, record)
            raise
        hold = fault.seconds if fault is not None and fault.kind == "hold" else 0.0
        if record is not None:
            self._store.finish(record, outcome, ready_at=self._clock() + hold)
        return self._deliver(outcome, fault, latency + hold)

    def _deliver(self, outcome: Outcome, fault: Fault | None, delay: float) -> Reply:
        """5. how the answer is delivered: the outcome, or the fault that falls on it (counted as injected)."""
        if fault is not None:
            self._count("faults_injected")
            if fault.kind == "slow":
                delay += fault.seconds
            if fault.kind == "drop":
                return Reply(0, delay=delay, drop=True)  # the status is never sent
            if fault.kind == "status" and fault.status != 204:
                reply = error(fault.status, f"Injected failure after the run was created ({FAULT_HEADER})")
                reply.delay = delay
                return reply
            if fault.kind == "status":
                outcome = Outcome(204, b"")
        reply = self._outcome_reply(outcome)
        reply.delay = delay
        return reply

    def _answer_case(self, value: str) -> tuple[str, int | None]:
        case_id, _, options = value.strip().partition(";")
        times = parse_times(options)
        if self.answers is None:
            raise ValueError("no answer cases are loaded: start the sandbox with --answers conformance.json")
        self.answers.check(case_id.strip())
        return case_id.strip(), times

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

    def _repeat(self, record: KeyRecord, body_print: str, fault: Fault | None, latency: float) -> Reply:
        """A request repeating a key: 409 for another body, 409 in progress, or the original answer again (with
        the fault that falls on this attempt, if any: a replay is faulted as the first answer was)."""
        if record.fingerprint != body_print:
            self._count("conflicts")
            return error(409, "This Idempotency-Key was already used with a different request body")
        left = record.ready_at - self._clock()
        if record.outcome is None or left > 0:
            self._count("in_progress")
            reply = error(
                409, "A request with this Idempotency-Key is still in progress; retry later", code=IN_PROGRESS_CODE
            )
            reply.headers["Retry-After"] = str(max(1, math.ceil(left)))
            return reply
        self._count("idempotent_replays")
        if fault is not None and fault.kind == "hold":
            fault = None  # the run is finished: there is nothing left to hold in progress
        reply = self._deliver(record.outcome, fault, latency)
        if not reply.drop:
            reply.headers[REPLAY_HEADER] = "true"
        return reply

    @staticmethod
    def _outcome_reply(outcome: Outcome) -> Reply:
        if outcome.status == 204 or not outcome.body:
            return Reply(outcome.status)
        return Reply(outcome.status, json.loads(outcome.body))

    def _run(
        self,
        request: Request,
        op: Operation,
        body: Any,
        body_print: str,
        params: dict[str, Any],
        stored: dict[str, Any],
        key: str | None,
        fault: Fault | None,
    ) -> Outcome:
        """The operation's answer (`._resources`); a request that is not a GET also counts as a run, listed."""
        status, media = op.success()
        source = body if isinstance(body, dict) else params
        urls = image_urls(request.base_url, source) if media is not None else []
        answer: Any = None
        if media is not None:
            answer, ids = shape(op, first_example(media), {**params, **source}, urls, fresh=not stored)
            if stored and isinstance(answer, dict):
                answer.update(stored)
            elif ids and isinstance(answer, dict):
                self._resources.keep(ids, answer)
        if op.method != "GET":
            size = len(canonical(body).encode("utf-8", "surrogatepass")) if body is not None else 0
            record: dict[str, Any] = {"operation": op.operation_id}
            if isinstance(answer, dict):
                record.update({name: answer[name] for name in id_fields(op) if name in answer})
            if op.body is not None and op.body.tag is not None and isinstance(body, dict):
                record[op.body.tag] = body.get(op.body.tag)
            record.update(
                {
                    "idempotency_key": key,
                    "image_urls": urls,
                    "body": body if size <= MAX_KEPT_BODY else None,
                    "body_sha256": body_print,
                    "body_bytes": size,
                }
            )
            with self._lock:
                self._runs.append(record)
                self._runs_created += 1
        if fault is not None and fault.kind == "status" and fault.status == 204:
            return Outcome(204, b"")
        if media is None:  # a documented success with no body (204, or a 2xx without content)
            return Outcome(status, b"")
        return Outcome(status, json.dumps(answer).encode())
