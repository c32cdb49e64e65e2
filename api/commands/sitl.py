"""``shorewatch sitl``: run simulated ArduCopters that speak MAVLink 2 over TCP (issue #3)."""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "sitl",
        help="run simulated ArduCopter drones (MAVLink 2 on tcp:127.0.0.1:5760 + 10*i)",
        description="Simulated ArduCopter vehicles for development and tests. Drone i serves MAVLink 2 "
        "on tcp:HOST:BASE_PORT+10*i with MAV_SYSID i+1. Ctrl-C stops them.",
    )
    p.add_argument("--instances", type=int, default=1, help="number of drones (1-50, default 1)")
    p.add_argument("--speedup", type=float, default=1.0, help="sim time / wall time (default 1; >= 20 works)")
    p.add_argument(
        "--home",
        default=None,
        help="LAT,LON[,ALT[,HEADING]] of the first drone (default: the site's first launch point)",
    )
    p.add_argument("--site", default=None, help="site GeoJSON file or built-in name (default: settings)")
    p.add_argument(
        "--base-port", type=int, default=None, help="first TCP port (default: SHOREWATCH_SITL_BASE_PORT)"
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default loopback)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Any) -> int:
    from flight.sim.mavlink_server import LinkError
    from flight.sim.sitl import SimFleet
    from flight.sim.vehicle import SimConfigError
    from shorewatch.site import SiteError, load_site

    site_ref = args.site or settings.site
    try:
        site = load_site(site_ref)
    except (SiteError, OSError) as exc:
        print(f"shorewatch sitl: cannot load site {site_ref!r}: {exc}")
        return 2
    base_port = args.base_port or settings.sitl_base_port
    try:
        fleet = SimFleet(
            instances=args.instances,
            speedup=args.speedup,
            base_port=base_port,
            home=args.home,
            site=site,
            host=args.host,
        )
        fleet.start()
    except SimConfigError as exc:
        print(f"shorewatch sitl: {exc}")
        return 2
    except LinkError as exc:
        print(f"shorewatch sitl: {exc} (is another simulator running? try --base-port)")
        return 1
    stop = threading.Event()

    def _on_signal(signum: int, frame: Any) -> None:
        stop.set()

    old = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(
            f"shorewatch sitl: {len(fleet.vehicles)} simulated ArduCopter(s), speed-up {args.speedup:g}x, "
            f"site {site.name}"
        )
        for v, conn in zip(fleet.vehicles, fleet.connection_strings, strict=True):
            h = v.home0
            print(
                f"  {v.vehicle_id}  sysid {v.sysid}  {conn}  home {h.lat_deg:.6f},{h.lon_deg:.6f},"
                f"{h.alt_m:g},{h.heading_deg:g}"
            )
        print("Ctrl-C to stop.", flush=True)
        while not stop.wait(0.5):
            if fleet.error is not None:
                print(f"shorewatch sitl: simulator stopped: {fleet.error!r}")
                return 1
        return 0
    finally:
        fleet.stop()
        for sig, handler in old.items():
            signal.signal(sig, handler)
        print("shorewatch sitl: stopped.", flush=True)
