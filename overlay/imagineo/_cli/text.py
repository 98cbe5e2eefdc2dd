"""Text from elsewhere (the server, an input file, a URL), made safe to print on a terminal.

`printable` escapes every character that could drive a terminal or fake what it shows, so a server cannot clear
the screen, set the window title, hide text or fake an ``imagineo:`` line with what it answers:

* C0 controls (ESC, CR, BEL, backspace...) but tab, and newline where the caller allows it; DEL and the C1 controls
  (``\\x9b`` is a one-byte CSI on many terminals);
* the bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069, and the marks U+200E, U+200F, U+061C),
  which reorder what is shown ("Trojan Source");
* lone surrogates (``"\\ud800"`` in a JSON string), which are not Unicode text and cannot be written as UTF-8: an
  unescaped one makes ``print`` raise.

Each becomes ``\\uXXXX``: visible, lossless, and a valid JSON escape, so JSON output stays JSON.
"""

from __future__ import annotations

import re

__all__ = ["printable"]

_UNSAFE = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE_IN_TEXT = re.compile(f"[{_UNSAFE}]")
_UNSAFE_IN_LINE = re.compile(f"[\n{_UNSAFE}]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def printable(text: str, *, newlines: bool = True) -> str:
    """`text` with control, bidi-override and lone-surrogate characters escaped (newlines kept if `newlines`)."""
    pattern = _UNSAFE_IN_TEXT if newlines else _UNSAFE_IN_LINE
    return pattern.sub(_escape, text)
