"""Protocol-level behaviour with a raw pymavlink client: refusals, hostile input, the mission
protocol with out-of-order and retried requests, message intervals in sim time, several vehicles."""

from __future__ import annotations

import math
import os
import random
import socket

import pytest
from pymavlink.dialects.v20 import ardupilotmega as ml

from flight.sim.vehicle import VehicleConfig

from .conftest import free_base_port, wait_for

ACCEPTED, DENIED, UNSUPPORTED, FAILED = 0, 2, 3, 4


def _ready(make_fleet, mav, speedup: float = 50, **kw):
    fleet = make_fleet(speedup=speedup, **kw)
    c = mav(fleet.ports[0])
    return fleet, fleet.vehicles[0], c


def test_heartbeat_is_arducopter_quad(make_fleet, mav) -> None:
    _fleet, _sim, c = _ready(make_fleet, mav)
    hb = c.recv("HEARTBEAT")
    assert hb.type == ml.MAV_TYPE_QUADROTOR
    assert hb.autopilot == ml.MAV_AUTOPILOT_ARDUPILOTMEGA
    assert hb.custom_mode == 0  # STABILIZE
    assert hb.base_mode & ml.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
    c.m.mav.command_long_send(
        1, 1, ml.MAV_CMD_REQUEST_MESSAGE, 0, ml.MAVLINK_MSG_ID_AUTOPILOT_VERSION, 0, 0, 0, 0, 0, 0
    )
    av = c.recv("AUTOPILOT_VERSION")
    assert av is not None and av.capabilities & ml.MAV_PROTOCOL_CAPABILITY_MISSION_INT
    assert (av.flight_sw_version >> 24, (av.flight_sw_version >> 16) & 0xFF) == (4, 7)


def test_prearm_refusal_before_gps_and_ekf(make_fleet, mav) -> None:
    _fleet, sim, c = _ready(
        make_fleet, mav, speedup=1, config=VehicleConfig(gps_detect_s=0.1, gps_fix_s=600, ekf_ready_s=600)
    )
    wait_for(lambda: sim.sim_time_s > 0.2, 5, "GPS detected")
    ack = c.command(ml.MAV_CMD_COMPONENT_ARM_DISARM, 1)
    assert ack is not None and ack.result == FAILED
    txt = c.recv("STATUSTEXT", lambda m: m.text.startswith("PreArm"))
    assert txt is not None and txt.text == "PreArm: GPS 1: Bad fix"
    assert not sim.armed


def test_arm_refused_in_a_mode_that_is_not_armable(make_fleet, mav) -> None:
    _fleet, sim, c = _ready(make_fleet, mav)
    wait_for(lambda: sim.ekf_position_ok, 10, "EKF ready")
    ack = c.command(ml.MAV_CMD_DO_SET_MODE, ml.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, 6)  # RTL
    assert ack.result == ACCEPTED
    ack = c.command(ml.MAV_CMD_COMPONENT_ARM_DISARM, 1)
    assert ack.result == FAILED
    assert c.recv("STATUSTEXT", lambda m: m.text == "Arm: Mode not armable") is not None
    # forced arming (param2 = 2989) skips the checks, as in ArduPilot
    c.command(ml.MAV_CMD_DO_SET_MODE, ml.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, 4)
    assert c.command(ml.MAV_CMD_COMPONENT_ARM_DISARM, 1, 2989).result == ACCEPTED


