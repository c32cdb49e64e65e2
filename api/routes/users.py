"""Users and their roles (admin only), and ``GET /users/me`` for anyone with a token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from api.auth import create_user
from api.deps import AdminUser, AnyUser, StoreDep
from api.schemas import NAME_PATTERN, ErrorPublic, UserCreated, UserIn, UserPublic, UsersPublic

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me", summary="Who this token belongs to")
async def me(user: AnyUser) -> UserPublic:
    return UserPublic.from_user(user)


@router.get("", summary="List users (admin)")
async def list_users(user: AdminUser, store: StoreDep) -> UsersPublic:
    users = await store.list_users()
    return UsersPublic(data=[UserPublic.from_user(u) for u in users], count=len(users))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a user (admin); the response holds its token, shown this once",
    responses={409: {"model": ErrorPublic, "description": "name taken"}},
)
async def add_user(body: UserIn, user: AdminUser, store: StoreDep) -> UserCreated:
    new, token = await create_user(store, body.name, body.role)
    return UserCreated(**UserPublic.from_user(new).model_dump(), token=token)


@router.delete(
    "/{name}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a user and revoke its token (admin)",
    responses={404: {"model": ErrorPublic}},
)
async def remove_user(
    name: Annotated[str, Path(pattern=NAME_PATTERN)], user: AdminUser, store: StoreDep
) -> Response:
    await store.remove_user(name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
