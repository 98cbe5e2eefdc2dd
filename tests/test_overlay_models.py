"""The model rules: defaults (checked against the spec), aliases, and every validation rule, with nothing sent."""

from __future__ import annotations

import typing
from typing import Any

import pytest
from imagineo import MODEL_DEFAULTS, MODEL_TYPES, ImagineoValidationError
from imagineo._types import DefaultModelParams

from tests.loopback import LoopbackServer
from tests.overlay_helpers import MODES, generate

UUID = "3f1c2a9e-6b7d-4e2f-9a1b-5c8d7e6f4a3b"


def _variants(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    schemas = spec["components"]["schemas"]
    mapping = schemas["GenerateImageInput"]["discriminator"]["mapping"]
    return {tag: schemas[ref.rsplit("/", 1)[1]] for tag, ref in mapping.items()}


def _spec_default(spec: dict[str, Any], prop: dict[str, Any]) -> object:
    """A property's default: its own, one beside its $ref, or the referenced schema's."""
    if "default" in prop:
        return prop["default"]
    if "$ref" in prop:
        return _spec_default(spec, spec["components"]["schemas"][prop["$ref"].rsplit("/", 1)[1]])
    return None


def test_model_types_are_the_specs(spec: dict[str, Any]) -> None:
    assert list(_variants(spec)) == list(MODEL_TYPES)


def test_every_overlay_default_equals_the_spec_default_and_none_is_missing(spec: dict[str, Any]) -> None:
    """One truth, two places: breaks if MODEL_DEFAULTS and the spec's `default`s drift apart, either way."""
    from_spec = {
        tag: {
            name: value
            for name, prop in schema["properties"].items()
            if (value := _spec_default(spec, prop)) is not None
        }
        for tag, schema in _variants(spec).items()
    }
    from_overlay = {tag: dict(MODEL_DEFAULTS.get(tag, {})) for tag in MODEL_TYPES}
    assert from_overlay == from_spec
    for tag, defaults in from_overlay.items():  # same JSON type too: 1 and 1.0 differ on the wire for integers
        for name, value in defaults.items():
            assert type(value) is type(from_spec[tag][name]) or isinstance(value, float | int), (tag, name)


def test_default_model_params_are_flux_dev_without_model_type(spec: dict[str, Any]) -> None:
    """The one hand-written typed shape must list exactly Flux Dev's fields, prompt required."""
    flux = _variants(spec)["flux-dev"]
    hints = typing.get_type_hints(DefaultModelParams)
    options = {"timeout", "max_retries", "extra_headers", "extra_body", "idempotency_key"}
    assert set(hints) - options == set(flux["properties"]) - {"model_type"}
    assert DefaultModelParams.__required_keys__ == {"prompt"}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("params", "sent"),
    [
        ({"prompt": "p"}, {"prompt": "p", "model_type": "flux-dev"}),
        (
            {"prompt": "p", "model_type": "flux-kontext-max"},
            {"prompt": "p", "model_type": "flux-kontext-max", "aspect_ratio": "1:1"},
        ),
        (
            {"prompt": "p", "model_type": "wan-image-2.1", "model_id": UUID, "width": 64, "height": 64},
            {
                "prompt": "p",
                "model_type": "wan-image-2.1",
                "model_id": UUID,
                "width": 64,
                "height": 64,
                "strength_model": 1,
                "model_weight": 0.7,
                "guidance": 7.5,
            },
        ),
        (
            {"prompt": "p", "model_type": "wan-image-2.2", "model_id": UUID,
             "lora_low_name": "a", "lora_high_name": "b"},
            {
                "prompt": "p",
                "model_type": "wan-image-2.2",
                "model_id": UUID,
                "lora_low_name": "a",
                "lora_high_name": "b",
                "lora_low_strength": 0.5,
                "lora_high_strength": 1.0,
                "batch_size": 1,
            },
        ),
        (
            {"prompt": "p", "model_type": "qwen-image-edit", "width": 64, "height": 64},
            {"prompt": "p", "model_type": "qwen-image-edit", "width": 64, "height": 64, "strength_model": 1},
        ),
        # A value the caller gives is never overridden, even one equal to another model's default.
        (
            {"prompt": "p", "model_type": "wan-image-2.1", "model_id": UUID, "width": 64, "height": 64,
             "strength_model": 0, "model_weight": 0, "guidance": 0},
            {"prompt": "p", "model_type": "wan-image-2.1", "model_id": UUID, "width": 64, "height": 64,
             "strength_model": 0, "model_weight": 0, "guidance": 0},
        ),
        (
            {"prompt": "p", "model_type": "flux-kontext-max", "aspect_ratio": "21:9"},
            {"prompt": "p", "model_type": "flux-kontext-max", "aspect_ratio": "21:9"},
        ),
    ],
)  # fmt: skip
def test_defaults_are_sent_explicitly_and_never_override(
    mode: str, loopback: LoopbackServer, params: dict[str, Any], sent: dict[str, Any]
) -> None:
    generate(mode, {"api_url": loopback.url}, **params)
    assert loopback.requests[0].json() == sent


