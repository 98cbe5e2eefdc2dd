"""The ``generate`` options, derived from the overlay's model table, and how their values are typed.

There is no second hand-written list of fields: every field of every model type in
`imagineo._models.fields_by_model()` (read from the generated validation models, the ones `prepare()` validates
with) becomes one option, so a field added to openapi/imagineo.yaml becomes an option after ``make generate``.

Naming: the field ``aspect_ratio`` is ``--aspect-ratio`` (underscores become hyphens). ``prompt`` is the positional
PROMPT and ``model_type`` is ``--model`` (``--model-type`` works too). An alias in `imagineo._models.ALIASES` gets
its own spelling of the same option (``--reference-url`` for ``--reference-image-url``). A field whose option would
collide with one of the command's own options (``--output``, ``--json``...) is spelled ``--field-<name>``.

Typing: values are typed the way the spec types the field, so the body is what the API expects:

* ``integer`` fields: a whole number in plain decimal (``512``, ``-1``) becomes an ``int``;
* ``number`` fields: a decimal or exponent number (``0.7``, ``7``, ``1e-3``) becomes a finite ``float``;
* every other field (strings, enums such as ``16:9``, UUIDs, URLs) is passed as the string typed;
* ``array`` fields (``image_urls``) are repeatable options: ``--image-urls A --image-urls B`` is ``[A, B]``.

A value that does not parse as its type (``--width abc``, ``--width 512.0``, ``--guidance nan``) is passed on as the
string typed, so the overlay's validation rejects it with its usual message naming the field and the rule
(``width: must be an integer; got 'abc'``), together with any other problem in the call. Ranges, enums, required
fields and fields a model does not take are checked by the overlay alone, never here.
"""

from __future__ import annotations

import argparse
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._models import ALIASES, FieldSpec, fields_by_model

__all__ = ["MODEL_FIELD", "POSITIONAL_FIELD", "FieldOption", "collect_fields", "field_options", "parse_value"]

POSITIONAL_FIELD = "prompt"
MODEL_FIELD = "model_type"

#: The generate command's own options: a field never takes one of these spellings.
RESERVED_FLAGS = frozenset(
    {
        "--help",
        "--model",
        "--model-type",
        "--output",
        "--json",
        "--api-url",
        "--api-key",
        "--timeout",
        "--attempt-timeout",
        "--max-retries",
        "--idempotency-key",
        "--header",
        "--allow-insecure-http",
    }
)

_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


@dataclass(frozen=True)
class FieldOption:
    """One generate option: the field it sets and what the model table says about it."""

    field: str
    flags: tuple[str, ...]
    dest: str
    kind: str  # "integer", "number", "string", "enum", "array"
    models: tuple[str, ...]  # the model types that take the field
    required_by: tuple[str, ...]
    help: str

    @property
    def repeatable(self) -> bool:
        return self.kind == "array"


def option_flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _merge_kind(kinds: set[str]) -> str:
    if len(kinds) == 1:
        return next(iter(kinds))
    if kinds <= {"integer", "number"}:
        return "number"
    return "string"


