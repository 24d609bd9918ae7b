"""The region policy's form in words: each duration as a number and a unit, escalation
as radios, read back into the text the API's `PolicyChange` takes ('10' working days,
'P6W', 'PT1H'), so the page and the API share one body and one set of rules."""

from typing import Any

from api.web.forms import FieldError, FormField, element_id
from api.web.messages import mid_sentence
from api.web.words import duration_parts

UNITS: dict[str, str] = {  # the unit's words -> how the API's duration text spells N of it
    "working day": "{n}", "day": "P{n}D", "week": "P{n}W", "year": "P{days}D",
    "hour": "PT{n}H", "minute": "PT{n}M", "second": "PT{n}S"}
UNIT_WORDS = {"working day": "working days", "day": "days (every day of the week)",
              "week": "weeks", "year": "years", "hour": "hours", "minute": "minutes",
              "second": "seconds"}
ESCALATION = {
    "automatic": ("Escalate automatically",
                  "Once the limit is reached, casework moves the case up a stage itself."),
    "proposed": ("Propose an escalation",
                 "Once the limit is reached, casework asks a coordinator to confirm or "
                 "decline the move.")}


def _field(name: str, label: str, kind: str, hint: str = "") -> FormField:
    return FormField(name=name, id=element_id(name), label=label, kind=kind, hint=hint,
                     required=False, choices=tuple(ESCALATION) if kind == "radios" else ())


POLICY_FIELDS: list[FormField] = [
    _field("remind_before", "Notice before a deadline", "duration",
           "How long before a deadline its owner is first reminded."),
    _field("remind_every", "Time between reminders", "duration",
           "Once a deadline is missed, how often its owner is reminded."),
    _field("missed_reminder_limit", "Reminders of a missed deadline before escalating",
           "whole number", "A whole number from 0 to 20."),
    _field("escalation", "When that many reminders have gone unanswered", "radios"),
    _field("diagnosis", "Time allowed for a diagnosis", "duration"),
    _field("plan_agreed", "Time allowed for the council to agree the support plan",
           "duration"),
    _field("next_review", "Time between progress reviews", "duration"),
    _field("meeting_summary", "Time allowed for a meeting's summary", "duration"),
    _field("next_joint_meeting", "Time to the next joint local meeting", "duration",
           "After a joint local meeting that found a strong local plan, unless the meeting "
           "names its date."),
    _field("follow_up_review", "Time to the follow-up review", "duration",
           "After a case is closed as improved."),
    _field("notify_email", "Email address that gets a copy of every notice", "text"),
    _field("webhook_url", "Web address that gets every notice", "text",
           "For another system to read the notices. Starts with https://"),
    _field("webhook_secret", "Webhook signing key", "text",
           "Signs each notice sent to the web address. It is never shown again: leave it "
           "blank to keep the one set."),
]


def shown_values(current: dict[str, Any]) -> dict[str, Any]:
    """The policy as the form shows it: a number and a unit for each duration."""
    values = dict(current)
    for field in POLICY_FIELDS:
        parts = duration_parts(current.get(field.name)) if field.kind == "duration" else None
        if parts:
            values[field.name], values[f"{field.name}_unit"] = str(parts[0]), parts[1]
    return values


def _duration(field: FormField, number: str, unit: str) -> tuple[str | None, FieldError | None]:
    """The API's text for a number of a unit, or what to enter instead."""
    if not number:
        return None, None
    if not number.isdigit():
        return None, FieldError(field.name, "whole_number",
                                f"Enter {mid_sentence(field.label)} as a whole number, like 2")
    if unit not in UNITS:
        return None, FieldError(field.name, "unit",
                                f"Choose the unit of {mid_sentence(field.label)}")
    n = int(number)
    return UNITS[unit].format(n=n, days=365 * n), None


def from_form(form: dict[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """The fields the API's body takes, from what was posted, and any entry to put right."""
    fields: dict[str, Any] = {}
    errors: list[FieldError] = []
    for field in POLICY_FIELDS:
        text = str(form.get(field.name) or "").strip()
        if field.kind == "duration":
            value, error = _duration(field, text, str(form.get(f"{field.name}_unit") or ""))
            errors += [error] if error else []
        else:
            value = text or None
        if value is not None:
            fields[field.name] = value
    return fields, errors
