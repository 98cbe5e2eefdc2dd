"""The ``imagineo`` command: ``generate``, ``api``, ``models``, ``batch`` and ``sandbox``.

Installed as a console script with the package; it needs the ``cli`` extra (``pip install 'imagineo[cli]'``: rich
for the terminal, jsonschema and pyyaml for the sandbox). ``import imagineo`` never imports this module or rich.

* ``imagineo api RESOURCE METHOD [PATH PARAMS] [--PARAM VALUE] [--FIELD VALUE] [--json]``: one command per operation
  of the spec, named as the SDK's method (``client.runs.get(run_id)`` is ``imagineo api runs get RUN_ID``), its
  arguments and help derived from ``imagineo_api.catalog.OPERATIONS`` (`imagineo._cli.operations`; naming and value
  typing: `imagineo._cli.options`). Nothing in the command names an operation but ``generate``.
* ``imagineo generate PROMPT [--model TYPE] [--width N] ... [--output FILE] [--json]``: the short name of
  ``imagineo api images generate``: one option per field of every model type and per parameter of the operation
  (``--idempotency-key``...). The overlay validates, so a bad value is reported with the SDK's own message naming
  the field. While waiting, a spinner with elapsed time is drawn on stderr when it is a terminal (nothing when
  piped). stdout gets the image URL (one per line when the run made several), or the whole result as JSON with
  ``--json``; on a terminal the result's other fields (``run_id``, and any the spec adds) are listed on stderr.
  ``--output FILE`` downloads every image of the result with a progress bar, atomically, through
  ``client.images.download`` (FILE for one image; FILE's stem numbered, ``cat-1.png``..., for several; inside it
  when FILE is a directory).
* ``imagineo models``: the model types with their fields, types, ranges and defaults, the rows of MODELS.md
  (`imagineo._cli.table`; ``--json`` for a machine-readable copy).
* ``imagineo batch INPUT.jsonl --out RESULTS.jsonl [--concurrency N] [--download-dir DIR]``: resumable,
  exactly-once batch generation on the async client (`imagineo._cli.batch`), saving each line's images in DIR.
* ``imagineo sandbox [--host 127.0.0.1] [--port 4010]``: the offline server driven by the spec
  (`imagineo.sandbox`).

A usage error names the subcommand it happened in, with its usage and the nearest option or command
(``--heigth`` -> ``did you mean --height?``; `imagineo._cli.parser`).

The API URL and key come from ``--api-url``/``--api-key`` or IMAGINEO_API_URL/IMAGINEO_API_KEY (the environment is
the better place for the key: command lines are visible to other users). The key is never printed.

Exit status: 0 success; 2 bad input (a usage error, a field that breaks the spec, no API URL or key, an --output
that cannot be written), checked before anything is sent; 1 an API or network error (the message gives the status
and the request id) or a failed download; 3 (batch only) every valid input line is done but some lines were
invalid; 130 interrupted (Ctrl-C); 128 + the signal's number when SIGTERM (143) or SIGHUP (129) stops an operation
command (``generate``, ``api ...``) or ``batch``, which they do as Ctrl-C does: temporary files removed, RESULTS
whole (`imagineo._cli.signals`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imagineo_api import catalog

from ._client import DEFAULT_ATTEMPT_TIMEOUT
from ._version import __version__

if TYPE_CHECKING:
    from ._cli.parser import CommandParser
    from ._cli.ui import UI

__all__ = ["build_parser", "main"]

_EXTRA_HINT = "the imagineo command needs the 'cli' extra: pip install 'imagineo[cli]'"


def _whole(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected a number >= {minimum}, got {value}")
    return value


def _positive_int(text: str) -> int:
    return _whole(text, 1)


def _count(text: str) -> int:
    return _whole(text, 0)


def _port(text: str) -> int:
    value = _count(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return value


def _connection_options() -> CommandParser:
    from ._cli.parser import CommandParser

    parent = CommandParser(add_help=False)
    group = parent.add_argument_group("connection")
    group.add_argument("--api-url", metavar="URL", help="API base URL (default: $IMAGINEO_API_URL)")
    group.add_argument("--api-key", metavar="KEY", help="API key (default: $IMAGINEO_API_KEY, the safer place for it)")
    group.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help="httpx's timeout for each network operation, not the call: each connect, each read (the silence "
        f"between two pieces of the answer), each write (default: {catalog.TIMEOUT_READ:g} s to read, "
        f"{catalog.TIMEOUT_CONNECT:g} s to connect)",
    )
    group.add_argument(
        "--attempt-timeout",
        type=_seconds,
        metavar="SECONDS",
        help="total deadline of one attempt, from sending to the answer's last byte; a call makes up to "
        f"--max-retries + 1 attempts (default: {DEFAULT_ATTEMPT_TIMEOUT:g} s)",
    )
    group.add_argument("--max-retries", type=_count, metavar="N", help="retries after the first attempt (default: 2)")
    group.add_argument(
        "--allow-insecure-http", action="store_true", help="allow plain http to a non-loopback host (sends the key)"
    )
    return parent


def build_parser() -> argparse.ArgumentParser:
    from ._cli.operations import add_api_commands, add_operation, shortcut
    from ._cli.parser import CommandParser

    parser = CommandParser(
        prog="imagineo",
        description="Generate images with the ImagineoAI API, call any of its operations, run batches, or serve a "
        "local sandbox.",
        epilog="Exit status: 0 ok, 1 API or network error, 2 bad input, 3 batch: some input lines invalid (every "
        "valid one done), 130 interrupted, 143 SIGTERM, 129 SIGHUP.",
    )
    parser.add_argument("--version", action="version", version=f"imagineo {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    connection = _connection_options()

    generate = shortcut()
    if generate is not None:
        add_operation(
            commands,
            "generate",
            generate,
            [connection],
            help="generate one image and print its URL",
            description="Generate one image (or edit one, with a reference image URL) and print its URL.",
            label="Generating",
        ).set_defaults(func=_operation, stop_on_signals=True)

    api = commands.add_parser(
        "api",
        help="call any operation of the API: imagineo api RESOURCE METHOD ... (one command per operation)",
        description="One command per operation of the spec, named as the SDK's method (client.runs.get is "
        "imagineo api runs get); its options are the operation's parameters and body fields, its help the spec's.",
    )
    add_api_commands(api, [connection], _operation)

    models = commands.add_parser(
        "models",
        help="list the model types and their fields",
        description="The model types, with their required and optional fields, ranges and defaults.",
    )
    models.add_argument("--json", action="store_true", help="print the table as JSON")
    models.set_defaults(func=_models)

    batch = commands.add_parser(
        "batch",
        parents=[connection],
        help="run one generation per line of a JSONL file, resumably and exactly once",
        description="One generate request per input line ({'id': ..., <generate fields>}); one result line per "
        "input in --out. Re-running skips the ids already done; Idempotency-Keys derive from each line's id and "
        "content, so a request cut off mid-flight cannot start a second paid run.",
    )
    batch.add_argument(
        "input", metavar="INPUT.jsonl", help="the input lines (- for standard input; a FIFO or <(...) works too)"
    )
    batch.add_argument("--out", required=True, metavar="RESULTS.jsonl", help="the results (appended; resumable)")
    batch.add_argument(
        "--concurrency", type=_positive_int, default=4, metavar="N", help="requests in flight (default: 4)"
    )
    batch.add_argument(
        "--download-dir",
        metavar="DIR",
        help="save each line's images in DIR (an existing directory), named from the line's id: <id>.png, or "
        "<id>-1.png... for several",
    )
    batch.set_defaults(func=_batch, stop_on_signals=True)

    sandbox = commands.add_parser(
        "sandbox",
        help="run a local server that implements the spec (no account needed)",
        description="A local ImagineoAI server driven by openapi/imagineo.yaml: validation, idempotency, "
        "deterministic PNGs it serves itself, and fault injection (X-Sandbox-Fault header or the flags below).",
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, loopback only)")
    sandbox.add_argument("--port", type=_port, default=4010, help="port (default: 4010; 0 picks a free one)")
    sandbox.add_argument("--api-key", metavar="KEY", help="accept only this key (default: any key)")
    sandbox.add_argument("--spec", metavar="FILE", help="serve another copy of the spec (default: the packaged one)")
    sandbox.add_argument("--fail-first", type=_count, default=0, metavar="N", help="fail the first N generate requests")
    sandbox.add_argument(
        "--fail-each", type=_count, default=0, metavar="N", help="fail the first N attempts of every call"
    )
    sandbox.add_argument("--fail-status", type=int, default=503, metavar="STATUS", help="their status (default: 503)")
    sandbox.add_argument(
        "--retry-after", type=float, default=1.0, metavar="SECONDS", help="Retry-After on 429/503 (default: 1)"
    )
    sandbox.add_argument("--latency", type=float, default=0.0, metavar="SECONDS", help="hold every answer back")
    sandbox.add_argument(
        "--rate-limit",
        metavar="N/s[:BURST]",
        help="limit each API key to N requests per second, bursts of BURST (default: N): then 429 with Retry-After "
        "and x-ratelimit-* headers, as the real API; rehearse a large batch with it",
    )
    sandbox.add_argument(
        "--answers",
        metavar="CONFORMANCE.json",
        help="the conformance kit's file (make spec: dist/spec/conformance.json): a request with "
        "'X-Sandbox-Answer: <case id>' is answered with that answer case",
    )
    sandbox.add_argument("--url-file", metavar="FILE", help="write the server's URL to FILE once it listens")
    sandbox.add_argument("--quiet", action="store_true", help="do not log requests to stderr")
    sandbox.set_defaults(func=_sandbox)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status (the console script exits with it)."""
    try:
        import rich  # noqa: F401
    except ImportError:
        print(f"imagineo: error: {_EXTRA_HINT}", file=sys.stderr)
        return 2
    from ._cli.ui import EXIT_API, EXIT_INTERRUPTED, EXIT_USAGE, UI

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    from ._cli import signals

    ui = UI()
    try:
        # SIGTERM and SIGHUP stop generate and batch as Ctrl-C does: clean-up runs (no .part file is left)
        with signals.handled() if getattr(args, "stop_on_signals", False) else contextlib.nullcontext():
            status: int = args.func(args, ui)
    except signals.Terminated as exc:
        return 128 + exc.signum
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `imagineo models | head`: the reader left; not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:  # a bug of ours: one line, not a traceback (IMAGINEO_LOG=debug shows it)
        if os.environ.get("IMAGINEO_LOG", "").strip().lower() == "debug":
            import traceback

            traceback.print_exc()
        ui.error(f"unexpected {type(exc).__name__}: {exc} (a bug in imagineo; IMAGINEO_LOG=debug shows where)")
        return EXIT_API
    return status


