"""Safe writes: optimistic concurrency (If-Match) and idempotent retries.

A write names the version it was decided on, so two coordinators acting on the
same stale page never both land; and a client that retries after a lost answer
(with the same Idempotency-Key) gets the first answer back instead of a second
event. The key's outcome is saved with the case's events (services/cases/idempotency.py).
"""

import json
from collections.abc import Awaitable, Callable
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
from api.threads import in_thread
from domain.errors import DomainError, InvalidField
from services.cases.idempotency import IdempotencyStore, Keyed, Outcome, fingerprint

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


async def idempotent(request: Request, access: Access, key: str | None,
                     write: Callable[[], dict[str, Any]],
                     answer: Callable[[dict[str, Any]], Awaitable[Response]],
                     *, status: int = 200) -> Response:
    """Run a POST once per Idempotency-Key; a retry gets the first request's outcome.

    `write` runs the case command in a thread and returns the case's view;
    `answer` turns a view into the response (and wakes the case's workflow).
    """
    if key is None:
        return await answer(await in_thread(write))
    store: IdempotencyStore = request.app.state.idempotency
    keyed = Keyed(owner=access.id, key=key, request=fingerprint(
        request.method, request.url.path,
        request.headers.get("if-match", "").encode() + b"\n" + await request.body()))
    try:
        outcome, view = await in_thread(store.run, keyed, status, write)
    except DomainError as error:
        refusal = await errors.domain_error(request, error)
        kept = {k: v for k, v in refusal.headers.items() if k in _KEPT_HEADERS}
        problem = json.loads(bytes(refusal.body))
        outcome = await in_thread(store.refused, keyed, refusal.status_code, problem, kept)
        if outcome.problem == problem:
            return refusal
        view = None
    if view is None:
        return await _replay(request, outcome, answer)
    return await answer(view)


async def _replay(request: Request, outcome: Outcome,
                  answer: Callable[[dict[str, Any]], Awaitable[Response]]) -> Response:
    """The first request's outcome again: its refusal, or the case as that request left it."""
    if outcome.problem is not None:
        response: Response = JSONResponse(outcome.problem, status_code=outcome.status,
                                          headers=outcome.headers,
                                          media_type=errors.PROBLEM)
    else:
        cases = request.app.state.cases
        view = await in_thread(lambda: cases.case_as_of(outcome.case_id, version=outcome.version))
        response = await answer(view)
    response.headers["Idempotent-Replayed"] = "true"
    return response