@pytest.mark.parametrize("mode", MODES)
def test_workflow_type_is_a_deprecated_alias(mode: str, loopback: LoopbackServer) -> None:
    with pytest.warns(DeprecationWarning, match="workflow_type is deprecated; use model_type"):
        generate(mode, {"api_url": loopback.url}, prompt="p", workflow_type="openai")
    assert loopback.requests[0].json() == {"prompt": "p", "model_type": "openai"}


def test_workflow_type_warning_points_at_the_callers_line(loopback: LoopbackServer) -> None:
    with pytest.warns(DeprecationWarning, match="workflow_type") as record:
        generate("sync", {"api_url": loopback.url}, prompt="p", workflow_type="openai")
    assert record[0].filename.endswith("overlay_helpers.py")  # the frame that called images.generate


@pytest.mark.parametrize("mode", MODES)
def test_workflow_type_conflicting_with_model_type_is_an_error(mode: str, loopback: LoopbackServer) -> None:
    with pytest.warns(DeprecationWarning, match="workflow_type"), pytest.raises(ImagineoValidationError) as info:
        generate(mode, {"api_url": loopback.url}, prompt="p", workflow_type="openai", model_type="flux-dev")
    assert info.value.errors[0]["field"] == "workflow_type"
    assert "'openai' conflicts with model_type 'flux-dev'" in str(info.value)
    assert loopback.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_reference_url_is_an_alias_of_reference_image_url(mode: str, loopback: LoopbackServer) -> None:
    generate(mode, {"api_url": loopback.url}, prompt="p", model_type="openai", reference_url="https://e.com/a.png")
    assert loopback.requests[0].json() == {
        "prompt": "p",
        "model_type": "openai",
        "reference_image_url": "https://e.com/a.png",
    }


