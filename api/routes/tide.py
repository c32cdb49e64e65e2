"""``GET /tide``: the tide height the live events use and where it puts the water's edge;
``PUT /tide``: a pilot or admin reports the height read off a gauge or a tide table;
``DELETE /tide``: forget that report.

On a flat beach the falling tide uncovers hundreds of metres of sand: the event engine measures
boats and people against the water's edge there, not against the mapped waterline
(``shorewatch.tide``). The height comes from a report while it is valid, else from the site's
tide table, else it is unknown and the mapped waterline is the edge.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request, Response

from api.deps import PilotUser, requires
from api.domain import Role, User
from api.routes.streams import stream_manager
from api.schemas import TideObservationIn, TidePublic
from shorewatch.tide import TideError, TideNow

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/tide", tags=["tide"])

TideReader = Annotated[User, requires(Role.PILOT, Role.ADMIN, Role.TRAINER, Role.PATROL)]


def _manager(request: Request) -> Any:
    try:
        return stream_manager(request.app)
    except Exception as exc:  # a bad site file: say so, the service goes on
        raise HTTPException(503, f"no tide: the site could not be loaded: {exc}") from None


def tide_public(site: Any, tide: TideNow) -> TidePublic:
    height, source = tide.now()
    st = site.tide
    fraction = site.tide_fraction(height)
    fs = site.foreshore
    edge = None
    if fs is not None and fraction > 0:
        geo = site.to_geo(fs.water_edge(fraction))
        edge = {"type": "LineString", "coordinates": [[round(x, 6), round(y, 6)] for x, y in geo.coords]}
    ob = tide.observed()
    return TidePublic.model_validate(
        {
            "known": height is not None,
            "height_m": height,
            "source": source,
            "datum": st.datum if st else None,
            "waterline_height_m": st.waterline_height_m if st else None,
            "low_water_height_m": st.low_water_height_m if st else None,
            "mean_sea_level_m": st.mean_sea_level_m if st else None,
            "sea_surface_m": site.sea_surface_m(height),
            "drying_fraction": fraction,
            "max_shift_m": site.max_water_edge_shift_m(height),
            "rising": tide.rising(),
            "next": [{"time_s": t, "height_m": h, "kind": k} for t, h, k in tide.next_turns()],
            "observed": None
            if ob is None
            else {"height_m": ob.height_m, "at_s": ob.at_s, "until_s": ob.until_s, "by": ob.by},
            "table": st.as_dict()["table"] if st else None,
            "water_edge": edge,
            "problem": tide.problem,
        }
    )


@router.get("", summary="The tide height now and the water's edge it gives")
async def get_tide(request: Request, user: TideReader) -> TidePublic:
    m = _manager(request)
    return tide_public(m.site, m.tide)


@router.put("", summary="Report the tide height (from a gauge or a tide table) for a while")
async def put_tide(body: TideObservationIn, request: Request, user: PilotUser) -> TidePublic:
    m = _manager(request)
    try:
        m.tide.observe(body.height_m, body.valid_for_min * 60.0, user.name)
    except TideError as exc:
        raise HTTPException(409, str(exc)) from None
    logger.info("tide reported by %s: %.2f m for %.0f min", user.name, body.height_m, body.valid_for_min)
    return tide_public(m.site, m.tide)


@router.delete("", status_code=204, summary="Forget the reported tide height")
async def delete_tide(request: Request, user: PilotUser) -> Response:
    m = _manager(request)
    m.tide.clear()
    logger.info("tide report cleared by %s", user.name)
    return Response(status_code=204)
