"""Test helpers: the sandbox in-process, on a free loopback port or as an httpx transport with no socket at all.

    from imagineo.testing import sandbox_server

    def test_my_code():
        with sandbox_server() as sandbox:
            client = sandbox.client()                  # or ImagineoAIClient(sandbox.url, api_key=sandbox.api_key)
            my_code(client)
            assert sandbox.runs_created == 1

With pytest, use the ``imagineo_sandbox`` fixture: add ``pytest_plugins = ["imagineo.testing"]`` to your top-level
conftest.py, or ``from imagineo.testing import imagineo_sandbox  # noqa: F401`` in a conftest.py or test module
(the fixture keeps its name under any alias). It is not registered as an
auto-loading ``pytest11`` plugin on purpose: that would load into every pytest session of every project installed
beside imagineo, including those without the ``cli`` extra that the sandbox needs.

The server (`imagineo.sandbox.SandboxServer`) requires the given API key (a missing or other key is a 401), and
exposes ``url``, ``api_key``, ``runs_created``, ``stats()``, ``runs()``, ``reset()`` and ``set_faults(...)``.
Requests can carry ``X-Sandbox-Fault`` (see `imagineo.sandbox._faults`) through ``extra_headers``.

Without sockets (tests that must run offline, or where opening a port is not allowed), the same sandbox as an
httpx transport, sync and async, with the same validation, idempotency, faults, counters and conformance verdicts
(one implementation, `imagineo.sandbox._app.SandboxApp`, behind both):

    from imagineo.testing import sandbox_transport

    def test_my_code_offline():
        sandbox = sandbox_transport()
        client = sandbox.client()                      # ImagineoAIClient(sandbox.url, api_key=sandbox.api_key,
        result = my_code(client)                       #     http_client=httpx.Client(transport=sandbox))
        assert sandbox.runs_created == 1
        client.images.download(result, tmp_path)       # the images download offline too, through the transport
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx

from .sandbox import FAULT_HEADER, SandboxServer, SandboxTransport

if TYPE_CHECKING:
    from ._client import AsyncImagineoAIClient, ImagineoAIClient

__all__ = [
    "DEFAULT_TEST_API_KEY",
    "FAULT_HEADER",
    "InProcessSandbox",
    "Sandbox",
    "imagineo_sandbox",
    "sandbox_server",
    "sandbox_transport",
]

DEFAULT_TEST_API_KEY = "sk-imagineo-sandbox-test"


class Sandbox(SandboxServer):
    """A `SandboxServer` that also builds clients pointed at itself."""

    api_key: str

    def client(self, **options: Any) -> ImagineoAIClient:
        """A sync client for this sandbox (``max_retries``, ``timeout``... as for ImagineoAIClient)."""
        from ._client import ImagineoAIClient

        return ImagineoAIClient(self.url, api_key=self.api_key, **options)

    def async_client(self, **options: Any) -> AsyncImagineoAIClient:
        """An async client for this sandbox."""
        from ._client import AsyncImagineoAIClient

        return AsyncImagineoAIClient(self.url, api_key=self.api_key, **options)


class InProcessSandbox(SandboxTransport):
    """A `SandboxTransport` (sync and async httpx transport) that also builds clients and httpx clients on itself."""

    api_key: str

    def http_client(self, **options: Any) -> httpx.Client:
        """An ``httpx.Client(transport=self)``: e.g. to download the images a run returned, offline."""
        return httpx.Client(transport=self, **options)

    def async_http_client(self, **options: Any) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient(transport=self)``."""
        return httpx.AsyncClient(transport=self, **options)

    def client(self, **options: Any) -> ImagineoAIClient:
        """A sync client on this transport (``max_retries``, ``timeout``... as for ImagineoAIClient)."""
        from ._client import ImagineoAIClient

        options.setdefault("http_client", self.http_client())
        return ImagineoAIClient(self.url, api_key=self.api_key, **options)

    def async_client(self, **options: Any) -> AsyncImagineoAIClient:
        """An async client on this transport."""
        from ._client import AsyncImagineoAIClient

        options.setdefault("http_client", self.async_http_client())
        return AsyncImagineoAIClient(self.url, api_key=self.api_key, **options)


def sandbox_transport(
    *, api_key: str = DEFAULT_TEST_API_KEY, retry_after: float = 0.0, **options: Any
) -> InProcessSandbox:
    """The sandbox as an httpx transport (sync and async): no socket, no thread, nothing to close.

    Pass it as ``http_client=httpx.Client(transport=sandbox)`` (or ``httpx.AsyncClient``) with ``sandbox.url``
    (``https://sandbox.imagineo.invalid``; any origin works, and image URLs are built on the one used), or take
    ``sandbox.client()`` / ``sandbox.async_client()``. Same defaults and options as `sandbox_server` (``log``
    excepted: nothing is served).
    """
    return InProcessSandbox(api_key=api_key, retry_after=retry_after, **options)


@contextlib.contextmanager
def sandbox_server(
    *, api_key: str = DEFAULT_TEST_API_KEY, retry_after: float = 0.0, **options: Any
) -> Iterator[Sandbox]:
    """Start the sandbox on 127.0.0.1 and a free port; stop it on exit.

    ``retry_after`` defaults to 0 here (1 s for ``imagineo sandbox``) so retries in tests do not wait. Other
    keyword arguments (``fail_first``, ``fail_each``, ``fail_status``, ``latency``, ``rate_limit="N/s[:BURST]"``,
    ``answers=<conformance.json>``, ``spec``, ``log``) go to `SandboxServer`; a setting out of its documented range
    raises `imagineo.sandbox.SettingError` (a ValueError naming it) before anything listens.
    """
    server = Sandbox(api_key=api_key, retry_after=retry_after, **options)
    server.start()
    try:
        yield server
    finally:
        server.close()


def _define_fixture() -> Any:
    import pytest

    # Named in the decorator, so the fixture keeps its name however it is imported.
    @pytest.fixture(name="imagineo_sandbox")
    def fixture() -> Iterator[Sandbox]:
        """A fresh sandbox server per test (see `imagineo.testing`)."""
        with sandbox_server() as server:
            yield server

    return fixture


with contextlib.suppress(ImportError):  # without pytest, only the context manager is offered
    #: The pytest fixture (a pytest FixtureFunctionDefinition; Any, so the module imports without pytest).
    imagineo_sandbox: Any = _define_fixture()
