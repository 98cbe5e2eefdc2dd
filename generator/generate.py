"""The one recipe that turns openapi/imagineo.yaml into generated_client/imagineo_api/.

    python generator/generate.py            # regenerate generated_client/imagineo_api in place
    python generator/generate.py --check    # regenerate into a temporary folder and diff (golden record)
    python generator/generate.py --out DIR  # write the package to DIR/imagineo_api instead

Steps, each with the tool named in generator/README.md:
  1. validate the spec (openapi-spec-validator);
  2. openapi-python-client -> the package (models, endpoint, client), formatted by its ruff post hooks;
  3. datamodel-code-generator -> imagineo_api/schemas.py (pydantic v2 validation models) and
     imagineo_api/typed_dicts.py (TypedDicts for typed keyword arguments), both read by the overlay;
  3b. generator/catalog.py -> imagineo_api/catalog.py (the model catalogue as plain data), call_signatures.py (the
     typed overloads of images.generate) and MODELS.md (the model-types table), from the spec;
  4. ruff fix + format over the whole package, then drop the ruff cache, so the tree is byte-identical on every run.
The finished package replaces the old one in one rename, so an interrupted run never leaves half a package behind.
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "imagineo.yaml"
CONFIG = ROOT / "generator" / "openapi-python-client.yaml"
PACKAGE = "imagineo_api"
DEFAULT_OUT = ROOT / "generated_client"
# Overrides of openapi-python-client's own templates, each named like the template it replaces. Its template API
# changes between releases, so they are tied to the version they were written for (generator/README.md, "Templates").
TEMPLATES = ROOT / "generator" / "templates"
TEMPLATES_WRITTEN_FOR = "0.29.1"

# datamodel-code-generator options shared by both outputs.
#  - uri/uuid map to plain strings: pydantic's AnyUrl rewrites URLs (https://Example.com -> https://example.com/),
#    and the URL must go on the wire exactly as the caller wrote it. The spec's `pattern` on each still applies.
#  - enums become Literal types, root models are collapsed into their fields: simpler types, faster validation.
#  - --disable-timestamp: otherwise every run differs.
DMCG_COMMON = [
    "--input-file-type", "openapi",
    "--target-python-version", "3.11",
    "--disable-timestamp",
    "--enum-field-as-literal", "all",
    "--collapse-root-models",
    "--type-mappings", "string+uri=string", "string+uuid=string",
    "--formatters", "ruff-format", "ruff-check",
]  # fmt: skip
DMCG_OUTPUTS = {
    # Strict scalar types: "512" is not an integer, True is not a number (pydantic's lax mode would coerce both).
    "schemas.py": [
        "--output-model-type", "pydantic_v2.BaseModel",
        "--strict-types", "str", "int", "float", "bool",
        "--field-constraints", "--use-annotated",
    ],
    # mypy does not support PEP 728 closed TypedDicts yet.
    "typed_dicts.py": [
        "--output-model-type", "typing.TypedDict", "--no-use-closed-typed-dict", "--use-field-description",
    ],
}  # fmt: skip


class GenerationError(RuntimeError):
    pass


def _tool_env() -> dict[str, str]:
    """PATH with this interpreter's scripts first, so the ruff post hooks cannot be silently skipped."""
    bindir = str(Path(sys.executable).parent)
    env = dict(os.environ)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    if shutil.which("ruff", path=env["PATH"]) is None:
        raise GenerationError("ruff is not installed next to this Python; run `make install` first")
    return env


