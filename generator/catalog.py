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
from http import HTTPStatus
from pathlib import Path
from typing import Any

import jinja2
import yaml

TEMPLATES = Path(__file__).resolve().parent / "sdk_templates"
DEFAULT_EXT = "x-imagineo-default-model-type"
ALIASES_EXT = "x-imagineo-aliases"
TIMEOUT_EXT = "x-imagineo-timeout"
RESOURCE_EXT = "x-imagineo-resource"
METHOD_EXT = "x-imagineo-method"

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


def _field(spec: _Spec, schema: dict[str, Any], required: bool, where: str, response: bool = False) -> dict[str, Any]:
    """One field as the catalogue records it. A result's field (`response`) may also be a free-form object, which a
    request field may not (the CLI and the validation messages describe request fields one by one)."""
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
        items = _field(spec, s.get("items", {}), True, where + "[]", response)
        items.pop("required")
        if items["type"] == "array":
            raise CatalogError(f"{where}: arrays of arrays are not supported by generator/catalog.py")
        info["items"] = items
    elif response and s.get("type") == "object":
        info["type"] = "object"
    else:
        raise CatalogError(f"{where}: type {s.get('type')!r} is not supported by generator/catalog.py")
    for key, name in _KEYWORDS.items():
        if key in s:
            info[name] = s[key]
    info["description"] = " ".join(str(s.get("description", "")).split())
    if s.get("deprecated"):
        info["deprecated"] = True
    if "default" in s:
        info["default"] = s["default"]
    info["type_text"] = describe_type(info)
    info["range_text"] = describe_range(info)
    return info


