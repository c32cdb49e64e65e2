"""Several drones from one process, each flying its own sector of the coast.

``PatrolController`` plans and launches a corridor patrol for N drones in one call::

    ctl = PatrolController(site, ["tcp:127.0.0.1:5760", "tcp:127.0.0.1:5770"])
    await ctl.connect()
    plans = await ctl.launch_corridor(start_m=12_000, end_m=20_000, altitude_m=80)
    results = await ctl.wait_done()     # {drone_id: MissionState or the exception}
    await ctl.close()

Every drone is a ``flight.vehicle.Drone``; one drone failing (refused arming, link lost,
failsafe) never stops the others: its error is reported in the results.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from flight.planning import GeoPoint, MissionPlan, fleet_corridor
from flight.vehicle import Drone, DroneStatus, MissionState
from shorewatch.site import Site

logger = logging.getLogger(__name__)


class Fleet:
    """Named drones, connected and driven together."""

    def __init__(
        self, connections: Sequence[str], drone_ids: Sequence[str] | None = None, **drone_kwargs: Any
    ) -> None:
        ids = list(drone_ids) if drone_ids else [f"drone-{i + 1}" for i in range(len(connections))]
        if len(ids) != len(connections) or len(set(ids)) != len(ids):
            raise ValueError(f"need one unique drone id per connection, got {ids} for {list(connections)}")
        self.drones: dict[str, Drone] = {
            i: Drone(c, drone_id=i, **drone_kwargs) for i, c in zip(ids, connections, strict=True)
        }

    async def connect(self, *, timeout_s: float = 60.0) -> None:
        await asyncio.gather(*(d.connect(timeout_s=timeout_s) for d in self.drones.values()))

    def status(self) -> dict[str, DroneStatus]:
        return {i: d.status for i, d in self.drones.items()}

    async def rtl_all(self) -> None:
        await asyncio.gather(*(d.rtl() for d in self.drones.values()), return_exceptions=True)

    async def close(self) -> None:
        await asyncio.gather(*(d.close() for d in self.drones.values()), return_exceptions=True)


class PatrolController(Fleet):
    """Plan a corridor patrol split into one sector per drone, and fly them all at once."""

    def __init__(
        self,
        site: Site,
        connections: Sequence[str],
        drone_ids: Sequence[str] | None = None,
        **drone_kwargs: Any,
    ) -> None:
        super().__init__(connections, drone_ids, **drone_kwargs)
        self.site = site
        self.plans: dict[str, MissionPlan] = {}

    def plan_corridor(self, *, homes: Sequence[GeoPoint] | None = None, **kwargs: Any) -> list[MissionPlan]:
        """One corridor plan per drone (sectors in order); homes default to each drone's real
        home when connected, else the launch point nearest its sector."""
        ids = list(self.drones)
        if homes is None:
            real = [d.vehicle_home() for d in self.drones.values()]
            if all(h is not None for h in real):
                homes = [GeoPoint(h[0], h[1]) for h in real if h is not None]
        plans = fleet_corridor(self.site, len(ids), drone_ids=ids, homes=homes, **kwargs)
        self.plans = {p.drone_id or "": p for p in plans}
        return plans

    async def launch_corridor(self, **kwargs: Any) -> list[MissionPlan]:
        """Plan (see ``plan_corridor``), then validate, preflight, upload and start every drone
        concurrently. Raises the first error if any drone could not start (the others fly on)."""
        validation = kwargs.pop("validation", {})
        plans = self.plan_corridor(**kwargs)
        results = await asyncio.gather(
            *(self.drones[p.drone_id or ""].start_mission(p, site=self.site, **validation) for p in plans),
            return_exceptions=True,
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        for p, r in zip(plans, results, strict=True):
            if isinstance(r, BaseException):
                logger.error("%s: could not start: %s", p.drone_id, r)
        if errors:
            raise errors[0]
        return plans

    async def wait_done(self, *, timeout_s: float = 900.0) -> dict[str, MissionState | BaseException]:
        ids = list(self.drones)
        res = await asyncio.gather(
            *(self.drones[i].wait_mission_done(timeout_s=timeout_s) for i in ids), return_exceptions=True
        )
        return dict(zip(ids, res, strict=True))