@pytest.mark.parametrize(
    ("cmd", "params", "expected"),
    [
        (ml.MAV_CMD_DO_SET_MODE, (ml.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, 99), FAILED),  # no such mode
        (ml.MAV_CMD_DO_SET_MODE, (0, 4), UNSUPPORTED),  # not a custom mode
        (ml.MAV_CMD_COMPONENT_ARM_DISARM, (5,), DENIED),
        (ml.MAV_CMD_NAV_TAKEOFF, (0, 0, 0, 0, 0, 0, 20), FAILED),  # not armed
        (ml.MAV_CMD_NAV_TAKEOFF, (math.nan, 0, 0, 0, 0, 0, 20), FAILED),
        (ml.MAV_CMD_DO_CHANGE_SPEED, (1, -3), FAILED),
        (ml.MAV_CMD_DO_SET_HOME, (0, 0, 0, 0, 95.0, 1.0, 0), FAILED),  # latitude out of range
        (ml.MAV_CMD_DO_MOTOR_TEST, (1, 0, 0, 0, 0, 0, 0), UNSUPPORTED),
        (31337, (), UNSUPPORTED),
        (ml.MAV_CMD_SET_MESSAGE_INTERVAL, (9999, 1000), UNSUPPORTED),
        (ml.MAV_CMD_PREFLIGHT_REBOOT_SHUTDOWN, (7,), UNSUPPORTED),
    ],
)
def test_bad_commands_are_answered_not_fatal(make_fleet, mav, cmd, params, expected) -> None:
    _fleet, sim, c = _ready(make_fleet, mav)
    wait_for(lambda: sim.ekf_position_ok, 10, "EKF ready")
    ack = c.command(cmd, *params)
    assert ack is not None, "no COMMAND_ACK"
    assert ack.result == expected
    # still alive and answering
    assert c.command(ml.MAV_CMD_REQUEST_MESSAGE, ml.MAVLINK_MSG_ID_HEARTBEAT).result == ACCEPTED


def test_garbage_and_unknown_messages_never_crash_it(make_fleet, mav) -> None:
    fleet, sim, c = _ready(make_fleet, mav)
    rng = random.Random(3)
    raw = socket.create_connection(("127.0.0.1", fleet.ports[0]))
    for _ in range(50):
        raw.sendall(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 600))))
    # frames that look like MAVLink 2 with bad lengths / CRCs
    raw.sendall(b"\xfd\xff\x00\x00\x00\xff\x00\x4c\x00\x00" + os.urandom(300))
    raw.sendall(b"\xfe\x09" + os.urandom(20) + b"\xfd")
    raw.close()
    # well-formed messages the vehicle does not handle, and one for another system
    c.m.mav.debug_send(0, 1, 2.0)
    c.m.mav.command_long_send(42, 1, ml.MAV_CMD_COMPONENT_ARM_DISARM, 0, 1, 2989, 0, 0, 0, 0, 0)
    c.m.mav.param_set_send(1, 1, b"NO_SUCH_PARAM", 1.0, ml.MAV_PARAM_TYPE_REAL32)
    c.m.mav.param_set_send(1, 1, b"WPNAV_SPEED", math.nan, ml.MAV_PARAM_TYPE_REAL32)
    c.m.mav.mission_request_int_send(1, 1, 9999, 0)
    assert c.recv("MISSION_ACK", lambda a: a.type == ml.MAV_MISSION_INVALID_SEQUENCE) is not None
    assert c.command(ml.MAV_CMD_REQUEST_MESSAGE, ml.MAVLINK_MSG_ID_HEARTBEAT).result == ACCEPTED
    assert fleet.error is None and not sim.armed
    assert sim.params["WPNAV_SPEED"] == 1000
    wait_for(lambda: fleet.servers[0].stats["rx_bad"] > 0, 10, "the garbage to be counted as bad frames")


def _item_int(
    c, seq: int, cmd: int, lat: float = 0.0, lon: float = 0.0, alt: float = 30.0, frame: int = 3, p1=0.0
):
    return ml.MAVLink_mission_item_int_message(
        c.sysid, 1, seq, frame, cmd, 0, 1, p1, 0, 0, 0, int(lat * 1e7), int(lon * 1e7), alt, 0
    )


