"""``shorewatch sitl`` as a user runs it: prints its ports, serves MAVLink, stops on Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from .conftest import Mav, free_base_port


def test_sitl_command_serves_and_stops_cleanly_on_ctrl_c() -> None:
    port = free_base_port(2)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "api.cli",
            "--log-level",
            "WARNING",
            "sitl",
            "--instances",
            "2",
            "--speedup",
            "20",
            "--base-port",
            str(port),
            "--home",
            "50.87,1.66,5,90",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Ctrl-C"):
                break
        out = "".join(lines)
        assert f"tcp:127.0.0.1:{port}" in out and f"tcp:127.0.0.1:{port + 10}" in out, out
        assert "home 50.870000,1.660000,5,90" in out
        c = Mav(port + 10)
        assert c.sysid == 2
        c.close()
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=15)
        assert proc.returncode == 0
        assert "stopped" in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--home", "north,1.7"], "expected numbers"),
        (["--instances", "0"], "instances must be"),
        (["--site", "/no/such/site.geojson"], "cannot load site"),
    ],
)
def test_sitl_command_bad_arguments(args, message) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "api.cli", "sitl", *args], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 2
    assert message in r.stdout
