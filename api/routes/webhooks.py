"""Webhooks per patrol unit (admin). See ``api.webhooks`` for signing and retries."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from api.deps import AdminUser, StoreDep
from api.schemas import ErrorPublic, WebhookCreated, WebhookIn, WebhookPublic, WebhooksPublic

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


@router.get("", summary="List webhooks (secrets are not shown)")
async def list_webhooks(user: AdminUser, store: StoreDep) -> WebhooksPublic:
    hooks = await store.list_webhooks()
    return WebhooksPublic(data=[WebhookPublic.from_webhook(h) for h in hooks], count=len(hooks))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register a patrol unit's webhook; the response holds its signing secret, shown this once",
)
async def add_webhook(body: WebhookIn, user: AdminUser, store: StoreDep) -> WebhookCreated:
    secret = secrets.token_hex(32)
    hook = await store.add_webhook(body.unit, str(body.url), secret, body.kinds)
    return WebhookCreated(**WebhookPublic.from_webhook(hook).model_dump(), secret=secret)


@router.delete(
    "/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a webhook",
    responses={404: {"model": ErrorPublic}},
)
async def remove_webhook(
    webhook_id: Annotated[int, Path(ge=1, le=2**62)], user: AdminUser, store: StoreDep
) -> Response:
    await store.remove_webhook(webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
