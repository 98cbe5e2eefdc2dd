"""What the ``imagineo`` command prints is safe for a terminal, whatever the server answers (issue 12, items 6, 9).

The command runs as a subprocess (so stdout is a real pipe with Python's strict UTF-8 encoding, as for a user)
against tests/loopback.py, which answers with server text no real server should send: terminal control sequences,
bidi overrides, C1 controls, a lone surrogate. Each test's docstring names the break it catches.
"""

from __future__ import annotations

import io
import json
import re
import socket
from pathlib import Path

from imagineo._cli.text import printable
from imagineo.sandbox import SandboxServer

from tests.loopback import LoopbackServer
from tests.test_cli import cli_env, run

# A 200 whose image_url and run_id carry: an OSC title change + BEL, a bidi override, a one-byte C1 CSI, a lone
# surrogate; and a screen clear. All as JSON escapes, so the body itself is plain ASCII JSON.
HOSTILE_200 = (
    b'{"image_url": "https://cdn.example.com/a\\u001b]0;pwned\\u0007\\u202e\\u009b\\ud800.png",'
    b' "run_id": "r_\\u001b[2J", "model_type": "flux-dev"}'
)
RAW_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def env_for(server: LoopbackServer) -> dict[str, str]:
    return cli_env(IMAGINEO_API_URL=server.url, IMAGINEO_API_KEY="sk-output-test")


def assert_terminal_safe(text: str) -> None:
    assert not RAW_UNSAFE.search(text), repr(text)
    assert "Traceback" not in text


def test_printable_escapes_controls_bidi_and_surrogates_losslessly_as_json_escapes() -> None:
    """Breaks if any terminal-driving character survives `printable`, or if its escape is not valid JSON (which
    would make `--json` output unparsable)."""
    hostile = "a\x1b[31mb\x07c\x9bd\u202ee\u2066f\ud800g\rh\x7fi"
    escaped = printable(hostile)
    assert_terminal_safe(escaped)
    assert json.loads(f'"{escaped}"') == hostile  # lossless: the escapes are JSON's own
    assert printable("one\ntwo\ttab é 猫") == "one\ntwo\ttab é 猫"  # text stays text
    assert printable("one\ntwo", newlines=False) == "one\\u000atwo"


def test_generate_prints_a_hostile_image_url_escaped_and_does_not_crash_on_a_lone_surrogate(
    loopback: LoopbackServer,
) -> None:
    """Breaks if an image_url holding a lone surrogate crashes `imagineo generate` when it prints (a paid run
    shown as a traceback), or if its control sequences (a window-title change, a screen clear, a bidi override)
    reach the terminal raw."""
    loopback.enqueue(200, body=HOSTILE_200)
    done = run("generate", "A cat", "--max-retries", "0", env=env_for(loopback))
    assert done.returncode == 0, done.stderr
    assert_terminal_safe(done.stdout + done.stderr)
    assert done.stdout == "https://cdn.example.com/a\\u001b]0;pwned\\u0007\\u202e\\u009b\\ud800.png\n"


def test_generate_json_stays_valid_json_and_keeps_the_servers_text_exactly(loopback: LoopbackServer) -> None:
    """Breaks if `--json` writes control characters raw (C1 and bidi are not escaped by json.dumps with
    ensure_ascii=False) or crashes on the lone surrogate, or if the escaping loses what the server said."""
    loopback.enqueue(200, body=HOSTILE_200)
    done = run("generate", "A cat", "--json", "--max-retries", "0", env=env_for(loopback))
    assert done.returncode == 0, done.stderr
    assert_terminal_safe(done.stdout + done.stderr)
    assert json.loads(done.stdout) == json.loads(HOSTILE_200)


def test_server_error_text_is_escaped_and_cannot_fake_a_line_of_its_own(loopback: LoopbackServer) -> None:
    """Breaks if a server's error message, code or details reach stderr with their escape sequences, or if a
    newline in them starts a line the user would take for the command's own ("imagineo: saved ...")."""
    body = {
        "error": "Bad\x1b[2J\x1b]0;owned\x07 input\nimagineo: saved cat.png",
        "code": "validation\x9berror",
        "details": [{"field": "width\u202e", "message": "too\rsmall"}],
    }
    loopback.enqueue(422, json_body=body)
    done = run("generate", "A cat", "--max-retries", "0", env=env_for(loopback))
    assert done.returncode == 1
    assert_terminal_safe(done.stderr)
    lines = done.stderr.splitlines()
    assert lines[0].startswith("imagineo: error: the API answered 422: Bad\\u001b[2J\\u001b]0;owned\\u0007 input")
    assert "\\u000aimagineo: saved cat.png [validation\\u009berror]" in lines[0]
    assert not any(line.startswith("imagineo: saved") for line in lines)
    assert "  - width\\u202e: too\\u000dsmall" in lines


def test_batch_reports_hostile_server_text_escaped(loopback: LoopbackServer, tmp_path: Path) -> None:
    """Breaks if `imagineo batch` prints a server's error text with its control sequences raw."""
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "prompt": "A cat"}\n')
    loopback.enqueue(400, json_body={"error": "no\x1b[8m hidden", "code": "bad_request"})
    done = run("batch", str(source), "--out", str(tmp_path / "out.jsonl"), env=env_for(loopback))
    assert done.returncode == 1
    assert_terminal_safe(done.stderr)
    assert "no\\u001b[8m hidden" in done.stderr


def test_the_sandbox_request_log_escapes_the_clients_request_line() -> None:
    """Breaks if the sandbox's request log (on the terminal running `imagineo sandbox`) writes a client's request
    path with its escape sequences raw."""
    log = io.StringIO()
    with (
        SandboxServer(log=log).start() as server,
        socket.create_connection((server.host, server.port), timeout=10) as sock,
    ):
        sock.sendall(b"GET /\x1b[2J\x1b]0;owned\x07 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        while sock.recv(65536):
            pass
    written = log.getvalue()
    assert "\\u001b[2J" in written  # the request was logged, escaped
    assert_terminal_safe(written)
