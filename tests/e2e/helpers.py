"""Helpers for end-to-end tests: free ports, a `shorewatch` subprocess, waiting on conditions."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_port_block(instances: int = 1) -> int:
    """A base port with base + 10 * i free for every i < instances (the simulator's layout)."""
    for _ in range(50):
        base = free_port()
        if base + 10 * instances > 65000:
            continue
        ok = True
        for i in range(instances):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", base + 10 * i))
                except OSError:
                    ok = False
        if ok:
            return base
    raise RuntimeError("no free port range for the simulator")


def wait_for(pred: Callable[[], Any], timeout_s: float, what: str, interval_s: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(interval_s)


def shorewatch_env(state_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOREWATCH_")}
    env.update(SHOREWATCH_STATE_DIR=str(state_dir), SHOREWATCH_LOG_LEVEL="WARNING", **extra)
    return env


def shorewatch(args: list[str], env: dict[str, str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        **kw,
    )


def start_shorewatch(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    fh = open(log, "ab")  # noqa: SIM115 - handed to the child
    return subprocess.Popen([sys.executable, "-m", "api.cli", *args], cwd=ROOT, env=env, stdout=fh, stderr=fh)


def add_user(env: dict[str, str], name: str, role: str) -> str:
    out = shorewatch(["users", "add", name, "--role", role], env)
    return out.stdout.strip().splitlines()[-1]
