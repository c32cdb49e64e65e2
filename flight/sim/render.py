"""Recording clips from a scenario: the scripted drone flight, the MP4, ground truth and telemetry.

``record_clip(scenario, out_mp4, seconds=None, seed=0)`` writes next to ``clip.mp4``:

* ``clip.gt.json``        one entry per frame: index, time, objects (class, box, id, lat/lon, occlusion)
* ``clip.mot.txt``        MOT-style tracks: ``frame,id,x,y,w,h,1,class_id,visibility`` (frames from 1)
* ``clip.telemetry.jsonl`` the drone's ``Telemetry`` for each frame, in order: the pose it
  *reports*, with the scenario's telemetry errors (``drone.telemetry_error``), while the pictures
  and ``gt.json`` come from the true pose

Errors::

    RecordError (RuntimeError)   the video file could not be written.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from flight.sim.camera import SimCamera
from flight.sim.scenario import DroneFlight, Scenario, TelemetryError
from flight.sim.telemetry_error import TelemetryErrorProcess
from flight.sim.world import World
from shorewatch.site import load_site
from shorewatch.types import DEFAULT_INTRINSICS, CameraIntrinsics, Frame, GroundTruthObject, Telemetry

logger = logging.getLogger(__name__)


class RecordError(RuntimeError):
    """A clip could not be written."""


class ScriptedFlight:
    """The drone of a scenario's ``drone:`` block: constant speed along the waypoints (back and
    forth), constant altitude, camera looking at ``look_at`` or sea-facing + ``camera_yaw_rel_deg``.
    ``telemetry(t)`` is the true pose, what the camera renders from; ``reported(t)`` what the drone
    says it was for the frame at ``t`` (``telemetry_error``: the flight's ``telemetry_error``
    unless given; drawn from the world's seed)."""

    def __init__(
        self, world: World, flight: DroneFlight, telemetry_error: TelemetryError | None = None
    ) -> None:
        self.world = world
        self.flight = flight
        self.errors = TelemetryErrorProcess(
            telemetry_error or flight.telemetry_error, world.seed, world.site.frame
        )
        fr = world.shore_frame(flight.anchor)
        self.fr = fr
        a = np.array([w.along_m for w in flight.waypoints])
        o = np.array([w.offshore_m for w in flight.waypoints])
        e, n = fr.to_local(a, o)
        self.pts = np.stack([np.atleast_1d(e), np.atleast_1d(n)], axis=1)
        seg = np.linalg.norm(np.diff(self.pts, axis=0), axis=1) if len(self.pts) > 1 else np.zeros(0)
        self.cum = np.concatenate([[0.0], np.cumsum(seg)])
        self.look = None
        if flight.look_at is not None:
            le, ln = fr.to_local(flight.look_at.along_m, flight.look_at.offshore_m)
            self.look = (float(le), float(ln))

    def position(self, t_s: float) -> tuple[float, float, float]:
        """(east, north, heading_deg) at time ``t_s``."""
        total = float(self.cum[-1])
        if total <= 0:
            e, n = self.pts[0]
            return float(e), float(n), self.fr.seaward_heading_deg()
        s = (t_s * self.flight.speed_mps) % (2 * total)
        forward = s <= total
        s = s if forward else 2 * total - s
        e = float(np.interp(s, self.cum, self.pts[:, 0]))
        n = float(np.interp(s, self.cum, self.pts[:, 1]))
        i = min(int(np.searchsorted(self.cum, s, side="right")) - 1, len(self.pts) - 2)
        d = self.pts[i + 1] - self.pts[i]
        if not forward:
            d = -d
        return e, n, math.degrees(math.atan2(d[0], d[1])) % 360

    def telemetry(self, t_s: float, vehicle_id: str = "drone-1") -> Telemetry:
        e, n, hdg = self.position(t_s)
        if self.look is not None:
            cam_yaw = math.degrees(math.atan2(self.look[0] - e, self.look[1] - n)) % 360
        else:
            cam_yaw = (self.fr.seaward_heading_deg() + self.flight.camera_yaw_rel_deg) % 360
        gimbal_yaw = ((cam_yaw - hdg + 180) % 360) - 180
        lat, lon = self.world.site.frame.to_geo(e, n)
        return Telemetry(
            timestamp_s=t_s,
            lat_deg=lat,
            lon_deg=lon,
            alt_m=self.flight.alt_m,
            heading_deg=hdg,
            gimbal_pitch_deg=self.flight.gimbal_pitch_deg,
            gimbal_yaw_deg=gimbal_yaw,
            rel_alt_m=self.flight.alt_m,
            ground_speed_mps=self.flight.speed_mps,
            mode="AUTO",
            armed=True,
            battery_pct=max(0.0, 100.0 - t_s / 18.0),
        )

    def reported(self, t_s: float, vehicle_id: str = "drone-1") -> Telemetry:
        """The telemetry paired with the frame taken at ``t_s``: the pose ``latency_s`` earlier,
        with the GNSS, altitude and attitude errors. Call with non-decreasing times."""
        lag = self.errors.model.latency_s
        return self.errors.apply(self.telemetry(max(0.0, t_s - lag), vehicle_id), t_s)

    def frame_at(self, camera: SimCamera, t_s: float) -> tuple[Frame, list[GroundTruthObject]]:
        """The camera's picture at ``t_s`` (rendered from the true pose, the world already stepped
        to ``t_s``) carrying the reported telemetry, and the ground truth."""
        frame, truth = camera.render(self.telemetry(t_s))
        return dataclasses.replace(frame, telemetry=self.reported(t_s)), truth


@dataclass(frozen=True, slots=True)
class ClipInfo:
    video: Path
    frames: int
    fps: float
    codec: str
    width_px: int
    height_px: int
    launch_time_s: float | None


def frames_of(
    scenario: Scenario,
    *,
    seconds: float | None = None,
    seed: int = 0,
    intrinsics: CameraIntrinsics | None = None,
    start_s: float = 0.0,
    telemetry_error: TelemetryError | None = None,
) -> Iterator[tuple[Frame, list[GroundTruthObject]]]:
    """Render a scenario's scripted flight frame by frame, from scenario time ``start_s``
    (timestamps stay scenario time). Frames carry the reported pose (``telemetry_error``, default
    the scenario's ``drone.telemetry_error``; ``TelemetryError.none()``: the true pose)."""
    site = load_site(scenario.site)
    world = World(site, scenario, seed)
    cam = SimCamera(world, intrinsics or DEFAULT_INTRINSICS, seed=seed)
    flight = ScriptedFlight(world, scenario.drone, telemetry_error)
    fps = scenario.drone.fps
    dur = max(0.0, scenario.duration_s - start_s)
    dur = dur if seconds is None else min(seconds, dur)
    for i in range(round(dur * fps)):
        t = start_s + i / fps
        world.step_to(t)
        yield flight.frame_at(cam, t)


def open_writer(path: Path, fps: float, size: tuple[int, int]) -> tuple[object, str]:
    import cv2

    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # a failed avc1 try is expected
    try:
        for fourcc in ("avc1", "mp4v"):
            w = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), fps, size)
            if w.isOpened():
                if fourcc != "avc1":
                    logger.info("this OpenCV build cannot write H.264; wrote MPEG-4 Part 2 (mp4v)")
                return w, fourcc
            w.release()
    finally:
        cv2.utils.logging.setLogLevel(level)
    raise RecordError(f"OpenCV could not open a video writer for {path} (tried avc1, mp4v)")


