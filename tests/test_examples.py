"""Each example of the TypeScript SDK's page (the seed) has a Python twin in examples/ that runs against a local server.

`TWINS` is what the seed page documents, one script per example it shows; each test says "the spec still has this
example and the twin still sends it", never "the spec has exactly these examples". An example a maintainer adds to
the spec needs no script: tests/test_cli.py sends every spec example through the command (derived from the spec).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.loopback import DEFAULT_IMAGE_URL, LoopbackServer
from tests.overlay_helpers import API_KEY, seed_examples
from tests.spec_cases import with_defaults

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
#: The seed page's examples (it shows one per model type but flux-kontext-multi): twin script -> spec example name.
TWINS = {
    "flux_dev.py": "flux-dev",
    "google_imagen4.py": "google-imagen4",
    "flux_kontext_max.py": "flux-kontext-max",
    "nanobanana.py": "nanobanana",
    "edit_with_reference_url.py": "openai",
    "wan_image_21.py": "wan-image-2.1",
    "wan_image_22.py": "wan-image-2.2",
    "qwen_image_edit.py": "qwen-image-edit",
}


def _run(script: str, url: str) -> str:
    env = {**os.environ, "IMAGINEO_API_URL": url, "IMAGINEO_API_KEY": API_KEY}
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize(("script", "example"), TWINS.items())
def test_example_sends_the_seed_example(
    script: str, example: str, loopback: LoopbackServer, spec: dict[str, Any]
) -> None:
    """Breaks if a twin drifts from the spec's example (and so from the TypeScript page) or stops running."""
    out = _run(script, loopback.url)
    assert out.strip() == DEFAULT_IMAGE_URL
    expected = with_defaults(seed_examples(spec)[example])
    assert loopback.requests[0].json() == expected


def test_the_seed_pages_examples_are_still_in_the_spec_and_each_twin_exists(spec: dict[str, Any]) -> None:
    """Breaks if the spec drops an example the seed page shows (the twin would test nothing), or a twin script is
    missing. Examples the spec adds beyond the page need no twin."""
    assert set(TWINS.values()) <= set(seed_examples(spec))
    assert all((EXAMPLES / script).is_file() for script in TWINS)


def test_async_example_runs(loopback: LoopbackServer) -> None:
    out = _run("async_fan_out.py", loopback.url)
    assert out.count(DEFAULT_IMAGE_URL) == 3
    assert len(loopback.requests) == 3


def _readme_block(after_heading: str) -> str:
    readme = (EXAMPLES.parent / "README.md").read_text()
    section = readme.split(f"\n## {after_heading}\n", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_readme_quickstart_runs_as_written(loopback: LoopbackServer) -> None:
    """The README's quickstart, with only the server address swapped for the local one, works and prints the URL."""
    code = _readme_block("Quickstart")
    assert 'ImagineoAIClient("https://api.example.com", api_key="sk-...")' in code
    code = code.replace('"https://api.example.com"', repr(loopback.url))
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False, env=dict(os.environ)
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == DEFAULT_IMAGE_URL
    assert loopback.requests[0].json() == {
        "prompt": "A cat in a spacesuit",
        "model_type": "flux-dev",
        "width": 512,
        "height": 512,
    }
    assert loopback.requests[0].headers["authorization"] == "Bearer sk-..."
