"""Finding every recorded event and document that names a person, to act on their request.

An administrator answering a data subject's request asks for a person: chosen from
the people who sign in (their account: the events they recorded, the cases and steps
that name their username, and the text that gives their name), or by a name alone,
searched for in the words of every event. The history is read once, from the
notification log, and each match says why it matched and which of its fields a
redaction may take (domain/case/redaction.py `redactable`), with those already redacted.
A Chatham House source, and the title and file name of a document attached under Chatham
House, are shown withheld (domain/confidentiality.py): an administrator is not of the
confidential group, and redacts them without reading them.
"""

import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.case.redaction import REDACTION_EVENTS, redactable, redaction_note
from domain.confidentiality import redact_event
from domain.errors import InvalidField
from services.cases.service import CaseService

SHORTEST_NAME = 3
"""Letters a name searched for must have: fewer would match half the history."""
LONGEST_NAME = 200
EXCERPT = 160  # characters of a field's text shown around a match
_ENVELOPE = {"originator_id", "originator_version", "originator_topic", "timestamp",
             "actor_id", "actor_role"}


@dataclass(frozen=True)
class Wanted:
    """Whom the records are looked for: an account (username and the name it goes by),
    or a name alone."""

    username: str = ""
    name: str = ""

    @classmethod
    def asked(cls, *, username: str | None, name: str | None) -> "Wanted":
        """What was asked, refused when it names no one or a name too short to search."""
        text = " ".join((name or "").split())
        if not username and not text:
            raise InvalidField("choose a person, or give a name to search for",
                               field="name", rule="person_or_name_required")
        if text and (len(_fold(text)) < SHORTEST_NAME or len(text) > LONGEST_NAME):
            raise InvalidField(f"name must have {SHORTEST_NAME} to {LONGEST_NAME} characters",
                               field="name", rule="name_length")
        return cls(username or "", text)


@dataclass
class Found:
    """One event (or attached document) that names the person."""

    case_id: str
    reference: str
    authority: str
    version: int
    event_type: str
    recorded_at: datetime
    recorded_by: str
    why: list[str] = field(default_factory=list)
    fields: list[dict[str, Any]] = field(default_factory=list)
    document: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "reference": self.reference,
                "authority": self.authority, "version": self.version,
                "event_type": self.event_type, "recorded_at": self.recorded_at,
                "recorded_by": self.recorded_by, "why": self.why, "fields": self.fields,
                "document": self.document}


def records_naming(cases: CaseService, wanted: Wanted) -> list[dict[str, Any]]:
    """Every event and document naming the person, case by case, oldest first."""
    cases_seen: dict[str, dict[str, str]] = {}
    found: list[Found] = []
    redacted: dict[tuple[str, int], dict[str, str]] = {}
    documents: dict[tuple[str, str], str] = {}
    for event in _case_events(cases):
        case_id = str(event.originator_id)
        facts = cases_seen.setdefault(case_id, {"reference": "", "authority": ""})
        name = type(event).__name__
        if name == "ConcernRaised":
            facts.update(reference=event.reference, authority=event.authority)
        elif name == "ReferenceGiven":
            facts["reference"] = event.reference
        elif name == "FieldRedacted":
            redacted.setdefault((case_id, event.version), {})[event.field] = _note(event)
        elif name == "DocumentRedacted":
            documents[(case_id, event.document_id)] = _note(event)
        if name in REDACTION_EVENTS:
            continue
        match = _matching(event, wanted)
        if match is not None:
            found.append(match)
    for match in found:
        facts = cases_seen[match.case_id]
        match.reference, match.authority = facts["reference"], facts["authority"]
        notes = redacted.get((match.case_id, match.version), {})
        for shown in match.fields:
            shown["redacted"] = notes.get(shown["field"])
        if match.document is not None:
            match.document["redacted"] = documents.get(
                (match.case_id, match.document["document_id"]))
    return [m.as_dict() for m in found]


def _note(event: Any) -> str:
    return redaction_note(event.recorded_at, event.reason)


def _case_events(cases: CaseService) -> Iterator[Any]:
    """Every event of every case, in the order recorded (events of other records skipped)."""
    start = 1
    while batch := cases.recorder.select_notifications(start=start, limit=1000):
        for stored in batch:
            if stored.topic.startswith("domain.case:Case."):
                yield cases.mapper.to_domain_event(stored)
        start = batch[-1].id + 1


def _matching(event: Any, wanted: Wanted) -> Found | None:
    """The event as a match, if it names the person; None if it does not."""
    data = {k: v for k, v in vars(event).items() if k not in _ENVELOPE}
    why: list[str] = []
    if wanted.username and event.actor_id == wanted.username:
        why.append("recorded by them")
    named = [k for k, v in data.items() if wanted.username and _names(v, wanted.username)]
    if named:
        why.append("names them")
    words = [k for k, v in data.items() if wanted.name and _mentions(v, wanted.name)]
    if words:
        why.append("gives the name")
    if not why:
        return None
    shown = redact_event({"type": type(event).__name__, "data": data})["data"]
    fields = [{"field": k, "text": _excerpt(data[k], wanted.name) if shown[k] == data[k]
               else shown[k], "matched": k in words or k in named}
              for k in data if redactable(type(event), k, data[k])]
    fields.sort(key=lambda f: not f["matched"])
    document = None
    if type(event).__name__ == "DocumentAttached":
        document = {"document_id": event.document_id, "title": shown["title"],
                    "filename": shown["filename"]}
    return Found(str(event.originator_id), "", "", event.originator_version,
                 type(event).__name__, event.timestamp, event.actor_id, why, fields, document)


def _names(value: Any, username: str) -> bool:
    """Whether a value names this username: as itself, or in a list or mapping."""
    if isinstance(value, str):
        return value == username
    if isinstance(value, Mapping):
        return any(_names(v, username) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_names(v, username) for v in value)
    return False


def _mentions(value: Any, name: str) -> bool:
    """Whether a value's text gives the name (accents and case aside)."""
    if isinstance(value, str):
        return _fold(name) in _fold(value)
    if isinstance(value, Mapping):
        return any(_mentions(v, name) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_mentions(v, name) for v in value)
    return False


def _fold(text: str) -> str:
    bare = "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def _excerpt(value: str, name: str) -> str:
    """The field's text, or the part of it around the name when it is long."""
    if len(value) <= EXCERPT:
        return value
    at = _fold(value).find(_fold(name)) if name else -1
    start = max(0, at - EXCERPT // 2) if at >= 0 else 0
    cut = value[start:start + EXCERPT]
    return ("…" if start else "") + cut + ("…" if start + EXCERPT < len(value) else "")

