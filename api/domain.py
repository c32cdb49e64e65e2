"""Internal value types of the alert service (the wire schemas are in ``api.schemas``).

The alert lifecycle is an explicit state machine::

    new ──► acknowledged ──► assigned ──► resolved (stopped | false_alarm | handed_to_rescue)
     │            │             │ ▲
     │            │             └─┘ (re-assign to another unit)
     └────────────┴─────────────────► resolved

``escalated`` is a flag, not a state: an alert still ``new`` after ``escalate_after_s`` is
re-notified and flagged.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from api.errors import InvalidTransition
from shorewatch.types import EventKind, Severity, TrackPoint


class AlertStatus(enum.StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"


class ResolutionReason(enum.StrEnum):
    STOPPED = "stopped"
    FALSE_ALARM = "false_alarm"
    HANDED_TO_RESCUE = "handed_to_rescue"


TRANSITIONS: dict[AlertStatus, frozenset[AlertStatus]] = {
    AlertStatus.NEW: frozenset({AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED}),
    AlertStatus.ACKNOWLEDGED: frozenset({AlertStatus.ASSIGNED, AlertStatus.RESOLVED}),
    AlertStatus.ASSIGNED: frozenset({AlertStatus.ASSIGNED, AlertStatus.RESOLVED}),
    AlertStatus.RESOLVED: frozenset(),
}


def check_transition(current: AlertStatus, target: AlertStatus) -> None:
    """Raise ``InvalidTransition`` unless ``current -> target`` is an edge of the lifecycle."""
    if target not in TRANSITIONS[current]:
        allowed_from = tuple(s.value for s, nxt in TRANSITIONS.items() if target in nxt)
        raise InvalidTransition(current.value, target.value, allowed_from)


class Role(enum.StrEnum):
    PILOT = "pilot"
    PATROL = "patrol"
    TRAINER = "trainer"
    ADMIN = "admin"
    DETECTOR = "detector"


class ChangeKind(enum.StrEnum):
    """What happened to an alert; carried by each push message and journal entry."""

    CREATED = "created"
    UPDATED = "updated"  # a new revision of the same event
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"
    ESCALATED = "escalated"
    SNAPSHOT_PURGED = "snapshot_purged"  # its picture deleted after the retention period
    FALSE_ALARM_WITHDRAWN = "false_alarm_withdrawn"  # its false-alarm verdict no longer holds repeats back


@dataclass(frozen=True, slots=True)
class Delivery:
    """One webhook delivery attempt (a receipt)."""

    alert_id: int
    seq: int
    unit: str
    url: str
    attempt: int
    ok: bool
    status_code: int | None
    error: str | None
    at_s: float


@dataclass(frozen=True, slots=True)
class Alert:
    """An ``Event`` as stored: identity, lifecycle and the latest revision of its content."""

    id: int
    seq: int
    event_id: str
    revision: int
    kind: EventKind
    severity: Severity
    status: AlertStatus
    created_at_s: float
    updated_at_s: float
    detected_at_s: float
    first_seen_s: float
    lat_deg: float
    lon_deg: float
    position_error_m: float
    confidence: float
    source: str
    people_count: int = 0
    heading_deg: float | None = None
    speed_mps: float | None = None
    track: tuple[TrackPoint, ...] = ()
    has_snapshot: bool = False
    escalated: bool = False
    escalated_at_s: float | None = None
    acknowledged_by: str | None = None
    assigned_to: str | None = None
    resolution: ResolutionReason | None = None
    replay_id: str | None = None
    last_change: ChangeKind = ChangeKind.CREATED
    details: tuple[tuple[str, str], ...] = ()
    deliveries: tuple[Delivery, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One line of the append-only audit journal: who did what to which alert, when."""

    seq: int
    alert_id: int
    at_s: float
    actor: str
    action: ChangeKind
    from_status: AlertStatus | None
    to_status: AlertStatus
    detail: str = ""


@dataclass(frozen=True, slots=True)
class JournalVerdict:
    """What re-checking the journal's hash chain found."""

    entries: int
    ok: bool
    first_bad_seq: int | None = None
    problem: str = ""
    head_seq: int = 0
    head_hash: str = ""


@dataclass(frozen=True, slots=True)
class AlertQuery:
    """Filters for listing alerts; ``None`` means "any". Live alerts unless ``replay_id`` is set."""

    since_s: float | None = None
    until_s: float | None = None
    kinds: tuple[EventKind, ...] = ()
    statuses: tuple[AlertStatus, ...] = ()
    source: str | None = None
    bbox: tuple[float, float, float, float] | None = None  # min_lat, min_lon, max_lat, max_lon
    replay_id: str | None = None
    offset: int = 0
    limit: int = 100


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    role: Role
    created_at_s: float


@dataclass(frozen=True, slots=True)
class Webhook:
    """Where one patrol unit wants alerts POSTed; ``secret`` signs each body (HMAC-SHA256).
    ``kinds``: only alerts of these kinds (empty: all), e.g. a rescue centre's safety-of-life lane."""

    id: int
    unit: str
    url: str
    secret: str = field(repr=False)
    created_at_s: float = 0.0
    kinds: tuple[EventKind, ...] = ()

    def wants(self, alert: Alert) -> bool:
        return not self.kinds or alert.kind in self.kinds


@dataclass(frozen=True, slots=True)
class VerdictRow:
    """One live alert for the verdict report (``api.reports``): when an operator first acted on
    it (acknowledged, assigned or resolved; epoch s, None: nobody yet) and whether its
    false-alarm verdict was withdrawn."""

    alert: Alert
    first_response_s: float | None
    withdrawn: bool = False
