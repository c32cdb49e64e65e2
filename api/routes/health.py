"""``GET /health``: the only route that needs no token."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import BusDep, StoreDep
from api.schemas import HealthPublic

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness and the store's latest seq (no token needed)")
async def health(request: Request, store: StoreDep, bus: BusDep) -> HealthPublic:
    return HealthPublic(
        status="ok",
        version=request.app.version,
        last_seq=await store.last_seq(),
        push_clients=bus.subscriber_count,
    )
