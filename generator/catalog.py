"""Step 3b of the recipe: the spec's model catalogue, and the typed call signatures, as generated Python.

    python generator/catalog.py SPEC PACKAGE_DIR    # writes PACKAGE_DIR/catalog.py and PACKAGE_DIR/call_signatures.py

`generate.py` runs this after openapi-python-client and datamodel-code-generator, so the class names it refers to
exist (it checks each one, and fails naming the class, if a generator named a schema differently).

* ``catalog.py`` is plain data and imports nothing but ``typing``: the model types in the spec's ``oneOf`` order, the
  default model type (``x-imagineo-default-model-type`` on ``GenerateImageInput``), the accepted aliases
  (``x-imagineo-aliases``), every field of every model type (required, type, range, enum, pattern, default,
  description) and the defaults the SDK sends. The overlay, the ``imagineo`` command and its ``models`` table read it,
  so ``import imagineo`` needs neither pydantic nor the generated models to know the catalogue.
* ``call_signatures.py`` is types only (the overlay imports it under ``TYPE_CHECKING``): one ``*Params`` TypedDict per
  model type (the generated TypedDict plus the per-call options), ``DefaultModelParams`` (the default model's fields
  without ``model_type``), and ``Generate`` / ``AsyncGenerate``, callable protocols with one overload per model type,
  which type ``images.generate`` and ``images.with_raw_response.generate``.

Both come from the templates in generator/sdk_templates/ (Jinja, the engine openapi-python-client uses). A property the
catalogue cannot describe (a nested object, a ``oneOf`` inside a field) stops the run with a message naming it, rather
than producing a catalogue that silently lacks the field.
"""

from __future__ import annotations

import keyword
import re
import sys
from pathlib import Path
from typing import Any

import jinja2
import yaml

TEMPLATES = Path(__file__).resolve().parent / "sdk_templates"
INPUT_SCHEMA = "GenerateImageInput"
DEFAULT_EXT = "x-imagineo-default-model-type"
ALIASES_EXT = "x-imagineo-aliases"
TIMEOUT_EXT = "x-imagineo-timeout"

# The JSON Schema keywords the catalogue records for a field, and the name each gets there.
_KEYWORDS = {
    "minimum": "minimum",
    "maximum": "maximum",
    "exclusiveMinimum": "exclusive_minimum",
    "exclusiveMaximum": "exclusive_maximum",
    "minLength": "min_length",
    "maxLength": "max_length",
    "pattern": "pattern",
    "format": "format",
    "minItems": "min_items",
    "maxItems": "max_items",
}
_SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}


class CatalogError(ValueError):
    """The spec has something the catalogue cannot describe; the message names the schema and the field."""