def test_mission_upload_with_out_of_order_and_repeated_items_and_download_in_any_order(
    make_fleet, mav
) -> None:
    _fleet, sim, c = _ready(make_fleet, mav)
    wait_for(lambda: sim.home_set, 10, "home set")
    lat0, lon0 = sim.home0.lat_deg, sim.home0.lon_deg
    items = [
        ml.MAVLink_mission_item_message(
            c.sysid, 1, 0, 0, 16, 0, 1, 0, 0, 0, 0, lat0, lon0, 0, 0
        ),  # float home
        _item_int(c, 1, ml.MAV_CMD_NAV_TAKEOFF, alt=20),
        _item_int(c, 2, ml.MAV_CMD_NAV_WAYPOINT, lat0 + 0.001, lon0, 30),
        _item_int(c, 3, ml.MAV_CMD_NAV_WAYPOINT, lat0 + 0.001, lon0 + 0.001, 30, p1=5),
    ]
    c.m.mav.mission_count_send(c.sysid, 1, len(items), 0)
    req = c.recv(["MISSION_REQUEST", "MISSION_REQUEST_INT"])
    assert req.seq == 0
    c.m.mav.send(items[2])  # early: not the one asked for
    assert c.recv(["MISSION_REQUEST", "MISSION_REQUEST_INT"]).seq == 0
    c.m.mav.send(items[0])
    assert c.recv(["MISSION_REQUEST", "MISSION_REQUEST_INT"]).seq == 1
    c.m.mav.send(items[0])  # a retry of an old one
    assert c.recv(["MISSION_REQUEST", "MISSION_REQUEST_INT"]).seq == 1
    for it in items[1:]:
        c.m.mav.send(it)
    ack = c.recv("MISSION_ACK")
    assert ack.type == ml.MAV_MISSION_ACCEPTED
    assert len(sim.mission) == 4
    # download, asking in a scrambled order with repeats
    c.m.mav.mission_request_list_send(c.sysid, 1, 0)
    assert c.recv("MISSION_COUNT").count == 4
    got = {}
    for seq in (3, 1, 3, 0, 2):
        c.m.mav.mission_request_int_send(c.sysid, 1, seq, 0)
        m = c.recv("MISSION_ITEM_INT", lambda m, seq=seq: m.seq == seq)
        got[seq] = m
    assert got[1].command == ml.MAV_CMD_NAV_TAKEOFF
    assert got[2].x == int((lat0 + 0.001) * 1e7)
    assert got[3].param1 == 5
    assert abs(got[0].x / 1e7 - lat0) < 1e-6  # item 0 is home
    c.m.mav.mission_ack_send(c.sysid, 1, 0, 0)


def test_do_commands_read_back_as_ardupilot_stores_them(make_fleet, mav) -> None:
    """AP_Mission keeps DO_MOUNT_CONTROL's pitch/roll/yaw but not param7 (the mount mode), and
    DO_CHANGE_SPEED's param1-3; x/y/z of both read back as 0. Waypoints keep their position."""
    _fleet, sim, c = _ready(make_fleet, mav)
    wait_for(lambda: sim.home_set, 10, "home set")
    lat0, lon0 = sim.home0.lat_deg, sim.home0.lon_deg
    mount = _item_int(c, 2, ml.MAV_CMD_DO_MOUNT_CONTROL, frame=2, alt=2, p1=-35)
    mount.param3 = -90.0
    speed = _item_int(c, 3, ml.MAV_CMD_DO_CHANGE_SPEED, frame=2)
    speed.param1, speed.param2, speed.param3 = 1.0, 12.0, -1.0
    items = [
        _item_int(c, 0, 16, lat0, lon0),
        _item_int(c, 1, ml.MAV_CMD_NAV_TAKEOFF, alt=20),
        mount,
        speed,
        _item_int(c, 4, ml.MAV_CMD_NAV_WAYPOINT, lat0 + 0.001, lon0, 30),
    ]
    c.m.mav.mission_count_send(c.sysid, 1, len(items), 0)
    for _ in items:
        req = c.recv(["MISSION_REQUEST", "MISSION_REQUEST_INT"])
        c.m.mav.send(items[req.seq])
    assert c.recv("MISSION_ACK").type == ml.MAV_MISSION_ACCEPTED
    got = {}
    for seq in (2, 3, 4):
        c.m.mav.mission_request_int_send(c.sysid, 1, seq, 0)
        got[seq] = c.recv("MISSION_ITEM_INT", lambda m, seq=seq: m.seq == seq)
    assert (got[2].param1, got[2].param3, got[2].z) == (-35.0, -90.0, 0.0)
    assert (got[3].param1, got[3].param2, got[3].x, got[3].z) == (1.0, 12.0, 0, 0.0)
    assert got[4].x == int((lat0 + 0.001) * 1e7) and got[4].z == 30.0


