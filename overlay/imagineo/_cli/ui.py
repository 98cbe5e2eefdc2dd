"""What the command shows: results on stdout, messages on stderr, and rich widgets only on a terminal.

stdout carries only the result (image URLs, JSON, the models table), so it can be piped. Messages and errors go to
stderr as plain lines (``imagineo: error: ...``). Everything printed, on either stream, goes through
`imagineo._cli.text.printable` first: server text (error messages, an ``image_url``) never reaches the terminal
with its control sequences. The spinner (with elapsed time) and the progress bars are drawn on
stderr when stderr is a terminal, and not at all otherwise: piped output has nothing extra in it.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .._exceptions import (
    MAX_EXCERPT,
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    excerpt,
)
from .text import printable

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

__all__ = [
    "EXIT_API",
    "EXIT_INTERRUPTED",
    "EXIT_INVALID_LINES",
    "EXIT_OK",
    "EXIT_USAGE",
    "UI",
    "describe_api_error",
    "print_result",
]

EXIT_OK = 0
EXIT_API = 1
EXIT_USAGE = 2
#: batch only: every valid input line is done, but some lines were invalid (not a usage error: the batch ran).
EXIT_INVALID_LINES = 3
EXIT_INTERRUPTED = 130


def print_result(text: str) -> None:
    """One result on stdout (a URL, JSON), escaped as `printable` says."""
    print(printable(text), flush=True)


class UI:
    """The terminal: stderr's rich console (for widgets) and plain-line messages."""

    def __init__(self) -> None:
        from rich.console import Console

        self.err: Console = Console(stderr=True, highlight=False)
        self.interactive = self.err.is_terminal

    def message(self, text: str, *, progress: Progress | None = None) -> None:
        """One line on stderr (above the live progress bar, when there is one), escaped as `printable` says."""
        text = printable(text)
        if progress is not None and self.interactive:
            progress.console.print(text, markup=False, highlight=False, soft_wrap=True)
        else:
            print(text, file=sys.stderr, flush=True)

    def error(self, text: str, *, progress: Progress | None = None) -> None:
        self.message(f"imagineo: error: {text}", progress=progress)

    @contextlib.contextmanager
    def spinner(self, text: str) -> Iterator[None]:
        """A spinner with elapsed time while the block runs (terminal only; it leaves no trace when done)."""
        if not self.interactive:
            yield
            return
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        with Progress(*columns, console=self.err, transient=True) as progress:
            progress.add_task(text, total=None)
            yield

    @contextlib.contextmanager
    def transfer(self, text: str) -> Iterator[Transfer]:
        """A byte progress bar (terminal only; a no-op otherwise): ``.start(total)`` then ``.advance(n)``."""
        if not self.interactive:
            yield Transfer(None, None)
            return
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=self.err, transient=True) as progress:
            yield Transfer(progress, progress.add_task(text, total=None))

    @contextlib.contextmanager
    def counter(self, text: str, total: int) -> Iterator[Progress | None]:
        """A progress bar over `total` items (terminal only); yields the rich Progress, or None off a terminal."""
        if not self.interactive or total == 0:
            yield None
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=self.err) as progress:
            progress.add_task(text, total=total, status="")
            yield progress


class Transfer:
    """The download bar's two callbacks (both do nothing off a terminal)."""

    def __init__(self, progress: Progress | None, task: Any) -> None:
        self._progress, self._task = progress, task

    def start(self, total: int | None) -> None:
        if self._progress is not None:
            self._progress.update(self._task, total=total)

    def advance(self, n: int) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, n)


def describe_api_error(exc: APIError) -> str:
    """One readable message: what failed, the status and the request id, and the server's details (never the key)."""
    if isinstance(exc, APIStatusError):
        body = exc.body
        detail = ""
        lines: list[str] = []
        if isinstance(body, dict):
            detail = _one_line(body.get("error") or body.get("message") or "")
            code = body.get("code")
            if code:
                detail += f" [{_one_line(code, 200)}]"
            details = body.get("details")
            items = [item for item in details if isinstance(item, dict)] if isinstance(details, list) else []
            for item in items[:MAX_DETAILS]:
                lines.append(f"  - {_one_line(item.get('field'), 200)}: {_one_line(item.get('message'), 500)}")
            if len(items) > MAX_DETAILS:
                lines.append(f"  ... and {len(items) - MAX_DETAILS} more (the whole answer is the error's .body)")
        elif isinstance(body, str):
            detail = _one_line(body.strip()[:200])
        text = f"the API answered {exc.status_code}" + (f": {detail}" if detail else "")
        text += f" (request id: {exc.request_id or 'none'})"
        return "\n".join([text, *lines])
    if isinstance(exc, APIResponseValidationError):
        return f"{_one_line(exc.message)} (status {exc.status_code}, request id: {exc.request_id or 'none'})"
    if isinstance(exc, APITimeoutError):
        return "timed out waiting for the API, after all retries (no status; raise --timeout for slow models)"
    if isinstance(exc, APIConnectionError):
        return f"could not reach the API, after all retries (no status): {_one_line(exc.message)}"
    return _one_line(exc.message)


#: The most ``details`` items of an error answer a message lists.
MAX_DETAILS = 20


def _one_line(value: object, limit: int = MAX_EXCERPT) -> str:
    """Server text inside one of our lines, at most `limit` characters: its newlines are escaped too, so it cannot
    start a line of its own."""
    return printable(excerpt(str(value), limit), newlines=False)
