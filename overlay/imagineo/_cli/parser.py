"""The command's argument parser: a usage error names the subcommand it happened in and the nearest spelling.

argparse hands the arguments a subcommand does not know back to the top-level parser, which reports them with the
*top-level* usage (``imagineo [-h] [--version] COMMAND ...``) and no hint. `CommandParser` reports them where they
were given, with that subcommand's usage, and suggests the closest option (``imagineo generate ... --heigth 512``:
``imagineo generate: error: unrecognized arguments: --heigth 512; did you mean --height?``), or the closest
subcommand for an unknown one. The exit status stays argparse's 2.
"""

from __future__ import annotations

import argparse
import difflib
import re
from collections.abc import Sequence
from typing import Any, NoReturn

__all__ = ["CommandParser", "ParagraphFormatter"]

_INVALID_CHOICE = re.compile(r"invalid choice: '([^']*)'")


class ParagraphFormatter(argparse.HelpFormatter):
    """argparse's formatter, keeping the blank lines between a description's paragraphs (the spec's texts)."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n\n".join(super(ParagraphFormatter, self)._fill_text(p, width, indent) for p in text.split("\n\n"))


class CommandParser(argparse.ArgumentParser):
    """An ArgumentParser whose unknown arguments are an error of the subcommand that got them, with a suggestion."""

    def parse_known_args(self, *args: Any, **kwargs: Any) -> Any:  # argparse's overloads, unchanged
        parsed, extras = super().parse_known_args(*args, **kwargs)
        if extras and not self._subcommands():
            self.error(f"unrecognized arguments: {' '.join(extras)}{self._nearest_option(extras)}")
        return parsed, extras

    def error(self, message: str) -> NoReturn:
        match = _INVALID_CHOICE.search(message)
        if match:
            close = difflib.get_close_matches(match.group(1), self._subcommands(), n=1)
            if close:
                message += f"; did you mean {close[0]}?"
        super().error(message)

    def _subcommands(self) -> list[str]:
        choices: list[str] = []
        for action in self._actions:
            if action.nargs == argparse.PARSER and isinstance(action.choices, dict):  # add_subparsers()
                choices.extend(action.choices)
        return choices

    def _nearest_option(self, extras: Sequence[str]) -> str:
        known = [flag for flag in self._option_string_actions if flag.startswith("--")]
        hints: list[str] = []
        for token in extras:
            if not token.startswith("--"):
                continue
            close = difflib.get_close_matches(token.split("=", 1)[0], known, n=1)
            if close and close[0] not in hints:
                hints.append(close[0])
        return f"; did you mean {' or '.join(hints)}?" if hints else ""
