"""Missions for pilots: drones and live telemetry, patrol planning with a preview, launch,
pause, resume, recall. Patrol officers may watch the drones (list and telemetry feed)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.auth import check_role
from api.deps import PilotUser, authenticate, requires, websocket_token
from api.domain import Role, User
from api.errors import ApiError
from api.missions import MissionError, MissionManager, PlanRequest

logger = logging.getLogger(__name__)

DRONE_READ_ROLES = (Role.PILOT, Role.PATROL, Role.ADMIN)
DroneReader = Annotated[User, requires(*DRONE_READ_ROLES)]


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    manager = getattr(app.state, "missions", None)
    if manager is None:
        from shorewatch.site import load_site

        site = load_site(app.state.settings.site)
        manager = MissionManager(site, getattr(app.state, "mission_drones", None))
        app.state.missions = manager
    try:
        yield
    finally:
        await manager.stop()


router = APIRouter(tags=["missions"], lifespan=lifespan)


async def get_missions(request: Request) -> MissionManager:
    m: MissionManager = request.app.state.missions
    m.start()
    return m


MissionsDep = Annotated[MissionManager, Depends(get_missions)]


def _error(exc: MissionError) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=exc.status_code)


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: str = Field(
        min_length=1,
        max_length=120,
        description="launch point or beach where the patrol starts, or a distance along the "
        "waterline such as '16.5 km' (as GET /coverage reports gaps)",
    )
    end: str = Field(
        min_length=1, max_length=120, description="launch point or beach where it ends, or '<x> km'"
    )
    alt_m: float = Field(
        60.0, ge=10, le=500, description="altitude above home, metres (the site ceiling is checked)"
    )
    drones: int = Field(1, ge=1, le=20, description="how many drones share the stretch (one sector each)")
    speed_mps: float = Field(10.0, ge=1, le=30, description="cruise speed")
    offset_m: float = Field(150.0, ge=-500, le=3000, description="how far seaward of the waterline to fly")


class InvestigateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lat_deg: float = Field(ge=-90, le=90, description="the point to look at")
    lon_deg: float = Field(ge=-180, le=180)
    radius_m: float = Field(60.0, ge=15, le=500, description="orbit radius")
    laps: float = Field(1.0, gt=0, le=5, description="how many times round")
    speed_mps: float = Field(6.0, ge=1, le=20, description="speed on the orbit")
    drone_id: str | None = Field(
        None, max_length=64, description="which drone; default: the airborne, free one nearest the point"
    )
    alert_id: int | None = Field(None, ge=1, description="the alert this is about (for the notes)")


class LaunchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plan_id: str = Field(min_length=1, max_length=64, description="from POST /missions/plan")


@router.get("/drones", summary="The site's drones: link state, mode, position, battery, mission")
async def list_drones(missions: MissionsDep, user: DroneReader) -> dict[str, Any]:
    data = [d.public() for d in missions.drones.values()]
    return {"data": data, "count": len(data)}


@router.websocket("/ws/telemetry")
async def ws_telemetry(ws: WebSocket) -> None:
    """Drone states (``{"type": "drone", "drone": {...}}``, up to 5 Hz per drone) and mission
    changes (``{"type": "mission", "mission": {...}}``); the current state of each first."""
    await ws.accept()
    try:
        user = await authenticate(ws, websocket_token(ws))
        check_role(user, DRONE_READ_ROLES)
    except ApiError as exc:
        await ws.close(code=4401 if exc.status_code == 401 else 4403, reason=str(exc)[:120])
        return
    manager: MissionManager = ws.app.state.missions
    manager.start()
    q = manager.subscribe()

    async def pump() -> None:
        while True:
            msg = await q.get()
            await ws.send_text(json.dumps(msg))

    async def drain() -> None:
        while True:
            if (await ws.receive())["type"] == "websocket.disconnect":
                return

    tasks = [asyncio.create_task(pump()), asyncio.create_task(drain())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    except WebSocketDisconnect:
        pass
    finally:
        manager.unsubscribe(q)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _tide_now(request: Request) -> float | None:
    """The tide height the live events use (None: unknown, or no streams side to ask)."""
    from api.routes.streams import stream_manager

    try:
        h: float | None = stream_manager(request.app).tide.height_m()
    except Exception:  # the streams side could not start (a bad site file): plan from the map
        return None
    return h


@router.post(
    "/missions/plan", summary="Plan a corridor patrol along the coast and preview it (nothing flies yet)"
)
async def plan(body: PlanIn, request: Request, missions: MissionsDep, user: PilotUser) -> Any:
    try:
        p = await asyncio.to_thread(
            missions.plan, PlanRequest(**body.model_dump()), tide_m=_tide_now(request)
        )
    except MissionError as exc:
        return _error(exc)
    return p.public()


@router.post(
    "/missions", status_code=201, summary="Launch a planned patrol (preflight, upload, take off, AUTO)"
)
async def launch(body: LaunchIn, missions: MissionsDep, user: PilotUser) -> Any:
    try:
        m = await missions.launch(body.plan_id)
    except MissionError as exc:
        return _error(exc)
    return m.public()


@router.post(
    "/drones/investigate",
    status_code=202,
    summary="Send a drone to orbit a point (camera on it), then back to its patrol",
)
async def investigate(body: InvestigateIn, missions: MissionsDep, user: PilotUser) -> Any:
    try:
        d = missions.investigate(
            body.lat_deg,
            body.lon_deg,
            radius_m=body.radius_m,
            laps=body.laps,
            speed_mps=body.speed_mps,
            drone_id=body.drone_id,
            label=f"alert #{body.alert_id}" if body.alert_id else "",
        )
    except MissionError as exc:
        return _error(exc)
    return JSONResponse(d.public(), status_code=202)


@router.get("/missions", summary="Missions, newest first")
async def list_missions(missions: MissionsDep, user: PilotUser) -> dict[str, Any]:
    data = [
        m.public() for m in sorted(missions.missions.values(), key=lambda m: m.created_at_s, reverse=True)
    ]
    return {"data": data, "count": len(data)}


@router.get("/missions/{mission_id}", summary="One mission: status, progress, notes")
async def get_mission(mission_id: str, missions: MissionsDep, user: PilotUser) -> Any:
    try:
        return missions.mission(mission_id).public()
    except MissionError as exc:
        return _error(exc)


@router.post("/missions/{mission_id}/{command}", summary="pause | resume | recall (return to launch)")
async def command(mission_id: str, command: str, missions: MissionsDep, user: PilotUser) -> Any:
    actions = {"pause": missions.pause, "resume": missions.resume, "recall": missions.recall}
    if command not in actions:
        return JSONResponse(
            {"detail": f"unknown command {command!r}; expected pause, resume or recall"}, status_code=404
        )
    try:
        m = await actions[command](mission_id)
    except MissionError as exc:
        return _error(exc)
    return m.public()
