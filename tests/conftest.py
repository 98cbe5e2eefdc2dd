from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from imagineo import _send

from tests.loopback import LoopbackServer

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "openapi" / "imagineo.yaml"


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    """The OpenAPI document, parsed."""
    with SPEC_PATH.open() as fh:
        return yaml.safe_load(fh)  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def _loopback_server() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    yield server
    server.close()


@pytest.fixture
def loopback(_loopback_server: LoopbackServer) -> LoopbackServer:
    """A real HTTP server on 127.0.0.1, emptied before each test."""
    _loopback_server.reset()
    return _loopback_server


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the SDK's retry waits (sync and async) instead of sleeping them."""
    recorded: list[float] = []

    async def async_sleep(delay: float) -> None:
        recorded.append(delay)

    monkeypatch.setattr(_send, "_sleep", recorded.append)
    monkeypatch.setattr(_send, "_async_sleep", async_sleep)
    return recorded


@pytest.fixture
def no_backoff(waits: list[float]) -> None:
    """The SDK's retry waits are skipped (recorded, not slept); what is retried is not changed."""
