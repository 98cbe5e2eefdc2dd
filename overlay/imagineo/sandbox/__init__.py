"""An offline ImagineoAI server driven by the spec: ``imagineo sandbox`` and `imagineo.testing`.

It serves every operation of openapi/imagineo.yaml (today ``POST /api/v1/runs/generate``; an operation added to the
spec is served with no code change, by the rule written in `._app` and `._resources`), the same file the SDK is
generated from, shipped inside the package (the wheel force-includes it as ``imagineo/_spec/imagineo.yaml``; an
editable install reads ``openapi/imagineo.yaml`` from the checkout). It needs the ``cli`` extra (jsonschema, pyyaml,
uvicorn); the core library does not import this package. The user's guide is docs/cli-and-sandbox.md.

Where things are (one job per module):

==================  ===========================================================================================
`._app`             `SandboxApp`: what a request means, in order (route, auth, body, faults, idempotency, the run),
                    the counters (``runs_created``, ``stats()``), ``runs()``, ``reset()`` and the admin endpoints;
                    one function of (method, target, headers, body) -> `Reply`, behind both wires
`._server`          `SandboxServer`: `SandboxApp` served by uvicorn on a socket (a thread, or the foreground)
`._asgi`            `SandboxASGI`: HTTP (an ASGI scope) to a `Request` and a `Reply` back: body limits, delays, drops
`._transport`       `SandboxTransport`: `SandboxApp` as an httpx transport, sync and async, no socket
`._conformance`     what a client did that a conforming one would not: per-request verdicts and counts
`._reply`           `Reply` (what either wire writes) and the spec's ``Error`` body
`._validation`      the spec: where it is (`spec_path`), its operations and routing, the 400/422 checks
`._resources`       what an operation answers (examples, schemas, ids, echoes, picture URLs), resources kept by id
`._faults`          ``X-Sandbox-Fault`` and the session faults (``fail_first``, ``fail_each``, ``latency``...)
`._store`           the idempotency store: Idempotency-Key -> run, replays, the two 409s
`._images`          the PNGs served at ``/images/<digest>-<W>x<H>.png`` and the URLs a run answers with
`._ratelimit`       ``--rate-limit N/s[:BURST]``: a token bucket per API key, 429 and the x-ratelimit-* headers
`._answers`         ``X-Sandbox-Answer: <case id>``: the conformance kit's answer cases, served
`._limits`          every bound: connections, timeouts, body size, records kept, renders at once
`._serve`           ``imagineo sandbox``: run in the foreground, announce the address
==================  ===========================================================================================

**Run counting**: ``runs_created`` (attribute, and ``GET /_sandbox/stats`` as JSON with the other counters) counts
runs created: idempotent replays, 4xx refusals and 422s do not count, so a test can prove that the retries of one
call (which carry one Idempotency-Key) created one run. ``GET /_sandbox/runs`` (``runs()``) lists them with each
request body; ``GET /_sandbox/requests`` every generate request with its conformance ``violations``;
``POST /_sandbox/reset`` forgets runs, keys, counters and listed requests.

It binds to 127.0.0.1 by default and says so on start; every answer carries an ``x-request-id``.
"""

from ._answers import ANSWER_HEADER
from ._app import SandboxApp
from ._faults import FAULT_HEADER, SettingError
from ._faults import REFUSE_STATUSES_WITH_RETRY_AFTER as REFUSE_STATUSES_WITH_RETRY_AFTER
from ._images import DEFAULT_SIZE as DEFAULT_SIZE
from ._images import MAX_IMAGE_SIDE as MAX_IMAGE_SIDE
from ._images import render_png
from ._limits import MAX_BODY as MAX_BODY
from ._serve import DEFAULT_PORT, serve
from ._server import DEFAULT_HOST as DEFAULT_HOST
from ._server import REPLAY_HEADER as REPLAY_HEADER
from ._server import SandboxServer
from ._transport import SANDBOX_URL, SandboxTransport
from ._validation import spec_path

# The other constants (DEFAULT_HOST, MAX_BODY, ...) are importable from here too, as before the split.
__all__ = [
    "ANSWER_HEADER",
    "DEFAULT_PORT",
    "FAULT_HEADER",
    "SANDBOX_URL",
    "SandboxApp",
    "SandboxServer",
    "SandboxTransport",
    "SettingError",
    "render_png",
    "serve",
    "spec_path",
]
