"""Prism as the contract server: a pytest session fixture running `prism mock openapi/imagineo.yaml` on 127.0.0.1.

@stoplight/prism-cli is pinned in package.json/package-lock.json and installed by ``make install`` (npm ci) into the
project's node_modules/. The fixture starts ``node_modules/.bin/prism`` itself (never through npx: killing the npx
PID would leave the node server orphaned), on a free port, with

* ``--errors``: a request that breaks the spec is answered 422, with the violations listed as JSON in the
  ``sl-violations`` header (without it Prism only logs them and answers 200);
* ``--dynamic=false``: answers are the spec's own examples (the first named example of the status), so a test can
  compare what the client parsed with the spec;
* ``-v warn``: quiet; the log goes to a temporary file whose tail is shown when Prism does not come up.

It waits until Prism answers HTTP, and stops it by PID (SIGTERM, then SIGKILL) at the end of the session. Prism 5.16
declares node >= 24 in its package.json but runs on node 20, which is what this project uses.

Test modules define their session fixture with `running_prism()` (a ``pytest_plugins`` line would import this
module before pytest can rewrite its asserts). Prism is never sent malformed JSON: it does
not answer such a request at all, so that case is covered against tests/loopback.py instead.

The module also reads the spec the way the contract tests need it (`VARIANTS`: each model type's schema with every
``$ref`` inlined; `SPEC_DEFAULTS`; the named examples), so those tests and the differential ones share one reading.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.spec_cases import DISCRIMINATOR_MAPPING as DISCRIMINATOR_MAPPING

# The contract tests import the spec reading from here too (tests/spec_cases.py is its one home).
from tests.spec_cases import ENDPOINT, SPEC_PATH
from tests.spec_cases import OPERATION as OPERATION
from tests.spec_cases import REQUEST_EXAMPLES as REQUEST_EXAMPLES
from tests.spec_cases import RESPONSE_EXAMPLES_200 as RESPONSE_EXAMPLES_200
from tests.spec_cases import SCHEMAS as SCHEMAS
from tests.spec_cases import SPEC as SPEC
from tests.spec_cases import SPEC_DEFAULTS as SPEC_DEFAULTS
from tests.spec_cases import VARIANTS as VARIANTS
from tests.spec_cases import resolve as resolve

ROOT = Path(__file__).resolve().parent.parent
PRISM_BIN = ROOT / "node_modules" / ".bin" / "prism"
STARTUP_TIMEOUT = 90.0
API_KEY = "sk-prism-test"
#: One TLS context for every httpx client the tests make: building one per client (loading the CA bundle) costs ~30 ms,
#: and all the traffic here is plain http to 127.0.0.1 anyway.
TLS_CONTEXT = ssl.create_default_context()
TRUNCATED_PREFIX = "Too many violations!"
# One complete entry of the sl-violations list, as Prism 5.16 writes it (its keys in this order).
_VIOLATION = re.compile(r'\{"location":\[[^\]]*\],"severity":"[^"]*","code":"[^"]*","message":"(?:[^"\\]|\\.)*"\}')


# -- the spec, as the contract tests read it --------------------------------------------------------------------------

# -- the server --------------------------------------------------------------------------------------------------------


@dataclass
class PrismServer:
    """A running Prism mock server."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    http: httpx.Client  # for raw requests; closed with the server

    @property
    def endpoint(self) -> str:
        return self.url + ENDPOINT

    def post_raw(self, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
        """POST `body` as JSON exactly as given (no SDK in between), with the auth the spec requires."""
        return self.http.post(
            self.endpoint,
            content=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json", **(headers or {})},
            timeout=30.0,
        )

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def violations(response: httpx.Response) -> list[dict[str, Any]]:
    """Prism's ``sl-violations`` header, parsed (empty when the request met the spec).

    With many violations (a oneOf repeats them once per branch) Prism sends ``Too many violations! [...`` cut short;
    the complete entries before the cut are returned then.
    """
    raw = response.headers.get("sl-violations")
    if not raw:
        return []
    if raw.startswith(TRUNCATED_PREFIX):
        return [json.loads(m.group(0)) for m in _VIOLATION.finditer(raw)]
    parsed = json.loads(raw)
    assert isinstance(parsed, list)
    return parsed


def describe_violations(response: httpx.Response) -> str:
    """The violations, one per line, without the repeats Prism lists once per oneOf branch."""
    seen: dict[str, None] = {}
    for v in violations(response):
        location = ".".join(str(p) for p in v.get("location", []))
        seen[f"{v.get('severity')} {location}: {v.get('message')}"] = None
    return "\n".join(f"  - {line}" for line in seen) or "  (no sl-violations header)"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the Prism process by its PID: SIGTERM, then SIGKILL if it does not exit."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def start_prism(log_dir: Path) -> PrismServer:
    """Start Prism on a free loopback port and wait until it answers; fail the session with its log if it does not."""
    if not PRISM_BIN.exists():
        pytest.fail(f"{PRISM_BIN} is missing: run `make install` (npm ci installs the pinned @stoplight/prism-cli)")
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH; Prism (node_modules/.bin/prism) needs it")
    port = _free_port()
    log_path = log_dir / f"prism-{port}.log"
    command = [
        str(PRISM_BIN), "mock", str(SPEC_PATH),
        "--host", "127.0.0.1", "--port", str(port),
        "--errors", "--dynamic=false", "--cors=false", "-v", "warn",
    ]  # fmt: skip
    env = {**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    server = PrismServer(f"http://127.0.0.1:{port}", process, log_path, httpx.Client(verify=TLS_CONTEXT))
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        if process.poll() is not None:
            server.http.close()
            pytest.fail(f"Prism exited with code {process.returncode} before answering:\n{server.log_tail()}")
        try:
            # Any HTTP answer means it is up (an empty object breaks the spec, so this is a 422).
            server.post_raw({})
            return server
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            _stop(process)
            server.http.close()
            pytest.fail(f"Prism did not answer on {server.url} within {STARTUP_TIMEOUT:.0f} s:\n{server.log_tail()}")
        time.sleep(0.2)


@contextlib.contextmanager
def running_prism() -> Iterator[PrismServer]:
    """Prism mocking openapi/imagineo.yaml on 127.0.0.1 for the duration of the block, then stopped by PID.

    Test modules wrap it in a session fixture (see tests/test_contract_prism.py).
    """
    with tempfile.TemporaryDirectory(prefix="imagineo-prism-") as tmp:
        server = start_prism(Path(tmp))
        try:
            yield server
        finally:
            server.http.close()
            _stop(server.process)