@pytest.mark.parametrize(
    ("count", "bad_item", "expected"),
    [
        (701, None, ml.MAV_MISSION_NO_SPACE),
        (3, ("command", 4242), ml.MAV_MISSION_UNSUPPORTED),
        (3, ("frame", 77), ml.MAV_MISSION_UNSUPPORTED_FRAME),
        (3, ("x", int(95 * 1e7)), ml.MAV_MISSION_INVALID_PARAM5_X),
    ],
)
def test_mission_upload_errors(make_fleet, mav, count, bad_item, expected) -> None:
    _fleet, sim, c = _ready(make_fleet, mav)
    c.m.mav.mission_count_send(c.sysid, 1, count, 0)
    if bad_item is not None:
        assert c.recv(["MISSION_REQUEST", "MISSION_REQUEST_INT"]).seq == 0
        c.m.mav.send(_item_int(c, 0, 16))
        assert c.recv(["MISSION_REQUEST", "MISSION_REQUEST_INT"]).seq == 1
        it = _item_int(c, 1, 16, sim.home0.lat_deg, sim.home0.lon_deg)
        setattr(it, bad_item[0], bad_item[1])
        c.m.mav.send(it)
    ack = c.recv("MISSION_ACK")
    assert ack is not None and ack.type == expected
    assert len(sim.mission) == 1  # nothing half-stored


def test_huge_mission_of_500_items(make_fleet, mav) -> None:
    _fleet, sim, c = _ready(make_fleet, mav)
    lat0, lon0 = sim.home0.lat_deg, sim.home0.lon_deg
    n = 500
    c.m.mav.mission_count_send(c.sysid, 1, n, 0)
    sent = 0
    while True:
        m = c.recv(["MISSION_REQUEST", "MISSION_REQUEST_INT", "MISSION_ACK"], timeout=10)
        assert m is not None
        if m.get_type() == "MISSION_ACK":
            break
        c.m.mav.send(_item_int(c, m.seq, 16, lat0 + m.seq * 1e-5, lon0, 30))
        sent += 1
    assert m.type == ml.MAV_MISSION_ACCEPTED
    assert len(sim.mission) == n
    c.m.mav.mission_request_list_send(c.sysid, 1, 0)
    assert c.recv("MISSION_COUNT").count == n


def test_message_interval_is_counted_in_sim_time(make_fleet, mav) -> None:
    _fleet, _sim, c = _ready(make_fleet, mav, speedup=10)
    c.m.mav.request_data_stream_send(c.sysid, 1, ml.MAV_DATA_STREAM_ALL, 0, 0)  # everything off
    ack = c.command(ml.MAV_CMD_SET_MESSAGE_INTERVAL, ml.MAVLINK_MSG_ID_GLOBAL_POSITION_INT, 500_000)  # 2 Hz
    assert ack.result == ACCEPTED
    first = c.recv("GLOBAL_POSITION_INT")
    stamps = [first.time_boot_ms]
    while stamps[-1] - stamps[0] < 10_000:
        m = c.recv("GLOBAL_POSITION_INT", timeout=5)
        assert m is not None
        stamps.append(m.time_boot_ms)
    # 10 s of sim time at 2 Hz: ~20 messages (1 s of wall time at 10x)
    assert 18 <= len(stamps) - 1 <= 22
    c.m.mav.command_long_send(
        c.sysid,
        1,
        ml.MAV_CMD_GET_MESSAGE_INTERVAL,
        0,
        ml.MAVLINK_MSG_ID_GLOBAL_POSITION_INT,
        0,
        0,
        0,
        0,
        0,
        0,
    )
    assert c.recv("MESSAGE_INTERVAL").interval_us == 500_000


