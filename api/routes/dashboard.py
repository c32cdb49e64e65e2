"""The dashboard: the single-page app in ``api/static/`` (served by the app itself: no CDN, no
tile server) and what it needs to start: who the token belongs to, and the site's GeoJSON the
map is drawn from."""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from api.deps import AnyUser, SettingsDep
from shorewatch.site import BUILTIN_SITES, load_site

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"

router = APIRouter(tags=["dashboard"])


def mount_static(app: Any) -> None:
    """Serve ``api/static`` at ``/static`` (public: the login page must load without a token)."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


@router.get("/", include_in_schema=False)
async def index() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


@router.get("/dashboard", include_in_schema=False)
async def dashboard() -> RedirectResponse:
    return RedirectResponse("/")


@router.get(
    "/dashboard/whoami", summary="The caller's user name and role (the dashboard picks its views by role)"
)
async def whoami(user: AnyUser) -> dict[str, str]:
    return {"name": user.name, "role": user.role.value}


@lru_cache(maxsize=8)
def site_geojson(site: str) -> dict[str, Any]:
    """The configured site as a GeoJSON FeatureCollection (validated by ``load_site`` first)."""
    load_site(site)  # raises SiteError with the feature and the problem
    if site in BUILTIN_SITES:
        text = resources.files("shorewatch.sites").joinpath(BUILTIN_SITES[site]).read_text(encoding="utf-8")
    else:
        text = Path(site).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@router.get(
    "/site.geojson",
    summary="The site the drones watch: waterline, land, beaches, no-fly zones, geofence, launch points, patrol units",
)
async def site(settings: SettingsDep, user: AnyUser) -> JSONResponse:
    return JSONResponse(site_geojson(settings.site), media_type="application/geo+json")
