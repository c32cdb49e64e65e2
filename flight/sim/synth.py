"""Synthetic training data: randomised scenes rendered by ``SimCamera``, cut into YOLO tiles.

Each *scene* draws (from its own seed): a spot on the site's coast, a camera (5-120 m up, gimbal
-90 to -5 degrees, so from nadir to near-horizontal views with sky), a field of view, a light
(dawn to midday, overcast, haze), sea state and colours, then boats (inflatables crowded with
people, RIBs, motorboats with wakes, fishing boats, yachts and sailboats, ferries, tankers,
kayaks), people (walkers, groups, swimmers), and distractors (chairs, umbrellas, towels, buoys,
rocks, dogs, vehicles, houses, trees), placed where the camera sees them. The frame is rendered
at 1280x720 and cut into 640x640 tiles at native resolution: mostly around objects, some at
random, some empty.

Output (``write_dataset``)::

    OUT/data.yaml                         names {0: boat, 1: person}, train/val paths
    OUT/{train,val}/images/*.jpg
    OUT/{train,val}/labels/*.txt          YOLO: class cx cy w h (normalised)
    OUT/READY                             the image count, written last

Errors::

    SynthError (ValueError)   bad arguments (e.g. a non-positive image count).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from flight.sim.camera import Look, SimCamera
from flight.sim.scenario import Scenario
from flight.sim.world import BOAT_DEFAULTS, World, WorldObject
from shorewatch.camera import CameraPose, pixels_to_ground
from shorewatch.site import Site, load_site
from shorewatch.types import CameraIntrinsics, Telemetry

logger = logging.getLogger(__name__)

TILE = 640
LABEL_PAD_PX = 1.0
"""Every box is written this many pixels (of the written image) wider on each side than the
object's geometric extent, as people annotate real pictures: a box drawn on whole pixels round
everything that looks like the object, its blurred edge included. For a 4x12 px person this is the
difference between an IoU of 0.5 and a miss. The padding a dataset got is in ``OUT/LABEL_PAD``."""
BOAT_KINDS = [
    "inflatable",
    "inflatable",
    "inflatable",
    "rib",
    "motorboat",
    "motorboat",
    "fishing",
    "yacht",
    "sailboat",
    "sailboat",
    "sailboat",
    "ferry",
    "tanker",
    "kayak",
    "windsurf",
    "windsurf",
]


class SynthError(ValueError):
    """Bad arguments for the dataset generator."""


@dataclass(frozen=True, slots=True)
class Tile:
    jpeg: bytes
    labels: list[tuple[int, float, float, float, float]]  # class, cx, cy, w, h (normalised)


def _rand_colour(rng: np.random.Generator, base: tuple[int, int, int], jitter: float) -> tuple[int, int, int]:
    return tuple(int(np.clip(c + rng.normal(0, jitter), 0, 255)) for c in base)  # type: ignore[return-value]


def random_look(rng: np.random.Generator) -> Look:
    """Domain randomisation of light, colours, atmosphere and sensor."""
    hour = float(
        rng.choice([rng.uniform(5.5, 8.0), rng.uniform(8, 17), rng.uniform(17, 20.5)], p=[0.3, 0.5, 0.2])
    )
    weather = str(rng.choice(["clear", "hazy", "overcast"], p=[0.45, 0.2, 0.35]))
    sea_state = float(rng.uniform(0, 4.5))
    look = Look.for_conditions(hour, weather, sea_state)
    look = replace(look, brightness=max(look.brightness, 0.68))
    grey = rng.uniform(0, 1)  # how grey (North Sea) vs blue/green the water is
    gr = rng.uniform(75, 125)
    if rng.random() < 0.3:  # blue summer sea
        sea_deep = np.array([rng.uniform(120, 170), rng.uniform(70, 110), rng.uniform(20, 60)])
    else:
        sea_deep = np.array([gr + rng.uniform(-5, 30), gr + rng.uniform(-5, 15), gr - rng.uniform(0, 30)])
    sea_deep = sea_deep * (1 - grey) + sea_deep.mean() * grey
    sea_sh = sea_deep + np.array([rng.uniform(-5, 25), rng.uniform(0, 30), rng.uniform(0, 35)])
    sea_far = np.array(look.sky_horizon_bgr) * rng.uniform(0.6, 0.95)
    sands = [
        (150, 185, 205),
        (130, 165, 190),
        (160, 190, 200),
        (175, 200, 215),
        (120, 150, 170),
        (150, 160, 165),
        (140, 175, 200),
        (185, 205, 215),
    ]
    sand = np.array(sands[int(rng.integers(len(sands)))], float) * rng.uniform(0.8, 1.1) + rng.normal(0, 4, 3)
    look = replace(
        look,
        sea_deep_bgr=tuple(int(v) for v in np.clip(sea_deep, 0, 255)),  # type: ignore[arg-type]
        sea_shallow_bgr=tuple(int(v) for v in np.clip(sea_sh, 0, 255)),  # type: ignore[arg-type]
        sea_far_bgr=tuple(int(v) for v in np.clip(sea_far, 0, 255)),  # type: ignore[arg-type]
        sand_dry_bgr=tuple(int(v) for v in sand),  # type: ignore[arg-type]
        sand_wet_bgr=tuple(int(v) for v in sand * rng.uniform(0.6, 0.85)),  # type: ignore[arg-type]
        dune_bgr=_rand_colour(rng, (110, 150, 150), 20),
        sky_zenith_bgr=_rand_colour(rng, look.sky_zenith_bgr, 15),
        sky_horizon_bgr=_rand_colour(rng, look.sky_horizon_bgr, 12),
        clouds=float(np.clip(look.clouds + rng.uniform(-0.4, 0.5), 0, 1)),
        haze_km=float(look.haze_km * rng.uniform(0.25, 2.0)),
        haze_bgr=_rand_colour(rng, look.haze_bgr, 10),
        surf_width_m=float(rng.uniform(15, 90)),
        wet_width_m=float(rng.uniform(5, 80)),
        beach_width_m=float(rng.uniform(60, 300)),
        brightness=float(look.brightness * rng.uniform(0.8, 1.2)),
        contrast=float(rng.uniform(0.75, 1.15)),
        light_bgr=tuple(float(v * rng.uniform(0.92, 1.08)) for v in look.light_bgr),  # type: ignore[arg-type]
        glint=float(look.glint * rng.uniform(0, 1.2)),
        noise_sigma=float(rng.uniform(0.5, 7)),
        blur_px=float(rng.choice([0.0, rng.uniform(0.4, 1.3)], p=[0.5, 0.5])),
        motion_blur_px=float(rng.choice([0.0, rng.uniform(2, 7)], p=[0.8, 0.2])),
        jpeg_quality=int(rng.choice([0, int(rng.uniform(35, 90))], p=[0.3, 0.7])),
        far_shore=float(rng.choice([0.0, rng.uniform(3, 25), rng.uniform(25, 90)], p=[0.35, 0.4, 0.25])),
    )
    return look


def _empty_scenario(rng: np.random.Generator, look: Look) -> Scenario:
    return Scenario.model_validate(
        {"name": "synth", "duration_s": 3600, "sea_state": int(min(look.sea_state, 6))}
    )


def _person(
    oid: int,
    e: float,
    n: float,
    kind: str,
    rng: np.random.Generator,
    *,
    in_water: bool = False,
    in_boat: bool = False,
    heading: float | None = None,
    height: float | None = None,
) -> WorldObject:
    return WorldObject(
        oid,
        "person",
        kind,
        float(e),
        float(n),
        float(rng.uniform(0, 360) if heading is None else heading),
        0.5,
        0.35,
        float(height or rng.uniform(1.5, 1.9)),
        0.0,
        in_water=in_water,
        in_boat=in_boat,
        style=int(rng.integers(1 << 30)),
    )


def _boat_with_crew(
    oid0: int, e: float, n: float, kind: str, rng: np.random.Generator, in_water: bool
) -> list[WorldObject]:
    L0, beam, fb, _ppl = BOAT_DEFAULTS[kind]
    L = L0 * rng.uniform(0.7, 1.3)
    if kind in ("ferry", "tanker"):
        L = L0 * rng.uniform(0.5, 1.5)
    hdg = float(rng.uniform(0, 360))
    speed = float(rng.choice([0.0, rng.uniform(1, 10)], p=[0.35, 0.65])) if in_water else 0.0
    out = [
        WorldObject(
            oid0,
            "boat",
            kind,
            e,
            n,
            hdg,
            L,
            L * beam * rng.uniform(0.85, 1.15),
            fb * L / L0,
            speed,
            in_water=in_water,
            style=int(rng.integers(1 << 30)),
        )
    ]
    h = math.radians(hdg)
    fwd = np.array([math.sin(h), math.cos(h)])
    stb = np.array([math.cos(h), -math.sin(h)])
    if kind in ("inflatable", "rib", "motorboat", "fishing", "kayak", "sailboat"):
        if kind == "inflatable":
            n_p = int(rng.integers(5, 42)) if rng.random() < 0.85 else 0
        elif kind == "kayak":
            n_p = 1
        else:
            n_p = int(rng.integers(0, 5))
        B = L * beam
        cols = max(1, int(B * 0.7 / 0.5))
        for i in range(n_p):
            r, c = divmod(i, cols)
            x = L * 0.35 - (r + 0.5) * 0.55
            if x < -L * 0.42:
                break
            y = (c + 0.5 - cols / 2) * 0.5 + rng.normal(0, 0.05)
            p = np.array([e, n]) + x * fwd + y * stb
            out.append(
                _person(
                    oid0 + 1 + i,
                    p[0],
                    p[1],
                    "passenger",
                    rng,
                    in_water=in_water,
                    in_boat=True,
                    heading=hdg,
                    height=float(rng.uniform(0.8, 1.0)),
                )
            )
    return out


def _ground_points(
    pose: CameraPose,
    intr: CameraIntrinsics,
    rng: np.random.Generator,
    n: int,
    horizon_v: float,
    near_bias: float = 0.0,
) -> np.ndarray:
    W, H = intr.width_px, intr.height_px
    v_lo = max(0.0, horizon_v + 3)
    if v_lo >= H:
        return np.zeros((0, 2))
    u = rng.uniform(-0.05 * W, 1.05 * W, n)
    # bias rows towards the far (small) part of oblique views as well as the near part
    v = v_lo + (H - v_lo) * rng.power(0.7 + near_bias, n)
    g, ok = pixels_to_ground(np.stack([u, v], axis=1), pose, intr)
    return g[ok]


def render_scene(
    seed: int, site: Site | None = None, width_px: int = 1280, height_px: int = 720
) -> tuple[np.ndarray, list[tuple[int, tuple[float, float, float, float], float]]]:
    """One randomised frame: (BGR image, [(class_id, xyxy, occlusion)])."""
    rng = np.random.default_rng(seed)
    site = site or load_site(None)
    look = random_look(rng)
    world = World(site, _empty_scenario(rng, look), seed=seed)
    anchor = str(rng.choice([p.name for p in site.launch_points]))
    fr = world.shore_frame(anchor)
    hfov = float(rng.uniform(50, 90))
    intr = CameraIntrinsics.from_hfov(width_px, height_px, hfov)
    cam = SimCamera(world, intr, seed=seed % 7, look=look)
    # camera
    style = rng.random()
    if style < 0.5:  # oblique, horizon in view (like mast webcams and oblique drone shots)
        pitch = float(rng.uniform(-30, -4))
        alt = float(rng.uniform(5, 60))
    elif style < 0.75:
        pitch = float(rng.uniform(-60, -25))
        alt = float(rng.uniform(15, 120))
    else:
        pitch = float(rng.uniform(-90, -55))
        alt = float(rng.uniform(25, 120))
    along = float(rng.uniform(-1500, 1500))
    # aim at a target on the shore or at sea, from a random direction (mostly from land)
    t_off = float(rng.choice([rng.uniform(-80, 40), rng.uniform(0, 700)], p=[0.5, 0.5]))
    te, tn = fr.to_local(along, t_off)
    sea_hdg = fr.seaward_heading_deg(along)
    yaw = (sea_hdg + float(rng.choice([rng.normal(0, 45), rng.uniform(-180, 180)], p=[0.75, 0.25]))) % 360
    rng_h = alt / math.tan(math.radians(max(-pitch, 3.0))) * rng.uniform(0.6, 1.1)
    rng_h = min(rng_h, 1500.0)
    e = float(te) - rng_h * math.sin(math.radians(yaw))
    n = float(tn) - rng_h * math.cos(math.radians(yaw))
    pose = CameraPose(float(e), float(n), alt, yaw, pitch)
    lat, lon = site.frame.to_geo(float(e), float(n))
    tel = Telemetry(
        timestamp_s=0.0, lat_deg=lat, lon_deg=lon, alt_m=alt, heading_deg=yaw, gimbal_pitch_deg=pitch
    )
    horizon_v = cam._horizon(pose)
    # objects placed where the camera looks
    objs: list[WorldObject] = []
    oid = 1
    n_pts = 400
    pts = _ground_points(pose, intr, rng, n_pts, horizon_v)
    if len(pts):
        d = world.sdist(pts[:, 0], pts[:, 1])
        sea = pts[d < -3]
        beach = pts[(d > 2) & (d < 200)]
        shore = pts[(d > -25) & (d < 60)]
        no_boat = rng.random() < 0.12
        n_boats = 0 if no_boat else int(rng.choice([1, 2, 3, 5, 8], p=[0.35, 0.25, 0.2, 0.12, 0.08]))
        for _ in range(n_boats):
            kind = str(rng.choice(BOAT_KINDS))
            q = sea[int(rng.integers(len(sea)))] if len(sea) else None
            if q is not None and kind in ("ferry", "tanker", "yacht", "sailboat", "fishing"):
                dist = math.hypot(q[0] - pose.east_m, q[1] - pose.north_m)
                if dist < 5 * BOAT_DEFAULTS[kind][0] or alt < 0.8 * BOAT_DEFAULTS[kind][0] * 1.4:
                    kind = str(rng.choice(["inflatable", "rib", "motorboat", "kayak"]))
            on_beach = (
                kind in ("inflatable", "rib", "kayak", "motorboat") and rng.random() < 0.3 and len(shore)
            )
            src = shore if on_beach else sea
            if not len(src):
                continue
            p = src[int(rng.integers(len(src)))] if (on_beach or q is None) else q
            depth_d = float(world.sdist(p[0], p[1]))
            in_water = depth_d < 0
            bo = _boat_with_crew(oid, float(p[0]), float(p[1]), kind, rng, in_water)
            if on_beach or depth_d > -30:  # beached or in the surf: not under way
                bo[0] = replace(bo[0], speed_mps=0.0)
            objs.extend(bo)
            oid += len(bo) + 1
            if kind == "inflatable" and (on_beach or rng.random() < 0.25):  # group around it
                for _ in range(int(rng.integers(3, 30))):
                    q = p + rng.normal(0, 4.0, 2)
                    objs.append(
                        _person(oid, q[0], q[1], "migrant", rng, in_water=bool(world.sdist(q[0], q[1]) < 0))
                    )
                    oid += 1
        if len(shore) and rng.random() < 0.2:  # a marina: a jetty with moored boats along it
            p = shore[int(rng.integers(len(shore)))]
            sea_h = fr.seaward_heading_deg(along) + rng.normal(0, 25)
            hr = math.radians(sea_h)
            u = np.array([math.sin(hr), math.cos(hr)])
            side = np.array([math.cos(hr), -math.sin(hr)])
            plen = float(rng.uniform(50, 220))
            c = p + u * plen / 2
            objs.append(
                WorldObject(
                    oid,
                    "",
                    "pier",
                    float(c[0]),
                    float(c[1]),
                    float(sea_h),
                    plen,
                    float(rng.uniform(2.5, 6)),
                    float(rng.uniform(0.8, 2.5)),
                    labelled=False,
                    style=int(rng.integers(1 << 30)),
                )
            )
            oid += 1
            for sgn in (1, -1):
                x = float(rng.uniform(5, 15))
                while x < plen - 4:
                    kind = str(rng.choice(["sailboat", "sailboat", "yacht", "motorboat", "fishing", "rib"]))
                    L0, beam, fb, _ = BOAT_DEFAULTS[kind]
                    L = L0 * rng.uniform(0.6, 1.1)
                    q = p + u * x + side * sgn * (3 + L / 2)
                    if rng.random() < 0.85 and float(world.sdist(q[0], q[1])) < -2:
                        objs.append(
                            WorldObject(
                                oid,
                                "boat",
                                kind,
                                float(q[0]),
                                float(q[1]),
                                float(sea_h + 90 * sgn + rng.normal(0, 4)),
                                L,
                                L * beam,
                                fb * L / L0,
                                0.0,
                                in_water=True,
                                style=int(rng.integers(1 << 30)),
                            )
                        )
                        oid += 1
                    x += L * beam + rng.uniform(0.8, 3)
        # people on the beach: walkers, small groups, sitting people
        n_walk = int(rng.choice([0, 3, 8, 20, 45], p=[0.2, 0.25, 0.25, 0.18, 0.12]))
        # people nearer the camera too (far points dominate the oblique sample), so that people
        # 10-30 px tall are common, as in elevated shore cameras
        near = _ground_points(pose, intr, rng, 300, horizon_v, near_bias=2.5)
        if len(near):
            dn = world.sdist(near[:, 0], near[:, 1])
            near_beach = near[(dn > 2) & (dn < 250)]
            if len(near_beach):
                beach = np.vstack([beach, near_beach]) if len(beach) else near_beach
        if len(beach):
            # prefer spots where a standing person is 9-45 px tall (elevated shore cameras see them so)
            slant = np.sqrt((beach[:, 0] - pose.east_m) ** 2 + (beach[:, 1] - pose.north_m) ** 2 + alt**2)
            hp = intr.fy_px * 1.75 / slant
            wgt = np.where((hp >= 9) & (hp <= 45), 1.0, 0.15)
            wgt /= wgt.sum()
        for _ in range(n_walk if len(beach) else 0):
            p = beach[int(rng.choice(len(beach), p=wgt))]
            h = float(rng.choice([rng.uniform(1.5, 1.9), rng.uniform(0.6, 1.0)], p=[0.8, 0.2]))
            objs.append(_person(oid, p[0], p[1], "walker", rng, height=h))
            oid += 1
        for _ in range(int(rng.choice([0, 1, 3], p=[0.6, 0.25, 0.15]))):  # swimmers / waders
            if not len(sea):
                break
            p = (
                sea[int(rng.integers(len(sea)))]
                if rng.random() < 0.5 or not len(shore)
                else shore[int(rng.integers(len(shore)))]
            )
            wet = bool(world.sdist(p[0], p[1]) < 0)
            swim = wet and rng.random() < 0.6
            objs.append(
                _person(
                    oid,
                    p[0],
                    p[1],
                    "swimmer" if swim else "walker",
                    rng,
                    in_water=wet,
                    height=None if not wet or swim else float(rng.uniform(0.7, 1.2)),
                )
            )
            oid += 1
        land = pts[d > 80]
        if len(land) and objs:  # keep buildings, trees and cars off the labelled objects
            lab = np.array([[o.east_m, o.north_m] for o in objs if o.labelled and o.class_name])
            if len(lab):
                dmin = np.min(
                    np.hypot(land[:, None, 0] - lab[None, :, 0], land[:, None, 1] - lab[None, :, 1]), axis=1
                )
                land = land[dmin > 15]
        if len(land) and rng.random() < 0.6:  # the land behind the beach: road, houses, trees, cars, people
            p = land[int(rng.integers(len(land)))]
            hdg = fr.seaward_heading_deg(along) + 90
            objs.append(
                WorldObject(
                    oid,
                    "",
                    str(rng.choice(["road", "path"])),
                    float(p[0]),
                    float(p[1]),
                    float(hdg),
                    float(rng.uniform(100, 600)),
                    float(rng.uniform(3, 9)),
                    0.0,
                    labelled=False,
                    style=int(rng.integers(1 << 30)),
                )
            )
            oid += 1
            for _ in range(int(rng.choice([3, 10, 25]))):
                q = land[int(rng.integers(len(land)))]
                kind = str(rng.choice(["house", "tree", "tree", "vehicle", "vehicle", "walker", "chair"]))
                if kind == "walker":
                    objs.append(_person(oid, q[0], q[1], "walker", rng))
                elif kind == "house":
                    objs.append(
                        WorldObject(
                            oid,
                            "",
                            "house",
                            float(q[0]),
                            float(q[1]),
                            float(hdg + rng.choice([0, 90])),
                            float(rng.uniform(6, 16)),
                            float(rng.uniform(6, 12)),
                            float(rng.uniform(4, 9)),
                            labelled=False,
                            style=int(rng.integers(1 << 30)),
                        )
                    )
                elif kind == "tree":
                    r = float(rng.uniform(1.5, 5))
                    objs.append(
                        WorldObject(
                            oid,
                            "",
                            "tree",
                            float(q[0]),
                            float(q[1]),
                            0.0,
                            r,
                            r,
                            float(rng.uniform(4, 14)),
                            labelled=False,
                            style=int(rng.integers(1 << 30)),
                        )
                    )
                else:
                    objs.append(
                        WorldObject(
                            oid,
                            "",
                            kind,
                            float(q[0]),
                            float(q[1]),
                            float(hdg + rng.choice([0, 90, 180])),
                            4.5,
                            1.8,
                            1.5,
                            labelled=False,
                            style=int(rng.integers(1 << 30)),
                        )
                    )
                oid += 1
        # sunbathers and sitting people on the sand
        for _ in range(int(rng.choice([0, 3, 12], p=[0.5, 0.3, 0.2])) if len(beach) else 0):
            p = beach[int(rng.integers(len(beach)))]
            objs.append(
                _person(
                    oid,
                    p[0],
                    p[1],
                    str(rng.choice(["sunbather", "walker"])),
                    rng,
                    height=float(rng.uniform(0.8, 1.0)),
                )
            )
            oid += 1
        # distractors
        for _ in range(int(rng.choice([0, 5, 15, 30], p=[0.3, 0.3, 0.25, 0.15]))):
            p = pts[int(rng.integers(len(pts)))]
            dd = float(world.sdist(p[0], p[1]))
            if dd < -3:
                kind = str(rng.choice(["buoy", "buoy", "rock"]))
            else:
                kind = str(rng.choice(["chair", "umbrella", "towel", "rock", "dog", "vehicle", "chair"]))
            objs.append(
                WorldObject(
                    oid,
                    "",
                    kind,
                    float(p[0]),
                    float(p[1]),
                    float(rng.uniform(0, 360)),
                    4.5,
                    1.8,
                    1.5,
                    style=int(rng.integers(1 << 30)),
                    labelled=False,
                    in_water=dd < 0,
                )
            )
            oid += 1
    cam.extra_objects = objs
    cam.draw_structures = rng.random() < 0.8
    frame, gts = cam.render(tel)
    # seated passengers packed in a boat are labelled only where they are big enough to tell apart
    out = [
        (g.class_id, g.xyxy, g.occlusion)
        for g in gts
        if g.kind != "passenger" or (g.xyxy[2] - g.xyxy[0]) * (g.xyxy[3] - g.xyxy[1]) >= 49
    ]
    return frame.image, out


def tiles_from_scene(seed: int, n_tiles: int = 3, site: Site | None = None) -> list[Tile]:
    img, boxes = render_scene(seed, site)
    rng = np.random.default_rng(seed + 99991)
    H, W = img.shape[:2]
    tiles: list[Tile] = []
    for k in range(n_tiles):
        if boxes and (k < n_tiles - 1 or rng.random() < 0.5):
            # centre on a boat or a person with equal odds (not uniformly over boxes: a crowded
            # inflatable would otherwise win most tiles)
            cls_present = sorted({b[0] for b in boxes})
            want = int(rng.choice(cls_present))
            pool = [b for b in boxes if b[0] == want]
            cid, (x0, y0, x1, y1), _ = pool[int(rng.integers(len(pool)))]
            cx = (x0 + x1) / 2 + rng.uniform(-TILE * 0.4, TILE * 0.4)
            cy = (y0 + y1) / 2 + rng.uniform(-TILE * 0.4, TILE * 0.4)
        else:
            cx, cy = rng.uniform(0, W), rng.uniform(0, H)
        tx = int(np.clip(cx - TILE / 2, 0, W - TILE))
        ty = int(np.clip(cy - TILE / 2, 0, H - TILE))
        crop = img[ty : ty + TILE, tx : tx + TILE]
        labels: list[tuple[int, float, float, float, float]] = []
        for cid, (x0, y0, x1, y1), occl in boxes:
            if occl > 0.6:
                continue
            a0, b0, a1, b1 = max(x0 - tx, 0), max(y0 - ty, 0), min(x1 - tx, TILE), min(y1 - ty, TILE)
            if a1 - a0 < 2 or b1 - b0 < 2 or (a1 - a0) * (b1 - b0) < 9:
                continue
            if (a1 - a0) * (b1 - b0) < 0.4 * (x1 - x0) * (y1 - y0):
                continue
            labels.append(
                (cid, (a0 + a1) / 2 / TILE, (b0 + b1) / 2 / TILE, (a1 - a0) / TILE, (b1 - b0) / TILE)
            )
        q = int(rng.uniform(70, 95))
        _ok, buf = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, q])
        tiles.append(Tile(buf.tobytes(), labels))
    return tiles


def _work(args: tuple[int, int]) -> list[Tile]:
    seed, n_tiles = args
    return tiles_from_scene(seed, n_tiles)


def pad_label(
    label: tuple[int, float, float, float, float], pad_x: float, pad_y: float
) -> tuple[int, float, float, float, float]:
    """A normalised YOLO box (class, cx, cy, w, h) grown by ``pad_x``/``pad_y`` (normalised) on
    each side, clipped to the image."""
    c, x, y, w, h = label
    x0, x1 = max(0.0, x - w / 2 - pad_x), min(1.0, x + w / 2 + pad_x)
    y0, y1 = max(0.0, y - h / 2 - pad_y), min(1.0, y + h / 2 + pad_y)
    return c, (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0


class YoloDatasetWriter:
    """The layout every generator here writes (see the module docstring): ``OUT/{train,val}/
    {images,labels}``, every ``round(1 / val_fraction)``-th image to val, ``data.yaml`` and, last,
    ``READY`` with the image count; counts of images, boxes per class and empty images."""

    def __init__(
        self,
        out: Path,
        images: int,
        *,
        prefix: str,
        val_fraction: float,
        tile_px: int,
        pad_px: float = LABEL_PAD_PX,
    ) -> None:
        if images <= 0:
            raise SynthError(f"images must be a positive number, got {images}")
        if not (0 <= val_fraction < 1):
            raise SynthError(f"val_fraction must be in [0, 1), got {val_fraction}")
        self.out = Path(out)
        self.images = images
        self.prefix = prefix
        self.tile_px = tile_px
        self.pad_px = pad_px
        for split in ("train", "val"):
            (self.out / split / "images").mkdir(parents=True, exist_ok=True)
            (self.out / split / "labels").mkdir(parents=True, exist_ok=True)
        (self.out / "READY").unlink(missing_ok=True)
        self.counts = {"images": 0, "train": 0, "val": 0, "boats": 0, "people": 0, "empty": 0}
        self._val_every = round(1 / val_fraction) if val_fraction > 0 else 0

    @property
    def full(self) -> bool:
        return self.counts["images"] >= self.images

    def add(self, jpeg: bytes, labels: list[tuple[int, float, float, float, float]]) -> None:
        """Write one image and its labels (ignored once ``full``)."""
        i = self.counts["images"]
        if i >= self.images:
            return
        every = self._val_every
        split = "val" if every and i % every == every - 1 else "train"
        name = f"{self.prefix}_{i:06d}"
        (self.out / split / "images" / f"{name}.jpg").write_bytes(jpeg)
        labels = [pad_label(lb, self.pad_px / self.tile_px, self.pad_px / self.tile_px) for lb in labels]
        (self.out / split / "labels" / f"{name}.txt").write_text(
            "".join(f"{c} {x:.6f} {y:.6f} {w:.6f} {h:.6f}\n" for c, x, y, w, h in labels),
            encoding="utf-8",
        )
        self.counts["images"] += 1
        self.counts[split] += 1
        self.counts["boats"] += sum(1 for lb in labels if lb[0] == 0)
        self.counts["people"] += sum(1 for lb in labels if lb[0] == 1)
        self.counts["empty"] += int(not labels)

    def finish(self, title: str, tile_px: int) -> dict[str, int]:
        """Write ``data.yaml`` and then ``READY``; returns the counts."""
        n = self.counts["images"]
        (self.out / "data.yaml").write_text(
            f"# {title}: {n} images of {tile_px}x{tile_px}\n"
            f"path: {self.out.resolve()}\ntrain: train/images\nval: val/images\n"
            "names:\n  0: boat\n  1: person\n",
            encoding="utf-8",
        )
        (self.out / "LABEL_PAD").write_text(f"{self.pad_px:g}\n", encoding="utf-8")
        (self.out / "READY").write_text(f"{n}\n", encoding="utf-8")
        return self.counts


def write_dataset(
    out: Path,
    images: int,
    *,
    seed: int = 0,
    val_fraction: float = 0.1,
    workers: int = 2,
    tiles_per_scene: int = 3,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Render ``images`` tiles into a YOLO dataset at ``out``; returns counts."""
    writer = YoloDatasetWriter(out, images, prefix=f"synth_{seed}", val_fraction=val_fraction, tile_px=TILE)
    n_scenes = math.ceil(images / tiles_per_scene)
    jobs = [(seed * 1_000_003 + i, tiles_per_scene) for i in range(n_scenes)]

    def consume(tiles: list[Tile]) -> None:
        for t in tiles:
            if writer.full:
                return
            writer.add(t.jpeg, t.labels)
            if progress:
                progress(writer.counts["images"], images)

    if workers > 1:
        import multiprocessing as mp

        ctx = mp.get_context("fork")
        with ctx.Pool(workers, initializer=_init_worker) as pool:
            for tiles in pool.imap(_work, jobs, chunksize=2):
                consume(tiles)
                if writer.full:
                    break
    else:
        for j in jobs:
            consume(_work(j))
            if writer.full:
                break
    return writer.finish(f"shorewatch synth (seed {seed})", TILE)


def _init_worker() -> None:
    with contextlib.suppress(OSError):
        os.nice(0)
    cv2.setNumThreads(1)
