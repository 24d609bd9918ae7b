"""Users and their tokens, for admins (the command line does the same without HTTP)."""

from typing import Annotated

from fastapi import APIRouter, Depends, status

from api.deps import Access, IdentityDep, authorize
from api.schemas import TokenIssued, UserCreate, UserCreated, UserPublic, UserUpdate
from api.threads import in_thread

router = APIRouter(prefix="/users", tags=["users"])
Admin = Annotated[Access, Depends(authorize("manage users", on_case=False))]


@router.get("", response_model=list[UserPublic], summary="Every user (never their tokens)")
async def list_users(identity: IdentityDep, _: Admin) -> list[dict]:
    return await in_thread(identity.users)


@router.post("", response_model=UserCreated, status_code=status.HTTP_201_CREATED,
             summary="Register a user and issue their first token")
async def create_user(body: UserCreate, identity: IdentityDep, _: Admin) -> dict:
    def create() -> dict:
        user = identity.register_user(username=body.username, name=body.name, role=body.role,
                                      region=body.region, authority=body.authority,
                                      email=body.email, digest=body.digest)
        return {**user, "token": identity.issue_token(body.username, label="first"),
                "tokens": 1}

    return await in_thread(create)


@router.patch("/{username}", response_model=UserPublic,
              summary="Change where a user's notices go, or whether they come as a digest")
async def update_user(username: str, body: UserUpdate, identity: IdentityDep, _: Admin) -> dict:
    def update() -> dict:
        user = identity.user(username)
        if "email" in body.model_fields_set:
            user = identity.change_email(username, body.email)
        if body.digest is not None:
            user = identity.choose_digest(username, body.digest)
        return user

    return await in_thread(update)


@router.post("/{username}/tokens", response_model=TokenIssued,
             status_code=status.HTTP_201_CREATED, summary="Issue another token for a user")
async def issue_token(username: str, identity: IdentityDep, _: Admin) -> dict:
    return {"token": await in_thread(identity.issue_token, username)}


@router.post("/{username}/deactivation", status_code=status.HTTP_204_NO_CONTENT,
             summary="Refuse all of a user's tokens from now on")
async def deactivate(username: str, identity: IdentityDep, _: Admin) -> None:
    await in_thread(identity.deactivate, username)
