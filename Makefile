# Two commands set up and check everything on a fresh machine (python3 >= 3.11 and make; node and npm for make test):
#   make generate   # .venv with the pinned Python tools, validate the spec, regenerate generated_client/ (no node)
#   make test       # node_modules too, check generated code is in step, lint, type-check, run the whole test suite
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
NODE_BIN := node_modules/.bin
PYTEST_ARGS ?=

.PHONY: help install generate check-generated lint test
.PHONY: spec check-breaking release-spec

help:
	@echo "make generate        validate openapi/imagineo.yaml and regenerate generated_client/ (Python only)"
	@echo "make test            check-generated + lint + the whole test suite (what CI runs)"
	@echo "make check-generated fail with a diff if generated_client/ is out of step with the spec"
	@echo "make lint            ruff + mypy --strict on hand-written code"
	@echo "make install         .venv with the project (editable) and the dev tools (group dev); npm tools into node_modules/"
	@echo "make spec            bundled spec (YAML, JSON), offline HTML reference, TS types into dist/spec/"
	@echo "make check-breaking  fail, listing each problem, if the spec changed since the last release"
	@echo "                     (openapi/released.yaml) without a higher info.version and its CHANGELOG entry, or breaks"
	@echo "                     clients without a major version; BASE=<git ref> compares with that ref (BASE=v1.0.0)"
	@echo "make release-spec    the same check, then record the spec as released (openapi/released.yaml):"
	@echo "                     commit that, and tag the commit v<info.version>"

install: $(VENV)/.installed node_modules/.installed

# Re-run when the dependency lists change; the stamp file records a finished install.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required (set PYTHON=...)")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -c 'import sys; from pip import __version__ as v; sys.exit(0 if tuple(map(int, v.split(".")[:2])) >= (25, 1) else f"pip {v} cannot install PEP 735 dependency groups (pip >= 25.1 can): upgrade pip in $(VENV)")'
	$(PY) -m pip install --quiet -e . --group dev
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Regeneration is Python-only (openapi-python-client, datamodel-code-generator, ruff): a maintainer without node can
# run it. The tests need node (Redocly, Prism, TypeScript), so `make test` installs node_modules too.
generate: $(VENV)/.installed
	$(PY) generator/generate.py

check-generated: $(VENV)/.installed
	$(PY) generator/generate.py --check

lint: $(VENV)/.installed
	$(BIN)/ruff check overlay generator tests examples benchmarks tools
	$(BIN)/ruff format --check overlay generator tests examples benchmarks tools
	$(BIN)/mypy --strict overlay/imagineo

test: node_modules/.installed check-generated lint
	$(BIN)/pytest $(PYTEST_ARGS)

# `make bench`: what the SDK costs (per-call CPU, loopback round trip, async fan-out, cold import, regeneration,
# validation, a fresh process's first call) side by side with raw httpx and openai-python; prints a table, writes
# benchmarks/results/latest.json.
# Not part of `make test`. BENCH_ARGS=--quick for a smoke run. See docs/performance.md.
.PHONY: bench help-bench
help: help-bench
help-bench:
	@echo "make bench           benchmarks vs raw httpx and openai-python (installs the bench group); not part of test"

BENCH_ARGS ?=
$(VENV)/.bench-installed: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet --group bench
	touch $@

bench: $(VENV)/.bench-installed
	$(PY) benchmarks/bench.py $(BENCH_ARGS)

# `make demo`: no account, no network. Starts the sandbox (imagineo sandbox, on a free loopback port), generates with
# each of the seed page's nine model types through the `imagineo` command (its examples), prints the image URLs and
# saves the images into demo-output/ (gitignored). See docs/cli-and-sandbox.md.
.PHONY: demo help-demo
help: help-demo
help-demo:
	@echo "make demo            start the sandbox; generate with each of the nine model types via the CLI into demo-output/"

