"""Images: the PNGs the sandbox serves at ``/images/<digest>-<W>x<H>.png``, and the URLs a run answers with.

A URL fully decides its image (``digest`` is 20 hex digits of the SHA-256 of the canonical request body and the
image's index), so the same request gives the same URL and bytes, and URLs stay valid across restarts. The PNGs are
written with zlib and struct from the standard library: a coloured mosaic, no Pillow.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import struct
import threading
import zlib
from collections.abc import Mapping
from typing import Any

from ._limits import MAX_RENDERS

__all__ = ["DEFAULT_SIZE", "IMAGE_PATH", "MAX_IMAGE_SIDE", "canonical", "image_size", "image_urls", "render_png"]

DEFAULT_SIZE = 1024
MAX_IMAGE_SIDE = 4096
IMAGE_PATH = re.compile(r"/images/([0-9a-f]{20})-([0-9]{1,4})x([0-9]{1,4})\.png")


def canonical(value: object) -> str:
    """The canonical JSON of a request body: what idempotency compares and image digests hash."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


_RENDERING = threading.BoundedSemaphore(MAX_RENDERS)


@functools.lru_cache(maxsize=32)
def render_png(digest: str, width: int, height: int) -> bytes:
    """A width x height RGB PNG decided by `digest` alone: a mosaic of four colours over a vertical fade.

    Written row by row into the compressor, so a 4096x4096 picture costs its compressed size (about 100 KiB), not
    the 48 MiB of its pixels; at most `MAX_RENDERS` are rendered at once (the others wait), and the last 32 are
    kept."""
    with _RENDERING:
        return _render(digest, width, height)


def _render(digest: str, width: int, height: int) -> bytes:
    seed = hashlib.sha256(digest.encode()).digest()
    palette = [tuple(seed[i : i + 3]) for i in range(0, 12, 3)]
    cell = max(4, min(width, height) // 8)
    columns = -(-width // cell)
    compressor = zlib.compressobj(6)
    parts: list[bytes] = []
    for y in range(height):
        cy = y // cell
        fade = 0.55 + 0.45 * (y / max(height - 1, 1))
        segments = []
        for cx in range(columns):
            r, g, b = palette[seed[(cx * 7 + cy * 13) % 32] % 4]
            segments.append(bytes((int(r * fade), int(g * fade), int(b * fade))) * cell)
        parts.append(compressor.compress(b"\x00" + b"".join(segments)[: width * 3]))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"tEXt", b"Software\x00imagineo sandbox"),
            _chunk(b"IDAT", b"".join(parts)),
            _chunk(b"IEND", b""),
        )
    )


def image_size(body: Mapping[str, Any]) -> tuple[int, int]:
    """(width, height): the request's, one alone making a square; else from aspect_ratio (long side 1024)."""
    width, height = body.get("width"), body.get("height")
    if isinstance(width, int) or isinstance(height, int):
        w = width if isinstance(width, int) else height
        h = height if isinstance(height, int) else width
        assert isinstance(w, int)
        assert isinstance(h, int)
        return w, h
    ratio = body.get("aspect_ratio")
    if isinstance(ratio, str) and re.fullmatch(r"\d+:\d+", ratio):
        a, b = (int(x) for x in ratio.split(":"))
        if a >= b:
            return DEFAULT_SIZE, max(1, round(DEFAULT_SIZE * b / a))
        return max(1, round(DEFAULT_SIZE * a / b)), DEFAULT_SIZE
    return DEFAULT_SIZE, DEFAULT_SIZE


def image_urls(base: str, body: Mapping[str, Any]) -> list[str]:
    """The URLs of a run's images: one, or WAN Image 2.2's ``batch_size``."""
    width, height = image_size(body)
    count = body.get("batch_size", 1) if isinstance(body.get("batch_size"), int) else 1
    fingerprint = canonical(body)
    urls = []
    for index in range(count):
        digest = hashlib.sha256(f"{fingerprint}#{index}".encode()).hexdigest()[:20]
        urls.append(f"{base}/images/{digest}-{width}x{height}.png")
    return urls
