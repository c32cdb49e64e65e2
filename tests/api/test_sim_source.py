"""The demo's simulated camera sees from where the drone is, and its frames carry what the drone
reports: the pipeline never gets the true pose."""

from __future__ import annotations

import dataclasses
import threading

from api.sim_source import SimCameraSource
from flight.sim.camera import SimCamera
from flight.sim.render import ScriptedFlight
from flight.sim.scenario import load_scenario
from flight.sim.world import World
from shorewatch.site import load_site


def test_frames_are_rendered_from_the_true_pose_and_carry_the_reported_one() -> None:
    sc = load_scenario("dawn_launch_wissant")
    world = World(load_site(sc.site), sc, 3)
    truth = ScriptedFlight(world, sc.drone).telemetry(60.0)
    reported = dataclasses.replace(truth, lat_deg=truth.lat_deg + 2e-4, gimbal_pitch_deg=-25.0)
    stop = threading.Event()
    src = SimCameraSource(
        source_id="drone-1",
        telemetry=lambda: reported,
        true_telemetry=lambda: truth,
        sim_time=lambda: 60.0,
        speedup=1.0,
        world=world,
        camera=SimCamera(world, seed=3),
        fps=1.0,
        scenario_t0_s=0.0,
        world_lock=threading.Lock(),
        stop=stop,
        only_when_airborne=False,
    )
    frame = next(iter(src.frames()))
    assert frame.telemetry == reported
    world.step_to(60.0)
    _, expected = SimCamera(world, seed=3).render(truth)
    assert [o.xyxy for o in src.last_truth] == [o.xyxy for o in expected]
    _, from_reported = SimCamera(world, seed=3).render(reported)
    assert [o.xyxy for o in src.last_truth] != [o.xyxy for o in from_reported]
