"""Plain text at the edge: one check for every text field of every request.

Every request body derives from `RequestBody`, whose validator walks each field
(nested lists and mappings too) and refuses with 422, naming the field and the
rule, what domain/text.py refuses: NUL and the other control characters,
bidirectional overrides and isolates, text made only of invisible characters. A
field that holds a name or an identifier is a `Line`, which refuses tab and line
breaks as well. Query strings and paths get the same check from `PlainQuery`,
and a JSON body naming one key twice is refused by `NoDuplicateKeys` (JSON
parsers silently keep the last, so the writer and casework would disagree on
what was sent). The rule itself lives in domain/text.py, which the case also
applies to every event it records and the CSV import to every cell.
"""

import json
from email.message import Message as MimeHeader
from typing import Annotated, Any
from urllib.parse import parse_qsl

from pydantic import AfterValidator, BaseModel, field_validator
from pydantic_core import PydanticCustomError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem
from domain.text import text_problem, texts_in

DUPLICATE_KEY_RULE = "duplicate_key"


def _single_line(value: str) -> str:
    found = text_problem(value, "the value", multiline=False)
    if found is not None:
        raise PydanticCustomError(*found)
    return value


Line = Annotated[str, AfterValidator(_single_line)]
"""Text on one line: a name, a region, an identifier."""


class RequestBody(BaseModel):
    """The base of every request body: every text in it obeys domain/text.py."""

    @field_validator("*", mode="after")
    @classmethod
    def _plain_text(cls, value: Any, info: Any) -> Any:
        for where, text in texts_in(value, info.field_name):
            found = text_problem(text, where)
            if found is not None:
                raise PydanticCustomError(*found)
        return value


def _refusal(field: str, rule: str, message: str) -> Any:
    return problem(422, "invalid request", message, field=field, rule=rule,
                   errors=[{"field": field, "rule": rule, "message": message}])


class PlainQuery:
    """Refuses a path or query parameter that breaks the text rule (422)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = scope.get("query_string", b"").decode("latin-1")
            for name, value in [("path", scope.get("path", "")),
                                *parse_qsl(query, keep_blank_values=True)]:
                found = (text_problem(name, name, multiline=False)
                         or text_problem(value, name, multiline=False))
                if found is not None:
                    return await _refusal(name, *found)(scope, receive, send)
        await self.app(scope, receive, send)


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as read, before a mapping keeps only the last of two equal keys."""


def duplicate_key(document: Any, path: str = "") -> str | None:
    """Where the first key named twice in one JSON object sits (`a.b[2].c`), or None."""
    if isinstance(document, _Pairs):
        seen: set[str] = set()
        for key, value in document:
            where = f"{path}.{key}" if path else key
            if key in seen:
                return where
            seen.add(key)
            found = duplicate_key(value, where)
            if found is not None:
                return found
    elif isinstance(document, list):
        for index, item in enumerate(document):
            found = duplicate_key(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def _is_json(scope: Scope) -> bool:
    """As FastAPI decides: no content type, application/json or application/*+json."""
    value = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
    if not value:
        return True
    header = MimeHeader()
    header["content-type"] = value
    subtype = header.get_content_subtype()
    return header.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json"))


class NoDuplicateKeys:
    """Refuses (422, rule duplicate_key, naming the key) a JSON body with a key named
    twice in one object. A body that is not JSON at all goes on to the route, which
    refuses it with its line and column."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS") \
                or not _is_json(scope):
            return await self.app(scope, receive, send)
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        where = _duplicate_in(body)
        if where is not None:
            why = f"{where} is given twice; a JSON object names each key once"
            return await _refusal(where, DUPLICATE_KEY_RULE, why)(scope, receive, send)

        async def replayed() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replayed, send)


def _duplicate_in(body: bytes) -> str | None:
    if not body.strip():
        return None
    try:
        return duplicate_key(json.loads(body, object_pairs_hook=_Pairs))
    except (ValueError, RecursionError):  # not JSON: the route says where it goes wrong
        return None
