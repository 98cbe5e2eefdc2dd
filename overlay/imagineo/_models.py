"""The model rules: aliases, the spec's defaults, and validation against the models generated from the spec.

Nothing here knows a particular model type. What the spec says (the model types, the default one, each field's type,
range and default, the aliases) is read from ``imagineo_api.catalog``, plain data that generator/catalog.py emits
from openapi/imagineo.yaml; the rules are checked by ``imagineo_api.schemas``, the pydantic models that
datamodel-code-generator makes from the same spec. After a spec edit and ``make generate`` both follow.

One call's input goes through `prepare()`, in this order, before anything touches the network:

1. aliases are normalised (``catalog.ALIASES``: ``reference_url`` is another name for ``reference_image_url``, and
   ``workflow_type`` the deprecated name of ``model_type``, which warns);
2. ``model_type`` defaults to ``catalog.DEFAULT_MODEL_TYPE``, and the spec's defaults for that model type
   (`MODEL_DEFAULTS`) fill the fields the caller left out; a value the caller gave is never replaced;
3. the body is validated with the rules of ``imagineo_api.schemas`` (strict scalar types) and every problem is
   reported at once, in words that name the model type, the field, the rule and the value given;
4. the generated request model (``imagineo_api.models.<Variant>``) is built from the validated body.

Validation only checks: the body that goes on the wire is the caller's own values (plus defaults), so a URL is sent
exactly as written and nothing is coerced. The one rewrite is ``model_id``: the generated request model parses it
as a UUID, so it is sent in canonical lowercase form (UUIDs are case-insensitive, RFC 9562). The validator of a model
type and the attrs models are loaded on first use, so ``import imagineo`` does not pay for them (the catalogue costs
a dict literal), and the first call reads only its own model type's core schema, written out at generation time
(``imagineo_api.core_schemas``): a valid body is vouched for by `_fast_check` in plain Python, anything else is judged
by pydantic-core (`_validator`); pydantic itself is not imported.
"""

from __future__ import annotations

import functools
import math
import typing
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from imagineo_api import catalog

from ._checks import plain_fields
from ._exceptions import FieldError, ImagineoError, ImagineoValidationError
from ._fast_check import fast_check

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = [
    "DEFAULT_MODEL_TYPE",
    "MODEL_DEFAULTS",
    "MODEL_TYPES",
    "FieldSpec",
    "body_fields",
    "check_params",
    "fields_by_model",
    "prepare",
    "prepare_body",
    "prepare_object",
]

#: The field that selects the model type, and the model type a call gets without it (from the spec).
TAG_FIELD: str = catalog.TAG_FIELD
DEFAULT_MODEL_TYPE: str = catalog.DEFAULT_MODEL_TYPE

#: The spec's model types, in its order.
MODEL_TYPES: tuple[str, ...] = catalog.MODEL_TYPES

#: The spec's defaults per model type (every model type is a key): the SDK sends each one explicitly when the
#: caller leaves the field out, so the body on the wire says what the model will run with.
MODEL_DEFAULTS: Mapping[str, Mapping[str, object]] = MappingProxyType(
    {tag: MappingProxyType(dict(defaults)) for tag, defaults in catalog.DEFAULTS.items()}
)

#: Other names accepted for a field: alias -> field; the deprecated ones warn.
ALIASES: Mapping[str, str] = MappingProxyType(dict(catalog.ALIASES))
DEPRECATED_ALIASES: frozenset[str] = catalog.DEPRECATED_ALIASES


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """What the spec says about one field of one model type (for messages, the CLI and ``imagineo models``)."""

    name: str
    required: bool
    type: str  # "string", "integer", "number", "boolean", "array", "enum", "const"
    description: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    default: object = None
    min_items: int | None = None  # arrays only
    max_items: int | None = None  # arrays only
    format: str | None = None  # "uri", "uuid", ... (an array's: its items')
    has_default: bool = False
    deprecated: bool = False


# ----------------------------------------------------------------------------------------------------------------
# The catalogue, and the generated models it names (loaded once, on first use).


@functools.cache
def fields_by_model() -> dict[str, dict[str, FieldSpec]]:
    """model_type -> field name -> FieldSpec, from ``imagineo_api.catalog`` (the CLI reads this too)."""
    return {
        tag: {name: _field_spec(name, info) for name, info in fields.items()} for tag, fields in catalog.FIELDS.items()
    }


