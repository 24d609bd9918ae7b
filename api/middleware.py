"""Request limits and the access log.

Bodies larger than the limit are refused with 413 before they are read in full.
The access log records who did what (method, path, status, user) and never a
request body, so nothing confidential, such as a Chatham House source, reaches it.
"""

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem

access_log = logging.getLogger("casework.access")


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Refuses request bodies over `max_bytes` (declared or streamed) with 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(scope, receive, send)
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(413, "request body too large",
                           f"the body must be at most {self.max_bytes} bytes",
                           rule="max_body_size", field="body")
        await response(scope, receive, send)


class AccessLog:
    """One line per request: method, path, status, user and time taken."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        began, status = time.monotonic(), 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            actor = scope.get("state", {}).get("actor", "-")
            access_log.info("%s %s %s user=%s %.0fms", scope["method"], scope["path"], status,
                            actor, (time.monotonic() - began) * 1000)
