"""Scenario files: what happens in the simulated world, and how the scripted drone flies over it.

A scenario is one YAML file (built-ins live in ``flight/sim/scenarios/``). Positions are given in
a *shore frame* anchored at a site launch point: the anchor is moved onto the nearest point of the
waterline, ``along_m`` runs along the shore (to the right when looking out to sea) and
``offshore_m`` points out to sea (negative values are on the beach / inland).

Errors::

    ScenarioError (ValueError)   the file is missing, not YAML, or does not validate; the message
                                 names the field and what was expected.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

logger = logging.getLogger(__name__)

SCENARIO_DIR = Path(__file__).parent / "scenarios"

BoatKind = Literal[
    "inflatable", "rib", "fishing", "yacht", "sailboat", "motorboat", "ferry", "tanker", "kayak", "windsurf"
]


class ScenarioError(ValueError):
    """A scenario file is missing, malformed or invalid."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ShorePoint(_Model):
    along_m: float = Field(0.0, ge=-20000, le=20000, description="metres along the shore from the anchor")
    offshore_m: float = Field(0.0, ge=-3000, le=20000, description="metres out to sea (negative: inland)")


class LaunchActor(_Model):
    """A group walks to the beach carrying a deflated boat, inflates it, drags it into the surf,
    boards and motors out to sea."""

    type: Literal["launch"]
    anchor: str = Field("Wissant", description="site launch point the shore frame is anchored at")
    along_m: float = Field(0.0, ge=-20000, le=20000, description="launch spot along the shore")
    people: int = Field(30, ge=1, le=80, description="number of people in the group")
    boat_kind: BoatKind = Field("inflatable", description="kind of boat launched")
    boat_length_m: float = Field(9.0, ge=2, le=20, description="hull length")
    t_start_s: float = Field(0.0, ge=0, description="when the group starts walking from the dunes")
    walk_from_m: float = Field(-90.0, ge=-1000, le=-10, description="offshore_m where the walk starts")
    inflate_at_m: float = Field(-30.0, ge=-500, le=-2, description="offshore_m where the boat is inflated")
    walk_speed_mps: float = Field(1.3, gt=0, le=4, description="walking speed")
    inflate_s: float = Field(25.0, ge=0, le=1200, description="time to inflate the boat")
    drag_speed_mps: float = Field(1.0, gt=0, le=3, description="speed dragging the boat to the water")
    board_s: float = Field(20.0, ge=0, le=600, description="time spent boarding in the shallows")
    sea_speed_mps: float = Field(2.5, gt=0, le=15, description="speed once under way")
    course_deg: float = Field(0.0, ge=-90, le=90, description="course relative to straight out to sea")


class WalkersActor(_Model):
    type: Literal["walkers"]
    anchor: str = Field("Wissant", description="site launch point the shore frame is anchored at")
    count: int = Field(8, ge=1, le=200, description="number of walkers")
    along_m: float = Field(0.0, ge=-20000, le=20000, description="centre of the group along the shore")
    spread_m: float = Field(200.0, gt=0, le=5000, description="spread along the shore")
    offshore_min_m: float = Field(-120.0, ge=-1000, le=50, description="nearest-to-dunes offshore_m")
    offshore_max_m: float = Field(-5.0, ge=-1000, le=50, description="nearest-to-sea offshore_m")
    dogs: int = Field(0, ge=0, le=50, description="dogs running with them")


class BoatActor(_Model):
    type: Literal["boat"]
    anchor: str = Field("Wissant", description="site launch point the shore frame is anchored at")
    kind: BoatKind = Field("fishing", description="kind of boat")
    length_m: float | None = Field(None, ge=2, le=300, description="hull length (default by kind)")
    start: ShorePoint = Field(
        default_factory=lambda: ShorePoint.model_validate({}), description="position at t=0"
    )
    course_deg: float = Field(
        0.0,
        ge=-180,
        le=180,
        description="course relative to the shore frame (0 = straight out to sea, 90 = along the shore)",
    )
    speed_mps: float = Field(3.0, ge=0, le=20, description="speed over ground")
    people: int = Field(-1, ge=-1, le=80, description="people aboard (-1: default by kind)")


class SwimmerActor(_Model):
    type: Literal["swimmer"]
    anchor: str = Field("Wissant", description="site launch point the shore frame is anchored at")
    start: ShorePoint = Field(
        default_factory=lambda: ShorePoint.model_validate({"offshore_m": 60}), description="position at t=0"
    )
    drift_mps: float = Field(0.2, ge=0, le=3, description="drift speed along the shore")


class VehicleActor(_Model):
    type: Literal["vehicle"]
    anchor: str = Field("Wissant", description="site launch point the shore frame is anchored at")
    start: ShorePoint = Field(
        default_factory=lambda: ShorePoint.model_validate({"offshore_m": -250}), description="position at t=0"
    )
    speed_mps: float = Field(8.0, ge=0, le=40, description="speed along the shore")


Actor = Annotated[
    LaunchActor | WalkersActor | BoatActor | SwimmerActor | VehicleActor, Field(discriminator="type")
]


