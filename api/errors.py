"""Every error as application/problem+json (RFC 9457), naming the field and rule."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from api.deps import Forbidden, PreconditionRequired
from domain.errors import DomainError, InvalidField
from services.cases import CaseNotFound, StaleVersion
from services.idempotency import KeyInUse
from services.identity import Unauthenticated, UserExists
from services.store import NotFound

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, **extra: object) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _status_for(error: DomainError) -> int:
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
    return 409  # a lifecycle rule refused the command in the case's current state


async def domain_error(_: Request, error: DomainError) -> JSONResponse:
    extra: dict[str, object] = {"rule": error.rule, "field": error.field}
    if isinstance(error, StaleVersion):
        extra["current_version"] = error.current_version
    response = problem(_status_for(error), error.rule.replace("_", " "), error.message, **extra)
    if isinstance(error, StaleVersion):
        response.headers["ETag"] = f'"{error.current_version}"'
    if isinstance(error, Unauthenticated):
        response.headers["WWW-Authenticate"] = 'Bearer realm="casework"'
    return response


async def forbidden(_: Request, error: Forbidden) -> JSONResponse:
    return problem(403, "forbidden", str(error), rule="role_may_not", action=error.action)


async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
    errors = [
        {"field": ".".join(str(p) for p in e["loc"][1:]) or e["loc"][0], "rule": e["type"],
         "message": e["msg"]}
        for e in error.errors()
    ]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(422, "invalid request", detail, errors=errors)


async def http_error(_: Request, error: HTTPException) -> JSONResponse:
    response = problem(error.status_code, str(error.detail), str(error.detail))
    response.headers.update(error.headers or {})
    return response


async def unexpected_error(_: Request, error: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=error)
    return problem(500, "internal error", "something went wrong; it has been logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(Forbidden, forbidden)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, unexpected_error)
