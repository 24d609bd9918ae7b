"""A page form for every case command, made from the command's own request body.

The API's pydantic models (api/command_schemas.py) say each field's type and
limits; this module turns them into GOV.UK form fields and turns a submitted
form back into the same model, so a field added to a command appears on its
page, and an invalid field is named exactly as the API names it
(`actions.0.due`), with the page's element id beside it (`actions-0-due`).
"""

import types
import typing
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ValidationError
from pydantic.fields import FieldInfo

from api.web.field_words import worded

LONDON = ZoneInfo("Europe/London")
ROWS = 3  # rows offered for a list of actions; blank rows are left out
_LONG_TEXT = 1000
FEW = 5  # a select of this many choices or fewer is asked as radios


@dataclass(frozen=True)
class FormField:
    """One field on a page: its API name, the element id, and how to ask for it."""

    name: str
    id: str
    label: str
    kind: str  # text, textarea, lines, pairs, radios, checkboxes, boolean, date, datetime,
    #            whole number, number, rows (a list of parts, such as a plan's actions),
    #            group (one part of parts) or select (a person or record chosen by name,
    #            api/web/pickers.py: radios when there are a few, else a list)
    hint: str = ""
    required: bool = True
    choices: tuple[str, ...] = ()
    rows: tuple["FormGroup", ...] = ()
    options: tuple["Choice", ...] = ()  # a select's choices
    left_out: tuple[str, ...] = ()  # a select's: who is not offered, and why
    autocomplete: bool = False  # a select that JavaScript turns into a type-ahead

    @property
    def few(self) -> bool:
        """A select of a few choices is asked as radios: each one seen at once."""
        return len(self.options) <= FEW and not self.autocomplete


@dataclass(frozen=True)
class Choice:
    """One person or record a select offers: the value posted, and how a person reads it."""

    value: str
    label: str


@dataclass(frozen=True)
class FormGroup:
    """A repeated part of a form, such as one action of a support plan."""

    legend: str
    fields: tuple[FormField, ...]


@dataclass(frozen=True)
class FieldError:
    field: str  # as the API names it
    rule: str
    message: str

    @property
    def id(self) -> str:
        return element_id(self.field)


