"""Checks on what a caller passes, so that nothing unusable reaches httpx or the model rules.

Each bad value is an ImagineoValidationError (a ValueError) naming the argument, before anything is sent; values
are shown with `safe_repr` (never raising, never long), and header values not at all. Hostile values (nested
10^5 deep, a str subclass with its own __eq__, a __repr__ that raises) never surface as a raw RecursionError or
whatever their methods raise.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import httpx

from ._exceptions import FieldError, ImagineoError, ImagineoValidationError, safe_repr

MAX_INPUT_DEPTH = 32  # no field of any model nests more than two levels


def _invalid(field: str, message: str) -> ImagineoValidationError:
    return ImagineoValidationError(None, [FieldError(field=field, message=message)])


def check_retries(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ImagineoError(f"max_retries must be an integer >= 0, got {safe_repr(value)}")
    return value


def _seconds_ok(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def check_timeout(value: object, field: str = "timeout") -> Any:
    """httpx's timeout: seconds (a finite number > 0) for each operation, an httpx.Timeout of those, or None (no
    limit). Anything else would be a ValueError or TypeError from deep inside httpx, or a retried timeout."""
    if value is None:
        return None
    if isinstance(value, httpx.Timeout):
        parts = value.as_dict()
        bad = [name for name, part in parts.items() if part is not None and not _seconds_ok(part)]
        if not bad:
            return value
        shown = ", ".join(f"{name}={safe_repr(parts[name])}" for name in bad)
        raise _invalid(field, f"each part of an httpx.Timeout must be a number of seconds > 0 or None; got {shown}")
    if not _seconds_ok(value):
        raise _invalid(
            field,
            "must be a finite number of seconds > 0, an httpx.Timeout, or None for no limit; "
            f"got {safe_repr(value)} ({type(value).__name__})",
        )
    return value


def check_attempt_timeout(value: object) -> float | None:
    if value is not None and not _seconds_ok(value):
        raise _invalid(
            "attempt_timeout",
            f"must be a finite number of seconds > 0, or None for no total limit; got {safe_repr(value)}",
        )
    return None if value is None else float(value)  # type: ignore[arg-type]


def check_max_response_bytes(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _invalid("max_response_bytes", f"must be an integer number of bytes >= 1; got {safe_repr(value)}")
    return value


def check_idempotency_key(value: object) -> str:
    """The spec's Idempotency-Key: 1 to 255 characters; it travels in a header, so printable ASCII."""
    if isinstance(value, str):
        value = str.__str__(value)  # a plain str: a subclass's own __eq__ or __len__ cannot run
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= 255
        or value != value.strip()  # a header value cannot start or end with white space
        or not all(" " <= c <= "~" for c in value)
    ):
        shown = safe_repr(value, 44)
        raise ImagineoValidationError(
            None,
            [FieldError(field="idempotency_key", message=f"must be 1 to 255 printable ASCII characters; got {shown}")],
        )
    return value


_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})


def plain_fields(fields: Mapping[str, Any]) -> Mapping[str, Any]:
    items = list(fields.items())
    if all(type(k) is str and type(v) in _PLAIN_TYPES for k, v in items):
        return fields  # the usual call: nothing to convert
    return {_plain_key(k): _plain(v, _plain_key(k), 1) for k, v in items}


def _plain_key(key: object) -> Any:
    return str.__str__(key) if isinstance(key, str) else key


def _plain(value: Any, field: str, depth: int) -> Any:
    """`value` with str subclasses made plain str and containers copied, refusing nesting past MAX_INPUT_DEPTH."""
    kind = type(value)
    if kind in _PLAIN_TYPES:
        return value
    if isinstance(value, str):
        return str.__str__(value)
    if kind is list or kind is tuple or isinstance(value, Mapping):
        if depth >= MAX_INPUT_DEPTH:
            raise _invalid(str(field), f"is nested more than {MAX_INPUT_DEPTH} levels deep")
        if isinstance(value, Mapping):
            return {_plain_key(k): _plain(v, field, depth + 1) for k, v in value.items()}
        return kind(_plain(v, field, depth + 1) for v in value)
    return value


def check_headers(headers: Mapping[str, str] | None, field: str) -> dict[str, str]:
    """Header names and values as plain str that httpx can encode (ASCII); values are never echoed."""
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise _invalid(field, f"must be a mapping of header names to values; got {type(headers).__name__}")
    checked: dict[str, str] = {}
    try:
        items = list(headers.items())
    except Exception as exc:
        raise _invalid(field, f"could not be read ({type(exc).__name__})") from exc
    for name, value in items:
        if not isinstance(name, str) or not isinstance(value, str):
            raise _invalid(field, f"names and values must be str; got {type(name).__name__}: {type(value).__name__}")
        name, value = str.__str__(name), str.__str__(value)
        if not name.isascii() or not value.isascii():
            raise _invalid(
                f"{field}[{safe_repr(name, 40) if name.isascii() else 'a non-ASCII name'}]",
                "a header name and value must be ASCII (HTTP cannot carry other characters there); the value is "
                "not shown",
            )
        checked[name] = value
    return checked


def check_extra_body(extra_body: Mapping[str, Any]) -> dict[str, Any]:
    """extra_body as a dict that json encodes: str keys, finite numbers, nesting within MAX_INPUT_DEPTH."""
    if not isinstance(extra_body, Mapping):
        raise _invalid("extra_body", f"must be a mapping; got {type(extra_body).__name__}")
    try:
        body = _plain(extra_body, "extra_body", 1)
        json.dumps(body, allow_nan=False)
    except ImagineoError:
        raise
    except RecursionError:
        raise _invalid("extra_body", "is nested too deeply") from None
    except (ValueError, TypeError) as exc:
        raise _invalid("extra_body", f"must be JSON: {exc}") from None
    except Exception as exc:
        raise _invalid("extra_body", f"could not be read ({type(exc).__name__})") from exc
    return body  # type: ignore[no-any-return]


def check_extra_query(query: Mapping[str, Any]) -> dict[str, str | int | float | bool]:
    """Query parameters as scalar values httpx can put in a URL (str keys; str, int, float or bool values)."""
    if not isinstance(query, Mapping):
        raise _invalid("extra_query", f"must be a mapping of names to values; got {type(query).__name__}")
    checked: dict[str, str | int | float | bool] = {}
    for name, value in list(query.items()):
        if not isinstance(name, str) or not isinstance(value, str | int | float | bool):
            raise _invalid(
                "extra_query", f"names must be str and values str, int, float or bool; got {safe_repr(name, 40)}"
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise _invalid(f"extra_query[{safe_repr(name, 40)}]", f"must be a finite number; got {value!r}")
        checked[str.__str__(name)] = str.__str__(value) if isinstance(value, str) else value
    return checked
