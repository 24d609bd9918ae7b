"""Safe writes: optimistic concurrency (If-Match) and idempotent retries.

A write names the version it was decided on, so two coordinators acting on the
same stale page never both land; and a client that retries after a lost answer
(with the same Idempotency-Key) gets the first answer back instead of a second
event.
"""

from collections.abc import Awaitable, Callable
import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from api.threads import in_thread

from api import errors
from api.deps import Access, Forbidden, PreconditionRequired
from domain.errors import DomainError, InvalidField
from services.idempotency import IdempotencyStore, fingerprint

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
        return int(value) if value.as_tuple().exponent >= 0 else float(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return jsonable_encoder(value)


async def idempotent(request: Request, access: Access, key: str | None,
                     run: Callable[[], Awaitable[JSONResponse]]) -> JSONResponse:
    """Run a POST once per Idempotency-Key; a retry replays the first answer."""
    if key is None:
        return await run()
    store: IdempotencyStore = request.app.state.idempotency
    request_print = fingerprint(request.method, request.url.path, await request.body())
    reservation = await in_thread(
        lambda: store.reserve(owner=access.id, key=key, request=request_print))
    if reservation.replay is not None:
        answer = reservation.replay
        return JSONResponse(answer["body"], status_code=answer["status"],
                            headers={**answer["headers"], "Idempotent-Replayed": "true"},
                            media_type=answer["headers"].get("content-type"))
    record = reservation.record
    try:
        response = await run()
    except DomainError as error:
        response = await errors.domain_error(request, error)
    except Forbidden as error:
        response = await errors.forbidden(request, error)
    except BaseException:
        await in_thread(store.abandon, record)
        raise
    kept = {k: v for k, v in response.headers.items() if k in _KEPT_HEADERS}
    kept["content-type"] = response.media_type or "application/json"
    await in_thread(lambda: store.answer(
        record, status=response.status_code, body=_json_body(response), headers=kept))
    return response


def _json_body(response: JSONResponse) -> Any:
    return json.loads(response.body)
