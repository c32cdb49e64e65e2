"""Unmodified dronekit drives the simulator over real TCP through a whole flight."""

from __future__ import annotations

import pytest
from dronekit import Command, LocationGlobalRelative, VehicleMode
from pymavlink import mavutil

from flight.sim.vehicle import VehicleConfig
from shorewatch.geo import distance_m, offset

from .conftest import wait_for

REL = mavutil.mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT


def _mission(home_lat: float, home_lon: float) -> list[Command]:
    cmds = [Command(0, 0, 0, REL, mavutil.mavlink.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 0, 0, 25)]
    cmds.append(Command(0, 0, 0, REL, mavutil.mavlink.MAV_CMD_DO_MOUNT_CONTROL, 0, 0, -45, 0, 0, 0, 0, 0, 0))
    for i, (bearing, dist) in enumerate([(0, 150), (90, 150)]):
        lat, lon = offset(home_lat, home_lon, bearing, dist)
        cmds.append(
            Command(
                0,
                0,
                0,
                REL,
                mavutil.mavlink.MAV_CMD_NAV_WAYPOINT,
                0,
                0,
                3 if i == 0 else 0,
                0,
                0,
                0,
                lat,
                lon,
                35,
            )
        )
    cmds.append(Command(0, 0, 0, REL, mavutil.mavlink.MAV_CMD_NAV_LOITER_TIME, 0, 0, 4, 0, 0, 0, 0, 0, 35))
    cmds.append(
        Command(0, 0, 0, REL, mavutil.mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    )
    return cmds


def test_full_lifecycle_guided_then_auto_mission_then_rtl(make_fleet, dronekit_vehicle) -> None:
    fleet = make_fleet(speedup=50)
    sim = fleet.vehicles[0]
    dk = dronekit_vehicle(fleet.connection_strings[0])
    v = dk.v
    assert v.mode.name == "STABILIZE"
    assert v.parameters["WPNAV_SPEED"] == 1000
    wait_for(lambda: v.is_armable, 20, "is_armable")
    assert v.gps_0.fix_type >= 3
    wait_for(lambda: v.home_location is not None, 10, "home_location")

    # GUIDED take-off and a goto
    v.mode = VehicleMode("GUIDED")
    wait_for(lambda: v.mode.name == "GUIDED", 10, "GUIDED")
    v.armed = True
    wait_for(lambda: v.armed, 10, "armed")
    v.simple_takeoff(20)
    wait_for(lambda: v.location.global_relative_frame.alt >= 19.0, 20, "take-off to 20 m")
    home = v.home_location
    lat, lon = offset(home.lat, home.lon, 45, 100)
    v.simple_goto(LocationGlobalRelative(lat, lon, 30))
    wait_for(
        lambda: (
            distance_m(v.location.global_frame.lat, v.location.global_frame.lon, lat, lon) < 3
            and abs(v.location.global_relative_frame.alt - 30) < 1.5
        ),
        30,
        "goto target",
    )

    # upload a mission the way dronekit's docs do: download, clear, add, upload
    cmds = v.commands
    cmds.download()
    cmds.wait_ready(timeout=10)
    cmds.clear()
    for c in _mission(home.lat, home.lon):
        cmds.add(c)
    acks_before = len(dk.msgs["MISSION_ACK"])
    cmds.upload(timeout=10)
    # ArduCopter answers the clear and the upload: two MISSION_ACKs, both accepted
    wait_for(lambda: len(dk.msgs["MISSION_ACK"]) >= acks_before + 2, 10, "two MISSION_ACKs")
    assert all(a.type == 0 for a in dk.msgs["MISSION_ACK"][acks_before:])
    cmds.download()
    cmds.wait_ready(timeout=10)
    assert cmds.count == 6
    assert next(c.command for c in cmds) == mavutil.mavlink.MAV_CMD_NAV_TAKEOFF

    v.mode = VehicleMode("AUTO")
    wait_for(lambda: v.mode.name == "AUTO", 10, "AUTO")
    seen_next = set()
    wait_for(lambda: seen_next.add(cmds.next) or 4 in seen_next, 60, "mission reaches item 4")
    wait_for(
        lambda: sim.gimbal_pitch_deg == pytest.approx(-45, abs=0.5), 10, "gimbal pitched by DO_MOUNT_CONTROL"
    )
    assert v.gimbal.pitch == pytest.approx(-45, abs=1)
    wait_for(lambda: not v.armed, 90, "RTL lands and disarms")
    reached = [m.seq for m in dk.msgs["MISSION_ITEM_REACHED"]]
    assert reached == [1, 3, 4, 5, 6]
    assert dk.said("Reached command #3") and dk.said("Reached command #4")
    loc = v.location.global_frame
    assert distance_m(loc.lat, loc.lon, home.lat, home.lon) < 3
    assert v.location.global_relative_frame.alt < 0.5
    assert dk.said("Disarming motors")


def test_parameters_list_get_set(make_fleet, dronekit_vehicle) -> None:
    fleet = make_fleet(speedup=20)
    v = dronekit_vehicle(fleet.connection_strings[0]).v
    names = set(v.parameters.keys())
    for required in (
        "WPNAV_SPEED",
        "RTL_ALT",
        "FENCE_ENABLE",
        "FENCE_TYPE",
        "FENCE_ALT_MAX",
        "FENCE_RADIUS",
        "FENCE_ACTION",
        "BATT_CAPACITY",
        "BATT_LOW_VOLT",
        "BATT_FS_LOW_ACT",
        "FS_GCS_ENABLE",
        "FS_GCS_TIMEOUT",
        "ARMING_CHECK",
        "DISARM_DELAY",
        "SIM_SPEEDUP",
        "MAV_SYSID",
    ):
        assert required in names
    v.parameters["WPNAV_SPEED"] = 650
    wait_for(lambda: v.parameters["WPNAV_SPEED"] == 650, 10, "WPNAV_SPEED set")
    assert fleet.vehicles[0].params["WPNAV_SPEED"] == 650
    v.parameters["RTL_ALT"] = 3000
    wait_for(lambda: fleet.vehicles[0].params["RTL_ALT"] == 3000, 10, "RTL_ALT set")


def test_home_is_unknown_until_the_ekf_has_an_origin(make_fleet, dronekit_vehicle) -> None:
    fleet = make_fleet(speedup=1, config=VehicleConfig(gps_detect_s=0.2, gps_fix_s=0.5, ekf_ready_s=600))
    dk = dronekit_vehicle(fleet.connection_strings[0])
    assert dk.v.home_location is None
    assert not dk.v.is_armable
    dk.v.mode = VehicleMode("GUIDED")  # needs a position estimate: refused
    wait_for(lambda: dk.said("Mode change to GUIDED failed: requires position"), 10, "mode refusal")
    assert dk.v.mode.name == "STABILIZE"


def test_auto_disarm_after_disarm_delay_without_takeoff(make_fleet, dronekit_vehicle) -> None:
    fleet = make_fleet(speedup=50)
    v = dronekit_vehicle(fleet.connection_strings[0]).v
    wait_for(lambda: v.is_armable, 20, "is_armable")
    v.mode = VehicleMode("GUIDED")
    wait_for(lambda: v.mode.name == "GUIDED", 10, "GUIDED")
    v.armed = True
    wait_for(lambda: v.armed, 10, "armed")
    sim = fleet.vehicles[0]
    wait_for(lambda: not v.armed, 20, "auto-disarm")
    assert sim.sim_time_s - sim._armed_at_s >= 10.0  # DISARM_DELAY
    assert sim.landed and sim.rel_alt_m == 0.0
