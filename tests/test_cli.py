"""The ``imagineo`` command, driven as a subprocess against the in-process sandbox: each command and exit status.

Subprocesses that do not depend on each other are started together (`run_all`), so the suite pays for the
interpreter start-up (~0.6 s) a few times rather than once per case.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import imagineo_api
import pytest
from imagineo import DownloadError, GenerateImageOutput, _models
from imagineo._cli.operations import shortcut
from imagineo._cli.options import field_options, option_flag, param_options, parse_value
from imagineo._cli.table import model_rows
from imagineo._download import download
from imagineo.testing import Sandbox, sandbox_server
from imagineo_api import catalog

from tests import spec_cases as sc
from tests.cli_helpers import call, on_a_terminal

IMAGINEO = str(Path(sys.executable).parent / "imagineo")
SECRET = "sk-very-secret-test-key-0123456789"


def cli_env(sandbox: Sandbox | None = None, **extra: str) -> dict[str, str]:
    """The environment without the caller's IMAGINEO_* settings, pointed at `sandbox`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMAGINEO_")}
    if sandbox is not None:
        env["IMAGINEO_API_URL"] = sandbox.url
        env["IMAGINEO_API_KEY"] = sandbox.api_key
    env.update(extra)
    return env


def run_all(
    commands: Sequence[Sequence[str]], env: dict[str, str], timeout: float = 60
) -> list[subprocess.CompletedProcess[str]]:
    """Run `imagineo <args>` for each argument list at once; results in the same order."""
    procs = [
        subprocess.Popen([IMAGINEO, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for args in commands
    ]
    results = []
    for args, proc in zip(commands, procs, strict=True):
        out, err = proc.communicate(timeout=timeout)
        results.append(subprocess.CompletedProcess([IMAGINEO, *args], proc.returncode, out, err))
    return results


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_all([args], env)[0]


@pytest.fixture(autouse=True)
def no_imagineo_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("IMAGINEO_")]:
        monkeypatch.delenv(name)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    assert data.endswith(b"IEND\xaeB`\x82")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with sandbox_server() as server:
        yield server


def example_args(example: dict[str, Any]) -> list[str]:
    """The command line for one of the spec's named request examples, from the option table."""
    flags = {opt.field: opt.flags[0] for opt in field_options()}
    args = ["generate", example["prompt"], "--model", example["model_type"], "--json"]
    for name, value in example.items():
        if name in ("prompt", "model_type"):
            continue
        for item in value if isinstance(value, list) else [value]:
            args += [flags[name], str(item)]
    return args


# ---------------------------------------------------------------------------------------------------------------
# generate


def test_every_field_of_every_model_type_and_every_parameter_is_an_option() -> None:
    """Breaks if a field of a model type or a query/header parameter of the operation (Idempotency-Key today, any
    header the spec adds) has no option in ``imagineo generate``."""
    result = run("generate", "--help", env=cli_env())
    assert result.returncode == 0
    fields = {name for specs in _models.fields_by_model().values() for name in specs} - {"prompt", "model_type"}
    for name in fields:
        assert option_flag(name) in result.stdout, name
    operation = catalog.OPERATIONS[shortcut() or ""]
    for name in [p["python_name"] for p in operation["parameters"]]:
        assert option_flag(name) in result.stdout, name
    assert "--aspect-ratio" in result.stdout
    assert "--reference-url" in result.stdout  # the overlay's alias, spelled the same way


def test_each_spec_example_goes_through_the_cli_with_values_typed_as_the_spec_says(
    sandbox: Sandbox, spec: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # In-process (the same main() the console script runs): a subprocess per example would cost seconds for nothing.
    content = spec["paths"]["/api/v1/runs/generate"]["post"]["requestBody"]["content"]["application/json"]
    examples = [e["value"] for e in content["examples"].values()]
    connection = ["--api-url", sandbox.url, "--api-key", sandbox.api_key]
    for example in examples:
        status, out, err = call(*example_args(example), *connection, capsys=capsys)
        assert status == 0, err
        assert json.loads(out)["model_type"] == example["model_type"]
        _, expected, _ = _models.prepare(example)  # the example plus the SDK's defaults, typed exactly
        body = sandbox.runs()[-1]["body"]
        assert body == expected
        assert {k: type(v) for k, v in body.items()} == {k: type(v) for k, v in expected.items()}
    assert sandbox.runs_created == len(examples)


def test_generate_prints_the_url_json_and_saves_a_png(sandbox: Sandbox, tmp_path: Path) -> None:
    out = tmp_path / "cat.png"
    plain, as_json, saved = run_all(
        [
            ["generate", "A cat", "--width", "96", "--height", "64"],
            ["generate", "A cat", "--model", "google-imagen4", "--aspect-ratio", "16:9", "--json"],
            ["generate", "A cat", "--model", "nanobanana", "--output", str(out)],
        ],
        cli_env(sandbox),
    )
    assert plain.returncode == 0
    assert plain.stderr == ""  # piped: no spinner, nothing extra
    (url,) = plain.stdout.splitlines()
    assert url.startswith(sandbox.url + "/images/")
    assert url.endswith("-96x64.png")

    assert as_json.returncode == 0
    data = json.loads(as_json.stdout)
    assert set(data) >= {"image_url", "run_id", "model_type"}
    assert data["model_type"] == "google-imagen4"

    assert saved.returncode == 0, saved.stderr
    assert saved.stderr == ""
    assert png_size(out) == (1024, 1024)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cat.png"]  # no temporary file left
    assert sandbox.runs_created == 3


def _field_args(body: dict[str, Any]) -> list[str]:
    """The generate options for `body` (without the positional prompt and the --json of example_args)."""
    args = example_args({"prompt": "x", **body})
    return args[2:4] + args[5:]  # --model TYPE, then the fields (not the command, the prompt or --json)


def _foreign_field() -> tuple[str, Any]:
    """A field some model type takes and the default model type does not, with a valid value (from the spec)."""
    every = {n for v in sc.VARIANTS.values() for n in v["properties"]}
    foreign = sorted(every - set(sc.VARIANTS[sc.DEFAULT_MODEL_TYPE]["properties"]))[0]
    owner = next(m for m in sc.MODEL_TYPES if foreign in sc.VARIANTS[m]["properties"])
    return foreign, sc.full_body(owner)[foreign]


def _bad_input() -> dict[str, list[str]]:
    """message -> the options that must produce it, each derived from the spec (the CLI's table is the spec's)."""
    cases: dict[str, list[str]] = {}
    mt, name, prop = sc.fields_where(lambda p: p.get("type") == "integer" and "minimum" in p)[0]
    base = sc.minimal_body(mt)
    low = prop["minimum"] - 1
    cases[f"{name}: must be >= {prop['minimum']}; got {low}"] = _field_args({**base, name: low})
    cases[f"{name}: must be an integer; got '512.0'"] = [*_field_args(base), option_flag(name), "512.0"]
    mt, name, _ = sc.fields_where(lambda p: p.get("type") == "number")[0]
    cases[f"{name}: must be a number; got 'nan'"] = [*_field_args(sc.minimal_body(mt)), option_flag(name), "nan"]
    mt, req = next((m, f) for m in sc.MODEL_TYPES for f in sc.required(m) if f not in ("prompt", sc.TAG_FIELD))
    cases[f"{req}: is required for model_type {mt!r}"] = _field_args(
        {k: v for k, v in sc.minimal_body(mt).items() if k != req}
    )
    cases["model_type: must be one of"] = ["--model", "dall-e"]
    foreign, value = _foreign_field()
    cases[f"{foreign}: does not apply to model_type {sc.DEFAULT_MODEL_TYPE!r}"] = _field_args(
        {**sc.minimal_body(sc.DEFAULT_MODEL_TYPE), foreign: value}
    )
    mt, name, _ = sc.fields_where(lambda p: p.get("items", {}).get("format") == "uri")[0]
    urls = [*sc.full_body(mt)[name][:-1], "ftp://example.com/b.png"]
    cases[f"{name}[{len(urls) - 1}]: must be an absolute http(s) URL"] = _field_args(
        {**sc.minimal_body(mt), name: urls}
    )
    cases["expected 'NAME: VALUE'"] = ["--header", "no-colon"]
    return cases


BAD_INPUT = _bad_input()


@pytest.mark.parametrize(("message", "args"), BAD_INPUT.items(), ids=list(BAD_INPUT))
def test_bad_input_exits_2_naming_the_field(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], message: str, args: list[str]
) -> None:
    status, out, err = call("generate", "A cat", *args, "--api-url", sandbox.url, capsys=capsys)
    assert status == 2
    assert message in err
    assert out == ""
    assert sandbox.stats()["generate_requests"] == 0


def test_bad_input_exits_2_from_the_command_and_sends_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    """Every problem of a call at once, in the SDK's words, from the installed command, and nothing sent. The fields
    come from the spec: an integer field of the default model type given a word, and a field only other model types
    take (so adding that field to the default model type changes the pick instead of breaking the test)."""
    default = sc.DEFAULT_MODEL_TYPE
    integer = next(n for m, n, _ in sc.fields_where(lambda p: p.get("type") == "integer") if m == default)
    foreign, value = _foreign_field()
    not_an_int, no_dir, usage = run_all(
        [
            ["generate", "A cat", *_field_args({**sc.minimal_body(default), integer: "abc", foreign: value})],
            ["generate", "A cat", "--output", str(tmp_path / "missing" / "x.png")],
            ["frobnicate"],
        ],
        cli_env(sandbox),
    )
    assert not_an_int.returncode == no_dir.returncode == usage.returncode == 2
    # the overlay's message, every problem at once, each naming its field
    assert f"Invalid input for model_type '{default}' (2 problems); nothing was sent" in not_an_int.stderr
    assert f"  - {integer}: must be an integer; got 'abc'" in not_an_int.stderr
    assert f"  - {foreign}: does not apply to model_type '{default}'" in not_an_int.stderr
    assert "does not exist" in no_dir.stderr
    assert "invalid choice" in usage.stderr
    assert not_an_int.stdout == no_dir.stdout == ""
    assert sandbox.stats()["generate_requests"] == 0


def test_no_url_or_key_is_bad_input(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = call("generate", "A cat", "--api-key", SECRET, capsys=capsys)
    assert status == 2
    assert "IMAGINEO_API_URL" in err
    assert SECRET not in err
    only_url = run("generate", "A cat", env=cli_env(None, IMAGINEO_API_URL=sandbox.url))
    assert only_url.returncode == 2
    assert "IMAGINEO_API_KEY" in only_url.stderr


def test_api_and_network_errors_exit_1_with_status_and_request_id_and_never_the_key(sandbox: Sandbox) -> None:
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        dead_url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    wrong_key, unavailable, unreachable = run_all(
        [
            ["generate", "A cat", "--api-key", SECRET],
            ["generate", "A cat", "--header", "X-Sandbox-Fault: 503;times=all", "--max-retries", "1"],
            ["generate", "A cat", "--api-url", dead_url, "--max-retries", "0"],
        ],
        cli_env(sandbox),
    )
    assert wrong_key.returncode == 1
    assert "the API answered 401: Invalid API key" in wrong_key.stderr
    assert "request id: req_sbx_" in wrong_key.stderr
    assert SECRET not in wrong_key.stderr + wrong_key.stdout
    assert unavailable.returncode == 1
    assert "the API answered 503" in unavailable.stderr
    assert "request id: req_sbx_" in unavailable.stderr
    assert unreachable.returncode == 1
    assert "could not reach the API" in unreachable.stderr
    assert sandbox.runs_created == 0


def test_retries_through_injected_429_and_503_create_one_run_each(sandbox: Sandbox) -> None:
    results = run_all(
        [
            ["generate", "A cat", "--header", "X-Sandbox-Fault: 429"],
            ["generate", "A dog", "--header", "X-Sandbox-Fault: 503;times=2"],
        ],
        cli_env(sandbox),
    )
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    assert sandbox.runs_created == 2
    assert sandbox.stats()["generate_requests"] == 2 + 3


def test_204_prints_nothing_or_null(sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fault = ["--header", "X-Sandbox-Fault: 204", "--api-url", sandbox.url, "--api-key", sandbox.api_key]
    assert call("generate", "A", *fault, capsys=capsys)[:2] == (0, "")
    assert call("generate", "B", *fault, "--json", capsys=capsys)[:2] == (0, "null\n")
    status, _, err = call("generate", "C", *fault, "--output", str(tmp_path / "x.png"), capsys=capsys)
    assert status == 1
    assert "204" in err
    assert not (tmp_path / "x.png").exists()


def test_spinner_with_elapsed_time_on_a_terminal(sandbox: Sandbox) -> None:
    sandbox.set_faults(latency=1.3)
    status, out, text = on_a_terminal(
        [IMAGINEO, "generate", "A cat"], cli_env(sandbox, TERM="xterm-256color", COLUMNS="100")
    )
    assert status == 0
    assert out.startswith(sandbox.url)  # stdout is still only the URL
    assert "Generating with flux-dev" in text
    assert "0:00:01" in text  # elapsed time


# ---------------------------------------------------------------------------------------------------------------
# models, version, python -m


def _md_cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def test_models_table_prints_the_rows_of_models_md(capsys: pytest.CaptureFixture[str]) -> None:
    """``imagineo models`` and MODELS.md are one table: the same rows in the same order, the default model type and
    deprecated fields marked the same way, and each type and range in the one wording the generator renders into the
    catalogue. Breaks if either words a rule its own way (">= 2 items" against "at least 2 items"), drops a
    format ("string" for a uri field) or the default mark, or skips a field; and if the command stops printing them.
    """
    md = (Path(imagineo_api.__file__).parent / "MODELS.md").read_text().splitlines()
    md_rows = [_md_cells(line) for line in md if line.startswith("| ") and "`" in line.split("|")[2]]
    rows = model_rows()
    assert len(md_rows) == len(rows)
    for cells, row in zip(md_rows, rows, strict=True):
        assert cells[0].replace("`", "") == row.model
        assert cells[1].replace("`", "") == row.field
        assert (cells[2] == "yes") == (row.required == "required")
        assert cells[3:5] == [row.type, row.range]
    assert sum(row.model.endswith(" (default)") for row in rows) == 1
    assert any(row.type.endswith("(uri)") for row in rows)  # the spec still has URL fields (the seed page's)
    table, version = run_all([["models"], ["--version"]], cli_env(COLUMNS="250"))
    assert table.returncode == 0
    printed = [[cell.strip() for cell in line.split("│")[1:-1]] for line in table.stdout.splitlines() if "│" in line]
    assert [cells for cells in printed if cells[1]] == [list(row.cells()) for row in rows]
    status, out, _ = call("models", "--json", capsys=capsys)
    assert status == 0
    specs = _models.fields_by_model()
    expected = {m: {n: json.loads(json.dumps(asdict(s))) for n, s in f.items()} for m, f in specs.items()}
    assert json.loads(out) == expected
    assert version.stdout.strip().startswith("imagineo ")
    module = subprocess.run(
        [sys.executable, "-m", "imagineo", "--version"], capture_output=True, text=True, env=cli_env()
    )
    assert module.stdout == version.stdout


def test_a_misspelled_option_gets_the_subcommands_usage_and_the_nearest_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``generate ... --heigth 512``: the usage of ``generate`` (not the top level's) and "did you mean --height?";
    an unknown command gets the nearest command. Breaks if argparse's top-level "unrecognized arguments" comes back.
    The misspelling is made from the first integer field of the spec (two letters swapped)."""
    _, name, _ = sc.fields_where(lambda p: p.get("type") == "integer")[0]
    flag = option_flag(name)
    typo = flag[:-2] + flag[-1] + flag[-2]
    status, out, err = call("generate", "A cat", typo, "512", capsys=capsys)
    assert (status, out) == (2, "")
    assert err.startswith("usage: imagineo generate ")
    assert f"imagineo generate: error: unrecognized arguments: {typo} 512; did you mean {flag}?" in err
    status, _, err = call("genrate", "A cat", capsys=capsys)
    assert status == 2
    assert "invalid choice: 'genrate'" in err
    assert err.rstrip().endswith("did you mean generate?")


# ---------------------------------------------------------------------------------------------------------------
# Unit: value typing, option naming, atomic download


def test_values_are_typed_as_the_spec_types_the_field() -> None:
    assert parse_value("integer", "512") == 512
    assert parse_value("integer", "-1") == -1
    assert parse_value("integer", "512.0") == "512.0"  # left for the overlay to reject, naming the field
    assert parse_value("integer", "1_000") == "1_000"
    number = parse_value("number", "7")
    assert number == 7.0
    assert isinstance(number, float)
    assert parse_value("number", "1e-3") == 0.001
    assert parse_value("number", "nan") == "nan"
    assert parse_value("number", "1e999") == "1e999"  # not finite
    assert parse_value("enum", "16:9") == "16:9"


def test_a_field_or_parameter_named_like_a_command_option_gets_a_prefix() -> None:
    """Breaks if a spec field or parameter called ``output`` (or ``json``...) took over the command's own option."""
    info = {"required": False, "type": "string", "description": "a future field", "range_text": ""}
    options = {opt.field: opt for opt in field_options({"m": {"output": info}})}
    assert options["output"].flags == ("--field-output",)
    (param,) = param_options([{**info, "name": "JSON", "location": "query", "python_name": "json"}])
    assert param.flags == ("--param-json",)
    (path,) = param_options([{**info, "name": "run_id", "location": "path", "python_name": "run_id"}])
    assert path.flags == ()  # positional RUN_ID


class _TruncatingServer:
    """Answers any GET with Content-Length 10000 and only 100 bytes, then closes."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/image.png"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 10000\r\n\r\n" + b"x" * 100)


def test_a_failed_download_leaves_no_partial_file(tmp_path: Path) -> None:
    dest = tmp_path / "image.png"
    dest.write_bytes(b"previous")
    server = _TruncatingServer()
    result = GenerateImageOutput(image_url=server.url)
    with pytest.raises(DownloadError):
        download(result, dest)
    server.sock.close()
    assert dest.read_bytes() == b"previous"  # untouched
    assert [p.name for p in tmp_path.iterdir()] == ["image.png"]  # the temporary file is gone


def test_describe_api_error_tolerates_odd_error_bodies() -> None:
    """An error body whose `details` is not a list still gives a message, not a TypeError."""
    import httpx
    from imagineo import UnprocessableEntityError
    from imagineo._cli.ui import describe_api_error

    request = httpx.Request("POST", "https://api.example.com/api/v1/runs/generate")
    response = httpx.Response(422, json={"error": "bad", "details": 5}, request=request)
    message = describe_api_error(UnprocessableEntityError("x", response=response, body=response.json()))
    assert message.startswith("the API answered 422: bad")
