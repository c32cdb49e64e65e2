from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
