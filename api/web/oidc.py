"""Signing in to the pages with the identity provider: authorization code with PKCE.

The provider's endpoints come from its discovery document
(`<issuer>/.well-known/openid-configuration`). The ID token it returns is
checked by the same verifier the API uses for bearer JWTs (signature, issuer,
audience, expiry, and the `casework_role`/`_region`/`_authority` claims), and
its nonce against the one sent; the session then holds that token, so the
person's role is read from the same claims on every page, and the session ends
when the token expires.
"""

import base64
import hashlib
import json
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from api.deps import principal_for_token
from api.threads import in_thread
from api.web.routing import PageRoute, problem_page, sessions
from api.web.sessions import COOKIE, same_token, set_cookie
from services.identity.service import Unauthenticated
from services.platform.settings import Settings

router = APIRouter(route_class=PageRoute, include_in_schema=False)

STATE_COOKIE = "casework_oidc_state"
_PENDING_SECONDS = 600


@dataclass(frozen=True)
class Pending:
    """A sign-in sent to the provider and not yet back.

    It travels in the browser's own HttpOnly cookie rather than in a process's
    memory, so the provider may send the person back to any API replica; the
    PKCE verifier in it is what makes a code intercepted on the way useless.
    """

    state: str
    verifier: str
    nonce: str
    next_path: str
    started: float

    def cookie(self) -> str:
        return base64.urlsafe_b64encode(json.dumps(asdict(self)).encode()).decode()

    @classmethod
    def from_cookie(cls, cookie: str | None, state: str) -> "Pending | None":
        """The sign-in this browser started with this `state`, if still fresh."""
        try:
            pending = cls(**json.loads(base64.urlsafe_b64decode((cookie or "").encode())))
        except (ValueError, TypeError):
            return None
        fresh = 0 <= time.time() - pending.started < _PENDING_SECONDS
        return pending if fresh and same_token(pending.state, state) else None


def enabled(settings: Settings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_jwks_url and settings.oidc_client_id)


def challenge_of(verifier: str) -> str:
    """PKCE S256: the URL-safe base64 of the verifier's SHA-256, without padding."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def _discovery(settings: Settings) -> dict[str, Any]:
    url = settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration"
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.get(url)
        answer.raise_for_status()
        return answer.json()


def _callback_url(request: Request) -> str:
    return str(request.url_for("oidc_callback"))


@router.get("/sign-in/oidc")
async def oidc_start(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if not enabled(settings):
        return problem_page(request, 404, "Page not found", "Single sign-on is not set up.")
    endpoints = await _discovery(settings)
    state, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    nonce = secrets.token_urlsafe(32)
    next_path = str(request.query_params.get("next") or "/my-work")
    next_path = next_path if next_path.startswith("/") and not next_path.startswith("//") \
        else "/my-work"
    pending = Pending(state, verifier, nonce, next_path, time.time())
    query = urlencode({
        "response_type": "code", "client_id": settings.oidc_client_id,
        "redirect_uri": _callback_url(request), "scope": "openid profile",
        "state": state, "nonce": nonce, "code_challenge": challenge_of(verifier),
        "code_challenge_method": "S256"})
    response = RedirectResponse(f"{endpoints['authorization_endpoint']}?{query}",
                                status_code=303)
    set_cookie(response, request, STATE_COOKIE, pending.cookie(),
               secure=settings.session_cookie_secure, max_age=_PENDING_SECONDS)
    return response


async def sign_out_url(request: Request, token: str) -> str | None:
    """Where to send a person signing out whose session came from the provider: its
    end-session endpoint (RP-initiated logout), so the provider's session ends too and
    the next sign-in asks again; None for a local token or a provider without one."""
    settings: Settings = request.app.state.settings
    if not enabled(settings) or token.count(".") != 2:
        return None
    try:
        endpoint = (await _discovery(settings)).get("end_session_endpoint")
    except (httpx.HTTPError, ValueError):
        return None  # the provider is unreachable: casework's own session still ends
    if not endpoint:
        return None
    back = str(request.url_for("sign_in_form")) + "?signed_out=1"
    return f"{endpoint}?" + urlencode({"id_token_hint": token, "client_id":
                                       settings.oidc_client_id,
                                       "post_logout_redirect_uri": back})


@router.get("/sign-in/oidc/callback", name="oidc_callback")
async def oidc_callback(request: Request, code: str = "", state: str = "",
                        error: str = "") -> Response:
    settings: Settings = request.app.state.settings
    if error or not code:
        return problem_page(request, 401, "You are not signed in",
                            f"The identity provider did not sign you in ({error or 'no code'}).")
    pending = Pending.from_cookie(request.cookies.get(STATE_COOKIE), state)
    if pending is None:
        return problem_page(request, 403, "The sign-in has expired",
                            "Start signing in again from the sign-in page.")
    id_token = await _exchange(request, settings, code, pending)
    if id_token is None:
        return problem_page(request, 401, "You are not signed in",
                            "The identity provider refused to complete the sign-in.")
    try:
        await principal_for_token(request, id_token)
    except Unauthenticated as refused:
        return problem_page(request, 401, "You are not signed in", refused.message)
    if jwt.decode(id_token, options={"verify_signature": False}).get("nonce") != pending.nonce:
        return problem_page(request, 401, "You are not signed in",
                            "The identity token was not issued for this sign-in.")
    session = await in_thread(sessions(request).start, id_token)
    response = RedirectResponse(pending.next_path, status_code=303)
    set_cookie(response, request, COOKIE, session.id, secure=settings.session_cookie_secure)
    response.delete_cookie(STATE_COOKIE, path="/")
    return response


async def _exchange(request: Request, settings: Settings, code: str,
                    pending: Pending) -> str | None:
    """The code and the PKCE verifier, sent to the token endpoint for the ID token."""
    endpoints = await _discovery(settings)
    form = {"grant_type": "authorization_code", "code": code,
            "redirect_uri": _callback_url(request), "client_id": settings.oidc_client_id,
            "code_verifier": pending.verifier}
    if settings.oidc_client_secret:
        form["client_secret"] = settings.oidc_client_secret
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.post(endpoints["token_endpoint"], data=form)
    if answer.status_code != 200:
        return None
    token = answer.json().get("id_token")
    return token if isinstance(token, str) else None