class TelemetryError(_Model):
    """How far the pose a drone reports for a frame is from the pose its camera had (one sigma;
    ``flight.sim.telemetry_error``). The defaults are a typical small drone with a standalone GNSS
    receiver, a calibrated compass and a stabilised gimbal (assumptions, not measured on a drone);
    ``TelemetryError.none()`` reports the truth."""

    gnss_sigma_m: float = Field(1.5, ge=0, le=50, description="GNSS horizontal error per axis")
    gnss_tau_s: float = Field(60.0, gt=0, le=3600, description="how long the GNSS error takes to wander")
    altitude_sigma_m: float = Field(1.5, ge=0, le=50, description="bias of the altitude above sea level")
    heading_sigma_deg: float = Field(1.0, ge=0, le=20, description="bias of the camera's heading")
    pitch_sigma_deg: float = Field(0.5, ge=0, le=20, description="bias of the gimbal's pitch")
    attitude_jitter_deg: float = Field(0.1, ge=0, le=5, description="frame-to-frame heading and pitch noise")
    latency_s: float = Field(0.1, ge=0, le=5, description="how much older the telemetry is than the picture")

    @classmethod
    def scaled(cls, k: float) -> TelemetryError:
        """Every typical error times ``k`` (the GNSS error's wander time kept)."""
        typical = cls().model_dump()
        return cls(**{f: v if f == "gnss_tau_s" else k * v for f, v in typical.items()})

    @classmethod
    def none(cls) -> TelemetryError:
        return cls.scaled(0.0)

    @classmethod
    def preset(cls, name: str) -> TelemetryError:
        """``none``, ``typical`` (the defaults) or ``poor`` (twice every typical error: an
        uncalibrated compass, a drifting barometer, a weak fix)."""
        scale = {"none": 0.0, "typical": 1.0, "poor": 2.0}.get(name)
        if scale is not None:
            return cls.scaled(scale)
        raise ScenarioError(
            f"telemetry error preset must be one of {', '.join(TELEMETRY_ERROR_PRESETS)}, got {name!r}"
        )


TELEMETRY_ERROR_PRESETS = ("none", "typical", "poor")


class DroneFlight(_Model):
    """A scripted flight (no MAVLink): straight legs between shore-frame waypoints at constant
    speed and altitude; the camera either looks at ``look_at`` or at ``camera_yaw_rel_deg`` from
    the sea-facing direction."""

    anchor: str = Field("Wissant", description="site launch point the shore frame is anchored at")
    waypoints: tuple[ShorePoint, ...] = Field(
        (
            ShorePoint.model_validate({"along_m": -250, "offshore_m": -60}),
            ShorePoint.model_validate({"along_m": 250, "offshore_m": -60}),
        ),
        min_length=1,
        description="the path, in shore-frame metres",
    )
    alt_m: float = Field(60.0, ge=2, le=500, description="altitude above sea level")
    speed_mps: float = Field(4.0, gt=0, le=30, description="ground speed")
    gimbal_pitch_deg: float = Field(-35.0, ge=-90, le=0, description="camera pitch")
    look_at: ShorePoint | None = Field(None, description="point the camera keeps looking at")
    camera_yaw_rel_deg: float = Field(0.0, ge=-180, le=180, description="camera yaw from sea-facing")
    fps: float = Field(10.0, gt=0, le=60, description="frame rate of rendered clips")
    telemetry_error: TelemetryError = Field(
        default_factory=TelemetryError,
        description="what the drone's reported pose gets wrong (the camera renders the true pose)",
    )


class Scenario(_Model):
    name: str = Field(description="short identifier")
    description: str = Field("", description="what happens, for humans")
    site: str | None = Field(None, description="site file or built-in name (default: the Opal Coast)")
    duration_s: float = Field(120.0, gt=0, le=7200, description="scenario length")
    time_of_day_h: float = Field(12.0, ge=0, le=24, description="local solar time")
    weather: Literal["clear", "hazy", "overcast"] = Field("clear", description="sky and light")
    sea_state: int = Field(2, ge=0, le=6, description="Douglas sea state")
    tide_m: float | None = Field(
        None,
        ge=-5,
        le=20,
        description=(
            "tide height above the site's datum (properties.tide); on beaches with a drying_m the "
            "sea stands that far out and actors' offshore_m count from that water's edge; "
            "default: the water at the mapped waterline"
        ),
    )
    drone: DroneFlight = Field(
        default_factory=lambda: DroneFlight.model_validate({}),
        description="scripted drone flight for renders",
    )
    actors: tuple[Actor, ...] = Field((), description="what moves in the world")


def builtin_scenarios() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def parse_scenario(data: object, *, source: str = "<scenario>") -> Scenario:
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: expected a mapping at the top level, got {type(data).__name__}")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            loc = ".".join(str(x) for x in err["loc"])
            parts.append(f"{loc}: {err['msg']} (got {err.get('input')!r})")
        raise ScenarioError(f"{source}: invalid scenario: " + "; ".join(parts)) from exc


def load_scenario(path_or_name: str | Path) -> Scenario:
    """Load a scenario YAML file, or a built-in one by name (see ``builtin_scenarios()``)."""
    p = Path(path_or_name)
    if not p.is_file():
        cand = SCENARIO_DIR / f"{path_or_name}.yaml"
        if cand.is_file():
            p = cand
        else:
            raise ScenarioError(
                f"scenario {str(path_or_name)!r} not found: expected a YAML file or one of "
                f"{', '.join(builtin_scenarios())}"
            )
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{p}: not valid YAML: {exc}") from exc
    return parse_scenario(data, source=str(p))
