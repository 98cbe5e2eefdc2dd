"""The client's own API key, kept out of everything a server sends back and every message built from it.

A server or proxy that echoes the ``Authorization`` header gets the key (alone, in its ``Bearer`` form, or
percent-encoded) replaced by `REDACTED`: in an answer's body bytes and headers before anything reads them
(`redact_response`, run by the transport on every answer), and again in every exception's message, body and request
id (`redact`, `redact_value`, used by `_exceptions`). Only the client's own key is known here; the forms of one
Authorization value are worked out once (a client sends the same value on every request).
"""

from __future__ import annotations

import functools
from typing import Any

import httpx

__all__ = ["REDACTED", "leaks", "redact", "redact_response", "redact_value", "secrets_of_request"]

REDACTED = "[REDACTED]"


def secrets_of_request(request: httpx.Request | None) -> tuple[str, ...]:
    """What to redact for a request: its Authorization header's token (the key) and the header value whole."""
    if request is None:
        return ()
    try:
        auth = request.headers.get("authorization")
    except Exception:
        return ()
    if not auth:
        return ()
    return _secrets_of(auth)


@functools.lru_cache(maxsize=8)
def _secrets_of(auth: str) -> tuple[str, ...]:
    """The forms of one Authorization value to redact, longest first (cached: a client sends the same one each time)."""
    token = auth.partition(" ")[2].strip() or auth.strip()
    found = {auth, token}
    from urllib.parse import quote

    found.add(quote(token, safe=""))  # as a proxy might echo it inside a URL
    return tuple(sorted((s for s in found if s), key=len, reverse=True))


def leaks(text: str, request: httpx.Request | None) -> bool:
    """Whether `text` contains the key `request` was sent with."""
    return any(secret in text for secret in secrets_of_request(request))


def redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact_value(value: object, secrets: tuple[str, ...]) -> Any:
    """`value` (parsed JSON) with every string redacted; iterative, so any depth json can parse is fine."""
    if not secrets:
        return value
    if isinstance(value, str):
        return redact(value, secrets)
    if not isinstance(value, dict | list):
        return value
    root: list[Any] = [value]
    stack: list[tuple[Any, Any]] = [(root, 0)]
    while stack:
        holder, key = stack.pop()
        item = holder[key]
        if isinstance(item, str):
            holder[key] = redact(item, secrets)
        elif isinstance(item, dict):
            copy = dict(item)
            holder[key] = copy
            stack.extend((copy, k) for k in list(copy))
            for k in [k for k in copy if isinstance(k, str) and any(s in k for s in secrets)]:
                copy[redact(k, secrets)] = copy.pop(k)
        elif isinstance(item, list):
            copy_list = list(item)
            holder[key] = copy_list
            stack.extend((copy_list, i) for i in range(len(copy_list)))
    return root[0]


def redact_response(response: httpx.Response) -> None:
    """Replace the client's key in a read response's body bytes and header values (in place)."""
    try:
        secrets = secrets_of_request(response.request)
    except RuntimeError:  # a response built without a request
        return
    if not secrets:
        return
    wanted = [s.encode() for s in secrets]
    content = response.content
    if any(s in content for s in wanted):
        for s in wanted:
            content = content.replace(s, REDACTED.encode())
        response._content = content
    raw = response.headers.raw
    if any(s in v or s in k for k, v in raw for s in wanted):
        cleaned = []
        for k, v in raw:
            for s in wanted:
                k, v = k.replace(s, REDACTED.encode()), v.replace(s, REDACTED.encode())
            cleaned.append((k, v))
        response.headers = httpx.Headers(cleaned)
