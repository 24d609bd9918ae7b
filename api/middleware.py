"""Request limits, the access log, and the security headers on every answer.

Bodies larger than the limit are refused with 413 before they are read in full.
The access log records who did what (method, path, status, user) and never a
request body, so nothing confidential, such as a Chatham House source, reaches it.
"""

import logging
import re
import secrets
import time
import uuid

from opentelemetry import propagate
from opentelemetry.trace import SpanKind, Tracer
from starlette.responses import HTMLResponse, Response
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem
from api.web.rendering import env
from services.platform import logs, metrics

access_log = logging.getLogger("casework.access")


class BodyLimit:
    """Refuses request bodies over `max_bytes` (declared or streamed) with 413.

    The body is read here, up to the limit, before the application sees any of it:
    a chunked body gives no length up front, and a refusal raised from inside the
    application's own read would reach the client as its generic 400.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _streams_its_upload(scope):
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(scope, receive, send)
        messages: list[Message] = []
        seen = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                return await self._refuse(scope, receive, send)
            if not message.get("more_body", False):
                break

        async def replayed() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replayed, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response: Response = problem(413, "request body too large",
                                     f"the body must be at most {self.max_bytes} bytes",
                                     rule="max_body_size", field="body")
        if _from_a_page(scope):  # a person's form (a file chosen too big): a page in words
            response = HTMLResponse(status_code=413, content=env.get_template(
                "problem.html").render(
                    cspNonce=scope.get("state", {}).get("csp_nonce", ""),
                    title="The file is too large",
                    detail=f"casework takes up to {self.max_bytes // 1_000_000 or 1} MB in one "
                           "form. Go back and choose a smaller file, or split the rows "
                           "into more than one file."))
        await response(scope, receive, send)


_UPLOADS = re.compile(r"^/cases/[^/]+/documents/?$|^/case/[^/]+/attach-document$")
"""Where documents are attached (the API's route and the pages' form): their routes
read the body streaming, through api/uploads.py, under the documents' own size limit
(CASEWORK_DOCUMENT_SIZE_LIMIT)."""


def _streams_its_upload(scope: Scope) -> bool:
    """A document's upload: left to its route, which refuses it past the documents'
    limit as it streams, instead of being held here up to the body limit."""
    return scope["method"] == "POST" and _UPLOADS.match(scope["path"]) is not None


def _from_a_page(scope: Scope) -> bool:
    """A form posted by a browser (the pages' forms), not a program's JSON."""
    headers = dict(scope["headers"])
    kind = headers.get(b"content-type", b"").split(b";")[0].strip()
    return kind in (b"multipart/form-data", b"application/x-www-form-urlencoded") \
        and b"text/html" in headers.get(b"accept", b"")


class AccessLog:
    """One line per request (method, path, route, status, user, time taken) and its metrics.

    Each request gets an id (the caller's X-Request-ID if it is a plain token,
    else a new one), returned in X-Request-ID and carried by every log line the
    request causes, with the case id when the path names a case.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        began, status = time.monotonic(), 500
        rid = _request_id(scope)
        tokens = (logs.request_id.set(rid), logs.case_id.set(_case_in(scope["path"])),
                  logs.actor.set(None))

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            elapsed = time.monotonic() - began
            route = _route_template(scope)
            actor = scope.get("state", {}).get("actor")
            _count(scope["method"], route, status, elapsed)
            access_log.info("%s %s %s", scope["method"], scope["path"], status, extra={
                "method": scope["method"], "path": scope["path"], "route": route,
                "status": status, "duration_ms": round(elapsed * 1000, 1), "actor": actor})
            logs.request_id.reset(tokens[0])
            logs.case_id.reset(tokens[1])
            logs.actor.reset(tokens[2])


_CASE_PATH = re.compile(r"^/cases/([0-9a-fA-F-]{36})(?:/|$)")
_PLAIN_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _request_id(scope: Scope) -> str:
    given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
    return given if _PLAIN_ID.match(given) else uuid.uuid4().hex


def _case_in(path: str) -> str | None:
    found = _CASE_PATH.match(path)
    return found.group(1).lower() if found else None


def _route_template(scope: Scope) -> str:
    """The matched route's template (`/cases/{case_id}`), so label values stay few."""
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


def _count(method: str, route: str, status: int, elapsed: float) -> None:
    metrics.HTTP_REQUESTS.labels(method, route, str(status)).inc()
    metrics.HTTP_LATENCY.labels(method, route).observe(elapsed)
    if method == "POST" and route.startswith("/cases") and 200 <= status < 300:
        metrics.COMMANDS_RECORDED.labels(route).inc()


class TracedRequests:
    """A server span per request, named by route template, parent of what it starts."""

    def __init__(self, app: ASGIApp, tracer: Tracer) -> None:
        self.app = app
        self.tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with self.tracer.start_as_current_span(
                f"{scope['method']} {scope['path']}", kind=SpanKind.SERVER,
                context=propagate.extract(carrier)) as span:
            try:
                await self.app(scope, receive, sending)
            finally:
                route = _route_template(scope)
                span.update_name(f"{scope['method']} {route}")
                span.set_attribute("http.request.method", scope["method"])
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)


