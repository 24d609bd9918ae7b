"""Redaction in pages: find what names a person, then redact one part of one entry, or a document.

An administrator acting on a request (a data subject's, or a document attached to
the wrong case) chooses the person from the people who sign in, or gives a name;
`/records` lists every entry and document that names them, each with a link to
redact it. The redaction pages show what is about to go, ask why, and send the
redaction to the command handler the API uses (`CaseCommandHandler.redact`). An
administrator reads no case: these pages show only what the redaction concerns.
"""

import re
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from api.deps import Forbidden
from api.routes.redactions import wanted_from
from api.threads import in_thread
from api.views import case_for, event_for
from api.web.case_pages import case_access
from api.web.messages import refusal
from api.web.people import directory
from api.web.rendering import render
from api.web.routing import PageRoute, Who, page_context, posted_form
from api.web.timeline import REDACTED_FIELD_WORDS
from api.web.words import day
from domain.case import Case
from domain.case.redaction import NOT_PRESENT, redactable
from domain.errors import DomainError
from domain.identity import Principal, may
from services.cases.handler import Actor
from services.cases.person_records import records_naming
from services.eventstore.store import NotFound

router = APIRouter(route_class=PageRoute, include_in_schema=False)
DONE = {"field": "The text is redacted. The case's history shows the note in its place.",
        "document": "The document is redacted. Its file is deleted; the case's history "
                    "keeps its fingerprint and the note of why."}


def _finder(who: Principal) -> None:
    if not may(who, "find records naming a person"):
        raise Forbidden("find records naming a person", who.role.value)


def entry_words(event_type: str) -> str:
    """An entry's kind as a person reads it: "Concern raised", "LGA asked to broker"."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", event_type)
    words = [w if w.isupper() and len(w) > 1 else w.lower() for w in spaced.split()]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def part_words(field: str) -> str:
    """A part of an entry in words: "the summary"."""
    return REDACTED_FIELD_WORDS.get(field, "this part")


@router.get("/records/naming")
async def records(request: Request, who: Who, person: str = "", name: str = "",
                  done: str = "") -> Response:
    _finder(who)
    identity = request.app.state.identity
    people = sorted(await in_thread(identity.users),
                    key=lambda p: (p.get("name") or p["username"]).casefold())
    found, error = None, None
    if person or name:
        try:
            wanted = await in_thread(wanted_from, identity, person or None, name or None)
            found = await in_thread(records_naming, request.app.state.cases, wanted)
        except DomainError as refused:
            error = {"id": "name" if refused.field == "name" else "person",
                     "text": refusal(refused.rule, refused.message)}
    shown = await _shown(request, found or [])
    return render(request, "records_naming.html", status=422 if error else 200, **page_context(
        request, who, people=people, person=person, name=name, found=shown,
        searched=found is not None, error=error, done=DONE.get(done, "")))


async def _shown(request: Request, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each match in words: the case, the entry, why it matched, what may be redacted."""
    names = await directory(request)
    shown = []
    for record in found:
        case = f"/case/{record['case_id']}"
        parts = [{"label": part_words(f["field"]).capitalize(), "text": f["text"],
                  "redacted": f["redacted"],
                  "href": f"{case}/redact?" + urlencode({"version": record["version"],
                                                         "field": f["field"]}),
                  "action": f"Redact {part_words(f['field'])}"}
                 for f in record["fields"]]
        document = record["document"]
        if document is not None:
            document = {**document, "href": f"{case}/documents/{document['document_id']}/redact"}
        shown.append({
            "case": " ".join(p for p in (record["authority"], record["reference"]) if p),
            "entry": entry_words(record["event_type"]), "on": day(record["recorded_at"]),
            "by": names.name_of(record["recorded_by"]),
            "why": ", ".join(record["why"]), "parts": parts, "document": document})
    return shown


