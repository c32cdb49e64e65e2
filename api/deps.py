"""FastAPI dependencies: the app's collaborators (on ``app.state``) and the caller's identity.

Routes reach collaborators only through these ``Annotated`` aliases, e.g.::

    @router.get("")
    async def list_alerts(service: AlertServiceDep, user: AlertReader) -> AlertsPublic: ...

Role aliases (``AlertReader``, ``AlertWriter``, ``AlertHandler``, ``AdminUser``, ``AnyUser``,
``PilotUser``, ``TrainerUser``, ``LiveAlertReader``) authenticate the bearer token (header, or ``?token=`` for
browsers and EventSource) and check the role; ``requires(*roles)`` builds more.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, WebSocket
from fastapi.security import APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection

from api.alerts import AlertService
from api.auth import Authenticator, check_role
from api.bus import Bus
from api.domain import Role, User
from api.errors import AuthError
from api.metrics import Metrics
from api.settings import Settings
from api.store import Store


def get_settings(request: HTTPConnection) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_store(request: HTTPConnection) -> Store:
    return request.app.state.store  # type: ignore[no-any-return]


def get_bus(request: HTTPConnection) -> Bus:
    return request.app.state.bus  # type: ignore[no-any-return]


def get_alert_service(request: HTTPConnection) -> AlertService:
    return request.app.state.alerts  # type: ignore[no-any-return]


def get_metrics(request: HTTPConnection) -> Metrics:
    return request.app.state.metrics  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
BusDep = Annotated[Bus, Depends(get_bus)]
AlertServiceDep = Annotated[AlertService, Depends(get_alert_service)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]

_bearer = HTTPBearer(auto_error=False, description="token from `shorewatch users add NAME --role ROLE`")
_token_query = APIKeyQuery(
    name="token", auto_error=False, description="the same token, for browsers/EventSource"
)


def client_address(conn: Request | WebSocket) -> str:
    return conn.client.host if conn.client else "unknown"


async def authenticate(conn: Request | WebSocket, token: str | None) -> User:
    auth: Authenticator = conn.app.state.authenticator
    try:
        return await auth.authenticate(token, client_address(conn))
    except AuthError:
        conn.app.state.metrics.auth_failures.inc()
        raise


async def current_user(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    token: Annotated[str | None, Depends(_token_query)],
) -> User:
    return await authenticate(request, bearer.credentials if bearer else token)


def websocket_token(ws: WebSocket) -> str | None:
    header = ws.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return ws.query_params.get("token") or None


def requires(*roles: Role) -> Any:
    """A dependency that authenticates the caller and lets only ``roles`` through."""

    async def dep(user: Annotated[User, Depends(current_user)]) -> User:
        return check_role(user, roles)

    dep.__name__ = "requires_" + "_".join(r.value for r in roles)
    return Depends(dep)


ALERT_READ_ROLES = (Role.PATROL, Role.PILOT, Role.ADMIN)
"""Who sees live alerts (list, detail, push)."""
ALERT_HANDLE_ROLES = (Role.PATROL, Role.ADMIN)
"""Who acknowledges, assigns and resolves."""
ALERT_WRITE_ROLES = (Role.DETECTOR, Role.ADMIN)
"""Who may POST alerts (external detectors)."""

AnyUser = Annotated[User, Depends(current_user)]
LiveAlertReader = Annotated[User, requires(*ALERT_READ_ROLES)]
AlertReader = Annotated[User, requires(*ALERT_READ_ROLES, Role.TRAINER)]  # trainers: replay alerts only
AlertHandler = Annotated[User, requires(*ALERT_HANDLE_ROLES)]
AlertWriter = Annotated[User, requires(*ALERT_WRITE_ROLES)]
AdminUser = Annotated[User, requires(Role.ADMIN)]
PilotUser = Annotated[User, requires(Role.PILOT, Role.ADMIN)]
TrainerUser = Annotated[User, requires(Role.TRAINER, Role.ADMIN)]
