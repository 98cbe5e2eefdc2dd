"""One command per operation of the spec, built from ``imagineo_api.catalog.OPERATIONS``, and how it runs.

**Naming.** Every operation is ``imagineo api <resource> <method>``, the SDK method it is (``client.runs.get`` is
``imagineo api runs get RUN_ID``; underscores in a name become hyphens). The ``api`` group keeps the spec's names out
of the way of the command's own (``generate``, ``models``, ``batch``, ``sandbox``): a resource the spec calls
``models`` one day is ``imagineo api models ...`` and clashes with nothing, as in openai's ``openai api ...``.
``imagineo generate`` is the short name of ``images.generate`` (`SHORTCUT`): the same command, with its own help
line; it is there as long as the spec has that operation.

**Arguments.** Path parameters are positional (``run_id`` is RUN_ID), query and header parameters are options named
after their Python name (``X-Imagineo-Project`` is ``--x-imagineo-project``, ``Idempotency-Key`` is
``--idempotency-key``), and the body's fields are options as `imagineo._cli.options` derives them: for the model-type
union, PROMPT, ``--model`` and one option per field of every model type; for an object body, one option per field.
``--help`` is the operation's summary and description, and each parameter's and field's description, range,
``required`` and ``deprecated`` marks, all from the spec. ``--header 'NAME: VALUE'`` adds any header; ``--output
FILE`` is there when the operation's result carries image URLs (the resource has ``download``).

**Running.** The values are checked by the SDK's own rules first (`imagineo._models.check_params`, `prepare`), so bad
input is reported naming the field (exit 2) before a client is even built; then the call goes through the client,
``getattr(getattr(client, resource), method)(...)``, so auth, retries, idempotency and errors are the SDK's. A
DeprecationWarning the SDK gives (a deprecated operation, parameter, field or alias) is printed as
``imagineo: warning: ...``.

**Output.** ``--json`` prints ``result.to_dict()`` (every field, those the spec added since and those it does not
name yet included; ``null`` for no content). Otherwise stdout gets the result's image URLs, one per line: the
values of its ``format: uri`` fields (an array of them when the answer has one, else the single ones); the result's
other fields (``run_id``, ``seed``...) are listed on stderr when it is a terminal, so piped output stays the URLs. A
result without URLs prints every field as ``name: value`` on stdout.
"""

from __future__ import annotations

import argparse
import json
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imagineo_api import catalog

from .options import (
    COMMAND_FLAGS,
    POSITIONAL_FIELD,
    FieldOption,
    add_field_options,
    add_options,
    body_options,
    collect_fields,
    collect_values,
    field_options,
    param_options,
)
from .parser import ParagraphFormatter

if TYPE_CHECKING:
    from .ui import UI

__all__ = ["SHORTCUT", "Command", "add_api_commands", "add_operation", "result_text", "run_operation", "shortcut"]

#: ``imagineo generate``: the SDK method it is the short name of.
SHORTCUT = ("images", "generate")


def cli_name(name: str) -> str:
    return name.replace("_", "-")


def shortcut() -> str | None:
    """The operationId ``imagineo generate`` runs, or None when the spec has no such operation."""
    return next((i for i, op in catalog.OPERATIONS.items() if (op["resource"], op["name"]) == SHORTCUT), None)


@dataclass(frozen=True)
class Command:
    """What an operation's command needs to run: its arguments, as derived from the catalogue."""

    operation_id: str
    params: tuple[FieldOption, ...]  # path parameters (positional) first, then query and header ones
    fields: tuple[FieldOption, ...]  # the body's
    model_types: bool  # the body is the model-type union (PROMPT, --model)
    downloads: bool  # --output
    label: str  # the spinner's


def _url_fields(class_name: str | None) -> tuple[list[str], list[str]]:
    """(array fields of URLs, single URL fields) of a result class, in the spec's order."""
    if class_name is None:
        return [], []
    fields = catalog.RESULTS[class_name]["fields"]
    arrays = [n for n, i in fields.items() if i["type"] == "array" and i.get("items", {}).get("format") == "uri"]
    singles = [n for n, i in fields.items() if i.get("format") == "uri"]
    return arrays, singles


def _description(op: Mapping[str, Any]) -> str:
    where = f"{op['method']} {op['path']} (operationId {op['operation_id']}; client.{op['resource']}.{op['name']})."
    parts = [op["summary"], op["description"], where]
    if op["deprecated"]:
        parts.insert(0, "Deprecated: the spec marks this operation deprecated.")
    return "\n\n".join(str(p).strip() for p in parts if p)


