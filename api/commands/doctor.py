"""``shorewatch doctor``: what is installed, whether the model loads, whether ports are free,
where state lives, and whether anything is configured to reach the network."""

from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import os
import platform
import socket
from typing import Any

from api.settings import Settings

PACKAGES = (
    "shorewatch",
    "torch",
    "torchvision",
    "ultralytics",
    "onnxruntime",
    "opencv-python",
    "numpy",
    "supervision",
    "dronekit2",
    "pymavlink",
    "fastapi",
    "uvicorn",
    "pydantic",
    "shapely",
    "pyproj",
)


def register(sub: Any) -> None:
    p = sub.add_parser("doctor", help="check the installation, model, ports, state dir and network settings")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--skip-model", action="store_true", help="do not try to load the detector model")
    p.set_defaults(func=run)


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _version(pkg: str) -> str:
    try:
        return md.version(pkg)
    except md.PackageNotFoundError:
        return "not installed"


def network_findings(settings: Settings) -> list[str]:
    """Everything configured that would make shorewatch open a non-loopback connection."""
    found = []
    if settings.host not in ("127.0.0.1", "localhost", "::1"):
        found.append(f"API binds {settings.host} (not loopback)")
    if settings.cot_url:
        found.append(f"Cursor-on-Target output to {settings.cot_url}")
    if os.environ.get("YOLO_OFFLINE") != "1":
        found.append(
            "YOLO_OFFLINE is not set in this shell (shorewatch sets it itself before loading ultralytics)"
        )
    return found


def check_model(settings: Settings) -> str:
    try:
        from detector.model import default_model_path, load_detector
    except ImportError as exc:
        return f"detector not available: {exc}"
    path = settings.model or default_model_path()
    try:
        det = load_detector(path, state_dir=settings.state_dir)
    except Exception as exc:  # doctor reports every failure, it never raises
        return f"FAILED to load {path}: {exc}"
    return f"loads: {path} ({det.describe()})"


def _journal(settings: Settings) -> str:
    from api.commands.journal import check

    if not settings.db_path.is_file():
        return "no database yet"
    return check(settings.db_path)[1]


def tide_finding(settings: Settings) -> str:
    """Where the live service would take the tide from now, and what positions rest on."""
    from api.streams import live_tide
    from detector.georef import GeorefConfig

    try:
        site, tide, problem = live_tide(settings.site, settings.tide_table, settings.state_dir)
    except Exception as exc:  # a bad site file: say so, as the service would
        return f"site not loaded: {exc}"
    st = site.tide
    if st is None:
        return (
            "no tide settings in the site: positions on mean sea level, water's edge at the mapped waterline"
        )
    h, source = tide.now()
    if h is None:
        why = f" (table not used: {problem})" if problem else ""
        return (
            f"unknown{why}: positions on mean sea level (the sea's height +- {st.unknown_sigma_m:.1f} m) and the "
            "water's edge at the mapped waterline; set SHOREWATCH_TIDE_TABLE or report it (PUT /tide)"
        )
    return (
        f"{h:.2f} m above {st.datum.split(';')[0]} ({source}): the sea's surface "
        f"{st.sea_surface_m(h):+.2f} m against mean sea level (+- {GeorefConfig().tide_sigma_m:g} m), "
        f"the water's edge up to {site.max_water_edge_shift_m(h):.0f} m beyond the mapped waterline"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    state = settings.ensure_state_dir()
    from detector.offline import configure

    configure(state)
    report: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {p: _version(p) for p in PACKAGES},
        "state_dir": str(state),
        "database": str(settings.db_path.resolve()),
        "ultralytics_config_dir": os.environ.get("YOLO_CONFIG_DIR"),
        "ports": {
            f"api {settings.host}:{settings.port}": port_free(settings.host, settings.port),
            **{
                f"sitl 127.0.0.1:{settings.sitl_base_port + 10 * i}": port_free(
                    "127.0.0.1", settings.sitl_base_port + 10 * i
                )
                for i in range(2)
            },
        },
        "model": "skipped" if args.skip_model else check_model(settings),
        "network": network_findings(settings) or ["nothing: loopback only, offline"],
        "site": settings.site,
        "tide": tide_finding(settings),
        "journal": _journal(settings),
        "snapshot_retention": f"{settings.snapshot_retention_days:g} days"
        if settings.snapshot_retention_days
        else "off: snapshots are kept (not for operations)",
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    con = Console()
    t = Table(title="shorewatch doctor", show_header=False)
    t.add_row("python", report["python"])
    for k, v in report["versions"].items():
        t.add_row(k, v)
    t.add_row("state dir", report["state_dir"])
    t.add_row("database", report["database"])
    t.add_row("ultralytics config", str(report["ultralytics_config_dir"]))
    for k, free in report["ports"].items():
        t.add_row(f"port {k}", "free" if free else "[yellow]in use[/]")
    t.add_row("model", report["model"])
    for line in report["network"]:
        t.add_row("network", line)
    t.add_row("site", report["site"])
    t.add_row("tide", report["tide"])
    t.add_row("audit journal", report["journal"])
    t.add_row("snapshot retention", report["snapshot_retention"])
    con.print(t)
    return 0
