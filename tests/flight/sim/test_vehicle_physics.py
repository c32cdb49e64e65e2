"""The vehicle model on its own, stepped in sim time (no sockets): limits, RTL profile, battery,
gimbal, geometry, configuration errors."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flight.sim.clock import SimClock
from flight.sim.scenario import TelemetryError
from flight.sim.sitl import SimFleet
from flight.sim.vehicle import (
    CMD_DO_CHANGE_SPEED,
    CMD_NAV_LAND,
    CMD_NAV_TAKEOFF,
    CMD_NAV_WAYPOINT,
    FRAME_GLOBAL_RELATIVE_ALT,
    Home,
    MissionItem,
    Mode,
    SimConfigError,
    SimVehicle,
    VehicleConfig,
)
from shorewatch.geo import bearing_deg, distance_m


def run_until(
    v: SimVehicle, cond: Callable[[], bool], max_s: float, on_step: Callable[[], None] | None = None
) -> float:
    t0 = v.sim_time_s
    while not cond():
        if v.sim_time_s - t0 > max_s:
            raise AssertionError(f"condition not met within {max_s} s of sim time")
        v.step(v.cfg.dt_s)
        if on_step:
            on_step()
    return v.sim_time_s - t0


def airborne(alt: float = 20.0, home: Home | None = None, config: VehicleConfig | None = None) -> SimVehicle:
    v = SimVehicle(home, config=config)
    v.advance_to(5.0)
    assert v.set_mode(Mode.GUIDED)[0]
    assert v.arm()[0]
    assert v.takeoff(alt)
    run_until(v, lambda: abs(v.rel_alt_m - alt) < 0.1 and abs(v.vel[2]) < 0.05, 60)
    return v


def test_climb_and_speed_and_yaw_rate_limits() -> None:
    v = SimVehicle()
    v.advance_to(5.0)
    v.set_mode(Mode.GUIDED)
    v.arm()
    v.takeoff(30)
    peaks = {"climb": 0.0, "speed": 0.0, "yaw_rate": 0.0}

    def track() -> None:
        peaks["climb"] = max(peaks["climb"], v.vel[2])
        peaks["speed"] = max(peaks["speed"], math.hypot(v.vel[0], v.vel[1]))
        peaks["yaw_rate"] = max(peaks["yaw_rate"], abs(v.yaw_rate_dps))

    run_until(v, lambda: v.rel_alt_m > 29.9, 60, track)
    assert peaks["climb"] == pytest.approx(2.5, abs=0.05)  # WPNAV_SPEED_UP 250 cm/s
    lat, lon = v.local_to_geo(-1000.0, -50.0)  # behind: the vehicle must turn round
    assert v.guided_goto(lat, lon, 30)
    run_until(v, lambda: math.hypot(v.pos[0] + 1000, v.pos[1] + 50) < 1.0, 300, track)
    assert peaks["speed"] == pytest.approx(10.0, abs=0.2)  # WPNAV_SPEED 1000 cm/s
    assert peaks["yaw_rate"] <= 90.0 + 1e-6


def test_auto_mission_speed_change_and_land() -> None:
    v = SimVehicle()
    v.advance_to(5.0)
    lat, lon = v.local_to_geo(0.0, 400.0)
    v.set_mission(
        [
            MissionItem(0, 0, 16),
            MissionItem(1, FRAME_GLOBAL_RELATIVE_ALT, CMD_NAV_TAKEOFF, z=20),
            MissionItem(2, FRAME_GLOBAL_RELATIVE_ALT, CMD_DO_CHANGE_SPEED, param2=5),
            MissionItem(3, FRAME_GLOBAL_RELATIVE_ALT, CMD_NAV_WAYPOINT, x=lat, y=lon, z=20),
            MissionItem(4, FRAME_GLOBAL_RELATIVE_ALT, CMD_NAV_LAND),
        ]
    )
    v.set_mode(Mode.GUIDED)
    v.arm()
    assert v.set_mode(Mode.AUTO)[0]
    top = [0.0]
    run_until(v, lambda: not v.armed, 400, lambda: top.__setitem__(0, max(top[0], math.hypot(*v.vel[:2]))))
    assert top[0] == pytest.approx(5.0, abs=0.1)
    assert list(v.outbox.reached) == [1, 3, 4]
    assert v.pos[1] == pytest.approx(400, abs=2.5) and v.landed


def test_auto_refused_on_the_ground_without_a_takeoff_first() -> None:
    v = SimVehicle()
    v.advance_to(5.0)
    v.set_mission([MissionItem(0, 0, 16), MissionItem(1, 3, CMD_NAV_WAYPOINT, x=50.88, y=1.66, z=20)])
    v.set_mode(Mode.GUIDED)
    v.arm()
    ok, why = v.set_mode(Mode.AUTO)
    assert not ok and why is not None and "Missing Takeoff Cmd" in why


@pytest.mark.parametrize(("start_alt", "expected_return_alt"), [(8.0, 15.0), (40.0, 40.0)])
def test_rtl_climbs_to_rtl_alt_keeps_higher_and_lands_slowly(start_alt, expected_return_alt) -> None:
    v = airborne(start_alt)
    lat, lon = v.local_to_geo(300.0, 0.0)
    v.guided_goto(lat, lon, start_alt)
    run_until(v, lambda: v.pos[0] > 299, 120)
    v.set_mode(Mode.RTL)
    # it climbs (or holds) before moving home
    run_until(v, lambda: v._rtl_state == "return", 60)
    assert v.rel_alt_m == pytest.approx(expected_return_alt, abs=0.6)
    assert v.pos[0] > 295
    low_rates: list[float] = []

    def watch() -> None:
        if 0.5 < v.rel_alt_m < 8.0:
            low_rates.append(-v.vel[2])

    touchdown: list[float] = []
    run_until(v, lambda: v.landed, 300, watch)
    touchdown.append(v.sim_time_s)
    assert math.hypot(v.pos[0], v.pos[1]) < 2.0
    assert max(low_rates) <= 0.5 + 1e-6  # LAND_SPEED below LAND_ALT_LOW (10 m)
    run_until(v, lambda: not v.armed, 5)
    assert 1.9 <= v.sim_time_s - touchdown[0] <= 2.5  # auto-disarm ~2 s after touchdown


def test_battery_drains_faster_flying_than_idle() -> None:
    idle = SimVehicle()
    idle.advance_to(65.0)
    flying = airborne(20)
    used0 = flying.battery.consumed_mah
    flying.advance_to(flying.sim_time_s + 60)
    assert flying.battery.consumed_mah - used0 > 20 * idle.battery.consumed_mah
    assert flying.telemetry().battery_pct < 100.0
    assert 13.0 < flying.battery.voltage_v < 16.8


def test_telemetry_is_amsl_and_carries_the_gimbal() -> None:
    v = airborne(30, Home(50.9, 1.7, 12.0, 90.0))
    v.set_gimbal(-60, 15)
    v.advance_to(v.sim_time_s + 2)
    t = v.telemetry()
    assert t.alt_m == pytest.approx(42.0, abs=1.0) and t.rel_alt_m == pytest.approx(30.0, abs=1.0)
    assert (t.gimbal_pitch_deg, t.gimbal_yaw_deg) == pytest.approx((-60, 15), abs=0.01)
    assert t.mode == "GUIDED" and t.armed and t.gps_fix == 3
    truth = v.true_telemetry()
    assert distance_m(t.lat_deg, t.lon_deg, truth.lat_deg, truth.lon_deg) < 3.0  # GPS/EKF error is small


# a drone with a poor fix, altimeter origin, compass and gimbal (no per-frame jitter: constant biases)
POOR_POSE = TelemetryError(
    gnss_sigma_m=4.0,
    altitude_sigma_m=3.0,
    heading_sigma_deg=3.0,
    pitch_sigma_deg=2.0,
    attitude_jitter_deg=0.0,
)


def test_a_pose_error_moves_the_truth_and_the_reports_reach_the_target() -> None:
    """ArduCopter flies its *estimate* to a target: what it reports converges on the target
    (so a GCS's arrival check still passes) and where it truly is, what its camera sees from, is
    off by the GNSS error; altitudes above sea level carry the origin's bias, heights above home
    do not; heading and gimbal pitch carry the compass and gimbal biases."""
    home = Home(50.87, 1.66, 0.0, 0.0)
    v = airborne(40, home, VehicleConfig(seed=3, telemetry_error=POOR_POSE))
    v.set_gimbal(-35, 0)
    lat, lon = v.local_to_geo(120.0, 80.0)
    assert v.guided_goto(lat, lon, 40.0)
    run_until(v, lambda: math.hypot(v.vel[0], v.vel[1]) < 0.05 and v.sim_time_s > 40, 120)
    said, truth = v.telemetry(), v.true_telemetry()
    assert distance_m(said.lat_deg, said.lon_deg, lat, lon) < 0.5
    pe = v._pose_error
    assert pe is not None
    de, dn = pe.gnss_error_m(v.sim_time_s)
    off = distance_m(said.lat_deg, said.lon_deg, truth.lat_deg, truth.lon_deg)
    assert off == pytest.approx(math.hypot(de, dn), abs=0.3) and off > 0.5
    # the truth lies opposite the error: the drone believes it is at truth + error
    err_bearing = math.degrees(math.atan2(de, dn)) % 360
    assert (
        abs(
            (bearing_deg(truth.lat_deg, truth.lon_deg, said.lat_deg, said.lon_deg) - err_bearing + 180) % 360
            - 180
        )
        < 10
    )
    assert said.alt_m - truth.alt_m == pytest.approx(
        pe.altitude_bias_m, abs=0.2
    )  # + the EKF noise and abs(pe.altitude_bias_m) > 0.1
    assert said.rel_alt_m == pytest.approx(truth.rel_alt_m, abs=0.2) and truth.rel_alt_m == pytest.approx(
        40.0, abs=0.5
    )
    assert (said.camera_yaw_deg - truth.camera_yaw_deg) % 360 == pytest.approx(
        pe.heading_bias_deg % 360, abs=1e-6
    )
    assert said.gimbal_pitch_deg == pytest.approx(-35.0, abs=0.01)
    assert said.gimbal_pitch_deg - truth.gimbal_pitch_deg == pytest.approx(pe.pitch_bias_deg, abs=1e-6)


def test_the_camera_shakes_by_the_jitter_each_picture_while_the_reports_stay_steady() -> None:
    """Each ``true_telemetry()`` (one per rendered picture) adds a fresh attitude jitter draw to the
    biases; what the vehicle reports does not move."""
    jitter = TelemetryError.none().model_copy(update={"attitude_jitter_deg": 0.3})
    v = airborne(30, config=VehicleConfig(seed=4, telemetry_error=jitter))
    v.set_gimbal(-30, 0)
    run_until(v, lambda: v.sim_time_s > 35, 60)
    said = v.telemetry()
    pitch = np.array([v.true_telemetry().gimbal_pitch_deg - said.gimbal_pitch_deg for _ in range(400)])
    yaw = np.array(
        [(v.true_telemetry().camera_yaw_deg - said.camera_yaw_deg + 180) % 360 - 180 for _ in range(400)]
    )
    assert v.telemetry().gimbal_pitch_deg == said.gimbal_pitch_deg
    assert pitch.std() == pytest.approx(0.3, rel=0.15) and abs(pitch.mean()) < 0.05
    assert yaw.std() == pytest.approx(0.3, rel=0.15) and abs(yaw.mean()) < 0.05
    assert len(set(pitch.tolist())) == len(pitch)  # a new draw every picture


def test_without_a_pose_error_the_truth_is_the_estimate() -> None:
    v = airborne(30, config=VehicleConfig(telemetry_error=TelemetryError.none()))
    said, truth = v.telemetry(), v.true_telemetry()
    assert distance_m(said.lat_deg, said.lon_deg, truth.lat_deg, truth.lon_deg) < 0.5  # the EKF's own noise
    assert (said.alt_m, said.camera_yaw_deg, said.gimbal_pitch_deg) == pytest.approx(
        (truth.alt_m, truth.camera_yaw_deg, truth.gimbal_pitch_deg), abs=0.5
    )


def test_same_seed_same_flight() -> None:
    a, b = airborne(20), airborne(20)
    assert a.telemetry() == b.telemetry()


@given(st.floats(-20_000, 20_000), st.floats(-20_000, 20_000))
@settings(max_examples=60, deadline=None)
def test_local_frame_round_trip_and_distances(e: float, n: float) -> None:
    v = SimVehicle(Home(50.87, 1.66))
    lat, lon = v.local_to_geo(e, n)
    e2, n2 = v.geo_to_local(lat, lon)
    assert e2 == pytest.approx(e, abs=1e-6) and n2 == pytest.approx(n, abs=1e-6)
    d = distance_m(50.87, 1.66, lat, lon)
    assert d == pytest.approx(math.hypot(e, n), rel=2e-3, abs=0.05)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("50.9,1.7", Home(50.9, 1.7, 0.0, 0.0)),
        ("50.9, 1.7, 12.5, 270", Home(50.9, 1.7, 12.5, 270.0)),
        ("50.9", SimConfigError),
        ("50.9,1.7,0,0,5", SimConfigError),
        ("north,1.7", SimConfigError),
        ("95,1.7", SimConfigError),
        ("50,nan", SimConfigError),
    ],
)
def test_home_parse(text, expected) -> None:
    if isinstance(expected, Home):
        assert Home.parse(text) == expected
    else:
        with pytest.raises(expected):
            Home.parse(text)


@pytest.mark.parametrize(
    "kwargs",
    [{"instances": 0}, {"instances": 51}, {"speedup": 0}, {"base_port": 65535, "instances": 2}],
)
def test_fleet_rejects_bad_configuration(kwargs) -> None:
    with pytest.raises(SimConfigError):
        SimFleet(**kwargs)


def test_clock_scales_and_rebases() -> None:
    c = SimClock(20.0, now_wall_s=100.0)
    assert c.target(101.0) == pytest.approx(20.0)
    c.set_speedup(5.0, sim_now_s=20.0, now_wall_s=101.0)
    assert c.target(103.0) == pytest.approx(30.0)
    with pytest.raises(ValueError):
        SimClock(0.0)


@pytest.mark.parametrize(
    ("name", "value", "accepted", "stored"),
    [
        ("WPNAV_SPEED", 500, True, 500.0),
        ("DISARM_DELAY", 7.6, True, 8.0),  # integer parameter: rounded
        ("WPNAV_SPEED", float("nan"), False, 1000.0),
        ("NOT_A_PARAM", 1, False, None),
    ],
)
def test_set_param(name, value, accepted, stored) -> None:
    v = SimVehicle()
    assert v.set_param(name, value) is accepted
    if stored is not None:
        assert v.params[name] == stored


def _sangatte_with_site_fence() -> SimVehicle:
    from shorewatch.site import load_site

    site = load_site()
    lp = site.launch_point("Sangatte")
    return SimVehicle(Home(lp.lat_deg, lp.lon_deg), fence_polygon=site.geofence)


def test_polygon_fence_from_the_site_triggers_rtl() -> None:
    v = _sangatte_with_site_fence()
    v.set_param("FENCE_ENABLE", 1)
    v.set_param("FENCE_TYPE", 4)
    v.set_param("WPNAV_SPEED", 2000)
    v.advance_to(5.0)
    v.set_mode(Mode.GUIDED)
    assert v.arm()[0]
    v.takeoff(30)
    run_until(v, lambda: v.rel_alt_m > 29, 60)
    lat, lon = v.local_to_geo(0.0, 8000.0)  # north, out over the Channel past the fence
    v.guided_goto(lat, lon, 30)
    run_until(v, lambda: v.mode == Mode.RTL, 900)
    assert v.fence_breached & 4
    assert "Fence Breached" in [t for _, t in v.outbox.statustexts]
    run_until(v, lambda: not v.armed, 900)
    assert math.hypot(v.pos[0], v.pos[1]) < 2.0


def test_prearm_refused_outside_the_fence() -> None:
    v = SimVehicle(Home(50.7, 1.3))  # far from the Opal Coast geofence
    from shorewatch.site import load_site

    v._fence_polygon = load_site().geofence
    v.set_param("FENCE_ENABLE", 1)
    v.advance_to(5.0)
    v.set_mode(Mode.GUIDED)
    ok, why = v.arm()
    assert not ok and why == "PreArm: Fence: vehicle outside fence"
    v.set_param("ARMING_CHECK", 0)
    assert v.arm()[0]


def test_roi_and_gimbal_manager_in_a_mission() -> None:
    from flight.sim.vehicle import CMD_DO_GIMBAL_MANAGER_PITCHYAW, CMD_DO_SET_ROI, CMD_NAV_LOITER_TIME

    v = SimVehicle()
    v.advance_to(5.0)
    roi_lat, roi_lon = v.local_to_geo(100.0, 0.0)  # 100 m east, at sea level
    # DO commands run while the NAV command before them flies (as in ArduPilot's AP_Mission)
    v.set_mission(
        [
            MissionItem(0, 0, 16),
            MissionItem(1, 3, CMD_NAV_TAKEOFF, z=100),
            MissionItem(2, 3, CMD_NAV_LOITER_TIME, param1=10, z=100),
            MissionItem(3, 2, CMD_DO_GIMBAL_MANAGER_PITCHYAW, param1=-20, param2=30, x=0),
            MissionItem(4, 3, CMD_NAV_LOITER_TIME, param1=10, z=100),
            MissionItem(5, 3, CMD_DO_SET_ROI, x=roi_lat, y=roi_lon, z=0),
            MissionItem(6, 3, CMD_NAV_LOITER_TIME, param1=20, z=100),
        ]
    )
    v.set_mode(Mode.GUIDED)
    v.arm()
    v.set_mode(Mode.AUTO)
    run_until(v, lambda: v.mission_current == 2 and v._nav.get("phase") == "hold", 120)
    v.advance_to(v.sim_time_s + 3)
    assert (v.gimbal_pitch_deg, v.gimbal_yaw_deg) == pytest.approx((-20, 30), abs=0.5)
    run_until(v, lambda: v.mission_current == 4 and v._nav.get("phase") == "hold", 120)
    v.advance_to(v.sim_time_s + 5)
    # looking at a point 100 m east and 100 m below: heading 90, gimbal -45 deg, yaw 0 relative
    assert v.yaw_deg == pytest.approx(90, abs=2)
    assert v.gimbal_pitch_deg == pytest.approx(-45, abs=2)
    assert v.gimbal_yaw_deg == pytest.approx(0, abs=2)


def test_hostile_missions_do_not_hang_or_crash() -> None:
    from flight.sim.vehicle import CMD_DO_JUMP

    v = airborne(20)
    # a DO_JUMP to itself forever, with no NAV command in the loop
    v.set_mission([MissionItem(0, 0, 16), MissionItem(1, 2, CMD_DO_JUMP, param1=1, param2=-1)])
    assert v.set_mode(Mode.AUTO)[0]
    v.advance_to(v.sim_time_s + 5)
    assert v.mission_done and v.armed and abs(v.rel_alt_m - 20) < 1  # holds position
    # unknown commands, a jump past the end, waypoints at 0,0 (= here) and a landing
    v.set_mode(Mode.GUIDED)
    v.set_mission(
        [
            MissionItem(0, 0, 16),
            MissionItem(1, 3, 31337),
            MissionItem(2, 2, CMD_DO_JUMP, param1=999, param2=3),
            MissionItem(3, 3, CMD_NAV_WAYPOINT, x=0, y=0, z=25),
            MissionItem(4, 3, CMD_NAV_LAND),
        ]
    )
    assert v.set_mode(Mode.AUTO)[0]
    run_until(v, lambda: not v.armed, 300)
    assert list(v.outbox.reached)[-2:] == [3, 4]
