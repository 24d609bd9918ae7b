"""Users and their tokens: for admins, and for coordinators their own region's people.

Who manages whom is domain/identity.py's `may_manage`, the rule the people pages
obey too: a coordinator lists, adds and changes only the council liaisons, advisers
and peers of their region (403 for anyone else).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from pydantic import Field

from api import handover
from api.deps import Access, CommandsDep, Forbidden, IdentityDep, authorize
from api.schemas import TokenIssued, UserCreate, UserCreated, UserPublic, UserUpdate
from api.text import Line, RequestBody
from api.threads import in_thread
from domain.identity import Principal, Reach, may_change_themselves, may_hold_keys_for_others
from services.cases.handler import Actor
from services.identity.service import IdentityService

router = APIRouter(prefix="/users", tags=["users"])
Manager = Annotated[Access, Depends(authorize("manage users", on_case=False))]
KeyHolder = Annotated[Access, Depends(authorize("make another person's token", on_case=False))]


def _managed(identity: IdentityService, by: Principal, username: str) -> None:
    """Raises UserNotFound (404) for no such user, Forbidden (403) for one not theirs."""
    if not identity.may_manage(by, username):
        raise Forbidden("manage this user", by.role.value)


@router.get("", response_model=list[UserPublic],
            summary="Every user the caller manages (never their tokens)")
async def list_users(identity: IdentityDep, access: Manager) -> list[dict]:
    return await in_thread(identity.managed_by, access.principal)


@router.post("", response_model=UserCreated, status_code=status.HTTP_201_CREATED,
             summary="Register a user and issue their first token")
async def create_user(body: UserCreate, identity: IdentityDep, access: Manager) -> dict:
    def create() -> dict:
        reach = Reach.of(body.role, body.region, body.authority)
        if not identity.may_give(access.principal, reach):
            raise Forbidden("manage this user", access.principal.role.value)
        user = identity.register_user(username=body.username, name=body.name, role=body.role,
                                      region=body.region, authority=body.authority,
                                      email=body.email, digest=body.digest)
        return {**user, "token": identity.issue_token(body.username, label="first"),
                "tokens": 1}

    return await in_thread(create)


@router.patch("/{username}", response_model=UserPublic,
              summary="Change where a user's notices go, or whether they come as a digest")
async def update_user(username: str, body: UserUpdate, identity: IdentityDep,
                      access: Manager) -> dict:
    def update() -> dict:
        _managed(identity, access.principal, username)
        user = identity.user(username)
        if "email" in body.model_fields_set:
            if not may_hold_keys_for_others(access.principal):
                raise Forbidden("change another person's email address", access.role)
            user = identity.change_email(username, body.email)
        if body.digest is not None:
            user = identity.choose_digest(username, body.digest)
        return user

    return await in_thread(update)


@router.post("/{username}/tokens", response_model=TokenIssued,
             status_code=status.HTTP_201_CREATED, summary="Issue another token for a user")
async def issue_token(username: str, identity: IdentityDep, access: KeyHolder) -> dict:
    def issue() -> str:
        _managed(identity, access.principal, username)
        return identity.issue_token(username)

    return {"token": await in_thread(issue)}


class Deactivation(RequestBody):
    """Who takes the open cases the person owns (needed only when they own some)."""

    model_config = {"extra": "forbid"}
    successor: Line | None = Field(
        None, min_length=1, max_length=200,
        description="The username of an active coordinator of their region, who takes "
                    "all their open cases in one handover.")
    reason: str | None = Field(None, min_length=1, max_length=5000,
                               description="Why the cases are handed on: kept in each case's "
                                           "history.")


@router.post("/{username}/deactivation", status_code=status.HTTP_204_NO_CONTENT,
             summary="Refuse all of a user's tokens, sessions and sign-in links from now on, "
                     "once their open cases have someone to take them")
async def deactivate(request: Request, username: str, identity: IdentityDep,
                     commands: CommandsDep, access: Manager,
                     body: Deactivation | None = None) -> None:
    await in_thread(_managed, identity, access.principal, username)
    if not may_change_themselves(access.principal, username):
        raise Forbidden("deactivate themselves", access.principal.role.value)
    chosen = body or Deactivation()
    await handover.deactivate(request, commands, Actor(access.id, access.role), username,
                              successor=chosen.successor, reason=chosen.reason)
