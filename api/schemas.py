"""Wire schemas of the alert service (what clients send and receive), separate from the internal
types in ``api.domain``. Every model forbids unknown fields and non-finite numbers."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator

from api.domain import (
    Alert,
    AlertStatus,
    ChangeKind,
    Delivery,
    JournalEntry,
    ResolutionReason,
    Role,
    User,
    Webhook,
)
from shorewatch.types import Event, EventKind, Severity, TrackPoint

MAX_SNAPSHOT_BYTES = 1_500_000
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$"


def iso_utc(t_s: float) -> datetime:
    return datetime.fromtimestamp(t_s, tz=UTC)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Position(_Model):
    lat: float = Field(ge=-90, le=90, description="latitude, WGS84 degrees", examples=[50.8696])
    lon: float = Field(ge=-180, le=180, description="longitude, WGS84 degrees", examples=[1.5868])


class TrackPointPublic(_Model):
    t: float = Field(ge=0, le=1e11, description="time, epoch seconds (UTC)")
    lat: float = Field(ge=-90, le=90, description="latitude, degrees")
    lon: float = Field(ge=-180, le=180, description="longitude, degrees")


class DeliveryPublic(_Model):
    """A webhook delivery attempt."""

    unit: str = Field(description="patrol unit the webhook belongs to")
    seq: int = Field(description="seq of the push message delivered")
    attempt: int = Field(description="1 for the first try, then 2, 3... (exponential backoff)")
    ok: bool = Field(description="the receiver answered 2xx")
    status_code: int | None = Field(description="HTTP status the receiver answered, if any")
    error: str | None = Field(description="why the attempt failed, if it did")
    at: datetime = Field(description="when the attempt ended (UTC)")

    @classmethod
    def from_delivery(cls, d: Delivery) -> DeliveryPublic:
        return cls(
            unit=d.unit,
            seq=d.seq,
            attempt=d.attempt,
            ok=d.ok,
            status_code=d.status_code,
            error=d.error,
            at=iso_utc(d.at_s),
        )


ALERT_EXAMPLE: dict[str, Any] = {
    "id": 12,
    "seq": 40,
    "event_id": "drone-1:launch:7",
    "revision": 2,
    "kind": "launch",
    "severity": "critical",
    "status": "new",
    "created_at": "2026-11-29T06:41:07.120000Z",
    "created_at_s": 1795934467.12,
    "updated_at": "2026-11-29T06:41:19.480000Z",
    "updated_at_s": 1795934479.48,
    "detected_at": "2026-11-29T06:41:19.300000Z",
    "detected_at_s": 1795934479.3,
    "first_seen_s": 1795934460.0,
    "position": {"lat": 50.8862, "lon": 1.6571},
    "position_error_m": 12.5,
    "heading_deg": 312.0,
    "speed_mps": 1.8,
    "people_count": 38,
    "confidence": 0.91,
    "source": "drone-1",
    "track": [
        {"t": 1795934460.0, "lat": 50.8860, "lon": 1.6574},
        {"t": 1795934479.3, "lat": 50.8862, "lon": 1.6571},
    ],
    "snapshot_url": "/alerts/12/snapshot.jpg",
    "escalated": False,
    "escalated_at": None,
    "acknowledged_by": None,
    "assigned_to": None,
    "resolution": None,
    "last_change": "updated",
    "deliveries": [],
    "replay_id": None,
    "details": {},
}


class AlertPublic(_Model):
    """One alert as clients see it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ALERT_EXAMPLE]})

    id: int = Field(description="alert id (use in /alerts/{id})")
    seq: int = Field(
        description="sequence number of the alert's latest change; strictly increasing across the service"
    )
    event_id: str = Field(description="the producer's stable id of the episode; updates reuse it")
    revision: int = Field(description="producer revision of the content shown")
    kind: EventKind
    severity: Severity
    status: AlertStatus
    created_at: datetime = Field(description="when the service first stored the alert (UTC)")
    created_at_s: float = Field(description="created_at as epoch seconds")
    updated_at: datetime = Field(description="last change (UTC)")
    updated_at_s: float = Field(description="updated_at as epoch seconds")
    detected_at: datetime = Field(description="time of the observation in this revision (UTC)")
    detected_at_s: float = Field(description="detected_at as epoch seconds")
    first_seen_s: float = Field(description="when the object was first seen, epoch seconds")
    position: Position
    position_error_m: float = Field(description="1-sigma horizontal uncertainty, metres")
    heading_deg: float | None = Field(description="course over ground, degrees clockwise from north")
    speed_mps: float | None = Field(description="speed over ground, m/s")
    people_count: int = Field(description="people counted on or near the object")
    confidence: float = Field(description="detector confidence, 0..1")
    source: str = Field(description="which drone / camera / external detector raised it")
    track: list[TrackPointPublic] = Field(description="positions over time, oldest first")
    snapshot_url: str | None = Field(description="GET this for the JPEG snapshot; null when none")
    escalated: bool = Field(description="left unacknowledged past the escalation delay and re-notified")
    escalated_at: datetime | None
    acknowledged_by: str | None
    assigned_to: str | None = Field(description="patrol unit the alert is assigned to")
    resolution: ResolutionReason | None
    last_change: ChangeKind = Field(description="what the latest change (the one with this seq) was")
    deliveries: list[DeliveryPublic] = Field(description="webhook delivery receipts, oldest first")
    replay_id: str | None = Field(description="set for alerts raised by a replay (never pushed live)")
    details: dict[str, str] = Field(description="producer-specific extra facts")

    @classmethod
    def from_alert(cls, a: Alert) -> AlertPublic:
        return cls(
            id=a.id,
            seq=a.seq,
            event_id=a.event_id,
            revision=a.revision,
            kind=a.kind,
            severity=a.severity,
            status=a.status,
            created_at=iso_utc(a.created_at_s),
            created_at_s=a.created_at_s,
            updated_at=iso_utc(a.updated_at_s),
            updated_at_s=a.updated_at_s,
            detected_at=iso_utc(a.detected_at_s),
            detected_at_s=a.detected_at_s,
            first_seen_s=a.first_seen_s,
            position=Position(lat=a.lat_deg, lon=a.lon_deg),
            position_error_m=a.position_error_m,
            heading_deg=a.heading_deg,
            speed_mps=a.speed_mps,
            people_count=a.people_count,
            confidence=a.confidence,
            source=a.source,
            track=[TrackPointPublic(t=p.timestamp_s, lat=p.lat_deg, lon=p.lon_deg) for p in a.track],
            snapshot_url=f"/alerts/{a.id}/snapshot.jpg" if a.has_snapshot else None,
            escalated=a.escalated,
            escalated_at=iso_utc(a.escalated_at_s) if a.escalated_at_s is not None else None,
            acknowledged_by=a.acknowledged_by,
            assigned_to=a.assigned_to,
            resolution=a.resolution,
            last_change=a.last_change,
            deliveries=[DeliveryPublic.from_delivery(d) for d in a.deliveries],
            replay_id=a.replay_id,
            details=dict(a.details),
        )


