"""The model rules: the spec's defaults, aliases, and every validation rule, with nothing sent.

Every table here is derived from the spec (tests/spec_cases.py): a model type or a field added to it is tested
after ``make generate`` with no edit here. Cases pinned to the TypeScript SDK's page say so.
"""

from __future__ import annotations

import contextlib
import copy
import typing
from typing import Any

import pytest
from imagineo import DEFAULT_MODEL_TYPE, MODEL_DEFAULTS, MODEL_TYPES, ImagineoValidationError
from imagineo._models import ALIASES, DEPRECATED_ALIASES
from imagineo._types import DefaultModelParams

from tests import spec_cases as sc
from tests.loopback import LoopbackServer
from tests.overlay_helpers import MODES, generate

UUID = "3f1c2a9e-6b7d-4e2f-9a1b-5c8d7e6f4a3b"


def test_model_types_are_the_specs() -> None:
    """Breaks if the SDK's list of model types is anything but the spec's oneOf, in its order."""
    assert list(MODEL_TYPES) == sc.MODEL_TYPES
    assert DEFAULT_MODEL_TYPE == sc.DEFAULT_MODEL_TYPE


def test_the_spec_still_has_the_seed_pages_model_types_and_defaults() -> None:
    """The TypeScript SDK's page documents these model types, the fields it calls required and the defaults it
    names; breaks (naming the seed fact) if a spec edit drops one."""
    assert sc.DEFAULT_MODEL_TYPE == sc.SEED_DEFAULT_MODEL_TYPE, "the seed page: flux-dev is the default model"
    for model_type, facts in sc.SEED.items():
        assert model_type in sc.VARIANTS, f"the seed page documents model_type {model_type!r}"
        for field in ["prompt", *facts["required"]]:
            assert field in sc.required(model_type), f"the seed page: {field} is required for {model_type}"
        for field, value in facts["defaults"].items():
            assert sc.SPEC_DEFAULTS[model_type].get(field) == value, f"the seed page: {model_type} {field} = {value}"


def test_sdk_defaults_are_the_spec_defaults() -> None:
    """MODEL_DEFAULTS is generated from the spec: breaks if any model type's defaults differ from its `default`s."""
    assert {k: dict(v) for k, v in MODEL_DEFAULTS.items()} == sc.SPEC_DEFAULTS


def test_every_spec_default_reaches_both_generated_outputs() -> None:
    """A `default` must be visible to every generator: the attrs request model (openapi-python-client, which drops
    a default written beside a bare $ref) and the pydantic validation model (datamodel-code-generator).

    Caught: FluxKontextMaxInput.aspect_ratio written as `$ref` + sibling `default` (the attrs default was UNSET)."""
    from imagineo_api import catalog, models, schemas

    for model_type, defaults in sc.SPEC_DEFAULTS.items():
        attrs_cls = getattr(models, catalog.CLASS_NAMES[model_type])
        pydantic_cls = getattr(schemas, catalog.CLASS_NAMES[model_type])
        fields = {a.name: a.default for a in attrs_cls.__attrs_attrs__}
        for name, value in defaults.items():
            assert fields[name] == value, f"{model_type}.{name}: attrs default {fields[name]!r}, spec {value!r}"
            assert pydantic_cls.model_fields[name].default == value, f"{model_type}.{name} (pydantic)"


def test_default_model_params_are_the_default_models_fields_without_model_type() -> None:
    """The typed shape for calls without model_type lists exactly the default model's fields, its required ones
    required (generated from the spec)."""
    hints = typing.get_type_hints(DefaultModelParams)
    options = {"timeout", "max_retries", "extra_headers", "extra_body", "idempotency_key"}
    default = sc.VARIANTS[sc.DEFAULT_MODEL_TYPE]
    assert set(hints) - options == set(default["properties"]) - {sc.TAG_FIELD}
    assert set(DefaultModelParams.__required_keys__) == set(sc.required(sc.DEFAULT_MODEL_TYPE)) - {sc.TAG_FIELD}


