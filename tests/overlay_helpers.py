"""Run one `images.generate` call through the sync or the async client, so each test covers both."""

from __future__ import annotations

import asyncio
from typing import Any

from imagineo import AsyncImagineoAIClient, ImagineoAIClient

MODES = ("sync", "async")
API_KEY = "sk-test-SECRET-0123456789"
EXAMPLES_PATH = ("paths", "/api/v1/runs/generate", "post", "requestBody", "content", "application/json", "examples")


def generate(mode: str, client_kwargs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
    """Build a client of the given kind, make one generate call, close it, return the result (or raise)."""
    client_kwargs = {"api_key": API_KEY, **client_kwargs}
    if mode == "sync":
        with ImagineoAIClient(**client_kwargs) as client:
            return client.images.generate(*args, **kwargs)

    async def run() -> Any:
        async with AsyncImagineoAIClient(**client_kwargs) as client:
            return await client.images.generate(*args, **kwargs)

    return asyncio.run(run())


def seed_examples(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    node: Any = spec
    for key in EXAMPLES_PATH:
        node = node[key]
    return {name: ex["value"] for name, ex in node.items()}