class AlertsPublic(_Model):
    """A page of alerts, newest observation first, and how many match in total."""

    data: list[AlertPublic]
    count: int = Field(description="number of alerts matching the filters (all pages)")


class AlertIn(_Model):
    """An alert from an external detector. Send the same ``event_id`` with a higher ``revision``
    to update it; re-sending the same revision is a no-op (safe to retry)."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {
                    "event_id": "thermal-cam-3:boat:118",
                    "kind": "boat_at_sea",
                    "severity": "warning",
                    "timestamp_s": 1795934479.3,
                    "position": {"lat": 50.9011, "lon": 1.6203},
                    "position_error_m": 40.0,
                    "confidence": 0.72,
                    "source": "thermal-cam-3",
                    "people_count": 25,
                    "heading_deg": 300.0,
                    "speed_mps": 2.5,
                }
            ]
        },
    )

    event_id: str = Field(min_length=1, max_length=128, description="stable id of the episode")
    kind: EventKind
    severity: Severity
    timestamp_s: float = Field(ge=0, le=1e11, description="time of the observation, epoch seconds (UTC)")
    position: Position
    position_error_m: float = Field(ge=0, le=100_000, description="1-sigma horizontal uncertainty, metres")
    confidence: float = Field(ge=0, le=1, description="detector confidence")
    source: str = Field(min_length=1, max_length=128, description="name of the producing sensor")
    people_count: int = Field(0, ge=0, le=10_000, description="people counted")
    heading_deg: float | None = Field(None, ge=0, le=360, description="course, degrees from north")
    speed_mps: float | None = Field(None, ge=0, le=200, description="speed over ground, m/s")
    revision: int = Field(0, ge=0, le=2**31, description="producer revision; higher replaces lower")
    first_seen_s: float | None = Field(None, ge=0, le=1e11, description="first sighting, epoch seconds")
    track: list[TrackPointPublic] = Field(
        default_factory=list, max_length=5000, description="positions over time"
    )
    snapshot_jpeg_b64: str | None = Field(
        None,
        max_length=2_100_000,
        description=f"JPEG snapshot, base64 (at most {MAX_SNAPSHOT_BYTES} bytes decoded)",
    )
    details: dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=512)]] = Field(
        default_factory=dict, max_length=32, description="extra facts to show with the alert"
    )

    @field_validator("snapshot_jpeg_b64")
    @classmethod
    def _check_jpeg(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            raw = base64.b64decode(v, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"snapshot_jpeg_b64 must be base64: {exc}") from None
        if len(raw) > MAX_SNAPSHOT_BYTES:
            raise ValueError(f"snapshot is {len(raw)} bytes; at most {MAX_SNAPSHOT_BYTES} allowed")
        if not raw.startswith(b"\xff\xd8\xff"):
            raise ValueError("snapshot_jpeg_b64 must decode to a JPEG (starts with FF D8 FF)")
        return v

    def to_event(self) -> Event:
        return Event(
            event_id=self.event_id,
            kind=self.kind,
            severity=self.severity,
            timestamp_s=self.timestamp_s,
            lat_deg=self.position.lat,
            lon_deg=self.position.lon,
            position_error_m=self.position_error_m,
            confidence=self.confidence,
            source=self.source,
            people_count=self.people_count,
            heading_deg=self.heading_deg,
            speed_mps=self.speed_mps,
            revision=self.revision,
            first_seen_s=self.first_seen_s if self.first_seen_s is not None else self.timestamp_s,
            track=tuple(TrackPoint(p.t, p.lat, p.lon) for p in self.track),
            snapshot_jpeg=base64.b64decode(self.snapshot_jpeg_b64) if self.snapshot_jpeg_b64 else None,
            details=tuple(sorted(self.details.items())),
        )


class AcknowledgeIn(_Model):
    note: str = Field("", max_length=500, description="free text for the journal")


class AssignIn(_Model):
    unit: str = Field(
        min_length=1, max_length=64, description="patrol unit taking the alert", examples=["patrol-wissant"]
    )
    note: str = Field("", max_length=500, description="free text for the journal")


class ResolveIn(_Model):
    reason: ResolutionReason = Field(description="how it ended")
    note: str = Field("", max_length=500, description="free text for the journal")


class JournalEntryPublic(_Model):
    seq: int
    at: datetime
    at_s: float
    actor: str = Field(description="user name, or 'system' / 'pipeline'")
    action: ChangeKind
    from_status: AlertStatus | None
    to_status: AlertStatus
    detail: str

    @classmethod
    def from_entry(cls, e: JournalEntry) -> JournalEntryPublic:
        return cls(
            seq=e.seq,
            at=iso_utc(e.at_s),
            at_s=e.at_s,
            actor=e.actor,
            action=e.action,
            from_status=e.from_status,
            to_status=e.to_status,
            detail=e.detail,
        )


class JournalPublic(_Model):
    """The append-only audit journal of one alert (read only: nothing edits it)."""

    data: list[JournalEntryPublic]
    count: int


class UserIn(_Model):
    name: str = Field(pattern=NAME_PATTERN, description="login name", examples=["patrol-wissant"])
    role: Role


class UserPublic(_Model):
    id: int
    name: str
    role: Role
    created_at: datetime

    @classmethod
    def from_user(cls, u: User) -> UserPublic:
        return cls(id=u.id, name=u.name, role=u.role, created_at=iso_utc(u.created_at_s))


class UserCreated(UserPublic):
    token: str = Field(description="bearer token; shown this once only (stored hashed)")


class UsersPublic(_Model):
    data: list[UserPublic]
    count: int


class WebhookIn(_Model):
    unit: str = Field(min_length=1, max_length=64, description="patrol unit", examples=["patrol-wissant"])
    url: AnyHttpUrl = Field(description="receiver URL (POST)", examples=["http://10.0.0.5:9000/alerts"])
    kinds: list[EventKind] = Field(
        default_factory=list,
        max_length=len(EventKind),
        description="only alerts of these kinds (empty: all); e.g. a rescue centre's lane: ['person_in_water']",
        examples=[["person_in_water"]],
    )


class WebhookPublic(_Model):
    id: int
    unit: str
    url: str
    created_at: datetime
    kinds: list[EventKind] = Field(description="the kinds it gets (empty: all)")

    @classmethod
    def from_webhook(cls, w: Webhook) -> WebhookPublic:
        return cls(id=w.id, unit=w.unit, url=w.url, created_at=iso_utc(w.created_at_s), kinds=list(w.kinds))


class WebhookCreated(WebhookPublic):
    secret: str = Field(
        description="HMAC-SHA256 key; shown this once. Each POST carries X-Shorewatch-Signature: "
        "sha256=hex(hmac(secret, X-Shorewatch-Timestamp + '.' + body))"
    )


class WebhooksPublic(_Model):
    data: list[WebhookPublic]
    count: int


class HealthPublic(_Model):
    status: Literal["ok"]
    version: str
    last_seq: int = Field(description="latest seq the store has written")
    push_clients: int = Field(description="connected WebSocket and SSE clients")


class ErrorPublic(_Model):
    detail: str | list[dict[str, object]] = Field(description="what was wrong and what was expected")


class PushMessage(_Model):
    """What /ws/alerts and /alerts/stream send. ``alert`` messages carry the alert's full state;
    ``hello`` and ``heartbeat`` carry the client's cursor: resume with ``?after=<seq>``."""

    type: Literal["hello", "alert", "heartbeat"]
    seq: int
    change: ChangeKind | None = None
    alert: AlertPublic | None = None
    server_time_s: float | None = None