def _field_spec(name: str, info: Mapping[str, Any]) -> FieldSpec:
    def number(key: str) -> float | None:
        return None if key not in info else float(info[key])

    item = info.get("items") or {}
    return FieldSpec(
        name=name,
        required=bool(info["required"]),
        type=str(info["type"]),
        description=str(info.get("description", "")),
        choices=tuple(str(c) for c in info.get("choices", ())),
        minimum=number("minimum"),
        maximum=number("maximum"),
        default=info.get("default"),
        min_items=info.get("min_items"),
        max_items=info.get("max_items"),
        format=info.get("format", item.get("format")),
        has_default="default" in info,
        deprecated=bool(info.get("deprecated", False)),
    )


class _Validator(typing.Protocol):
    def validate_python(self, input: Any, /) -> Any: ...


@functools.cache
def _validator(class_name: str) -> _Validator:
    """The validator of one model type, built on its first call: only what that call needs is loaded.

    It is a ``pydantic_core.SchemaValidator`` built from ``imagineo_api.core_schemas``, the core schema that pydantic
    itself builds for the model ``imagineo_api.schemas`` has for this model type, written out at generation time
    (generator/core_schemas.py): the same rules and the same errors, without importing pydantic or building any
    model class. If the installed pydantic-core does not accept that schema (a release that changed the schema
    format), the model from ``imagineo_api.schemas`` is used instead, built by the installed pydantic.
    """
    from imagineo_api import core_schemas
    from pydantic_core import SchemaError, SchemaValidator

    entry = core_schemas.SCHEMAS[class_name]
    try:
        return SchemaValidator(entry["schema"], entry["config"])
    except SchemaError:
        from imagineo_api import schemas

        model: type[BaseModel] = getattr(schemas, class_name)
        return model.__pydantic_validator__


@functools.cache
def _request_model(class_name: str) -> Any:
    """The generated attrs request model (imagineo_api.models) that the endpoint serialises."""
    from imagineo_api import models

    return getattr(models, class_name)


def models_taking(field: str) -> list[str]:
    return [tag for tag, specs in fields_by_model().items() if field in specs]


# ----------------------------------------------------------------------------------------------------------------
# The pipeline.


def prepare(params: Mapping[str, Any]) -> tuple[str, dict[str, Any], Any]:
    """Normalise, default and validate one call's fields.

    Returns ``(model_type, body, request_model)``: the JSON body to send (the caller's values plus defaults, in
    the caller's order) and the generated request model built from it. Raises ImagineoValidationError listing
    every problem; nothing is sent in that case.
    """
    body = dict(params)
    errors: list[FieldError] = []
    alias_of: dict[str, str] = {}

    # 1. aliases
    for alias, field in ALIASES.items():
        if alias not in body:
            continue
        value = body.pop(alias)
        deprecated = alias in DEPRECATED_ALIASES
        if deprecated:
            warnings.warn(
                f"{alias} is deprecated; use {field} instead", DeprecationWarning, stacklevel=user_stacklevel()
            )
        if field in body and body[field] != value:
            relation = (
                f"{alias} is the deprecated name of {field}: give only {field}"
                if deprecated
                else f"{alias} is another name for {field}: give only one"
            )
            errors.append(
                FieldError(field=alias, message=f"{value!r} conflicts with {field} {body[field]!r} ({relation})")
            )
        else:
            body[field] = value
            if not deprecated:
                alias_of[field] = alias

    # 2. model type and defaults
    model_type = body.setdefault(TAG_FIELD, DEFAULT_MODEL_TYPE)
    if not isinstance(model_type, str) or model_type not in MODEL_TYPES:
        hint = _did_you_mean(model_type, MODEL_TYPES) if isinstance(model_type, str) else ""
        errors.append(
            FieldError(
                field=TAG_FIELD,
                message=f"must be one of {', '.join(repr(m) for m in MODEL_TYPES)}; got {_show(model_type)}{hint}",
            )
        )
        raise ImagineoValidationError(None, errors)
    for name, value in MODEL_DEFAULTS[model_type].items():
        body.setdefault(name, value)

    # 3. validation against the generated model: a body the fast check passes is one pydantic-core accepts too
    class_name = catalog.CLASS_NAMES[model_type]
    _validate(class_name, body, fields_by_model()[model_type], model_type, alias_of, errors)
    if errors:
        raise ImagineoValidationError(model_type, errors)

    # 4. the generated request model
    request_model = _request_model(class_name).from_dict(body)
    return model_type, body, request_model