def _name_from(title: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", title) if part)


def _python_name(name: str, where: str) -> str:
    """A parameter's keyword: ``Idempotency-Key`` -> ``idempotency_key``, ``run_id`` -> ``run_id``."""
    python = re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_").lower()
    if not python.isidentifier() or keyword.iskeyword(python):
        raise CatalogError(f"{where}: {name!r} does not make a Python keyword argument ({python!r})")
    return python


#: Keywords every generated method takes beside the operation's own parameters (RequestOptions in
#: call_signatures.py); a spec parameter may not take one of these names.
OPTION_NAMES = ("timeout", "max_retries", "extra_headers", "extra_query", "extra_body")


def _union_info(spec: _Spec, name: str, union: dict[str, Any]) -> dict[str, Any]:
    """The model types of a discriminated request-body union (the one marked with x-imagineo-default-model-type)."""
    tag_field = union.get("discriminator", {}).get("propertyName")
    if not tag_field:
        raise CatalogError(f"{name} needs a discriminator.propertyName")
    mapping = union["discriminator"].get("mapping", {})
    variants: dict[str, dict[str, Any]] = {}
    for member in union["oneOf"]:
        schema_name = member["$ref"].rsplit("/", 1)[-1]
        schema = spec.resolve(member, schema_name)
        where = f"components.schemas.{schema_name}"
        props = schema.get("properties", {})
        const = spec.resolve(props.get(tag_field, {}), where).get("const")
        if not isinstance(const, str):
            raise CatalogError(f"{where}.properties.{tag_field} needs a string `const` (the model type)")
        if mapping.get(const) != member["$ref"]:
            raise CatalogError(f"{name}.discriminator.mapping[{const!r}] must be {member['$ref']!r}")
        variants[const] = _object_info(spec, schema_name, schema)
    if set(mapping) != set(variants):
        raise CatalogError(f"{name}.discriminator.mapping must list exactly the oneOf members")
    default = union.get(DEFAULT_EXT)
    if default not in variants:
        raise CatalogError(f"{name}.{DEFAULT_EXT} must name one of the model types, got {default!r}")
    aliases: dict[str, dict[str, Any]] = {}
    known = {f for v in variants.values() for f in v["fields"]}
    for alias, target in (union.get(ALIASES_EXT) or {}).items():
        if target.get("field") not in known or alias in known:
            raise CatalogError(f"{name}.{ALIASES_EXT}.{alias} must name a field, and not be one itself")
        aliases[alias] = {"field": target["field"], "deprecated": bool(target.get("deprecated", False))}
    return {
        "schema_name": name,
        "tag_field": tag_field,
        "default_model_type": default,
        "variants": variants,
        "aliases": aliases,
    }


def _object_info(spec: _Spec, schema_name: str, schema: dict[str, Any], response: bool = False) -> dict[str, Any]:
    """An object schema's fields, in the spec's order (a request body's, or a result's when `response`)."""
    where = f"components.schemas.{schema_name}"
    if schema.get("type") != "object":
        raise CatalogError(f"{where}: a request body or JSON result must be an object schema")
    required = set(schema.get("required", []))
    props = schema.get("properties", {})
    fields = {
        field: _field(spec, prop, field in required, f"{where}.properties.{field}", response)
        for field, prop in props.items()
    }
    for field in fields:
        if not field.isidentifier() or keyword.iskeyword(field):
            raise CatalogError(f"{where}.properties.{field}: not a Python identifier, so not a keyword argument")
    return {
        "class_name": schema.get("title", schema_name),
        "schema_name": schema_name,
        "description": " ".join(str(schema.get("description", "")).split()),
        "fields": fields,
        "extra": schema.get("additionalProperties", True) is not False,
    }


def _schema_ref(content: dict[str, Any], where: str) -> str | None:
    """The component schema named by a JSON body (`application/json` with a `$ref`), or None without a body."""
    if not content:
        return None
    media = content.get("application/json")
    if media is None or "$ref" not in media.get("schema", {}):
        raise CatalogError(f"{where}: only application/json bodies whose schema is a components $ref are supported")
    ref: str = media["schema"]["$ref"]
    if not ref.startswith("#/components/schemas/"):
        raise CatalogError(f"{where}: the body schema must be a #/components/schemas/ $ref")
    return ref.rsplit("/", 1)[-1]


def _singular(word: str) -> str:
    return word[:-3] + "y" if word.endswith("ies") else word[:-1] if word.endswith("s") else word


def _naming(operation_id: str, operation: dict[str, Any], where: str) -> tuple[str, str]:
    """(resource, method): x-imagineo-resource / x-imagineo-method when given; else the first tag, and the
    operationId without that tag's singular (``get_run`` under ``runs`` -> ``runs.get``)."""
    tags = operation.get("tags") or []
    resource = operation.get(RESOURCE_EXT) or (tags[0] if tags else None)
    if not resource:
        raise CatalogError(f"{where}: needs a tag or {RESOURCE_EXT} (the client attribute it is a method of)")
    resource = _python_name(str(resource), where)
    method = operation.get(METHOD_EXT)
    if not method:
        words = _python_name(operation_id, where).split("_")
        single = _singular(_python_name(str(tags[0]), where)) if tags else ""
        kept = [w for w in words if w not in (single, _python_name(str(tags[0]), where) if tags else "")]
        method = "_".join(kept) or "_".join(words)
    method = _python_name(str(method), where)
    return resource, method


def _error_name(ref_or_status: str) -> str:
    name = _name_from(ref_or_status)
    return name if name.endswith("Error") else name + "Error"


def read_catalog(document: dict[str, Any]) -> dict[str, Any]:
    """Everything the templates need, read off the spec: its operations, their bodies and results, and the model
    types of the request-body union marked with x-imagineo-default-model-type."""
    spec = _Spec(document)
    schemas = document.get("components", {}).get("schemas", {})
    unions = [name for name, schema in schemas.items() if DEFAULT_EXT in schema]
    if len(unions) != 1:
        raise CatalogError(f"exactly one schema must carry {DEFAULT_EXT} (the model-type union); found {unions}")
    union = _union_info(spec, unions[0], schemas[unions[0]])
    timeout = document.get(TIMEOUT_EXT) or {}
    if not {"read", "connect"} <= set(timeout):
        raise CatalogError(f"the document needs {TIMEOUT_EXT}: {{read: seconds, connect: seconds}} at its top level")

    operations: dict[str, dict[str, Any]] = {}
    bodies: dict[str, dict[str, Any]] = {}
    results: dict[str, dict[str, Any]] = {}
    errors: dict[int, dict[str, str]] = {}
    names: dict[tuple[str, str], str] = {}
    for path, item in document.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in ("get", "put", "post", "delete", "patch"):
            if method not in item:
                continue
            op = item[method]
            where = f"paths.{path}.{method}"
            op_id = op.get("operationId")
            if not op_id:
                raise CatalogError(f"{where}: every operation needs an operationId (it names the generated code)")
            resource, name = _naming(op_id, op, where)
            if (resource, name) in names:
                raise CatalogError(f"{where}: {resource}.{name} is also {names[resource, name]}'s method name")
            names[resource, name] = op_id
            params = []
            for raw in [*shared, *op.get("parameters", [])]:
                param = spec.ref(raw["$ref"]) if "$ref" in raw else raw
                if param["in"] not in ("path", "query", "header"):
                    raise CatalogError(f"{where}: parameters in {param['in']} are not supported")
                info = _field(spec, param.get("schema", {}), bool(param.get("required")), f"{where}.{param['name']}")
                info.update(
                    name=param["name"],
                    location=param["in"],
                    python_name=_python_name(param["name"], where),
                    description=" ".join(str(param.get("description", "")).split()),
                    deprecated=bool(param.get("deprecated", False)),
                )
                if info["python_name"] in OPTION_NAMES:
                    raise CatalogError(f"{where}: parameter {param['name']!r} clashes with the per-call option")
                params.append(info)
            for segment in re.findall(r"{([^}]+)}", path):
                if not any(p["location"] == "path" and p["name"] == segment for p in params):
                    raise CatalogError(f"{where}: path parameter {{{segment}}} is not declared")
            body = None
            if "requestBody" in op:
                request_body = op["requestBody"]
                if "$ref" in request_body:
                    request_body = spec.ref(request_body["$ref"])
                schema_name = _schema_ref(request_body.get("content", {}), where + ".requestBody")
                if schema_name == union["schema_name"]:
                    body = {"kind": "model_types", "schema_name": schema_name, "required": True}
                elif schema_name is not None:
                    target = spec.resolve(schemas[schema_name], schema_name)
                    if "oneOf" in target or "anyOf" in target:
                        raise CatalogError(f"{where}: only {union['schema_name']} may be a union request body")
                    info = _object_info(spec, schema_name, target)
                    bodies[info["class_name"]] = info
                    body = {"kind": "object", "class_name": info["class_name"], "schema_name": schema_name}
                if body is not None:
                    body["required"] = bool(request_body.get("required", False))
            success: dict[str, str | None] = {}
            documented: list[int] = []
            for status, response in op.get("responses", {}).items():
                if not str(status).isdigit():
                    continue
                code = int(status)
                resolved = spec.ref(response["$ref"]) if "$ref" in response else response
                if 200 <= code < 300:
                    schema_name = _schema_ref(resolved.get("content", {}), f"{where}.responses.{status}")
                    if schema_name is not None:
                        info = _object_info(spec, schema_name, spec.resolve(schemas[schema_name], schema_name), True)
                        results[info["class_name"]] = info
                        success[status] = info["class_name"]
                    else:
                        success[status] = None
                elif code >= 400:
                    documented.append(code)
                    label = response["$ref"].rsplit("/", 1)[-1] if "$ref" in response else HTTPStatus(code).phrase
                    errors.setdefault(
                        code,
                        {
                            "class_name": _error_name(label),
                            "description": " ".join(str(resolved.get("description", "")).split()),
                        },
                    )
            if not success:
                raise CatalogError(f"{where}: needs at least one documented 2xx response")
            result_classes = sorted({c for c in success.values() if c is not None})
            if len(result_classes) > 1:
                raise CatalogError(f"{where}: all 2xx JSON answers must share one schema, got {result_classes}")
            operations[op_id] = {
                "operation_id": op_id,
                "method": method.upper(),
                "path": path,
                "resource": resource,
                "name": name,
                "summary": " ".join(str(op.get("summary", "")).split()),
                "description": str(op.get("description", "")).strip(),
                "deprecated": bool(op.get("deprecated", False)),
                "module": f"imagineo_api.api.{_python_name(str((op.get('tags') or ['default'])[0]), where)}."
                f"{_python_name(op_id, where)}",
                "parameters": params,
                "body": body,
                "success": success,
                "result": result_classes[0] if result_classes else None,
                "errors": sorted(documented),
            }
    if not operations:
        raise CatalogError("the spec has no operations")
    resources: dict[str, dict[str, Any]] = {}
    for op_id, op in operations.items():
        res = resources.setdefault(op["resource"], {"class_name": _name_from(op["resource"]), "operations": []})
        res["operations"].append(op_id)
    tag_text = {t["name"]: " ".join(str(t.get("description", "")).split()) for t in document.get("tags", [])}
    for name, res in resources.items():
        res["description"] = tag_text.get(name, "")
        # A resource whose results carry URLs (format: uri) gets `download` (the SDK's, saving what they point to).
        res["downloads"] = sorted(
            {
                operations[op_id]["result"]
                for op_id in res["operations"]
                if operations[op_id]["result"]
                and any(
                    info.get("format", info.get("items", {}).get("format")) == "uri"
                    for info in results[operations[op_id]["result"]]["fields"].values()
                )
            }
        )
    return {
        "version": document["info"]["version"],
        "title": document["info"].get("title", ""),
        **union,
        "timeout": {k: float(timeout[k]) for k in ("read", "connect")},
        "operations": operations,
        "bodies": bodies,
        "results": results,
        "errors": dict(sorted(errors.items())),
        "resources": resources,
    }


def python_type(info: dict[str, Any]) -> str:
    """The annotation a field gets in DefaultModelParams."""
    if info["type"] in ("const", "enum"):
        return "Literal[" + ", ".join(repr(c) for c in info["choices"]) + "]"
    if info["type"] == "array":
        return f"list[{python_type(info['items'])}]"
    if info["type"] == "object":
        return "dict[str, Any]"
    return _SCALARS[info["type"]]


def result_type(op: dict[str, Any]) -> str:
    """What an operation's method returns: its result class, `| None` when a 2xx has no body (204)."""
    result = f"results.{op['result']}" if op["result"] else "None"
    if op["result"] and None in op["success"].values():
        result += " | None"
    return result


def method_doc(op: dict[str, Any], catalog: dict[str, Any]) -> str:
    """The generated method's docstring: the spec's summary and description, then what it takes and returns."""
    lines = [op["summary"] or op["operation_id"], ""]
    if op["description"]:
        lines += [op["description"], ""]
    lines.append(f"``{op['method']} {op['path']}`` (operationId ``{op['operation_id']}``).")
    if op["deprecated"]:
        lines += ["", "Deprecated: the spec marks this operation deprecated."]
    params = [p for p in op["parameters"]]
    if params:
        lines += ["", "Parameters:"]
        for p in params:
            flag = "required" if p["required"] else "optional"
            dep = "; deprecated" if p.get("deprecated") else ""
            lines.append(f"    {p['python_name']} ({p['location']} {p['name']!r}, {flag}{dep}): {p['description']}")
    body = op["body"]
    if body and body["kind"] == "model_types":
        lines += ["", f"Model types (``{catalog['tag_field']}``; default ``{catalog['default_model_type']}``):"]
        for tag, variant in catalog["variants"].items():
            required = [f for f, i in variant["fields"].items() if i["required"] and f != catalog["tag_field"]]
            optional = [f for f, i in variant["fields"].items() if not i["required"]]
            lines.append(f"    {tag}: requires {', '.join(required)}; optional {', '.join(optional) or '-'}")
        lines += ["", "Give the fields as keyword arguments, as one mapping, or as a generated input model."]
    elif body:
        fields = catalog["bodies"][body["class_name"]]["fields"]
        lines += ["", "Body fields (keyword arguments, or one mapping):"]
        for f, i in fields.items():
            lines.append(f"    {f} ({'required' if i['required'] else 'optional'}): {i['description']}")
    lines += [
        "",
        "Per-call options: timeout, max_retries, extra_headers, extra_query"
        + (", extra_body" if body else "")
        + ". Raises ImagineoValidationError before sending when an argument breaks the spec, and an APIError "
        "subclass for network and API errors.",
    ]
    returns = result_type(op).replace("results.", "")
    lines += ["", f"Returns: {returns}."]
    return docstring_text("\n".join(lines))


def params_name(class_name: str) -> str:
    """FluxDevInput -> FluxDevParams: the TypedDict of one model type's keyword arguments."""
    return class_name.removesuffix("Input") + "Params"


def docstring_text(text: str) -> str:
    """Text that is safe inside a triple-quoted docstring."""
    return text.replace("\\", "\\\\").replace('"' * 3, "'" * 3)


def _fmt(value: object) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def describe_range(info: dict[str, Any]) -> str:
    """A field's range as text, the one wording of MODELS.md and `imagineo models` (emitted as ``range_text``):
    'one of 1:1, 16:9', '64 to 2048', '>= 0', '> 0 and <= 1', '2 to 4 items', 'at least 2 items', 'not empty',
    '1 to 255 characters', or ''."""
    if info["type"] in ("enum", "const"):
        return "one of " + ", ".join(_fmt(c) for c in info["choices"])
    if info["type"] == "array":
        return _count_text(info.get("min_items"), info.get("max_items"), "items")
    lower = [f"{op} {_fmt(info[k])}" for k, op in (("minimum", ">="), ("exclusive_minimum", ">")) if k in info]
    upper = [f"{op} {_fmt(info[k])}" for k, op in (("maximum", "<="), ("exclusive_maximum", "<")) if k in info]
    if "minimum" in info and "maximum" in info:
        return f"{_fmt(info['minimum'])} to {_fmt(info['maximum'])}"
    if lower or upper:
        return " and ".join(lower + upper)
    if info.get("min_length") == 1 and "max_length" not in info:
        return "not empty"
    return _count_text(info.get("min_length"), info.get("max_length"), "characters")


def _count_text(lo: int | None, hi: int | None, unit: str) -> str:
    if lo is not None and hi is not None:
        return f"{lo} to {hi} {unit}"
    if lo:
        return f"at least {lo} {unit}"
    return f"at most {hi} {unit}" if hi is not None else ""


def describe_type(info: dict[str, Any]) -> str:
    """A field's type as text, with its format (emitted as ``type_text``): 'string (uri)', 'array of string (uri)'."""
    if info["type"] == "array":
        return f"array of {describe_type(info['items'])}"
    return info["type"] + (f" ({info['format']})" if "format" in info else "")


def _check_class_names(catalog: dict[str, Any], package: Path) -> None:
    """Every class the signatures name must exist in the generated outputs (the generators name them by title)."""
    outputs = {
        "typed_dicts.py": (package / "typed_dicts.py").read_text(),
        "models/__init__.py": (package / "models" / "__init__.py").read_text(),
        "schemas.py": (package / "schemas.py").read_text(),
    }
    named = [(f"model type {tag!r}", v["class_name"]) for tag, v in catalog["variants"].items()]
    named += [(f"request body {name}", name) for name in catalog["bodies"]]
    for what, name in named:
        for output, text in outputs.items():
            if not re.search(rf"\b{re.escape(name)}\b", text):
                raise CatalogError(f"{what}: class {name} not found in imagineo_api/{output}")
    for op_id, op in catalog["operations"].items():
        module = package.joinpath(*op["module"].split(".")[1:]).with_suffix(".py")
        if not module.is_file():
            raise CatalogError(f"operation {op_id}: the generated endpoint {op['module']} is missing")


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
    env.filters["result_type"] = result_type
    env.filters["method_doc"] = method_doc
    for name in ("catalog.py", "call_signatures.py", "results.py", "resources.py", "response.py", "MODELS.md"):
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