class CoverageProps(_Model):
    index: int
    from_m: float = Field(description="start of the stretch, metres along the waterline")
    to_m: float
    last_seen_s: float | None = Field(description="when a processed frame last showed it (epoch s)")
    age_s: float | None = Field(description="seconds since then")
    source_id: str | None = Field(description="the camera that last showed it")
    gsd_m: float | None = Field(description="metres per pixel there, best sighting of the window")
    range_m: float | None = Field(description="ground distance from the camera, best sighting")
    person_px: float | None = Field(description="a person's size in pixels there (square root of box area)")
    boat_px: float | None = Field(description="a small boat's size in pixels there")
    p_person: float | None = Field(description="the detector's measured recall at that size (per frame)")
    p_boat: float | None
    gap: bool = Field(description="not seen within the window, or too coarsely to find a person")


class CoverageGeometry(_Model):
    type: Literal["LineString"]
    coordinates: list[list[float]] = Field(description="lon, lat pairs along the waterline")


class CoverageFeature(_Model):
    type: Literal["Feature"]
    geometry: CoverageGeometry
    properties: CoverageProps


class CoverageGapRun(_Model):
    from_m: float = Field(description="metres along the waterline")
    to_m: float
    length_m: float
    reason: Literal["unseen", "coarse", "mixed"] = Field(description="not seen, seen too coarsely, or both")


