"""Flight control against the simulator over real MAVLink/TCP, at speed-up (no sleeps: every
wait is for a condition the vehicle reports, with a timeout)."""

from __future__ import annotations

import asyncio
import time

import pytest

from flight.errors import CommandRejected, MissionAborted, PlanValidationError, PreflightFailed
from flight.fleet import PatrolController
from flight.planning import GeoPoint, corridor_patrol
from flight.sim.sitl import SimFleet
from flight.vehicle import Drone, EventKind, LinkState, MissionState
from shorewatch.site import load_site
from tests.e2e.helpers import free_port_block

SITE = load_site()
SANGATTE = SITE.launch_point("Sangatte")
HOME = GeoPoint(SANGATTE.lat_deg, SANGATTE.lon_deg)
SPEEDUP = 25.0


_free_base_port = free_port_block


async def _until(cond) -> None:
    while not cond():
        await asyncio.sleep(0.02)


def _short_patrol(**kw):
    args = dict(start_m=4000, end_m=4800, standoff_m=100, altitude_m=40, speed_mps=15, home=HOME)
    args.update(kw)
    return corridor_patrol(SITE, **args)


@pytest.fixture
def sim():
    fleet = SimFleet(1, speedup=SPEEDUP, base_port=_free_base_port(1), site=SITE)
    fleet.start()
    yield fleet
    fleet.stop()


async def _connected(conn: str, **kw) -> Drone:
    d = Drone(conn, **kw)
    await d.connect(timeout_s=30)
    return d


async def test_one_drone_flies_a_patrol_with_telemetry_and_progress(sim) -> None:
    d = await _connected(sim.connection_strings[0])
    try:
        plan = _short_patrol()
        events = []
        samples = []

        async def collect_events():
            async for ev in d.events():
                events.append(ev)

        async def collect_tel():
            async for t in d.telemetry():
                samples.append((time.monotonic(), t))

        tasks = [asyncio.create_task(collect_events()), asyncio.create_task(collect_tel())]
        await d.start_mission(plan, site=SITE)
        assert d.status.mode == "AUTO" and d.status.armed
        state = await d.wait_mission_done(timeout_s=90)
        for t in tasks:
            t.cancel()
        assert state == MissionState.COMPLETED
        st = d.status
        assert st.total_items == len(plan.items) and st.current_item == len(plan.items)
        reached = [e.item for e in events if e.kind == EventKind.REACHED]
        wps = [i for i, it in enumerate(plan.items, start=1) if it.has_position]
        assert set(wps) <= set(reached)
        # telemetry: a Telemetry stream at >= 4 Hz, with the gimbal pitched as planned while patrolling
        span = samples[-1][0] - samples[0][0]
        assert len(samples) / span >= 4.0
        pitches = [t.gimbal_pitch_deg for _, t in samples if t.mode == "AUTO" and t.rel_alt_m > 35]
        assert any(abs(p - plan.gimbal_pitch_deg) < 2 for p in pitches)
        assert max(t.rel_alt_m for _, t in samples) == pytest.approx(40, abs=3)
        assert not st.armed and st.mission == MissionState.COMPLETED
    finally:
        await d.close()


async def test_telemetry_carries_the_receivers_own_accuracy() -> None:
    """GPS_RAW_INT ``h_acc`` reaches every Telemetry sample: what georeferencing states as the
    GNSS part of an alert's error (a simulated drone with a poor fix: 4 m per axis)."""
    from flight.sim.scenario import TelemetryError
    from flight.sim.vehicle import VehicleConfig

    poor = VehicleConfig(telemetry_error=TelemetryError(gnss_sigma_m=4.0))
    fleet = SimFleet(1, speedup=SPEEDUP, base_port=_free_base_port(1), site=SITE, config=poor)
    fleet.start()
    try:
        d = await _connected(fleet.connection_strings[0])
        try:
            async for t in d.telemetry():
                if t.gnss_accuracy_m is not None:
                    break
            assert t.gnss_accuracy_m == pytest.approx(4.0 * 2**0.5, abs=0.01)
            assert fleet.vehicles[0].telemetry().gnss_accuracy_m == pytest.approx(t.gnss_accuracy_m, abs=0.01)
        finally:
            await d.close()
    finally:
        fleet.stop()


async def test_invalid_plans_are_rejected_before_upload(sim) -> None:
    d = await _connected(sim.connection_strings[0])
    try:
        before = len(sim.vehicles[0].mission)
        too_high = _short_patrol(altitude_m=150)
        with pytest.raises(PlanValidationError, match="above the 120 m ceiling"):
            await d.start_mission(too_high, site=SITE)
        gris_nez = corridor_patrol(SITE, start_m=20000, end_m=23000, altitude_m=60, home=HOME)
        with pytest.raises(PlanValidationError) as exc:
            await d.start_mission(gris_nez, site=SITE)
        codes = {str(p.code) for p in exc.value.problems}
        assert "exceeds_battery" in codes
        assert len(sim.vehicles[0].mission) == before  # nothing was uploaded
        assert not d.status.armed
    finally:
        await d.close()


async def test_prearm_refusal_is_a_typed_error_with_the_vehicles_reason(sim) -> None:
    d = await _connected(sim.connection_strings[0])
    try:
        await d.preflight(timeout_s=20)
        await d.set_mode("GUIDED")
        sim.vehicles[0].set_gps(False)
        await d.wait_for(lambda s: s.telemetry is not None and s.telemetry.gps_fix < 3, 10, "GPS loss")
        with pytest.raises(PreflightFailed, match="GPS"):
            await d.preflight(timeout_s=0.5)
        with pytest.raises(CommandRejected) as exc:
            await d.arm()
        assert exc.value.command == "ARM"
        assert exc.value.reason is not None and "PreArm" in exc.value.reason and "GPS" in exc.value.reason
        assert not d.status.armed
        with pytest.raises(CommandRejected, match="requires position"):
            await d.set_mode("LOITER")
    finally:
        await d.close()


