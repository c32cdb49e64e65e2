"""``SimFleet``: several simulated ArduCopters in one process, each on its own MAVLink port.

Vehicle ``i`` listens on ``tcp:host:base_port + 10*i`` (ArduPilot's SITL convention) with
``MAV_SYSID = i + 1``. One background thread runs one selector loop for the whole fleet: it
sleeps in ``select()`` until a client sends something or the next tick (every 20 ms of wall time)
is due, steps each vehicle's physics in fixed sim-time steps up to where its clock says it should
be, and sends what is due. Nothing spins.

    with SimFleet(instances=2, speedup=20) as fleet:
        fleet.vehicles[0].telemetry()
        fleet.vehicles[1].cut_link()
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import threading
import time
from pathlib import Path
from typing import Any

from flight.sim.clock import SimClock
from flight.sim.mavlink_server import LinkError, MavlinkServer
from flight.sim.vehicle import DEFAULT_HOME, Home, SimConfigError, SimVehicle, VehicleConfig

logger = logging.getLogger(__name__)

TICK_WALL_S = 0.02
MAX_STEPS_PER_TICK = 2000


class SimFleet:
    """``instances`` simulated vehicles served over MAVLink/TCP from a background thread."""

    def __init__(
        self,
        instances: int = 1,
        speedup: float = 1.0,
        base_port: int = 5760,
        home: Home | str | None = None,
        site: Any | None = None,
        *,
        host: str = "127.0.0.1",
        config: VehicleConfig | None = None,
        spacing_m: float = 5.0,
        max_stream_wall_hz: float = 50.0,
    ) -> None:
        if not (1 <= instances <= 50):
            raise SimConfigError(f"instances must be in [1, 50], got {instances}")
        if not (0.01 <= speedup <= 10_000):
            raise SimConfigError(f"speedup must be in [0.01, 10000], got {speedup}")
        if not (1 <= base_port <= 65535 - 10 * (instances - 1)):
            raise SimConfigError(f"base_port {base_port} leaves no room for {instances} instances")
        if isinstance(site, (str, Path)):
            from shorewatch.site import load_site

            site = load_site(site)
        if isinstance(home, str):
            home = Home.parse(home)
        if home is None:
            home = _site_home(site) if site is not None else DEFAULT_HOME
        self.host = host
        self.base_port = base_port
        self.speedup = speedup
        self.site = site
        fence = getattr(site, "geofence", None) if site is not None else None
        self.vehicles: list[SimVehicle] = []
        self.clocks: list[SimClock] = []
        self.servers: list[MavlinkServer] = []
        from shorewatch.geo import offset

        for i in range(instances):
            lat, lon = (
                (home.lat_deg, home.lon_deg)
                if i == 0
                else offset(home.lat_deg, home.lon_deg, (home.heading_deg + 90) % 360, spacing_m * i)
            )
            h = Home(lat, lon, home.alt_m, home.heading_deg)
            v = SimVehicle(h, sysid=i + 1, speedup=speedup, config=config, fence_polygon=fence)
            clock = SimClock(speedup)
            self.vehicles.append(v)
            self.clocks.append(clock)
            srv = MavlinkServer(
                v, base_port + 10 * i, clock, host=host, max_stream_wall_hz=max_stream_wall_hz
            )
            srv.on_reboot = self._make_reboot_cb(i)
            v.on_param_change.append(self._make_param_cb(i))
            self.servers.append(srv)
        self._sel: selectors.BaseSelector | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake_r: Any = None
        self._wake_w: Any = None
        self.error: BaseException | None = None

    # ------------------------------------------------------------------ lifecycle
    @property
    def ports(self) -> list[int]:
        return [s.port for s in self.servers]

    @property
    def connection_strings(self) -> list[str]:
        return [f"tcp:{self.host}:{p}" for p in self.ports]

    def start(self) -> SimFleet:
        if self._thread is not None:
            return self
        import socket

        self._sel = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._sel.register(self._wake_r, selectors.EVENT_READ, ("wake", None, None))
        try:
            for s in self.servers:
                s.listen(self._sel)
        except LinkError:
            self._close_all()
            raise
        now = time.monotonic()
        for c in self.clocks:
            c.rebase(0.0, now)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sim-fleet", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        self._thread.join(timeout=5)
        self._thread = None
        self._close_all()

    def _close_all(self) -> None:
        for s in self.servers:
            s.close()
        if self._sel is not None:
            self._sel.close()
            self._sel = None
        for sock in (self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()
        self._wake_r = self._wake_w = None

    def __enter__(self) -> SimFleet:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ callbacks
    def _make_reboot_cb(self, i: int) -> Any:
        def cb() -> None:
            self.clocks[i].rebase(0.0)

        return cb

    def _make_param_cb(self, i: int) -> Any:
        def cb(name: str, value: float) -> None:
            if name == "SIM_SPEEDUP":
                self.clocks[i].set_speedup(value, self.vehicles[i].sim_time_s)

        return cb

    # ------------------------------------------------------------------ loop
    def _run(self) -> None:
        sel = self._sel
        assert sel is not None
        next_tick = time.monotonic()
        try:
            while not self._stop.is_set():
                timeout = max(0.0, next_tick - time.monotonic())
                for key, mask in sel.select(timeout):
                    kind, srv, client = key.data
                    if kind == "wake":
                        with contextlib.suppress(OSError):
                            self._wake_r.recv(64)
                    elif kind == "accept":
                        srv.on_accept()
                    else:
                        if mask & selectors.EVENT_READ:
                            srv.on_readable(client)
                        if mask & selectors.EVENT_WRITE and not client.closed:
                            srv.on_writable(client)
                now = time.monotonic()
                if now >= next_tick:
                    self._tick(now)
                    next_tick = max(next_tick + TICK_WALL_S, now + TICK_WALL_S * 0.5)
        except BaseException as exc:  # keep the reason for whoever is watching
            logger.exception("simulator loop crashed")
            self.error = exc

    def _tick(self, now: float) -> None:
        # physics may use at most ~60% of a tick, shared by the vehicles: the loop always sleeps
        # between ticks, so clients in other threads (and other processes) are never starved
        budget = TICK_WALL_S * 0.6 / len(self.vehicles)
        for v, clock, srv in zip(self.vehicles, self.clocks, self.servers, strict=True):
            target = clock.target(now)
            try:
                v.advance_to(target, max_steps=MAX_STEPS_PER_TICK, wall_deadline=time.monotonic() + budget)
                if target - v.sim_time_s > v.cfg.dt_s * 2:
                    # could not keep up: slip instead of trying to catch up forever
                    clock.rebase(v.sim_time_s, now)
                srv.tick(now)
            except Exception:  # a bug in one vehicle must not stop the others or the server
                logger.exception("[%s] simulation step failed", v.vehicle_id)
                clock.rebase(v.sim_time_s, now)


def _site_home(site: Any) -> Home:
    """The site's first launch point, or the built-in default."""
    lps = getattr(site, "launch_points", ())
    if lps:
        return Home(lps[0].lat_deg, lps[0].lon_deg, 0.0, 0.0)
    return DEFAULT_HOME
