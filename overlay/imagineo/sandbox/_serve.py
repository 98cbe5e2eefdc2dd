"""``imagineo sandbox``: run the server in the foreground, say where it listens, stop on Ctrl-C or SIGTERM."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from .._base_client import (
    is_loopback as _is_loopback,
)  # the SDK's rule for what counts as loopback, applied to the listen address
from ._server import DEFAULT_HOST, SandboxServer

__all__ = ["DEFAULT_PORT", "serve"]

#: Prism's default port: the spec's other mock server.
DEFAULT_PORT = 4010


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
    """Run the sandbox in the foreground until Ctrl-C or SIGTERM (what ``imagineo sandbox`` does): both stop it
    gracefully (answers in flight finish); after SIGTERM the process then ends by that signal, as uvicorn does."""
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
            + (f"  rate limit: {server.rate_limit} per API key\n" if server.rate_limit else "")
            + (f"  answer cases: {len(server.answers)} from {server.answers.path}\n" if server.answers else "")
            + f"  try:  IMAGINEO_API_URL={server.url} IMAGINEO_API_KEY={key_hint} imagineo generate 'A cat'\n"
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
