"""The people pages: who may sign in, added, changed and sent sign-in links in the pages.

An administrator sees and manages everyone; a coordinator their own region's council
liaisons, advisers and peers (domain/identity.py `may_manage`, the same rule the users
API obeys). People are added by name and email; their username is made from the name,
never typed. Deactivating is its own page (`/people/{username}/deactivate`), which
asks who takes a coordinator's open cases.
"""

import re
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from api.deps import Forbidden
from api.threads import in_thread
from api.web import people as directory_of
from api.web.messages import refusal
from api.web.people import ROLE_WORDS, role_words
from api.web.rendering import render
from api.web.routing import PageRoute, Who, page_context, posted_form
from api.web.words import when
from domain.errors import DomainError
from domain.identity import (
    MANAGED_BY_COORDINATORS,
    Principal,
    Reach,
    Role,
    may_change_themselves,
)
from domain.registers import Region
from services.eventstore.store import NotFound
from services.identity.service import IdentityService, UserNotFound

router = APIRouter(route_class=PageRoute, include_in_schema=False)

DONE = {"added": "The person is added. Send them a sign-in link so they can sign in.",
        "changed": "Their role and reach are changed.",
        "sent": "A sign-in link is on its way to them by email. It works once, for a day."}


def _identity(request: Request) -> IdentityService:
    return request.app.state.identity


def reach_words(person: dict[str, Any]) -> str:
    """Where a person's role reaches, in words: "North West region", a council's name."""
    role = person["role"]
    if role == Role.AUTHORITY_LIAISON.value:
        return str(person.get("authority") or "")
    if person.get("region"):
        return f"{person['region']} region"
    return {Role.INSPECTOR.value: "Every case, to read",
            Role.ADMIN.value: "People and policy",
            Role.GOVERNMENT_OFFICE.value: "Cases shared with them"}.get(
        role, "The cases they are given")


def _shown(person: dict[str, Any]) -> dict[str, Any]:
    """A person as the pages show them; the role starts with a capital, as a value in a
    table or summary list does ("Council liaison")."""
    said = role_words(person["role"])
    return {**person, "shown": person["name"] or person["username"],
            "role_words": said[:1].upper() + said[1:], "reach": reach_words(person),
            "status": "Active" if person["active"] else "Deactivated",
            "last": when(person["last_signed_in"]) if person.get("last_signed_in")
            else "Not known"}


def _roles(who: Principal) -> dict[str, str]:
    """The roles this person may give, in words."""
    allowed = Role if who.role is Role.ADMIN else MANAGED_BY_COORDINATORS
    return {r.value: ROLE_WORDS[r.value] for r in Role if r in allowed}


def _councils(request: Request, who: Principal) -> list[str]:
    region = None if who.role is Role.ADMIN else who.region
    return sorted(a["name"] for a in request.app.state.registers.list_authorities(region))


async def _person(request: Request, who: Principal, username: str) -> dict[str, Any]:
    """The person, if this one may manage them; else not found (or not allowed)."""
    identity = _identity(request)
    try:
        if not await in_thread(identity.may_manage, who, username):
            raise Forbidden("manage this person", who.role.value)
        return _shown(await in_thread(identity.user, username))
    except UserNotFound:
        raise NotFound("no such person") from None


def _not_themselves(who: Principal, username: str) -> None:
    if not may_change_themselves(who, username):
        raise Forbidden("change their own role", who.role.value)


def _manager(who: Principal) -> None:
    if who.role not in (Role.ADMIN, Role.COORDINATOR):
        raise Forbidden("manage users", who.role.value)


@router.get("/people")
async def people(request: Request, who: Who, done: str = "") -> Response:
    _manager(who)
    listed = await in_thread(_identity(request).managed_by, who)
    return render(request, "people.html", **page_context(
        request, who, people=[_shown(p) for p in listed], done=DONE.get(done, "")))


@router.get("/people/add")
async def add_form(request: Request, who: Who) -> Response:
    _manager(who)
    return await _form(request, who, values={})


@router.post("/people/add")
async def add(request: Request, who: Who) -> Response:
    _manager(who)
    form = await posted_form(request)
    identity = _identity(request)
    errors, reach = _read(form, who, identity, adding=True)
    if errors or reach is None:
        return await _form(request, who, values=form, errors=errors)
    username = await in_thread(_username_for, identity, str(form["name"]))
    try:
        await in_thread(lambda: identity.register_user(
            username=username, name=str(form["name"]).strip(), role=reach.role.value,
            region=reach.region, authority=reach.authority, email=str(form["email"])))
    except DomainError as refused:
        return await _form(request, who, values=form,
                           errors={refused.field or "name": _said(refused)})
    directory_of.forget(request)
    return RedirectResponse(f"/people/{username}?done=added", status_code=303)