async def test_link_cut_and_restored_mid_mission(sim) -> None:
    d = await _connected(sim.connection_strings[0], link_lost_after_s=1.5)
    try:
        await d.start_mission(_short_patrol(laps=2), site=SITE)
        await d.wait_for(lambda s: s.current_item >= 4, 30, "first waypoint")
        sim.vehicles[0].cut_link()
        await d.wait_for(lambda s: s.link == LinkState.LOST, 10, "link lost")
        assert d.status.mission == MissionState.RUNNING  # the vehicle flies on (FS_GCS_ENABLE=0)
        sim.vehicles[0].restore_link()
        await d.wait_for(lambda s: s.link == LinkState.CONNECTED, 20, "link restored")
        assert await d.wait_mission_done(timeout_s=90) == MissionState.COMPLETED
    finally:
        await d.close()


async def test_battery_failsafe_rtl_aborts_the_mission_with_the_reason(sim) -> None:
    d = await _connected(sim.connection_strings[0])
    try:
        await d.start_mission(_short_patrol(laps=3), site=SITE)
        await d.wait_for(lambda s: s.current_item >= 4, 30, "first waypoint")
        sim.vehicles[0].set_battery_drain(200)
        with pytest.raises(MissionAborted) as exc:
            await d.wait_mission_done(timeout_s=60)
        assert "RTL" in exc.value.reason or "LAND" in exc.value.reason
        assert "attery" in exc.value.reason
        assert d.status.mission == MissionState.ABORTED
    finally:
        await d.close()


async def test_two_drones_patrol_their_own_sectors_at_once() -> None:
    base = _free_base_port(2)
    with SimFleet(2, speedup=SPEEDUP, base_port=base, site=SITE, spacing_m=20) as fleet:
        ctl = PatrolController(SITE, fleet.connection_strings)
        try:
            await ctl.connect(timeout_s=30)
            await asyncio.gather(*(dr.preflight(timeout_s=30) for dr in ctl.drones.values()))
            plans = await ctl.launch_corridor(
                start_m=4000, end_m=5200, standoff_m=100, altitude_m=40, speed_mps=15
            )
            assert [p.sector for p in plans] == [0, 1]
            results = await ctl.wait_done(timeout_s=120)
            assert results == {"drone-1": MissionState.COMPLETED, "drone-2": MissionState.COMPLETED}
            st = ctl.status()
            assert all(s.current_item == s.total_items for s in st.values())
        finally:
            await ctl.close()


async def test_pause_resume_goto_orbit_and_recall(sim) -> None:
    d = await _connected(sim.connection_strings[0])
    try:
        await d.start_mission(_short_patrol(laps=3), site=SITE)
        await d.wait_for(lambda s: s.current_item >= 4, 30, "first waypoint")
        await d.pause()
        assert d.status.mode == "LOITER" and d.status.mission == MissionState.PAUSED
        item = d.status.current_item
        await d.resume()
        assert d.status.mode == "AUTO" and d.status.mission == MissionState.RUNNING
        assert d.status.current_item >= item  # continues where it was
        # GUIDED: go to a point 150 m north-west of home at 30 m, then orbit it
        from shorewatch.geo import distance_m, offset

        lat, lon = offset(HOME.lat_deg, HOME.lon_deg, 315, 150)
        await d.goto(lat, lon, 30, speed_mps=12, timeout_s=30)
        t = d.status.telemetry
        assert d.status.mode == "GUIDED" and distance_m(t.lat_deg, t.lon_deg, lat, lon) <= 3.0
        await d.orbit(lat, lon, 40, 30, speed_mps=10, laps=0.5, points_per_lap=8, timeout_s=60)
        t = d.status.telemetry
        assert distance_m(t.lat_deg, t.lon_deg, lat, lon) == pytest.approx(40, abs=8)
        await d.rtl()
        assert d.status.mission == MissionState.RECALLED
        await d.wait_for(lambda s: not s.armed, 60, "landed after RTL")
        t = d.status.telemetry
        assert distance_m(t.lat_deg, t.lon_deg, HOME.lat_deg, HOME.lon_deg) < 10
    finally:
        await d.close()


async def test_connect_retries_until_the_vehicle_is_up_and_fails_clearly_when_it_never_is() -> None:
    from flight.errors import ConnectError

    base = _free_base_port(1)
    with pytest.raises(ConnectError, match=f"could not connect to tcp:127.0.0.1:{base}"):
        await Drone(f"tcp:127.0.0.1:{base}").connect(timeout_s=1.5)
    fleet = SimFleet(1, speedup=SPEEDUP, base_port=base, site=SITE)
    d = Drone(f"tcp:127.0.0.1:{base}")
    task = asyncio.create_task(d.connect(timeout_s=30))
    try:
        # the first attempt fails against the closed port; a later one finds the vehicle
        await asyncio.wait_for(_until(lambda: d.connect_attempts >= 2), 10)
        fleet.start()
        await asyncio.wait_for(task, 35)
        assert d.status.link == LinkState.CONNECTED and d.status.mode == "STABILIZE"
    finally:
        await d.close()
        fleet.stop()