class SecurityHeaders:
    """The headers every answer carries, and a CSP nonce for each page.

    Pages get a strict Content-Security-Policy: scripts and styles only from the
    service itself or carrying this request's nonce (`request.state.csp_nonce`,
    which api/web/rendering.py puts on the GOV.UK template's scripts), no framing.
    Other answers get `default-src 'none'`. Everything but the fixed front-end
    assets is `Cache-Control: no-store`: pages, exports and JSON about cases can
    hold confidential sources. HSTS is sent only on answers served over TLS,
    which is uvicorn's scheme (it believes X-Forwarded-Proto only from the
    proxies in FORWARDED_ALLOW_IPS). A 405 lists every method the path allows.
    """

    def __init__(self, app: ASGIApp, hsts_seconds: int = 0, form_targets: str = "") -> None:
        self.app = app
        self.hsts_seconds = hsts_seconds
        self.form_targets = form_targets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        nonce = secrets.token_urlsafe(18)
        scope.setdefault("state", {})["csp_nonce"] = nonce

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._headers(scope, message, nonce)
            await send(message)

        await self.app(scope, receive, sending)

    def _headers(self, scope: Scope, message: Message, nonce: str) -> list[tuple[bytes, bytes]]:
        headers = list(message.get("headers", []))
        names = {name.lower() for name, _ in headers}
        html = any(n.lower() == b"content-type" and v.startswith(b"text/html")
                   for n, v in headers)
        policy = page_policy(nonce, self.form_targets) if html else "default-src 'none'; " \
            "frame-ancestors 'none'"
        headers += [(name, value) for name, value in (
            (b"content-security-policy", policy.encode()), (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"))
            if name not in names]  # (a download sets its own: sandbox)
        if b"cache-control" not in names and not scope["path"].startswith(_FIXED_ASSETS):
            headers.append((b"cache-control", b"no-store"))
        if self.hsts_seconds and scope.get("scheme") == "https":
            headers.append((b"strict-transport-security",
                            f"max-age={self.hsts_seconds}; includeSubDomains".encode()))
        if message["status"] == 405:
            headers = [(n, v) for n, v in headers if n.lower() != b"allow"]
            headers.append((b"allow", ", ".join(allowed_methods(scope)).encode()))
        return headers


_FIXED_ASSETS = ("/assets/", "/vendor/")


def page_policy(nonce: str, form_targets: str = "") -> str:
    """The pages' CSP: nothing inline without this request's nonce, nothing from elsewhere.

    Swagger UI and Redoc (/docs, /redoc) run under it too. It blocks, on purpose, what
    Redoc 3 tries beyond the service: its logo from cdn.redoc.ly, and a `Function`
    probe for a search worker (Redoc then searches without one); docs/security.md."""
    return "; ".join([
        "default-src 'self'", f"script-src 'self' 'nonce-{nonce}'",
        f"style-src 'self' 'nonce-{nonce}'", "img-src 'self' data:", "font-src 'self' data:",
        "connect-src 'self'", "object-src 'none'",
        "base-uri 'none'", f"form-action 'self'{' ' + form_targets if form_targets else ''}",
        "frame-ancestors 'none'"])


def allowed_methods(scope: Scope) -> list[str]:
    """Every method some route of the app answers on this path (Starlette's 405 names
    only the first matching route's), asking each route as the router itself does."""
    routes = [r for r in getattr(scope.get("app"), "routes", []) if not isinstance(r, Mount)]
    return [method for method in _METHODS if any(
        route.matches({**scope, "method": method})[0] is Match.FULL for route in routes)]


_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")
