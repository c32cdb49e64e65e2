"""The FastAPI application factory.

``create_app(settings, *, store=None, bus=None, options=None)`` builds the app; its lifespan
opens the store (``SqliteStore`` on ``settings.db_path`` unless one is given), starts the
escalation loop, the webhook dispatcher and (when ``settings.cot_url`` is set) the CoT sender.

Collaborators on ``app.state`` (reach them through ``api.deps``):
``settings``, ``store``, ``bus``, ``alerts`` (``AlertService``), ``metrics``, ``authenticator``,
``webhooks``, ``options``, ``loop``, ``body_limits`` (path prefix -> max request bytes; add larger limits
for upload routes, e.g. ``app.state.body_limits["/replays"] = ...``), ``demo_tokens``.

To add a resource: write ``api/routes/<name>.py`` with an ``APIRouter`` (give it a ``lifespan=``
if it needs start/stop work; FastAPI merges it) and add it to ``_include_routers`` below.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.alerts import AlertService, Notifier
from api.auth import Authenticator, FailedAuthLimiter, create_user
from api.bus import Bus, InProcessBus
from api.dismissals import Dismissals
from api.domain import Role
from api.errors import ApiError, AuthError, NotFoundError, RateLimited
from api.metrics import Metrics
from api.settings import Settings
from api.store import SqliteStore, Store
from api.webhooks import WebhookDispatcher
from shorewatch.types import TypeValidationError

logger = logging.getLogger(__name__)

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ServiceOptions:
    """Tuning knobs of the service (defaults suit production; tests shorten the delays)."""

    max_body_bytes: int = 2 * MB
    auth_max_failures: int = 20
    auth_window_s: float = 60.0
    heartbeat_s: float = 15.0
    push_queue_size: int = 256
    push_send_timeout_s: float = 30.0
    webhook_max_attempts: int = 5
    webhook_backoff_s: float = 1.0
    webhook_timeout_s: float = 5.0
    webhook_update_interval_s: float = 10.0
    escalation_interval_s: float | None = None  # default: escalate_after_s / 10, within [0.05, 5] s
    retention_interval_s: float = 3600.0  # how often old snapshots are purged (and once at start-up)
    sqlite_synchronous: str = "FULL"
    extra_notifiers: tuple[Notifier, ...] = field(default=())


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    bus: Bus | None = None,
    options: ServiceOptions | None = None,
) -> FastAPI:
    opts = options or ServiceOptions()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_store = store is None
        if store is None:
            settings.ensure_state_dir()
            the_store: Store = SqliteStore(settings.db_path, synchronous=opts.sqlite_synchronous)
        else:
            the_store = store
        the_bus = bus if bus is not None else InProcessBus()
        metrics: Metrics = app.state.metrics
        webhooks = WebhookDispatcher(
            the_store,
            metrics,
            max_attempts=opts.webhook_max_attempts,
            backoff_s=opts.webhook_backoff_s,
            timeout_s=opts.webhook_timeout_s,
            update_interval_s=opts.webhook_update_interval_s,
        )
        notifiers: list[Notifier] = [webhooks, *opts.extra_notifiers]
        cot = None
        if settings.cot_url:
            from api.cot import CotSender

            cot = CotSender(settings.cot_url, metrics)
            notifiers.append(cot)
        service = AlertService(
            the_store,
            the_bus,
            escalate_after_s=settings.escalate_after_s,
            metrics=metrics,
            notifiers=notifiers,
            dismissals=Dismissals(settings.dismissal_config()),
        )
        app.state.store = the_store
        app.state.bus = the_bus
        app.state.loop = asyncio.get_running_loop()
        app.state.alerts = service
        app.state.webhooks = webhooks
        app.state.authenticator = Authenticator(
            the_store, FailedAuthLimiter(opts.auth_max_failures, opts.auth_window_s)
        )
        if settings.demo_tokens:
            app.state.demo_tokens = await _demo_users(the_store)
        await webhooks.start()
        if cot is not None:
            await cot.start()
        escalation = asyncio.get_running_loop().create_task(
            service.run_escalation(opts.escalation_interval_s)
        )
        retention = (
            asyncio.get_running_loop().create_task(
                service.run_retention(settings.snapshot_retention_days * 86_400, opts.retention_interval_s)
            )
            if settings.snapshot_retention_days > 0
            else None
        )
        logger.info("alert service ready (store %s)", type(the_store).__name__)
        try:
            yield
        finally:
            for task in (escalation, retention):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            if cot is not None:
                await cot.stop()
            await webhooks.stop()
            await the_bus.close()
            if own_store:
                await the_store.close()

    app = FastAPI(
        title="shorewatch",
        version=_version(),
        summary="Drone shoreline surveillance: alerts for patrol units",
        description=(
            "Every route but `/health` needs a bearer token (`Authorization: Bearer <token>`, or "
            "`?token=` for browsers and EventSource). Create one with `shorewatch users add NAME --role ROLE`. "
            "Live push: WebSocket `/ws/alerts` and Server-Sent Events `/alerts/stream`; both accept "
            "`?after=SEQ` to resume (see the PushMessage schema)."
        ),
        lifespan=lifespan,
        docs_url=None,  # served by _mount_docs without a CDN
        redoc_url=None,
        responses={
            401: {"description": "missing or unknown token"},
            413: {"description": "request body too large"},
            429: {"description": "too many failed authentication attempts"},
        },
    )
    app.state.settings = settings
    app.state.options = opts
    app.state.metrics = Metrics()
    app.state.demo_tokens = {}
    app.state.body_limits = {}
    _install_error_handlers(app)
    app.add_middleware(BodySizeLimit, default_max_bytes=opts.max_body_bytes)  # type: ignore[arg-type]
    _include_routers(app)
    _mount_docs(app)
    return app


def _mount_docs(app: FastAPI) -> None:
    """Swagger UI at /docs from the ``swagger-ui-bundle`` package: works offline."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles

    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:  # docs are a convenience; the API works without them
        logger.warning("swagger-ui-bundle is not installed: no /docs (the schema is at /openapi.json)")
        return
    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="shorewatch API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )


def request_shutdown(app: FastAPI) -> None:
    """End every push stream (WebSocket and SSE) now, so that a stopping server need not wait
    for its graceful-shutdown timeout. Safe to call from any thread or a signal handler; call it
    when the server is told to exit (``shorewatch serve`` does)."""
    loop: asyncio.AbstractEventLoop | None = getattr(app.state, "loop", None)
    bus: Bus | None = getattr(app.state, "bus", None)
    if loop is None or bus is None or loop.is_closed():
        return

    def close() -> None:
        loop.create_task(bus.close())

    loop.call_soon_threadsafe(close)


def _include_routers(app: FastAPI) -> None:
    from api.routes import alerts, false_alarms, health, metrics, push, reports, users, webhooks

    # push first: /alerts/stream must win over /alerts/{alert_id}
    app.include_router(health.router)
    app.include_router(push.router)
    app.include_router(alerts.router)
    app.include_router(false_alarms.router)
    app.include_router(reports.router)
    app.include_router(users.router)
    app.include_router(webhooks.router)
    app.include_router(metrics.router)
    from api.routes import dashboard, missions, replays  # issue 8: dashboard, missions, replays

    app.include_router(dashboard.router)
    app.include_router(missions.router)
    app.include_router(replays.router)
    from api.routes import streams  # issue 9: camera streams (after missions: it reads their telemetry)

    app.include_router(streams.router)
    from api.routes import audit, coverage, tide  # coverage (fed by the live streams), journal check, tide

    app.include_router(coverage.router)
    app.include_router(audit.router)
    app.include_router(tide.router)
    dashboard.mount_static(app)


async def _demo_users(store: Store) -> dict[str, str]:
    """One ``demo-<role>`` user per role with a fresh token (old demo users are replaced)."""
    tokens = {}
    for role in Role:
        name = f"demo-{role.value}"
        with contextlib.suppress(NotFoundError):
            await store.remove_user(name)
        _, tokens[role.value] = await create_user(store, name, role)
    logger.info("demo users created: %s", ", ".join(f"demo-{r}" for r in tokens))
    return tokens


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("shorewatch")
    except Exception:
        return "0.0.0"


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        headers = {}
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(int(exc.retry_after_s + 0.999))
        elif isinstance(exc, AuthError):
            headers["WWW-Authenticate"] = "Bearer"
        if exc.status_code >= 500:
            logger.error("%s %s: %s", request.method, request.url.path, exc)
        return JSONResponse({"detail": str(exc)}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(TypeValidationError)
    async def type_error(request: Request, exc: TypeValidationError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for e in exc.errors():
            loc = ".".join(str(p) for p in e.get("loc", ()))
            errors.append({"loc": loc, "msg": e.get("msg", ""), "type": e.get("type", "")})
        summary = "; ".join(f"{e['loc']}: {e['msg']}" for e in errors[:5])
        return JSONResponse({"detail": f"invalid request: {summary}", "errors": errors}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal server error (logged)"}, status_code=500)


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes the limit (FastAPI re-raises it)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large(limit, None)["detail"])


class BodySizeLimit:
    """Refuse request bodies over the limit with 413 before the route reads them.

    The limit is ``app.state.body_limits[prefix]`` for the longest matching path prefix, else
    ``default_max_bytes``. Checks ``Content-Length`` up front and counts streamed bytes too."""

    def __init__(self, app: ASGIApp, default_max_bytes: int) -> None:
        self.app = app
        self.default_max_bytes = default_max_bytes

    def _limit(self, scope: Scope) -> int:
        limits: dict[str, int] = getattr(scope["app"].state, "body_limits", {}) if "app" in scope else {}
        path = scope.get("path", "")
        best, best_len = self.default_max_bytes, -1
        for prefix, n in limits.items():
            if path.startswith(prefix) and len(prefix) > best_len:
                best, best_len = n, len(prefix)
        return best

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    await _send_json(send, 400, {"detail": "Content-Length must be an integer"})
                    return
                if length > limit:
                    await _send_json(send, 413, _too_large(limit, length))
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _send_json(send, 413, _too_large(limit, None))


def _too_large(limit: int, length: int | None) -> dict[str, Any]:
    got = f"{length} bytes" if length is not None else "more"
    return {"detail": f"request body too large: at most {limit} bytes accepted, got {got}"}


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    import json

    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": data})
