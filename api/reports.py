"""What the operators made of the alerts, slice by slice.

Every live alert ends up acknowledged, assigned and resolved by a patrol officer, with a reason:
``stopped``, ``false_alarm``, ``handed_to_rescue``. Counted per slice of the conditions it was
raised in (its kind, the beach, the drone or camera, the camera's altitude band, the hour of
day), those verdicts say where the detector cries wolf and where it earns its keep, and how fast
the patrols answer; a model upgrade is judged against them (the anchors' "condition-sliced
metrics", from real operations instead of a test set). Alerts the pipeline itself resolved as
repeats of a false alarm (``api.dismissals``) are counted as ``held``, not as verdicts; a false
alarm whose verdict was withdrawn counts as ``withdrawn`` (the operator changed their mind).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from api.dismissals import held_ref
from api.domain import AlertStatus, ResolutionReason, VerdictRow
from shorewatch.types import CAMERA_ALT_DETAIL, detail_number

SLICES = ("kind", "beach", "source", "altitude", "hour")
ALTITUDE_BAND_M = 20
VERDICTS = ("open", "stopped", "false_alarm", "handed_to_rescue", "withdrawn", "held")


def slice_of(row: VerdictRow, by: str) -> str:
    """The value of one slice (``SLICES``) for one alert."""
    a = row.alert
    d = dict(a.details)
    if by == "kind":
        return a.kind.value
    if by == "beach":
        return d.get("beach") or "(no beach)"
    if by == "source":
        return a.source
    if by == "altitude":
        alt = detail_number(a.details, CAMERA_ALT_DETAIL)
        if alt is None:
            return "(unknown)"
        lo = int(alt // ALTITUDE_BAND_M) * ALTITUDE_BAND_M
        return f"{lo}-{lo + ALTITUDE_BAND_M} m"
    if by == "hour":
        return f"{datetime.fromtimestamp(a.created_at_s, UTC).hour:02d}h UTC"
    raise ValueError(f"unknown slice {by!r}; expected one of {', '.join(SLICES)}")


def verdict_of(row: VerdictRow) -> str:
    """One of ``VERDICTS``."""
    a = row.alert
    if a.status is not AlertStatus.RESOLVED or a.resolution is None:
        return "open"
    if a.resolution is ResolutionReason.FALSE_ALARM:
        if held_ref(a) is not None:
            return "held"
        if row.withdrawn:
            return "withdrawn"
    return a.resolution.value


def verdict_report(rows: Iterable[VerdictRow], by: Sequence[str]) -> list[dict[str, Any]]:
    """Per slice: alerts, each verdict's count, the share of the operators' verdicts that were
    false alarms, and the seconds from an alert to an operator's first action (median, 90th
    percentile; alerts the pipeline held are left out of both). Largest slices first."""
    for b in by:
        if b not in SLICES:
            raise ValueError(f"unknown slice {b!r}; expected one of {', '.join(SLICES)}")
    groups: dict[tuple[str, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(slice_of(row, b) for b in by)
        g = groups.setdefault(key, {"counts": dict.fromkeys(VERDICTS, 0), "waits": []})
        verdict = verdict_of(row)
        g["counts"][verdict] += 1
        if verdict != "held" and row.first_response_s is not None:
            g["waits"].append(max(0.0, row.first_response_s - row.alert.created_at_s))
    out = []
    for key, g in groups.items():
        n = g["counts"]
        judged = n["stopped"] + n["false_alarm"] + n["handed_to_rescue"] + n["withdrawn"]
        waits = np.asarray(g["waits"], dtype=np.float64)
        out.append(
            {
                "group": dict(zip(by, key, strict=True)),
                "alerts": sum(n.values()),
                **n,
                "false_alarm_share": round(n["false_alarm"] / judged, 3) if judged else None,
                "first_response_s_median": round(float(np.median(waits)), 1) if len(waits) else None,
                "first_response_s_p90": round(float(np.percentile(waits, 90)), 1) if len(waits) else None,
            }
        )
    out.sort(key=lambda r: (-r["alerts"], tuple(r["group"].values())))
    return out
