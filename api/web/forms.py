"""A page form for every case command, made from the command's own request body.

The API's pydantic models (api/command_schemas.py) say each field's type and
limits; this module turns them into GOV.UK form fields and turns a submitted
form back into the same model, so a field added to a command appears on its
page, and an invalid field is named exactly as the API names it
(`actions.0.due`), with the page's element id beside it (`actions-0-due`).
"""

import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ValidationError
from pydantic.fields import FieldInfo

from api.web.field_words import worded

LONDON = ZoneInfo("Europe/London")
ROWS = 1  # rows a list of parts starts with; "Add another" posts the form back for one more
_LONG_TEXT = 1000
FEW = 5  # a select of this many choices or fewer is asked as radios
_ROW_KEY = re.compile(r"([a-z_]+)\.([0-9]+)\.")
DATE_PARTS = ("day", "month", "year")
TIME_PARTS = ("hour", "minute")

# What a date field asks, in words, for its errors: "Enter the date the action is due".
DATE_WORDS = {
    "due": "the date the action is due",
    "visited_at": "the date of the visit",
    "next_review_due": "the date of the next review",
    "next_joint_meeting_due": "the date of the next joint local meeting",
    "meeting_at": "the date of the meeting",
    "diagnosis_due": "the date the diagnosis is due",
}

ROWS_HINTS = {
    "actions": "Make each action SMART: specific, measurable, achievable, relevant and "
               "time-bound.",
    "attendees": "Everyone who attended: the council or its partnership, the government "
                 "office and the audit body.",
}


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
    item: str = ""  # what one row of rows is ("action"), for "Add another action"

    @property
    def few(self) -> bool:
        """A select of a few choices is asked as radios: each one seen at once."""
        return len(self.options) <= FEW and not self.autocomplete

    @property
    def parts(self) -> tuple[str, ...]:
        """The boxes of a date (day, month, year) and of a moment (and hour, minute)."""
        return DATE_PARTS + (TIME_PARTS if self.kind == "datetime" else ())


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
    parts: tuple[str, ...] = ()  # the boxes of a date that are wrong (none named: all)

    @property
    def id(self) -> str:
        """The element an error summary's link focuses: a date's first wrong box."""
        if self.parts:
            return element_id(f"{self.field}-{self.parts[0]}")
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


def _field(name: str, info: FieldInfo, prefix: str = "",
           rows: Mapping[str, int] | None = None) -> FormField:
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
        return _rows(name, args[0], base, (rows or {}).get(full, ROWS))
    if isinstance(kind_type, type) and issubclass(kind_type, BaseModel):
        group = FormGroup(_label(name), tuple(_field(n, f, f"{full}.")
                                              for n, f in kind_type.model_fields.items()))
        return FormField(kind="group", rows=(group,), **base)
    if origin is list:
        return FormField(kind="lines", **{**base, "hint": base["hint"] or "One on each line."})
    if origin is dict:
        values = typing.get_args(kind_type)[1]
        choice = ", ".join(e.value for e in values) if issubclass(values, Enum) else "value"
        statuses = tuple(e.value for e in values) if issubclass(values, Enum) else ()
        return FormField(kind="pairs", choices=statuses,
                         **{**base, "hint": f"One on each line: name = {choice}."})
    if isinstance(kind_type, type) and issubclass(kind_type, Enum):
        return FormField(kind="radios", choices=tuple(e.value for e in kind_type), **base)
    if kind_type is bool:
        return FormField(kind="boolean", **{**base, "required": False})
    if kind_type in (datetime, date):  # the API's hint speaks of ISO 8601; the boxes do not
        return FormField(kind="datetime" if kind_type is datetime else "date",
                         **{**base, "hint": ""})
    if kind_type is int:
        return FormField(kind="whole number", **base)
    if kind_type in (Decimal, float):
        return FormField(kind="number", **base)
    long = _max_length(info) >= _LONG_TEXT
    return FormField(kind="textarea" if long else "text", **base)


def _rows(name: str, part: type[BaseModel], base: dict[str, Any], count: int) -> FormField:
    """A list of parts (a plan's actions), as many rows as the person has asked for."""
    item = _label(name)[:-1] if name.endswith("s") else _label(name)
    groups = tuple(FormGroup(f"{item} {i + 1}", tuple(
        _field(n, f, f"{base['name']}.{i}.")
        for n, f in part.model_fields.items())) for i in range(max(count, 1)))
    return FormField(kind="rows", rows=groups, item=item.lower(),
                     **{**base, "hint": ROWS_HINTS.get(name, base["hint"])})


def form_fields(schema: type[BaseModel], rows: Mapping[str, int] | None = None
                ) -> list[FormField]:
    """The fields a person fills in (the version read travels separately, hidden);
    `rows`: how many rows each list of parts shows (one, unless more were added)."""
    return [worded(schema, _field(n, f, rows=rows)) for n, f in schema.model_fields.items()
            if n != "expected_version"]


