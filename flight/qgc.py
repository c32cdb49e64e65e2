"""QGroundControl ``.plan`` files (mission, geoFence, rallyPoints) and the route as GeoJSON.

The ``.plan`` format is QGroundControl's JSON (fileType "Plan", version 1; mission version 2
with ``SimpleItem`` entries whose ``params`` are the seven MAVLink params, lat/lon in params 5
and 6; geoFence version 2 with inclusion/exclusion polygons of [lat, lon] pairs; rallyPoints
version 2 with [lat, lon, alt] points). QGroundControl's own complex items (its Survey and
Corridor Scan editors) are refused with a message: plan those here, or convert them to simple
items in QGroundControl first. Errors are ``flight.errors.PlanFormatError``.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

from shapely.geometry import Polygon

from flight.errors import PlanFormatError
from flight.planning import (
    CMD_NAV_TAKEOFF,
    FRAME_GLOBAL_RELATIVE_ALT,
    NAV_WITH_POSITION,
    BatteryModel,
    GeoPoint,
    MissionItem,
    MissionPlan,
)

logger = logging.getLogger(__name__)

FIRMWARE_ARDUPILOT = 3
VEHICLE_MULTIROTOR = 2


def _num(v: Any) -> float:
    return float("nan") if v is None else float(v)


def plan_to_qgc(plan: MissionPlan) -> dict[str, Any]:
    """A QGroundControl .plan document for ``plan``."""
    items = []
    for i, it in enumerate(plan.items, start=1):
        params: list[float | None] = [
            it.param1,
            it.param2,
            it.param3,
            it.param4,
            it.lat_deg,
            it.lon_deg,
            it.alt_m,
        ]
        params = [None if (p is not None and isinstance(p, float) and math.isnan(p)) else p for p in params]
        entry: dict[str, Any] = {
            "autoContinue": bool(it.autocontinue),
            "command": int(it.command),
            "doJumpId": i,
            "frame": int(it.frame),
            "params": params,
            "type": "SimpleItem",
        }
        if it.frame == FRAME_GLOBAL_RELATIVE_ALT and it.command in NAV_WITH_POSITION:
            entry.update({"AMSLAltAboveTerrain": None, "Altitude": it.alt_m, "AltitudeMode": 1})
        items.append(entry)
    polygons = []
    if plan.geofence is not None:
        polygons.append(_fence_polygon(plan.geofence, inclusion=True))
    polygons += [_fence_polygon(p, inclusion=False) for p in plan.exclusions]
    return {
        "fileType": "Plan",
        "groundStation": "QGroundControl",
        "version": 1,
        "shorewatch": {
            "name": plan.name,
            "kind": plan.kind,
            "drone_id": plan.drone_id,
            "sector": plan.sector,
            "leg": plan.leg,
            "altitude_m": plan.altitude_m,
            "gimbal_pitch_deg": plan.gimbal_pitch_deg,
            "coverage_pct": plan.stats.coverage_pct,
        },
        "mission": {
            "cruiseSpeed": plan.cruise_speed_mps,
            "firmwareType": FIRMWARE_ARDUPILOT,
            "globalPlanAltitudeMode": 1,
            "hoverSpeed": plan.cruise_speed_mps,
            "items": items,
            "plannedHomePosition": [plan.home.lat_deg, plan.home.lon_deg, plan.home.alt_m],
            "vehicleType": VEHICLE_MULTIROTOR,
            "version": 2,
        },
        "geoFence": {"circles": [], "polygons": polygons, "version": 2},
        "rallyPoints": {"points": [[p.lat_deg, p.lon_deg, p.alt_m] for p in plan.rally_points], "version": 2},
    }


def _fence_polygon(poly: Polygon, *, inclusion: bool) -> dict[str, Any]:
    ring = list(poly.exterior.coords)[:-1]  # QGC stores open rings of [lat, lon]
    return {"inclusion": inclusion, "polygon": [[y, x] for x, y, *_ in ring], "version": 1}


def save_plan(plan: MissionPlan, path: str | Path) -> Path:
    p = Path(path)
    p.write_text(json.dumps(plan_to_qgc(plan), indent=2), encoding="utf-8")
    return p


def plan_from_qgc(doc: Any, *, name: str = "imported", battery: BatteryModel | None = None) -> MissionPlan:
    """Parse a QGroundControl .plan document (already JSON-decoded)."""
    if not isinstance(doc, dict) or doc.get("fileType") != "Plan":
        raise PlanFormatError('not a QGroundControl plan: expected an object with "fileType": "Plan"')
    mission = doc.get("mission")
    if not isinstance(mission, dict):
        raise PlanFormatError('the plan has no "mission" object')
    home_raw = mission.get("plannedHomePosition")
    if not (isinstance(home_raw, list) and len(home_raw) >= 2):
        raise PlanFormatError("mission.plannedHomePosition must be [lat, lon, alt]")
    try:
        home = GeoPoint(
            float(home_raw[0]), float(home_raw[1]), float(home_raw[2]) if len(home_raw) > 2 else 0.0
        )
    except (TypeError, ValueError) as exc:
        raise PlanFormatError(f"mission.plannedHomePosition is not numeric: {home_raw!r}") from exc
    raw_items = mission.get("items")
    if not isinstance(raw_items, list):
        raise PlanFormatError("mission.items must be a list")
    items: list[MissionItem] = []
    for i, e in enumerate(raw_items):
        if not isinstance(e, dict):
            raise PlanFormatError(f"mission item #{i + 1}: expected an object, got {type(e).__name__}")
        if e.get("type") != "SimpleItem":
            raise PlanFormatError(
                f"mission item #{i + 1}: type {e.get('type')!r} is not supported; only SimpleItem "
                "(convert QGroundControl survey/corridor items to simple waypoints first)"
            )
        params = e.get("params")
        if not (isinstance(params, list) and len(params) == 7):
            raise PlanFormatError(
                f"mission item #{i + 1}: params must be a list of 7 numbers, got {params!r}"
            )
        try:
            p = [_num(v) for v in params]
            cmd, frame = int(e["command"]), int(e.get("frame", FRAME_GLOBAL_RELATIVE_ALT))
        except (TypeError, ValueError, KeyError) as exc:
            raise PlanFormatError(f"mission item #{i + 1}: {exc}") from exc
        items.append(
            MissionItem(
                cmd,
                frame,
                p[0] if not math.isnan(p[0]) else 0.0,
                p[1] if not math.isnan(p[1]) else 0.0,
                p[2] if not math.isnan(p[2]) else 0.0,
                p[3] if not math.isnan(p[3]) else 0.0,
                p[4] if not math.isnan(p[4]) else 0.0,
                p[5] if not math.isnan(p[5]) else 0.0,
                p[6] if not math.isnan(p[6]) else 0.0,
                bool(e.get("autoContinue", True)),
            )
        )
    fence: Polygon | None = None
    exclusions: list[Polygon] = []
    gf = doc.get("geoFence") or {}
    for j, poly in enumerate(gf.get("polygons", []) if isinstance(gf, dict) else []):
        try:
            ring = [(float(lon), float(lat)) for lat, lon in poly["polygon"]]
            g = Polygon(ring)
        except Exception as exc:
            raise PlanFormatError(f"geoFence polygon #{j + 1}: expected a list of [lat, lon]: {exc}") from exc
        if poly.get("inclusion", True):
            if fence is not None:
                logger.warning("plan has several inclusion fences; using the first")
            else:
                fence = g
        else:
            exclusions.append(g)
    rally: list[GeoPoint] = []
    rp = doc.get("rallyPoints") or {}
    for j, pt in enumerate(rp.get("points", []) if isinstance(rp, dict) else []):
        try:
            rally.append(GeoPoint(float(pt[0]), float(pt[1]), float(pt[2]) if len(pt) > 2 else 0.0))
        except Exception as exc:
            raise PlanFormatError(f"rallyPoints point #{j + 1}: expected [lat, lon, alt]: {exc}") from exc
    raw_meta = doc.get("shorewatch")
    meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    alt = max((it.alt_m for it in items if it.command in NAV_WITH_POSITION), default=0.0)
    takeoff = next((it.alt_m for it in items if it.command == CMD_NAV_TAKEOFF), alt)
    plan = MissionPlan(
        name=str(meta.get("name") or name),
        kind=str(meta.get("kind") or "imported"),
        home=home,
        items=tuple(items),
        altitude_m=float(meta.get("altitude_m") or takeoff or alt),
        cruise_speed_mps=float(mission.get("cruiseSpeed") or 10.0),
        gimbal_pitch_deg=float(meta["gimbal_pitch_deg"])
        if meta.get("gimbal_pitch_deg") is not None
        else -90.0,
        geofence=fence,
        exclusions=tuple(exclusions),
        rally_points=tuple(rally),
        drone_id=meta.get("drone_id"),
        sector=meta.get("sector"),
        leg=meta.get("leg"),
    )
    return plan.with_stats(battery, meta.get("coverage_pct"))


def load_plan(path: str | Path, *, battery: BatteryModel | None = None) -> MissionPlan:
    p = Path(path)
    if not p.is_file():
        raise PlanFormatError(f"plan file {str(p)!r} not found")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlanFormatError(f"plan file {str(p)!r} is not valid JSON: {exc}") from exc
    return plan_from_qgc(doc, name=p.stem, battery=battery)


def route_geojson(plan: MissionPlan) -> dict[str, Any]:
    """The flown route (home -> mission -> home) as a GeoJSON FeatureCollection: one LineString,
    one Point per waypoint (with its item index and altitude), home, fence and no-fly polygons."""
    feats: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "properties": {
                "role": "route",
                "name": plan.name,
                "drone_id": plan.drone_id,
                "length_m": round(plan.stats.length_m, 1),
                "duration_s": round(plan.stats.duration_s, 1),
                "battery_pct": round(plan.stats.battery_pct, 1),
                "coverage_pct": None
                if plan.stats.coverage_pct is None
                else round(plan.stats.coverage_pct, 1),
            },
            "geometry": {
                "type": "LineString",
                "coordinates": [[p.lon_deg, p.lat_deg, p.alt_m] for p in plan.nav_points()],
            },
        },
        {
            "type": "Feature",
            "properties": {"role": "home"},
            "geometry": {"type": "Point", "coordinates": [plan.home.lon_deg, plan.home.lat_deg]},
        },
    ]
    for i, it in enumerate(plan.items, start=1):
        if it.has_position:
            feats.append(
                {
                    "type": "Feature",
                    "properties": {
                        "role": "waypoint",
                        "item": i,
                        "command": it.name,
                        "alt_m": it.alt_m,
                        "hold_s": it.param1,
                    },
                    "geometry": {"type": "Point", "coordinates": [it.lon_deg, it.lat_deg]},
                }
            )
    if plan.geofence is not None:
        feats.append(_poly_feature(plan.geofence, "geofence"))
    feats += [_poly_feature(p, "no_fly") for p in plan.exclusions]
    return {"type": "FeatureCollection", "features": feats}


def _poly_feature(poly: Polygon, role: str) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"role": role},
        "geometry": {"type": "Polygon", "coordinates": [[list(c[:2]) for c in poly.exterior.coords]]},
    }
