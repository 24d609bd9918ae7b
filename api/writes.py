"""Safe writes: optimistic concurrency (If-Match) and idempotent retries.

A write names the version it was decided on, so two coordinators acting on the
same stale page never both land; and a client that retries after a lost answer
(with the same Idempotency-Key) gets the first answer back instead of a second
event. The rules are the command handler's (services/cases/handler.py), which the
pages use too; this module reads them off the request and writes the answer.
"""

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from api import errors
from api.deps import Access, PreconditionRequired
from domain.errors import DomainError, InvalidField
from services.cases.handler import Handled, Refusal
from services.cases.idempotency import Keyed, fingerprint

_KEPT_HEADERS = ("etag", "location")


def expected_version(if_match: str | None, body_version: int | None) -> int:
    """The version a write was decided on: If-Match ("3", W/"3") or the body's."""
    if if_match:
        text = if_match.strip().removeprefix("W/").strip('"')
        if not text.isdigit() or int(text) < 1:
            raise InvalidField(f"If-Match must be a case version such as \"3\"; got {if_match!r}",
                               field="If-Match")
        return int(text)
    if body_version is not None:
        return body_version
    raise PreconditionRequired(
        "send If-Match with the case's ETag (or expected_version in the body), "
        "so that a write decided on an old version is refused", field="If-Match")


def case_response(case: dict[str, Any], *, status: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(case, default=_json_value, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).encode()
    response = Response(body, status_code=status, headers=headers,
                        media_type="application/json")
    response.headers["ETag"] = f'"{case["version"]}"'
    return response


def _json_value(value: Any) -> Any:
    """What `jsonable_encoder` makes of the types a case view holds, at a fraction of
    its cost (it walks every value of every field on each answer)."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        return int(value) if isinstance(exponent, int) and exponent >= 0 else float(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return jsonable_encoder(value)


async def keyed(request: Request, access: Access, key: str | None) -> Keyed | None:
    """The request's Idempotency-Key, with what the request asked (its fingerprint), so
    that the key used again for a different request is refused."""
    if key is None:
        return None
    return Keyed(owner=access.id, key=key, request=fingerprint(
        request.method, request.url.path,
        request.headers.get("if-match", "").encode() + b"\n" + await request.body()))


def refusal_for(request: Request) -> Refusal:
    """How a refusal is answered here, kept with the key so a retry is answered alike."""

    async def refusal(error: DomainError) -> tuple[int, dict[str, Any], dict[str, str]]:
        answered = await errors.domain_error(request, error)
        kept = {k: v for k, v in answered.headers.items() if k in _KEPT_HEADERS}
        return answered.status_code, json.loads(bytes(answered.body)), kept

    return refusal


def handled_response(handled: Handled, respond: Callable[[dict[str, Any]], Response]
                     ) -> Response:
    """The case as saved; for a retry, the first request's answer again, marked so."""
    first = handled.first
    if handled.case is None:
        assert first is not None and first.problem is not None
        response: Response = JSONResponse(first.problem, status_code=first.status,
                                          headers=first.headers, media_type=errors.PROBLEM)
    else:
        response = respond(handled.case)
    if first is not None:
        response.headers["Idempotent-Replayed"] = "true"
    return response
