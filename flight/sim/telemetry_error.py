"""What a drone's telemetry gets wrong: the pose it reports for a frame against the pose the camera
really had.

The simulator renders every frame from the true pose; the pipeline only ever sees the reported
one, as with a real drone. Errors (``flight.sim.scenario.TelemetryError``, one draw per flight
and seed, reproducible):

* GNSS horizontal position: a first-order Gauss-Markov wander per axis (stationary one-sigma
  ``gnss_sigma_m``, correlation time ``gnss_tau_s``): a standalone receiver's error drifts over
  tens of seconds rather than jumping frame to frame;
* altitude above mean sea level: a constant bias (``altitude_sigma_m``; the EKF origin's GNSS
  altitude and the barometer's drift);
* camera heading and pitch: constant biases (``heading_sigma_deg``: compass and gimbal yaw
  encoder; ``pitch_sigma_deg``: gimbal IMU) plus a per-frame jitter (``attitude_jitter_deg``);
* latency: the telemetry sample paired with a frame is ``latency_s`` older than the picture.

With a GNSS error, each reported pose also carries the receiver's own accuracy estimate
(``Telemetry.gnss_accuracy_m``, sqrt(2) x ``gnss_sigma_m``), which the georeferencing states
instead of its configured GNSS sigma; the attitude and altitude errors are not reported (a real
autopilot does not know its own biases).

Everything is zero with ``TelemetryError.none()``.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from flight.sim.scenario import TelemetryError
from shorewatch.geo import LocalFrame
from shorewatch.types import Telemetry


def reported_accuracy_m(sigma_m: float) -> float:
    """What a receiver whose horizontal error is ``sigma_m`` per axis reports as its accuracy
    (GPS_RAW_INT ``h_acc``: radial, root mean square)."""
    return math.sqrt(2.0) * sigma_m


class TelemetryErrorProcess:
    """One flight's realisation of ``TelemetryError``. ``apply`` must be called with
    non-decreasing frame times (the GNSS wander is stepped forward from the previous call)."""

    def __init__(self, model: TelemetryError, seed: int, frame: LocalFrame) -> None:
        self.model = model
        self._frame = frame
        # a stream of its own: the world's and the camera's draws stay as they were
        self._rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, 0x7E1E])
        g = self._rng.normal(size=4)
        self.altitude_bias_m = float(model.altitude_sigma_m * g[0])
        self.heading_bias_deg = float(model.heading_sigma_deg * g[1])
        self.pitch_bias_deg = float(model.pitch_sigma_deg * g[2])
        self._gnss = model.gnss_sigma_m * self._rng.normal(size=2)
        self._t: float | None = None
        # the live simulator draws its jitter from a stream of its own (its frames come at any time)
        self._jitter_rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, 0x717])

    def attitude_jitter_deg(self) -> tuple[float, float]:
        """A fresh (yaw, pitch) jitter draw for one picture: how far the camera shook from the
        attitude the gimbal reports (the live simulator's true pose; zero without jitter)."""
        j = self.model.attitude_jitter_deg
        if j <= 0:
            return 0.0, 0.0
        y, p = j * self._jitter_rng.normal(size=2)
        return float(y), float(p)

    def gnss_error_m(self, t_s: float) -> tuple[float, float]:
        """The GNSS error (east, north) at ``t_s``, stepping the wander forward from the last call."""
        m = self.model
        if self._t is not None and t_s > self._t and m.gnss_sigma_m > 0:
            a = math.exp(-(t_s - self._t) / m.gnss_tau_s)
            self._gnss = a * self._gnss + m.gnss_sigma_m * math.sqrt(1.0 - a * a) * self._rng.normal(size=2)
        if self._t is None or t_s > self._t:
            self._t = t_s
        return float(self._gnss[0]), float(self._gnss[1])

    def apply(self, tel: Telemetry, t_s: float) -> Telemetry:
        """``tel`` (the true pose at ``t_s - latency_s``) as the drone reports it for the frame at ``t_s``."""
        m = self.model
        de, dn = self.gnss_error_m(t_s)
        e, n = self._frame.to_local(tel.lat_deg, tel.lon_deg)
        lat, lon = self._frame.to_geo(e + de, n + dn)
        jy, jp = (
            (m.attitude_jitter_deg * self._rng.normal(size=2)) if m.attitude_jitter_deg > 0 else (0.0, 0.0)
        )
        pitch = min(0.0, max(-90.0, tel.gimbal_pitch_deg + self.pitch_bias_deg + float(jp)))
        return dataclasses.replace(
            tel,
            timestamp_s=t_s,
            lat_deg=float(lat),
            lon_deg=float(lon),
            alt_m=tel.alt_m + self.altitude_bias_m,
            rel_alt_m=tel.rel_alt_m + self.altitude_bias_m,
            gimbal_yaw_deg=tel.gimbal_yaw_deg + self.heading_bias_deg + float(jy),
            gimbal_pitch_deg=pitch,
            gnss_accuracy_m=self.gnss_accuracy_m if m.gnss_sigma_m > 0 else tel.gnss_accuracy_m,
        )

    @property
    def gnss_accuracy_m(self) -> float:
        """The receiver's estimate of its horizontal error that the drone reports with each pose
        (as GPS_RAW_INT ``h_acc``: radial, root mean square, the per-axis sigma x sqrt(2)), as the
        MAVLink simulator's vehicle reports it."""
        return reported_accuracy_m(self.model.gnss_sigma_m)
