"""Redaction over HTTP: one field of one event, or one document, and finding what names a person.

An administrator's alone (the role table: "redact records", "find records naming a
person"). A redaction goes through the one command handler the pages use too
(`CaseCommandHandler.redact`, services/cases/handler.py): recorded on the case, then
carried out. Its answer says what was redacted and the case's new version, never the
case itself: an administrator reads no case.
"""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ConfigDict, Field, StrictInt

from api.deps import Access, CommandsDep, IdentityDep, authorize
from api.routes.cases import IdempotencyKey
from api.routes.commands import IfMatch
from api.text import Line, RequestBody
from api.threads import in_thread
from api.writes import expected_version, handled_response, keyed, refusal_for
from domain.errors import InvalidField
from services.cases.handler import Actor, Handled
from services.cases.person_records import SHORTEST_NAME, Wanted, records_naming
from services.identity.service import UserNotFound

router = APIRouter(tags=["redaction"])
Redacting = Annotated[Access, Depends(authorize("redact records"))]
Finding = Annotated[Access, Depends(authorize("find records naming a person", on_case=False))]


class FieldRedaction(RequestBody):
    """One field of one recorded event, and why it is redacted. Only the words people
    wrote can be redacted (a summary, a reason, notes, a title); a field is named, never
    a whole event. The field's value is replaced by "redacted on {date}: {reason}";
    its commitment stays, so the history still verifies."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"version": 1, "field": "summary", "reason": "The data subject asked us to erase it"}]})
    version: StrictInt = Field(description="The version of the event, as the history shows it.")
    field: Line = Field("", max_length=100, description="The one field of that event.")
    reason: str = Field("", max_length=5000, description="Why: kept with the redaction.")
    expected_version: StrictInt | None = Field(
        None, description="The case's version it was decided on (or send If-Match); optional.")


class DocumentRedaction(RequestBody):
    """Why the document is redacted: its bytes are deleted, its hash kept."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"reason": "Attached to the wrong case"}]})
    reason: str = Field("", max_length=5000, description="Why: kept with the redaction.")
    expected_version: StrictInt | None = None


def _version(if_match: str | None, body_version: int | None) -> int | None:
    """The version decided on, when the caller gives one: a redaction does not need it."""
    return expected_version(if_match, body_version) if if_match or body_version else None


def _answer(handled: Handled, what: dict[str, Any]) -> Response:
    def done(case: dict[str, Any]) -> Response:
        return JSONResponse({"case_id": str(case["id"]), "version": case["version"], **what,
                             "note": _note(case, what)},
                            headers={"ETag": f'"{case["version"]}"'})

    return handled_response(handled, done)


def _note(case: dict[str, Any], what: dict[str, Any]) -> str | None:
    """The note shown where the field or document was: from the case as redacted."""
    if "document_id" in what:
        document: dict[str, Any] = next((d for d in case.get("documents") or []
                         if d["document_id"] == what["document_id"]), {})
        return (document.get("redacted") or {}).get("note")
    key = f"{what['redacted_version']}:{what['field'].strip()}"
    found = (case.get("redactions") or {}).get(key) or {}
    return found.get("note")


@router.post("/cases/{case_id}/redactions", summary="Redact one field of one event",
             responses={422: {"description": "No reason, no field (a whole event), a field "
                                             "the event does not have, or one that is not "
                                             "text: the problem names the field and rule."}})
async def redact_field(request: Request, case_id: UUID, body: FieldRedaction,
                       commands: CommandsDep, access: Redacting, if_match: IfMatch = None,
                       idempotency_key: IdempotencyKey = None) -> Response:
    handled = await commands.redact(
        case_id, "redact_event_field",
        {"version": body.version, "field": body.field, "reason": body.reason},
        Actor(access.id, access.role),
        expected_version=_version(if_match, body.expected_version),
        key=await keyed(request, access, idempotency_key), refusal=refusal_for(request))
    return _answer(handled, {"redacted_version": body.version, "field": body.field})


@router.post("/cases/{case_id}/documents/{document_id}/redaction",
             summary="Redact a document: its bytes deleted, its hash kept")
async def redact_document(request: Request, case_id: UUID, document_id: str,
                          body: DocumentRedaction, commands: CommandsDep, access: Redacting,
                          if_match: IfMatch = None,
                          idempotency_key: IdempotencyKey = None) -> Response:
    handled = await commands.redact(
        case_id, "redact_document", {"document_id": document_id, "reason": body.reason},
        Actor(access.id, access.role),
        expected_version=_version(if_match, body.expected_version),
        key=await keyed(request, access, idempotency_key), refusal=refusal_for(request))
    return _answer(handled, {"document_id": document_id})


@router.get("/records-naming", summary="Every event and document that names a person")
async def find_records(request: Request, access: Finding, identity: IdentityDep,
                       person: Annotated[str | None, Query(max_length=100)] = None,
                       name: Annotated[str | None, Query(max_length=200)] = None
                       ) -> JSONResponse:
    """By a person's account (`person`: their username; the events they recorded, those
    naming them, and those giving their name), or by `name` alone, searched for in the
    words of every event. Each match lists the fields a redaction may take."""
    wanted = await in_thread(wanted_from, identity, person, name)
    found = await in_thread(records_naming, request.app.state.cases, wanted)
    return JSONResponse({"person": wanted.username or None, "name": wanted.name,
                         "records": [_public(r) for r in found]})


def wanted_from(identity: Any, person: str | None, name: str | None) -> Wanted:
    """Whom to look for: a person's account brings the name they go by."""
    if person:
        try:
            user = identity.user(person)
        except UserNotFound:
            raise InvalidField(f"person {person!r} is no one who signs in", field="person",
                               rule="person_not_found") from None
        if name:
            return Wanted.asked(username=person, name=name)
        given = " ".join(str(user.get("name") or "").split())
        return Wanted(person, given if len(given) >= SHORTEST_NAME else "")
    return Wanted.asked(username=None, name=name)


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "recorded_at": record["recorded_at"].isoformat()}