def _fmt(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def describe_range(spec: FieldSpec) -> str:
    """'64 to 2048', '>= 0', 'one of 1:1, 16:9', '2 to 4 items', or ''."""
    if spec.min_items is not None or spec.max_items is not None:
        lo, hi = spec.min_items, spec.max_items
        if lo is not None and hi is not None:
            return f"{lo} to {hi} items"
        return f"at least {lo} items" if lo is not None else f"at most {hi} items"
    if spec.choices and spec.type != "const":
        return "one of " + ", ".join(spec.choices)
    if spec.minimum is not None and spec.maximum is not None:
        return f"{_fmt(spec.minimum)} to {_fmt(spec.maximum)}"
    if spec.minimum is not None:
        return f">= {_fmt(spec.minimum)}"
    if spec.maximum is not None:
        return f"<= {_fmt(spec.maximum)}"
    return ""


def _help(name: str, entries: Sequence[tuple[str, FieldSpec]]) -> str:
    descriptions = Counter(" ".join(spec.description.split()) for _, spec in entries)
    text = descriptions.most_common(1)[0][0] or name  # the wording most models share
    ranges = {describe_range(spec) for _, spec in entries}
    if len(ranges) == 1:
        (only,) = ranges
        if only.startswith("one of") and len(only) > 60:
            only = "see `imagineo models`"
        if only and only not in text:
            text += f" [{only}]"
    elif ranges - {""}:
        text += " [depends on the model: see `imagineo models`]"
    models = ", ".join(m + ("*" if spec.required else "") for m, spec in entries)
    defaults = {m: _fmt(spec.default) for m, spec in entries if spec.default is not None}
    extra = ""
    if defaults and len(set(defaults.values())) == 1 and len(defaults) == len(entries):
        extra = f"; default {next(iter(defaults.values()))}"
    elif defaults:
        extra = "; default " + ", ".join(f"{value} for {model}" for model, value in defaults.items())
    return f"{text} (models: {models}{extra})".replace("%", "%%")


def field_options(table: Mapping[str, Mapping[str, FieldSpec]] | None = None) -> list[FieldOption]:
    """One option per field of any model type, in the order fields first appear in the table (the spec's order)."""
    table = fields_by_model() if table is None else table
    merged: dict[str, list[tuple[str, FieldSpec]]] = {}
    for model, specs in table.items():
        for name, spec in specs.items():
            if name not in (POSITIONAL_FIELD, MODEL_FIELD):
                merged.setdefault(name, []).append((model, spec))
    options = []
    for name, entries in merged.items():
        flag = option_flag(name)
        if flag in RESERVED_FLAGS:
            flag = option_flag("field_" + name)
        aliases = tuple(
            option_flag(alias)
            for alias, target in ALIASES.items()
            if target == name and option_flag(alias) not in RESERVED_FLAGS
        )
        options.append(
            FieldOption(
                field=name,
                flags=(flag, *aliases),
                dest="field__" + name,
                kind=_merge_kind({spec.type for _, spec in entries}),
                models=tuple(m for m, _ in entries),
                required_by=tuple(m for m, spec in entries if spec.required),
                help=_help(name, entries),
            )
        )
    return options


_METAVARS = {"integer": "N", "number": "X", "enum": "CHOICE"}


def add_field_options(parser: argparse.ArgumentParser, options: Sequence[FieldOption]) -> None:
    group = parser.add_argument_group(
        "model fields",
        "One option per field of every model type (from the spec; `imagineo models` shows which model takes which, "
        "* marks required). Values are checked by the SDK's validation before anything is sent.",
    )
    for opt in options:
        metavar = "URL" if "url" in opt.field else _METAVARS.get(opt.kind, "TEXT")
        group.add_argument(
            *opt.flags,
            dest=opt.dest,
            metavar=metavar,
            action="append" if opt.repeatable else "store",
            help=opt.help + (" Repeat for each item." if opt.repeatable else ""),
        )


def parse_value(kind: str, raw: str) -> object:
    """The value typed as the spec types the field; a value that does not parse is returned as given (see above)."""
    text = raw.strip()
    if kind == "integer" and _INTEGER.fullmatch(text):
        return int(text)
    if kind == "number" and _NUMBER.fullmatch(text):
        value = float(text)
        return value if math.isfinite(value) else raw
    return raw


def collect_fields(args: argparse.Namespace, options: Sequence[FieldOption]) -> dict[str, Any]:
    """The generate call's fields from parsed arguments: only what was given (the overlay fills the defaults)."""
    fields: dict[str, Any] = {POSITIONAL_FIELD: args.prompt}
    if args.model is not None:
        fields[MODEL_FIELD] = args.model
    for opt in options:
        value = getattr(args, opt.dest)
        if value is None:
            continue
        fields[opt.field] = (
            [parse_value("string", v) for v in value] if opt.repeatable else parse_value(opt.kind, value)
        )
    return fields
