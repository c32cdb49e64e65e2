"""``GET /coverage``: which stretches of the site's waterline the drones' cameras have shown, how
recently and how finely (``detector.coverage``), as GeoJSON for the dashboard's map and any GIS.

Fed by every frame a live stream's detector processed (``api.streams``); replays do not count.
A stretch is a *gap* when no frame showed it within the window or the best frame was too coarse
for the detector to find a person there: the pilot should fly it again, lower or closer.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Request

from api.deps import requires
from api.domain import Role, User
from api.routes.streams import stream_manager
from api.schemas import CoveragePublic

router = APIRouter(prefix="/coverage", tags=["coverage"])

CoverageReader = Annotated[User, requires(Role.PILOT, Role.ADMIN, Role.TRAINER, Role.PATROL)]


@router.get("", summary="Shoreline coverage: last sighting, ground resolution and gaps per stretch")
async def get_coverage(request: Request, user: CoverageReader) -> CoveragePublic:
    try:
        streams = stream_manager(request.app)
    except Exception as exc:  # a bad site file: say so, the service goes on
        raise HTTPException(503, f"no coverage: the site could not be loaded: {exc}") from None
    return CoveragePublic.model_validate(streams.coverage.snapshot())
