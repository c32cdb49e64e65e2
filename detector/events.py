"""Tracks on the ground -> events: ``launch``, ``boat_at_sea``, ``gathering``, ``person_in_water``.

Zones are map geometry, not image regions, so they hold on a moving camera: every tracked
object is placed on the sea's surface at the tide's height (``detector.georef``) and measured against the site's
coastline as a *signed distance to the water's edge* (negative on land, positive at sea). The
edge is the site's mapped waterline (the land's edge near high water) moved seaward by the tide:
with a ``tide`` source (height above the site's datum at a time) and beaches that carry a
``drying_m``, the sand the falling tide uncovers counts as beach (``shorewatch.tide``):

=========  ================================================================================
zone       signed distance ``d``
=========  ================================================================================
inland     d < -beach_depth_m (ignored for gatherings; at low tide, -beach_depth_m - the edge's shift)
beach      -beach_depth_m <= d < 0 (beach and dunes, and the sand the tide uncovers)
surf       0 <= d < surf_zone_m
sea        d >= surf_zone_m
=========  ================================================================================

Rules, evaluated on each object's smoothed position (median of its last positions) once it has
been seen ``min_track_frames`` times:

* ``launch`` (critical): a boat that was seen ashore (d < 0) with at least
  ``launch_min_people`` people within ``people_radius_m`` and then moves seaward across the
  waterline (d > ``launch_enter_m``); or a boat seen moving at least ``launch_drag_m`` seaward
  across the sand that then reaches the water's edge (d > -``launch_edge_m``, or minus the
  track's stated error up to ``launch_edge_max_m`` where that is larger: where the sea
  stands, and where a drone places the boat, are known to a few metres only; it was dragged:
  boats do not cross a beach by themselves, and the people packed round an inflatable at dawn are
  often too small and too crowded to be detected one by one); or a boat first seen in the surf
  zone with that many people around it (boarding), if its detections are confident (median of its recent scores >=
  ``surf_launch_min_conf``: a rock or post in the surf, boxed as a boat now and then while people
  walk past at the water's edge, is not a boat being boarded).
* ``boat_at_sea`` (warning): a boat at d >= ``offshore_m`` that is not a launch (optionally only
  when heading away from the coast).
* ``gathering`` (warning): at least ``gathering_min_people`` people within
  ``gathering_radius_m`` of one of them (a dense group, not a chain of walkers) on the beach or
  in the surf, optionally only during
  ``gathering_hours_utc``.
* ``person_in_water`` (critical): a person at d >= ``person_in_water_m`` not aboard a boat (no
  boat within ``aboard_radius_m``, both measured on their smoothed positions so that a moving boat
  and its passengers lag alike; nor one whose box in the frame touches a boat's box grown by
  ``aboard_box_margin`` of its size, within ``aboard_box_max_m``), continuously for
  ``person_in_water_s`` (a passenger whose georeferenced position strays past the boat for a
  frame or two is not a person overboard). A
  boat lost from view less than ``aboard_memory_s`` ago still counts, carried on at its last
  velocity (an inflatable lost in glare or spray while its passengers are still detected).

A person box larger than ``person_max_size_m`` at the range it is placed at is not a person and
takes no part in any rule (a hull or buoy far off, placed hundreds of metres out by a fraction of
a degree of pitch error).

Boats are re-linked: a new boat track that appears within ``relink_radius_m`` of where another
boat was lost less than ``relink_s`` earlier continues that boat's history (the tracker loses an
inflatable in the surf while people board it, then gives it a new id).

Episodes: one ``Event`` per object per episode. Its ``event_id`` is stable; later emissions of the
same episode are revisions (``revision`` + 1), sent only when the event developed (moved
``update_distance_m``, people count or zone changed) and at most every ``update_min_interval_s``:
never one per frame. An episode ends ``end_after_s`` after its object was last seen; for
``cooldown_s`` after that, the same kind of event within ``cooldown_radius_m`` continues the old
episode (a track lost and found again is not a new alert). A ``boat_at_sea`` that stayed put (within
``stationary_radius_m``, or twice its stated error, for ``stationary_min_s``) is remembered for
``stationary_memory_s``: a moored boat or a buoy found again where it stood on a later pass of a
patrol continues its alert, and if it then leaves that place it is a new one. A launched boat that later sails
offshore stays a launch (it never turns into a second, ``boat_at_sea`` alert). A launch within
``launch_join_radius_m`` of a launch under way joins it even while the first boat is still
tracked: the tracker sometimes follows one inflatable, crowded with people, as two boats.

Episode states (``EpisodeState``): ACTIVE -> ENDED (cooldown) -> forgotten.
"""

from __future__ import annotations

import enum
import logging
import math
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

import cv2
import numpy as np
import numpy.typing as npt
import shapely
import supervision as sv
from pydantic import BaseModel, ConfigDict, Field, model_validator

from detector.errors import DetectorConfigError
from detector.georef import GeorefConfig, Georeferencer, GroundPoints, boat_length_m
from shorewatch.geo import heading_from_velocity, near_radius_m
from shorewatch.site import Site
from shorewatch.tide import TideSource
from shorewatch.types import (
    BOAT_LENGTH_DETAIL,
    CAMERA_ALT_DETAIL,
    ERROR_ELLIPSE_DETAILS,
    Event,
    EventKind,
    Frame,
    Severity,
    TrackPoint,
)

logger = logging.getLogger(__name__)

BOAT, PERSON = 0, 1


class EventConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_track_frames: int = Field(
        3, ge=1, le=100, description="sightings before an object can raise an event"
    )
    smooth_frames: int = Field(5, ge=1, le=100, description="positions in the median that smooths a track")
    surf_zone_m: float = Field(
        40.0, ge=0, le=500, description="seaward width of the surf zone from the waterline"
    )
    beach_depth_m: float = Field(400.0, ge=0, le=5000, description="landward depth of beach and dunes")
    offshore_m: float = Field(
        80.0, ge=0, le=20_000, description="distance from the waterline where boat_at_sea starts"
    )
    boat_at_sea_heading_away_only: bool = Field(
        False, description="boat_at_sea only for boats moving away from the coast"
    )
    people_radius_m: float = Field(
        25.0, gt=0, le=500, description="people this close to a boat are 'around it'"
    )
    launch_min_people: int = Field(2, ge=0, le=500, description="people around a boat for a launch")
    surf_launch_min_conf: float = Field(
        0.4,
        ge=0,
        le=1,
        description=(
            "a boat first seen in the surf is a launch only if the median of its recent detection "
            "scores is at least this"
        ),
    )
    launch_enter_m: float = Field(
        1.0, ge=0, le=200, description="how far past the waterline a boat must be to be 'in the water'"
    )
    launch_edge_m: float = Field(
        5.0,
        ge=0,
        le=100,
        description=(
            "a boat dragged launch_drag_m seaward across the sand is in the water once it is this "
            "close to the water's edge: where the sea stands is known to a few metres at best (the "
            "swash on a flat beach, the tide's edge, and a drone's pitch and altitude bias, which "
            "move a boat 3-6 m along the line of sight)"
        ),
    )
    launch_edge_max_m: float = Field(
        15.0,
        ge=0,
        le=100,
        description=(
            "the track's own stated position error widens launch_edge_m up to this (poor telemetry "
            "places a boat in the surf 8-10 m up the sand)"
        ),
    )
    relink_s: float = Field(
        20.0,
        ge=0,
        le=600,
        description=(
            "a new boat track this soon after a boat was lost nearby continues that boat (0: never; "
            "at most end_after_s counts, when a lost track is forgotten)"
        ),
    )
    relink_radius_m: float = Field(
        30.0, ge=0, le=2000, description="how near the lost boat's last position a new track must appear"
    )
    launch_drag_m: float | None = Field(
        8.0,
        gt=0,
        le=2000,
        description=(
            "a boat seen moving this far seaward across the beach that then enters the water is a "
            "launch even when no people were detected around it (None: people are required)"
        ),
    )
    gathering_min_people: int = Field(10, ge=2, le=1000, description="people clustered for a gathering")
    gathering_radius_m: float = Field(
        15.0,
        gt=0,
        le=1000,
        description="a gathering: gathering_min_people within this distance of one of them",
    )
    gathering_hours_utc: tuple[float, float] | None = Field(
        None,
        description="(start, end) hours UTC when gatherings alert (end < start wraps midnight); None: always",
    )
    person_in_water_m: float = Field(
        10.0, ge=0, le=2000, description="distance past the waterline for person_in_water"
    )
    person_max_size_m: float | None = Field(
        4.0,
        gt=0,
        le=100,
        description=(
            "a person box larger than this at its range (its longer side in metres, from the "
            "drone's height and the box's distance) is not a person (a buoy, a post, a hull far "
            "off, placed hundreds of metres out by a fraction of a degree of pitch): left out of "
            "every rule; None: keep every person box"
        ),
    )
    aboard_radius_m: float = Field(
        10.0, ge=0, le=200, description="a person this close to a boat is aboard it"
    )
    person_in_water_s: float = Field(
        2.0,
        ge=0,
        le=600,
        description="a person must stay in the water, away from any boat, this long before the alert",
    )
    aboard_box_margin: float = Field(
        0.5,
        ge=0,
        le=5,
        description=(
            "a person whose box in the frame touches the box of a boat seen in the same frame, grown "
            "on every side by this fraction of the boat box's longer side, is aboard it when also "
            "within aboard_box_max_m on the ground (a passenger at the bow of a long boat, or one "
            "georeferenced away from a boat seen end on); 0: off"
        ),
    )
    aboard_box_max_m: float = Field(
        30.0, ge=0, le=500, description="the farthest (smoothed, on the ground) a box-touching person may be"
    )
    aboard_memory_s: float = Field(
        5.0,
        ge=0,
        le=60,
        description=(
            "a boat lost from view this recently still counts (at its last position, carried on at "
            "its last velocity) when testing whether a person is aboard"
        ),
    )
    update_min_interval_s: float = Field(
        5.0, ge=0, le=3600, description="least time between revisions of one event"
    )
    update_distance_m: float = Field(
        25.0, gt=0, le=10_000, description="movement that makes a revision worth sending"
    )
    end_after_s: float = Field(
        20.0, gt=0, le=3600, description="an episode ends this long after its object was last seen"
    )
    cooldown_s: float = Field(
        300.0, ge=0, le=86_400, description="after an episode ends, nearby repeats continue it"
    )
    cooldown_radius_m: float = Field(
        150.0, ge=0, le=10_000, description="how near a repeat must be to continue an episode"
    )
    launch_join_radius_m: float = Field(
        30.0,
        ge=0,
        le=1000,
        description=(
            "a launch this near a launch under way, even one whose boat is still tracked, is that "
            "launch (a boat tracked twice, or boats launched together: one alert)"
        ),
    )
    stationary_memory_s: float = Field(
        3600.0,
        ge=0,
        le=86_400,
        description=(
            "a boat_at_sea that stayed put (within stationary_radius_m, or twice its stated error) "
            "for stationary_min_s or more is remembered this long after it was last seen: the same "
            "object found there again on a later pass of the patrol continues its alert instead of "
            "raising a new one each lap (a moored boat, a buoy or a rock taken for a boat); if it "
            "then leaves that place it is a new alert (0: only the cooldown)"
        ),
    )
    stationary_radius_m: float = Field(
        30.0, gt=0, le=1000, description="how far a boat may wander and still count as staying put"
    )
    stationary_min_s: float = Field(
        10.0, ge=0, le=3600, description="how long a boat must be watched staying put to be remembered"
    )
    snapshot: bool = Field(True, description="attach a JPEG snapshot to each emission")
    snapshot_max_px: int = Field(960, ge=64, le=4096, description="long side of the snapshot")

    @model_validator(mode="after")
    def _check(self) -> EventConfig:
        if self.offshore_m < self.surf_zone_m:
            raise DetectorConfigError(
                f"offshore_m ({self.offshore_m}) must be >= surf_zone_m ({self.surf_zone_m})"
            )
        if self.gathering_hours_utc is not None:
            a, b = self.gathering_hours_utc
            if not (0 <= a <= 24 and 0 <= b <= 24):
                raise DetectorConfigError(
                    f"gathering_hours_utc must be hours in [0, 24], got {self.gathering_hours_utc}"
                )
        return self


class Zone(enum.StrEnum):
    INLAND = "inland"
    BEACH = "beach"
    SURF = "surf"
    SEA = "sea"