def test_guided_goto_by_set_position_target_and_gimbal_manager(make_fleet, mav) -> None:
    _fleet, sim, c = _ready(make_fleet, mav)
    wait_for(lambda: sim.ekf_position_ok, 10, "EKF ready")
    c.command(ml.MAV_CMD_DO_SET_MODE, ml.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, 4)
    assert c.command(ml.MAV_CMD_COMPONENT_ARM_DISARM, 1).result == ACCEPTED
    assert c.command(ml.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 15).result == ACCEPTED
    wait_for(lambda: sim.rel_alt_m > 14.5, 15, "take-off")
    lat, lon = sim.home0.lat_deg + 0.0009, sim.home0.lon_deg
    c.m.mav.set_position_target_global_int_send(
        0,
        c.sysid,
        1,
        ml.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
        0b110111111000,
        int(lat * 1e7),
        int(lon * 1e7),
        25,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
    )
    wait_for(lambda: abs(sim.telemetry().lat_deg - lat) < 2e-5 and abs(sim.rel_alt_m - 25) < 1, 20, "goto")
    assert c.command(ml.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW, -30, 20, 0, 0, 0, 0, 0).result == ACCEPTED
    wait_for(
        lambda: abs(sim.gimbal_pitch_deg + 30) < 0.5 and abs(sim.gimbal_yaw_deg - 20) < 0.5, 10, "gimbal"
    )
    t = sim.telemetry()
    assert (t.gimbal_pitch_deg, t.gimbal_yaw_deg) == pytest.approx((-30, 20), abs=0.5)
    assert t.alt_m == pytest.approx(sim.home_alt_amsl + t.rel_alt_m)
    st = c.recv("GIMBAL_DEVICE_ATTITUDE_STATUS", timeout=5)
    assert st is not None


def test_several_vehicles_each_with_its_own_port_and_sysid(make_fleet, mav) -> None:
    fleet = make_fleet(instances=2, speedup=20)
    assert fleet.ports[1] == fleet.ports[0] + 10
    a, b = mav(fleet.ports[0]), mav(fleet.ports[1])
    assert (a.sysid, b.sysid) == (1, 2)
    wait_for(lambda: fleet.vehicles[1].ekf_position_ok, 10, "EKF ready")
    b.command(ml.MAV_CMD_DO_SET_MODE, ml.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, 4)
    assert b.command(ml.MAV_CMD_COMPONENT_ARM_DISARM, 1).result == ACCEPTED
    assert fleet.vehicles[1].armed and not fleet.vehicles[0].armed
    t0, t1 = fleet.vehicles[0].telemetry(), fleet.vehicles[1].telemetry()
    assert (t0.vehicle_id, t1.vehicle_id) == ("drone-1", "drone-2")


def test_link_cut_refuses_connections_until_restored(make_fleet, mav) -> None:
    fleet, sim, _c = _ready(make_fleet, mav)
    sim.cut_link()
    wait_for(lambda: fleet.servers[0].listener is None, 5, "listener closed")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", fleet.ports[0]), timeout=2)
    sim.restore_link()
    c2 = mav(fleet.ports[0])
    assert c2.sysid == 1


def test_port_in_use_is_a_clear_error() -> None:
    from flight.sim.mavlink_server import LinkError
    from flight.sim.sitl import SimFleet

    port = free_base_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
        s.listen(1)
        with pytest.raises(LinkError, match=str(port)):
            SimFleet(base_port=port).start()


def test_sim_link_cut_parameter_cuts_then_restores_by_itself(make_fleet, mav) -> None:
    fleet, sim, c = _ready(make_fleet, mav, speedup=20)
    c.m.mav.param_set_send(c.sysid, 1, b"SIM_LINK_CUT", 20.0, ml.MAV_PARAM_TYPE_REAL32)  # 20 s of sim time
    wait_for(lambda: sim.link_cut, 5, "link cut")
    wait_for(lambda: fleet.servers[0].listener is None, 5, "listener closed")
    wait_for(
        lambda: not sim.link_cut and fleet.servers[0].listener is not None, 10, "link back after 20 sim s"
    )
    assert mav(fleet.ports[0]).sysid == 1