@router.get("/case/{case_id}/redact")
async def redact_form(request: Request, case_id: UUID, who: Who, version: int = 0,
                      field: str = "") -> Response:
    await case_access(request, who, "redact records")
    return await _field_form(request, who, case_id, version, field)


async def _field_form(request: Request, who: Principal, case_id: UUID, version: int,
                      field: str, *, reason: str = "", error: str | None = None) -> Response:
    cases = request.app.state.cases
    events = await in_thread(cases.history, case_id)
    event = next((e for e in events if e["version"] == version), None)
    if event is None:
        raise NotFound("no such entry on this case", field="version")
    known = await in_thread(cases.get_case, case_id)
    value = event["data"].get(field, NOT_PRESENT)
    shown = event_for(who, event, known)["data"].get(field, NOT_PRESENT)  # Chatham House
    names = await directory(request)
    redacted = (known.get("redactions") or {}).get(f"{version}:{field}")
    return render(request, "redact.html", status=422 if error else 200, **page_context(
        request, who, case_id=case_id, version=version, field=field,
        case_named=" ".join(p for p in (known["authority"], known.get("reference")) if p),
        entry=entry_words(event["type"]), on=day(event["recorded_at"]),
        by=names.name_of((event.get("actor") or {}).get("id")),
        part=part_words(field), text=shown if isinstance(shown, str) else "",
        may_redact=redactable(getattr(Case, str(event["type"]), None), field, value),
        redacted=(redacted or {}).get("note"), reason=reason, error=error))


@router.post("/case/{case_id}/redact")
async def redact(request: Request, case_id: UUID, who: Who) -> Response:
    access, _ = await case_access(request, who, "redact records")
    form = await posted_form(request)
    version = int(form["version"]) if str(form.get("version", "")).isdigit() else 0
    field, reason = str(form.get("field", "")), str(form.get("reason", ""))
    try:
        await request.app.state.commands.redact(
            case_id, "redact_event_field", {"version": version, "field": field,
                                            "reason": reason},
            Actor(access.id, access.role), expected_version=None)
    except DomainError as refused:
        return await _field_form(request, who, case_id, version, field, reason=reason,
                                 error=refusal(refused.rule, refused.message))
    return RedirectResponse("/records/naming?done=field", status_code=303)


@router.get("/case/{case_id}/documents/{document_id}/redact")
async def redact_document_form(request: Request, case_id: UUID, document_id: str,
                               who: Who) -> Response:
    _, case = await case_access(request, who, "redact records")
    return await _document_form(request, who, case, document_id)


async def _document_form(request: Request, who: Principal, case: dict[str, Any],
                         document_id: str, *, reason: str = "",
                         error: str | None = None) -> Response:
    document = next((d for d in case_for(who, case).get("documents") or []
                     if d["document_id"] == document_id), None)
    if document is None:
        raise NotFound("no such document on this case", field="document_id")
    names = await directory(request)
    return render(request, "redact_document.html", status=422 if error else 200,
                  **page_context(
        request, who, case_id=case["id"], document_id=document_id,
        case_named=" ".join(p for p in (case["authority"], case.get("reference")) if p),
        document_title=document.get("title") or "Untitled document",
        by=names.name_of(document.get("attached_by")), on=day(document.get("attached_at")),
        redacted=(document.get("redacted") or {}).get("note"), reason=reason, error=error))


@router.post("/case/{case_id}/documents/{document_id}/redact")
async def redact_document(request: Request, case_id: UUID, document_id: str,
                          who: Who) -> Response:
    access, case = await case_access(request, who, "redact records")
    form = await posted_form(request)
    reason = str(form.get("reason", ""))
    try:
        await request.app.state.commands.redact(
            case_id, "redact_document", {"document_id": document_id, "reason": reason},
            Actor(access.id, access.role), expected_version=None)
    except DomainError as refused:
        return await _document_form(request, who, case, document_id, reason=reason,
                                    error=refusal(refused.rule, refused.message))
    return RedirectResponse("/records/naming?done=document", status_code=303)