def _client_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {
        "api_url": args.api_url,
        "api_key": args.api_key,
        "allow_insecure_http": args.allow_insecure_http,
    }
    if args.timeout is not None:
        options["timeout"] = args.timeout
    if args.attempt_timeout is not None:
        options["attempt_timeout"] = args.attempt_timeout
    if args.max_retries is not None:
        options["max_retries"] = args.max_retries
    return options


#: The client's words for its arguments, and the CLI's: a connection error names the option the user can pass.
_CLI_SPELLINGS = (
    ("pass api_url=...", "pass --api-url URL"),
    ("pass api_key=...", "pass --api-key KEY"),
    ("pass allow_insecure_http=True", "pass --allow-insecure-http"),
    ("api_url ", "--api-url "),
    ("api_key ", "--api-key "),
)


def _connection_error(exc: Exception) -> str:
    """The client's message for a bad URL, key or option, in the CLI's terms (``--api-url``, not ``api_url=``).

    The client's constructor speaks Python (`ImagineoAIClient(api_url=...)`); the same check behind the command
    line names its options instead. Only whole phrases are replaced, at the start of the message or after "pass"."""
    message = str(exc)
    for python, option in _CLI_SPELLINGS:
        if python.startswith("pass "):
            message = message.replace(python, option)
        elif message.startswith(python):
            message = option + message[len(python) :]
    return message


