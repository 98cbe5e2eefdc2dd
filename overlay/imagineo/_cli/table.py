"""The table ``imagineo models`` prints: the rows of generated_client/imagineo_api/MODELS.md, from the same catalogue.

One renderer: a field's type and range are the texts the generator renders once into the catalogue
(``catalog.FIELDS[model][field]["type_text"]`` and ``["range_text"]``: ``string (uri)``, ``64 to 2048``, ``one of
1:1, 16:9``, ``2 to 4 items``) and MODELS.md prints too, so the two cannot word a rule differently. Like MODELS.md,
the rows are in the spec's order, the default model type is marked ``(default)`` and a deprecated field
``(deprecated)``; the table adds the option that sets each field.
"""

from __future__ import annotations

from dataclasses import dataclass

from imagineo_api import catalog

from .options import MODEL_FIELD, POSITIONAL_FIELD, field_options, option_flag

__all__ = ["COLUMNS", "Row", "caption", "model_rows"]

COLUMNS = ("Model type", "Field", "Option", "Required", "Type", "Range / choices", "Default")


@dataclass(frozen=True)
class Row:
    model: str  # the model type (marked "(default)"), on the first row of each model type only
    field: str  # marked "(deprecated)"
    option: str
    required: str
    type: str
    range: str
    default: str
    last: bool  # the model type's last row

    def cells(self) -> tuple[str, ...]:
        return (self.model, self.field, self.option, self.required, self.type, self.range, self.default)


def _fmt(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def model_rows() -> list[Row]:
    """Every field of every model type but the model type's own, in the spec's order."""
    flags = {opt.field: opt.flags[0] for opt in field_options()}
    rows: list[Row] = []
    for model, infos in catalog.FIELDS.items():
        names = [name for name in infos if name != MODEL_FIELD]
        for index, name in enumerate(names):
            info = infos[name]
            option = "PROMPT" if name == POSITIONAL_FIELD else flags.get(name, option_flag(name))
            title = model + (" (default)" if model == catalog.DEFAULT_MODEL_TYPE else "")
            rows.append(
                Row(
                    model=title if index == 0 else "",
                    field=name + (" (deprecated)" if info.get("deprecated") else ""),
                    option=option + (" (repeat)" if info["type"] == "array" else ""),
                    required="required" if info["required"] else "optional",
                    type=str(info["type_text"]),
                    range=str(info["range_text"]),
                    default=_fmt(info["default"]) if "default" in info else "",
                    last=index == len(names) - 1,
                )
            )
    return rows


def caption() -> str:
    aliases = ", ".join(
        f"{option_flag(alias)} for {option_flag(target)}"
        + (" (deprecated)" if alias in catalog.DEPRECATED_ALIASES else "")
        for alias, target in catalog.ALIASES.items()
        if target != MODEL_FIELD
    )
    text = f"Without --model the model type is {catalog.DEFAULT_MODEL_TYPE}. "
    if aliases:
        text += f"Other spellings: {aliases}. "
    return (
        text + "Descriptions: imagineo generate --help. Values are checked against these rules before anything is sent."
    )
