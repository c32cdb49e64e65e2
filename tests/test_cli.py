from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.cli import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[1]


def test_every_subcommand_is_registered() -> None:
    parser = build_parser()
    help_text = parser.format_help()
    for name in COMMANDS:
        assert name in help_text


def test_help_runs_as_a_console_script() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "api.cli", "--help"], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert "doctor" in out.stdout and "demo" in out.stdout


def test_doctor_reports_state_dir_ports_and_network(state_dir: Path) -> None:
    env = {**os.environ, "SHOREWATCH_STATE_DIR": str(state_dir), "SHOREWATCH_PORT": "8765"}
    out = subprocess.run(
        [sys.executable, "-m", "api.cli", "doctor", "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=True,
    )
    rep = json.loads(out.stdout)
    assert rep["state_dir"] == str(state_dir.resolve())
    assert rep["snapshot_retention"] == "7 days"
    assert rep["journal"] == "no database yet" or rep["journal"].startswith("ok: ")
    assert "api 127.0.0.1:8765" in rep["ports"]
    assert rep["network"] == ["nothing: loopback only, offline"]
    assert rep["tide"].startswith("unknown: positions on mean sea level (the sea's height +- 2.3 m)")
    assert rep["versions"]["ultralytics"] != "not installed"
    assert (state_dir / "ultralytics" / "Ultralytics" / "Arial.ttf").is_file()


def test_doctor_flags_a_non_loopback_bind(state_dir: Path) -> None:
    env = {
        **os.environ,
        "SHOREWATCH_STATE_DIR": str(state_dir),
        "SHOREWATCH_HOST": "0.0.0.0",
        "SHOREWATCH_COT_URL": "udp://10.0.0.5:6969",
    }
    out = subprocess.run(
        [sys.executable, "-m", "api.cli", "doctor", "--json", "--skip-model"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=True,
    )
    net = json.loads(out.stdout)["network"]
    assert any("0.0.0.0" in n for n in net) and any("Cursor-on-Target" in n for n in net)


def test_doctor_says_where_the_tide_comes_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from api.commands.doctor import tide_finding
    from api.settings import Settings
    from shorewatch.site import load_site
    from shorewatch.tide import TideNow

    monkeypatch.setenv("SHOREWATCH_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("SHOREWATCH_TIDE_TABLE", str(tmp_path / "missing.csv"))
    assert "table not used" in tide_finding(Settings())
    csv = tmp_path / "t.csv"
    csv.write_text("2026-12-01T05:00Z,7.0\n2026-12-01T11:12Z,1.0\n")  # long past: unknown now
    monkeypatch.setenv("SHOREWATCH_TIDE_TABLE", str(csv))
    assert tide_finding(Settings()).startswith("unknown: positions on mean sea level")
    # a height a pilot reported to the service, still valid, is what the service would use
    site = load_site("opal-coast")
    TideNow(site.tide, keep=tmp_path / "tide_report.json", site_name=site.name).observe(1.5, 600, "pilot")
    found = tide_finding(Settings())
    assert found.startswith("1.50 m above chart datum (zero hydrographique) near Wissant (observed)"), found
    assert (
        "the sea's surface -2.90 m against mean sea level" in found and "up to 415 m" in found
    )  # 450 m x (7.5 - 1.5) / 6.5


def _tide(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``shorewatch tide ARGS`` in this process (the command's own code path, without paying for a
    new interpreter): (exit code, stdout, stderr)."""
    from api.settings import Settings

    ns = build_parser().parse_args(["tide", *args])
    code = ns.func(ns, Settings())
    out = capsys.readouterr()
    return code, out.out, out.err


def test_tide_checks_a_table_before_a_shift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "calais.csv"
    csv.write_text(
        "time,height_m\n2026-12-01T05:12+01:00,7.5\n2026-12-01T11:24+01:00,1.0\n2026-12-01T17:36+01:00,7.3\n"
    )
    code, out, err = _tide(capsys, "--table", str(csv), "--at", "2026-12-01T08:18+01:00")  # half-way down
    assert code == 0, err
    assert "4.25 m falling" in out
    assert "next low water 2026-12-01 10:24 UTC: 1.00 m" in out
    assert "Wissant bay: the water's edge 225 m beyond the mapped waterline" in out
    assert "the sea's surface -0.15 m against mean sea level (4.40 m above the datum)" in out
    code, out, _ = _tide(capsys, "--table", str(csv), "--at", "2026-12-02T08:00Z")
    assert code == 1 and "unknown" in out
    csv.write_text("2026-12-01 05:12,7.5\n2026-12-01 11:24,1.0\n")
    code, _, err = _tide(capsys, "--table", str(csv))
    assert code == 2 and "no UTC offset" in err