DEMO_OUT := demo-output
DEMO_MODEL_ID := 3f1c2a9e-6b7d-4e2f-9a1b-5c8d7e6f4a3b
demo: $(VENV)/.installed
	@rm -rf $(DEMO_OUT) && mkdir -p $(DEMO_OUT)
	@set -euo pipefail; \
	$(BIN)/imagineo sandbox --port 0 --quiet --url-file $(DEMO_OUT)/.sandbox-url & pid=$$!; \
	trap 'kill $$pid 2>/dev/null || true; rm -f $(DEMO_OUT)/.sandbox-url' EXIT; \
	for _ in $$(seq 100); do test -s $(DEMO_OUT)/.sandbox-url && break; sleep 0.1; done; \
	export IMAGINEO_API_URL="$$(cat $(DEMO_OUT)/.sandbox-url)" IMAGINEO_API_KEY=demo-any-key-works; \
	gen() { model=$$1; shift; printf '%-19s ' "$$model"; \
	  $(BIN)/imagineo generate "$$@" --model "$$model" --output "$(DEMO_OUT)/$$model.png"; }; \
	gen flux-dev "A cat in a spacesuit" --width 512 --height 512; \
	gen openai "Make the cat astronaut suit red" --reference-image-url https://example.com/mycat.png \
	  --width 512 --height 512; \
	gen google-imagen4 "A futuristic city at sunset" --aspect-ratio 16:9 \
	  --reference-image-url https://example.com/style-reference.jpg; \
	gen flux-kontext-max "A majestic dragon soaring through clouds at golden hour" --aspect-ratio 16:9 --seed 42; \
	gen flux-kontext-multi "Put the cat from the first image into the scene of the second" \
	  --image-urls https://example.com/mycat.png --image-urls https://example.com/mars-landscape.jpg \
	  --aspect-ratio 16:9 --seed 7; \
	gen wan-image-2.1 "A portrait in the style of the fine-tuned model" --model-id $(DEMO_MODEL_ID) \
	  --width 1920 --height 1088 --strength-model 1.5 --model-weight 0.7 --guidance 7.5; \
	gen wan-image-2.2 "A professional fashion photograph with natural lighting" --model-id $(DEMO_MODEL_ID) \
	  --width 1200 --height 1500 --lora-low-name wan2.2/wan2.2-lora-instagirl-2.0/Instagirlv2.0_lownoise.safetensors \
	  --lora-low-strength 0.5 --lora-high-name wan2.2/wan2.2-lora-instagirl-2.0/Instagirlv2.0_hinoise.safetensors \
	  --lora-high-strength 1.0 --batch-size 1 --model-weight 0.7 --guidance 7.5; \
	gen nanobanana "A vibrant underwater scene with coral reefs" \
	  --reference-image-url https://example.com/style-guide.jpg; \
	gen qwen-image-edit "Transform the scene into a fantasy landscape with magical elements" \
	  --lora-1 fantasy-style-v1 --strength-model 1.5 --width 1024 --height 1024; \
	runs=$$($(PY) -c 'import json, os, urllib.request as u; print(json.load(u.urlopen(os.environ["IMAGINEO_API_URL"] + "/_sandbox/stats"))["runs_created"])'); \
	echo "Saved $$(ls $(DEMO_OUT)/*.png | wc -l) images in $(DEMO_OUT)/; the sandbox created $$runs runs"

# Artefacts for other-language teams (docs/for-other-languages.md); dist/ is not committed.
spec: install
	rm -rf dist/spec
	$(PY) tools/build_spec.py --out dist/spec

# The contract's release loop (tools/check_breaking.mjs; README.md, "Changing the API").
# BASE: left empty, the last release: openapi/released.yaml, the committed copy of the spec as released, which a fresh
# clone without tags (CI) has too; the highest v<semver> tag must agree with it. Or any git ref (BASE=v1.0.0).
BASE ?=
check-breaking: node_modules/.installed
	node tools/check_breaking.mjs --base "$(BASE)"

# Cutting a release: check against the last release, then copy openapi/imagineo.yaml to openapi/released.yaml.
# Then commit the record and tag that commit v<info.version> (the command prints both).
release-spec: node_modules/.installed
	node tools/check_breaking.mjs --record