def _run(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise GenerationError(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")


def check_generator_version() -> None:
    """Refuse to run with an openapi-python-client the templates were not written for (their API is not stable)."""
    from importlib.metadata import version

    installed = version("openapi-python-client")
    if installed != TEMPLATES_WRITTEN_FOR:
        raise GenerationError(
            f"openapi-python-client {installed} is installed, but generator/templates/ was written for "
            f"{TEMPLATES_WRITTEN_FOR}: rebase each template on the new release's own (generator/README.md, "
            "'Templates'), then update TEMPLATES_WRITTEN_FOR in generator/generate.py"
        )


def validate_spec() -> None:
    from openapi_spec_validator import validate
    from openapi_spec_validator.readers import read_from_filename

    spec, _ = read_from_filename(str(SPEC))
    validate(spec)


def build(into: Path) -> Path:
    """Generate the package into `into`/imagineo_api and return its path."""
    env = _tool_env()
    pkg = into / PACKAGE
    _run(
        [
            sys.executable, "-m", "openapi_python_client", "generate",
            "--path", str(SPEC), "--config", str(CONFIG),
            "--meta", "none", "--output-path", str(pkg), "--overwrite", "--fail-on-warning",
            "--custom-template-path", str(TEMPLATES),
        ],
        env,
        cwd=into,
    )  # fmt: skip
    for name, options in DMCG_OUTPUTS.items():
        _run(
            [sys.executable, "-m", "datamodel_code_generator", "--input", str(SPEC), *DMCG_COMMON, *options,
             "--output", str(pkg / name)],
            env,
            cwd=into,
        )  # fmt: skip
    # The catalogue and the typed call signatures (generator/catalog.py), from the spec and the names just generated.
    _run([sys.executable, str(ROOT / "generator" / "catalog.py"), str(SPEC), str(pkg)], env)
    # The validation models' pydantic-core schemas as plain data (generator/core_schemas.py): the overlay validates a
    # call with the one it needs, without building the pydantic models at run time.
    _run([sys.executable, str(ROOT / "generator" / "core_schemas.py"), str(SPEC), str(pkg)], env)
    # PEP 561 marker: with --meta none openapi-python-client writes no py.typed of its own.
    (pkg / "py.typed").write_text("# Marker file for PEP 561: imagineo_api ships its type annotations.\n")
    _run([sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--fix-only", "--quiet", str(pkg)], env)
    _run([sys.executable, "-m", "ruff", "format", "--isolated", "--no-cache", "--quiet", str(pkg)], env)
    for cache in pkg.rglob(".ruff_cache"):
        shutil.rmtree(cache)
    for cache in pkg.rglob("__pycache__"):
        shutil.rmtree(cache)
    return pkg


def _files(tree: Path) -> dict[str, Path]:
    skip = {"__pycache__", ".ruff_cache", ".mypy_cache"}
    return {
        p.relative_to(tree).as_posix(): p
        for p in sorted(tree.rglob("*"))
        if p.is_file() and not skip.intersection(p.relative_to(tree).parts)
    }


def diff_trees(expected: Path, actual: Path) -> str:
    """A unified diff of what `actual` (committed) would need to become `expected` (freshly generated)."""
    want, have = _files(expected), _files(actual)
    out: list[str] = []
    for rel in sorted(set(want) | set(have)):
        a = have[rel].read_text().splitlines(keepends=True) if rel in have else []
        b = want[rel].read_text().splitlines(keepends=True) if rel in want else []
        if a != b:
            out.extend(difflib.unified_diff(a, b, f"committed/{rel}", f"generated/{rel}"))
            if rel not in want:
                out.append(f"(generated/{rel} would not exist: the spec no longer produces it)\n")
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder that holds the imagineo_api package")
    parser.add_argument("--check", action="store_true", help="fail with a diff if the package is out of date")
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    try:
        check_generator_version()
        validate_spec()
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".imagineo-gen-", dir=out) as tmp:
            fresh = build(Path(tmp))
            target = out / PACKAGE
            if args.check:
                diff = diff_trees(fresh, target)
                if diff:
                    sys.stdout.write(diff)
                    print(
                        f"\n{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target} is out of step "
                        f"with {SPEC.relative_to(ROOT)}: run `make generate` and commit the result.",
                        file=sys.stderr,
                    )
                    return 1
                print(f"{PACKAGE} matches {SPEC.relative_to(ROOT)}")
                return 0
            old = Path(tmp) / "old"
            if target.exists():
                target.rename(old)
            fresh.rename(target)
        print(f"generated {target}")
        return 0
    except GenerationError as exc:
        print(f"generate: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # openapi-spec-validator's errors name the failing path in the spec
        if type(exc).__module__.startswith("openapi_spec_validator"):
            print(f"generate: {SPEC.relative_to(ROOT)} is not a valid OpenAPI document: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
