"""Plain text at the edge: one check for every text field of every request.

Every request body derives from `RequestBody`, whose validator walks each field
(nested lists and mappings too) and refuses NUL and the other control
characters with 422, naming the field and the rule. A field that holds a name
or an identifier is a `Line`, which refuses tab and line breaks as well. Query
strings get the same check from `PlainQuery`. The rule itself lives in
domain/text.py, which the case also applies to every event it records.
"""

from typing import Annotated, Any
from urllib.parse import parse_qsl

from pydantic import AfterValidator, BaseModel, field_validator
from pydantic_core import PydanticCustomError
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import problem
from domain.text import RULE, control_character, rule_text, texts_in


def _refused(where: str, char: str, *, multiline: bool) -> PydanticCustomError:
    return PydanticCustomError(RULE, rule_text(where, char, multiline=multiline))


def _single_line(value: str) -> str:
    char = control_character(value, multiline=False)
    if char is not None:
        raise _refused("the value", char, multiline=False)
    return value


Line = Annotated[str, AfterValidator(_single_line)]
"""Text on one line: a name, a region, an identifier."""


class RequestBody(BaseModel):
    """The base of every request body: no field may hold a control character."""

    @field_validator("*", mode="after")
    @classmethod
    def _plain_text(cls, value: Any, info: Any) -> Any:
        for where, text in texts_in(value, info.field_name):
            char = control_character(text)
            if char is not None:
                raise _refused(where, char, multiline=True)
        return value


class PlainQuery:
    """Refuses a path or query parameter that holds a control character (422)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = scope.get("query_string", b"").decode("latin-1")
            for name, value in [("path", scope.get("path", "")),
                                *parse_qsl(query, keep_blank_values=True)]:
                char = control_character(name + value, multiline=False)
                if char is not None:
                    message = rule_text(name, char, multiline=False)
                    response = problem(422, "invalid request", message, field=name, rule=RULE,
                                       errors=[{"field": name, "rule": RULE, "message": message}])
                    return await response(scope, receive, send)
        await self.app(scope, receive, send)
