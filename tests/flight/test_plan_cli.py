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