@router.get("/people/{username}")
async def person(request: Request, username: str, who: Who, done: str = "") -> Response:
    _manager(who)
    shown = await _person(request, who, username)
    return render(request, "person.html", **page_context(
        request, who, person=shown, done=DONE.get(done, "")))


@router.get("/people/{username}/change")
async def change_form(request: Request, username: str, who: Who) -> Response:
    _manager(who)
    _not_themselves(who, username)
    shown = await _person(request, who, username)
    return await _form(request, who, values=shown, person=shown)


@router.post("/people/{username}/change")
async def change(request: Request, username: str, who: Who) -> Response:
    _manager(who)
    _not_themselves(who, username)
    shown = await _person(request, who, username)
    form = await posted_form(request)
    identity = _identity(request)
    errors, reach = _read(form, who, identity, adding=False)
    if errors or reach is None:
        return await _form(request, who, values=form, errors=errors, person=shown)
    try:
        await in_thread(lambda: identity.change_reach(
            username, role=reach.role.value, region=reach.region, authority=reach.authority))
    except DomainError as refused:
        return await _form(request, who, values=form, person=shown,
                           errors={refused.field or "role": _said(refused)})
    directory_of.forget(request)
    return RedirectResponse(f"/people/{username}?done=changed", status_code=303)


@router.post("/people/{username}/sign-in-link")
async def send_link(request: Request, username: str, who: Who) -> Response:
    _manager(who)
    await _person(request, who, username)
    await posted_form(request)
    base = str(request.base_url)
    try:
        sent = await in_thread(lambda: request.app.state.sign_in_mail.send(
            username, sent_by=who, base_url=base))
    except DomainError as refused:  # no email to send it by, or it could not be sent
        return render(request, "person.html", status=409, **page_context(
            request, who, person=await _person(request, who, username),
            error=refusal(refused.rule, refused.message)))
    if sent.handed:  # shown once, on this answer only: never in an address or a log
        return render(request, "person.html", **page_context(
            request, who, person=await _person(request, who, username),
            handed=sent.handed, why_handed=sent.why_handed))
    return RedirectResponse(f"/people/{username}?done=sent", status_code=303)


def _said(refused: DomainError) -> str:
    text = refused.message
    return text[:1].upper() + text[1:]


def _read(form: dict[str, Any], who: Principal, identity: IdentityService, *,
          adding: bool) -> tuple[dict[str, str], Reach | None]:
    """The form's role and reach (and, when adding, name and email), or what is wrong."""
    errors: dict[str, str] = {}
    if adding and not str(form.get("name", "")).strip():
        errors["name"] = "Enter the person's name"
    email = str(form.get("email", "")).strip()
    if adding and (not email or "@" not in email.strip("@") or " " in email):
        errors["email"] = "Enter an email address, like name@council.gov.uk"
    role = str(form.get("role", ""))
    if role not in _roles(who):
        errors["role"] = "Choose a role"
        return errors, None
    region = str(form.get("region") or "") or None
    if who.role is Role.COORDINATOR and role != Role.AUTHORITY_LIAISON.value:
        region = who.region
    authority = str(form.get("authority") or "") or None
    if role == Role.AUTHORITY_LIAISON.value:
        region = None
        if not authority:
            errors["authority"] = "Choose the person's council"
    else:
        authority = None
    if role == Role.COORDINATOR.value and not region:
        errors["region"] = "Choose the coordinator's region"
    if errors:
        return errors, None
    try:
        reach = Reach.of(role, region, authority)
    except DomainError as refused:
        return {refused.field or "role": _said(refused)}, None
    if not identity.may_give(who, reach):
        return {"authority" if authority else "role":
                "Choose a council in your region" if authority
                else "You may not give this role"}, None
    return errors, reach


def _username_for(identity: IdentityService, name: str) -> str:
    """A username made from the name (lena.liaison, then lena.liaison-2): never typed."""
    base = ".".join(re.findall(r"[a-z0-9]+", name.casefold()))[:40] or "person"
    taken = {u["username"] for u in identity.users()} | {"add"}  # /people/add is the form
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


async def _form(request: Request, who: Principal, *, values: dict[str, Any],
                errors: dict[str, str] | None = None,
                person: dict[str, Any] | None = None) -> Response:
    councils = await in_thread(_councils, request, who)
    return render(request, "person_form.html", status=422 if errors else 200, **page_context(
        request, who, values=values, errors=errors or {}, person=person,
        roles=_roles(who), councils=councils,
        regions=[r.value for r in Region] if who.role is Role.ADMIN else []))
