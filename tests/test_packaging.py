"""The package as PyPI and pip show it: build the sdist and the wheel, check them, install the wheel and use it.

One build per session (the `dist` fixture): `python -m build --no-isolation` makes the sdist, then the wheel from
the sdist (so a file the sdist forgets breaks the wheel), with the build backend and plugin of the dev group. The
installed copy runs in a fresh venv, from a folder outside the checkout, with only that venv's bin/ on PATH (no
node, no checkout on sys.path). The generate goes to `imagineo.testing.sandbox_server()`, the sandbox started on
loopback inside that venv's own Python.
"""

from __future__ import annotations

import email
import email.message
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.spec_cases import DEFAULT_MODEL_TYPE, MODEL_TYPES, ROOT

pytestmark = pytest.mark.slow

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


@dataclass(frozen=True)
class Dist:
    wheel: Path
    sdist: Path
    metadata: email.message.Message


def _run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}"
    return proc  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)])
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    with zipfile.ZipFile(wheel) as zf:
        (name,) = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_bytes(zf.read(name))
    return Dist(wheel, sdist, metadata)


def test_twine_check_passes(dist: Dist) -> None:
    """`twine check --strict` accepts both files: the metadata is valid and the long description renders on PyPI.

    Caught: a README that PyPI's renderer rejects, or metadata fields twine does not know (an unsupported
    Metadata-Version), which would only show at upload time.
    """
    _run([sys.executable, "-m", "twine", "check", "--strict", str(dist.wheel), str(dist.sdist)])


def test_license_ships_in_wheel_and_sdist(dist: Dist) -> None:
    """The MIT license text is in the wheel's dist-info and at the sdist's top, and the metadata names it.

    Caught: the metadata saying MIT with no LICENSE file shipped (the issue's finding), or an sdist `include` list
    that drops LICENSE.
    """
    with zipfile.ZipFile(dist.wheel) as zf:
        licenses = [n for n in zf.namelist() if re.search(r"\.dist-info/licenses/LICENSE$", n)]
        assert licenses, "no LICENSE in the wheel"
        assert "MIT License" in zf.read(licenses[0]).decode()
    with tarfile.open(dist.sdist) as tf:
        assert any(n.endswith("/LICENSE") and n.count("/") == 1 for n in tf.getnames()), "no LICENSE in the sdist"
    assert dist.metadata["License-Expression"] == "MIT"
    assert dist.metadata.get_all("License-File") == ["LICENSE"]


def test_urls_and_classifiers(dist: Dist) -> None:
    """The metadata carries the project's URLs (Homepage from the spec's info.contact host) and classifiers.

    Caught: Project-URL or Classifier fields lost from pyproject.toml (PyPI's sidebar would be empty).
    """
    urls = dict(u.split(", ", 1) for u in dist.metadata.get_all("Project-URL", []))
    assert urls == PYPROJECT["project"]["urls"]
    assert urls["Homepage"] == "https://imagineo.example.com"
    classifiers = dist.metadata.get_all("Classifier", [])
    assert "Typing :: Typed" in classifiers
    assert f"Programming Language :: Python :: {PYPROJECT['project']['requires-python'].lstrip('>=')}" in classifiers


def test_long_description_links_are_absolute(dist: Dist) -> None:
    """Every link in PyPI's long description is absolute and points at the Source URL or another site; README.md
    in the checkout keeps its relative links.

    Caught: `docs/...`, `examples/` or `#quickstart` links published as they are (dead on PyPI), or a substitution
    pattern that stops matching after a README edit.
    """
    description = dist.metadata.get_payload()
    assert isinstance(description, str)
    assert dist.metadata["Description-Content-Type"] == "text/markdown"
    links = re.findall(r"\]\(([^)\s]+)\)", description)
    assert links, "no links found: the description is not the README"
    relative = [link for link in links if not link.startswith(("https://", "http://", "mailto:"))]
    assert relative == [], f"relative links on PyPI: {relative}"
    source = PYPROJECT["project"]["urls"]["Source"]
    readme_links = re.findall(r"\]\(([^)\s]+)\)", (ROOT / "README.md").read_text())
    for link in readme_links:
        if not link.startswith(("https://", "http://")):
            absolute = f"{source}/blob/main/README.md{link}" if link.startswith("#") else f"{source}/blob/main/{link}"
            assert f"]({absolute})" in description, f"README link {link} is not {absolute} on PyPI"


