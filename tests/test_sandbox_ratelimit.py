"""Rate-limit emulation (issue 19, item 5): a token bucket per API key, 429 with Retry-After and the
x-ratelimit-* headers, no run created; set by ``--rate-limit``, ``POST /_sandbox/faults`` or ``imagineo.testing``.

A rate of 0.01/s refills one token per 100 s, so within a test the bucket only drains: the counts are exact.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest
from imagineo import RateLimitError
from imagineo.sandbox import SandboxTransport
from imagineo.testing import sandbox_server, sandbox_transport

from tests import spec_cases as sc

pytestmark = pytest.mark.usefixtures("no_backoff")  # tests/conftest.py

EXAMPLE = next(iter(sc.REQUEST_EXAMPLES.values()))


def send(http: httpx.Client, url: str, api_key: str, n: int) -> httpx.Response:
    headers = {"Authorization": f"Bearer {api_key}", "Idempotency-Key": f"{api_key}-{n}"}
    return http.post(url + sc.ENDPOINT, json=EXAMPLE, headers=headers)


def seconds(reset: str) -> float:
    assert reset.endswith("s"), reset
    return float(reset.removesuffix("s"))


def test_a_burst_passes_then_429_with_the_headers_and_no_run() -> None:
    """Breaks if the sandbox cannot limit by key (it could only fail the first N requests), if a refused request
    creates a run, or if the headers a batch pacer reads are missing or wrong."""
    with sandbox_server(api_key="k", rate_limit="0.01/s:3") as sandbox, httpx.Client() as http:
        answers = [send(http, sandbox.url, "k", n) for n in range(5)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
        assert [a.headers["x-ratelimit-limit-requests"] for a in answers] == ["3"] * 5
        assert [a.headers["x-ratelimit-remaining-requests"] for a in answers] == ["2", "1", "0", "0", "0"]
        assert seconds(answers[0].headers["x-ratelimit-reset-requests"]) == pytest.approx(100, abs=1)
        assert seconds(answers[2].headers["x-ratelimit-reset-requests"]) == pytest.approx(300, abs=1)
        refused = answers[3]
        assert int(refused.headers["Retry-After"]) == pytest.approx(100, abs=1)  # whole seconds until a token
        assert refused.json()["code"] == "rate_limited"
        assert "Retry-After" not in answers[0].headers
        assert sandbox.runs_created == 3
        assert sandbox.stats()["rate_limited"] == 2


def test_each_api_key_has_its_own_bucket_and_admin_and_images_take_no_token() -> None:
    """Breaks if the limit is global (the real API limits by key) or if the admin API or images are limited."""
    sandbox = SandboxTransport(rate_limit="0.01/s:1")  # any key accepted: two keys, two buckets
    with httpx.Client(transport=sandbox) as http:
        first = send(http, sandbox.url, "key-a", 0)
        assert first.status_code == 200
        assert send(http, sandbox.url, "key-a", 1).status_code == 429
        assert send(http, sandbox.url, "key-b", 0).status_code == 200
        assert http.get(first.json()["image_url"]).status_code == 200
        assert http.get(sandbox.url + "/_sandbox/stats").status_code == 200
    assert sandbox.runs_created == 2


def test_set_and_cleared_over_http_and_reset_refills_the_buckets() -> None:
    """Breaks if ``rate_limit`` cannot be set or switched off through ``POST /_sandbox/faults`` (what a test in
    another language uses), or if ``POST /_sandbox/reset`` leaves buckets empty."""
    with sandbox_server(api_key="k") as sandbox, httpx.Client() as http:
        settings = http.post(sandbox.url + "/_sandbox/faults", json={"rate_limit": "0.01/s:1"}).json()
        assert settings["rate_limit"] == "0.01/s:1"
        assert [send(http, sandbox.url, "k", n).status_code for n in range(2)] == [200, 429]
        http.post(sandbox.url + "/_sandbox/reset")
        assert send(http, sandbox.url, "k", 2).status_code == 200
        assert http.post(sandbox.url + "/_sandbox/faults", json={"latency": 0}).json()["rate_limit"] == "0.01/s:1"
        assert http.post(sandbox.url + "/_sandbox/faults", json={"rate_limit": None}).json()["rate_limit"] is None
        assert [send(http, sandbox.url, "k", n).status_code for n in range(3, 6)] == [200, 200, 200]


def test_the_sdk_sees_a_rate_limit_error_and_retries_after_the_bucket_refills() -> None:
    """Breaks if the 429 is not the SDK's RateLimitError (a batch must see it as retryable), or if a retry after
    Retry-After does not get through once a token is back (a 20/s bucket refills in 50 ms)."""
    sandbox = sandbox_transport(rate_limit="0.01/s:1")
    client = sandbox.client(max_retries=0)
    client.images.generate(**EXAMPLE)
    with pytest.raises(RateLimitError) as caught:
        client.images.generate(**EXAMPLE)
    assert caught.value.status_code == 429
    sandbox.set_faults(rate_limit="20/s:1")
    time.sleep(0.1)
    assert sandbox.client(max_retries=0).images.generate(**EXAMPLE) is not None
    assert sandbox.runs_created == 2


def test_the_command_takes_rate_limit_and_announces_it(tmp_path: Path) -> None:
    """Breaks if ``imagineo sandbox --rate-limit N/s:BURST`` is not wired to the server or not said on start."""
    url_file = tmp_path / "url"
    cmd = [str(sc.ROOT / ".venv" / "bin" / "imagineo"), "sandbox", "--port", "0", "--quiet"]
    cmd += ["--rate-limit", "0.01/s:2", "--url-file", str(url_file)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(400):
            if url_file.exists() and url_file.read_text().strip():
                break
            time.sleep(0.05)
        url = url_file.read_text().strip()
        with httpx.Client() as http:
            assert [send(http, url, "any", n).status_code for n in range(3)] == [200, 200, 429]
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert "rate limit: 0.01/s:2 per API key" in out


@pytest.mark.parametrize(("text", "rate", "burst"), [("10/s", 10.0, 10), ("0.5/s", 0.5, 1), ("2/s:7", 2.0, 7)])
def test_the_rate_limit_form(text: str, rate: float, burst: int) -> None:
    """Breaks if the documented form N/s[:BURST] is read otherwise (BURST defaults to N rounded up, at least 1)."""
    assert sandbox_transport(rate_limit=text).rate_limit == f"{rate:g}/s:{burst}"
