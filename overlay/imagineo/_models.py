"""The model rules: aliases, model-specific defaults, and validation against the models generated from the spec.

One call's input goes through `prepare()`, in this order, before anything touches the network:

1. aliases are normalised: ``workflow_type`` (deprecated name of ``model_type``) and ``reference_url`` (the seed
   page's name for ``reference_image_url``);
2. ``model_type`` defaults to ``"flux-dev"``, and the model's defaults (`MODEL_DEFAULTS`) fill fields the caller
   left out; a value the caller gave is never replaced;
3. the body is validated with ``imagineo_api.schemas`` (pydantic v2 models that datamodel-code-generator makes from
   openapi/imagineo.yaml, strict scalar types) and every problem is reported at once, in words that name the model
   type, the field, the rule and the value given;
4. the generated request model (``imagineo_api.models.<Variant>``) is built from the validated body.

Validation only checks: the body that goes on the wire is the caller's own values (plus defaults), so a URL is sent
exactly as written and nothing is coerced. The one rewrite is ``model_id``: the generated request model parses it
as a UUID, so it is sent in canonical lowercase form (UUIDs are case-insensitive, RFC 9562). The pydantic models
are imported on first use, so ``import imagineo`` does not pay for them.
"""

from __future__ import annotations

import functools
import types
import typing
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._exceptions import FieldError, ImagineoValidationError

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["DEFAULT_MODEL_TYPE", "MODEL_DEFAULTS", "MODEL_TYPES", "FieldSpec", "fields_by_model", "prepare"]

DEFAULT_MODEL_TYPE = "flux-dev"

#: The nine model types, in the spec's order.
MODEL_TYPES: tuple[str, ...] = (
    "flux-dev",
    "openai",
    "google-imagen4",
    "flux-kontext-max",
    "flux-kontext-multi",
    "wan-image-2.1",
    "wan-image-2.2",
    "nanobanana",
    "qwen-image-edit",
)

#: Defaults the SDK sends explicitly when the caller leaves a field out. Each equals the spec's `default` for that
#: field (tests/test_overlay_models.py checks both ways), so the body on the wire says what the model will run with.
MODEL_DEFAULTS: Mapping[str, Mapping[str, object]] = {
    "flux-kontext-max": {"aspect_ratio": "1:1"},
    "wan-image-2.1": {"strength_model": 1, "model_weight": 0.7, "guidance": 7.5},
    "wan-image-2.2": {"lora_low_strength": 0.5, "lora_high_strength": 1.0, "batch_size": 1},
    "qwen-image-edit": {"strength_model": 1},
}

#: Other names accepted for a field: alias -> field.
ALIASES: Mapping[str, str] = {"reference_url": "reference_image_url"}
DEPRECATED_MODEL_TYPE_NAME = "workflow_type"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """What the generated validation model says about one field of one model type (for messages and the CLI)."""

    name: str
    required: bool
    type: str  # "string", "integer", "number", "array", "enum", "const"
    description: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    default: object = None
    min_items: int | None = None  # arrays only
    max_items: int | None = None  # arrays only


# ----------------------------------------------------------------------------------------------------------------
# The generated models, loaded once on first use.


@functools.cache
def _validation_models() -> dict[str, type[BaseModel]]:
    """model_type -> pydantic model from imagineo_api.schemas, read off the generated discriminated union."""
    from imagineo_api import schemas

    union = schemas.GenerateImageInput.model_fields["root"].annotation
    out: dict[str, type[BaseModel]] = {}
    for cls in typing.get_args(union):
        (tag,) = typing.get_args(cls.model_fields["model_type"].annotation)
        out[tag] = cls
    return out


@functools.cache
def _request_models() -> dict[str, Any]:
    """model_type -> the generated attrs request model (imagineo_api.models) that the endpoint serialises."""
    from imagineo_api import models

    out: dict[str, Any] = {}
    for name in models.__all__:
        cls = getattr(models, name)
        if not name.endswith("Input") or not hasattr(cls, "from_dict"):
            continue
        hint = typing.get_type_hints(cls).get("model_type")
        if typing.get_origin(hint) is typing.Literal:
            (tag,) = typing.get_args(hint)
            out[tag] = cls
    return out


@functools.cache
def fields_by_model() -> dict[str, dict[str, FieldSpec]]:
    """model_type -> field name -> FieldSpec, from the generated validation models (the CLI reads this too)."""
    import annotated_types

    result: dict[str, dict[str, FieldSpec]] = {}
    for tag, cls in _validation_models().items():
        specs: dict[str, FieldSpec] = {}
        for name, info in cls.model_fields.items():
            lo = hi = None
            min_len = max_len = None
            for meta in info.metadata:
                if isinstance(meta, annotated_types.Ge):
                    lo = float(meta.ge)  # type: ignore[arg-type]
                elif isinstance(meta, annotated_types.Le):
                    hi = float(meta.le)  # type: ignore[arg-type]
                elif isinstance(meta, annotated_types.MinLen):
                    min_len = meta.min_length
                elif isinstance(meta, annotated_types.MaxLen):
                    max_len = meta.max_length
            base = _strip_none(info.annotation)
            choices: tuple[str, ...] = ()
            origin = typing.get_origin(base)
            if origin is typing.Literal:
                choices = tuple(str(c) for c in typing.get_args(base))
                kind = "const" if name == "model_type" else "enum"
            elif origin is list:
                kind = "array"
            else:
                kind = {int: "integer", float: "number", str: "string"}.get(_scalar(base), "string")
            default = None if info.is_required() else info.default
            items = (min_len, max_len) if kind == "array" else (None, None)
            specs[name] = FieldSpec(
                name, info.is_required(), kind, info.description or "", choices, lo, hi, default, *items
            )
        result[tag] = specs
    return result


