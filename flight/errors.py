"""The exceptions raised by ``flight`` (planning, validation, .plan files, vehicle control).

::

    FlightError
    ├── PlanError                 a plan cannot be made from these inputs (ValueError)
    │   └── PlanValidationError   a plan breaks a safety rule; ``.problems`` names each one
    ├── PlanFormatError           a QGroundControl .plan / GeoJSON file is malformed (ValueError)
    └── VehicleError              talking to a vehicle failed
        ├── ConnectError          no heartbeat / could not connect after the retries
        ├── LinkLostError         the link dropped while a command was waiting
        ├── CommandTimeout        the vehicle did not do what was asked in time
        ├── CommandRejected       the vehicle answered COMMAND_ACK with a failure (+ its STATUSTEXT)
        ├── PreflightFailed       a health check failed before arming; ``.failures`` lists them
        ├── MissionUploadError    upload refused, or the read-back differs from what was sent
        └── MissionAborted        the vehicle left the mission on its own (failsafe RTL/LAND)

Messages say what was expected and what came.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class FlightError(Exception):
    """Base of every error raised by ``flight``."""


class PlanError(FlightError, ValueError):
    """A plan cannot be made from these inputs."""


class PlanValidationError(PlanError):
    """A plan breaks one or more safety rules. ``problems`` holds each, with its code."""

    def __init__(self, problems: Sequence[Any]) -> None:
        self.problems = tuple(problems)
        lines = "; ".join(str(p) for p in self.problems)
        super().__init__(f"plan refused ({len(self.problems)} problem(s)): {lines}")


class PlanFormatError(FlightError, ValueError):
    """A .plan or GeoJSON file is malformed."""


class VehicleError(FlightError):
    """Talking to a vehicle failed."""


class ConnectError(VehicleError):
    """Could not connect to the vehicle."""


class LinkLostError(VehicleError):
    """The MAVLink link dropped while waiting for the vehicle."""


class CommandTimeout(VehicleError):
    """The vehicle did not reach the expected state within the timeout."""

    def __init__(self, what: str, timeout_s: float, detail: str = "") -> None:
        self.what = what
        self.timeout_s = timeout_s
        extra = f" ({detail})" if detail else ""
        super().__init__(f"timed out after {timeout_s:.1f} s waiting for {what}{extra}")


class CommandRejected(VehicleError):
    """The vehicle refused a command: COMMAND_ACK ``result`` and the STATUSTEXT that said why."""

    def __init__(self, command: str, params: Sequence[float], result: str, reason: str | None = None) -> None:
        self.command = command
        self.params = tuple(params)
        self.result = result
        self.reason = reason
        why = f": {reason}" if reason else ""
        super().__init__(f"{command} {list(self.params)} rejected by the vehicle ({result}){why}")


class PreflightFailed(VehicleError):
    """One or more preflight health checks failed."""

    def __init__(self, failures: Sequence[str]) -> None:
        self.failures = tuple(failures)
        super().__init__("preflight failed: " + "; ".join(self.failures))


class MissionUploadError(VehicleError):
    """The vehicle refused the mission, or what it holds differs from what was sent."""


class MissionAborted(VehicleError):
    """The vehicle left the mission on its own (battery, fence or GCS failsafe...)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"mission aborted: {reason}")