def test_reboot_restarts_the_boot_sequence(make_fleet, mav) -> None:
    _fleet, sim, c = _ready(make_fleet, mav, speedup=20)
    wait_for(lambda: sim.ekf_position_ok, 10, "EKF ready")
    c.m.mav.param_set_send(c.sysid, 1, b"WPNAV_SPEED", 700.0, ml.MAV_PARAM_TYPE_REAL32)
    wait_for(lambda: sim.params["WPNAV_SPEED"] == 700, 5, "param set")
    assert c.command(ml.MAV_CMD_PREFLIGHT_REBOOT_SHUTDOWN, 1).result == ACCEPTED
    wait_for(lambda: sim.sim_time_s < 2.0 and not sim.ekf_position_ok, 5, "rebooted")
    assert sim.params["WPNAV_SPEED"] == 700  # parameters survive a reboot
    wait_for(lambda: sim.ekf_position_ok, 10, "EKF ready again")
    assert c.recv("GLOBAL_POSITION_INT", timeout=5) is not None  # streams resume


def test_request_data_stream_rates_are_in_sim_time(make_fleet, mav) -> None:
    fleet, _sim, c = _ready(make_fleet, mav, speedup=10)
    c.m.mav.request_data_stream_send(c.sysid, 1, ml.MAV_DATA_STREAM_ALL, 4, 1)  # as dronekit asks
    seen: dict[str, list[int]] = {}
    first = c.recv("ATTITUDE")
    t_end = first.time_boot_ms + 5_000
    while True:
        m = c.recv(
            [
                "ATTITUDE",
                "GLOBAL_POSITION_INT",
                "VFR_HUD",
                "SYS_STATUS",
                "EKF_STATUS_REPORT",
                "BATTERY_STATUS",
                "MOUNT_STATUS",
                "GPS_RAW_INT",
            ],
            timeout=5,
        )
        assert m is not None
        if m.get_type() == "ATTITUDE" and m.time_boot_ms > t_end:
            break
        seen.setdefault(m.get_type(), []).append(1)
    # 5 s of sim time at 4 Hz: ~20 of each (within the stream groups dronekit turned on)
    assert 17 <= len(seen["ATTITUDE"]) <= 22
    for name in (
        "GLOBAL_POSITION_INT",
        "VFR_HUD",
        "SYS_STATUS",
        "EKF_STATUS_REPORT",
        "BATTERY_STATUS",
        "MOUNT_STATUS",
        "GPS_RAW_INT",
    ):
        assert 15 <= len(seen.get(name, [])) <= 23, name
    c.m.mav.request_data_stream_send(c.sysid, 1, ml.MAV_DATA_STREAM_ALL, 0, 0)
    assert fleet.error is None


def test_altitudes_above_sea_level_carry_the_origin_bias_on_the_wire(make_fleet, mav) -> None:
    """With a pose error, every altitude above sea level the vehicle sends (GLOBAL_POSITION_INT,
    GPS_RAW_INT, HOME_POSITION) is the truth plus one bias (its EKF origin's altitude came from
    GNSS), while the height above home stays true: what shorewatch must georeference from."""
    from flight.sim.scenario import TelemetryError

    error = TelemetryError(altitude_sigma_m=5.0, attitude_jitter_deg=0.0)
    _fleet, sim, c = _ready(make_fleet, mav, config=VehicleConfig(seed=2, telemetry_error=error))
    wait_for(lambda: sim.ekf_position_ok, 10, "EKF ready")
    bias = sim.alt_bias_m
    assert abs(bias) > 0.5  # this seed's draw; 0 would make the test vacuous
    truth = sim.true_telemetry()
    assert truth.alt_m == pytest.approx(0.0, abs=0.05)  # on the sand at sea level
    pos = c.recv("GLOBAL_POSITION_INT", lambda m: m.alt != 0)
    assert pos.alt / 1000 == pytest.approx(truth.alt_m + bias, abs=0.3)
    assert pos.relative_alt / 1000 == pytest.approx(0.0, abs=0.3)
    gps = c.recv("GPS_RAW_INT", lambda m: m.fix_type >= 3)
    assert gps.alt / 1000 == pytest.approx(truth.alt_m + bias, abs=1.0)
    assert c.command(ml.MAV_CMD_DO_SET_MODE, ml.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, 4).result == ACCEPTED
    assert c.command(ml.MAV_CMD_COMPONENT_ARM_DISARM, 1).result == ACCEPTED  # home = here
    home = c.recv("HOME_POSITION")
    assert home.altitude / 1000 == pytest.approx(truth.alt_m + bias, abs=0.3)