def record_clip(
    scenario: Scenario,
    out: Path,
    *,
    seconds: float | None = None,
    seed: int = 0,
    width_px: int = 1280,
    height_px: int = 720,
    start_s: float = 0.0,
    progress: Callable[[int, int], None] | None = None,
) -> ClipInfo:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    intr = (
        DEFAULT_INTRINSICS
        if (width_px, height_px) == (1280, 720)
        else CameraIntrinsics.from_hfov(width_px, height_px, DEFAULT_INTRINSICS.hfov_deg)
    )
    fps = scenario.drone.fps
    if not (0 <= start_s < scenario.duration_s):
        raise RecordError(f"start must be in [0, {scenario.duration_s}) s for {scenario.name}, got {start_s}")
    dur = scenario.duration_s - start_s
    dur = dur if seconds is None else min(seconds, dur)
    n_total = round(dur * fps)
    writer, codec = open_writer(out, fps, (width_px, height_px))
    stem = out.with_suffix("")
    gt_frames = []
    mot_lines = []
    site = load_site(scenario.site)
    n = 0
    try:
        with open(f"{stem}.telemetry.jsonl", "w", encoding="utf-8") as tel_f:
            for frame, gts in frames_of(
                scenario, seconds=seconds, seed=seed, intrinsics=intr, start_s=start_s
            ):
                writer.write(frame.image)  # type: ignore[attr-defined]
                tel = frame.telemetry
                assert tel is not None
                tel_f.write(json.dumps({"frame": frame.index, **dataclasses.asdict(tel)}) + "\n")
                gt_frames.append(
                    {
                        "frame": frame.index,
                        "timestamp_s": frame.timestamp_s,
                        "objects": [
                            {
                                "id": g.object_id,
                                "class": g.class_name,
                                "class_id": g.class_id,
                                "xyxy": [round(v, 1) for v in g.xyxy],
                                "lat": g.lat_deg,
                                "lon": g.lon_deg,
                                "occlusion": g.occlusion,
                                "kind": g.kind,
                                "in_water": g.in_water,
                            }
                            for g in gts
                        ],
                    }
                )
                for g in gts:
                    x0, y0, x1, y1 = g.xyxy
                    mot_lines.append(
                        f"{frame.index + 1},{g.object_id},{x0:.1f},{y0:.1f},{x1 - x0:.1f},{y1 - y0:.1f},1,{g.class_id},{1 - g.occlusion:.2f}"
                    )
                n += 1
                if progress:
                    progress(n, n_total)
    finally:
        writer.release()  # type: ignore[attr-defined]
    world = World(site, scenario, seed)
    launch_t = world.planned_launch_time_s()
    launch = None
    if launch_t is not None:
        world.step_to(launch_t + 1e-6)
        tl = world.truth_launch()
        if tl:
            launch = {"timestamp_s": round(tl.timestamp_s, 3), "lat": tl.lat_deg, "lon": tl.lon_deg}
    meta = {
        "scenario": scenario.name,
        "seed": seed,
        "fps": fps,
        "frames": n,
        "codec": codec,
        "start_s": start_s,
        "width_px": width_px,
        "height_px": height_px,
        "intrinsics": dataclasses.asdict(intr),
        "truth_launch": launch,
        "frames_gt": gt_frames,
    }
    Path(f"{stem}.gt.json").write_text(json.dumps(meta), encoding="utf-8")
    Path(f"{stem}.mot.txt").write_text("\n".join(mot_lines) + ("\n" if mot_lines else ""), encoding="utf-8")
    return ClipInfo(out, n, fps, codec, width_px, height_px, launch_t)