def _strip_none(tp: Any) -> Any:
    """`X | None` -> X (the generated models make optional fields nullable)."""
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        rest = [a for a in typing.get_args(tp) if a is not type(None)]
        return rest[0] if len(rest) == 1 else tp
    return tp


def _scalar(tp: Any) -> Any:
    """StrictInt is Annotated[int, Strict()]: return the plain type."""
    args = typing.get_args(tp)
    return args[0] if typing.get_origin(tp) is typing.Annotated else (tp if not args else args[0])


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
    if DEPRECATED_MODEL_TYPE_NAME in body:
        legacy = body.pop(DEPRECATED_MODEL_TYPE_NAME)
        warnings.warn(
            "workflow_type is deprecated; use model_type instead",
            DeprecationWarning,
            stacklevel=_user_stacklevel(),
        )
        if "model_type" in body and body["model_type"] != legacy:
            errors.append(
                FieldError(
                    field=DEPRECATED_MODEL_TYPE_NAME,
                    message=f"{legacy!r} conflicts with model_type {body['model_type']!r} (workflow_type is the "
                    "deprecated name of model_type: give only model_type)",
                )
            )
        else:
            body["model_type"] = legacy
    for alias, field in ALIASES.items():
        if alias in body:
            value = body.pop(alias)
            if field in body and body[field] != value:
                errors.append(
                    FieldError(
                        field=alias,
                        message=f"{value!r} conflicts with {field} {body[field]!r} ({alias} is another name for "
                        f"{field}: give only one)",
                    )
                )
            else:
                body[field] = value
                alias_of[field] = alias

    # 2. model type and defaults
    model_type = body.setdefault("model_type", DEFAULT_MODEL_TYPE)
    if not isinstance(model_type, str) or model_type not in MODEL_TYPES:
        errors.append(
            FieldError(
                field="model_type",
                message=f"must be one of {', '.join(repr(m) for m in MODEL_TYPES)}; got {_show(model_type)}",
            )
        )
        raise ImagineoValidationError(None, errors)
    for name, value in MODEL_DEFAULTS.get(model_type, {}).items():
        body.setdefault(name, value)

    # 3. validation against the generated model
    validator = _validation_models()[model_type]
    from pydantic import ValidationError

    try:
        validator.model_validate(body)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            errors.append(_describe(model_type, err, alias_of))
    flagged = {e.field for e in errors}
    for name, value in body.items():
        if value is None and name not in flagged:
            errors.append(
                FieldError(field=_label(name, alias_of), message="must not be None (leave it out to use the default)")
            )
    if errors:
        raise ImagineoValidationError(model_type, errors)

    # 4. the generated request model
    request_model = _request_models()[model_type].from_dict(body)
    return model_type, body, request_model


def _user_stacklevel() -> int:
    """Point a warning at the first frame outside this package (the caller's generate(...) line)."""
    import sys

    level = 1
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("imagineo."):
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


def _describe(model_type: str, err: Mapping[str, Any], alias_of: Mapping[str, str]) -> FieldError:
    """Turn one pydantic error into words: field, rule, value."""
    loc = tuple(err["loc"])
    name = str(loc[0]) if loc else "body"
    field = _label(name, alias_of) + "".join(f"[{p}]" for p in loc[1:])
    kind: str = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    got = f"; got {_show(value)}"
    if kind == "missing":
        return FieldError(field=field, message=f"is required for model_type {model_type!r}")
    if kind == "extra_forbidden":
        others = [m for m in models_taking(name) if m != model_type]
        if others:
            message = f"does not apply to model_type {model_type!r}; it is taken by {', '.join(others)}"
        else:
            import difflib  # only for this message: not loaded by ``import imagineo``

            known = sorted({f for specs in fields_by_model().values() for f in specs} | set(ALIASES))
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            message = f"is not a known parameter{hint}"
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
        pattern = str(ctx.get("pattern", ""))
        if pattern.startswith("^https?://"):
            return FieldError(field=field, message=f"must be an absolute http(s) URL{got}")
        if "{8}-" in pattern:
            return FieldError(field=field, message=f"must be a UUID like 3f1c2a9e-6b7d-4e2f-9a1b-5c8d7e6f4a3b{got}")
        return FieldError(field=field, message=f"must match the pattern {pattern}{got}")
    return FieldError(field=field, message=f"{err['msg']}{got}")


def _num(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