MAX_ROWS = 100  # the most parts any command's list takes (a plan's actions)


def rows_in(form: Mapping[str, Any]) -> dict[str, int]:
    """How many rows of each list of parts a posted form held (blank rows too), never more
    than any command takes: an address naming row 999999 must not draw a million rows."""
    counts: dict[str, int] = {}
    for key in form:
        found = _ROW_KEY.match(key)
        if found:
            counts[found[1]] = min(MAX_ROWS, max(counts.get(found[1], 0), int(found[2]) + 1))
    return counts


def with_row_added(form: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The form with one more, empty, row of `name` ("Add another action")."""
    return {**form, f"{name}.{rows_in(form).get(name, 1)}.": ""}


def with_row_removed(form: Mapping[str, Any], name: str, index: int) -> dict[str, Any]:
    """The form without row `index` of `name`, the rows after it moved up one."""
    kept: dict[str, Any] = {}
    for key, value in form.items():
        found = _ROW_KEY.match(key)
        if not found or found[1] != name or int(found[2]) < index:
            kept[key] = value
        elif int(found[2]) > index:
            kept[f"{name}.{int(found[2]) - 1}.{key[found.end():]}"] = value
    return kept


def _value(form: Mapping[str, Any], field: FormField) -> Any:
    """What the API's JSON body would hold for this field, or None when left blank."""
    if field.kind == "checkboxes":
        chosen = form.get(field.name) or []
        return ([chosen] if isinstance(chosen, str) else list(chosen)) or None
    if field.kind == "boolean":
        return bool(form.get(field.name))
    if field.kind == "rows":
        rows = [{k: v for k, v in row.items() if v is not None}
                for _, row in _filled_rows(form, field)]
        return rows or None
    if field.kind == "group":
        parts = {f.name.rsplit(".", 1)[1]: _value(form, f) for f in field.rows[0].fields}
        return {k: v for k, v in parts.items() if v is not None} or None
    if field.kind in ("date", "datetime") and any(f"{field.name}-{p}" in form
                                                   for p in DATE_PARTS):
        return _date_value(form, field)
    if field.kind == "pairs" and f"{field.name}.0.name" in form:
        return _chosen_statuses(form, field.name)
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


def _filled_rows(form: Mapping[str, Any], field: FormField
                 ) -> list[tuple[int, dict[str, Any]]]:
    """The rows something was entered in, each with its place on the form."""
    rows = []
    for index, group in enumerate(field.rows):
        row = {f.name.rsplit(".", 1)[1]: _value(form, f) for f in group.fields}
        if any(v not in (None, "") for v in row.values()):
            rows.append((index, row))
    return rows


def _chosen_statuses(form: Mapping[str, Any], name: str) -> dict[str, str] | None:
    """The measures listed on a progress review, each with the status chosen for it."""
    chosen = {}
    index = 0
    while f"{name}.{index}.name" in form:
        status = _first(form.get(f"{name}.{index}.status")).strip()
        if status:
            chosen[_first(form[f"{name}.{index}.name"])] = status
        index += 1
    return chosen or None


def _date_boxes(form: Mapping[str, Any], field: FormField) -> dict[str, str]:
    return {p: _first(form.get(f"{field.name}-{p}")).strip() for p in field.parts}


def _date_value(form: Mapping[str, Any], field: FormField) -> Any:
    """The API's text for a date (2027-03-31), or for a moment its UK time with its zone;
    None when nothing was entered. Boxes that make no date give text the model refuses,
    and `date_problem` says why in words."""
    boxes = _date_boxes(form, field)
    if not any(boxes.values()):
        return None
    if date_problem(field, boxes) is not None:
        return "-".join(boxes[p] for p in DATE_PARTS[::-1])
    day = date(int(boxes["year"]), int(boxes["month"]), int(boxes["day"]))
    if field.kind == "date":
        return day.isoformat()
    return datetime.combine(day, time(int(boxes["hour"]), int(boxes["minute"] or 0)),
                            tzinfo=LONDON)


def _date_words(field: FormField) -> str:
    return DATE_WORDS.get(field.name.rsplit(".", 1)[-1], f"the {field.label.lower()} date")


def _missing(parts: list[str]) -> str:
    return " and ".join(parts) if len(parts) < 3 else f"{parts[0]}, {parts[1]} and {parts[2]}"


def date_problem(field: FormField, boxes: Mapping[str, str]) -> FieldError | None:
    """What is wrong with the boxes of a date (and time), in GOV.UK's words; None if
    they make a real date. Whether a date is needed at all is the model's to say."""
    words = _date_words(field)
    said = words[0].upper() + words[1:]
    if not any(boxes.values()):
        return FieldError(field.name, "missing", f"Enter {words}", DATE_PARTS)
    blank = [p for p in DATE_PARTS if not boxes[p]]
    if blank:
        return FieldError(field.name, "date_incomplete",
                          f"{said} must include a {_missing(blank)}", tuple(blank))
    wrong = [p for p in DATE_PARTS if not boxes[p].isdigit()]
    if len(boxes["year"]) != 4:
        wrong = [*wrong, "year"] if "year" not in wrong else wrong
    if wrong or not _is_real_date(boxes):
        return FieldError(field.name, "date_not_real", f"{said} must be a real date",
                          tuple(wrong) or DATE_PARTS)
    return _time_problem(field, boxes, words)


def _is_real_date(boxes: Mapping[str, str]) -> bool:
    try:
        date(int(boxes["year"]), int(boxes["month"]), int(boxes["day"]))
    except ValueError:
        return False
    return True


def _time_problem(field: FormField, boxes: Mapping[str, str], words: str) -> FieldError | None:
    """A moment needs an hour (a minute left blank is on the hour), in the 24-hour clock."""
    if field.kind != "datetime":
        return None
    said = words.replace("the date", "the time", 1)
    if not boxes["hour"]:
        return FieldError(field.name, "time_incomplete",
                          f"{said[0].upper()}{said[1:]} must include an hour", ("hour",))
    hour, minute = boxes["hour"], boxes["minute"] or "0"
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        return FieldError(field.name, "time_not_real",
                          f"{said[0].upper()}{said[1:]} must be a real time", TIME_PARTS)
    return None


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


def body_from_form(schema: type[BaseModel], form: Mapping[str, Any]
                   ) -> tuple[BaseModel | None, list[FieldError]]:
    """The command's body, or the errors naming each field as the API would (a row by
    its place on the form); a date's in GOV.UK's words, each naming its wrong boxes."""
    fields = form_fields(schema, rows_in(form))
    data = {}
    for field in fields:
        value = _value(form, field)
        if value is not None:
            data[field.name] = value
    unchosen = [e for f in fields if f.kind == "pairs" for e in _unchosen(form, f.name)]
    try:
        body = schema.model_validate(data)
    except ValidationError as error:
        places = _row_places(form, fields)
        errors = [FieldError(_on_form(e["loc"], places), e["type"], e["msg"])
                  for e in error.errors() if not (unchosen and e["loc"][0] == "measures")]
        return None, unchosen + _dates_in_words(form, fields, errors)
    return (None, unchosen) if unchosen else (body, [])


def _unchosen(form: Mapping[str, Any], name: str) -> list[FieldError]:
    """Each measure listed on a progress review that was given no status."""
    errors = []
    index = 0
    while f"{name}.{index}.name" in form:
        if not _first(form.get(f"{name}.{index}.status")).strip():
            errors.append(FieldError(
                f"{name}.{index}", "measure_not_judged", f"Choose whether \u201c"
                f"{_first(form[f'{name}.{index}.name'])}\u201d is on track or off track"))
        index += 1
    return errors


def _row_places(form: Mapping[str, Any], fields: list[FormField]) -> dict[str, list[int]]:
    """For each list of parts, the place on the form of each row the body holds (blank
    rows are left out of the body, so its third action may be the form's fourth row)."""
    return {f.name: [i for i, _ in _filled_rows(form, f)] for f in fields if f.kind == "rows"}


def _on_form(loc: tuple[Any, ...], places: dict[str, list[int]]) -> str:
    parts = [str(p) for p in loc]
    if len(parts) > 1 and parts[0] in places and parts[1].isdigit() \
            and int(parts[1]) < len(places[parts[0]]):
        parts[1] = str(places[parts[0]][int(parts[1])])
    return ".".join(parts)


def _date_fields(fields: list[FormField]) -> dict[str, FormField]:
    found = {}
    for field in fields:
        if field.kind in ("date", "datetime"):
            found[field.name] = field
        for group in field.rows:
            found.update(_date_fields(list(group.fields)))
    return found


def _dates_in_words(form: Mapping[str, Any], fields: list[FormField],
                    errors: list[FieldError]) -> list[FieldError]:
    """A date's error says what to do with its boxes; the model's own words only for a
    real date it refuses (before 1900, say), still naming the field."""
    dates = _date_fields(fields)
    said = []
    for error in errors:
        field = dates.get(error.field)
        if field is None or not any(f"{field.name}-{p}" in form for p in DATE_PARTS):
            said.append(error)
            continue
        problem = date_problem(field, _date_boxes(form, field))
        said.append(problem if problem is not None else FieldError(
            error.field, error.rule, f"{_date_words(field)[0].upper()}"
            f"{_date_words(field)[1:]} must be between 1900 and 2199", field.parts[:3]))
    return said


def multi_dict(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Form pairs as a dict; a name sent more than once (checkboxes) becomes a list."""
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name in out:
            out[name] = [*(out[name] if isinstance(out[name], list) else [out[name]]), value]
        else:
            out[name] = value
    return out
