"""``/alerts``: list, read, create (external detectors) and move alerts through their lifecycle."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status

from api.deps import AlertHandler, AlertReader, AlertServiceDep, AlertWriter, StoreDep
from api.domain import AlertQuery, AlertStatus, ChangeKind, Role, User
from api.errors import ForbiddenError, NotFoundError
from api.schemas import (
    AcknowledgeIn,
    AlertIn,
    AlertPublic,
    AlertsPublic,
    AssignIn,
    ErrorPublic,
    JournalEntryPublic,
    JournalPublic,
    ResolveIn,
)
from shorewatch.types import EventKind

router = APIRouter(prefix="/alerts", tags=["alerts"])

AlertId = Annotated[int, Path(ge=1, le=2**62, description="alert id")]
ERR_404: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorPublic, "description": "no alert with this id"}
}
ERR_409: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorPublic, "description": "the alert's state does not allow this change"}
}


def _check_trainer(user: User, replay_id: str | None) -> None:
    if user.role is Role.TRAINER and replay_id is None:
        raise ForbiddenError("trainers see replay alerts only: pass replay_id")


@router.get("", summary="List alerts, newest first, with filters")
async def list_alerts(
    user: AlertReader,
    store: StoreDep,
    since_s: Annotated[
        float | None, Query(ge=0, le=1e11, description="observed at or after (epoch s)")
    ] = None,
    until_s: Annotated[
        float | None, Query(ge=0, le=1e11, description="observed at or before (epoch s)")
    ] = None,
    kind: Annotated[list[EventKind] | None, Query(description="one or more kinds")] = None,
    status_: Annotated[
        list[AlertStatus] | None, Query(alias="status", description="one or more statuses")
    ] = None,
    source: Annotated[str | None, Query(max_length=128, description="exact source name")] = None,
    min_lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    min_lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    max_lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    max_lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    replay_id: Annotated[
        str | None, Query(max_length=128, description="list this replay's alerts instead")
    ] = None,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AlertsPublic:
    _check_trainer(user, replay_id)
    box = (min_lat, min_lon, max_lat, max_lon)
    if any(v is not None for v in box) and not all(v is not None for v in box):
        raise _bad_request("a bounding box needs all four of min_lat, min_lon, max_lat, max_lon")
    bbox = None
    if all(v is not None for v in box):
        bbox = (float(min_lat), float(min_lon), float(max_lat), float(max_lon))  # type: ignore[arg-type]
        if bbox[0] > bbox[2] or bbox[1] > bbox[3]:
            raise _bad_request("bounding box: min_lat must be <= max_lat and min_lon <= max_lon")
    if since_s is not None and until_s is not None and since_s > until_s:
        raise _bad_request("since_s must be <= until_s")
    alerts, count = await store.list_alerts(
        AlertQuery(
            since_s=since_s,
            until_s=until_s,
            kinds=tuple(kind or ()),
            statuses=tuple(status_ or ()),
            source=source,
            bbox=bbox,
            replay_id=replay_id,
            offset=offset,
            limit=limit,
        )
    )
    return AlertsPublic(data=[AlertPublic.from_alert(a) for a in alerts], count=count)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Raise or update an alert (external detectors)",
    responses={
        200: {
            "model": AlertPublic,
            "description": "an existing alert (same event_id) was updated, or the "
            "revision was not newer (nothing changed)",
        },
        201: {"description": "a new alert was created"},
        413: {"model": ErrorPublic, "description": "body over 2 MB"},
    },
)
async def create_alert(
    body: AlertIn, user: AlertWriter, service: AlertServiceDep, response: Response
) -> AlertPublic:
    alert, change = await service.ingest_change(body.to_event(), actor=user.name)
    if change is not ChangeKind.CREATED:
        response.status_code = status.HTTP_200_OK
    return AlertPublic.from_alert(alert)


@router.get("/{alert_id}", summary="One alert", responses=ERR_404)
async def get_alert(alert_id: AlertId, user: AlertReader, store: StoreDep) -> AlertPublic:
    alert = await store.get_alert(alert_id)
    _check_trainer(user, alert.replay_id)
    return AlertPublic.from_alert(alert)


@router.get(
    "/{alert_id}/snapshot.jpg",
    summary="The alert's snapshot (JPEG)",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}, "description": "the JPEG"}, **ERR_404},
)
async def get_snapshot(alert_id: AlertId, user: AlertReader, store: StoreDep) -> Response:
    alert = await store.get_alert(alert_id)
    _check_trainer(user, alert.replay_id)
    jpeg = await store.get_snapshot(alert_id)
    if jpeg is None:
        raise NotFoundError(f"alert {alert_id} has no snapshot")
    return Response(jpeg, media_type="image/jpeg", headers={"cache-control": "private, max-age=60"})


@router.get("/{alert_id}/journal", summary="The alert's audit journal (read only)", responses=ERR_404)
async def get_journal(alert_id: AlertId, user: AlertHandler, store: StoreDep) -> JournalPublic:
    entries = await store.journal(alert_id)
    return JournalPublic(data=[JournalEntryPublic.from_entry(e) for e in entries], count=len(entries))


@router.post("/{alert_id}/acknowledge", summary="new -> acknowledged", responses={**ERR_404, **ERR_409})
async def acknowledge(
    alert_id: AlertId, user: AlertHandler, service: AlertServiceDep, body: AcknowledgeIn | None = None
) -> AlertPublic:
    alert = await service.acknowledge(alert_id, actor=user.name, note=body.note if body else "")
    return AlertPublic.from_alert(alert)


@router.post(
    "/{alert_id}/assign",
    summary="acknowledged|assigned -> assigned (to a patrol unit)",
    responses={**ERR_404, **ERR_409},
)
async def assign(
    alert_id: AlertId, body: AssignIn, user: AlertHandler, service: AlertServiceDep
) -> AlertPublic:
    alert = await service.assign(alert_id, body.unit, actor=user.name, note=body.note)
    return AlertPublic.from_alert(alert)


@router.post(
    "/{alert_id}/resolve",
    summary="any open state -> resolved, with a reason",
    responses={**ERR_404, **ERR_409},
)
async def resolve(
    alert_id: AlertId, body: ResolveIn, user: AlertHandler, service: AlertServiceDep
) -> AlertPublic:
    alert = await service.resolve(alert_id, body.reason, actor=user.name, note=body.note)
    return AlertPublic.from_alert(alert)


def _bad_request(msg: str) -> Exception:
    from fastapi import HTTPException

    return HTTPException(422, msg)
