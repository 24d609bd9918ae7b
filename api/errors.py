"""Every error as application/problem+json (RFC 9457), naming the field and rule."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from api.deps import Forbidden, PreconditionRequired
from api.throttling import Throttled
from domain.documents import DocumentGone
from domain.errors import DomainError, InvalidField
from services.cases.idempotency import KeyInUse
from services.cases.service import CaseDisposed, CaseNotFound, StaleVersion
from services.documents.content import FileTooLarge, TypeNotAccepted
from services.eventstore.store import HistoryUnreadable, NotFound
from services.identity.service import Unauthenticated, UserExists

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, **extra: object) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _status_for(error: DomainError) -> int:
    if isinstance(error, CaseDisposed):
        return 410
    if isinstance(error, (CaseNotFound, NotFound)):
        return 404
    if isinstance(error, Unauthenticated):
        return 401
    if isinstance(error, PreconditionRequired):
        return 428
    if isinstance(error, KeyInUse):
        return error.status
    if isinstance(error, UserExists):
        return 409
    if isinstance(error, StaleVersion):
        return 409
    if isinstance(error, InvalidField):
        return 422
    if isinstance(error, DocumentGone):
        return 410
    if isinstance(error, FileTooLarge):
        return 413
    if isinstance(error, TypeNotAccepted):
        return 415
    return 409  # a lifecycle rule refused the command in the case's current state


async def domain_error(_: Request, error: DomainError) -> JSONResponse:
    extra: dict[str, object] = {"rule": error.rule, "field": error.field}
    if isinstance(error, StaleVersion):
        extra["current_version"] = error.current_version
    if isinstance(error, HistoryUnreadable):
        extra.update(version=error.version, reason=error.reason)
    if isinstance(error, CaseDisposed):  # what stays of it: GET /disposals/{id} has the rest
        extra.update(reference=error.record.get("reference"),
                     authority=error.record.get("authority"),
                     disposed_at=error.record.get("disposed_at"),
                     retention_rule=error.record.get("rule"))
    document = vars(error).get("document_id")  # a document refused (tampered with)
    if document is not None:
        extra["document_id"] = document
    if isinstance(error, TypeNotAccepted):
        extra["found"] = error.found
    if isinstance(error, DocumentGone):
        extra["redacted"] = error.note
    refused_case = vars(error).get("case_id")  # one case refused a handover of many
    if refused_case is not None:
        extra.update(case_id=str(refused_case), authority=vars(error).get("authority"))
    response = problem(_status_for(error), error.rule.replace("_", " "), error.message, **extra)
    if isinstance(error, StaleVersion):
        response.headers["ETag"] = f'"{error.current_version}"'
    if isinstance(error, Unauthenticated):
        response.headers["WWW-Authenticate"] = 'Bearer realm="casework"'
    return response


async def forbidden(_: Request, error: Forbidden) -> JSONResponse:
    return problem(403, "forbidden", str(error), rule=getattr(error, "rule", "role_may_not"),
                   action=error.action)


async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
    found = error.errors()
    if found and found[0]["type"] == "json_invalid":
        return _not_json(found[0], error.body)
    errors = [
        {"field": ".".join(str(p) for p in e["loc"][1:]) or e["loc"][0], "rule": e["type"],
         "message": e["msg"]}
        for e in found
    ]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(422, "invalid request", detail, errors=errors)


def _not_json(error: Any, body: Any) -> JSONResponse:
    """Malformed JSON, with where it went wrong (line and column, as editors count them)."""
    position = error["loc"][-1] if isinstance(error["loc"][-1], int) else 0
    text = body if isinstance(body, str) else ""
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    reason = (error.get("ctx") or {}).get("error", "not valid JSON")
    message = f"the body must be JSON: {reason} at line {line}, column {column}"
    return problem(422, "invalid request", message, field="body", rule="json_invalid",
                   line=line, column=column, errors=[
                       {"field": "body", "rule": "json_invalid", "message": message,
                        "line": line, "column": column}])


def _not_utf8(error: UnicodeDecodeError) -> JSONResponse:
    message = f"the body must be UTF-8 text: byte {error.start} is not ({error.reason})"
    return problem(422, "invalid request", message, field="body", rule="body_not_utf8",
                   position=error.start)


async def http_error(_: Request, error: HTTPException) -> JSONResponse:
    if isinstance(error.__cause__, UnicodeDecodeError):
        return _not_utf8(error.__cause__)
    response = problem(error.status_code, str(error.detail), str(error.detail))
    response.headers.update(error.headers or {})
    return response


async def too_many(_: Request, error: Throttled) -> JSONResponse:
    """429 with Retry-After: too many failed credentials from this address or account."""
    response = problem(429, "too many failed sign-ins", str(error),
                       rule="too_many_failed_sign_ins", field="Authorization",
                       retry_after=error.retry_after)
    response.headers["Retry-After"] = str(error.retry_after)
    return response


async def unexpected_error(_: Request, error: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=error)
    return problem(500, "internal error", "something went wrong; it has been logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(Forbidden, forbidden)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Throttled, too_many)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, unexpected_error)