def test_published_requirements_are_ranges_and_extras_are_for_users(dist: Dist) -> None:
    """Only the `cli` extra is published, and no published requirement is pinned to one version.

    Caught: `rich==15.0.0` in the cli extra (an application with another rich cannot install it), and the dev and
    bench tools (openai, pytest, mypy...) published as extras instead of kept in dependency groups.
    """
    assert dist.metadata.get_all("Provides-Extra") == ["cli"]
    requirements = dist.metadata.get_all("Requires-Dist", [])
    assert requirements, "no Requires-Dist"
    parsed = [Requirement(r) for r in requirements]
    pinned = [str(r) for r in parsed if any(s.operator in ("==", "===") for s in r.specifier)]
    assert pinned == [], f"pinned published requirements: {pinned}"
    dev_tools = {r.name for r in map(Requirement, PYPROJECT["dependency-groups"]["dev"])} - {"pyyaml", "jsonschema"}
    published = {r.name for r in parsed}
    # uvicorn: the sandbox's server engine, in the `cli` extra (docs/cli-and-sandbox.md).
    assert published & (dev_tools | {"openai"}) <= {"rich", "rfc3986-validator", "pydantic", "uvicorn"}, published


@pytest.fixture(scope="module")
def installed(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A fresh venv with the wheel and its cli extra, and an environment with no node and no checkout in it."""
    home = tmp_path_factory.mktemp("outside")
    venv = home / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON") and k != "VIRTUAL_ENV"}
    env["PATH"] = str(venv / "bin")
    assert shutil.which("node", path=env["PATH"]) is None
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", f"{dist.wheel}[cli]"], env=env, cwd=home)
    return venv, env


def test_installed_wheel_runs_models_and_a_generate(installed: tuple[Path, dict[str, str]]) -> None:
    """From outside the checkout, the installed `imagineo models` lists every model type of the spec, and a
    generate against `imagineo.testing.sandbox_server()` returns an image URL, the sandbox reading the spec packaged
    in the wheel.

    Caught: a wheel without the generated package or the packaged spec (imagineo/_spec/imagineo.yaml), a `cli`
    extra missing one of the sandbox's dependencies, a console script that does not start, or an installed copy that
    only worked because the checkout was on sys.path.
    """
    venv, env = installed
    cwd = venv.parent
    listing = _run([str(venv / "bin" / "imagineo"), "models"], env=env, cwd=cwd).stdout
    missing = [m for m in MODEL_TYPES if m not in listing]
    assert missing == [], f"`imagineo models` does not list {missing}"
    script = (
        "import json, imagineo\n"
        "from imagineo.testing import sandbox_server\n"
        "with sandbox_server() as sandbox:\n"
        "    client = sandbox.client()\n"
        f"    result = client.images.generate(prompt='A cat in a spacesuit', model_type={DEFAULT_MODEL_TYPE!r})\n"
        "    print(json.dumps({'url': result.image_url, 'runs': sandbox.runs_created,\n"
        "                      'module': imagineo.__file__, 'spec': str(sandbox.spec.path)}))\n"
    )
    out = json.loads(_run([str(venv / "bin" / "python"), "-I", "-c", script], env=env, cwd=cwd).stdout)
    assert out["url"].startswith(("http://", "https://"))
    assert out["runs"] == 1
    for path in (out["module"], out["spec"]):
        assert Path(path).is_relative_to(venv), f"{path} is not the installed copy"
    assert out["spec"].endswith("imagineo/_spec/imagineo.yaml")
