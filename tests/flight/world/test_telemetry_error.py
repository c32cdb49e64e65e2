"""The simulated drone reports its pose with a real drone's errors, while the camera renders the
true pose: GNSS wander, altitude bias, heading and pitch bias and jitter, latency."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from flight.sim.render import ScriptedFlight
from flight.sim.scenario import ScenarioError, TelemetryError, load_scenario, parse_scenario
from flight.sim.telemetry_error import TelemetryErrorProcess
from flight.sim.world import World
from shorewatch.geo import LocalFrame
from shorewatch.site import load_site
from shorewatch.types import Telemetry

FRAME = LocalFrame(50.88, 1.66)


def _tel(t: float = 0.0) -> Telemetry:
    return Telemetry(
        timestamp_s=t, lat_deg=50.88, lon_deg=1.66, alt_m=45.0, heading_deg=90.0, gimbal_pitch_deg=-22.0
    )


def _offsets(model: TelemetryError, seed: int, t: float = 0.0) -> tuple[float, float, float, float, float]:
    """(east m, north m, altitude m, camera yaw deg, pitch deg) the reported pose is off by."""
    truth = _tel(t)
    rep = TelemetryErrorProcess(model, seed, FRAME).apply(truth, t)
    e, n = FRAME.to_local(rep.lat_deg, rep.lon_deg)
    dyaw = (rep.camera_yaw_deg - truth.camera_yaw_deg + 180) % 360 - 180
    return e, n, rep.alt_m - truth.alt_m, dyaw, rep.gimbal_pitch_deg - truth.gimbal_pitch_deg


def test_none_reports_the_truth() -> None:
    assert _offsets(TelemetryError.none(), 3) == pytest.approx((0, 0, 0, 0, 0), abs=1e-6)


def test_the_errors_have_the_stated_spread_across_flights() -> None:
    model = TelemetryError(attitude_jitter_deg=0.0)
    draws = np.array([_offsets(model, seed) for seed in range(600)])
    sd = draws.std(axis=0)
    # 600 draws: a standard deviation within about 6 % (one sigma) of the truth; allow 15 %
    expected = [model.gnss_sigma_m, model.gnss_sigma_m, model.altitude_sigma_m, model.heading_sigma_deg]
    assert sd[:4] == pytest.approx(expected, rel=0.15)
    assert sd[4] == pytest.approx(model.pitch_sigma_deg, rel=0.15)
    assert (np.abs(draws.mean(axis=0)) < 0.2 * np.array([*expected, model.pitch_sigma_deg])).all()


def test_a_flight_s_gnss_error_wanders_slowly_and_keeps_its_spread() -> None:
    model = TelemetryError(gnss_sigma_m=2.0, gnss_tau_s=30.0)
    proc = TelemetryErrorProcess(model, 5, FRAME)
    ts = np.arange(0, 3000, 0.5)
    err = np.array([proc.gnss_error_m(float(t)) for t in ts])
    step = np.abs(np.diff(err, axis=0))
    assert np.median(step) < 0.25  # half a second apart: the error barely moves
    assert err.std(axis=0) == pytest.approx([2.0, 2.0], rel=0.25)  # 100 correlation times
    lag = round(30.0 / 0.5)  # one correlation time: correlation exp(-1)
    r = np.corrcoef(err[:-lag, 0], err[lag:, 0])[0, 1]
    assert r == pytest.approx(math.exp(-1), abs=0.15)
    # the same seed, the same flight
    again = TelemetryErrorProcess(model, 5, FRAME)
    assert [again.gnss_error_m(float(t)) for t in ts[:50]] == [tuple(x) for x in err[:50]]


def test_biases_stay_for_the_flight_and_jitter_changes_every_frame() -> None:
    model = TelemetryError(gnss_sigma_m=0, altitude_sigma_m=2, heading_sigma_deg=2, attitude_jitter_deg=0.2)
    proc = TelemetryErrorProcess(model, 9, FRAME)
    reps = [proc.apply(_tel(t), t) for t in np.arange(0, 20, 0.1)]
    assert {round(r.alt_m - 45.0, 9) for r in reps} == {round(proc.altitude_bias_m, 9)}
    yaw = np.array([r.gimbal_yaw_deg for r in reps])
    assert np.mean(yaw) == pytest.approx(proc.heading_bias_deg, abs=0.05)
    assert np.std(yaw) == pytest.approx(0.2, rel=0.3)


def test_the_frame_carries_older_telemetry_and_renders_from_the_true_pose() -> None:
    sc = load_scenario("dawn_launch_wissant")
    world = World(load_site(sc.site), sc, 11)
    only_lag = TelemetryError.none().model_copy(update={"latency_s": 0.5})
    flight = ScriptedFlight(world, sc.drone, only_lag)
    rep = flight.reported(60.0)
    old = flight.telemetry(59.5)
    assert rep.timestamp_s == 60.0
    assert (rep.lat_deg, rep.lon_deg) == pytest.approx((old.lat_deg, old.lon_deg), abs=1e-9)
    assert (rep.lat_deg, rep.lon_deg) != (flight.telemetry(60.0).lat_deg, flight.telemetry(60.0).lon_deg)


def test_scenarios_default_to_typical_errors_and_refuse_bad_ones() -> None:
    sc = load_scenario("dawn_launch_wissant")
    assert sc.drone.telemetry_error == TelemetryError()
    assert TelemetryError.preset("poor").heading_sigma_deg == 2 * TelemetryError().heading_sigma_deg
    with pytest.raises(ScenarioError, match="none, typical, poor"):
        TelemetryError.preset("perfect")
    with pytest.raises(ScenarioError, match=r"drone\.telemetry_error\.gnss_sigma_m"):
        parse_scenario({"name": "x", "drone": {"telemetry_error": {"gnss_sigma_m": -1}}})
    raw = json.loads(json.dumps({"name": "x", "drone": {"telemetry_error": {"latency_s": 0.3}}}))
    assert parse_scenario(raw).drone.telemetry_error.latency_s == 0.3


@pytest.mark.parametrize(
    ("preset", "stated"), [("none", None), ("typical", 1.5 * 2**0.5), ("poor", 3.0 * 2**0.5)]
)
def test_the_reported_pose_carries_the_receiver_s_accuracy(preset: str, stated: float | None) -> None:
    """As GPS_RAW_INT ``h_acc`` from the MAVLink simulator: radial RMS of the GNSS wander, which
    the georeferencing states instead of its configured GNSS sigma."""
    from detector.georef import Georeferencer

    rep = TelemetryErrorProcess(TelemetryError.preset(preset), 3, FRAME).apply(_tel(), 0.0)
    assert rep.gnss_accuracy_m == (None if stated is None else pytest.approx(stated))
    geo = Georeferencer(FRAME)
    assert geo.position_sigma_for(rep) == (
        geo.config.position_sigma_m if stated is None else pytest.approx(stated)
    )
