"""``shorewatch tide``: check a tide table against the site before a shift: the span it covers,
the height at a time (default: now), and how far out the water's edge is on each beach.
Exit 0 when the tide at that time is known, 1 when it is not (outside the table, a gap), 2 when
the table or the site cannot be used (the reason is printed)."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api.settings import Settings


def register(sub: Any) -> None:
    p = sub.add_parser(
        "tide", help="check a tide table: height now, next high/low waters, the water's edge per beach"
    )
    p.add_argument(
        "--table",
        type=Path,
        default=None,
        help="CSV of time,height_m rows (default: SHOREWATCH_TIDE_TABLE or the site's)",
    )
    p.add_argument("--at", default=None, help="ISO-8601 time with its UTC offset (default: now)")
    p.add_argument("--site", default=None, help="site file or built-in name (default: SHOREWATCH_SITE)")
    p.set_defaults(func=run)


def _utc(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M UTC")


def report(site: Any, at_s: float) -> tuple[int, list[str]]:
    st = site.tide
    if st is None:
        return 2, [f"error: the site {site.name!r} has no tide settings (properties.tide in the site file)"]
    lines = [
        f"site {site.name}: heights above {st.datum}; the mapped waterline is at {st.waterline_height_m} m"
    ]
    if st.table is None:
        return 1, [
            *lines,
            "no tide table: pass --table, set SHOREWATCH_TIDE_TABLE or report the height (PUT /tide)",
        ]
    t0, t1 = st.table.span_s
    lines.append(f"table {st.table.source}: {len(st.table.times_s)} rows, {_utc(t0)} to {_utc(t1)}")
    h = st.table.height_m(at_s)
    if h is None:
        return 1, [*lines, f"at {_utc(at_s)}: unknown (outside the table or across a gap of over 9 h)"]
    trend = {True: "rising", False: "falling", None: ""}[st.table.rising(at_s)]
    lines.append(f"at {_utc(at_s)}: {h:.2f} m {trend}")
    lines.append(
        f"  the sea's surface {st.sea_surface_m(h):+.2f} m against mean sea level ({st.mean_sea_level_m:.2f} m "
        f"above the datum{'' if st.mean_sea_level_given else ', estimated'}): positions are computed on it"
    )
    for t, hh, kind in st.table.next_turns(at_s):
        lines.append(f"  next {kind} water {_utc(t)}: {hh:.2f} m")
    f = st.drying_fraction(h)
    for b in site.beaches:
        if b.drying_m > 0:
            lines.append(f"  {b.name}: the water's edge {b.drying_m * f:.0f} m beyond the mapped waterline")
    return 0, lines


def run(args: argparse.Namespace, settings: Settings) -> int:
    from shorewatch.site import SiteError, load_site
    from shorewatch.tide import TideError, parse_time

    table = args.table or settings.tide_table
    try:
        site = load_site(args.site or settings.site, tide_table=table)
        at_s = parse_time(args.at, "--at") if args.at else time.time()
    except (SiteError, TideError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    code, lines = report(site, at_s)
    print("\n".join(lines), file=sys.stderr if code == 2 else sys.stdout)
    return code
