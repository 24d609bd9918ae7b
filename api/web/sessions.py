"""Cookies for the pages' sessions; the sessions themselves are services/identity/web_sessions.py's.

The session holds the token the person signed in with, so every page asks
api/deps.py who that token belongs to (the same path as a bearer token): a
deactivated user's session stops working at once. Signing out deletes the
session on the server, so an old cookie is worth nothing.
"""

import secrets

from fastapi import Request, Response

from services.identity.web_sessions import SessionStore, WebSession

__all__ = ["COOKIE", "SIGN_IN_COOKIE", "SessionStore", "WebSession", "is_secure", "set_cookie",
           "same_token"]

COOKIE = "casework_session"
SIGN_IN_COOKIE = "casework_sign_in"  # the CSRF token of the sign-in form (double submit)


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
