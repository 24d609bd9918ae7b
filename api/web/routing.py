"""What every page shares: the signed-in person, CSRF checks, and errors as pages.

A page resolves the person through api/deps.py (`principal_for_token`, with the
token their session holds) and asks `check_access` for each action, so the pages
and the API apply the same role rules from domain/identity.py.
"""

from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from api.deps import Forbidden, principal_for_token
from api.threads import in_thread
from api.web import inbox
from api.web.forms import multi_dict
from api.web.rendering import render
from api.web.sessions import COOKIE, SessionStore, WebSession, same_token
from domain.errors import DomainError
from domain.identity import Principal, may
from domain.policy_access import POLICY_PERMISSIONS
from domain.register_access import may_use_registers
from services.cases.service import CaseDisposed, CaseNotFound
from services.eventstore.store import NotFound
from services.identity.service import Unauthenticated


class SignInNeeded(Exception):
    """No session, or its token no longer names an active person."""


class CsrfRefused(Exception):
    """A form posted without this session's CSRF token."""


class PageRoute(APIRoute):
    """A route whose refusals are pages: sign in, not found (404), not allowed (403)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInNeeded:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/sign-in?next={quote(target)}", status_code=303)
            except CaseDisposed as gone:
                return problem_page(request, 410, "This case has been disposed of",
                                    disposed_in_words(gone.record))
            except (CaseNotFound, NotFound):
                return problem_page(request, 404, "Page not found",
                                    "There is no such page, or it is not one you may see.")
            except Forbidden as error:
                return problem_page(request, 403, "You cannot do that",
                                    f"Your role does not allow this: {error}.")
            except CsrfRefused:
                return problem_page(request, 403, "The form has expired",
                                    "Go back, reload the page and try again.")
            except DomainError as error:
                return problem_page(request, 409, "That could not be done", error.message)

        return page


def disposed_in_words(record: dict[str, Any]) -> str:
    """What a page says of a disposed case: whose, when, under which rule."""
    named = record.get("authority") or "This case"
    reference = f" ({record['reference']})" if record.get("reference") else ""
    return (f"The case of {named}{reference} was disposed of on {record.get('disposed_on')} "
            f"under the retention schedule: {record.get('rule')}. Nothing of it can be "
            "shown any more; its disposal record is kept.")


def problem_page(request: Request, status: int, title: str, detail: str) -> Response:
    return render(request, "problem.html", status=status, title=title, detail=detail,
                  who=getattr(request.state, "web_principal", None),
                  session=getattr(request.state, "web_session", None))


def sessions(request: Request) -> SessionStore:
    return request.app.state.web_sessions


async def signed_in(request: Request) -> Principal:
    store = sessions(request)
    session = await in_thread(store.find, request.cookies.get(COOKIE))
    if session is None:
        raise SignInNeeded
    try:
        principal = await principal_for_token(request, session.token)
    except Unauthenticated:
        await in_thread(store.end, session.id)
        raise SignInNeeded from None
    request.state.web_session = session
    request.state.web_principal = principal
    if request.method == "GET":  # a page: its header counts what needs the person
        request.state.inbox_count = await inbox.count_for(request, principal)
    return principal


Who = Annotated[Principal, Depends(signed_in)]


async def posted_form(request: Request) -> dict[str, Any]:
    """The submitted form, after checking it carries this session's CSRF token."""
    form = await request.form()
    session: WebSession | None = getattr(request.state, "web_session", None)
    if session is None or not same_token(session.csrf, str(form.get("csrf_token", ""))):
        raise CsrfRefused
    return multi_dict(list(form.multi_items()))


def navigation(who: Principal) -> list[dict[str, str]]:
    """The service navigation: only the places this person's role may go."""
    items = []
    if may(who, "list cases"):
        items.append({"href": "/my-work", "text": "My work"})
    if inbox.has_notifications(who):
        items.append({"href": "/notifications", "text": "Notifications"})
    if may(who, "read regional picture"):
        items.append({"href": "/regional-picture", "text": "Regional picture"})
    if may(who, "read national picture"):
        items.append({"href": "/national-picture", "text": "National picture"})
    if may_use_registers(who, "read registers"):
        items.append({"href": "/registers/authorities", "text": "Registers"})
    if who.role in POLICY_PERMISSIONS["set region policy"]:
        items.append({"href": "/region-policy", "text": "Region policy"})
    if may(who, "manage users"):
        items.append({"href": "/people", "text": "People"})
    if may(who, "read disposal records") or may(who, "find records naming a person"):
        items.append({"href": "/records", "text": "Records"})
    return items


def page_context(request: Request, who: Principal, **context: Any) -> dict[str, Any]:
    session: WebSession = request.state.web_session
    return {"who": who, "csrf": session.csrf, "session": session,
            "navigation": navigation(who), "path": request.url.path,
            "inbox_count": getattr(request.state, "inbox_count", None),
            "may_search": may(who, "list cases"), **context}
