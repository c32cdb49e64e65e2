"""How long each stretch of coast goes unseen under a patrol plan (``flight.revisit``): battery
swaps count, relays of drones share the wait, stretches no camera reaches are named."""

from __future__ import annotations

import math

import numpy as np
import pytest

from flight.errors import PlanError
from flight.planning import BatteryModel, GeoPoint, corridor_patrol, fleet_corridor, fly_times, split_legs
from flight.revisit import relay, relay_start_s, revisit
from shorewatch.site import load_site

SITE = load_site()
BAT = BatteryModel()


def short_patrol() -> list:
    """Wissant bay, 14-16 km along the coast: one sortie, one pass, then home."""
    return split_legs(corridor_patrol(SITE, start_m=14_000, end_m=16_000, battery=BAT), BAT)


def test_a_stretch_seen_once_a_sortie_waits_a_whole_cycle_swap_included() -> None:
    legs = short_patrol()
    assert len(legs) == 1
    flight_s = fly_times(legs[0], BAT)[0].duration_s
    quick = revisit(SITE, legs, battery=BAT, swap_s=0.0, start_m=14_000, end_m=16_000)
    slow = revisit(SITE, legs, battery=BAT, swap_s=600.0, start_m=14_000, end_m=16_000)
    assert quick.cycle_s == {"drone-1": pytest.approx(flight_s)}
    assert quick.seen.all() and slow.seen.all()
    # seen once per sortie, for a minute or so: unseen for the rest of the flight, and the swap
    assert (quick.worst_gap_s <= flight_s).all() and (quick.worst_gap_s >= flight_s - 300).all()
    assert slow.worst_gap_s - quick.worst_gap_s == pytest.approx(
        np.full(len(quick.stations_m), 600.0), abs=4.0
    )


def test_a_relay_of_drones_divides_the_wait() -> None:
    legs = short_patrol()
    alone = revisit(SITE, legs, battery=BAT, start_m=14_000, end_m=16_000)
    for n in (2, 3):
        starts = relay_start_s(legs, n, battery=BAT)
        assert sorted(starts.values()) == pytest.approx([k * alone.cycle_s["drone-1"] / n for k in range(n)])
        shared = revisit(SITE, relay(legs, n), battery=BAT, start_m=14_000, end_m=16_000, start_s=starts)
        assert shared.worst_s == pytest.approx(alone.worst_s / n, rel=0.1)
    # the same drones all taking off together gain nothing
    together = revisit(SITE, relay(legs, 2), battery=BAT, start_m=14_000, end_m=16_000)
    assert together.worst_s == pytest.approx(alone.worst_s, abs=4.0)


def test_sectors_of_a_fleet_and_stretches_no_camera_reaches() -> None:
    launch = [GeoPoint(p.lat_deg, p.lon_deg) for p in SITE.launch_points]
    plans = fleet_corridor(SITE, 2, start_m=8_000, end_m=20_000, battery=BAT)
    legs = [leg for p in plans for leg in split_legs(p, BAT, launch_points=launch)]
    both = revisit(SITE, legs, battery=BAT, start_m=8_000, end_m=20_000)
    one = revisit(
        SITE, [leg for leg in legs if leg.drone_id == "drone-1"], battery=BAT, start_m=8_000, end_m=20_000
    )
    assert set(both.cycle_s) == {"drone-1", "drone-2"}
    assert both.seen.all() and both.worst_s < 3600
    # drone-1 alone leaves drone-2's sector (14-20 km) unseen, and says so; flying out to its
    # sector past other stretches does not count as watching them
    assert not one.seen[one.stations_m > 14_200].any() and one.seen[one.stations_m < 13_800].all()
    assert math.isinf(one.worst_s)
    never = int((~one.seen).sum())
    assert 55 <= never <= 61 and f"{never} of 120 stations" in one.summary(), one.summary()
    assert "every stretch seen again within" in both.summary(900.0) and "within 15 min" in both.summary(900.0)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        (dict(swap_s=-1.0), "swap_s"),
        (dict(start_m=5_000.0, end_m=4_000.0), "start_m"),
        (dict(step_m=0.0), "step_m"),
        (dict(start_s={"drone-1": -5.0}), "start_s"),
    ],
)
def test_bad_settings_are_refused_with_the_reason(kw: dict, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        revisit(SITE, short_patrol(), **kw)
    with pytest.raises(PlanError, match="no plans"):
        revisit(SITE, [])
    with pytest.raises(PlanError, match="drones per sector"):
        relay(short_patrol(), 0)
