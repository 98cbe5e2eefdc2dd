"""``--output`` and ``batch --download-dir``: the command's side of a resource's ``download`` (``client.images``).

The download itself (every image of the result, atomically, without the API key, capped) is the library's
(`imagineo._download`); here are only the checks made before a run is paid for and the progress bar.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .ui import UI

__all__ = ["Downloads", "check_destination", "check_directory", "save"]


def check_destination(path: Path) -> str | None:
    """Why ``--output PATH`` cannot be written (checked before the run is paid for), or None."""
    if path.is_dir():
        return check_directory(path, "--output")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        return f"--output {path}: the directory {parent} does not exist"
    if not os.access(parent, os.W_OK):
        return f"--output {path}: the directory {parent} is not writable"
    return None


def check_directory(path: Path, option: str) -> str | None:
    """Why `path` is not a directory the images can be saved in, or None."""
    if not path.is_dir():
        return f"{option} {path}: no such directory"
    if not os.access(path, os.W_OK):
        return f"{option} {path}: the directory is not writable"
    return None


class Downloads(Protocol):
    """A resource whose results carry image URLs (``client.images``): it has ``download``."""

    def download(self, result: Any, dest: Path, *, progress: Callable[[int, int, int | None], None]) -> list[Path]: ...


def save(ui: UI, resource: Downloads, result: Any, dest: Path, count: int) -> list[Path]:
    """Download the `count` images of `result` to `dest` through `resource` (``client.images``), with a byte
    progress bar on a terminal; raises DownloadError."""
    several = count > 1
    label = f"Saving {count} images" if several else f"Saving {dest.name or dest}"
    shown = [0, -1]  # bytes already shown on the bar, the image they belong to

    with ui.transfer(label) as bar:

        def progress(index: int, done: int, total: int | None) -> None:
            if index != shown[1]:
                shown[1] = index
                if not several and done == 0:
                    bar.start(total)
                shown[0] = 0
            bar.advance(done - shown[0])
            shown[0] = done

        return resource.download(result, dest, progress=progress)
