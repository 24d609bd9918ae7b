"""Attaching a document from the case page, and downloading one.

The form posts multipart to a page route that reads it with the API's own streaming
reader (api/uploads.py `receive_upload`: the size limit, the type decided by the
content, the filename never a path) and records it through the one command handler
(`attach_document`), so a page can attach nothing the API would refuse. A refusal
comes back as the GOV.UK error summary in plain words; a stale form, as every other
form's does, with what changed since. The file is kept before the command records it;
a file the command then refuses is removed again unless a case records it.
"""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from api.routes.documents import document_download
from api.threads import in_thread
from api.uploads import Upload, fields_read, receive_upload
from api.views import case_for
from api.web.case_documents import attachable_steps
from api.web.case_pages import _changes_since, _stale_words, _version, case_access
from api.web.document_words import KINDS, step_of, step_value
from api.web.forms import FieldError
from api.web.messages import refusal
from api.web.rendering import render
from api.web.routing import CsrfRefused, PageRoute, Who, page_context, problem_page
from api.web.sessions import same_token
from domain.documents import DocumentStep, DocumentTampered
from domain.errors import DomainError, InvalidField
from domain.identity import Principal, may_attach_document_to
from domain.vocabulary import Confidentiality
from services.cases.document_sweep import forget_if_unrecorded, release
from services.cases.handler import Actor
from services.cases.service import StaleVersion

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FIELDS = ("csrf_token", "expected_version", "title", "kind", "step", "confidentiality")
"""The form's text fields, as the reader is told to take them (the file is `file`)."""
_ANSWERS = ("title", "kind", "step", "confidentiality")

TYPES_IN_WORDS = "a PDF, Word or ODF document, a spreadsheet, a CSV or text file, or a " \
                 "PNG or JPEG image"

_UPLOAD_WORDS = {
    "required": "Select a file to attach",
    "not_a_file": "Select a file to attach",
    "file_empty": "The selected file is empty: choose the file that holds the document",
    "one_file_only": "Attach one file at a time",
    "body_incomplete": "The file did not arrive whole. Choose it again and attach it",
    "multipart_invalid": "The file did not arrive whole. Choose it again and attach it",
    "multipart_required": "Select a file to attach",
    "archive_refused": "The selected file could not be opened safely as a document. Save "
                       "it again as a PDF and attach that",
    "not_utf8": "The file's name cannot be read. Rename the file and choose it again",
}
_FILENAME_WORDS = "The file's name cannot be used: rename the file (letters, numbers and " \
                  "spaces) and choose it again"


def _words_for_upload(error: DomainError, limit: int) -> FieldError:
    """A refusal of the upload itself, in the words of GOV.UK's file upload pattern."""
    if error.rule == "file_too_large":
        return FieldError("file", error.rule, f"The selected file must be smaller than "
                                              f"{_megabytes(limit)}. Choose a smaller file")
    if getattr(error, "found", None) or error.rule == "type_not_accepted":
        found = str(getattr(error, "found", "") or "a kind of file casework does not keep")
        return FieldError("file", error.rule, f"This file is {found}. Attach "
                                              f"{TYPES_IN_WORDS}")
    if error.field == "filename":
        return FieldError("file", error.rule, _FILENAME_WORDS)
    if error.field in _ANSWERS:  # a text field past the reader's cap
        return _words_for_command(error)
    return FieldError("file", error.rule, _UPLOAD_WORDS.get(
        error.rule, "The file could not be attached. Choose it again and attach it"))


def _megabytes(limit: int) -> str:
    return f"{limit / 1_000_000:g} MB"


_FIELD_WORDS = {
    "kind": "Choose what kind of document it is",
    "confidentiality": "Choose who may see the document",
    "step": "Choose the step of the case the document belongs to",
    "step_ref": "Choose a step this case has now: the one chosen is no longer there",
}


def _words_for_command(error: DomainError) -> FieldError:
    """A refusal of the command, on the field it names (a step's ref is the step's), in
    the form's words; a rule of the case's (a closed case, say) in its page words."""
    field = str(error.field or "")
    on_form = field if field in _ANSWERS else "step" if field == "step_ref" else "file"
    if field == "title":
        said = "Enter a title of 200 characters or fewer" if "at most" in error.message \
            else "Enter a title for the document" if "blank" in error.message else None
    else:
        said = _FIELD_WORDS.get(field) if isinstance(error, InvalidField) else None
    return FieldError(on_form, error.rule, said or refusal(error.rule, error.message,
                                                            field=error.field))


async def attach_page(request: Request, who: Principal, case: dict[str, Any], *,
                      version: int, values: dict[str, Any],
                      errors: list[FieldError] | None = None,
                      changes: list[dict[str, Any]] | None = None,
                      status: int = 200) -> Response:
    errors = errors or []
    return render(request, "attach_document.html", status=status, **page_context(
        request, who, case=case_for(who, case), version=version, values=values,
        steps=await attachable_steps(request, who, case), kinds=KINDS, errors=errors,
        error_ids={e.field: e for e in errors}, changes=changes or [],
        limit=_megabytes(request.app.state.document_size_limit),
        ))