# Each case: the fields, then (field, words) that the error must contain. Nothing may be sent for any of them.
INVALID: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
    ("unknown model type lists the nine", {"prompt": "p", "model_type": "flux-pro"},
     [("model_type", "'flux-dev', 'openai', 'google-imagen4', 'flux-kontext-max', 'flux-kontext-multi', "
                     "'wan-image-2.1', 'wan-image-2.2', 'nanobanana', 'qwen-image-edit'; got 'flux-pro'")]),
    ("missing required field", {"prompt": "p", "model_type": "google-imagen4"},
     [("aspect_ratio", "is required for model_type 'google-imagen4'")]),
    ("missing prompt", {"model_type": "openai"}, [("prompt", "is required for model_type 'openai'")]),
    ("above maximum", {"prompt": "p", "width": 4096}, [("width", "must be <= 2048; got 4096 (int)")]),
    ("below minimum", {"prompt": "p", "height": 63}, [("height", "must be >= 64; got 63 (int)")]),
    ("number above range", {"prompt": "p", "model_type": "wan-image-2.1", "model_id": UUID, "width": 64,
                            "height": 64, "guidance": 100.5}, [("guidance", "must be <= 100; got 100.5 (float)")]),
    ("bool is not a number", {"prompt": "p", "model_type": "qwen-image-edit", "width": 64, "height": 64,
                              "strength_model": True}, [("strength_model", "must be a number; got True (bool)")]),
    ("string is not an integer", {"prompt": "p", "width": "512"}, [("width", "must be an integer; got '512' (str)")]),
    ("float is not an integer", {"prompt": "p", "width": 512.5}, [("width", "must be an integer; got 512.5 (float)")]),
    ("bool is not an integer", {"prompt": "p", "width": True}, [("width", "must be an integer; got True (bool)")]),
    ("aspect ratio outside the set", {"prompt": "p", "model_type": "flux-kontext-max", "aspect_ratio": "7:5"},
     [("aspect_ratio", "must be one of '1:1', '16:9', '9:16', '4:3', '3:4', '3:2', '2:3', '4:5', '5:4', '21:9', "
                       "'9:21', '2:1' or '1:2'; got '7:5'")]),
    ("relative URL", {"prompt": "p", "reference_image_url": "/images/cat.png"},
     [("reference_image_url", "must be an absolute http(s) URL; got '/images/cat.png'")]),
    ("non-http URL", {"prompt": "p", "reference_image_url": "ftp://e.com/a.png"},
     [("reference_image_url", "must be an absolute http(s) URL; got 'ftp://e.com/a.png'")]),
    ("URL in a list",
     {"prompt": "p", "model_type": "flux-kontext-multi", "image_urls": ["https://e.com/1.png", "e.com"]},
     [("image_urls[1]", "must be an absolute http(s) URL; got 'e.com'")]),
    ("too few images", {"prompt": "p", "model_type": "flux-kontext-multi", "image_urls": ["https://e.com/1.png"]},
     [("image_urls", "must list at least 2 items")]),
    ("model_id not a UUID", {"prompt": "p", "model_type": "wan-image-2.1", "model_id": "your-model-uuid",
                             "width": 64, "height": 64}, [("model_id", "must be a UUID")]),
    ("unhyphenated UUID", {"prompt": "p", "model_type": "wan-image-2.1", "model_id": UUID.replace("-", ""),
                           "width": 64, "height": 64}, [("model_id", "must be a UUID")]),
    ("empty prompt", {"prompt": ""}, [("prompt", "must not be empty; got '' (str)")]),
    ("misspelled field suggests the closest", {"prompt": "p", "widht": 512},
     [("widht", "is not a known parameter (did you mean 'width'?)")]),
    ("field of another model names who takes it", {"prompt": "p", "model_type": "nanobanana", "seed": 1},
     [("seed", "does not apply to model_type 'nanobanana'; it is taken by flux-kontext-max, flux-kontext-multi")]),
    ("None is not a value", {"prompt": "p", "width": None},
     [("width", "must not be None (leave it out to use the default)")]),
    ("aliases disagree", {"prompt": "p", "reference_url": "https://e.com/a", "reference_image_url": "https://e.com/b"},
     [("reference_url", "conflicts with reference_image_url")]),
]  # fmt: skip


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("case", "params", "expected"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_input_is_named_and_nothing_is_sent(
    mode: str, loopback: LoopbackServer, case: str, params: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    with pytest.raises(ImagineoValidationError) as info:
        generate(mode, {"api_url": loopback.url}, **params)
    err = info.value
    assert isinstance(err, ValueError)
    message = str(err)
    for field, words in expected:
        assert any(e["field"] == field and words in e["message"] for e in err.errors), (field, words, err.errors)
        assert f"{field}: " in message
        assert words in message
    if params.get("model_type", "flux-dev") in MODEL_TYPES:
        assert f"model_type {params.get('model_type', 'flux-dev')!r}" in message
    assert loopback.requests == [], "nothing may be sent when validation fails"


def test_every_problem_is_reported_at_once(loopback: LoopbackServer) -> None:
    with pytest.raises(ImagineoValidationError) as info:
        generate(
            "sync",
            {"api_url": loopback.url},
            prompt="",
            model_type="wan-image-2.1",
            model_id="nope",
            width=10,
            height="64",
            widht=3,
        )
    assert {e["field"] for e in info.value.errors} == {"prompt", "model_id", "width", "height", "widht"}
    assert "(5 problems)" in str(info.value)
    assert loopback.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_urls_and_numbers_go_on_the_wire_exactly_as_given(mode: str, loopback: LoopbackServer) -> None:
    """Validation never rewrites: no URL normalisation (signed URLs), no int->float, no coercion."""
    url = "https://Example.COM:8443/a%2Fb/Cat.PNG?X-Amz-Signature=AbC%3D&x=1#frag"
    generate(
        mode,
        {"api_url": loopback.url},
        prompt="p",
        model_type="wan-image-2.1",
        model_id=UUID.upper(),
        width=64,
        height=2048,
        strength_model=2,
        guidance=0.1,
    )
    generate(mode, {"api_url": loopback.url}, prompt="p", model_type="openai", reference_image_url=url)
    first, second = loopback.requests
    assert b'"strength_model":2,' in first.body  # an int stays an int
    # The one rewrite, documented: the generated model parses model_id as a UUID, so it goes out in canonical
    # lowercase form (UUIDs are case-insensitive, RFC 9562).
    assert first.json()["model_id"] == UUID
    assert second.json()["reference_image_url"] == url


@pytest.mark.parametrize("mode", MODES)
def test_generated_input_model_and_mapping_are_accepted(mode: str, loopback: LoopbackServer) -> None:
    from imagineo_api.models import GoogleImagen4Input

    model = GoogleImagen4Input(prompt="p", model_type="google-imagen4", aspect_ratio="16:9")
    generate(mode, {"api_url": loopback.url}, model)
    generate(mode, {"api_url": loopback.url}, {"prompt": "p", "model_type": "google-imagen4", "aspect_ratio": "1:1"})
    assert [r.json()["aspect_ratio"] for r in loopback.requests] == ["16:9", "1:1"]


def test_input_and_keyword_fields_together_is_a_type_error(loopback: LoopbackServer) -> None:
    with pytest.raises(TypeError, match="not both"):
        generate("sync", {"api_url": loopback.url}, {"prompt": "p"}, width=64)
    assert loopback.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_extra_body_is_sent_as_given(mode: str, loopback: LoopbackServer) -> None:
    generate(mode, {"api_url": loopback.url}, prompt="p", extra_body={"style_preset": "anime", "width": 77})
    assert loopback.requests[0].json() == {
        "prompt": "p",
        "model_type": "flux-dev",
        "style_preset": "anime",
        "width": 77,
    }


def _resolve(spec: dict[str, Any], prop: dict[str, Any]) -> dict[str, Any]:
    """A property schema with its $ref followed (siblings beside the $ref win)."""
    if "$ref" not in prop:
        return prop
    target = _resolve(spec, spec["components"]["schemas"][prop["$ref"].rsplit("/", 1)[1]])
    return {**target, **{k: v for k, v in prop.items() if k != "$ref"}}


def test_field_table_matches_the_spec(spec: dict[str, Any]) -> None:
    """fields_by_model() (read off the generated models; the CLI's options and `imagineo models` come from it) says
    what the spec says: each field, required or not, its range, choices, item counts and default."""
    from imagineo._models import fields_by_model

    table = fields_by_model()
    for tag, schema in _variants(spec).items():
        assert list(table[tag]) == list(schema["properties"]), tag
        for name, raw in schema["properties"].items():
            prop, field = _resolve(spec, raw), table[tag][name]
            where = f"{tag}.{name}"
            assert field.required == (name in schema["required"]), where
            assert field.minimum == prop.get("minimum"), where
            assert field.maximum == prop.get("maximum"), where
            assert field.min_items == prop.get("minItems"), where
            assert field.max_items == prop.get("maxItems"), where
            assert list(field.choices) == prop.get("enum", [prop["const"]] if "const" in prop else []), where
            if name != "model_type":
                assert field.default == prop.get("default"), where
            assert field.type == {"integer": "integer", "number": "number", "array": "array"}.get(
                prop["type"], "const" if "const" in prop else "enum" if "enum" in prop else "string"
            ), where


def test_seed_beyond_what_json_clients_hold_exactly_is_refused(loopback: LoopbackServer) -> None:
    """A seed above 2^53 - 1 is named as out of range before sending (it used to escape as a raw ValueError from the
    JSON encoder for very large values, and be rounded by JavaScript servers for the rest)."""
    for seed in (2**53, 10**4400):
        with pytest.raises(ImagineoValidationError, match="seed: must be <= 9007199254740991"):
            generate("sync", {"api_url": loopback.url}, prompt="p", model_type="flux-kontext-max", seed=seed)
    generate("sync", {"api_url": loopback.url}, prompt="p", model_type="flux-kontext-max", seed=2**53 - 1)
    assert loopback.requests[0].json()["seed"] == 2**53 - 1