def element_id(field: str) -> str:
    return field.replace(".", "-").replace("_", "-")


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The plain type inside `X | None` and `Annotated[X, ...]` (the API's shared field
    types, such as a moment with its zone), and whether None was allowed."""
    optional = False
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        annotation = [a for a in typing.get_args(annotation) if a is not type(None)][0]
        optional = True
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if annotation is AwareDatetime:
        annotation = datetime  # entered as UK time, given its zone before the API sees it
    return annotation, optional


def _max_length(info: FieldInfo) -> int:
    return next((m.max_length for m in info.metadata if hasattr(m, "max_length")), 0) or 0


def _field(name: str, info: FieldInfo, prefix: str = "") -> FormField:
    kind_type, optional = _unwrap(info.annotation)
    full = f"{prefix}{name}"
    base: dict[str, Any] = dict(name=full, id=element_id(full), label=_label(name),
                                hint=info.description or "",
                                required=info.is_required() and not optional)
    origin = typing.get_origin(kind_type)
    args = typing.get_args(kind_type)
    if origin is list and args and isinstance(args[0], type) and issubclass(args[0], Enum):
        return FormField(kind="checkboxes", choices=tuple(e.value for e in args[0]), **base)
    if origin is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        rows = tuple(FormGroup(f"{_label(name)[:-1] if name.endswith('s') else _label(name)} "
                               f"{i + 1}", tuple(_field(n, f, f"{full}.{i}.")
                                                 for n, f in args[0].model_fields.items()))
                     for i in range(ROWS))
        return FormField(kind="rows", rows=rows, **base)
    if isinstance(kind_type, type) and issubclass(kind_type, BaseModel):
        group = FormGroup(_label(name), tuple(_field(n, f, f"{full}.")
                                              for n, f in kind_type.model_fields.items()))
        return FormField(kind="group", rows=(group,), **base)
    if origin is list:
        return FormField(kind="lines", **{**base, "hint": base["hint"] or "One on each line."})
    if origin is dict:
        values = typing.get_args(kind_type)[1]
        choice = ", ".join(e.value for e in values) if issubclass(values, Enum) else "value"
        return FormField(kind="pairs", **{**base, "hint": f"One on each line: name = {choice}."})
    if isinstance(kind_type, type) and issubclass(kind_type, Enum):
        return FormField(kind="radios", choices=tuple(e.value for e in kind_type), **base)
    if kind_type is bool:
        return FormField(kind="boolean", **{**base, "required": False})
    if kind_type is datetime:
        return FormField(kind="datetime", **{**base, "hint": base["hint"] or "UK time."})
    if kind_type is date:
        return FormField(kind="date", **base)
    if kind_type is int:
        return FormField(kind="whole number", **base)
    if kind_type in (Decimal, float):
        return FormField(kind="number", **base)
    long = _max_length(info) >= _LONG_TEXT
    return FormField(kind="textarea" if long else "text", **base)


def form_fields(schema: type[BaseModel]) -> list[FormField]:
    """The fields a person fills in (the version read travels separately, hidden)."""
    return [worded(schema, _field(n, f))
            for n, f in schema.model_fields.items() if n != "expected_version"]


def _value(form: dict[str, Any], field: FormField) -> Any:
    """What the API's JSON body would hold for this field, or None when left blank."""
    if field.kind == "checkboxes":
        chosen = form.get(field.name) or []
        return ([chosen] if isinstance(chosen, str) else list(chosen)) or None
    if field.kind == "boolean":
        return bool(form.get(field.name))
    if field.kind == "rows":
        rows = []
        for group in field.rows:
            row = {f.name.rsplit(".", 1)[1]: _value(form, f) for f in group.fields}
            if any(v not in (None, "") for v in row.values()):
                rows.append({k: v for k, v in row.items() if v is not None})
        return rows or None
    if field.kind == "group":
        parts = {f.name.rsplit(".", 1)[1]: _value(form, f) for f in field.rows[0].fields}
        return {k: v for k, v in parts.items() if v is not None} or None
    text = _first(form.get(field.name)).strip()
    if not text:
        return None
    if field.kind == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()]
    if field.kind == "pairs":
        return dict(_pair(line) for line in text.splitlines() if line.strip())
    if field.kind == "datetime":
        return _london(text)
    if field.kind == "whole number":
        return _whole_number(text)
    return text


def _whole_number(text: str) -> Any:
    """A form sends text; the API's whole numbers are strict, so send what was typed as
    a number when it is one (and as text otherwise, for the model to name the field)."""
    try:
        return int(text.replace(",", ""))
    except ValueError:
        return text


def _first(value: Any) -> str:
    if isinstance(value, list):
        return value[0] if value else ""
    return value or ""


def _pair(line: str) -> tuple[str, str]:
    name, _, value = line.rpartition("=")
    return (name.strip(), value.strip()) if name else (line.strip(), "")


def _london(text: str) -> Any:
    """A `datetime-local` value is UK time; the API wants a moment with its zone."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text  # the model names the field and the rule
    return moment.replace(tzinfo=LONDON) if moment.tzinfo is None else moment


def body_from_form(schema: type[BaseModel], form: dict[str, Any]
                   ) -> tuple[BaseModel | None, list[FieldError]]:
    """The command's body, or the errors naming each field as the API would."""
    data = {}
    for field in form_fields(schema):
        value = _value(form, field)
        if value is not None:
            data[field.name] = value
    try:
        return schema.model_validate(data), []
    except ValidationError as error:
        return None, [FieldError(".".join(str(p) for p in e["loc"]), e["type"], e["msg"])
                      for e in error.errors()]


def multi_dict(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Form pairs as a dict; a name sent more than once (checkboxes) becomes a list."""
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name in out:
            out[name] = [*(out[name] if isinstance(out[name], list) else [out[name]]), value]
        else:
            out[name] = value
    return out
