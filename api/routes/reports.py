"""``/reports/verdicts``: what the operators made of the alerts, per slice (``api.reports``)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import LiveAlertReader, StoreDep
from api.reports import verdict_report

router = APIRouter(prefix="/reports", tags=["alerts"])

Slice = Literal["kind", "beach", "source", "altitude", "hour"]


class VerdictSlicePublic(BaseModel):
    group: dict[str, str] = Field(description="the slice: one value per `by`")
    alerts: int
    open: int = Field(description="not resolved yet")
    stopped: int
    false_alarm: int = Field(description="resolved as false alarms by an operator")
    handed_to_rescue: int
    withdrawn: int = Field(description="false-alarm verdicts withdrawn afterwards")
    held: int = Field(description="repeats of a false alarm the pipeline resolved itself (not verdicts)")
    false_alarm_share: float | None = Field(description="false alarms among the operators' verdicts")
    first_response_s_median: float | None = Field(
        description="seconds from the alert to an operator's first action"
    )
    first_response_s_p90: float | None


class VerdictReportPublic(BaseModel):
    since: datetime
    until: datetime
    by: list[Slice]
    data: list[VerdictSlicePublic]
    count: int


@router.get(
    "/verdicts",
    summary="The operators' verdicts on the live alerts, per kind, beach, drone, altitude or hour",
)
async def verdicts(
    user: LiveAlertReader,
    store: StoreDep,
    by: Annotated[
        list[Slice] | None, Query(description="slice by these, in this order (default kind)")
    ] = None,
    hours: Annotated[
        float, Query(gt=0, le=24 * 366, description="alerts created in the last this many hours")
    ] = 24.0,
) -> VerdictReportPublic:
    slices = list(dict.fromkeys(by or ["kind"]))
    now = time.time()
    rows = await store.verdict_rows(now - hours * 3600.0, now + 1.0)
    data = [VerdictSlicePublic(**r) for r in verdict_report(rows, slices)]
    return VerdictReportPublic(
        since=datetime.fromtimestamp(now - hours * 3600.0, UTC),
        until=datetime.fromtimestamp(now, UTC),
        by=slices,
        data=data,
        count=len(data),
    )
