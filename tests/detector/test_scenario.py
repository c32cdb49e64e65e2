"""A short rendered clip of the dawn launch at Wissant, through the shipped model and the whole
pipeline (detect + track + georef + events), raises a ``launch`` event at the right place and time."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from detector.model import default_model_path, load_detector
from detector.pipeline import DetectionPipeline
from shorewatch.geo import distance_m
from shorewatch.types import EventKind

MODEL = Path(os.environ.get("SHOREWATCH_TEST_MODEL", default_model_path()))


@pytest.mark.slow
def test_rendered_launch_raises_a_launch_event_near_the_truth(state_dir: Path) -> None:
    from flight.sim.camera import SimCamera
    from flight.sim.render import ScriptedFlight
    from flight.sim.scenario import load_scenario
    from flight.sim.world import World
    from shorewatch.site import load_site

    sc = load_scenario("dawn_launch_wissant")
    site = load_site(sc.site)
    world = World(site, sc, seed=11)  # a seed the training data was not rendered with
    cam = SimCamera(world, seed=11)
    flight = ScriptedFlight(world, sc.drone)
    t_water = world.planned_launch_time_s()
    assert t_water is not None
    pipe = DetectionPipeline(load_detector(MODEL, state_dir=state_dir), site)
    fps = 4.0
    events = []
    t = t_water - 10.0
    while t < t_water + 14.0:
        world.step_to(t)
        frame, _ = flight.frame_at(cam, t)  # the pose the drone reports, with typical errors
        events.extend(pipe.process(frame).events)
        t += 1 / fps
    truth = world.truth_launch()
    assert truth is not None
    launches = [e for e in events if e.kind is EventKind.LAUNCH]
    assert launches, f"no launch event; got {[(e.kind, e.timestamp_s) for e in events]}"
    first = launches[0]
    assert distance_m(first.lat_deg, first.lon_deg, truth.lat_deg, truth.lon_deg) <= 30.0
    assert first.timestamp_s - truth.timestamp_s <= 10.0
    assert len({e.event_id for e in launches}) == 1
    # the patrol is told the boat's size: the 9.5 m inflatable, read from the model's boxes
    length_m = float(dict(launches[-1].details)["length_m"])
    assert 6.5 <= length_m <= 13.5, length_m
    assert 40 <= float(dict(first.details)["camera_alt_m"]) <= 50  # the drone flies at 45 m


def test_a_patrol_passing_a_moored_boat_again_raises_no_second_alert() -> None:
    """Rendered patrol laps past boats at anchor (simulator truth as detections, so that this
    tests tracking, georeferencing and the event memory, not the model): the fishing boat moored
    200 m out, passed at about 4 and 12 minutes with a new track each time, raises one alert with
    ``stationary_memory_s`` and two with the cooldown alone."""
    from api.evaluation import evaluate_scenario
    from detector.events import EventConfig

    def alerts(memory_s: float) -> int:
        score = evaluate_scenario(
            "moored_boats",
            None,
            seed=1,
            fps=0.5,
            seconds=760,
            event_config=EventConfig(stationary_memory_s=memory_s, snapshot=False),
        )
        assert score.false_events == 0, score.false_event_details
        return score.events.get("boat_at_sea", 0)

    remembered, forgotten = alerts(3600.0), alerts(0.0)
    assert remembered >= 3  # the two moored boats and the sailing boat crossing far out
    assert remembered == forgotten - 1