def _validate(
    class_name: str,
    body: Mapping[str, Any],
    specs: Mapping[str, FieldSpec],
    model_type: str | None,
    alias_of: Mapping[str, str],
    errors: list[FieldError],
) -> None:
    """Add every problem of `body` (checked against the generated model `class_name`) to `errors`."""
    for name in body:
        spec = specs.get(name)
        if spec is not None and spec.deprecated:
            warnings.warn(
                f"{name} is deprecated in the API's spec{f' for model_type {model_type!r}' if model_type else ''}",
                DeprecationWarning,
                stacklevel=user_stacklevel(),
            )
    if not fast_check(class_name)(body):
        validator = _validator(class_name)
        from pydantic_core import ValidationError

        try:
            validator.validate_python(body)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                errors.append(_describe(model_type, specs, err, alias_of))
    flagged = {e.field for e in errors}
    for name, value in body.items():
        if value is None and name not in flagged:
            errors.append(
                FieldError(field=_label(name, alias_of), message="must not be None (leave it out to use the default)")
            )


@functools.cache
def body_fields(class_name: str) -> dict[str, FieldSpec]:
    """field name -> FieldSpec of a request-body object schema other than the model-type union (catalog.BODIES)."""
    return {name: _field_spec(name, info) for name, info in catalog.BODIES[class_name]["fields"].items()}


def prepare_object(class_name: str, params: Mapping[str, Any]) -> Any:
    """`prepare` for an object request body: the spec's defaults, validation, the generated request model."""
    body = dict(params)
    for name, spec in body_fields(class_name).items():
        if spec.has_default:
            body.setdefault(name, spec.default)
    errors: list[FieldError] = []
    _validate(class_name, body, body_fields(class_name), None, {}, errors)
    if errors:
        raise ImagineoValidationError(None, errors)
    return _request_model(class_name).from_dict(body)


def prepare_body(body: Mapping[str, Any], fields: Mapping[str, Any]) -> Any:
    """The generated request model for one call's body fields (`body`: an operation's catalogue ``body``).

    Hostile values (nested past MAX_INPUT_DEPTH, a str subclass with its own __eq__, a __repr__ that raises) are an
    ImagineoValidationError, never a raw error from inside the checks."""
    try:
        fields = plain_fields(fields)
        if body["kind"] == "model_types":
            return prepare(fields)[2]
        return prepare_object(body["class_name"], fields)
    except ImagineoError:
        raise
    except RecursionError:
        raise ImagineoValidationError(
            None, [FieldError(field="input", message="is nested too deeply to check")]
        ) from None
    except Exception as exc:
        raise ImagineoValidationError(
            None,
            [
                FieldError(
                    field="input",
                    message=f"a value given could not be read or compared ({type(exc).__name__} from its own methods, "
                    "such as __repr__, __eq__ or __hash__); pass plain str, int, float, bool, list and dict values",
                )
            ],
        ) from exc


_PARAM_TYPES: Mapping[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "enum": (str, int, float, bool),
    "const": (str, int, float, bool),
}