def add_operation(
    commands: Any,
    name: str,
    operation_id: str,
    parents: Sequence[argparse.ArgumentParser],
    *,
    help: str | None = None,
    description: str | None = None,
    label: str | None = None,
) -> argparse.ArgumentParser:
    """Add the command `name` for `operation_id` to `commands` (an ``add_subparsers()`` action); returns its parser
    (the caller sets ``func``). `help`, `description` and `label` replace the spec's texts (for the shortcut)."""
    op = catalog.OPERATIONS[operation_id]
    summary = str(op["summary"] or f"{op['method']} {op['path']}") + (" (deprecated)" if op["deprecated"] else "")
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        parents=parents,
        help=(help or summary).replace("%", "%%"),
        description=description or _description(op),
        formatter_class=ParagraphFormatter,
    )
    params = param_options(op["parameters"])
    add_options(parser, [p for p in params if not p.flags])
    named = [p for p in params if p.flags]
    body = op["body"]
    model_types = body is not None and body["kind"] == "model_types"
    if model_types:
        prompt = next((f[POSITIONAL_FIELD] for f in catalog.FIELDS.values() if POSITIONAL_FIELD in f), {})
        parser.add_argument("prompt", metavar="PROMPT", help=str(prompt.get("description") or "the text prompt"))
        parser.add_argument(
            "--model",
            "--model-type",
            dest="model",
            metavar="TYPE",
            help=f"the model type (default: {catalog.DEFAULT_MODEL_TYPE}; see models)",
        )
    arrays, singles = _url_fields(op["result"])
    downloads = op["result"] is not None and op["result"] in catalog.RESOURCES[op["resource"]].get("downloads", ())
    if downloads:
        parser.add_argument(
            "-o",
            "--output",
            metavar="FILE",
            help="download the image to FILE, atomically (several images: FILE's stem numbered, e.g. cat-1.png; a "
            "directory: image.png inside it)",
        )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the whole result as JSON" + (" instead of the URL" if arrays or singles else ""),
    )
    add_options(parser, named)
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="an extra request header (repeatable), e.g. 'X-Sandbox-Fault: 503' against the sandbox",
    )
    taken = COMMAND_FLAGS | {flag for p in named for flag in p.flags}
    fields: list[FieldOption] = []
    if model_types:
        fields = field_options(taken=taken)
        add_field_options(parser, fields)
    elif body is not None:
        fields = body_options(catalog.BODIES[body["class_name"]]["fields"], taken)
        group = parser.add_argument_group(
            "body fields",
            f"One option per field of the request body ({body['class_name']}, from the spec). Values are checked by "
            "the SDK's validation before anything is sent.",
        )
        add_options(group, fields)
    parser.set_defaults(
        operation=Command(
            operation_id=operation_id,
            params=tuple(params),
            fields=tuple(fields),
            model_types=model_types,
            downloads=downloads,
            label=label or f"Calling {op['resource']}.{op['name']}",
        )
    )
    return parser


def add_api_commands(
    api: argparse.ArgumentParser, parents: Sequence[argparse.ArgumentParser], func: Callable[..., int]
) -> None:
    """``imagineo api <resource> <method>``: one command per operation of the spec, grouped by resource."""
    resources = api.add_subparsers(dest="resource", metavar="RESOURCE", required=True)
    for res_name, res in catalog.RESOURCES.items():
        names = [cli_name(catalog.OPERATIONS[op_id]["name"]) for op_id in res["operations"]]
        sub = resources.add_parser(
            cli_name(res_name),
            help=(res.get("description") or f"client.{res_name}") + f" ({', '.join(names)})",
            description=f"The operations of client.{res_name}. {res.get('description') or ''}".strip(),
            formatter_class=ParagraphFormatter,
        )
        methods = sub.add_subparsers(dest="method", metavar="METHOD", required=True)
        for op_id, name in zip(res["operations"], names, strict=True):
            add_operation(methods, name, op_id, parents).set_defaults(func=func, stop_on_signals=True)


