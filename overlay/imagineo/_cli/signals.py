"""SIGTERM and SIGHUP end ``imagineo generate`` and ``imagineo batch`` the way Ctrl-C (SIGINT) does.

Without this, either signal kills the process where it stands: no ``finally`` runs, so a download's temporary
``.imagineo-*.part`` files (up to 64 MiB each) stay behind. With it:

* in synchronous code (``generate``), the signal raises `Terminated`, a KeyboardInterrupt, in the main thread:
  every ``finally`` and ``with`` on the way out runs, exactly as for Ctrl-C (the download removes its temporary
  files, the client closes its connections);
* while an event loop runs the command (``batch``), the signal cancels the command's main task instead
  (`cancelling`), as ``asyncio.run`` does for Ctrl-C: every request and download in flight is cancelled and cleans
  up, RESULTS and its journal keep only whole lines, and `raise_if_signalled` turns the cancellation into
  `Terminated` once the loop has finished;
* the command exits with status 128 + the signal's number (143 for SIGTERM, 129 for SIGHUP), the shell's
  convention for "ended by that signal"; Ctrl-C stays 130.

A second SIGTERM or SIGHUP while the command cleans up is ignored, so a supervisor's repeated TERM does not cut the
clean-up short (SIGKILL still ends the process at once). The previous handlers are restored when the command
returns. Signal handlers can only be set from the main thread: called from another thread, `handled` does nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

__all__ = ["SIGNALS", "Terminated", "cancelling", "handled", "raise_if_signalled"]

#: The signals handled like SIGINT (SIGHUP does not exist on Windows).
SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Terminated(KeyboardInterrupt):
    """The command was asked to stop by `signum` (SIGTERM or SIGHUP); handled wherever Ctrl-C is."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class _State:
    received: int | None = None  # the first signal received while `handled` was active
    cancel: Callable[[], None] | None = None  # set while an event loop runs the command


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _State.received is not None:
        return  # already stopping: let the clean-up finish
    _State.received = signum
    if _State.cancel is not None:
        _State.cancel()
        return
    raise Terminated(signum)


@contextlib.contextmanager
def handled() -> Iterator[None]:
    """SIGTERM and SIGHUP raise `Terminated` (or cancel the running command, see `cancelling`) inside the block."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[signal.Signals, Any] = {}
    _State.received, _State.cancel = None, None
    try:
        for signum in SIGNALS:
            previous[signum] = signal.signal(signum, _on_signal)
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _State.cancel = None


@contextlib.contextmanager
def cancelling(task: asyncio.Task[Any]) -> Iterator[None]:
    """Inside the block (run by `task`, in the main thread's event loop), SIGTERM and SIGHUP cancel `task`."""
    loop = asyncio.get_running_loop()

    def cancel() -> None:
        loop.call_soon_threadsafe(task.cancel)

    _State.cancel = cancel
    try:
        yield
    finally:
        _State.cancel = None


def raise_if_signalled() -> None:
    """After the event loop: `Terminated` if a signal cancelled the command (call it where CancelledError was
    caught; it returns otherwise, for the caller to re-raise)."""
    if _State.received is not None:
        raise Terminated(_State.received)