class EpisodeState(enum.StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


SEVERITY = {
    EventKind.LAUNCH: Severity.CRITICAL,
    EventKind.PERSON_IN_WATER: Severity.CRITICAL,
    EventKind.BOAT_AT_SEA: Severity.WARNING,
    EventKind.GATHERING: Severity.WARNING,
}


def continues(existing: EventKind, new: EventKind) -> bool:
    """Whether an event of kind ``new`` about an object may continue an earlier event of kind
    ``existing`` about it: its own kind, and a boat at sea continues a launch (the launched boat,
    found again out at sea, stays a launch); a launch never continues a ``boat_at_sea``."""
    return existing is new or (existing is EventKind.LAUNCH and new is EventKind.BOAT_AT_SEA)


@dataclass(frozen=True, slots=True)
class Observation:
    """One tracked object in one frame, on the ground (site-local metres)."""

    track_id: int
    class_id: int
    east_m: float
    north_m: float
    error_m: float
    confidence: float
    xyxy: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    bias_m: float = 0.0  # the error the sea's height shares across the frame (``GroundPoints.bias_m``)
    ellipse: tuple[float, float, float] | None = None  # along, across the line of sight (m), its bearing
    length_m: float | None = None  # a boat's length on the water from its box (``georef.boat_length_m``)


@dataclass(slots=True)
class _Track:
    track_id: int
    class_id: int
    first_seen_s: float
    positions: deque[tuple[float, float, float, float]] = field(default_factory=lambda: deque(maxlen=200))
    confs: deque[float] = field(default_factory=lambda: deque(maxlen=20))
    errors: deque[float] = field(default_factory=lambda: deque(maxlen=20))
    biases: deque[float] = field(default_factory=lambda: deque(maxlen=20))
    ellipses: deque[tuple[float, float, float]] = field(default_factory=lambda: deque(maxlen=20))
    lengths: deque[float] = field(default_factory=lambda: deque(maxlen=20))
    n_obs: int = 0
    last_seen_s: float = 0.0
    min_sd_m: float = math.inf
    max_sd_ashore_m: float = -math.inf  # the most seaward it was seen while still on the beach
    ashore_with_people: bool = False
    in_water_since_s: float | None = None  # a person: since when it has been in the water, unaboard
    first_zone: Zone | None = None
    episode: _Episode | None = None
    xyxy: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)

    def note_shore_distance(self, sd: float) -> None:
        """Keep the furthest inland and the most seaward-while-ashore signed distances seen."""
        self.min_sd_m = min(self.min_sd_m, sd)
        if sd < 0:
            self.max_sd_ashore_m = max(self.max_sd_ashore_m, sd)


@dataclass(slots=True)
class _Episode:
    kind: EventKind
    event_id: str
    first_seen_s: float
    east_m: float
    north_m: float
    last_seen_s: float
    state: EpisodeState = EpisodeState.ACTIVE
    revision: int = -1
    last_emit_s: float = -math.inf
    last_emit_pos: tuple[float, float] = (math.nan, math.nan)
    last_people: int = -1
    last_zone: str = ""
    points: list[TrackPoint] = field(default_factory=list)
    anchor: tuple[float, float] | None = None  # where it was first placed (site-local metres)
    max_offset_m: float = 0.0  # the furthest it was placed from there
    error_m: float = 0.0  # the position error it last stated
    found_again: bool = False  # a remembered still object picked up by a new track: watched for leaving


def _from_anchor(ep: _Episode, e: float, n: float) -> float:
    """How far (e, n) is from where the episode's object was first placed (every episode of
    boats is placed on the touch that creates it; 0 before that)."""
    return 0.0 if ep.anchor is None else math.hypot(e - ep.anchor[0], n - ep.anchor[1])


def _in_hours(timestamp_s: float, hours: tuple[float, float] | None) -> bool:
    if hours is None:
        return True
    dt = datetime.fromtimestamp(timestamp_s, tz=UTC)
    h = dt.hour + dt.minute / 60 + dt.second / 3600
    a, b = hours
    return a <= h < b if a <= b else (h >= a or h < b)


