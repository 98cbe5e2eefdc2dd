"""The validators built from imagineo_api.core_schemas are the pydantic models of imagineo_api.schemas, minus the cost.

imagineo._models validates a call with a pydantic-core SchemaValidator made from the core schema that
generator/core_schemas.py wrote out of each model type's pydantic model (issue 13, item 7). These tests pin that the
two judge every body alike, that a call does not fall back to building the pydantic models, and that the fallback
(a pydantic-core that rejects the written schema) still validates.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from imagineo import ImagineoValidationError, _fast_check, _models
from imagineo_api import catalog, core_schemas, schemas
from pydantic_core import SchemaValidator, ValidationError

from tests.spec_cases import EXAMPLE_FOR, MODEL_TYPES, VARIANTS, full_body, minimal_body

# Values of every kind, put in every field in turn: each breaks some field's rule, and is fine for some other.
PROBES: list[Any] = [None, "", "x", "https://example.com/a.png", 0, -1, 64, 10**20, 1.5, True, [], ["x"], {"a": 1}]


def _bodies(model_type: str) -> list[dict[str, Any]]:
    full = full_body(model_type)
    bodies = [full, minimal_body(model_type), {**full, "not_a_field": 1}, {}]
    for name in VARIANTS[model_type]["properties"]:
        bodies.append({k: v for k, v in full.items() if k != name})
        bodies.extend({**full, name: probe} for probe in PROBES)
    return bodies


def _errors(validator: Any, body: dict[str, Any]) -> list[tuple[Any, ...]] | None:
    try:
        validator.validate_python(body)
    except ValidationError as exc:
        return [(e["type"], e["loc"], e["msg"], repr(e.get("input")), e.get("ctx")) for e in exc.errors()]
    return None


@pytest.mark.parametrize("model_type", MODEL_TYPES)
def test_core_validator_judges_like_the_pydantic_model(model_type: str) -> None:
    """Every body (valid, minimal, each field dropped, each field given a value of every kind) gets the same verdict
    and the same errors (type, location, message, input, context) from the core validator as from the model.

    Caught: generator/core_schemas.py unwrapping a root model so that its errors move (``image_urls.0.root``), or
    dropping a key the validator reads (``strict``: "512" accepted as an integer; ``extra_fields_behavior``: unknown
    fields accepted).
    """
    name = catalog.CLASS_NAMES[model_type]
    entry = core_schemas.SCHEMAS[name]
    core = SchemaValidator(entry["schema"], entry["config"])
    model = getattr(schemas, name).__pydantic_validator__
    for body in _bodies(model_type):
        assert _errors(core, body) == _errors(model, body), f"{model_type}: verdicts differ on {body!r}"


@pytest.mark.parametrize("model_type", MODEL_TYPES)
def test_fast_check_vouches_only_for_what_pydantic_core_accepts(model_type: str) -> None:
    """The plain-Python fast check of _models answers True only for bodies the pydantic model accepts (it may defer
    more), and it does vouch for the valid ones (the example, the full and the minimal body), so they skip
    pydantic-core.

    Caught: a fast check looser than pydantic-core (bool taken as an int, a float field taking NaN, a pattern
    matched with search instead of in full, an unknown field let through): an invalid body would be sent. And a
    fast check that defers everything (a node type it stopped knowing after a pydantic upgrade), which keeps every
    rule but loads pydantic-core on every first call again.
    """
    name = catalog.CLASS_NAMES[model_type]
    model = getattr(schemas, name).__pydantic_validator__
    fast = _fast_check.fast_check(catalog.CLASS_NAMES[model_type])
    for body in _bodies(model_type):
        if fast(body):
            assert _errors(model, body) is None, f"{model_type}: the fast check passed an invalid body {body!r}"
    for body in (EXAMPLE_FOR[model_type], full_body(model_type), minimal_body(model_type)):
        assert fast(body), f"{model_type}: the fast check defers a valid body {body!r}"


@pytest.mark.parametrize(
    "value",
    ["https://example.com/a.png\n", "https://example.com/ä.png", "xhttps://example.com/a.png", "https://a.com/\ud800"],
)
def test_fast_check_defers_urls_it_cannot_vouch_for(value: str) -> None:
    """A URL with a trailing newline, non-ASCII text, text before the scheme or a lone surrogate is not vouched for
    by the fast check (Python's `$` matches before a final newline; Rust's regex, which pydantic-core uses, does not).

    Caught: the fast check matching patterns with `re.search`, or without the ASCII and newline guard.
    """
    for model_type in MODEL_TYPES:
        props = VARIANTS[model_type]["properties"]
        for name, prop in props.items():
            if prop.get("format") == "uri":
                assert not _fast_check.fast_check(catalog.CLASS_NAMES[model_type])(
                    {**full_body(model_type), name: value}
                ), (model_type, name)


def test_a_call_builds_no_pydantic_model() -> None:
    """A fresh process validates a valid call of every model type without importing pydantic, its models,
    imagineo_api.schemas or even pydantic-core: the fast check vouches for them.

    Caught: _models._validator falling back to imagineo_api.schemas (a written schema that pydantic-core rejects,
    say after a pydantic upgrade without `make generate`), or the fast check deferring valid bodies, which keep every
    rule but bring back the cost of loading them on the first call (benchmarks row 7).
    """
    code = (
        "import sys\n"
        "from imagineo import _models\n"
        f"for example in {list(EXAMPLE_FOR.values())!r}:\n"
        "    _models.prepare(example)\n"
        "heavy = ('pydantic', 'pydantic.main', 'pydantic_core', 'imagineo_api.schemas')\n"
        "loaded = sorted(m for m in heavy if m in sys.modules)\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "", f"a call loaded {out.strip()}"


def test_fallback_to_the_pydantic_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """When pydantic-core rejects a written schema, the model type is validated by its pydantic model instead, with
    the same rules and messages.

    Caught: the SchemaError of an incompatible pydantic-core escaping from generate() instead of the fallback.
    """
    model_type = MODEL_TYPES[0]
    name = catalog.CLASS_NAMES[model_type]
    broken = {"schema": {"type": "no-such-schema-type"}, "config": {}}
    monkeypatch.setitem(core_schemas.SCHEMAS, name, broken)
    _models._validator.cache_clear()
    _fast_check.fast_check.cache_clear()  # the broken entry defers every body to the validator
    try:
        assert _models.prepare(EXAMPLE_FOR[model_type])[0] == model_type
        with pytest.raises(ImagineoValidationError) as info:
            _models.prepare({**EXAMPLE_FOR[model_type], "prompt": ""})
        assert [e["field"] for e in info.value.errors] == ["prompt"]
    finally:
        _models._validator.cache_clear()
        _fast_check.fast_check.cache_clear()