def _answers_read(read: dict[str, str]) -> dict[str, str]:
    """The answers the reader had read when it refused the file (the form sends them
    before the file), so the person chooses only the file again; the form's defaults
    when none were read."""
    answers = {k: read[k] for k in _ANSWERS if k in read}
    return answers or {"step": step_value(DocumentStep.CASE.value, ""),
                       "confidentiality": Confidentiality.NORMAL.value}


@router.get("/case/{case_id}/attach-document")
async def attach_form(request: Request, case_id: UUID, who: Who, step: str = "") -> Response:
    """The form; `step` preselects the step a case page's link was beside."""
    _, case = await case_access(request, who, "attach document")
    return await attach_page(request, who, case, version=case["version"],
                             values={"step": step or step_value(DocumentStep.CASE.value, ""),
                                     "confidentiality": Confidentiality.NORMAL.value})


@router.post("/case/{case_id}/attach-document")
async def attach(request: Request, case_id: UUID, who: Who) -> Response:
    access, case = await case_access(request, who, "attach document")
    limit = request.app.state.document_size_limit
    try:
        upload = await receive_upload(request, case_id, limit=limit,
                                      store=request.app.state.documents, fields=FIELDS)
    except DomainError as refused:
        read = fields_read(refused)
        return await attach_page(request, who, case,
                                 version=_version(read.get("expected_version")) or
                                 case["version"], values=_answers_read(read),
                                 errors=[_words_for_upload(refused, limit)], status=422)
    store, sha256 = request.app.state.documents, upload.stored.sha256
    try:
        try:
            answer = await _record(request, who, case_id, case, upload, access.id,
                                   access.role)
        except BaseException:
            await in_thread(forget_if_unrecorded, store, request.app.state.cases, case_id,
                            sha256)
            raise
        if answer.status_code != 303:  # refused: the kept file goes unless the case names it
            await in_thread(forget_if_unrecorded, store, request.app.state.cases, case_id,
                            sha256)
    finally:
        release(case_id, sha256)
    return answer


async def _record(request: Request, who: Principal, case_id: UUID, case: dict[str, Any],
                  upload: Upload, actor_id: str, actor_role: str) -> Response:
    """The command, once the file is kept: its refusals back on the form, answers kept."""
    form = upload.fields
    session = request.state.web_session
    if not same_token(session.csrf, form.get("csrf_token")):
        raise CsrfRefused
    values = {k: form.get(k, "") for k in _ANSWERS}
    version = _version(form.get("expected_version"))
    step, ref = step_of(values["step"])
    if not may_attach_document_to(who, step, (case.get("deployments") or {}).get(ref)):
        return await _refused(request, who, case, version, values, FieldError(
            "step", "peer_not_deployed", "Choose the visits of your own deployment"))
    try:
        await request.app.state.commands.handle(
            case_id, "attach_document", {
                "title": values["title"], "kind": values["kind"], "step": step,
                "step_ref": ref, "confidentiality": values["confidentiality"],
                "stored": upload.stored.as_fields()}, Actor(actor_id, actor_role),
            expected_version=version or case["version"])
    except StaleVersion as stale:
        changes = await _changes_since(request, who, case_id, version or 0)
        return await attach_page(
            request, who, case, version=stale.current_version, values=values,
            changes=changes, status=409, errors=[FieldError(
                "expected_version", stale.rule,
                f"{_stale_words(changes)}. Choose the file again")])
    except DomainError as refused:
        return await _refused(request, who, case, version, values,
                              _words_for_command(refused))
    return RedirectResponse(f"/case/{case_id}?done=attach_document#documents",
                            status_code=303)


async def _refused(request: Request, who: Principal, case: dict[str, Any],
                   version: int | None, values: dict[str, Any], error: FieldError
                   ) -> Response:
    extra = [] if error.field == "file" else [FieldError(
        "file", "choose_again", "Choose the file again: a file is not kept when the form "
                                "comes back")]
    return await attach_page(request, who, case, version=version or case["version"],
                             values=values, errors=[error, *extra], status=422)


@router.get("/case/{case_id}/documents/{document_id}")
async def download(request: Request, case_id: UUID, document_id: str, who: Who) -> Response:
    """A document this person may have, through the API's own download (the same
    checks and headers): any other (withheld, another visit's for a peer, none) is not
    found, so a guessed address tells nothing; bytes changed at rest are not given."""
    _, known = await case_access(request, who, "read case")
    try:
        return await document_download(request, who, known, case_id, document_id)
    except DocumentTampered:
        return problem_page(request, 409, "This document cannot be downloaded",
                            "The stored file no longer matches the one recorded in the "
                            "case's history, so it is not given out. Tell your casework "
                            "administrator: the file has been changed or damaged since it "
                            "was attached.")
