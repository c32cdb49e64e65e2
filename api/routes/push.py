"""Live push: WebSocket ``/ws/alerts`` and Server-Sent Events ``/alerts/stream``.

Both send ``PushMessage`` JSON: first ``{"type": "hello", "seq": cursor}``, then
``{"type": "alert", "seq": n, "change": ..., "alert": {...}}`` for each live alert change, and
``{"type": "heartbeat", "seq": cursor}`` after ``heartbeat_s`` of silence. Reconnect with
``?after=<last seq you processed>`` (SSE: the browser's automatic ``Last-Event-ID`` works too)
to receive every alert changed meanwhile, in seq order, once, before live messages resume.

WebSocket close codes: 4401 no/unknown token, 4403 role not allowed, 4429 rate-limited,
4400 bad ``after``, 4408 the client stopped reading for ``push_send_timeout_s``, 1012 the
service is stopping (reconnect with ``?after=SEQ``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse

from api.alerts import AlertService
from api.auth import check_role
from api.deps import ALERT_READ_ROLES, AlertServiceDep, LiveAlertReader, authenticate, websocket_token
from api.errors import ApiError, AuthError, ForbiddenError, RateLimited
from api.schemas import ErrorPublic, PushMessage

logger = logging.getLogger(__name__)

router = APIRouter(tags=["push"])


def _parse_after(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"after must be a non-negative integer seq, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"after must be a non-negative integer seq, got {raw!r}")
    return value


def _ws_close_code(exc: ApiError) -> int:
    if isinstance(exc, RateLimited):
        return 4429
    if isinstance(exc, AuthError):
        return 4401
    if isinstance(exc, ForbiddenError):
        return 4403
    return 4500


@router.websocket("/ws/alerts")
async def ws_alerts(ws: WebSocket, service: AlertServiceDep) -> None:
    """Authenticated WebSocket feed of live alerts (see the module docstring)."""
    await ws.accept()
    try:
        user = await authenticate(ws, websocket_token(ws))
        check_role(user, ALERT_READ_ROLES)
    except ApiError as exc:
        await ws.close(code=_ws_close_code(exc), reason=str(exc)[:120])
        return
    try:
        after = _parse_after(ws.query_params.get("after"))
    except ValueError as exc:
        await ws.close(code=4400, reason=str(exc)[:120])
        return
    opts = ws.app.state.options
    metrics = ws.app.state.metrics
    feed = service.feed(after, queue_size=opts.push_queue_size, heartbeat_s=opts.heartbeat_s)
    metrics.push_clients.labels("websocket").inc()

    async def pump() -> None:
        async for _, _, text in feed:
            try:
                async with asyncio.timeout(opts.push_send_timeout_s):
                    await ws.send_text(text)
            except TimeoutError:
                metrics.push_dropped.labels("websocket").inc()
                logger.warning("WebSocket client %s stopped reading; closing", user.name)
                with contextlib.suppress(Exception):
                    await ws.close(code=4408, reason="not reading; reconnect with ?after=SEQ")
                return
        with contextlib.suppress(Exception):  # the feed ended: the service is stopping
            await ws.close(code=1012, reason="service stopping; reconnect with ?after=SEQ")

    async def drain() -> None:
        while True:
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                return

    tasks = [asyncio.create_task(pump()), asyncio.create_task(drain())]
    try:
        _, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for t in tasks:
            err = t.exception() if t.done() and not t.cancelled() else None
            if err is not None and not isinstance(err, (WebSocketDisconnect, RuntimeError, OSError)):
                logger.error("push to %s failed: %r", user.name, err)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await feed.aclose()
        metrics.push_clients.labels("websocket").dec()


@router.get(
    "/alerts/stream",
    summary="Server-Sent Events feed of live alerts",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": PushMessage.model_json_schema()}},
            "description": "events `hello`, `alert`, `heartbeat`; each `data:` is a PushMessage and each `id:` its seq",
        },
        422: {"model": ErrorPublic},
    },
)
async def alerts_stream(
    request: Request,
    user: LiveAlertReader,
    service: AlertServiceDep,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="resume after this seq")] = None,
    last_event_id: Annotated[
        str | None,
        Header(alias="Last-Event-ID", max_length=32, description="sent by EventSource on reconnect"),
    ] = None,
) -> StreamingResponse:
    if after is None and last_event_id:
        try:
            after = _parse_after(last_event_id.strip())
        except ValueError as exc:
            from fastapi import HTTPException

            raise HTTPException(422, f"Last-Event-ID: {exc}") from None
    opts = request.app.state.options
    metrics = request.app.state.metrics
    return StreamingResponse(
        _sse(service, after, opts.push_queue_size, opts.heartbeat_s, metrics),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )


async def _sse(
    service: AlertService, after: int | None, queue_size: int, heartbeat_s: float, metrics: object
) -> AsyncIterator[str]:
    feed = service.feed(after, queue_size=queue_size, heartbeat_s=heartbeat_s)
    metrics.push_clients.labels("sse").inc()  # type: ignore[attr-defined]
    try:
        yield "retry: 2000\n\n"
        async for seq, kind, text in feed:
            yield f"id: {seq}\nevent: {kind}\ndata: {text}\n\n"
    finally:
        await feed.aclose()
        metrics.push_clients.labels("sse").dec()  # type: ignore[attr-defined]