def _operation(args: argparse.Namespace, ui: UI) -> int:
    from ._cli.operations import run_operation

    return run_operation(args, ui, _client_options(args), _connection_error)


def _models(args: argparse.Namespace, ui: UI) -> int:
    from ._cli.table import COLUMNS, caption, model_rows
    from ._cli.ui import EXIT_OK
    from ._models import fields_by_model

    if args.json:
        table = fields_by_model()
        data = {model: {name: asdict(spec) for name, spec in specs.items()} for model, specs in table.items()}
        print(json.dumps(data, indent=2, default=str))
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    interactive = sys.stdout.isatty()
    console = Console(highlight=False, width=None if interactive or os.environ.get("COLUMNS") else 150)
    view = Table(title="ImagineoAI model types", caption=caption(), caption_justify="left")
    for column in COLUMNS:
        view.add_column(column, overflow="fold")
    for row in model_rows():
        view.add_row(*(Text(cell) for cell in row.cells()), end_section=row.last)  # spec text is not rich markup
    console.print(view)
    return EXIT_OK


def _batch(args: argparse.Namespace, ui: UI) -> int:
    from ._cli.batch import run_batch
    from ._cli.ui import EXIT_USAGE
    from ._exceptions import ImagineoError

    try:
        return run_batch(
            Path(args.input),
            Path(args.out),
            concurrency=args.concurrency,
            client_options=_client_options(args),
            download_dir=Path(args.download_dir) if args.download_dir else None,
            ui=ui,
        )
    except ImagineoError as exc:  # no URL or key, a bad URL
        ui.error(_connection_error(exc))
        return EXIT_USAGE


def _sandbox(args: argparse.Namespace, ui: UI) -> int:
    from ._cli.ui import EXIT_API, EXIT_OK, EXIT_USAGE
    from ._exceptions import ImagineoError
    from .sandbox import SettingError, serve

    try:
        serve(
            args.host,
            args.port,
            url_file=args.url_file,
            quiet=args.quiet,
            api_key=args.api_key,
            spec=args.spec,
            fail_first=args.fail_first,
            fail_each=args.fail_each,
            fail_status=args.fail_status,
            retry_after=args.retry_after,
            latency=args.latency,
            rate_limit=args.rate_limit,
            answers=args.answers,
        )
    except SettingError as exc:  # a setting out of its range: named by its option
        ui.error("; ".join(f"--{name.replace('_', '-')} {rule}" for name, rule in exc.problems))
        return EXIT_USAGE
    except (ImagineoError, ValueError) as exc:
        ui.error(str(exc))
        return EXIT_USAGE
    except OSError as exc:
        ui.error(f"cannot listen on {args.host}:{args.port}: {exc}")
        return EXIT_API
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
