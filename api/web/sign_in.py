"""Signing in: with a link sent by email (people), with a token (programs), and out.

A sign-in link's GET only shows a "Sign in" button, so that an email scanner that
fetches every link in a message does not use it up; the POST spends it. Every link
that cannot be used gets the same page and status, whatever the reason.
"""

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
from domain.identity import Principal
from services.identity.service import SIGNED_IN_BY_LINK, Unauthenticated, UserNotFound
from services.identity.sign_in_links import LinkRefused

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
                      single_sign_on=oidc.enabled(request.app.state.settings),
                      organisation=request.app.state.settings.oidc_organisation
                      or "your organisation's account")
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


LINK_REFUSED = "This sign-in link cannot be used. Ask for a new one."


def _link_page(request: Request, token: str, *, status: int = 200, error: str = "") -> Response:
    csrf = secrets.token_urlsafe(32)
    response = render(request, "sign_in_link.html", status=status, csrf=csrf, error=error,
                      action=f"/sign-in/link/{token}")
    set_cookie(response, request, SIGN_IN_COOKIE, csrf,
               secure=request.app.state.settings.session_cookie_secure)
    return response


@router.get("/sign-in/link/{token}")
async def sign_in_link(request: Request, token: str) -> Response:
    """Only a button: following the link spends nothing."""
    return _link_page(request, token)


@router.post("/sign-in/link/{token}")
async def use_sign_in_link(request: Request, token: str) -> Response:
    form = await request.form()
    if not same_token(request.cookies.get(SIGN_IN_COOKIE), str(form.get("csrf_token", ""))):
        return _link_page(request, token, status=403,
                          error="The page had expired. Press Sign in again.")
    session_token: list[str] = []

    async def spend(request: Request, token: str) -> Principal:
        try:
            username = await in_thread(request.app.state.sign_in_links.use, token)
            session_token.append(
                await in_thread(request.app.state.identity.signed_in_by_link, username))
        except LinkRefused:
            raise Unauthenticated("the sign-in link cannot be used") from None
        return await principal_for_token(request, session_token[0])

    try:
        await checked(request, token[:200], "sign_in_link", spend)
    except Unauthenticated:
        return _link_page(request, token, status=403, error=LINK_REFUSED)
    except Throttled as wait:
        response = _link_page(request, token, status=429, error=(
            f"Too many sign-in links that cannot be used have been tried from here. Wait "
            f"{wait.retry_after} seconds, then press Sign in again"))
        response.headers["Retry-After"] = str(wait.retry_after)
        return response
    session = await in_thread(sessions(request).start, session_token[0])
    response = RedirectResponse("/my-work", status_code=303)
    set_cookie(response, request, COOKIE, session.id,
               secure=request.app.state.settings.session_cookie_secure)
    response.delete_cookie(SIGN_IN_COOKIE, path="/")
    return response


@router.post("/sign-out")
async def sign_out(request: Request, who: Who) -> Response:
    await posted_form(request)
    session = request.state.web_session
    await in_thread(sessions(request).end, session.id)
    await in_thread(request.app.state.identity.signed_out, who.id, session.token)
    provider = await oidc.sign_out_url(request, session.token)
    response = RedirectResponse(provider or "/sign-in?signed_out=1", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def _tokens(request: Request, who: Principal) -> list[dict[str, str]] | None:
    """The person's tokens for programs (not the ones their page sessions hold); None for
    someone the identity provider signs in, who has no account here to hold tokens."""
    try:
        made = request.app.state.identity.tokens_of(who.id)
    except UserNotFound:
        return None
    return [t for t in made if t["label"] != SIGNED_IN_BY_LINK]


async def _account(request: Request, who: Principal, *, status: int = 200,
                   **shown: Any) -> Response:
    tokens = await in_thread(_tokens, request, who)
    return render(request, "account.html", status=status, **page_context(
        request, who, tokens=tokens, **shown))


@router.get("/account")
async def account(request: Request, who: Who, done: str = "") -> Response:
    return await _account(request, who, revoked=done == "revoked")


@router.post("/account/tokens")
async def create_token(request: Request, who: Who) -> Response:
    """A token for a program, shown once on the page that answers this form."""
    form = await posted_form(request)
    label = str(form.get("label", "")).strip()
    if not label or len(label) > 100:
        return await _account(request, who, status=422, error=(
            "Enter a label for the token" if not label
            else "The label must be 100 characters or fewer"))
    token = await in_thread(request.app.state.identity.issue_token, who.id, label=label)
    response = await _account(request, who, new_token=token, new_label=label)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/account/tokens/{token_id}/revoke")
async def revoke_token(request: Request, token_id: str, who: Who) -> Response:
    await posted_form(request)
    await in_thread(request.app.state.identity.revoke_token, who.id, token_id)
    return RedirectResponse("/account?done=revoked", status_code=303)