def check_params(operation_id: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """An operation's path, query and header arguments checked against their schemas (python name -> value, the
    ones given). A missing required one, a wrong type, a value out of range or not among the choices is an
    ImagineoValidationError naming the parameter, before anything is sent."""
    errors: list[FieldError] = []
    out: dict[str, Any] = {}
    for param in catalog.OPERATIONS[operation_id]["parameters"]:
        name = param["python_name"]
        if name not in values:
            continue
        value = values[name]
        if value is None:
            if param["required"]:
                errors.append(FieldError(field=name, message=f"is required ({param['location']} {param['name']!r})"))
            continue
        if isinstance(value, str):
            value = str.__str__(value)
        problem = _param_problem(param, value)
        if problem:
            errors.append(FieldError(field=name, message=f"{problem}; got {_show(value)}"))
        out[name] = value
    if errors:
        raise ImagineoValidationError(None, errors)
    return out


def _param_problem(info: Mapping[str, Any], value: object) -> str | None:
    kind = info["type"]
    types = _PARAM_TYPES.get(kind)
    if types is None:
        return f"cannot be sent as a parameter ({kind})"
    if not isinstance(value, types) or (isinstance(value, bool) and kind in ("integer", "number")):
        return f"must be {'an' if kind == 'integer' else 'a'} {kind}"
    if kind in ("enum", "const") and value not in info["choices"]:
        return f"must be one of {', '.join(repr(c) for c in info['choices'])}"
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in info and value < info["minimum"]:
            return f"must be >= {_num(info['minimum'])}"
        if "maximum" in info and value > info["maximum"]:
            return f"must be <= {_num(info['maximum'])}"
    if isinstance(value, str):
        if len(value) < info.get("min_length", 0) or ("max_length" in info and len(value) > info["max_length"]):
            return f"must have {info.get('min_length', 0)} to {info.get('max_length', 'any number of')} characters"
        if info["location"] == "header" and not all(" " <= c <= "~" for c in value):
            return "must be printable ASCII (it travels in a header)"
        if "pattern" in info:
            import re

            if re.search(info["pattern"], value) is None:
                return f"must match the pattern {info['pattern']}"
    return None


def user_stacklevel() -> int:
    """Point a warning at the first frame outside the SDK (the caller's method call), generated methods included."""
    import sys

    level = 1
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith(("imagineo.", "imagineo_api.")):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def _show(value: object) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int beyond Python's str-conversion limit (4300 digits)
        text = f"<an integer of about {int(value.bit_length() * 0.30103)} digits>" if isinstance(value, int) else "?"
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{text} ({type(value).__name__})"


def _label(name: str, alias_of: Mapping[str, str]) -> str:
    alias = alias_of.get(name)
    return f"{name} (given as {alias})" if alias else name


def _describe(
    model_type: str | None, specs: Mapping[str, FieldSpec], err: Mapping[str, Any], alias_of: Mapping[str, str]
) -> FieldError:
    """Turn one pydantic error into words: field, rule, value."""
    loc = tuple(err["loc"])
    name = str(loc[0]) if loc else "body"
    field = _label(name, alias_of) + "".join(f"[{p}]" for p in loc[1:])
    kind: str = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    got = f"; got {_show(value)}"
    if kind == "missing":
        return FieldError(
            field=field, message=f"is required for model_type {model_type!r}" if model_type else "is required"
        )
    if kind == "extra_forbidden" and model_type is None:
        return FieldError(field=field, message=f"is not a known parameter{_did_you_mean(name, list(specs))}")
    if kind == "extra_forbidden":
        others = [m for m in models_taking(name) if m != model_type]
        if others:
            message = f"does not apply to model_type {model_type!r}; it is taken by {', '.join(others)}"
        else:
            known = sorted({f for specs in fields_by_model().values() for f in specs} | set(ALIASES))
            message = f"is not a known parameter{_did_you_mean(name, known)}"
        return FieldError(field=field, message=message)
    if kind == "int_type":
        return FieldError(field=field, message=f"must be an integer{got}")
    if kind == "float_type":
        return FieldError(field=field, message=f"must be a number{got}")
    if kind == "string_type":
        return FieldError(field=field, message=f"must be a string{got}")
    if kind == "list_type":
        return FieldError(field=field, message=f"must be a list{got}")
    if kind == "greater_than_equal":
        return FieldError(field=field, message=f"must be >= {_num(ctx['ge'])}{got}")
    if kind == "less_than_equal":
        return FieldError(field=field, message=f"must be <= {_num(ctx['le'])}{got}")
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return FieldError(field=field, message=f"must not be empty{got}")
    if kind in ("string_too_short", "string_too_long"):
        bound = "at least" if kind == "string_too_short" else "at most"
        n = ctx.get("min_length", ctx.get("max_length"))
        return FieldError(field=field, message=f"must have {bound} {n} characters{got}")
    if kind in ("too_short", "too_long"):
        bound = "at least" if kind == "too_short" else "at most"
        n = ctx.get("min_length", ctx.get("max_length"))
        return FieldError(field=field, message=f"must list {bound} {n} items{got}")
    if kind == "literal_error":
        return FieldError(field=field, message=f"must be one of {ctx.get('expected')}{got}")
    if kind == "string_pattern_mismatch":
        spec = specs.get(name)
        fmt = spec.format if spec is not None else None
        pattern = str(ctx.get("pattern", ""))
        if fmt == "uri" and pattern.startswith("^https?://"):
            return FieldError(field=field, message=f"must be an absolute http(s) URL{got}")
        if fmt == "uuid":
            return FieldError(field=field, message=f"must be a UUID like 3f1c2a9e-6b7d-4e2f-9a1b-5c8d7e6f4a3b{got}")
        return FieldError(field=field, message=f"must match the pattern {pattern}{got}")
    return FieldError(field=field, message=f"{err['msg']}{got}")


def _did_you_mean(given: str, known: typing.Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest known name, or ''."""
    import difflib  # only for this message: not loaded by ``import imagineo``

    close = difflib.get_close_matches(given, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _num(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
