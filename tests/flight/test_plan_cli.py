"""``shorewatch plan`` as a pilot runs it: files QGroundControl opens, a summary, refusals."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def plan(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "plan", *args, "--out", str(tmp / "m.plan")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


def test_a_corridor_plan_writes_qgc_files_and_prints_a_summary(tmp_path: Path) -> None:
    out = plan(tmp_path, "--route", "corridor", "--start-km", "14", "--end-km", "16", "--altitude", "60")
    assert out.returncode == 0, out.stderr + out.stdout
    plans = sorted(tmp_path.glob("m*.plan"))
    assert plans, out.stdout
    doc = json.loads(plans[0].read_text())
    assert doc["fileType"] == "Plan" and doc["mission"]["items"]
    alts = [it["params"][6] for it in doc["mission"]["items"] if it.get("command") == 16]
    assert alts and max(alts) <= 60.0 + 1e-6
    assert (tmp_path / (plans[0].stem + ".geojson")).is_file()
    assert "km" in out.stdout.lower() or "length" in out.stdout.lower()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--route", "corridor", "--start-km", "14", "--end-km", "16", "--altitude", "150"], "ceiling"),
        (["--route", "survey", "--area", "Nowhere beach"], "Nowhere beach"),
    ],
)
def test_unsafe_or_impossible_plans_are_refused_with_the_reason(
    tmp_path: Path, args: list[str], message: str
) -> None:
    out = plan(tmp_path, *args)
    assert out.returncode != 0
    assert message.lower() in (out.stdout + out.stderr).lower()


def test_the_plan_says_how_long_a_stretch_goes_unseen_and_how_many_drones_would_keep_a_target(
    tmp_path: Path,
) -> None:
    out = plan(
        tmp_path,
        "--start-km",
        "14",
        "--end-km",
        "16",
        "--relay",
        "2",
        "--swap-min",
        "4",
        "--revisit-min",
        "3",
    )
    assert out.returncode == 0, out.stderr + out.stdout
    text = " ".join(out.stdout.split())
    assert "relay: drone-1-r2 takes off" in text and "after drone-1" in text
    assert "revisit (battery swaps of 4 min): every stretch seen again within" in text
    assert "3 min is not kept;" in text and "drones would keep it: --drones" in text
    bad = plan(tmp_path, "--relay", "0")
    assert bad.returncode == 2 and "--relay must be 1-8" in bad.stdout


def test_a_route_drawn_in_google_earth_is_planned_as_a_line_patrol(tmp_path: Path) -> None:
    coords = "1.7120,50.9270,0 1.7050,50.9240,0 1.6980,50.9220,0 1.6900,50.9190,0"
    (tmp_path / "cliff.kml").write_text(
        '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>cliff</name>'
        f"<LineString><coordinates>{coords}</coordinates></LineString></Placemark></kml>"
    )
    out = plan(
        tmp_path, "--route", "line", "--line", str(tmp_path / "cliff.kml"), "--look", "left", "--laps", "2"
    )
    assert out.returncode == 0, out.stderr + out.stdout
    doc = json.loads((tmp_path / "m.plan").read_text())
    mounts = [it["params"] for it in doc["mission"]["items"] if it.get("command") == 205]
    assert [m[0] for m in mounts] == [-45.0, -45.0] and [m[2] for m in mounts] == [-90.0, 90.0]
    assert "line plan, 1 drone(s)" in " ".join(out.stdout.split())
    missing = plan(tmp_path, "--route", "line")
    assert missing.returncode == 2 and "--line FILE" in missing.stdout
    bad = plan(tmp_path, "--route", "line", "--line", str(tmp_path / "nowhere.kml"))
    assert bad.returncode == 2 and "not found" in bad.stdout
