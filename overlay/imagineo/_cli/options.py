"""The options of an operation's command, derived from the catalogue, and how their values are typed.

There is no second hand-written list of fields or parameters: every field of every model type
(``imagineo_api.catalog.FIELDS``), every field of an object request body (``catalog.BODIES``) and every parameter of
an operation (``catalog.OPERATIONS[...]["parameters"]``) becomes one argument, so what the spec adds becomes an
option after ``make generate``. Help texts are the spec's descriptions with the catalogue's ``range_text`` (the same
wording as MODELS.md), ``required``, ``deprecated`` and the default.

Naming: the field ``aspect_ratio`` is ``--aspect-ratio`` and the header parameter ``X-Imagineo-Project`` (Python name
``x_imagineo_project``) is ``--x-imagineo-project``: the Python name with underscores as hyphens. A path parameter
is positional (``run_id`` is RUN_ID). For the model-type union, ``prompt`` is the positional PROMPT and the model
type (``catalog.TAG_FIELD``) is ``--model`` (``--model-type`` works too); an alias in ``catalog.ALIASES`` gets its own
spelling of the same option (``--reference-url`` for ``--reference-image-url``). A parameter whose option would
collide with one of the command's own options (``--output``, ``--json``...) is spelled ``--param-<name>``, and a body
field colliding with those or with a parameter ``--field-<name>``.

Typing: values are typed the way the spec types the field, so the request is what the API expects:

* ``integer`` fields: a whole number in plain decimal (``512``, ``-1``) becomes an ``int``;
* ``number`` fields: a decimal or exponent number (``0.7``, ``7``, ``1e-3``) becomes a finite ``float``;
* ``boolean`` fields: ``true`` or ``false`` (any case) becomes a ``bool``;
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
from typing import Any, Protocol

from imagineo_api import catalog

__all__ = [
    "COMMAND_FLAGS",
    "MODEL_FIELD",
    "POSITIONAL_FIELD",
    "FieldOption",
    "add_field_options",
    "body_options",
    "collect_fields",
    "collect_values",
    "field_options",
    "option_flag",
    "param_options",
    "parse_value",
]

#: The model-type union's field given as the positional PROMPT, and the one given as ``--model``.
POSITIONAL_FIELD = "prompt"
MODEL_FIELD = catalog.TAG_FIELD

#: An operation command's own options: a parameter or a field never takes one of these spellings.
COMMAND_FLAGS = frozenset(
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
        "--header",
        "--allow-insecure-http",
    }
)

_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


@dataclass(frozen=True)
class FieldOption:
    """One argument: the body field or parameter (Python name) it sets, and what the catalogue says about it."""

    field: str
    flags: tuple[str, ...]  # empty for a positional (a path parameter)
    dest: str
    kind: str  # "integer", "number", "boolean", "string", "enum", "array"...
    help: str
    models: tuple[str, ...] = ()  # model-type fields: the model types that take the field
    required_by: tuple[str, ...] = ()
    item_kind: str = "string"  # an array's items

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


def _with_range(text: str, ranges: set[str]) -> str:
    if len(ranges) == 1:
        (only,) = ranges
        if only.startswith("one of") and len(only) > 60:
            only = "see `imagineo models`"
        if only and only not in text:
            text += f" [{only}]"
    elif ranges - {""}:
        text += " [depends on the model: see `imagineo models`]"
    return text


def _help(name: str, entries: Sequence[tuple[str, Mapping[str, Any]]]) -> str:
    descriptions = Counter(" ".join(str(info.get("description", "")).split()) for _, info in entries)
    text = descriptions.most_common(1)[0][0] or name  # the wording most models share
    text = _with_range(text, {str(info.get("range_text", "")) for _, info in entries})
    deprecated = [m for m, info in entries if info.get("deprecated")]
    if deprecated:
        text = (
            "(deprecated" + ("" if len(deprecated) == len(entries) else " for " + ", ".join(deprecated)) + ") " + text
        )
    models = ", ".join(m + ("*" if info["required"] else "") for m, info in entries)
    defaults = {m: _fmt(info["default"]) for m, info in entries if "default" in info}
    extra = ""
    if defaults and len(set(defaults.values())) == 1 and len(defaults) == len(entries):
        extra = f"; default {next(iter(defaults.values()))}"
    elif defaults:
        extra = "; default " + ", ".join(f"{value} for {model}" for model, value in defaults.items())
    return f"{text} (models: {models}{extra})".replace("%", "%%")


def _free_flag(name: str, prefix: str, taken: set[str]) -> str:
    flag = option_flag(name)
    return option_flag(prefix + name) if flag in taken else flag


def field_options(
    fields: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None, taken: frozenset[str] = COMMAND_FLAGS
) -> list[FieldOption]:
    """One option per field of any model type (``catalog.FIELDS``' form: model type -> field -> info), in the order
    fields first appear (the spec's); a flag in `taken` is spelled ``--field-<name>``."""
    fields = catalog.FIELDS if fields is None else fields
    merged: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
    for model, infos in fields.items():
        for name, info in infos.items():
            if name not in (POSITIONAL_FIELD, MODEL_FIELD):
                merged.setdefault(name, []).append((model, info))
    reserved = set(taken)
    options = []
    for name, entries in merged.items():
        flag = _free_flag(name, "field_", reserved)
        aliases = tuple(
            option_flag(alias)
            for alias, target in catalog.ALIASES.items()
            if target == name and option_flag(alias) not in reserved
        )
        options.append(
            FieldOption(
                field=name,
                flags=(flag, *aliases),
                dest="field__" + name,
                kind=_merge_kind({str(info["type"]) for _, info in entries}),
                help=_help(name, entries),
                models=tuple(m for m, _ in entries),
                required_by=tuple(m for m, info in entries if info["required"]),
                item_kind=_merge_kind({str(info.get("items", {}).get("type", "string")) for _, info in entries}),
            )
        )
    return options


def _one_help(info: Mapping[str, Any], where: str = "") -> str:
    text = _with_range(" ".join(str(info.get("description", "")).split()), {str(info.get("range_text", ""))})
    notes = [where] if where else []
    if info.get("required"):
        notes.append("required")
    if info.get("deprecated"):
        notes.append("deprecated")
    if "default" in info:
        notes.append(f"default {_fmt(info['default'])}")
    if notes:
        text += f" ({'; '.join(notes)})"
    return text.strip().replace("%", "%%")


def body_options(fields: Mapping[str, Mapping[str, Any]], taken: frozenset[str] = COMMAND_FLAGS) -> list[FieldOption]:
    """One option per field of an object request body (``catalog.BODIES[class]["fields"]``), in the spec's order."""
    return [
        FieldOption(
            field=name,
            flags=(_free_flag(name, "field_", set(taken)),),
            dest="field__" + name,
            kind=str(info["type"]),
            help=_one_help(info),
            item_kind=str(info.get("items", {}).get("type", "string")),
        )
        for name, info in fields.items()
    ]


def param_options(parameters: Sequence[Mapping[str, Any]]) -> list[FieldOption]:
    """One argument per parameter of an operation (``catalog.OPERATIONS[...]["parameters"]``): a path parameter is
    positional (no flags), a query or header parameter an option named after its Python name."""
    options = []
    for info in parameters:
        name = str(info["python_name"])
        path = info["location"] == "path"
        options.append(
            FieldOption(
                field=name,
                flags=() if path else (_free_flag(name, "param_", set(COMMAND_FLAGS)),),
                dest="param__" + name,
                kind=str(info["type"]),
                help=_one_help(
                    {**info, "required": info["required"] and not path}, f"{info['location']} {info['name']}"
                ),
                item_kind=str(info.get("items", {}).get("type", "string")),
            )
        )
    return options


_METAVARS = {"integer": "N", "number": "X", "enum": "CHOICE", "boolean": "true|false"}


def metavar(opt: FieldOption) -> str:
    if not opt.flags:
        return opt.field.upper()
    return "URL" if "url" in opt.field else _METAVARS.get(opt.kind, "TEXT")


class _ArgumentHolder(Protocol):
    """A parser or an argument group: what `add_options` adds to."""

    def add_argument(self, *args: Any, **kwargs: Any) -> Any: ...


def add_options(group: _ArgumentHolder, options: Sequence[FieldOption], *, repeat_hint: bool = True) -> None:
    """Add each option (or positional, for a path parameter) to `group`."""
    for opt in options:
        text = opt.help + (" Repeat for each item." if opt.repeatable and repeat_hint else "")
        if not opt.flags:
            group.add_argument(opt.dest, metavar=metavar(opt), help=text)
            continue
        group.add_argument(
            *opt.flags,
            dest=opt.dest,
            metavar=metavar(opt),
            action="append" if opt.repeatable else "store",
            help=text,
        )


def add_field_options(parser: argparse.ArgumentParser, options: Sequence[FieldOption]) -> None:
    """The model-type fields, in their own group of `parser`'s help."""
    group = parser.add_argument_group(
        "model fields",
        "One option per field of every model type (from the spec; `imagineo models` shows which model takes which, "
        "* marks required). Values are checked by the SDK's validation before anything is sent.",
    )
    add_options(group, options)


def parse_value(kind: str, raw: str) -> object:
    """The value typed as the spec types the field; a value that does not parse is returned as given (see above)."""
    text = raw.strip()
    if kind == "integer" and _INTEGER.fullmatch(text):
        return int(text)
    if kind == "number" and _NUMBER.fullmatch(text):
        value = float(text)
        return value if math.isfinite(value) else raw
    if kind == "boolean" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return raw


def collect_values(args: argparse.Namespace, options: Sequence[FieldOption]) -> dict[str, Any]:
    """Field or parameter name -> typed value, for the options given (an absent one is left out)."""
    values: dict[str, Any] = {}
    for opt in options:
        value = getattr(args, opt.dest)
        if value is None:
            continue
        values[opt.field] = (
            [parse_value(opt.item_kind, v) for v in value] if opt.repeatable else parse_value(opt.kind, value)
        )
    return values


def collect_fields(args: argparse.Namespace, options: Sequence[FieldOption]) -> dict[str, Any]:
    """The model-type union's fields from parsed arguments: only what was given (the overlay fills the defaults)."""
    fields: dict[str, Any] = {POSITIONAL_FIELD: args.prompt}
    if args.model is not None:
        fields[MODEL_FIELD] = args.model
    fields.update(collect_values(args, options))
    return fields
