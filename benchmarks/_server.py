"""The loopback server the round-trip and fan-out benchmarks share: uvicorn (h11) on 127.0.0.1, one fixed answer.

Run as a subprocess by bench.py: ``python benchmarks/_server.py`` binds a free port on 127.0.0.1, prints it on the
first line of stdout, then serves until killed. Every request, whatever its path, is read to the end and answered
200 with a JSON body: the spec's GenerateImageOutput example, or an OpenAI ImagesResponse under ``/v1/images/``.
Nothing here is clever on purpose: the same cheap answer for every contender, so the client is what differs.
"""

from __future__ import annotations

import json
import socket
import sys
from typing import Any

import uvicorn

IMAGINEO_BODY = json.dumps(
    {"image_url": "https://cdn.imagineo.example.com/runs/r_8f2a/0.png", "run_id": "r_8f2a", "model_type": "flux-dev"}
).encode()
OPENAI_BODY = json.dumps({"created": 1700000000, "data": [{"url": "https://cdn.example.com/a.png"}]}).encode()


def _headers(body: bytes) -> list[tuple[bytes, bytes]]:
    return [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    body = OPENAI_BODY if scope["path"].startswith("/v1/images/") else IMAGINEO_BODY
    await send({"type": "http.response.start", "status": 200, "headers": _headers(body)})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted sockets only then (else every answer waits ~40 ms
    # for a delayed ACK between its header and body writes).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(
        app, http="h11", loop="asyncio", lifespan="off", log_level="warning", access_log=False, backlog=2048
    )
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    sys.exit(main())
