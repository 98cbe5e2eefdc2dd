"""What an operation answers, and the resources the sandbox keeps between operations.

The rule, for every operation of the spec (no operation is named here):

1. **The answer** is the operation's first documented 2xx response (a 204 has no body). Its body starts as the
   response's first example (``examples``, else ``example``), else a value built from its schema (`build`:
   ``const``, ``default``, the first ``enum`` value or example, the smallest number allowed, required properties).
2. **URLs**: a top-level ``format: uri`` string is the first picture the sandbox serves for this request
   (`._images`), an array of them lists every picture when there is more than one (and is left out otherwise).
3. **Echo**: another top-level property of the answer that the request's body (or a path parameter) also has,
   with a value the answer's schema accepts, takes the request's value (``model_type``).
4. **Ids**: a top-level string property named ``id`` or ``*_id`` that was not echoed gets a new unique value (the
   example's prefix up to its first ``_`` kept: ``r_8f2a`` -> ``r_<12 hex digits>``). The answer is stored under
   each such (name, value) as a **resource** (at most `MAX_RUNS`, the oldest forgotten first).
5. **State**: an operation whose path names a parameter that some operation's answer carries as an id (rule 4,
   e.g. ``GET /api/v1/runs/{run_id}`` and ``run_id``) answers with the stored resource: the answer of rule 1 with
   the resource's fields laid over it; an id never given out (or forgotten) is the spec's 404 with the ``Error``
   body.
"""

from __future__ import annotations

import collections
import copy
import datetime as dt
import threading
import uuid
from collections.abc import Mapping
from typing import Any

from ._limits import MAX_RUNS
from ._validation import Operation, Spec

__all__ = ["Resources", "build", "id_fields", "shape", "stateful_names"]


def _is_id(name: str) -> bool:
    return name == "id" or name.endswith("_id")


def build(schema: Any, depth: int = 0) -> Any:
    """A value the schema accepts, from its own words where it has some."""
    if not isinstance(schema, dict) or depth > 8:
        return None
    for key in ("const", "default"):
        if key in schema:
            return copy.deepcopy(schema[key])
    if schema.get("enum"):
        return schema["enum"][0]
    if schema.get("examples"):
        return copy.deepcopy(schema["examples"][0])
    if "example" in schema:
        return copy.deepcopy(schema["example"])
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return build(schema[key][0], depth + 1)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = build(part, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    kind = schema.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {name: build(props.get(name, {}), depth + 1) for name in schema.get("required", [])}
    if kind == "array":
        return [build(schema.get("items", {}), depth + 1) for _ in range(int(schema.get("minItems", 0)))]
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0)) or 0
        value = low + (1 if "exclusiveMinimum" in schema and "minimum" not in schema else 0)
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return False
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "uuid":
            return str(uuid.uuid4())
        if fmt == "date-time":
            return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        if fmt == "date":
            return dt.date.today().isoformat()
        if fmt in ("uri", "url"):
            return "https://example.com/sandbox"
        return "s" * max(1, int(schema.get("minLength", 1)))
    return None


def first_example(media: Mapping[str, Any] | None) -> Any:
    if not media:
        return None
    examples = media.get("examples")
    if isinstance(examples, dict) and examples:
        first = next(iter(examples.values()))
        if isinstance(first, dict) and "value" in first:
            return copy.deepcopy(first["value"])
    if "example" in media:
        return copy.deepcopy(media["example"])
    return build(media.get("schema", {}))


def id_fields(op: Operation) -> list[str]:
    """The id properties (rule 4) of the operation's success answer."""
    _, media = op.success()
    props = ((media or {}).get("schema") or {}).get("properties", {})
    return [name for name, prop in props.items() if _is_id(name) and prop.get("type", "string") == "string"]


def stateful_names(spec: Spec) -> frozenset[str]:
    """The names some operation's answer carries as an id: a path parameter so named looks a resource up."""
    return frozenset(name for op in spec.operations for name in id_fields(op))


def shape(
    op: Operation, answer: Any, sources: Mapping[str, Any], urls: list[str], fresh: bool
) -> tuple[Any, dict[str, str]]:
    """(answer, ids): rules 2-4 applied to the answer of rule 1; `fresh`: give out new ids (rule 4)."""
    _, media = op.success()
    schema = (media or {}).get("schema") or {}
    props: dict[str, Any] = schema.get("properties", {}) if isinstance(schema, dict) else {}
    if not isinstance(answer, dict):
        return answer, {}
    ids: dict[str, str] = {}
    for name, prop in props.items():
        kind, fmt = prop.get("type"), prop.get("format")
        if kind == "string" and fmt in ("uri", "url") and urls:
            answer[name] = urls[0]
        elif kind == "array" and (prop.get("items") or {}).get("format") in ("uri", "url") and urls:
            if len(urls) > 1:
                answer[name] = list(urls)
            elif name not in schema.get("required", []):
                answer.pop(name, None)
            else:
                answer[name] = urls[:1]
        elif name in sources and _accepts(prop, sources[name]):
            answer[name] = copy.deepcopy(sources[name])
        elif fresh and _is_id(name) and kind in ("string", None):
            example = answer.get(name)
            prefix = example.split("_", 1)[0] + "_" if isinstance(example, str) and "_" in example else ""
            answer[name] = prefix + uuid.uuid4().hex[:12]
        if fresh and _is_id(name) and isinstance(answer.get(name), str):
            ids[name] = answer[name]
    return answer, ids


def _accepts(prop: Mapping[str, Any], value: object) -> bool:
    kind = prop.get("type")
    checks = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "array": list, "object": dict}
    if kind is None:
        return True
    expected = checks.get(kind) if isinstance(kind, str) else None
    return expected is not None and isinstance(value, expected)  # type: ignore[arg-type]


class Resources:
    """What operations gave out ids for (rule 4), by (name, value); at most `MAX_RUNS`, oldest forgotten first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: collections.OrderedDict[tuple[str, str], dict[str, Any]] = collections.OrderedDict()

    def forget(self) -> None:
        with self._lock:
            self._items.clear()

    def keep(self, ids: Mapping[str, str], resource: dict[str, Any]) -> None:
        with self._lock:
            for name, value in ids.items():
                self._items[(name, value)] = copy.deepcopy(resource)
            while len(self._items) > MAX_RUNS:
                self._items.popitem(last=False)

    def get(self, name: str, value: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._items.get((name, value))
            return copy.deepcopy(found) if found is not None else None
