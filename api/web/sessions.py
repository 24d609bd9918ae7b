"""Signed-in sessions for the pages: a random id in an HttpOnly cookie, the rest on the server.

The session holds the token the person signed in with, so every page asks
api/deps.py who that token belongs to (the same path as a bearer token): a
deactivated user's session stops working at once. Signing out deletes the
session on the server, so an old cookie is worth nothing. Sessions live in the
API process's memory: a restart signs everyone out.
"""

import secrets
import threading
import time
from dataclasses import dataclass, field

from fastapi import Request, Response

COOKIE = "casework_session"
SIGN_IN_COOKIE = "casework_sign_in"  # the CSRF token of the sign-in form (double submit)


@dataclass
class WebSession:
    id: str
    token: str
    csrf: str
    last_seen: float = field(default_factory=time.monotonic)


class SessionStore:
    """Sessions by id, forgotten after `idle_seconds` without a request."""

    def __init__(self, idle_seconds: float) -> None:
        self.idle_seconds = idle_seconds
        self._sessions: dict[str, WebSession] = {}
        self._lock = threading.Lock()

    def start(self, token: str) -> WebSession:
        session = WebSession(secrets.token_urlsafe(32), token, secrets.token_urlsafe(32))
        with self._lock:
            self._sessions[session.id] = session
        return session

    def find(self, session_id: str | None) -> WebSession | None:
        if not session_id:
            return None
        now = time.monotonic()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if now - session.last_seen > self.idle_seconds:
                del self._sessions[session_id]
                return None
            session.last_seen = now
            return session

    def end(self, session_id: str | None) -> None:
        with self._lock:
            self._sessions.pop(session_id or "", None)


def is_secure(request: Request, configured: bool) -> bool:
    """Secure cookies when configured, or when the request itself came over TLS."""
    forwarded = request.headers.get("x-forwarded-proto", "")
    return configured or request.url.scheme == "https" or forwarded == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, *,
               secure: bool, max_age: int | None = None) -> None:
    response.set_cookie(name, value, httponly=True, samesite="lax", path="/",
                        secure=is_secure(request, secure), max_age=max_age)


def same_token(expected: str | None, given: str | None) -> bool:
    return bool(expected and given) and secrets.compare_digest(str(expected), str(given))
