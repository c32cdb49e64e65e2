"""ArduCopter's failsafes, driven and observed through dronekit over TCP, faults injected with
the SimVehicle control interface (as a trainer or test would)."""

from __future__ import annotations

import socket

import pytest
from dronekit import VehicleMode

from shorewatch.geo import distance_m, offset

from .conftest import wait_for


def _airborne(make_fleet, dronekit_vehicle, alt: float = 20.0, speedup: float = 50, **params: float):
    fleet = make_fleet(speedup=speedup)
    sim = fleet.vehicles[0]
    dk = dronekit_vehicle(fleet.connection_strings[0])
    v = dk.v
    for k, val in params.items():
        v.parameters[k] = val
        wait_for(lambda k=k, val=val: sim.params[k] == val, 10, f"{k} set")
    wait_for(lambda: v.is_armable, 20, "is_armable")
    v.mode = VehicleMode("GUIDED")
    wait_for(lambda: v.mode.name == "GUIDED", 10, "GUIDED")
    v.armed = True
    wait_for(lambda: v.armed, 10, "armed")
    v.simple_takeoff(alt)
    wait_for(lambda: v.location.global_relative_frame.alt >= alt - 1, 20, "take-off")
    return fleet, sim, dk


def test_battery_low_triggers_rtl_then_critical_lands(make_fleet, dronekit_vehicle) -> None:
    _fleet, sim, dk = _airborne(make_fleet, dronekit_vehicle)
    v = dk.v
    home = v.home_location
    lat, lon = offset(home.lat, home.lon, 0, 150)
    from dronekit import LocationGlobalRelative

    v.simple_goto(LocationGlobalRelative(lat, lon, 20))
    wait_for(
        lambda: distance_m(v.location.global_frame.lat, v.location.global_frame.lon, lat, lon) < 50,
        20,
        "away",
    )
    sim.set_battery_drain(15)
    wait_for(lambda: v.mode.name == "RTL", 30, "low battery -> RTL")
    assert dk.said("Battery 1 is low")
    wait_for(lambda: v.mode.name == "LAND" or not v.armed, 30, "critical battery -> LAND")
    assert dk.said("Battery 1 is critical")
    wait_for(lambda: not v.armed, 60, "landed and disarmed")
    assert v.battery.level is not None and v.battery.level < 20


def test_gcs_heartbeat_loss_triggers_rtl(make_fleet, dronekit_vehicle) -> None:
    # the GCS heartbeat gap is measured in sim time: at 20x a 1 Hz GCS looks like 0.05 Hz, so a
    # 45 s timeout keeps a connected GCS alive
    fleet, sim, _dk = _airborne(make_fleet, dronekit_vehicle, speedup=20, FS_GCS_ENABLE=1, FS_GCS_TIMEOUT=45)
    t0 = sim.sim_time_s
    wait_for(lambda: sim.sim_time_s > t0 + 50, 10, "50 s of sim time with a live GCS")
    assert sim.mode.name == "GUIDED" and not sim.gcs_failsafe
    sim.cut_link()
    wait_for(lambda: sim.mode.name == "RTL", 15, "GCS failsafe -> RTL")
    assert sim.gcs_failsafe
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", fleet.ports[0]), timeout=2) as s:
        s.recv(1)  # refused, or accepted by nobody and closed
        raise OSError("closed")
    sim.restore_link()
    wait_for(lambda: _can_connect(fleet.ports[0]), 10, "link restored")


def _can_connect(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.settimeout(2)
            return len(s.recv(16)) > 0
    except OSError:
        return False


@pytest.mark.parametrize(
    ("params", "move", "breach_text"),
    [
        ({"FENCE_ENABLE": 1, "FENCE_TYPE": 1, "FENCE_ALT_MAX": 40}, (0, 0, 60), "altitude"),
        ({"FENCE_ENABLE": 1, "FENCE_TYPE": 2, "FENCE_RADIUS": 100}, (90, 200, 20), "circle"),
    ],
)
def test_fence_breach_triggers_rtl(make_fleet, dronekit_vehicle, params, move, breach_text) -> None:
    from dronekit import LocationGlobalRelative

    _fleet, _sim, dk = _airborne(make_fleet, dronekit_vehicle, **params)
    v = dk.v
    home = v.home_location
    lat, lon = offset(home.lat, home.lon, move[0], move[1])
    v.simple_goto(LocationGlobalRelative(lat, lon, move[2]))
    wait_for(lambda: v.mode.name == "RTL", 30, f"{breach_text} fence breach -> RTL")
    assert dk.said("Fence Breached")
    wait_for(lambda: not v.armed, 90, "RTL lands and disarms")
    loc = v.location.global_frame
    assert distance_m(loc.lat, loc.lon, home.lat, home.lon) < 3


def test_gps_loss_triggers_ekf_failsafe_land(make_fleet, dronekit_vehicle) -> None:
    _fleet, sim, dk = _airborne(make_fleet, dronekit_vehicle)
    v = dk.v
    sim.set_gps(False)
    wait_for(lambda: v.gps_0.fix_type is not None and v.gps_0.fix_type < 2, 10, "GPS fix lost")
    wait_for(lambda: v.mode.name == "LAND", 10, "EKF failsafe -> LAND")
    assert dk.said("EKF Failsafe")
    assert not v.is_armable
    wait_for(lambda: not v.armed, 60, "landed and disarmed")
    sim.set_gps(True)
    wait_for(lambda: v.is_armable, 10, "armable again with GPS back")


def test_wind_pushes_a_vehicle_without_position_hold(make_fleet, dronekit_vehicle) -> None:
    _fleet, sim, dk = _airborne(make_fleet, dronekit_vehicle)
    v = dk.v
    sim.set_wind(8.0, 270.0)  # from the west: blows east
    e0 = sim.pos[0]
    v.mode = VehicleMode("ALT_HOLD")
    wait_for(lambda: sim.pos[0] > e0 + 40, 15, "drift east with the wind")
    assert abs(sim.rel_alt_m - 20) < 1.5  # ALT_HOLD keeps altitude
    v.mode = VehicleMode("LOITER")
    wait_for(lambda: v.mode.name == "LOITER", 10, "LOITER")
    e1 = sim.pos[0]
    t1 = sim.sim_time_s
    wait_for(lambda: sim.sim_time_s > t1 + 20, 10, "20 s of LOITER")
    assert abs(sim.pos[0] - e1) < 15  # position hold against the wind
