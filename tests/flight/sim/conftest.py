"""Helpers for driving the simulator over real TCP: free ports, a fleet factory, waiting on a
condition (never a fixed sleep)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from flight.sim.sitl import SimFleet
from flight.sim.vehicle import VehicleConfig


def free_base_port(instances: int = 1) -> int:
    """A base port with base+10*i free for every instance (ephemeral range, loopback)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + 10 * (instances - 1) > 65535:
            continue
        ok = True
        for i in range(1, instances):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", base + 10 * i))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no free port range found")


def wait_for(cond: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    """Poll ``cond`` until it returns something truthy; fail with ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        val = cond()
        if val:
            return val
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def make_fleet() -> Iterator[Callable[..., SimFleet]]:
    fleets: list[SimFleet] = []

    def make(instances: int = 1, speedup: float = 50.0, **kw: Any) -> SimFleet:
        kw.setdefault("config", VehicleConfig(gps_detect_s=1.0, gps_fix_s=2.0, ekf_ready_s=4.0))
        fleet = SimFleet(instances=instances, speedup=speedup, base_port=free_base_port(instances), **kw)
        fleet.start()
        fleets.append(fleet)
        return fleet

    yield make
    for f in fleets:
        f.stop()


class Dk:
    """A dronekit Vehicle that closes itself; collects STATUSTEXTs and selected messages."""

    def __init__(self, conn: str) -> None:
        from dronekit import connect

        self.v = connect(conn, wait_ready=True, timeout=30, heartbeat_timeout=30)
        self.texts: list[str] = []
        self.msgs: dict[str, list[Any]] = {}
        self.v.add_message_listener("STATUSTEXT", lambda _v, _n, m: self.texts.append(m.text))
        for name in ("MISSION_ITEM_REACHED", "MISSION_ACK", "COMMAND_ACK"):
            self.msgs[name] = []
            self.v.add_message_listener(name, self._collector(name))

    def _collector(self, name: str) -> Callable[..., None]:
        def f(_v: Any, _n: str, m: Any) -> None:
            self.msgs[name].append(m)

        return f

    def said(self, fragment: str) -> bool:
        return any(fragment in t for t in self.texts)

    def close(self) -> None:
        self.v.close()


@pytest.fixture
def dronekit_vehicle() -> Iterator[Callable[[str], Dk]]:
    made: list[Dk] = []

    def make(conn: str) -> Dk:
        d = Dk(conn)
        made.append(d)
        return d

    yield make
    for d in made:
        d.close()


class Mav:
    """A raw pymavlink client (MAVLink 2) for protocol-level tests."""

    def __init__(self, port: int) -> None:
        import os

        os.environ["MAVLINK20"] = "1"
        from pymavlink import mavutil

        self.mavutil = mavutil
        self.m = mavutil.mavlink_connection(f"tcp:127.0.0.1:{port}", source_system=255, source_component=190)
        hb = self.m.wait_heartbeat(timeout=10)
        assert hb is not None, "no heartbeat from the simulator"
        self.sysid = hb.get_srcSystem()

    def recv(
        self, types: str | list[str], cond: Callable[[Any], bool] = lambda m: True, timeout: float = 5.0
    ) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.m.recv_match(type=types, blocking=True, timeout=max(0.01, deadline - time.monotonic()))
            if m is not None and cond(m):
                return m
        return None

    def command(self, cmd: int, *params: float, timeout: float = 5.0) -> Any:
        p = [*params, *([0.0] * (7 - len(params)))]
        self.m.mav.command_long_send(self.sysid, 1, cmd, 0, *p)
        return self.recv("COMMAND_ACK", lambda a: a.command == cmd, timeout)

    def close(self) -> None:
        self.m.close()


@pytest.fixture
def mav() -> Iterator[Callable[[int], Mav]]:
    made: list[Mav] = []

    def make(port: int) -> Mav:
        c = Mav(port)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()
