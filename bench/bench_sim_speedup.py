"""How fast the simulated ArduCopter runs on this machine.

Measures, for one drone served over MAVLink/TCP with a real dronekit client attached (4 Hz
streams, as ``connect(..., wait_ready=True)`` asks) and the drone flying a GUIDED goto:

- the achieved speed-up (simulated seconds per wall second) at requested 1x (the reference),
  20x, 50x, 100x and "as fast as it goes" (10000x requested: the simulator slips to what the CPU
  allows);
- the simulator thread's CPU use (CPU seconds per wall second) at each speed;
- the raw physics cost (``SimVehicle.step`` calls per CPU second, no networking).

Each figure is the median of ``--repeats`` runs. Results are printed and written to this
script's section of BENCHMARKS.md.

    .venv/bin/python bench/bench_sim_speedup.py [--repeats 3] [--window 3]
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import write_section  # noqa: E402
from flight.sim.sitl import SimFleet  # noqa: E402
from flight.sim.vehicle import Mode, SimVehicle, VehicleConfig  # noqa: E402

SECTION = "sim"
REQUESTED = (1.0, 20.0, 50.0, 100.0, 10_000.0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _thread_cpu(th: threading.Thread) -> float:
    assert th.ident is not None
    return time.clock_gettime(time.pthread_getcpuclockid(th.ident))


def measure_served(speedup: float, window_s: float) -> tuple[float, float]:
    """(achieved speed-up, simulator CPU s per wall s) with a dronekit client flying the drone."""
    from dronekit import LocationGlobalRelative, VehicleMode, connect

    fleet = SimFleet(
        speedup=speedup,
        base_port=_free_port(),
        config=VehicleConfig(gps_detect_s=0.5, gps_fix_s=1.0, ekf_ready_s=2.0),
    )
    fleet.start()
    sim = fleet.vehicles[0]
    sim.set_battery_drain(0)  # no battery failsafe in the middle of a long window at max speed
    sim.set_param("DISARM_DELAY", 0)  # at max speed 10 s of sim time pass before the take-off is sent
    try:
        # get airborne quickly whatever the speed-up: drive the model directly, then hand over
        while not sim.ekf_position_ok:
            time.sleep(0.01)
        v = connect(fleet.connection_strings[0], wait_ready=True, timeout=60)
        try:
            v.mode = VehicleMode("GUIDED")
            deadline = time.monotonic() + 10
            while (v.mode is None or v.mode.name != "GUIDED") and time.monotonic() < deadline:
                time.sleep(0.01)
            v.armed = True
            while not v.armed and time.monotonic() < deadline:
                time.sleep(0.01)
            v.simple_takeoff(30)
            while sim.rel_alt_m < 5 and time.monotonic() < deadline + 20:
                time.sleep(0.01)
            lat, lon = sim.local_to_geo(0.0, 50_000.0)
            v.simple_goto(LocationGlobalRelative(lat, lon, 40))
            th = fleet._thread
            assert th is not None
            t0, s0, c0 = time.monotonic(), sim.sim_time_s, _thread_cpu(th)
            time.sleep(window_s)
            t1, s1, c1 = time.monotonic(), sim.sim_time_s, _thread_cpu(th)
            assert sim.mode == Mode.GUIDED and sim.armed, "the drone stopped flying during the window"
        finally:
            v.close()
    finally:
        fleet.stop()
    return (s1 - s0) / (t1 - t0), (c1 - c0) / (t1 - t0)


def measure_physics(n: int = 20_000) -> float:
    """Physics steps per CPU second for one flying vehicle."""
    v = SimVehicle()
    v.advance_to(5.0)
    v.set_mode(Mode.GUIDED)
    v.arm()
    v.takeoff(30)
    v.set_battery_drain(0)
    v.advance_to(20.0)
    lat, lon = v.local_to_geo(0.0, 50_000.0)
    v.guided_goto(lat, lon, 40)
    c0 = time.process_time()
    for _ in range(n):
        v.step(v.cfg.dt_s)
    return n / (time.process_time() - c0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--window", type=float, default=3.0, help="wall seconds measured per run")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("dronekit").setLevel(logging.ERROR)
    logging.getLogger("autopilot").setLevel(logging.ERROR)

    rows = []
    for req in REQUESTED:
        runs = [measure_served(req, args.window) for _ in range(args.repeats)]
        ach = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        rows.append((req, ach, cpu))
        print(f"requested {req:>7g}x: achieved {ach:7.1f}x, simulator CPU {cpu * 100:5.1f}% of one core")
    phys = statistics.median(measure_physics() for _ in range(args.repeats))
    dt = VehicleConfig().dt_s
    print(
        f"physics: {phys:,.0f} steps per CPU second = {phys * dt:,.0f}x real time for one drone (dt {dt} s)"
    )

    ref_cpu = rows[0][2]
    lines = [
        "## Simulator speed-up (`bench/bench_sim_speedup.py`)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs (shared), Python {platform.python_version()}. "
        f"Median of {args.repeats} runs, {args.window:g} s wall each.",
        "",
        "Method: one simulated drone served over MAVLink/TCP with an unmodified dronekit client "
        "connected (`wait_ready=True`, 4 Hz streams) flying a GUIDED goto; achieved speed-up = simulated "
        "seconds / wall seconds over the window; CPU = the simulator thread's CPU seconds per wall second "
        "(the dronekit client's own CPU not included). Reference: the same at 1x in the same run.",
        "",
        "| requested | achieved speed-up | simulator CPU (% of a core) | CPU vs 1x |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for req, ach, cpu in rows:
        label = "max (10000)" if req >= 10_000 else f"{req:g}x"
        ratio = cpu / ref_cpu if ref_cpu > 0 else float("nan")
        lines.append(f"| {label} | {ach:.1f}x | {cpu * 100:.1f}% | {ratio:.1f}x |")
    lines += [
        "",
        f"Physics alone: {phys:,.0f} steps per CPU second (dt = {dt} s), i.e. about "
        f"{phys * dt:,.0f}x real time for one drone before networking. Target: one drone >= 20x.",
    ]
    write_section(SECTION, "\n".join(lines))
    print("BENCHMARKS.md updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
