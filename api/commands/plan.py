"""`shorewatch plan`: plan a corridor patrol or an area survey, validate it, write QGroundControl
.plan files (one per drone and leg) and print a summary."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "plan",
        help="plan a coastline patrol or beach survey and write QGroundControl .plan files",
        description="Plan a corridor patrol along the waterline (or a lawn-mower survey of a beach), "
        "split into sectors for several drones and into legs by battery endurance, validate it and "
        "write QGroundControl .plan files (+ the route as GeoJSON).",
    )
    p.add_argument("--site", default=None, help="site GeoJSON file or built-in name (default: settings.site)")
    p.add_argument("--route", choices=["corridor", "survey", "line"], default="corridor")
    p.add_argument("--line", default=None, help="line: the route's centre-line, a .kml or .geojson file")
    p.add_argument(
        "--look",
        choices=["down", "left", "right"],
        default="down",
        help="line: the camera straight down, or to the left/right of the line as drawn (default down)",
    )
    p.add_argument(
        "--depression", type=float, default=45.0, help="line, looking left/right: degrees below the horizon"
    )
    p.add_argument("--altitude", type=float, default=80.0, help="metres above home (default 80)")
    p.add_argument("--drones", type=int, default=1, help="number of drones / sectors (default 1)")
    p.add_argument("--out", default="mission.plan", help="output .plan path (several: NAME-d1-leg1.plan...)")
    p.add_argument("--start-km", type=float, default=None, help="corridor: start, km along the waterline")
    p.add_argument("--end-km", type=float, default=None, help="corridor: end, km along the waterline")
    p.add_argument("--standoff", type=float, default=100.0, help="corridor: metres seaward of the waterline")
    p.add_argument("--laps", type=int, default=1, help="corridor, line: passes along the route (default 1)")
    p.add_argument("--area", default=None, help="survey: beach name (default: the largest beach)")
    p.add_argument("--overlap", type=float, default=0.3, help="survey: side overlap between lanes (0-0.9)")
    p.add_argument("--speed", type=float, default=10.0, help="cruise speed m/s")
    p.add_argument("--endurance-min", type=float, default=25.0, help="flight time on a full battery, minutes")
    p.add_argument("--reserve", type=float, default=25.0, help="battery reserve percent")
    p.add_argument(
        "--swap-min",
        type=float,
        default=5.0,
        help="corridor: minutes on the ground between two sorties of a drone (land, battery, checks; default 5)",
    )
    p.add_argument(
        "--relay",
        type=int,
        default=1,
        help="corridor: drones taking turns on each sector, staggered, so one patrols while another changes its battery (default 1)",
    )
    p.add_argument(
        "--revisit-min",
        type=float,
        default=None,
        help="corridor: the longest any stretch may go unseen, minutes; says how many drones would keep it",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Any) -> int:
    from rich.console import Console
    from rich.table import Table

    from flight.errors import FlightError
    from flight.planning import BatteryModel, GeoPoint, area_survey, split_area, split_legs
    from flight.qgc import route_geojson, save_plan
    from flight.validation import validate_plan
    from shorewatch.site import SiteError, load_site

    console = Console()
    try:
        site = load_site(args.site or settings.site)
    except SiteError as exc:
        console.print(f"[red]site: {exc}[/red]")
        return 2
    if args.drones < 1:
        console.print("[red]--drones must be >= 1[/red]")
        return 2
    if not 1 <= args.relay <= 8 or (args.relay > 1 and args.route != "corridor"):
        console.print("[red]--relay must be 1-8 drones per sector, and only for a corridor patrol[/red]")
        return 2
    if not 0 <= args.swap_min <= 240 or (args.revisit_min is not None and args.revisit_min <= 0):
        console.print("[red]--swap-min must be 0-240 minutes and --revisit-min above 0[/red]")
        return 2
    try:
        bat = BatteryModel(endurance_s=args.endurance_min * 60.0, reserve_pct=args.reserve)
        launch = [GeoPoint(p.lat_deg, p.lon_deg) for p in site.launch_points]
        if args.route == "corridor":
            coast_km = site.waterline_local.length / 1000
            start = (args.start_km or 0.0) * 1000
            end = (args.end_km * 1000) if args.end_km is not None else None
            plans = _corridor(site, args.drones, args, bat, start, end)
            console.print(
                f"{site.name}: waterline {coast_km:.1f} km; patrol {start / 1000:.1f}-{(end or coast_km * 1000) / 1000:.1f} km"
            )
        elif args.route == "line":
            from flight.lines import load_line
            from flight.planning import line_patrol

            if not args.line:
                console.print(
                    "[red]--route line needs --line FILE (a .kml or .geojson with the route drawn as a line)[/red]"
                )
                return 2
            plans = [
                line_patrol(
                    site,
                    load_line(args.line),
                    altitude_m=args.altitude,
                    speed_mps=args.speed,
                    laps=args.laps,
                    look=args.look,
                    depression_deg=args.depression,
                    battery=bat,
                    name=f"line {Path(args.line).stem}",
                    drone_id="drone-1",
                    sector=0,
                )
            ]
            if args.drones > 1:
                console.print("[yellow]--route line plans one drone; --drones is ignored[/yellow]")
        else:
            beaches = {b.name: b for b in site.beaches}
            if not beaches:
                console.print("[red]the site has no beach polygons to survey[/red]")
                return 2
            if args.area is None:
                beach = max(site.beaches, key=lambda b: site.to_local(b.geometry).area)
            elif args.area in beaches:
                beach = beaches[args.area]
            else:
                console.print(f"[red]no beach named {args.area!r}; have: {', '.join(beaches)}[/red]")
                return 2
            parts = split_area(beach.geometry, args.drones)
            plans = [
                area_survey(
                    site,
                    part,
                    altitude_m=args.altitude,
                    overlap=args.overlap,
                    speed_mps=args.speed,
                    battery=bat,
                    name=f"survey {beach.name} part {i + 1}/{args.drones}",
                    drone_id=f"drone-{i + 1}",
                    sector=i,
                )
                for i, part in enumerate(parts)
            ]
        legs = [
            leg
            for p in plans
            for leg in split_legs(
                p, bat, launch_points=launch if args.route in ("corridor", "line") else None
            )
        ]
    except FlightError as exc:
        console.print(f"[red]plan: {exc}[/red]")
        return 2

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table = Table(title=f"{args.route} plan, {len(plans)} drone(s), {len(legs)} flight(s)")
    for col in ("file", "drone", "home", "km", "min", "batt %", "cover %", "check"):
        table.add_column(col, overflow="fold")
    worst = 0
    notes: list[str] = []
    for leg in legs:
        if len(legs) == 1:
            path = out
        else:
            path = out.with_name(
                f"{out.stem}-d{(leg.sector or 0) + 1}-leg{(leg.leg or 0) + 1}{out.suffix or '.plan'}"
            )
        save_plan(leg, path)
        path.with_suffix(".geojson").write_text(
            __import__("json").dumps(route_geojson(leg)), encoding="utf-8"
        )
        problems = validate_plan(leg, site, battery=bat)
        worst = max(worst, len(problems))
        home_name = (
            min(
                site.launch_points,
                key=lambda p: abs(p.lat_deg - leg.home.lat_deg) + abs(p.lon_deg - leg.home.lon_deg),
            ).name
            if site.launch_points
            else "-"
        )
        table.add_row(
            str(path),
            leg.drone_id or "-",
            home_name,
            f"{leg.stats.length_m / 1000:.2f}",
            f"{leg.stats.duration_s / 60:.1f}",
            f"{leg.stats.battery_pct:.0f}",
            "-" if leg.stats.coverage_pct is None else f"{leg.stats.coverage_pct:.0f}",
            f"{len(problems)} problem(s)" if problems else "ok",
        )
        notes += [f"{path.name}: {p}" for p in problems]
    console.print(table)
    for n in notes:
        console.print(f"[yellow]{n}[/yellow]")
    console.print(
        f"altitude {args.altitude:.0f} m, gimbal pitch {plans[0].gimbal_pitch_deg:.1f} deg, "
        f"battery {bat.endurance_s / 60:.0f} min with {bat.reserve_pct:.0f}% reserve"
    )
    if args.route == "corridor":
        _print_revisit(console, site, legs, args, bat, launch, start, end)
    if worst:
        console.print(
            "[yellow]some flights break a safety rule: fix them before flying (shorewatch fly refuses them)[/yellow]"
        )
        return 1
    return 0


def _corridor(
    site: Any, drones: int, args: argparse.Namespace, bat: Any, start_m: float, end_m: float | None
) -> list[Any]:
    """The corridor patrol the command line asks for, over ``drones`` sectors."""
    from flight.planning import fleet_corridor

    return fleet_corridor(
        site,
        drones,
        start_m=start_m,
        end_m=end_m,
        standoff_m=args.standoff,
        altitude_m=args.altitude,
        laps=args.laps,
        speed_mps=args.speed,
        battery=bat,
    )


def _print_revisit(
    console: Any,
    site: Any,
    legs: list[Any],
    args: argparse.Namespace,
    bat: Any,
    launch: list[Any],
    start_m: float,
    end_m: float | None,
) -> None:
    """The plan's revisit time (``flight.revisit``), its relay schedule, and, for a target it
    misses, the fewest drones (sectors x drones per sector) that would keep it."""
    from flight.errors import FlightError
    from flight.planning import split_legs

    swap_s = args.swap_min * 60.0
    target_s = None if args.revisit_min is None else args.revisit_min * 60.0

    def worst_s(sorties: list[Any], relays: int) -> Any:
        return _revisit(site, sorties, relays, bat, swap_s, start_m, end_m)

    try:
        report, starts = worst_s(legs, args.relay)
    except FlightError as exc:
        console.print(f"[yellow]revisit: {exc}[/yellow]")
        return
    if args.relay > 1:
        for d, t in sorted(starts.items(), key=lambda kv: (kv[0].rsplit("-r", 1)[0], kv[1])):
            if t > 0:
                console.print(
                    f"relay: {d} takes off {t / 60:.1f} min after {d.rsplit('-r', 1)[0]} and flies the same sorties"
                )
    console.print(report.summary(target_s))
    if target_s is None or report.worst_s <= target_s:
        return
    now = args.drones * args.relay
    sectors: dict[int, list[Any]] = {}
    for total in range(now + 1, now + 13):
        for n in range(1, total + 1):
            r = total // n
            if n * r != total or r > 8:
                continue
            try:
                if n not in sectors:
                    plans = _corridor(site, n, args, bat, start_m, end_m)
                    sectors[n] = [leg for p in plans for leg in split_legs(p, bat, launch_points=launch)]
                trial, _ = worst_s(sectors[n], r)
            except FlightError:
                continue
            if trial.worst_s <= target_s:
                console.print(
                    f"[yellow]{args.revisit_min:g} min is not kept; {total} drones would keep it: --drones {n}"
                    f"{f' --relay {r}' if r > 1 else ''} (every stretch seen again within {trial.worst_s / 60:.1f} min)[/yellow]"
                )
                return
    console.print(
        f"[yellow]{args.revisit_min:g} min is not kept even by {now + 12} drones with these settings: "
        "fewer laps, a faster cruise or shorter battery swaps[/yellow]"
    )


def _revisit(
    site: Any, legs: list[Any], relays: int, bat: Any, swap_s: float, start_m: float, end_m: float | None
) -> tuple[Any, dict[str, float]]:
    from flight.revisit import relay, relay_start_s, revisit

    starts = relay_start_s(legs, relays, battery=bat, swap_s=swap_s)
    report = revisit(
        site, relay(legs, relays), battery=bat, swap_s=swap_s, start_m=start_m, end_m=end_m, start_s=starts
    )
    return report, starts