def _value_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def result_text(class_name: str | None, data: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(URLs, other fields as 'name: value') of a result's ``to_dict()``, as the module docstring says: the values of
    its URL fields (an array of them when the answer has one, else the single ones), and every other field."""
    arrays, singles = _url_fields(class_name)
    shown = [n for n in arrays if data.get(n)] or [n for n in singles if data.get(n) is not None]
    urls = [_value_text(u) for n in shown for u in (data[n] if isinstance(data[n], list) else [data[n]])]
    covered = set(shown) | (set(singles) if shown and shown[0] in arrays else set())
    return urls, [f"{name}: {_value_text(value)}" for name, value in data.items() if name not in covered]


def _report(ui: UI, caught: Sequence[warnings.WarningMessage], seen: set[str]) -> None:
    for warning in caught:
        text = str(warning.message)
        if text not in seen:
            seen.add(text)
            ui.message(f"imagineo: warning: {text}")


def _headers(ui: UI, given: Sequence[str]) -> dict[str, str] | None:
    headers: dict[str, str] = {}
    for header in given:
        name, sep, value = header.partition(":")
        if not sep or not name.strip():
            ui.error(f"--header {header!r}: expected 'NAME: VALUE'")
            return None
        headers[name.strip()] = value.strip()
    return headers


def run_operation(
    args: argparse.Namespace,
    ui: UI,
    client_options: Mapping[str, Any],
    connection_error: Callable[[Exception], str],
) -> int:
    """Run the operation command `args` was parsed for; returns the exit status."""
    from .. import _models
    from .._client import ImagineoAIClient
    from .._exceptions import APIError, DownloadError, ImagineoError, ImagineoValidationError
    from .download import check_destination, save
    from .text import printable
    from .ui import EXIT_API, EXIT_OK, EXIT_USAGE, describe_api_error, print_result

    command: Command = args.operation
    op = catalog.OPERATIONS[command.operation_id]
    headers = _headers(ui, args.header)
    if headers is None:
        return EXIT_USAGE
    output = Path(args.output) if command.downloads and args.output else None
    if output is not None:
        problem = check_destination(output)
        if problem:
            ui.error(problem)
            return EXIT_USAGE
    given = collect_values(args, command.params)
    params = {p.field: given.get(p.field) for p in command.params}
    path_values = [params.pop(p.field) for p in command.params if not p.flags]
    fields = collect_fields(args, command.fields) if command.model_types else collect_values(args, command.fields)
    label = command.label
    seen: set[str] = set()
    with warnings.catch_warnings(record=True) as caught:  # the SDK's own checks, before anything else
        warnings.simplefilter("always")
        try:
            _models.check_params(command.operation_id, {p.field: given.get(p.field) for p in command.params})
            if command.model_types:
                model_type, _, _ = _models.prepare(fields)
                label = f"{label} with {model_type}"
            elif op["body"] is not None:
                _models.prepare_body(op["body"], fields)
        except ImagineoError as exc:  # ImagineoValidationError: a value breaks the spec
            ui.error(str(exc))
            return EXIT_USAGE
    _report(ui, caught, seen)
    try:
        client = ImagineoAIClient(**client_options)
    except ImagineoError as exc:  # no URL/key, or a bad URL
        ui.error(connection_error(exc))
        return EXIT_USAGE
    resource = getattr(client, op["resource"])
    method = getattr(resource, op["name"])
    positional: list[Any] = [*path_values, *([fields] if op["body"] is not None else [])]
    try:
        with client, ui.spinner(label), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = method(*positional, **params, extra_headers=headers or None)
    except ImagineoValidationError as exc:
        ui.error(str(exc))
        return EXIT_USAGE
    except APIError as exc:
        ui.error(describe_api_error(exc))
        return EXIT_API
    _report(ui, caught, seen)
    if result is None:
        if args.json:
            print_result("null")
        ui.message("imagineo: the API accepted the request and returned no content (204 No Content)")
        if output is not None:
            ui.error(f"no image to save to {output}")
            return EXIT_API
        return EXIT_OK
    data = result.to_dict()
    urls, others = result_text(op["result"], data)
    if args.json:
        print_result(json.dumps(data, indent=2, ensure_ascii=False))
    elif urls or others:
        print_result("\n".join(printable(line, newlines=False) for line in urls or others))
        if urls and ui.interactive:  # the other fields, beside the URLs, where a pipe does not get them
            for line in others:
                ui.message(line)
    if output is not None:
        try:
            paths = save(ui, resource, result, output, len(urls) or 1)
        except DownloadError as exc:
            ui.error(f"{exc} (no file was left half written)")
            return EXIT_API
        if ui.interactive:
            for path in paths:
                ui.message(f"Saved {path}")
    return EXIT_OK