class EventEngine:
    """``update(frame, tracked)`` -> the events (new or revised) this frame produced."""

    def __init__(
        self,
        site: Site,
        config: EventConfig | None = None,
        georef: GeorefConfig | None = None,
        *,
        tide: TideSource | None = None,
    ) -> None:
        self.site = site
        self.tide = tide
        self.tide_m: float | None = None  # the tide height of the step in progress (None: unknown)
        self._warned_tide = False
        self._tide_located: tuple[float, float | None] | None = None
        self.config = config or EventConfig()
        self.georef = Georeferencer(site.frame, georef)
        self._land = site.land_local
        self._waterline = site.waterline_local
        shapely.prepare(self._land)
        self._tracks: dict[int, _Track] = {}
        self._episodes: list[_Episode] = []
        self._gatherings: list[_Episode] = []
        self._lock = threading.Lock()
        self._warned_no_pose = False

    # ----- geometry
    def signed_distance_m(self, east_m: npt.ArrayLike, north_m: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Distance to the water's edge, negative on land: to the mapped waterline, less how far
        seaward the tide (``tide_m``) has moved the edge on a beach with a ``drying_m``."""
        return self._distance_and_shift(east_m, north_m)[0]

    def _distance_and_shift(
        self, east_m: npt.ArrayLike, north_m: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """(signed distance to the water's edge, how far the tide has moved the edge out there)."""
        e = np.atleast_1d(np.asarray(east_m, dtype=np.float64))
        n = np.atleast_1d(np.asarray(north_m, dtype=np.float64))
        pts = shapely.points(e, n)
        d = shapely.distance(self._waterline, pts)
        on_land = shapely.contains_xy(self._land, e, n)
        sd = np.where(on_land, -d, d)
        shift = self.site.water_edge_shift_m(e, n, self.tide_m)  # zeros while the tide is unknown
        return sd - shift, shift

    def _tide_at(self, t: float) -> float | None:
        if self.tide is None:
            return None
        try:
            h = self.tide(t)
        except Exception:  # a broken tide source must not stop the events: use the mapped waterline
            if not self._warned_tide:
                logger.exception("tide source failed; using the mapped waterline until it answers")
                self._warned_tide = True
            return None
        return float(h) if h is not None and math.isfinite(h) else None

    def _frame_tide(self, t: float) -> float | None:
        """The tide height of the frame at ``t``: the one ``locate`` used for it, else asked once
        and kept for the rest of that frame."""
        if self._tide_located is None or self._tide_located[0] != t:
            self._tide_located = (t, self._tide_at(t))
        return self._tide_located[1]

    def locate(self, frame: Frame, tracked: sv.Detections) -> GroundPoints:
        """Georeference ``tracked`` on the sea's surface at the tide of the frame's time."""
        h = self._frame_tide(frame.timestamp_s)  # the events of this frame use the same height
        return self.georef.locate(
            frame,
            tracked.xyxy,
            tracked.class_id,
            surface_m=self.site.sea_surface_m(h),
            surface_sigma_m=self.surface_sigma_m(h),
        )

    def sea_surface_at(self, t_s: float) -> float:
        """The sea's surface above mean sea level for the frame at ``t_s`` (see ``locate``)."""
        return self.site.sea_surface_m(self._frame_tide(t_s))

    def surface_sigma_m(self, height_m: float | None) -> float:
        """How uncertain the sea's height is (one sigma): a known tide's ``tide_sigma_m``; an
        unknown one on a tidal site, the spread of a sine tide over the site's range
        (``TideSettings.unknown_sigma_m``: 2.3 m on the Opal Coast); 0 on a site without tide
        settings (nothing known)."""
        st = self.site.tide
        if st is None:
            return 0.0
        return self.georef.config.tide_sigma_m if height_m is not None else st.unknown_sigma_m

    def zone(self, sd_m: float, edge_shift_m: float = 0.0) -> Zone:
        """``edge_shift_m``: how far the tide has moved the water's edge out there; the beach and
        dunes still end ``beach_depth_m`` behind the mapped waterline."""
        c = self.config
        if sd_m < -(c.beach_depth_m + edge_shift_m):
            return Zone.INLAND
        if sd_m < 0:
            return Zone.BEACH
        return Zone.SURF if sd_m < c.surf_zone_m else Zone.SEA

    # ----- entry points
    def update(self, frame: Frame, tracked: sv.Detections) -> list[Event]:
        """Georeference ``tracked`` (detections with ``tracker_id``) and advance the state machine."""
        if frame.telemetry is None or frame.intrinsics is None:
            if not self._warned_no_pose:
                logger.warning("frames from %s carry no pose: no events can be placed", frame.source_id)
                self._warned_no_pose = True
            return self.update_observations(frame.timestamp_s, [], frame=frame)
        obs: list[Observation] = []
        if len(tracked) and tracked.tracker_id is not None:
            if "east_m" in tracked.data:
                east, north = tracked.data["east_m"], tracked.data["north_m"]
                err, ok = tracked.data["error_m"], np.isfinite(tracked.data["east_m"])
                bias = tracked.data.get("bias_m", np.zeros(len(tracked)))
                nan = np.full(len(tracked), np.nan)
                ell = [tracked.data.get(k, nan) for k in ("along_m", "across_m", "bearing_deg")]
            else:
                g = self.locate(frame, tracked)
                east, north, err, ok, bias = g.east_m, g.north_m, g.error_m, g.ok, g.bias_m
                ell = [g.along_m, g.across_m, g.bearing_deg]
            conf = tracked.confidence if tracked.confidence is not None else np.ones(len(tracked))
            slant, sin_dep = self._slant_m(frame, east, north)
            ok = ok & ~self._too_big_for_a_person(frame, tracked, slant)
            lengths = self._boat_lengths(frame, tracked, slant, sin_dep)
            for i in np.flatnonzero(ok):
                obs.append(
                    Observation(
                        int(tracked.tracker_id[i]),
                        int(tracked.class_id[i]) if tracked.class_id is not None else BOAT,
                        float(east[i]),
                        float(north[i]),
                        float(err[i]),
                        float(conf[i]),
                        tuple(float(v) for v in tracked.xyxy[i]),  # type: ignore[arg-type]
                        float(bias[i]) if np.isfinite(bias[i]) else 0.0,
                        (float(ell[0][i]), float(ell[1][i]), float(ell[2][i]))
                        if all(np.isfinite(v[i]) for v in ell)
                        else None,
                        float(lengths[i]) if np.isfinite(lengths[i]) else None,
                    )
                )
        return self.update_observations(frame.timestamp_s, obs, frame=frame)

    def _too_big_for_a_person(
        self, frame: Frame, tracked: sv.Detections, slant: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.bool_]:
        """Person boxes whose longer side, at the slant range of their ground point, exceeds
        ``person_max_size_m`` (people are 1.5-2 m; the simulator's boxes at most 2.2 m)."""
        limit = self.config.person_max_size_m
        out = np.zeros(len(tracked), dtype=bool)
        intr = frame.intrinsics
        if limit is None or intr is None or tracked.class_id is None:
            return out
        person = np.asarray(tracked.class_id) == PERSON
        if not person.any():
            return out
        b = np.asarray(tracked.xyxy, dtype=np.float64)
        size = np.maximum((b[:, 2] - b[:, 0]) / intr.fx_px, (b[:, 3] - b[:, 1]) / intr.fy_px) * slant
        return person & np.isfinite(size) & (size > limit)

    def _slant_m(
        self, frame: Frame, east: npt.ArrayLike, north: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """From the camera to each ground point: the slant range (m) and the sine of the depression
        below the horizon (the sea's surface at the frame's tide)."""
        tel = frame.telemetry
        assert tel is not None
        up = max(tel.alt_m - self.site.sea_surface_m(self._frame_tide(frame.timestamp_s)), 0.1)
        de, dn = self.georef.frame.to_local(tel.lat_deg, tel.lon_deg)
        slant = np.hypot(np.hypot(np.asarray(east, dtype=np.float64) - de, np.asarray(north) - dn), up)
        return slant, up / slant

    @staticmethod
    def _boat_lengths(
        frame: Frame, tracked: sv.Detections, slant: npt.NDArray[np.float64], sin_dep: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        """Each box's length on the water as a boat (``detector.georef.boat_length_m``); NaN for people."""
        if frame.intrinsics is None or not len(tracked):
            return np.full(len(tracked), np.nan)
        boat = np.ones(len(tracked), dtype=bool) if tracked.class_id is None else tracked.class_id == BOAT
        return np.where(boat, boat_length_m(tracked.xyxy, slant, sin_dep, frame.intrinsics), np.nan)

    def update_observations(
        self,
        timestamp_s: float,
        observations: list[Observation],
        *,
        frame: Frame | None = None,
        source: str = "",
    ) -> list[Event]:
        """Advance the state machine with ground observations (the testable core of ``update``)."""
        with self._lock:
            return self._step(
                timestamp_s, observations, frame, source or (frame.source_id if frame else "engine")
            )

    def reset(self) -> None:
        with self._lock:
            self._tracks.clear()
            self._episodes.clear()
            self._gatherings.clear()

    @property
    def active_episodes(self) -> list[tuple[EventKind, str]]:
        with self._lock:
            return [
                (e.kind, e.event_id)
                for e in self._episodes + self._gatherings
                if e.state is EpisodeState.ACTIVE
            ]

    # ----- the state machine
    def _step(self, t: float, obs: list[Observation], frame: Frame | None, source: str) -> list[Event]:
        c = self.config
        out: list[Event] = []
        self.tide_m = self._frame_tide(t)
        self._tide_located = None
        if obs:
            sd_now = self.signed_distance_m([o.east_m for o in obs], [o.north_m for o in obs])
        else:
            sd_now = np.zeros(0)
        boats = [(o, sd) for o, sd in zip(obs, sd_now, strict=True) if o.class_id == BOAT]
        people = [(o, sd) for o, sd in zip(obs, sd_now, strict=True) if o.class_id == PERSON]
        ppl_xy = np.array([[o.east_m, o.north_m] for o, _ in people]) if people else np.zeros((0, 2))

        seen_now = {o.track_id for o in obs}
        for o, _sd in boats + people:
            tr = self._tracks.get(o.track_id)
            if tr is None or tr.class_id != o.class_id:
                tr = self._tracks[o.track_id] = _Track(o.track_id, o.class_id, t)
                if o.class_id == BOAT:
                    self._relink(tr, o, t, seen_now)
            tr.positions.append((t, o.east_m, o.north_m, o.error_m))
            tr.confs.append(o.confidence)
            tr.errors.append(o.error_m)
            tr.biases.append(o.bias_m)
            if o.ellipse is not None:
                tr.ellipses.append(o.ellipse)
            if o.length_m is not None:
                tr.lengths.append(o.length_m)
            tr.n_obs += 1
            tr.last_seen_s = t
            tr.xyxy = o.xyxy

        boat_smoothed: list[tuple[float, float]] = []
        for o, _ in boats:
            tr = self._tracks[o.track_id]
            e, n = self._smoothed(tr)
            boat_smoothed.append((e, n))
            sds, shifts = self._distance_and_shift(e, n)
            sd = float(sds[0])
            zone = self.zone(sd, float(shifts[0]))
            near = (
                int((np.hypot(ppl_xy[:, 0] - e, ppl_xy[:, 1] - n) <= c.people_radius_m).sum())
                if len(ppl_xy)
                else 0
            )
            if tr.n_obs < c.min_track_frames:
                if sd < 0 and near >= c.launch_min_people:
                    tr.ashore_with_people = True
                tr.note_shore_distance(sd)
                continue
            if tr.first_zone is None:
                tr.first_zone = zone
            tr.note_shore_distance(sd)
            if sd < 0 and near >= c.launch_min_people:
                tr.ashore_with_people = True
            kind: EventKind | None = None
            if (
                (tr.episode is not None and tr.episode.kind is EventKind.LAUNCH)
                or (tr.ashore_with_people and sd > c.launch_enter_m)
                or (sd > -self._edge_m(tr) and self._dragged_across_the_beach(tr))
                or (
                    tr.first_zone is Zone.SURF
                    and zone is Zone.SURF
                    and near >= c.launch_min_people
                    and float(np.median(tr.confs)) >= c.surf_launch_min_conf
                )
            ):
                kind = EventKind.LAUNCH
            elif sd >= c.offshore_m and (not c.boat_at_sea_heading_away_only or self._heading_away(tr)):
                kind = EventKind.BOAT_AT_SEA
            if kind is not None:
                ev = self._touch(tr, kind, t, e, n, near, zone, sd, frame, source)
                if ev is not None:
                    out.append(ev)

        # the boats seen in this frame: the first len(boats) rows of boat_xy, in the same order
        boat_boxes = _grown_boxes([o.xyxy for o, _ in boats], c.aboard_box_margin)
        if people:  # only a person can be aboard a boat that is out of view
            boat_smoothed.extend(self._recently_lost_boats(t, seen_now))
        boat_xy = np.array(boat_smoothed) if boat_smoothed else np.zeros((0, 2))
        for o, _ in people:
            tr = self._tracks[o.track_id]
            if tr.n_obs < c.min_track_frames:
                continue
            e, n = self._smoothed(tr)
            sd = float(self.signed_distance_m(e, n)[0])
            ground = np.hypot(boat_xy[:, 0] - e, boat_xy[:, 1] - n)
            aboard = bool((ground <= c.aboard_radius_m).any()) or bool(
                (_touching(boat_boxes, o.xyxy) & (ground[: len(boat_boxes)] <= c.aboard_box_max_m)).any()
            )
            if sd >= c.person_in_water_m and not aboard:
                if tr.in_water_since_s is None:
                    tr.in_water_since_s = t
                if t - tr.in_water_since_s >= c.person_in_water_s:
                    ev = self._touch(
                        tr, EventKind.PERSON_IN_WATER, t, e, n, 1, self.zone(sd), sd, frame, source
                    )
                    if ev is not None:
                        out.append(ev)
                    continue
            else:
                tr.in_water_since_s = None
            if tr.episode is not None and tr.episode.kind is EventKind.PERSON_IN_WATER:
                tr.episode.last_seen_s = t  # still in view (e.g. pulled aboard): keep the episode alive

        out.extend(self._gatherings_step(t, people, frame, source))
        self._expire(t)
        return out

    def _recently_lost_boats(self, t: float, seen_now: set[int]) -> list[tuple[float, float]]:
        """Where the boats lost less than ``aboard_memory_s`` ago would be now."""
        out = []
        for tr in self._tracks.values():
            if tr.class_id != BOAT or tr.track_id in seen_now or not tr.positions:
                continue
            gap = t - tr.last_seen_s
            if gap > self.config.aboard_memory_s:
                continue
            e, n = self._smoothed(tr)
            v = self._velocity(tr)
            if v is not None:
                e, n = e + v[0] * gap, n + v[1] * gap
            out.append((e, n))
        return out

    def _relink(self, tr: _Track, o: Observation, t: float, seen_now: set[int]) -> None:
        """A new boat track near where another boat was lost less than ``relink_s`` ago is that
        boat found again (surf, spray and the people boarding it hide an inflatable for seconds,
        and the tracker then starts a new id): it inherits what the lost one had shown (ashore,
        dragged, people around, its episode), so a launch is not forgotten at the waterline."""
        c = self.config
        best: _Track | None = None
        best_d = c.relink_radius_m
        for old in self._tracks.values():
            if old is tr or old.class_id != BOAT or old.track_id in seen_now or not old.positions:
                continue
            if t - old.last_seen_s > c.relink_s:
                continue
            _, e, n, _ = old.positions[-1]
            d = math.hypot(o.east_m - e, o.north_m - n)
            if d <= best_d:
                best, best_d = old, d
        if best is None:
            return
        tr.min_sd_m = best.min_sd_m
        tr.max_sd_ashore_m = best.max_sd_ashore_m
        tr.ashore_with_people = best.ashore_with_people
        tr.first_zone = best.first_zone
        tr.episode = best.episode
        del self._tracks[best.track_id]

    def _dragged_across_the_beach(self, tr: _Track) -> bool:
        """Seen moving seaward on the sand by at least ``launch_drag_m`` and by more than its
        position uncertainty (a constant georeferencing bias shifts a track but does not move it;
        a far boat placed to within tens of metres does not 'travel' up a beach)."""
        drag = self.config.launch_drag_m
        if drag is None or not math.isfinite(tr.max_sd_ashore_m):
            return False
        return tr.max_sd_ashore_m - tr.min_sd_m >= max(drag, float(np.median(tr.errors)))

    def _edge_m(self, tr: _Track) -> float:
        """How near the water's edge a dragged boat counts as in the water: ``launch_edge_m``, or
        the track's own one-sigma position error where that is larger (a pitch or altitude bias
        keeps a boat afloat in the surf metres up the sand), at most ``launch_edge_max_m``."""
        c = self.config
        err = float(np.median(tr.errors)) if tr.errors else 0.0
        return max(c.launch_edge_m, min(err, c.launch_edge_max_m))

    def _smoothed(self, tr: _Track) -> tuple[float, float]:
        k = self.config.smooth_frames
        recent = list(tr.positions)[-k:]
        return float(np.median([p[1] for p in recent])), float(np.median([p[2] for p in recent]))

    def _velocity(self, tr: _Track, window_s: float = 5.0) -> tuple[float, float] | None:
        pts = [p for p in tr.positions if p[0] >= tr.last_seen_s - window_s]
        if len(pts) < 3 or pts[-1][0] - pts[0][0] < 1.0:
            return None
        ts = np.array([p[0] for p in pts])
        ve = float(np.polyfit(ts, [p[1] for p in pts], 1)[0])
        vn = float(np.polyfit(ts, [p[2] for p in pts], 1)[0])
        return ve, vn

    def _heading_away(self, tr: _Track) -> bool:
        pts = list(tr.positions)
        if len(pts) < 4:
            return False
        half = len(pts) // 2
        a = self.signed_distance_m(
            np.median([p[1] for p in pts[:half]]), np.median([p[2] for p in pts[:half]])
        )[0]
        b = self.signed_distance_m(
            np.median([p[1] for p in pts[half:]]), np.median([p[2] for p in pts[half:]])
        )[0]
        return bool(b - a > 2.0)

    def _find_episode(
        self, kinds: tuple[EventKind, ...], e: float, n: float, t: float, left: _Episode | None = None
    ) -> _Episode | None:
        """An active or cooling-down episode of one of ``kinds`` near (e, n) with no live track, or
        a launch under way within ``launch_join_radius_m`` whether its boat is tracked or not, or
        a boat remembered staying put (``stationary_memory_s``) where it stood; never ``left``,
        the one the asking track has just left."""
        c = self.config
        best, best_d = None, math.inf
        attached = {
            id(tr.episode)
            for tr in self._tracks.values()
            if tr.episode is not None and t - tr.last_seen_s < 1.0
        }
        for ep in self._episodes:
            if ep.kind not in kinds or ep is left:
                continue
            d = math.hypot(ep.east_m - e, ep.north_m - n)
            if t - ep.last_seen_s > c.end_after_s + c.cooldown_s:
                if not (
                    t - ep.last_seen_s <= c.end_after_s + c.stationary_memory_s
                    and self._stayed_put(ep)
                    and _from_anchor(ep, e, n) <= self._still_radius(ep)
                ):
                    continue
                d = -1.0  # where a still object stood: itself, found again
            if id(ep) in attached and not (ep.kind is EventKind.LAUNCH and d <= c.launch_join_radius_m):
                continue
            if d <= c.cooldown_radius_m and d < best_d:
                best, best_d = ep, d
        return best

    def _still_radius(self, ep: _Episode) -> float:
        """How far a still object may seem to wander: its position jumps by its stated error
        from one pass to the next (at most ``cooldown_radius_m``)."""
        return near_radius_m(self.config.stationary_radius_m, self.config.cooldown_radius_m, ep.error_m)

    def _stayed_put(self, ep: _Episode) -> bool:
        """A boat at sea watched for ``stationary_min_s`` or more without leaving its place."""
        c = self.config
        return (
            ep.kind is EventKind.BOAT_AT_SEA
            and c.stationary_memory_s > 0
            and ep.last_seen_s - ep.first_seen_s >= c.stationary_min_s
            and ep.max_offset_m <= self._still_radius(ep)
        )

    def _touch(
        self,
        tr: _Track,
        kind: EventKind,
        t: float,
        e: float,
        n: float,
        people: int,
        zone: Zone,
        sd: float,
        frame: Frame | None,
        source: str,
    ) -> Event | None:
        c = self.config
        ep = tr.episode
        left = None
        if ep is not None and ep.found_again and _from_anchor(ep, e, n) > self._still_radius(ep):
            # a remembered still object's place, left: this one is moving, a new alert (the
            # remembered one stays where it stood)
            ep.found_again = False
            left, ep = ep, None
        if ep is None or ep.kind is not kind:
            family = tuple(k for k in EventKind if continues(k, kind))
            found = self._find_episode(family, e, n, t, left)
            if found is not None and t - found.last_seen_s > c.end_after_s + c.cooldown_s:
                found.found_again = True  # only a still object is remembered that long
            if found is not None and found.kind is EventKind.LAUNCH:
                kind = EventKind.LAUNCH  # the launched boat, found again offshore
            if found is None or (found.kind is not kind):
                found = _Episode(kind, uuid.uuid4().hex, t, e, n, t)
                self._episodes.append(found)
            if (
                ep is not None
                and ep is not found
                and ep.kind is EventKind.BOAT_AT_SEA
                and kind is EventKind.LAUNCH
            ):
                ep.state = EpisodeState.ENDED
            ep = tr.episode = found
        ep.state = EpisodeState.ACTIVE
        ep.last_seen_s = t
        ep.east_m, ep.north_m = e, n
        ep.error_m = math.hypot(float(np.median(tr.errors)), float(np.median(tr.biases)))
        if ep.anchor is None:
            ep.anchor = (e, n)
        ep.max_offset_m = max(ep.max_offset_m, _from_anchor(ep, e, n))
        if not ep.points or t - ep.points[-1].timestamp_s >= 1.0:
            lat, lon = self.site.frame.to_geo(e, n)
            ep.points.append(TrackPoint(t, lat, lon))
        moved = math.hypot(e - ep.last_emit_pos[0], n - ep.last_emit_pos[1]) if ep.revision >= 0 else math.inf
        changed = (
            ep.revision < 0
            or moved >= c.update_distance_m
            or people != ep.last_people
            or zone != ep.last_zone
        )
        if not changed or t - ep.last_emit_s < c.update_min_interval_s:
            return None
        vel = self._velocity(tr)
        heading = speed = None
        if vel is not None:
            speed = math.hypot(*vel)
            heading = heading_from_velocity(*vel) if speed > 0.2 else None
        ep.revision += 1
        ep.last_emit_s = t
        ep.last_emit_pos = (e, n)
        ep.last_people = people
        ep.last_zone = zone
        return self._event(
            ep,
            t,
            e,
            n,
            people,
            ep.error_m,
            float(np.mean(tr.confs)),
            heading,
            speed,
            source,
            frame,
            [tr.xyxy],
            (
                ("zone", str(zone)),
                ("distance_to_waterline_m", f"{sd:.0f}"),
                ("track_id", str(tr.track_id)),
                *self._ellipse_details(tr),
                *self._length_details(tr),
            ),
        )

    @staticmethod
    def _length_details(tr: _Track) -> tuple[tuple[str, str], ...]:
        """A boat's estimated length (median of the track's last boxes; whole metres)."""
        if tr.class_id != BOAT or not tr.lengths:
            return ()
        return ((BOAT_LENGTH_DETAIL, f"{float(np.median(tr.lengths)):.0f}"),)

    @staticmethod
    def _ellipse_details(tr: _Track) -> tuple[tuple[str, str], ...]:
        """The position's error ellipse (one sigma): long along the drone's line of sight, narrow
        across it (medians of the track's last observations; the latest line of sight)."""
        if not tr.ellipses:
            return ()
        along = float(np.median([e[0] for e in tr.ellipses]))
        across = float(np.median([e[1] for e in tr.ellipses]))
        values = (f"{along:.0f}", f"{across:.0f}", f"{tr.ellipses[-1][2]:.0f}")
        return tuple(zip(ERROR_ELLIPSE_DETAILS, values, strict=True))

    def _event(
        self,
        ep: _Episode,
        t: float,
        e: float,
        n: float,
        people: int,
        err: float,
        conf: float,
        heading: float | None,
        speed: float | None,
        source: str,
        frame: Frame | None,
        boxes: list[tuple[float, float, float, float]],
        details: tuple[tuple[str, str], ...],
    ) -> Event:
        lat, lon = self.site.frame.to_geo(e, n)
        beach = self._beach_name(lat, lon)
        if beach:
            details = (*details, ("beach", beach))
        if frame is not None and frame.telemetry is not None:
            details = (*details, (CAMERA_ALT_DETAIL, f"{frame.telemetry.alt_m:.0f}"))
        if self.tide_m is not None:
            shift = float(self.site.water_edge_shift_m(e, n, self.tide_m)[0])
            details = (
                *details,
                ("tide_m", f"{self.tide_m:.1f}"),
                ("water_edge_beyond_waterline_m", f"{shift:.0f}"),
                ("sea_surface_m", f"{self.site.sea_surface_m(self.tide_m):+.1f}"),
            )
        snap = (
            _snapshot(frame, boxes, ep.kind, self.config.snapshot_max_px)
            if (frame is not None and self.config.snapshot)
            else None
        )
        pts = ep.points[:: max(1, len(ep.points) // 50)] if len(ep.points) > 50 else ep.points
        return Event(
            event_id=ep.event_id,
            kind=ep.kind,
            severity=SEVERITY[ep.kind],
            timestamp_s=t,
            lat_deg=lat,
            lon_deg=lon,
            position_error_m=max(0.0, err if math.isfinite(err) else 1e6),
            confidence=min(1.0, max(0.0, conf)),
            source=source,
            people_count=people,
            heading_deg=heading,
            speed_mps=speed,
            revision=ep.revision,
            first_seen_s=ep.first_seen_s,
            track=tuple(pts),
            snapshot_jpeg=snap,
            details=details,
        )

    def _beach_name(self, lat: float, lon: float) -> str:
        p = shapely.Point(lon, lat)
        for b in self.site.beaches:
            if b.geometry.distance(p) < 0.003:
                return b.name
        return ""

    def _gatherings_step(
        self, t: float, people: list[tuple[Observation, float]], frame: Frame | None, source: str
    ) -> list[Event]:
        c = self.config
        if not _in_hours(t, c.gathering_hours_utc):
            return []
        cand = []
        for o, _ in people:
            tr = self._tracks[o.track_id]
            if tr.n_obs < c.min_track_frames:
                continue
            e, n = self._smoothed(tr)
            cand.append((o, e, n))
        if len(cand) < c.gathering_min_people:
            return []
        xy = np.array([[e, n] for _, e, n in cand])
        sd, shift = self._distance_and_shift(xy[:, 0], xy[:, 1])
        on_beach = (sd >= -(c.beach_depth_m + shift)) & (sd < c.surf_zone_m)
        idx = np.flatnonzero(on_beach)
        out: list[Event] = []
        for cluster in _clusters(xy[idx], c.gathering_radius_m, c.gathering_min_people):
            if len(cluster) < c.gathering_min_people:
                continue
            members = idx[cluster]
            ce, cn = (float(v) for v in xy[members].mean(axis=0))
            ep = None
            for g in self._gatherings:
                if t - g.last_seen_s <= c.end_after_s + c.cooldown_s and math.hypot(
                    g.east_m - ce, g.north_m - cn
                ) <= max(c.cooldown_radius_m, 2 * c.gathering_radius_m):
                    ep = g
                    break
            if ep is None:
                ep = _Episode(EventKind.GATHERING, uuid.uuid4().hex, t, ce, cn, t)
                self._gatherings.append(ep)
            ep.state = EpisodeState.ACTIVE
            ep.last_seen_s = t
            ep.east_m, ep.north_m = ce, cn
            count = len(members)
            moved = (
                math.hypot(ce - ep.last_emit_pos[0], cn - ep.last_emit_pos[1])
                if ep.revision >= 0
                else math.inf
            )
            significant = (
                ep.revision < 0
                or moved >= c.update_distance_m
                or abs(count - ep.last_people) >= max(2, ep.last_people // 5)
            )
            if not significant or t - ep.last_emit_s < c.update_min_interval_s:
                continue
            ep.revision += 1
            ep.last_emit_s = t
            ep.last_emit_pos = (ce, cn)
            ep.last_people = count
            if not ep.points or t - ep.points[-1].timestamp_s >= 1.0:
                lat, lon = self.site.frame.to_geo(ce, cn)
                ep.points.append(TrackPoint(t, lat, lon))
            err = math.hypot(
                float(np.median([cand[m][0].error_m for m in members])),
                float(np.median([cand[m][0].bias_m for m in members])),
            )
            conf = float(np.mean([cand[m][0].confidence for m in members]))
            boxes = [cand[m][0].xyxy for m in members]
            out.append(
                self._event(
                    ep, t, ce, cn, count, err, conf, None, None, source, frame, boxes, (("zone", "beach"),)
                )
            )
        return out

    def _expire(self, t: float) -> None:
        c = self.config
        for tid in [k for k, tr in self._tracks.items() if t - tr.last_seen_s > c.end_after_s]:
            del self._tracks[tid]
        for ep in self._episodes + self._gatherings:
            if ep.state is EpisodeState.ACTIVE and t - ep.last_seen_s > c.end_after_s:
                ep.state = EpisodeState.ENDED
        horizon = c.end_after_s + c.cooldown_s
        still = c.end_after_s + c.stationary_memory_s
        self._episodes = [
            e
            for e in self._episodes
            if t - e.last_seen_s <= horizon or (t - e.last_seen_s <= still and self._stayed_put(e))
        ]
        self._gatherings = [e for e in self._gatherings if t - e.last_seen_s <= horizon]


def _clusters(xy: npt.NDArray[np.float64], radius: float, min_people: int = 1) -> list[npt.NDArray[np.int64]]:
    """Density clusters (DBSCAN): a person with at least ``min_people`` people (themself
    included) within ``radius`` is a core; cores within ``radius`` of each other join, and the
    people near a core belong to its cluster. Unlike single linkage, a beach of scattered
    walkers never chains into one "gathering"."""
    n = len(xy)
    if not n:
        return []
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    near = d <= radius
    core = near.sum(axis=1) >= min_people
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(*np.nonzero(np.triu(near & core[:, None] & core[None, :], 1)), strict=True):
        parent[find(int(i))] = find(int(j))
    groups: dict[int, list[int]] = {}
    for i in range(n):
        if core[i]:
            groups.setdefault(find(i), []).append(i)
        else:
            cores = np.flatnonzero(near[i] & core)
            if len(cores):  # a border person joins the nearest core's cluster
                groups.setdefault(find(int(cores[np.argmin(d[i, cores])])), []).append(i)
    return [np.asarray(g, dtype=np.int64) for g in groups.values()]


_COLOURS = {
    EventKind.LAUNCH: (0, 0, 255),
    EventKind.PERSON_IN_WATER: (0, 0, 255),
    EventKind.BOAT_AT_SEA: (0, 165, 255),
    EventKind.GATHERING: (0, 255, 255),
}


def _snapshot(
    frame: Frame, boxes: list[tuple[float, float, float, float]], kind: EventKind, max_px: int
) -> bytes | None:
    img = frame.image.copy()
    colour = _COLOURS[kind]
    for x0, y0, x1, y1 in boxes:
        pad = 6
        cv2.rectangle(img, (int(x0) - pad, int(y0) - pad), (int(x1) + pad, int(y1) + pad), colour, 2)
    cv2.putText(img, str(kind), (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, colour, 2, cv2.LINE_AA)
    h, w = img.shape[:2]
    s = min(1.0, max_px / max(h, w))
    if s < 1.0:
        img = np.asarray(
            cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA), np.uint8
        )
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return bytes(buf) if ok else None


def _grown_boxes(boxes: list[tuple[float, float, float, float]], margin: float) -> np.ndarray:
    """Pixel boxes (N x 4) grown on every side by ``margin`` times their longer side; boxes of no
    area (an observation without one) become empty boxes that touch nothing."""
    b = np.array(boxes, dtype=np.float64).reshape(-1, 4)
    grow = margin * np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
    has = (b[:, 2] > b[:, 0]) & (b[:, 3] > b[:, 1]) & (margin > 0)
    out = b + np.stack([-grow, -grow, grow, grow], axis=1)
    out[~has] = (0.0, 0.0, -1.0, -1.0)
    return out


def _touching(boxes: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """Which of ``boxes`` overlap ``box`` (a box of no area touches nothing)."""
    x0, y0, x1, y1 = box
    if x1 <= x0 or y1 <= y0:
        return np.zeros(len(boxes), dtype=bool)
    return (boxes[:, 0] <= x1) & (boxes[:, 2] >= x0) & (boxes[:, 1] <= y1) & (boxes[:, 3] >= y0)
