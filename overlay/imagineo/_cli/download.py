"""``generate --output FILE``: download the image atomically.

The bytes go to a temporary file beside FILE (``.FILE.<random>.part``, same directory, so the rename stays on one
file system), are flushed and fsynced, checked against Content-Length, and only then renamed over FILE with
`os.replace`. On any error, Ctrl-C included, the temporary file is removed: FILE is either the whole image or
untouched. The image URL is fetched without the API key (it may be a CDN's), following redirects.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import httpx

__all__ = ["DownloadError", "check_destination", "download"]


class DownloadError(Exception):
    """The image could not be downloaded (the message says why)."""


def check_destination(path: Path) -> str | None:
    """Why `path` cannot be written (checked before the run is paid for), or None."""
    if path.is_dir():
        return f"--output {path} is a directory; give a file name"
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        return f"--output {path}: the directory {parent} does not exist"
    if not os.access(parent, os.W_OK):
        return f"--output {path}: the directory {parent} is not writable"
    return None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def download(
    url: str,
    dest: Path,
    *,
    timeout: float = 120.0,
    on_start: Callable[[int | None], None] | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> int:
    """Save `url` to `dest` atomically; returns the number of bytes. Raises DownloadError."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, UnicodeError):
        raise DownloadError(f"cannot download {url!r}: not a valid URL") from None
    if parsed.scheme not in ("http", "https"):
        raise DownloadError(f"cannot download {url!r}: not an http(s) URL")
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    size = 0
    try:
        with os.fdopen(fd, "wb") as fh:
            with (
                httpx.Client(timeout=httpx.Timeout(timeout, connect=10.0), follow_redirects=True) as http,
                http.stream("GET", url) as response,
            ):
                if response.status_code != 200:
                    raise DownloadError(f"downloading {url} failed: HTTP {response.status_code}")
                length = response.headers.get("content-length")
                total = int(length) if length and length.isdigit() else None
                if on_start is not None:
                    on_start(total)
                for chunk in response.iter_bytes():
                    fh.write(chunk)
                    size += len(chunk)
                    if on_chunk is not None:
                        on_chunk(len(chunk))
            if total is not None and size != total:
                raise DownloadError(f"downloading {url} failed: got {size} of {total} bytes")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, dest)
    except httpx.HTTPError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise DownloadError(f"downloading {url} failed: {type(exc).__name__}: {exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return size
