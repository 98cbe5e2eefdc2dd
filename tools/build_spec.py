"""Build the artefacts other-language teams use from openapi/imagineo.yaml (what `make spec` runs).

    .venv/bin/python tools/build_spec.py [--out dist/spec]

writes into the output folder (not committed; dist/ is git-ignored):
    imagineo.yaml   the spec bundled into one self-contained file (Redocly CLI `bundle`; no external $refs)
    imagineo.json   the same bundle as JSON, checked with openapi-spec-validator
    imagineo.html   a single-file API reference that renders offline (Redocly CLI `build-docs --inlineBundle`)
    imagineo.d.ts   TypeScript types for the whole API (openapi-typescript, `--default-non-nullable false`)
    conformance.json, conformance.schema.json   the conformance vectors and their JSON Schema (tools/conformance.py)

Every tool is the pinned copy in node_modules/.bin (installed by `make install`); nothing is fetched at run time.
See docs/for-other-languages.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "imagineo.yaml"
NODE_BIN = ROOT / "node_modules" / ".bin"
TITLE = "ImagineoAI API reference"
# Redocly CLI: no usage telemetry, no "new version available" check (both would reach for the network).
TOOL_ENV = {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"}


class BuildError(Exception):
    pass


def node_tool(name: str) -> str:
    path = NODE_BIN / name
    if not path.exists():
        raise BuildError(f"{path} is missing: run `make install` (it runs `npm ci` from package-lock.json)")
    return str(path)


def run_all(commands: Sequence[Sequence[str]]) -> None:
    """Run independent commands side by side; fail with the output of any that failed."""
    pipe, merged = subprocess.PIPE, subprocess.STDOUT
    procs = [
        (cmd, subprocess.Popen(cmd, cwd=ROOT, env=TOOL_ENV, stdout=pipe, stderr=merged, text=True)) for cmd in commands
    ]
    failures = []
    for cmd, proc in procs:
        output, _ = proc.communicate()
        if proc.returncode != 0:
            failures.append(f"$ {' '.join(cmd)}\n{output}")
    if failures:
        raise BuildError("\n".join(failures))


def refs(node: Any) -> Iterator[str]:
    """Every $ref value in a parsed document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def check_bundle(json_path: Path) -> None:
    from openapi_spec_validator import validate

    document = json.loads(json_path.read_text())
    external = sorted({ref for ref in refs(document) if not ref.startswith("#")})
    if external:
        raise BuildError(f"{json_path} still has external $refs: {external}")
    validate(document)


def build(out: Path) -> list[Path]:
    redocly = node_tool("redocly")
    openapi_typescript = node_tool("openapi-typescript")
    out.mkdir(parents=True, exist_ok=True)
    yaml_out, json_out, html_out, dts_out = (out / f"imagineo.{ext}" for ext in ("yaml", "json", "html", "d.ts"))
    run_all(
        [
            [redocly, "bundle", str(SPEC), "-o", str(yaml_out)],
            [redocly, "bundle", str(SPEC), "--ext", "json", "-o", str(json_out)],
        ]
    )
    check_bundle(json_out)
    run_all(
        [
            # --inlineBundle embeds Redoc's script; without it the page loads it from cdn.redocly.com.
            [redocly, "build-docs", str(yaml_out), "--inlineBundle", "--title", TITLE, "-o", str(html_out)],
            [
                openapi_typescript,
                str(json_out),
                "--default-non-nullable",
                "false",
                "-o",
                str(dts_out),
            ],
        ]
    )
    sys.path.insert(0, str(ROOT / "tools"))
    import conformance

    return [yaml_out, json_out, html_out, dts_out, *conformance.write(out, SPEC)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ROOT / "dist" / "spec", help="output folder (default dist/spec)")
    args = parser.parse_args(argv)
    try:
        written = build(args.out.resolve())
    except BuildError as error:
        print(f"build_spec: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
