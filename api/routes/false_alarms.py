"""``/false-alarms``: the false-alarm verdicts that hold repeats back (``api.dismissals``), and
withdrawing one given by mistake."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from api.deps import AlertHandler, AlertServiceDep, LiveAlertReader
from api.schemas import AlertPublic, ErrorPublic
from shorewatch.types import EventKind

router = APIRouter(prefix="/false-alarms", tags=["alerts"])


class FalseAlarmPublic(BaseModel):
    alert_id: int = Field(description="the alert an operator resolved as false_alarm")
    kind: EventKind = Field(description="repeats of this kind are held back")
    lat: float
    lon: float
    radius_m: float = Field(description="held back within this distance (widened by a repeat's own error)")
    people_count: int = Field(description="a gathering with twice as many people is not held back")
    last_seen_s: float = Field(description="when it, or a held repeat of it, last changed (epoch s)")
    holds_until: datetime = Field(description="when it stops holding repeats back unless seen again")


class FalseAlarmsPublic(BaseModel):
    data: list[FalseAlarmPublic]
    count: int


@router.get("", summary="The false alarms holding repeats back now")
async def list_false_alarms(user: LiveAlertReader, service: AlertServiceDep) -> FalseAlarmsPublic:
    rows = [
        FalseAlarmPublic(
            alert_id=d.alert_id,
            kind=d.kind,
            lat=d.lat_deg,
            lon=d.lon_deg,
            radius_m=service.dismissals.radius_for(d) if service.dismissals is not None else 0.0,
            people_count=d.people_count,
            last_seen_s=d.last_seen_s,
            holds_until=datetime.fromtimestamp(until, UTC),
        )
        for d, until in await service.false_alarms()
    ]
    return FalseAlarmsPublic(data=rows, count=len(rows))


ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorPublic, "description": "no alert with this id"},
    409: {
        "model": ErrorPublic,
        "description": "not a live alert resolved as false_alarm, or already withdrawn",
    },
}


@router.delete(
    "/{alert_id}", summary="Withdraw a false-alarm verdict: repeats are alerted again", responses=ERRORS
)
async def withdraw_false_alarm(
    alert_id: Annotated[int, Path(ge=1, le=2**62, description="alert id")],
    user: AlertHandler,
    service: AlertServiceDep,
) -> AlertPublic:
    alert = await service.withdraw_false_alarm(alert_id, actor=user.name)
    return AlertPublic.from_alert(alert)
