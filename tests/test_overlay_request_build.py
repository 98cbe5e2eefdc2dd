"""The overlay's request shortcut (`_new_request`) builds exactly what httpx's own build_request would.

The shortcut exists for speed (docs/performance.md); this pins its behaviour to httpx's, so an httpx upgrade that
changes how requests are assembled fails here rather than on the wire.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from imagineo._base_client import _new_request

URL = httpx.URL("https://api.example.com/prefix/api/v1/runs/generate")
BODY = {"prompt": "p", "model_type": "flux-dev", "width": 512}
HEADERS = {"Authorization": "Bearer sk-x", "User-Agent": "imagineo-python/0", "Idempotency-Key": "k", "X-A": "1"}


CLIENTS: list[dict[str, Any]] = [
    {},
    {"headers": {"X-Tenant": "t", "user-agent": "theirs", "x-a": "client"}},
    {"base_url": "https://other.example.com/base/"},
    {"headers": {"X-Tenant": "t"}, "async": True},
    {"cookies": {"session": "c"}},  # falls back to build_request
    {"params": {"tenant": "t"}},  # falls back to build_request
]


@pytest.fixture(scope="module")
def clients() -> list[Any]:
    made = []
    for options in CLIENTS:
        options = dict(options)
        cls = httpx.AsyncClient if options.pop("async", False) else httpx.Client
        made.append(cls(**options))
    return made


@pytest.mark.parametrize("timeout", [30.0, httpx.Timeout(5.0, connect=1.0), None])
@pytest.mark.parametrize("index", range(len(CLIENTS)))
def test_shortcut_equals_build_request(clients: list[Any], index: int, timeout: Any) -> None:
    http = clients[index]
    ours = _new_request(http, "POST", URL, BODY, HEADERS, timeout)
    theirs = http.build_request("POST", URL, json=BODY, headers=HEADERS, timeout=timeout)
    assert ours.method == theirs.method
    assert ours.url == theirs.url
    assert ours.headers.raw == theirs.headers.raw
    assert ours.extensions == theirs.extensions
    assert ours.read() == theirs.read()