def _default_cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(id, fields given, body that must be sent): each model type with only its required fields gets the spec's
    defaults; with every defaulted field set to another valid value, nothing is replaced."""
    cases = []
    for model_type in sc.MODEL_TYPES:
        minimal = sc.minimal_body(model_type)
        cases.append((f"{model_type}-defaults", minimal, sc.with_defaults(minimal)))
        props = sc.VARIANTS[model_type]["properties"]
        given = {**minimal, **{name: sc.valid_value(props[name]) for name in sc.SPEC_DEFAULTS[model_type]}}
        if sc.SPEC_DEFAULTS[model_type]:
            cases.append((f"{model_type}-given-wins", given, given))
    default_minimal = {k: v for k, v in sc.minimal_body(sc.DEFAULT_MODEL_TYPE).items() if k != sc.TAG_FIELD}
    cases.append(("model-type-omitted", default_minimal, sc.with_defaults(sc.minimal_body(sc.DEFAULT_MODEL_TYPE))))
    return cases


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("case", "params", "sent"), _default_cases(), ids=[c[0] for c in _default_cases()])
def test_defaults_are_sent_explicitly_and_never_override(
    mode: str, loopback: LoopbackServer, case: str, params: dict[str, Any], sent: dict[str, Any]
) -> None:
    """Breaks if a spec default is not sent when the field is left out, or replaces a value the caller gave."""
    generate(mode, {"api_url": loopback.url}, **params)
    body = loopback.requests[0].json()
    if "model_id" in body:  # the one rewrite: canonical lowercase UUID
        sent = {**sent, "model_id": str(sent["model_id"]).lower()}
    assert body == sent


_DEPRECATED = sorted(a for a in ALIASES if a in DEPRECATED_ALIASES)
_PLAIN_ALIASES = sorted(a for a in ALIASES if a not in DEPRECATED_ALIASES)


def _model_taking(field: str) -> str:
    return next(m for m in sc.MODEL_TYPES if field in sc.VARIANTS[m]["properties"])


def _alias_call(alias: str, value: Any = None) -> tuple[dict[str, Any], str, Any]:
    """A valid call that gives the aliased field under its alias: (fields, target field, value)."""
    field = ALIASES[alias]
    if field == sc.TAG_FIELD:
        model_type = sc.MODEL_TYPES[-1]
        body = sc.minimal_body(model_type)
        body.pop(sc.TAG_FIELD)
        return {**body, alias: model_type}, field, model_type
    model_type = _model_taking(field)
    value = sc.valid_value(sc.VARIANTS[model_type]["properties"][field]) if value is None else value
    return {**sc.minimal_body(model_type), alias: value}, field, value


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("alias", _DEPRECATED)
def test_a_deprecated_alias_warns_and_is_sent_under_the_fields_name(
    mode: str, loopback: LoopbackServer, alias: str
) -> None:
    """The spec's deprecated aliases (the seed page's workflow_type) work, warn, and never reach the wire."""
    params, field, value = _alias_call(alias)
    with pytest.warns(DeprecationWarning, match=f"{alias} is deprecated; use {field}"):
        generate(mode, {"api_url": loopback.url}, **params)
    body = loopback.requests[0].json()
    assert body[field] == value and alias not in body


@pytest.mark.parametrize("alias", _DEPRECATED)
def test_deprecation_warning_points_at_the_callers_line(loopback: LoopbackServer, alias: str) -> None:
    params, _, _ = _alias_call(alias)
    with pytest.warns(DeprecationWarning, match=alias) as record:
        generate("sync", {"api_url": loopback.url}, **params)
    assert record[0].filename.endswith("overlay_helpers.py")  # the frame that called images.generate


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_an_alias_conflicting_with_its_field_is_an_error(mode: str, loopback: LoopbackServer, alias: str) -> None:
    """Breaks if two names for one field that disagree are silently resolved (or anything is sent)."""
    params, field, value = _alias_call(alias)
    other = next(
        v
        for v in sc.valid_values(sc.VARIANTS[_model_taking(field)]["properties"][field]) + sc.MODEL_TYPES
        if v != value
    )
    params[field] = other
    with (
        pytest.raises(ImagineoValidationError) as info,
        pytest.warns() if alias in DEPRECATED_ALIASES else contextlib.nullcontext(),
    ):
        generate(mode, {"api_url": loopback.url}, **params)
    assert info.value.errors[0]["field"] == alias
    assert f"{value!r} conflicts with {field} {other!r}" in str(info.value)
    assert loopback.requests == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("alias", _PLAIN_ALIASES)
def test_an_alias_is_sent_under_the_fields_name(mode: str, loopback: LoopbackServer, alias: str) -> None:
    """The seed page's reference_url (and any alias the spec adds) goes on the wire as the spec's field name."""
    params, field, value = _alias_call(alias)
    generate(mode, {"api_url": loopback.url}, **params)
    body = loopback.requests[0].json()
    assert body[field] == value and alias not in body


def _num(value: float) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _choices(values: list[Any]) -> str:
    shown = [repr(v) for v in values]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def _field_cases(model_type: str, name: str, prop: dict[str, Any]) -> list[tuple[Any, str, str]]:
    """(bad value, field named in the error, words it must contain) for one field, from its schema."""
    kind = prop.get("type")
    cases: list[tuple[Any, str, str]] = []
    if kind in ("integer", "number"):
        step = 1 if kind == "integer" else 0.5
        if "maximum" in prop:
            v = prop["maximum"] + step
            cases.append((v, name, f"must be <= {_num(prop['maximum'])}; got {v!r} ({type(v).__name__})"))
        if "minimum" in prop:
            v = prop["minimum"] - step
            cases.append((v, name, f"must be >= {_num(prop['minimum'])}; got {v!r} ({type(v).__name__})"))
        word = "an integer" if kind == "integer" else "a number"
        cases.append((True, name, f"must be {word}; got True (bool)"))
        cases.append(("512", name, f"must be {word}; got '512' (str)"))
        if kind == "integer":
            cases.append((512.5, name, "must be an integer; got 512.5 (float)"))
    elif "enum" in prop:
        cases.append(("7:5x", name, f"must be one of {_choices(prop['enum'])}; got '7:5x'"))
    elif kind == "string":
        if prop.get("format") == "uri":
            cases.append(("/images/cat.png", name, "must be an absolute http(s) URL; got '/images/cat.png'"))
            cases.append(("ftp://e.com/a.png", name, "must be an absolute http(s) URL; got 'ftp://e.com/a.png'"))
        if prop.get("format") == "uuid":
            cases.append(("your-model-uuid", name, "must be a UUID"))
            cases.append((UUID.replace("-", ""), name, "must be a UUID"))
        if prop.get("minLength") == 1:
            cases.append(("", name, "must not be empty; got '' (str)"))
        cases.append((512, name, "must be a string; got 512 (int)"))
    elif kind == "array":
        good = sc.valid_values(prop)[0]
        item = sc.valid_value(prop["items"])
        if "minItems" in prop:
            cases.append(([item] * (prop["minItems"] - 1), name, f"must list at least {prop['minItems']} items"))
        if "maxItems" in prop:
            cases.append(([item] * (prop["maxItems"] + 1), name, f"must list at most {prop['maxItems']} items"))
        if prop["items"].get("format") == "uri":
            bad = [*good[:-1], "e.com"]
            cases.append((bad, f"{name}[{len(bad) - 1}]", "must be an absolute http(s) URL; got 'e.com'"))
    return cases


def _misspelled(name: str) -> str:
    i = max(1, len(name) // 2)
    return name[: i - 1] + name[i] + name[i - 1] + name[i + 1 :]


def _invalid_cases() -> list[tuple[str, dict[str, Any], list[tuple[str, str]]]]:
    """(id, fields, [(field, words)]): every rule of every field of every model type, broken one at a time."""
    cases: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = []
    listed = ", ".join(repr(m) for m in sc.MODEL_TYPES)
    cases.append(("unknown model type lists them all", {"prompt": "p", sc.TAG_FIELD: "no-such-model"},
                  [(sc.TAG_FIELD, f"must be one of {listed}; got 'no-such-model'")]))  # fmt: skip
    close = sc.MODEL_TYPES[0][:-1] + "x"
    cases.append(("misspelled model type", {"prompt": "p", sc.TAG_FIELD: close},
                  [(sc.TAG_FIELD, f"(did you mean {sc.MODEL_TYPES[0]!r}?)")]))  # fmt: skip
    every_field = {f for v in sc.VARIANTS.values() for f in v["properties"]}
    for model_type in sc.MODEL_TYPES:
        minimal = sc.minimal_body(model_type)
        props = sc.VARIANTS[model_type]["properties"]
        for name in sc.required(model_type):
            if name != sc.TAG_FIELD:
                body = {k: v for k, v in minimal.items() if k != name}
                cases.append(
                    (f"{model_type}-{name}-missing", body, [(name, f"is required for model_type {model_type!r}")])
                )
        for name, prop in props.items():
            if name == sc.TAG_FIELD:
                continue
            for i, (value, field, words) in enumerate(_field_cases(model_type, name, prop)):
                cases.append((f"{model_type}-{name}-{i}", {**minimal, name: value}, [(field, words)]))
            if name not in sc.required(model_type):
                words = "must not be None (leave it out to use the default)"
                cases.append((f"{model_type}-{name}-None", {**minimal, name: None}, [(name, words)]))
        for name in sorted(every_field - set(props)):
            others = [m for m in sc.MODEL_TYPES if name in sc.VARIANTS[m]["properties"]]
            value = sc.valid_value(sc.VARIANTS[others[0]]["properties"][name])
            words = f"does not apply to model_type {model_type!r}; it is taken by {', '.join(others)}"
            cases.append((f"{model_type}-foreign-{name}", {**minimal, name: value}, [(name, words)]))
        typo = next((n for n in props if n not in sc.required(model_type) and _misspelled(n) not in every_field), None)
        if typo is not None:
            value = sc.valid_value(props[typo])
            words = f"is not a known parameter (did you mean {typo!r}?)"
            cases.append(
                (f"{model_type}-misspelled-{typo}", {**minimal, _misspelled(typo): value}, [(_misspelled(typo), words)])
            )
    return cases


INVALID = _invalid_cases()


#: The async client validates through the same `_Settings.build`: one case per model type proves it there too.
_ASYNC_SAMPLE = [(mode, *case) for case in INVALID for mode in MODES if mode == "sync" or case[0].endswith("-0")]


@pytest.mark.parametrize(
    ("mode", "case", "params", "expected"), _ASYNC_SAMPLE, ids=[f"{c[0]}-{c[1]}" for c in _ASYNC_SAMPLE]
)
def test_invalid_input_is_named_and_nothing_is_sent(
    mode: str, loopback: LoopbackServer, case: str, params: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    """Every rule the spec states, broken once per field of every model type: the error names the field, the rule
    and the value, and nothing is sent. Breaks when a rule is not enforced or its message loses one of the three."""
    with pytest.raises(ImagineoValidationError) as info:
        generate(mode, {"api_url": loopback.url}, **copy.deepcopy(params))
    err = info.value
    assert isinstance(err, ValueError)
    message = str(err)
    for field, words in expected:
        assert any(e["field"] == field and words in e["message"] for e in err.errors), (field, words, err.errors)
        assert f"{field}: " in message
        assert words in message
    if params.get(sc.TAG_FIELD, sc.DEFAULT_MODEL_TYPE) in MODEL_TYPES:
        assert f"model_type {params.get(sc.TAG_FIELD, sc.DEFAULT_MODEL_TYPE)!r}" in message
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


def test_field_table_matches_the_spec() -> None:
    """fields_by_model() (generated imagineo_api.catalog; the CLI's options and `imagineo models` come from it) says
    what the spec says: each field, required or not, its range, choices, item counts and default."""
    from imagineo._models import fields_by_model

    table = fields_by_model()
    for tag, schema in sc.VARIANTS.items():
        assert list(table[tag]) == list(schema["properties"]), tag
        for name, prop in schema["properties"].items():
            field = table[tag][name]
            where = f"{tag}.{name}"
            assert field.required == (name in schema["required"]), where
            assert field.minimum == prop.get("minimum"), where
            assert field.maximum == prop.get("maximum"), where
            assert field.min_items == prop.get("minItems"), where
            assert field.max_items == prop.get("maxItems"), where
            assert list(field.choices) == prop.get("enum", [prop["const"]] if "const" in prop else []), where
            assert field.default == prop.get("default"), where
            assert field.has_default == ("default" in prop), where
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
