"""Where alerts, their audit journal, users and webhooks live.

``Store`` is the seam: ``SqliteStore`` (one file, WAL) is the default; a PostgreSQL
implementation fills the same protocol for a multi-replica deployment. Every method is async so
that a network database fits; ``SqliteStore`` runs its statements in a worker thread.

Durability: each write method commits before it returns (``synchronous=FULL`` by default: the
WAL is fsynced at commit), so a caller that publishes after awaiting a write never announces an
alert that a crash (even SIGKILL or power loss) could take back.

Sequence numbers: every change to an alert appends one row to the ``journal`` table, whose
``AUTOINCREMENT`` key is the global, strictly increasing ``seq``; the alert row keeps the ``seq``
of its latest change. The journal is append-only (triggers refuse UPDATE and DELETE).

Tamper evidence (schema 2): each journal entry also gets a link in ``journal_chain``, the SHA-256
of the previous link and the entry's content, written in the same transaction. Triggers stop an
edit through SQLite; the chain catches one made around them (with the triggers dropped, or with
a hex editor): ``verify_journal`` recomputes every link and names the first entry that no longer
matches. Cutting entries off the end leaves a valid shorter chain, so keep the head hash
elsewhere (``GET /journal/verify`` reports it) to notice that.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TypeVar

from api.domain import (
    Alert,
    AlertQuery,
    AlertStatus,
    ChangeKind,
    Delivery,
    JournalEntry,
    JournalVerdict,
    ResolutionReason,
    Role,
    User,
    VerdictRow,
    Webhook,
    check_transition,
)
from api.errors import ConflictError, NotFoundError, StoreError
from shorewatch.types import Event, EventKind, Severity, TrackPoint

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Store(Protocol):
    """What the alert service needs from a database."""

    # alerts
    async def upsert_event(
        self, event: Event, *, replay_id: str | None, actor: str
    ) -> tuple[Alert, ChangeKind | None]:
        """Create the alert for ``event`` or, if one with the same ``(event_id, replay_id)``
        exists and ``event.revision`` is newer, update it. Returns the alert and what changed
        (``None``: a duplicate or stale revision, nothing written)."""
        ...

    async def transition(
        self,
        alert_id: int,
        target: AlertStatus,
        *,
        actor: str,
        assigned_to: str | None = None,
        resolution: ResolutionReason | None = None,
        detail: str = "",
    ) -> Alert: ...

    async def mark_escalated(self, alert_id: int, *, actor: str, now_s: float) -> Alert | None: ...

    async def due_for_escalation(self, created_before_s: float) -> list[Alert]: ...

    async def purge_snapshots(
        self, created_before_s: float, *, actor: str, now_s: float, detail: str
    ) -> list[Alert]:
        """Delete the snapshot of every alert created before ``created_before_s`` (journalled,
        a new seq each); returns those alerts as they are now."""
        ...

    async def get_alert(self, alert_id: int) -> Alert: ...

    async def resolved_since(
        self, resolution: ResolutionReason, updated_after_s: float, *, ids: Sequence[int] = ()
    ) -> list[Alert]:
        """Live alerts resolved with ``resolution`` and changed at or after ``updated_after_s``, or
        with one of ``ids`` (false alarms whose verdict was withdrawn left out)."""
        ...

    async def has_event(self, event_id: str) -> bool:
        """Whether a live alert for ``event_id`` exists."""
        ...

    async def verdict_rows(self, created_from_s: float, created_to_s: float) -> list[VerdictRow]:
        """Live alerts created in ``[created_from_s, created_to_s)``, each with when an operator
        (not the pipeline) first acted on it and whether its false-alarm verdict was withdrawn."""
        ...

    async def withdraw_false_alarm(self, alert_id: int, *, actor: str, detail: str = "") -> Alert:
        """Record (journalled) that the live alert ``alert_id``, resolved as a false alarm, no longer
        holds its repeats back. ``ConflictError`` unless it is one, or if already withdrawn."""
        ...

    async def list_alerts(self, query: AlertQuery) -> tuple[list[Alert], int]: ...

    async def changes_after(self, seq: int, *, limit: int = 1000) -> list[Alert]:
        """Live alerts whose latest change has ``seq`` greater than ``seq``, in seq order."""
        ...

    async def last_seq(self) -> int: ...

    async def get_snapshot(self, alert_id: int) -> bytes | None: ...

    async def journal(self, alert_id: int) -> list[JournalEntry]: ...

    async def verify_journal(self) -> JournalVerdict: ...

    async def add_delivery(self, delivery: Delivery) -> None: ...

    # users
    async def add_user(self, name: str, role: Role, token_hash: str) -> User: ...

    async def user_by_token_hash(self, token_hash: str) -> User | None: ...

    async def list_users(self) -> list[User]: ...

    async def remove_user(self, name: str) -> None: ...

    # webhooks
    async def add_webhook(
        self, unit: str, url: str, secret: str, kinds: Sequence[EventKind] = ()
    ) -> Webhook: ...

    async def list_webhooks(self) -> list[Webhook]: ...

    async def remove_webhook(self, webhook_id: int) -> None: ...

    async def close(self) -> None: ...


# Each entry moves the schema from version i to i+1; never edit one that has shipped.
MIGRATIONS: tuple[str, ...] = (
    # 1: alerts, snapshots, journal, deliveries, users, webhooks
    """
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        seq INTEGER NOT NULL,
        event_id TEXT NOT NULL,
        replay_key TEXT NOT NULL DEFAULT '',
        replay_id TEXT,
        revision INTEGER NOT NULL,
        kind TEXT NOT NULL,
        severity TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at_s REAL NOT NULL,
        updated_at_s REAL NOT NULL,
        detected_at_s REAL NOT NULL,
        first_seen_s REAL NOT NULL,
        lat_deg REAL NOT NULL,
        lon_deg REAL NOT NULL,
        position_error_m REAL NOT NULL,
        confidence REAL NOT NULL,
        source TEXT NOT NULL,
        people_count INTEGER NOT NULL DEFAULT 0,
        heading_deg REAL,
        speed_mps REAL,
        track TEXT NOT NULL DEFAULT '[]',
        details TEXT NOT NULL DEFAULT '[]',
        has_snapshot INTEGER NOT NULL DEFAULT 0,
        escalated INTEGER NOT NULL DEFAULT 0,
        escalated_at_s REAL,
        acknowledged_by TEXT,
        assigned_to TEXT,
        resolution TEXT,
        last_change TEXT NOT NULL
    );
    CREATE UNIQUE INDEX alerts_event ON alerts(event_id, replay_key);
    CREATE UNIQUE INDEX alerts_seq ON alerts(seq);
    CREATE INDEX alerts_live_time ON alerts(replay_key, detected_at_s);
    CREATE INDEX alerts_escalation ON alerts(status, escalated, created_at_s);
    CREATE TABLE snapshots (
        alert_id INTEGER PRIMARY KEY REFERENCES alerts(id),
        jpeg BLOB NOT NULL
    );
    CREATE TABLE journal (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        alert_id INTEGER NOT NULL REFERENCES alerts(id),
        at_s REAL NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        from_status TEXT,
        to_status TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX journal_alert ON journal(alert_id, seq);
    CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
        BEGIN SELECT RAISE(ABORT, 'the audit journal is append-only'); END;
    CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
        BEGIN SELECT RAISE(ABORT, 'the audit journal is append-only'); END;
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        alert_id INTEGER NOT NULL REFERENCES alerts(id),
        seq INTEGER NOT NULL,
        unit TEXT NOT NULL,
        url TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        ok INTEGER NOT NULL,
        status_code INTEGER,
        error TEXT,
        at_s REAL NOT NULL
    );
    CREATE INDEX deliveries_alert ON deliveries(alert_id, id);
    CREATE TABLE users (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at_s REAL NOT NULL
    );
    CREATE TABLE webhooks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        unit TEXT NOT NULL,
        url TEXT NOT NULL,
        secret TEXT NOT NULL,
        created_at_s REAL NOT NULL
    );
    """,
    # 2: the journal's hash chain (existing entries are linked when the store opens)
    """
    CREATE TABLE journal_chain (
        seq INTEGER PRIMARY KEY REFERENCES journal(seq),
        hash TEXT NOT NULL
    );
    CREATE TRIGGER journal_chain_no_update BEFORE UPDATE ON journal_chain
        BEGIN SELECT RAISE(ABORT, 'the audit journal is append-only'); END;
    CREATE TRIGGER journal_chain_no_delete BEFORE DELETE ON journal_chain
        BEGIN SELECT RAISE(ABORT, 'the audit journal is append-only'); END;
    """,
    # 3: false-alarm verdicts withdrawn (they no longer hold repeats back; api.dismissals)
    """
    CREATE TABLE withdrawn_false_alarms (
        alert_id INTEGER PRIMARY KEY REFERENCES alerts(id),
        at_s REAL NOT NULL,
        actor TEXT NOT NULL
    );
    """,
    # 4: a webhook may take only some kinds (comma-separated; empty: all)
    """
    ALTER TABLE webhooks ADD COLUMN kinds TEXT NOT NULL DEFAULT '';
    """,
)
GENESIS = "0" * 64  # the link before the first entry


def chain_link(prev_hash: str, row: Any) -> str:
    """The chain link of one journal row (``seq, alert_id, at_s, actor, action, from_status,
    to_status, detail``) after the link ``prev_hash``."""
    content = json.dumps(
        [
            row["seq"],
            row["alert_id"],
            float(row["at_s"]).hex(),
            row["actor"],
            row["action"],
            row["from_status"],
            row["to_status"],
            row["detail"],
        ],
        ensure_ascii=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


SCHEMA_VERSION = len(MIGRATIONS)

_ALERT_COLUMNS = (
    "id, seq, event_id, revision, kind, severity, status, created_at_s, updated_at_s, detected_at_s, "
    "first_seen_s, lat_deg, lon_deg, position_error_m, confidence, source, people_count, heading_deg, "
    "speed_mps, track, has_snapshot, escalated, escalated_at_s, acknowledged_by, assigned_to, resolution, "
    "replay_id, last_change, details"
)


def _track_json(track: Sequence[TrackPoint]) -> str:
    return json.dumps([[p.timestamp_s, p.lat_deg, p.lon_deg] for p in track])


def _row_to_alert(row: sqlite3.Row, deliveries: tuple[Delivery, ...] = ()) -> Alert:
    return Alert(
        id=row["id"],
        seq=row["seq"],
        event_id=row["event_id"],
        revision=row["revision"],
        kind=EventKind(row["kind"]),
        severity=Severity(row["severity"]),
        status=AlertStatus(row["status"]),
        created_at_s=row["created_at_s"],
        updated_at_s=row["updated_at_s"],
        detected_at_s=row["detected_at_s"],
        first_seen_s=row["first_seen_s"],
        lat_deg=row["lat_deg"],
        lon_deg=row["lon_deg"],
        position_error_m=row["position_error_m"],
        confidence=row["confidence"],
        source=row["source"],
        people_count=row["people_count"],
        heading_deg=row["heading_deg"],
        speed_mps=row["speed_mps"],
        track=tuple(TrackPoint(t, la, lo) for t, la, lo in json.loads(row["track"])),
        has_snapshot=bool(row["has_snapshot"]),
        escalated=bool(row["escalated"]),
        escalated_at_s=row["escalated_at_s"],
        acknowledged_by=row["acknowledged_by"],
        assigned_to=row["assigned_to"],
        resolution=ResolutionReason(row["resolution"]) if row["resolution"] else None,
        replay_id=row["replay_id"],
        last_change=ChangeKind(row["last_change"]),
        details=tuple((str(k), str(v)) for k, v in json.loads(row["details"])),
        deliveries=deliveries,
    )


class SqliteStore:
    """``Store`` on one SQLite file in WAL mode. Safe to share between threads and to open from
    several processes at once (the CLI adds users while the server runs)."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL") -> None:
        if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"synchronous must be OFF, NORMAL, FULL or EXTRA, got {synchronous!r}")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # The store's own thread, not asyncio's shared default executor: that one also resolves
        # webhook host names (httpx -> loop.getaddrinfo), and offline an unanswered DNS query
        # holds a thread 5 s; a few of them used to stall every API call and alert behind them.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shorewatch-store")
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10.0)
        self._conn.row_factory = sqlite3.Row
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
            self._conn.execute("PRAGMA foreign_keys=ON")
            # deleted rows (purged snapshots, removed users) are overwritten, not left in free pages
            self._conn.execute("PRAGMA secure_delete=ON")
            self._conn.execute("PRAGMA busy_timeout=10000")
            self._migrate()
            self._link_unchained()
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            self._executor.shutdown(wait=False)
            raise StoreError(f"cannot open the alert database {self.path}: {exc}") from exc

    # -- plumbing -----------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        with self._lock:
            version = self.schema_version
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} has schema version {version}, newer than this shorewatch "
                    f"({SCHEMA_VERSION}); upgrade shorewatch"
                )
            for i in range(version, SCHEMA_VERSION):
                logger.info("migrating %s to schema version %d", self.path, i + 1)
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    for stmt in _split_sql(MIGRATIONS[i]):
                        self._conn.execute(stmt)
                    self._conn.execute(f"PRAGMA user_version={i + 1}")
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise

    def _tx(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in one write transaction, committed before returning."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            return result

    def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            return fn(self._conn)

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    # -- alerts -------------------------------------------------------------------------------

    @staticmethod
    def _journal(
        c: sqlite3.Connection,
        alert_id: int,
        at_s: float,
        actor: str,
        action: ChangeKind,
        from_status: AlertStatus | None,
        to_status: AlertStatus,
        detail: str = "",
    ) -> int:
        entry = {
            "alert_id": alert_id,
            "at_s": at_s,
            "actor": actor,
            "action": action.value,
            "from_status": from_status.value if from_status else None,
            "to_status": to_status.value,
            "detail": detail,
        }
        cur = c.execute(
            "INSERT INTO journal(alert_id, at_s, actor, action, from_status, to_status, detail) "
            "VALUES (:alert_id, :at_s, :actor, :action, :from_status, :to_status, :detail)",
            entry,
        )
        assert cur.lastrowid is not None
        SqliteStore._link(c, cur.lastrowid, {**entry, "seq": cur.lastrowid})
        return cur.lastrowid

    @staticmethod
    def _link(c: sqlite3.Connection, seq: int, row: Any = None) -> None:
        """Chain journal entry ``seq`` (``row``: its columns when the caller has them in hand)."""
        prev = c.execute(
            "SELECT hash FROM journal_chain WHERE seq < ? ORDER BY seq DESC LIMIT 1", (seq,)
        ).fetchone()
        if row is None:
            row = c.execute("SELECT * FROM journal WHERE seq=?", (seq,)).fetchone()
        c.execute(
            "INSERT INTO journal_chain(seq, hash) VALUES (?, ?)",
            (seq, chain_link(prev["hash"] if prev else GENESIS, row)),
        )

    def _link_unchained(self) -> None:
        """Link journal entries written before the chain existed (schema 1), oldest first."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                rows = self._conn.execute(
                    "SELECT seq FROM journal WHERE seq > COALESCE((SELECT MAX(seq) FROM journal_chain), 0) "
                    "ORDER BY seq"
                ).fetchall()
                for r in rows:
                    self._link(self._conn, r["seq"])
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        if rows:
            logger.info("journal: linked %d earlier entries into the hash chain", len(rows))

    @staticmethod
    def _get(c: sqlite3.Connection, alert_id: int) -> Alert:
        row = c.execute(f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE id=?", (alert_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no alert with id {alert_id}")
        deliveries = SqliteStore._deliveries(c, [alert_id]).get(alert_id, ())
        return _row_to_alert(row, deliveries)

    @staticmethod
    def _deliveries(c: sqlite3.Connection, ids: Sequence[int]) -> dict[int, tuple[Delivery, ...]]:
        if not ids:
            return {}
        out: dict[int, list[Delivery]] = {}
        marks = ",".join("?" * len(ids))
        for r in c.execute(
            "SELECT alert_id, seq, unit, url, attempt, ok, status_code, error, at_s FROM deliveries "
            f"WHERE alert_id IN ({marks}) ORDER BY id",
            tuple(ids),
        ):
            out.setdefault(r["alert_id"], []).append(
                Delivery(
                    r["alert_id"],
                    r["seq"],
                    r["unit"],
                    r["url"],
                    r["attempt"],
                    bool(r["ok"]),
                    r["status_code"],
                    r["error"],
                    r["at_s"],
                )
            )
        return {k: tuple(v) for k, v in out.items()}

    def _upsert_sync(
        self, event: Event, replay_id: str | None, actor: str
    ) -> tuple[Alert, ChangeKind | None]:
        now = time.time()
        key = replay_id or ""

        def fn(c: sqlite3.Connection) -> tuple[Alert, ChangeKind | None]:
            row = c.execute(
                "SELECT id, revision, status FROM alerts WHERE event_id=? AND replay_key=?",
                (event.event_id, key),
            ).fetchone()
            content = (
                event.kind.value,
                event.severity.value,
                event.timestamp_s,
                event.first_seen_s or event.timestamp_s,
                event.lat_deg,
                event.lon_deg,
                event.position_error_m,
                event.confidence,
                event.source,
                event.people_count,
                event.heading_deg,
                event.speed_mps,
                _track_json(event.track),
                json.dumps([list(d) for d in event.details]),
            )
            if row is None:
                cur = c.execute(
                    "INSERT INTO alerts(seq, event_id, replay_key, replay_id, revision, status, created_at_s, "
                    "updated_at_s, last_change, kind, severity, detected_at_s, first_seen_s, lat_deg, lon_deg, "
                    "position_error_m, confidence, source, people_count, heading_deg, speed_mps, track, details, "
                    "has_snapshot) VALUES (0,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        event.event_id,
                        key,
                        replay_id,
                        event.revision,
                        AlertStatus.NEW.value,
                        now,
                        now,
                        ChangeKind.CREATED.value,
                        *content,
                        int(event.snapshot_jpeg is not None),
                    ),
                )
                alert_id = cur.lastrowid
                assert alert_id is not None
                seq = self._journal(
                    c,
                    alert_id,
                    now,
                    actor,
                    ChangeKind.CREATED,
                    None,
                    AlertStatus.NEW,
                    f"revision {event.revision}",
                )
                c.execute("UPDATE alerts SET seq=? WHERE id=?", (seq, alert_id))
                change: ChangeKind | None = ChangeKind.CREATED
            else:
                alert_id = row["id"]
                if event.revision <= row["revision"]:
                    return self._get(c, alert_id), None
                status = AlertStatus(row["status"])
                seq = self._journal(
                    c,
                    alert_id,
                    now,
                    actor,
                    ChangeKind.UPDATED,
                    status,
                    status,
                    f"revision {row['revision']} -> {event.revision}",
                )
                c.execute(
                    "UPDATE alerts SET seq=?, revision=?, updated_at_s=?, last_change=?, kind=?, severity=?, "
                    "detected_at_s=?, first_seen_s=?, lat_deg=?, lon_deg=?, position_error_m=?, confidence=?, "
                    "source=?, people_count=?, heading_deg=?, speed_mps=?, track=?, details=?, "
                    "has_snapshot = has_snapshot OR ? WHERE id=?",
                    (
                        seq,
                        event.revision,
                        now,
                        ChangeKind.UPDATED.value,
                        *content,
                        int(event.snapshot_jpeg is not None),
                        alert_id,
                    ),
                )
                change = ChangeKind.UPDATED
            if event.snapshot_jpeg is not None:
                c.execute(
                    "INSERT INTO snapshots(alert_id, jpeg) VALUES (?,?) "
                    "ON CONFLICT(alert_id) DO UPDATE SET jpeg=excluded.jpeg",
                    (alert_id, event.snapshot_jpeg),
                )
            return self._get(c, alert_id), change

        return self._tx(fn)

    async def upsert_event(
        self, event: Event, *, replay_id: str | None, actor: str
    ) -> tuple[Alert, ChangeKind | None]:
        return await self._run(lambda: self._upsert_sync(event, replay_id, actor))

    def _transition_sync(
        self,
        alert_id: int,
        target: AlertStatus,
        actor: str,
        assigned_to: str | None,
        resolution: ResolutionReason | None,
        detail: str,
    ) -> Alert:
        now = time.time()
        action = {
            AlertStatus.ACKNOWLEDGED: ChangeKind.ACKNOWLEDGED,
            AlertStatus.ASSIGNED: ChangeKind.ASSIGNED,
            AlertStatus.RESOLVED: ChangeKind.RESOLVED,
        }.get(target)
        if action is None:
            raise ValueError(f"cannot move an alert back to {target.value}")
        if target is AlertStatus.ASSIGNED and not assigned_to:
            raise ValueError("assigning an alert needs the unit it is assigned to")
        if target is AlertStatus.RESOLVED and resolution is None:
            raise ValueError("resolving an alert needs a reason")

        def fn(c: sqlite3.Connection) -> Alert:
            current = self._get(c, alert_id)
            check_transition(current.status, target)
            parts = [detail] if detail else []
            if assigned_to:
                parts.insert(0, f"assigned to {assigned_to}")
            if resolution:
                parts.insert(0, f"reason {resolution.value}")
            seq = self._journal(c, alert_id, now, actor, action, current.status, target, "; ".join(parts))
            sets = ["seq=?", "status=?", "updated_at_s=?", "last_change=?"]
            args: list[Any] = [seq, target.value, now, action.value]
            if target is AlertStatus.ACKNOWLEDGED:
                sets.append("acknowledged_by=?")
                args.append(actor)
            if assigned_to:
                sets.append("assigned_to=?")
                args.append(assigned_to)
            if resolution:
                sets.append("resolution=?")
                args.append(resolution.value)
            c.execute(f"UPDATE alerts SET {', '.join(sets)} WHERE id=?", (*args, alert_id))
            return self._get(c, alert_id)

        return self._tx(fn)

    async def transition(
        self,
        alert_id: int,
        target: AlertStatus,
        *,
        actor: str,
        assigned_to: str | None = None,
        resolution: ResolutionReason | None = None,
        detail: str = "",
    ) -> Alert:
        return await self._run(
            lambda: self._transition_sync(alert_id, target, actor, assigned_to, resolution, detail)
        )

    def _escalate_sync(self, alert_id: int, actor: str, now_s: float) -> Alert | None:
        def fn(c: sqlite3.Connection) -> Alert | None:
            row = c.execute("SELECT status, escalated FROM alerts WHERE id=?", (alert_id,)).fetchone()
            if row is None or row["escalated"] or row["status"] != AlertStatus.NEW.value:
                return None
            status = AlertStatus(row["status"])
            seq = self._journal(
                c,
                alert_id,
                now_s,
                actor,
                ChangeKind.ESCALATED,
                status,
                status,
                "unacknowledged past the escalation delay",
            )
            c.execute(
                "UPDATE alerts SET seq=?, escalated=1, escalated_at_s=?, updated_at_s=?, last_change=? WHERE id=?",
                (seq, now_s, now_s, ChangeKind.ESCALATED.value, alert_id),
            )
            return self._get(c, alert_id)

        return self._tx(fn)

    async def mark_escalated(self, alert_id: int, *, actor: str, now_s: float) -> Alert | None:
        return await self._run(lambda: self._escalate_sync(alert_id, actor, now_s))

    async def due_for_escalation(self, created_before_s: float) -> list[Alert]:
        def fn(c: sqlite3.Connection) -> list[Alert]:
            rows = c.execute(
                f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE status='new' AND escalated=0 AND replay_key='' "
                "AND created_at_s <= ? ORDER BY seq",
                (created_before_s,),
            ).fetchall()
            return [_row_to_alert(r) for r in rows]

        return await self._run(lambda: self._read(fn))

    async def purge_snapshots(
        self, created_before_s: float, *, actor: str, now_s: float, detail: str
    ) -> list[Alert]:
        def fn(c: sqlite3.Connection) -> list[Alert]:
            rows = c.execute(
                "SELECT id, status FROM alerts WHERE has_snapshot=1 AND created_at_s < ? ORDER BY id",
                (created_before_s,),
            ).fetchall()
            out = []
            for r in rows:
                status = AlertStatus(r["status"])
                seq = self._journal(
                    c, r["id"], now_s, actor, ChangeKind.SNAPSHOT_PURGED, status, status, detail
                )
                c.execute("DELETE FROM snapshots WHERE alert_id=?", (r["id"],))
                c.execute(
                    "UPDATE alerts SET seq=?, has_snapshot=0, updated_at_s=?, last_change=? WHERE id=?",
                    (seq, now_s, ChangeKind.SNAPSHOT_PURGED.value, r["id"]),
                )
                out.append(self._get(c, r["id"]))
            return out

        purged = await self._run(lambda: self._tx(fn))
        if purged:  # the deleted pictures' pages leave the write-ahead log too
            await self._run(
                lambda: self._read(lambda c: c.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall())
            )
        return purged

    async def get_alert(self, alert_id: int) -> Alert:
        return await self._run(lambda: self._read(lambda c: self._get(c, alert_id)))

    async def resolved_since(
        self, resolution: ResolutionReason, updated_after_s: float, *, ids: Sequence[int] = ()
    ) -> list[Alert]:
        def fn(c: sqlite3.Connection) -> list[Alert]:
            rows = c.execute(
                f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE replay_key='' AND status=? AND resolution=? "
                f"AND (updated_at_s >= ? OR id IN ({','.join('?' * len(ids))})) "
                "AND id NOT IN (SELECT alert_id FROM withdrawn_false_alarms) ORDER BY id",
                (AlertStatus.RESOLVED.value, resolution.value, updated_after_s, *ids),
            ).fetchall()
            return [_row_to_alert(r) for r in rows]

        return await self._run(lambda: self._read(fn))

    async def has_event(self, event_id: str) -> bool:
        def fn(c: sqlite3.Connection) -> bool:
            row = c.execute("SELECT 1 FROM alerts WHERE event_id=? AND replay_key=''", (event_id,)).fetchone()
            return row is not None

        return await self._run(lambda: self._read(fn))

    async def verdict_rows(self, created_from_s: float, created_to_s: float) -> list[VerdictRow]:
        acted = (ChangeKind.ACKNOWLEDGED.value, ChangeKind.ASSIGNED.value, ChangeKind.RESOLVED.value)

        def fn(c: sqlite3.Connection) -> list[VerdictRow]:
            rows = c.execute(
                f"SELECT {_ALERT_COLUMNS}, "
                "(SELECT MIN(at_s) FROM journal j WHERE j.alert_id = alerts.id AND j.actor != 'pipeline' "
                "AND j.action IN (?,?,?)) AS first_response_s, "
                "id IN (SELECT alert_id FROM withdrawn_false_alarms) AS withdrawn "
                "FROM alerts WHERE replay_key='' AND created_at_s >= ? AND created_at_s < ? ORDER BY id",
                (*acted, created_from_s, created_to_s),
            ).fetchall()
            return [VerdictRow(_row_to_alert(r), r["first_response_s"], bool(r["withdrawn"])) for r in rows]

        return await self._run(lambda: self._read(fn))

    async def withdraw_false_alarm(self, alert_id: int, *, actor: str, detail: str = "") -> Alert:
        def fn(c: sqlite3.Connection) -> Alert:
            a = self._get(c, alert_id)
            if a.replay_id is not None or a.resolution is not ResolutionReason.FALSE_ALARM:
                state = a.status.value + (f" ({a.resolution.value})" if a.resolution else "")
                raise ConflictError(
                    f"alert {alert_id} is {state}{' in a replay' if a.replay_id else ''}: only a live "
                    "alert resolved as false_alarm holds repeats back"
                )
            now = time.time()
            try:
                c.execute(
                    "INSERT INTO withdrawn_false_alarms(alert_id, at_s, actor) VALUES (?,?,?)",
                    (alert_id, now, actor),
                )
            except sqlite3.IntegrityError:
                raise ConflictError(f"the false alarm of alert {alert_id} was already withdrawn") from None
            action = ChangeKind.FALSE_ALARM_WITHDRAWN
            seq = self._journal(c, alert_id, now, actor, action, a.status, a.status, detail)
            c.execute(
                "UPDATE alerts SET seq=?, updated_at_s=?, last_change=? WHERE id=?",
                (seq, now, action.value, alert_id),
            )
            return self._get(c, alert_id)

        return await self._run(lambda: self._tx(fn))

    async def list_alerts(self, query: AlertQuery) -> tuple[list[Alert], int]:
        where = ["replay_key = ?"]
        args: list[Any] = [query.replay_id or ""]
        if query.since_s is not None:
            where.append("detected_at_s >= ?")
            args.append(query.since_s)
        if query.until_s is not None:
            where.append("detected_at_s <= ?")
            args.append(query.until_s)
        if query.kinds:
            where.append(f"kind IN ({','.join('?' * len(query.kinds))})")
            args.extend(k.value for k in query.kinds)
        if query.statuses:
            where.append(f"status IN ({','.join('?' * len(query.statuses))})")
            args.extend(s.value for s in query.statuses)
        if query.source is not None:
            where.append("source = ?")
            args.append(query.source)
        if query.bbox is not None:
            min_lat, min_lon, max_lat, max_lon = query.bbox
            where.append("lat_deg BETWEEN ? AND ? AND lon_deg BETWEEN ? AND ?")
            args.extend((min_lat, max_lat, min_lon, max_lon))
        clause = " AND ".join(where)

        def fn(c: sqlite3.Connection) -> tuple[list[Alert], int]:
            count = c.execute(f"SELECT COUNT(*) FROM alerts WHERE {clause}", args).fetchone()[0]
            rows = c.execute(
                f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE {clause} ORDER BY detected_at_s DESC, id DESC "
                "LIMIT ? OFFSET ?",
                (*args, query.limit, query.offset),
            ).fetchall()
            deliveries = self._deliveries(c, [r["id"] for r in rows])
            return [_row_to_alert(r, deliveries.get(r["id"], ())) for r in rows], int(count)

        return await self._run(lambda: self._read(fn))

    async def changes_after(self, seq: int, *, limit: int = 1000) -> list[Alert]:
        def fn(c: sqlite3.Connection) -> list[Alert]:
            rows = c.execute(
                f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE seq > ? AND replay_key='' ORDER BY seq LIMIT ?",
                (seq, limit),
            ).fetchall()
            deliveries = self._deliveries(c, [r["id"] for r in rows])
            return [_row_to_alert(r, deliveries.get(r["id"], ())) for r in rows]

        return await self._run(lambda: self._read(fn))

    async def last_seq(self) -> int:
        return await self._run(
            lambda: self._read(
                lambda c: int(c.execute("SELECT COALESCE(MAX(seq), 0) FROM journal").fetchone()[0])
            )
        )

    async def get_snapshot(self, alert_id: int) -> bytes | None:
        def fn(c: sqlite3.Connection) -> bytes | None:
            self._get(c, alert_id)
            row = c.execute("SELECT jpeg FROM snapshots WHERE alert_id=?", (alert_id,)).fetchone()
            return bytes(row["jpeg"]) if row else None

        return await self._run(lambda: self._read(fn))

    async def journal(self, alert_id: int) -> list[JournalEntry]:
        def fn(c: sqlite3.Connection) -> list[JournalEntry]:
            self._get(c, alert_id)
            return [
                JournalEntry(
                    r["seq"],
                    r["alert_id"],
                    r["at_s"],
                    r["actor"],
                    ChangeKind(r["action"]),
                    AlertStatus(r["from_status"]) if r["from_status"] else None,
                    AlertStatus(r["to_status"]),
                    r["detail"],
                )
                for r in c.execute("SELECT * FROM journal WHERE alert_id=? ORDER BY seq", (alert_id,))
            ]

        return await self._run(lambda: self._read(fn))

    async def verify_journal(self) -> JournalVerdict:
        return await self._run(lambda: self._read(verify_chain))

    async def add_delivery(self, delivery: Delivery) -> None:
        d = delivery
        await self._run(
            lambda: self._tx(
                lambda c: c.execute(
                    "INSERT INTO deliveries(alert_id, seq, unit, url, attempt, ok, status_code, error, at_s) "
                    "VALUES (?,?,?,?,?,?,?,?,?)",
                    (d.alert_id, d.seq, d.unit, d.url, d.attempt, int(d.ok), d.status_code, d.error, d.at_s),
                )
            )
        )

    # -- users --------------------------------------------------------------------------------

    async def add_user(self, name: str, role: Role, token_hash: str) -> User:
        now = time.time()

        def fn(c: sqlite3.Connection) -> User:
            try:
                cur = c.execute(
                    "INSERT INTO users(name, role, token_hash, created_at_s) VALUES (?,?,?,?)",
                    (name, role.value, token_hash, now),
                )
            except sqlite3.IntegrityError as exc:
                raise ConflictError(f"a user named {name!r} already exists") from exc
            assert cur.lastrowid is not None
            return User(cur.lastrowid, name, role, now)

        return await self._run(lambda: self._tx(fn))

    async def user_by_token_hash(self, token_hash: str) -> User | None:
        def fn(c: sqlite3.Connection) -> User | None:
            r = c.execute("SELECT * FROM users WHERE token_hash=?", (token_hash,)).fetchone()
            return User(r["id"], r["name"], Role(r["role"]), r["created_at_s"]) if r else None

        return await self._run(lambda: self._read(fn))

    async def list_users(self) -> list[User]:
        def fn(c: sqlite3.Connection) -> list[User]:
            return [
                User(r["id"], r["name"], Role(r["role"]), r["created_at_s"])
                for r in c.execute("SELECT * FROM users ORDER BY name")
            ]

        return await self._run(lambda: self._read(fn))

    async def remove_user(self, name: str) -> None:
        def fn(c: sqlite3.Connection) -> None:
            if c.execute("DELETE FROM users WHERE name=?", (name,)).rowcount == 0:
                raise NotFoundError(f"no user named {name!r}")

        await self._run(lambda: self._tx(fn))

    # -- webhooks -----------------------------------------------------------------------------

    async def add_webhook(self, unit: str, url: str, secret: str, kinds: Sequence[EventKind] = ()) -> Webhook:
        now = time.time()
        wanted = tuple(dict.fromkeys(kinds))

        def fn(c: sqlite3.Connection) -> Webhook:
            cur = c.execute(
                "INSERT INTO webhooks(unit, url, secret, created_at_s, kinds) VALUES (?,?,?,?,?)",
                (unit, url, secret, now, ",".join(k.value for k in wanted)),
            )
            assert cur.lastrowid is not None
            return Webhook(cur.lastrowid, unit, url, secret, now, wanted)

        return await self._run(lambda: self._tx(fn))

    async def list_webhooks(self) -> list[Webhook]:
        def fn(c: sqlite3.Connection) -> list[Webhook]:
            return [
                Webhook(
                    r["id"],
                    r["unit"],
                    r["url"],
                    r["secret"],
                    r["created_at_s"],
                    tuple(EventKind(k) for k in r["kinds"].split(",") if k),
                )
                for r in c.execute("SELECT * FROM webhooks ORDER BY id")
            ]

        return await self._run(lambda: self._read(fn))

    async def remove_webhook(self, webhook_id: int) -> None:
        def fn(c: sqlite3.Connection) -> None:
            if c.execute("DELETE FROM webhooks WHERE id=?", (webhook_id,)).rowcount == 0:
                raise NotFoundError(f"no webhook with id {webhook_id}")

        await self._run(lambda: self._tx(fn))

    async def close(self) -> None:
        self._executor.shutdown(wait=True)
        with self._lock:
            self._conn.close()


def verify_chain(c: sqlite3.Connection) -> JournalVerdict:
    """Recompute every link of the journal's hash chain on an open connection (read only)."""
    rows = c.execute(
        "SELECT j.*, ch.hash AS link FROM journal j LEFT JOIN journal_chain ch ON ch.seq = j.seq "
        "ORDER BY j.seq"
    ).fetchall()
    orphans = [
        r["seq"]
        for r in c.execute(
            "SELECT seq FROM journal_chain WHERE seq NOT IN (SELECT seq FROM journal) ORDER BY seq"
        )
    ]
    prev, bad, problem = GENESIS, None, ""
    for r in rows:
        if orphans and orphans[0] < r["seq"]:
            bad, problem = orphans[0], "this entry was deleted (its link remains)"
            break
        if r["link"] is None:
            bad, problem = r["seq"], "this entry has no link in the chain"
            break
        if chain_link(prev, r) != r["link"]:
            bad, problem = (
                r["seq"],
                "this entry does not match its link: it, or an entry before it, was changed or removed",
            )
            break
        prev = r["link"]
    if bad is None and orphans:
        bad, problem = orphans[0], "this entry was deleted (its link remains)"
    head = rows[-1] if rows else None
    return JournalVerdict(
        len(rows),
        bad is None,
        bad,
        problem,
        int(head["seq"]) if head else 0,
        str(head["link"] or "") if head else GENESIS,
    )


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements (``sqlite3.complete_statement`` keeps triggers whole)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
