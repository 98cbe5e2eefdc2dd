"""The golden record: generated_client/ is exactly what generator/generate.py makes from openapi/imagineo.yaml.

Each generator run takes a few seconds, so this module runs it four times in all (two of them in parallel).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATE = Path("generator") / "generate.py"
PACKAGE = "imagineo_api"
TIMEOUT = 300
CACHE_DIRS = {"__pycache__", ".ruff_cache", ".mypy_cache", ".pytest_cache"}


def _generate(root: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(root / GENERATE), *args], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT
    )


def _tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` (caches excluded), by relative path, with its exact bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not CACHE_DIRS.intersection(p.relative_to(root).parts)
    }


def test_committed_package_is_in_step_with_the_spec() -> None:
    proc = _generate(ROOT, "--check", cwd=ROOT)
    assert proc.returncode == 0, (
        "generated_client/ is out of step with openapi/imagineo.yaml: run `make generate` and commit the result\n"
        f"{proc.stdout}{proc.stderr}"
    )
    assert f"{PACKAGE} matches openapi/imagineo.yaml" in proc.stdout


def test_check_fails_with_a_diff_when_the_spec_changes_without_regeneration(tmp_path: Path) -> None:
    ignore = shutil.ignore_patterns(*CACHE_DIRS, ".imagineo-gen-*")
    for folder in ("openapi", "generator", "generated_client"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=ignore)
    spec = tmp_path / "openapi" / "imagineo.yaml"
    text = spec.read_text()
    # Add an optional `seed` to NanobananaInput, right after its model_type property.
    anchor = "          const: nanobanana\n          description: Selects Nanobanana.\n"
    assert text.count(anchor) == 1, "the spec's NanobananaInput.model_type no longer reads as this test expects"
    spec.write_text(text.replace(anchor, anchor + "        seed:\n          $ref: '#/components/schemas/Seed'\n"))

    before = _tree(tmp_path / "generated_client")

    proc = _generate(tmp_path, "--check", cwd=tmp_path)

    assert proc.returncode == 1, f"--check should fail on a stale package\n{proc.stdout}{proc.stderr}"
    for changed in ("models/nanobanana_input.py", "schemas.py", "typed_dicts.py"):
        assert f"--- committed/{changed}" in proc.stdout, proc.stdout
        assert f"+++ generated/{changed}" in proc.stdout, proc.stdout
    assert "+    seed: int | Unset = UNSET" in proc.stdout  # the diff shows what regeneration would change
    assert "flux_dev_input.py" not in proc.stdout  # and only that
    assert "run `make generate`" in proc.stderr
    # --check only reports: the copied package is left as it was.
    assert _tree(tmp_path / "generated_client") == before


def test_generation_is_deterministic(tmp_path: Path) -> None:
    outs = [tmp_path / "a", tmp_path / "b"]
    runs = [
        subprocess.Popen(
            [sys.executable, str(ROOT / GENERATE), "--out", str(out)],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for out in outs
    ]
    for run in runs:
        stdout, stderr = run.communicate(timeout=TIMEOUT)
        assert run.returncode == 0, f"{stdout}{stderr}"

    first, second = (out / PACKAGE for out in outs)
    for out in outs:
        # Only the package is left behind: no temporary folder from the atomic rename.
        assert [p.name for p in out.iterdir()] == [PACKAGE]
    for pkg in (first, second):
        assert (pkg / "py.typed").is_file(), "PEP 561 marker missing"
        leftovers = [p for p in pkg.rglob("*") if p.name in {"__pycache__", ".ruff_cache"}]
        assert leftovers == [], f"caches left inside the generated package: {leftovers}"

    tree = _tree(first)
    assert {"__init__.py", "client.py", "schemas.py", "typed_dicts.py", "api/runs/generate_run.py"} <= set(tree)
    assert tree == _tree(second), "two runs on the same spec produced different bytes"
    # And byte-identical to the committed package (--check compares text; this compares bytes).
    assert tree == _tree(ROOT / "generated_client" / PACKAGE)
