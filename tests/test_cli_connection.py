"""The ``imagineo`` command's connection options and their errors, in the CLI's terms (in process: the same `main`
the console script runs).

The client's constructor names Python arguments (``pass api_url=...``); behind the command line the same checks
must name the options a user can type (``--api-url``, ``--api-key``, ``--allow-insecure-http``).
"""

from __future__ import annotations

import json

import pytest

from tests.cli_helpers import call
from tests.loopback import DEFAULT_IMAGE_URL, LoopbackServer
from tests.spec_cases import SEED_DEFAULT_MODEL_TYPE

PYTHON_SPELLINGS = ("api_url", "api_key", "allow_insecure_http", "attempt_timeout")


@pytest.fixture(autouse=True)
def _no_caller_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("IMAGINEO_API_URL", "IMAGINEO_API_KEY", "IMAGINEO_LOG"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("connection", "option"),
    [
        ((), "pass --api-url URL or set the IMAGINEO_API_URL environment variable"),
        (("--api-url", "https://api.example.com"), "pass --api-key KEY or set the IMAGINEO_API_KEY"),
        (("--api-url", "api.example.com", "--api-key", "k"), "--api-url must be an absolute http(s) URL"),
        (("--api-url", "https://api.example.com", "--api-key", "a b"), "--api-key contains a line break"),
        (("--api-url", "http://api.example.com", "--api-key", "k"), "pass --allow-insecure-http if you really"),
    ],
)
def test_connection_errors_name_the_cli_options(
    connection: tuple[str, ...], option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Breaks if a missing or bad URL or key tells a CLI user to "pass api_url=..." (the Python argument) instead of
    the option, or if the client's wording changes so that a Python spelling slips through untranslated."""
    status, _, err = call("generate", "A cat", *connection, capsys=capsys)
    assert status == 2
    assert option in err
    assert not any(name in err for name in PYTHON_SPELLINGS), err


def test_batch_connection_errors_name_the_cli_options(tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    """Breaks if `imagineo batch` without a URL still speaks Python (``api_url=``)."""
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "in.jsonl").write_text(json.dumps({"prompt": "A cat"}) + "\n")
    status, _, err = call("batch", str(folder / "in.jsonl"), "--out", str(folder / "out.jsonl"), capsys=capsys)
    assert status == 2
    assert "--api-url" in err and "api_url" not in err, err


def test_a_misspelled_model_type_gets_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    """Breaks if ``--model flux-dvv`` is refused without "did you mean 'flux-dev'?" (the SDK's suggestion lost on
    the way to the terminal), or if it is sent. The spec still says flux-dev is the default model type."""
    assert SEED_DEFAULT_MODEL_TYPE == "flux-dev"
    connection = ("--api-url", "https://api.example.com", "--api-key", "k")
    status, _, err = call("generate", "A cat", "--model", "flux-dvv", *connection, capsys=capsys)
    assert status == 2
    assert "did you mean 'flux-dev'?" in err
    assert "nothing was sent" in err


@pytest.mark.parametrize("command", ["generate", "batch"])
def test_timeout_help_says_per_operation_and_attempt_timeout_exists(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Breaks if --timeout is described as a per-request timeout again (it is httpx's per-operation one), or if
    --attempt-timeout (the client's attempt_timeout) disappears from generate or batch."""
    status, out, _ = call(command, "--help", capsys=capsys)
    text = " ".join(out.split())
    assert status == 0
    assert "per-request" not in text
    assert "--timeout SECONDS httpx's timeout for each network operation, not the call" in text
    assert "--attempt-timeout SECONDS total deadline of one attempt" in text


def test_attempt_timeout_reaches_the_client(loopback: LoopbackServer, capsys: pytest.CaptureFixture[str]) -> None:
    """Breaks if --attempt-timeout is parsed but not given to the client: an answer that comes too late for the
    attempt's deadline (though well within --timeout) must end the call in a timeout, exit status 1."""
    loopback.enqueue(200, {"image_url": DEFAULT_IMAGE_URL}, delay=1.0)
    connection = ("--api-url", loopback.url, "--api-key", "k", "--max-retries", "0")
    status, out, err = call("generate", "A cat", *connection, "--attempt-timeout", "0.2", capsys=capsys)
    assert status == 1, err
    assert "timed out" in err.lower()
    assert DEFAULT_IMAGE_URL not in out
