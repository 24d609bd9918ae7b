"""Redaction: one field of one recorded event, or one document, taken off the record.

An administrator redacts, with a reason the record keeps (a data subject's request,
a document attached to the wrong case): the redaction is itself an event of the case,
naming who, when and why. What it removes is the text itself: the stored value is
replaced by a note, "redacted on {date}: {reason}", while the event keeps the field's
salted commitment, so the history, its checkpoints and its exports still verify.
Everywhere the field or document was shown, the note is shown instead.

The rules, each refused naming the field it concerns:
  - a reason is required (`redaction_needs_reason`);
  - the event must be one the case has recorded (`event_must_exist`), and not a
    redaction itself: those stay on the record (`redactions_stay_on_the_record`);
  - one field is named, never a whole event (`never_a_whole_event`), and it must be a
    field of that event (`field_must_exist`);
  - only the text people wrote can be redacted (`text_fields_only`): a summary, a
    reason, notes, a title; never a date, a number, a choice from a list, or a name
    the case is routed by (its council, region, owner, people's usernames);
  - a field or document is redacted once (`already_redacted`);
  - a document must be one attached to the case (`document_must_be_attached`).
Only administrators redact: the role table (domain/identity.py, "redact records").
"""

import typing
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

from domain.calendar import LONDON
from domain.case.state import CaseState, actor
from domain.errors import InvalidField, RuleViolation
from domain.text import text_problem

REASON_LIMIT = 500
WRITTEN_WORDS = frozenset({
    "summary", "reason", "content", "source", "notes", "note", "description", "exit_note",
    "title", "filename", "management_solution"})
"""The fields that hold the words people wrote (on the events that declare them as plain
text): the only ones a redaction may take off the record."""
NOT_PRESENT = object()
"""What the services give for a field the event does not have."""


def redaction_note(at: datetime, reason: str) -> str:
    """What is shown in the place of what was redacted (the day in London)."""
    day = at.astimezone(LONDON) if at.tzinfo else at
    return f"redacted on {day.day} {day:%B %Y}: {reason}"


def field_key(version: int, field: str) -> str:
    return f"{version}:{field}"


class FieldRedacted(Aggregate.Event):
    rewrites_earlier_events = True
    """Read by the services: a state built before it still holds the text it erased."""

    version: int
    field: str
    reason: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        done = {"version": self.version, "field": self.field, "reason": self.reason,
                "redacted_at": self.recorded_at, "redacted_by": self.actor_id,
                "note": redaction_note(self.recorded_at, self.reason)}
        aggregate.redactions = {**aggregate.redactions,
                                field_key(self.version, self.field): done}


class DocumentRedacted(Aggregate.Event):
    rewrites_earlier_events = False  # the event history is untouched: the file goes

    document_id: str
    sha256: str
    reason: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        note = redaction_note(self.recorded_at, self.reason)
        done = {"reason": self.reason, "redacted_at": self.recorded_at,
                "redacted_by": self.actor_id, "note": note}
        aggregate.documents = tuple(
            {**d, "redacted": done} if d["document_id"] == self.document_id else d
            for d in aggregate.documents)


REDACTION_EVENTS = ("FieldRedacted", "DocumentRedacted")


class RedactionPart(CaseState):
    """Redacting one field of one event, or one document, for a recorded reason."""

    version: int  # the aggregate's, read here to know which events the case has

    def redact_field(self, *, version: Any, field: Any, event_type: str | None,
                     value: Any, reason: Any, recorded_at: datetime, actor_id: str,
                     actor_role: str) -> str:
        """Redact one field of the event recorded at `version` (`event_type` and the
        field's `value` as stored, `NOT_PRESENT` when it has none; None for a version
        the case does not have). Returns the note shown in its place."""
        why = redaction_reason(reason)
        if not isinstance(version, int) or isinstance(version, bool) or event_type is None \
                or not 1 <= version <= self.version:
            raise InvalidField(f"version must name an event of this case (1 to "
                               f"{self.version}); got {version!r}", field="version",
                               rule="event_must_exist")
        if event_type in REDACTION_EVENTS:
            raise InvalidField("a redaction stays on the record: it cannot be redacted",
                               field="version", rule="redactions_stay_on_the_record")
        name = field.strip() if isinstance(field, str) else ""
        if not name:
            raise InvalidField("name the one field to redact: a redaction removes one "
                               "field of one event, never a whole event", field="field",
                               rule="never_a_whole_event")
        self.check_redactable(event_type, name, value, version)
        if field_key(version, name) in self.redactions:
            raise RuleViolation(f"{name} of that event is already redacted",
                                rule="already_redacted")
        self.trigger_event(FieldRedacted, version=version, field=name, reason=why,
                           recorded_at=recorded_at, **actor(actor_id, actor_role))
        return redaction_note(recorded_at, why)

    def check_redactable(self, event_type: str, name: str, value: Any, version: int) -> None:
        """The field exists on that event and holds text a person wrote."""
        if value is NOT_PRESENT:
            raise InvalidField(f"the event at version {version} ({event_type}) has no field "
                               f"{name!r}", field="field", rule="field_must_exist")
        if not redactable(getattr(type(self), event_type, None), name, value):
            raise InvalidField(
                f"{name} cannot be redacted: only text fields, the words people wrote (a "
                "summary, a reason, notes, a title), can be; never a date, a number, a "
                "choice from a list or a name the case is routed by", field="field",
                rule="text_fields_only")

    def redact_document(self, *, document_id: Any, reason: Any, recorded_at: datetime,
                        actor_id: str, actor_role: str) -> str:
        """Redact an attached document: its bytes go, its hash stays on the record."""
        why = redaction_reason(reason)
        document = next((d for d in self.documents
                         if d["document_id"] == document_id), None)
        if document is None:
            raise InvalidField(f"document_id {document_id!r} names no document attached to "
                               "this case", field="document_id",
                               rule="document_must_be_attached")
        if document.get("redacted"):
            raise RuleViolation("that document is already redacted", rule="already_redacted")
        self.trigger_event(DocumentRedacted, document_id=document["document_id"],
                           sha256=document["sha256"], reason=why, recorded_at=recorded_at,
                           **actor(actor_id, actor_role))
        return redaction_note(recorded_at, why)

    def field_redaction(self, version: int, field: str) -> Mapping[str, Any] | None:
        """The redaction of one field, if it has been redacted."""
        return self.redactions.get(field_key(version, field))


def redactable(event_class: Any, name: str, value: Any) -> bool:
    """Whether this field of an event of this class holds words people wrote: the one
    kind of field a redaction takes (`text_fields_only`)."""
    hints = _hints(event_class) if isinstance(event_class, type) else {}
    return (name in WRITTEN_WORDS and hints.get(name) is str and isinstance(value, str)
            and getattr(event_class, "__name__", "") not in REDACTION_EVENTS)


def redaction_reason(reason: Any) -> str:
    """The reason, required and one paragraph at most."""
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidField("reason is required: say why this is redacted (for example, a "
                           "data subject's request)", field="reason",
                           rule="redaction_needs_reason")
    text = " ".join(reason.split())
    found = text_problem(text, "reason", multiline=False)
    if found is not None:
        raise InvalidField(found[1], field="reason", rule=found[0])
    if len(text) > REASON_LIMIT:
        raise InvalidField(f"reason must be at most {REASON_LIMIT} characters",
                           field="reason")
    return text


def _hints(event_class: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(event_class, include_extras=True)  # a choice stays one
    except (NameError, TypeError):
        return {}
