"""Signing in with a token made by the command line, and signing out."""

import secrets
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from api.deps import principal_for_token
from api.threads import in_thread
from api.throttling import Throttled, checked
from api.web import oidc
from api.web.rendering import render
from api.web.routing import PageRoute, Who, page_context, posted_form, sessions
from api.web.sessions import COOKIE, SIGN_IN_COOKIE, same_token, set_cookie
from services.identity.service import Unauthenticated

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _safe_next(target: Any) -> str:
    """Only a path on this service: never another site (an open redirect)."""
    text = str(target or "")
    return text if text.startswith("/") and not text.startswith("//") else "/my-work"


@router.get("/")
async def home(request: Request) -> Response:
    signed_in = await in_thread(sessions(request).find, request.cookies.get(COOKIE)) is not None
    return RedirectResponse("/my-work" if signed_in else "/sign-in", status_code=303)


def _sign_in_page(request: Request, *, status: int = 200, error: str = "",
                  next_path: str = "/my-work") -> Response:
    csrf = secrets.token_urlsafe(32)
    response = render(request, "sign_in.html", status=status, csrf=csrf, error=error,
                      next_path=next_path, signed_out="signed_out" in request.query_params,
                      single_sign_on=oidc.enabled(request.app.state.settings))
    set_cookie(response, request, SIGN_IN_COOKIE, csrf,
               secure=request.app.state.settings.session_cookie_secure)
    return response


def _throttled_page(request: Request, wait: Throttled, next_path: str) -> Response:
    """429 as a page: too many wrong tokens from here, and how long to wait."""
    response = _sign_in_page(
        request, status=429, next_path=next_path,
        error=f"Too many wrong tokens have been tried from here. Wait {wait.retry_after} "
              "seconds, then paste your token again")
    response.headers["Retry-After"] = str(wait.retry_after)
    return response


@router.get("/sign-in", name="sign_in_form")
async def sign_in_form(request: Request) -> Response:
    return _sign_in_page(request, next_path=_safe_next(request.query_params.get("next")))


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await request.form()
    next_path = _safe_next(form.get("next"))
    if not same_token(request.cookies.get(SIGN_IN_COOKIE), str(form.get("csrf_token", ""))):
        return _sign_in_page(request, status=403, next_path=next_path,
                             error="The sign-in form had expired. Paste your token again.")
    token = str(form.get("token", "")).strip()
    if not token:
        return _sign_in_page(request, status=422, next_path=next_path,
                             error="Enter your token")
    try:
        await checked(request, token, "sign_in_page", principal_for_token)
    except Unauthenticated:
        return _sign_in_page(request, status=401, next_path=next_path,
                             error="That token is not one casework recognises")
    except Throttled as wait:
        return _throttled_page(request, wait, next_path)
    session = await in_thread(sessions(request).start, token)
    response = RedirectResponse(next_path, status_code=303)
    set_cookie(response, request, COOKIE, session.id,
               secure=request.app.state.settings.session_cookie_secure)
    response.delete_cookie(SIGN_IN_COOKIE, path="/")
    return response


@router.post("/sign-out")
async def sign_out(request: Request, who: Who) -> Response:
    await posted_form(request)
    session = request.state.web_session
    await in_thread(sessions(request).end, session.id)
    provider = await oidc.sign_out_url(request, session.token)
    response = RedirectResponse(provider or "/sign-in?signed_out=1", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/account")
async def account(request: Request, who: Who) -> Response:
    return render(request, "account.html", **page_context(request, who))