class CoverageSummary(_Model):
    site: str
    as_of_s: float
    window_s: float
    min_p_person: float
    segment_m: float
    waterline_m: float
    seen_m: float = Field(description="waterline seen within the window")
    gap_m: float = Field(description="waterline that is a gap")
    seen_pct: float
    gaps: int = Field(description="runs of adjacent gap stretches")
    gap_runs: list[CoverageGapRun] = Field(description="the longest runs of gaps (up to 20), longest first")
    frames_observed: int
    person_px_needed: float | None = Field(
        description="the smallest person, in pixels, the detector finds in min_p_person of frames"
    )
    recall_source: str | None = Field(description="where the detection probabilities were measured")


class CoveragePublic(_Model):
    type: Literal["FeatureCollection"]
    features: list[CoverageFeature]
    summary: CoverageSummary


class TideTurn(_Model):
    time_s: float = Field(description="epoch s")
    height_m: float
    kind: Literal["high", "low"]


class TideObserved(_Model):
    height_m: float
    at_s: float = Field(description="when it was reported (epoch s)")
    until_s: float = Field(description="when it stops being used (epoch s)")
    by: str = Field(description="who reported it")


class TideEdgeGeometry(_Model):
    type: Literal["LineString"]
    coordinates: list[list[float]] = Field(description="lon, lat pairs: the water's edge now")


class TidePublic(_Model):
    known: bool = Field(
        description="whether the tide height is known now (else the mapped waterline is the edge)"
    )
    height_m: float | None = Field(description="metres above the site's datum")
    source: Literal["observed", "table", "unknown"]
    datum: str | None
    waterline_height_m: float | None = Field(description="the height of the site's mapped waterline")
    low_water_height_m: float | None = Field(description="the low water the beaches' drying widths are for")
    mean_sea_level_m: float | None = Field(
        description="mean sea level above the datum (the site's, or half way between the two waters)"
    )
    sea_surface_m: float = Field(
        description="the sea's surface above mean sea level now, where detections are georeferenced "
        "(0 when the tide is unknown)"
    )
    drying_fraction: float = Field(description="share of each beach's drying width uncovered now (0-1.5)")
    max_shift_m: float = Field(
        description="the furthest the water's edge now lies seaward of the mapped waterline"
    )
    rising: bool | None = Field(description="from the tide table; null without one")
    next: list[TideTurn] = Field(description="the next high and low waters in the table")
    observed: TideObserved | None
    table: dict[str, Any] | None = Field(description="the loaded table: its file and the span it covers")
    water_edge: TideEdgeGeometry | None = Field(
        description="the water's edge now; null when it is the waterline"
    )
    problem: str | None = Field(
        description="why the configured tide table is not in use (unreadable), if it is not"
    )


class TideObservationIn(_Model):
    height_m: float = Field(
        ge=-5, le=20, description="metres above the site's datum, from a gauge or a tide table"
    )
    valid_for_min: float = Field(
        120, gt=0, le=720, description="how long to use it (a tide turns in about 6 hours: report again)"
    )
