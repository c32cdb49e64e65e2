"""`shorewatch fly`: connect to a vehicle (the simulator, ArduPilot SITL or a real ArduCopter),
validate and upload a plan, fly it in AUTO and show live progress; Ctrl-C sends RTL."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "fly",
        help="fly a mission on a MAVLink vehicle with a live progress display",
        description="Connect over MAVLink (dronekit), validate the plan against the site, preflight "
        "(GPS 3D fix, home, EKF, battery, armable), upload and verify the mission, take off and fly "
        "it in AUTO, showing mode, position, battery and waypoint k of n. Ctrl-C sends RTL.",
    )
    p.add_argument("--connect", default="tcp:127.0.0.1:5760", help="MAVLink connection string")
    p.add_argument("--plan", default=None, help="a QGroundControl .plan file to fly")
    p.add_argument(
        "--route", choices=["corridor", "survey"], default=None, help="plan on the fly instead of --plan"
    )
    p.add_argument("--site", default=None, help="site GeoJSON file or built-in name (default: settings.site)")
    p.add_argument("--altitude", type=float, default=80.0, help="--route: metres above home")
    p.add_argument("--start-km", type=float, default=None, help="--route corridor: start along the waterline")
    p.add_argument("--end-km", type=float, default=None, help="--route corridor: end along the waterline")
    p.add_argument("--standoff", type=float, default=100.0, help="--route corridor: metres seaward")
    p.add_argument("--area", default=None, help="--route survey: beach name")
    p.add_argument("--speed", type=float, default=10.0, help="--route: cruise speed m/s")
    p.add_argument("--drone-id", default="drone-1")
    p.add_argument("--timeout", type=float, default=3600.0, help="give up waiting after this many seconds")
    p.set_defaults(func=run)


def _plan_from_args(args: argparse.Namespace, site: Any, home: tuple[float, float] | None) -> Any:
    from flight.planning import GeoPoint, area_survey, corridor_patrol, position_along_coast
    from flight.qgc import load_plan

    if args.plan:
        return load_plan(args.plan)
    hp = GeoPoint(home[0], home[1]) if home else None
    if args.route == "survey":
        beaches = {b.name: b for b in site.beaches}
        beach = (
            beaches.get(args.area)
            if args.area
            else max(site.beaches, key=lambda b: site.to_local(b.geometry).area)
        )
        if beach is None:
            raise SystemExit(f"no beach named {args.area!r}; have: {', '.join(beaches)}")
        return area_survey(site, beach.geometry, altitude_m=args.altitude, speed_mps=args.speed, home=hp)
    if args.start_km is None and args.end_km is None and home is not None:
        # default: 1.5 km of coast either side of where the drone is
        s = position_along_coast(site, home[0], home[1])
        start, end = max(0.0, s - 1500), min(site.waterline_local.length, s + 1500)
    else:
        start = (args.start_km or 0.0) * 1000
        end = args.end_km * 1000 if args.end_km is not None else None
    return corridor_patrol(
        site,
        start_m=start,
        end_m=end,
        standoff_m=args.standoff,
        altitude_m=args.altitude,
        speed_mps=args.speed,
        home=hp,
    )


def run(args: argparse.Namespace, settings: Any) -> int:
    import asyncio

    from rich.console import Console
    from rich.live import Live
    from rich.table import Table

    from flight.errors import FlightError, PlanValidationError
    from flight.vehicle import Drone, MissionState
    from shorewatch.site import SiteError, load_site

    console = Console()
    if not args.plan and not args.route:
        console.print("[red]give --plan FILE or --route corridor|survey[/red]")
        return 2
    try:
        site = load_site(args.site or settings.site)
    except SiteError as exc:
        console.print(f"[red]site: {exc}[/red]")
        return 2

    def render(d: Drone, plan: Any) -> Table:
        st = d.status
        t = st.telemetry
        table = Table(title=f"{d.drone_id} on {args.connect}: {plan.name}", show_header=False)
        table.add_column("", style="bold")
        table.add_column("")
        table.add_row("link", str(st.link))
        table.add_row("mode", f"{st.mode} ({'armed' if st.armed else 'disarmed'})")
        table.add_row("mission", f"{st.mission}: waypoint {st.current_item} of {st.total_items}")
        if t is not None:
            table.add_row(
                "position", f"{t.lat_deg:.6f}, {t.lon_deg:.6f}  {t.rel_alt_m:.1f} m  hdg {t.heading_deg:.0f}"
            )
            table.add_row("speed", f"{t.ground_speed_mps:.1f} m/s")
            table.add_row("battery", f"{t.battery_pct:.0f}%  {t.battery_v:.1f} V")
            table.add_row("gimbal", f"pitch {t.gimbal_pitch_deg:.0f}  yaw {t.gimbal_yaw_deg:.0f}")
        if st.aborted_reason:
            table.add_row("aborted", f"[red]{st.aborted_reason}[/red]")
        if st.last_statustext:
            table.add_row("vehicle says", st.last_statustext)
        return table

    async def main() -> int:
        d = Drone(args.connect, drone_id=args.drone_id)
        console.print(f"connecting to {args.connect} ...")
        await d.connect(timeout_s=60)
        try:
            await d.preflight(timeout_s=120)
            plan = _plan_from_args(args, site, d.vehicle_home())
            console.print(
                f"plan {plan.name}: {plan.stats.length_m / 1000:.2f} km, {plan.stats.duration_s / 60:.1f} min, "
                f"{plan.stats.battery_pct:.0f}% battery, {len(plan.items)} items"
            )
            await d.start_mission(plan, site=site)
            with Live(render(d, plan), console=console, refresh_per_second=4) as live:
                waiter = asyncio.create_task(d.wait_mission_done(timeout_s=args.timeout))
                while not waiter.done():
                    live.update(render(d, plan))
                    await asyncio.wait({waiter}, timeout=0.25)
                live.update(render(d, plan))
                state = waiter.result()
            console.print(f"mission {state}")
            return 0 if state == MissionState.COMPLETED else 1
        except (asyncio.CancelledError, KeyboardInterrupt):
            console.print("[yellow]interrupted: sending RTL[/yellow]")
            await d.rtl()
            return 130
        finally:
            await d.close()

    try:
        return asyncio.run(main())
    except PlanValidationError as exc:
        console.print(f"[red]refused before upload: {exc}[/red]")
        return 2
    except FlightError as exc:
        console.print(f"[red]{type(exc).__name__}: {exc}[/red]")
        return 1
