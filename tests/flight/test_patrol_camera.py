"""Flown in the simulator, a corridor patrol keeps its camera on the land side on every leg:
ArduCopter runs a DO command as soon as the NAV command before it starts, so the camera swing
must sit at the turn point, not before the leg that leads to it."""

from __future__ import annotations

import asyncio
import math

import pytest
from shapely.geometry import Point

from flight.planning import GeoPoint, corridor_patrol, position_along_coast
from flight.sim.sitl import SimFleet
from flight.vehicle import Drone
from shorewatch.site import load_site
from tests.flight.test_vehicle import _free_base_port

SITE = load_site()


@pytest.mark.parametrize("half_span_m", [300.0, 450.0])
async def test_the_camera_looks_at_the_land_on_every_leg(half_span_m: float) -> None:
    lp = SITE.launch_point("Wissant")
    centre = position_along_coast(SITE, lp.lat_deg, lp.lon_deg)
    plan = corridor_patrol(
        SITE,
        start_m=centre - half_span_m,
        end_m=centre + half_span_m,
        standoff_m=80,
        altitude_m=40,
        speed_mps=12,
        laps=2,
        home=GeoPoint(lp.lat_deg, lp.lon_deg),
    )
    fleet = SimFleet(
        1, speedup=25, base_port=_free_base_port(1), site=SITE, home=f"{lp.lat_deg},{lp.lon_deg},0,0"
    )
    fleet.start()
    v = fleet.vehicles[0]
    d = Drone(fleet.connection_strings[0])
    try:
        await d.connect(timeout_s=30)
        await d.start_mission(plan, site=SITE)
        land = SITE.land_local
        navs = [i + 1 for i, it in enumerate(plan.items) if it.command == 16]  # vehicle seq = index + 1
        on_legs = range(navs[0] + 1, navs[-1] + 1)  # after reaching the first corridor point, before RTL
        samples: list[bool] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 120
        while v.telemetry().armed:  # ArduCopter stays in AUTO through the mission's final RTL
            assert loop.time() < deadline, "the patrol did not finish"
            t = v.telemetry()
            if v.mission_current in on_legs and t.ground_speed_mps > 8:  # cruising along a leg, not turning
                e, n = SITE.frame.to_local(t.lat_deg, t.lon_deg)
                yaw = math.radians(t.camera_yaw_deg)
                ahead = Point(e + 150 * math.sin(yaw), n + 150 * math.cos(yaw))
                here = Point(e, n)
                samples.append(land.distance(ahead) < land.distance(here) or land.contains(ahead))
            await asyncio.sleep(0.02)
        assert len(samples) > 20
        assert all(samples), (
            f"camera pointed away from land in {samples.count(False)} of {len(samples)} samples"
        )
    finally:
        await d.close()
        fleet.stop()