class _Spec:
    def __init__(self, document: dict[str, Any]) -> None:
        self.doc = document

    def ref(self, pointer: str) -> dict[str, Any]:
        if not pointer.startswith("#/"):
            raise CatalogError(f"only local $refs are supported, got {pointer!r}")
        node: Any = self.doc
        for part in pointer[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return dict(node)

    def resolve(self, schema: dict[str, Any], where: str) -> dict[str, Any]:
        """The schema with `$ref` and `allOf` merged in; keywords written beside them win (a `default`, a
        `description`), as in OpenAPI 3.1."""
        merged: dict[str, Any] = {}
        if "$ref" in schema:
            merged.update(self.resolve(self.ref(schema["$ref"]), where))
        for part in schema.get("allOf", []):
            merged.update(self.resolve(part, where))
        for key in ("oneOf", "anyOf", "not", "if"):
            if key in schema:
                raise CatalogError(f"{where}: `{key}` inside a field is not supported by generator/catalog.py")
        merged.update({k: v for k, v in schema.items() if k not in ("$ref", "allOf")})
        return merged


def _field(spec: _Spec, schema: dict[str, Any], required: bool, where: str) -> dict[str, Any]:
    s = spec.resolve(schema, where)
    info: dict[str, Any] = {"required": required}
    if "const" in s:
        info["type"] = "const"
        info["choices"] = [s["const"]]
    elif "enum" in s:
        info["type"] = "enum"
        info["choices"] = list(s["enum"])
    elif s.get("type") in _SCALARS:
        info["type"] = s["type"]
    elif s.get("type") == "array":
        info["type"] = "array"
        items = _field(spec, s.get("items", {}), True, where + "[]")
        items.pop("required")
        if items["type"] == "array":
            raise CatalogError(f"{where}: arrays of arrays are not supported by generator/catalog.py")
        info["items"] = items
    else:
        raise CatalogError(f"{where}: type {s.get('type')!r} is not supported by generator/catalog.py")
    for key, name in _KEYWORDS.items():
        if key in s:
            info[name] = s[key]
    info["description"] = " ".join(str(s.get("description", "")).split())
    if "default" in s:
        info["default"] = s["default"]
    return info


def read_catalog(document: dict[str, Any]) -> dict[str, Any]:
    """Everything the templates need, read off the spec's request-body union."""
    spec = _Spec(document)
    union = document["components"]["schemas"][INPUT_SCHEMA]
    tag_field = union.get("discriminator", {}).get("propertyName")
    if not tag_field:
        raise CatalogError(f"{INPUT_SCHEMA} needs a discriminator.propertyName")
    mapping = union["discriminator"].get("mapping", {})
    variants: dict[str, dict[str, Any]] = {}
    for member in union["oneOf"]:
        name = member["$ref"].rsplit("/", 1)[-1]
        schema = spec.resolve(member, name)
        where = f"components.schemas.{name}"
        title = schema.get("title", name)
        props = schema.get("properties", {})
        const = spec.resolve(props.get(tag_field, {}), where).get("const")
        if not isinstance(const, str):
            raise CatalogError(f"{where}.properties.{tag_field} needs a string `const` (the model type)")
        if mapping.get(const) != member["$ref"]:
            raise CatalogError(f"{INPUT_SCHEMA}.discriminator.mapping[{const!r}] must be {member['$ref']!r}")
        required = set(schema.get("required", []))
        fields = {
            field: _field(spec, prop, field in required, f"{where}.properties.{field}") for field, prop in props.items()
        }
        for field in fields:
            if not field.isidentifier() or keyword.iskeyword(field):
                raise CatalogError(f"{where}.properties.{field}: not a Python identifier, so not a keyword argument")
        variants[const] = {
            "class_name": title,
            "schema_name": name,
            "description": " ".join(str(schema.get("description", "")).split()),
            "fields": fields,
        }
    if set(mapping) != set(variants):
        raise CatalogError(f"{INPUT_SCHEMA}.discriminator.mapping must list exactly the oneOf members")
    default = union.get(DEFAULT_EXT)
    if default not in variants:
        raise CatalogError(f"{INPUT_SCHEMA}.{DEFAULT_EXT} must name one of the model types, got {default!r}")
    aliases: dict[str, dict[str, Any]] = {}
    known = {f for v in variants.values() for f in v["fields"]}
    for alias, target in (union.get(ALIASES_EXT) or {}).items():
        if target.get("field") not in known or alias in known:
            raise CatalogError(f"{INPUT_SCHEMA}.{ALIASES_EXT}.{alias} must name a field, and not be one itself")
        aliases[alias] = {"field": target["field"], "deprecated": bool(target.get("deprecated", False))}
    path, item = next(iter(document["paths"].items()))
    operation = item["post"]
    timeout = operation.get(TIMEOUT_EXT) or {}
    if not {"read", "connect"} <= set(timeout):
        raise CatalogError(f"the operation needs {TIMEOUT_EXT}: {{read: seconds, connect: seconds}}")
    return {
        "version": document["info"]["version"],
        "tag_field": tag_field,
        "default_model_type": default,
        "variants": variants,
        "aliases": aliases,
        "timeout": {k: float(timeout[k]) for k in ("read", "connect")},
        "path": path,
    }


def python_type(info: dict[str, Any]) -> str:
    """The annotation a field gets in DefaultModelParams."""
    if info["type"] in ("const", "enum"):
        return "Literal[" + ", ".join(repr(c) for c in info["choices"]) + "]"
    if info["type"] == "array":
        return f"list[{python_type(info['items'])}]"
    return _SCALARS[info["type"]]


def params_name(class_name: str) -> str:
    """FluxDevInput -> FluxDevParams: the TypedDict of one model type's keyword arguments."""
    return class_name.removesuffix("Input") + "Params"


def docstring_text(text: str) -> str:
    """Text that is safe inside a triple-quoted docstring."""
    return text.replace("\\", "\\\\").replace('"' * 3, "'" * 3)


def _fmt(value: object) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def describe_range(info: dict[str, Any]) -> str:
    """'64 to 2048', '>= 0', 'one of 1:1, 16:9', '2 to 4 items', 'not empty', or '' (for MODELS.md)."""
    if info["type"] in ("enum", "const"):
        return "one of " + ", ".join(f"`{c}`" for c in info["choices"])
    lo, hi = info.get("minimum", info.get("min_items")), info.get("maximum", info.get("max_items"))
    unit = " items" if info["type"] == "array" else ""
    if lo is not None and hi is not None:
        return f"{_fmt(lo)} to {_fmt(hi)}{unit}"
    if lo is not None:
        return f">= {_fmt(lo)}{unit}"
    if hi is not None:
        return f"<= {_fmt(hi)}{unit}"
    return "not empty" if info.get("min_length") == 1 else ""


def _check_class_names(catalog: dict[str, Any], package: Path) -> None:
    """Every class the signatures name must exist in the generated outputs (the generators name them by title)."""
    outputs = {
        "typed_dicts.py": (package / "typed_dicts.py").read_text(),
        "models/__init__.py": (package / "models" / "__init__.py").read_text(),
        "schemas.py": (package / "schemas.py").read_text(),
    }
    for tag, variant in catalog["variants"].items():
        name = variant["class_name"]
        for output, text in outputs.items():
            if not re.search(rf"\b{re.escape(name)}\b", text):
                raise CatalogError(f"model type {tag!r}: class {name} not found in imagineo_api/{output}")


def render(catalog: dict[str, Any], package: Path) -> None:
    _check_class_names(catalog, package)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 - Python source, not HTML
    )
    env.filters["python_type"] = python_type
    env.filters["py"] = repr
    env.filters["params_name"] = params_name
    env.filters["doc"] = docstring_text
    env.filters["describe"] = describe_range
    for name in ("catalog.py", "call_signatures.py", "MODELS.md"):
        text = env.get_template(name + ".jinja").render(catalog=catalog)
        (package / name).write_text(text)


def main(argv: list[str]) -> int:
    spec_path, package = Path(argv[0]), Path(argv[1])
    try:
        render(read_catalog(yaml.safe_load(spec_path.read_text())), package)
    except CatalogError as exc:
        print(f"catalog: {spec_path.name}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
