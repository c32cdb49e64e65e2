"""The alert service: events in, alerts stored, then announced (push, webhooks, CoT).

Order of operations for every change: write to the store (committed) -> publish on the bus ->
hand to the notifiers. One lock serializes changes, so messages leave in ``seq`` order.
Alerts of a replay (``replay_id`` set) are stored but never announced.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from typing import Literal, Protocol

from api.bus import Bus, BusClosed, BusMessage, SubscriberOverflow
from api.dismissals import Dismissal, Dismissals, held_ref, released_id
from api.domain import Alert, AlertStatus, ChangeKind, ResolutionReason
from api.metrics import Metrics
from api.schemas import AlertPublic, PushMessage
from api.store import Store
from shorewatch.types import Event

logger = logging.getLogger(__name__)

ALERTS_TOPIC = "alerts"


class Notifier(Protocol):
    """Something told about each live alert change. ``notify`` must not block (queue the work)."""

    def notify(self, alert: Alert, change: ChangeKind, message_json: str) -> None: ...


def _control(kind: Literal["hello", "heartbeat"], seq: int) -> str:
    return PushMessage(type=kind, seq=seq, server_time_s=time.time()).model_dump_json(exclude_none=True)


def push_message_json(alert: Alert, change: ChangeKind) -> str:
    return PushMessage(
        type="alert", seq=alert.seq, change=change, alert=AlertPublic.from_alert(alert)
    ).model_dump_json()


class AlertService:
    def __init__(
        self,
        store: Store,
        bus: Bus,
        *,
        escalate_after_s: float,
        metrics: Metrics | None = None,
        notifiers: Sequence[Notifier] = (),
        clock: Callable[[], float] = time.time,
        dismissals: Dismissals | None = None,
    ) -> None:
        self.store = store
        self.bus = bus
        self.escalate_after_s = escalate_after_s
        self.metrics = metrics or Metrics()
        self.notifiers = list(notifiers)
        self.clock = clock
        self.dismissals = dismissals
        self._dismissals_restored = False
        self._lock = asyncio.Lock()

    # -- producers ----------------------------------------------------------------------------

    async def ingest(self, event: Event, *, replay_id: str | None = None, actor: str = "pipeline") -> Alert:
        """Store ``event`` (a new alert, or a new revision of the one with its ``event_id``), then
        push it unless it belongs to a replay. Returns the alert as stored."""
        alert, _ = await self.ingest_change(event, replay_id=replay_id, actor=actor)
        return alert

    async def ingest_change(
        self, event: Event, *, replay_id: str | None = None, actor: str = "pipeline"
    ) -> tuple[Alert, ChangeKind | None]:
        """``ingest``, also saying what changed (``None``: duplicate or stale revision). A live
        event that repeats a recent false alarm is held (``api.dismissals``): stored, then
        resolved as a false alarm by the pipeline, and pushed only as such."""
        t0 = time.perf_counter()
        held = False
        async with self._lock:
            hold: Dismissal | None = None
            if self.dismissals is not None and replay_id is None and self.dismissals.config.enabled:
                await self._restore_dismissals()
                routing = self.dismissals.route(event, self.clock())
                if routing.first_hold and await self.store.has_event(event.event_id):
                    # an alert announced before wandering near a dismissed place is never held
                    self.dismissals.passed(event.event_id, self.clock())
                else:
                    event, hold = routing.event, routing.hold
            alert, change = await self.store.upsert_event(event, replay_id=replay_id, actor=actor)
            if hold is not None and self.dismissals is not None:
                held = True
                if change is ChangeKind.CREATED:
                    alert = await self.store.transition(
                        alert.id,
                        AlertStatus.RESOLVED,
                        actor="pipeline",
                        resolution=ResolutionReason.FALSE_ALARM,
                        detail=f"held: repeats false alarm #{hold.alert_id} "
                        f"({routing.distance_m:.0f} m from it, within {self.dismissals.radius_m(hold, event):.0f} m)",
                    )
                    self.dismissals.held_as(event.event_id, alert.id, hold)
                    logger.info(
                        "alert %d (%s) held: repeats false alarm #%d", alert.id, event.kind, hold.alert_id
                    )
            if change is not None and replay_id is None:
                # a held alert reaches the live feed (resolved, quiet) but not the patrols' channels
                self._announce(alert, alert.last_change if held else change, notify=not held)
        outcome = (
            "held" if held and change is not None else change.value if change is not None else "duplicate"
        )
        self.metrics.alerts_ingested.labels(outcome, event.kind.value).inc()
        if change is ChangeKind.CREATED and replay_id is None:
            age = time.time() - event.timestamp_s
            if 0 <= age <= 3600:  # frame time on the wall clock (a clip's own clock is not)
                self.metrics.alert_age_seconds.labels(event.kind.value).observe(age)
        self.metrics.ingest_seconds.observe(time.perf_counter() - t0)
        return alert, change

    # AlertSink protocol (shorewatch.protocols): the pipeline may hand events this way
    async def publish(self, event: Event) -> Alert:
        return await self.ingest(event)

    # -- lifecycle ----------------------------------------------------------------------------

    async def _transition(
        self,
        alert_id: int,
        target: AlertStatus,
        *,
        actor: str,
        assigned_to: str | None = None,
        resolution: ResolutionReason | None = None,
        note: str = "",
    ) -> Alert:
        async with self._lock:
            alert = await self.store.transition(
                alert_id, target, actor=actor, assigned_to=assigned_to, resolution=resolution, detail=note
            )
            if alert.replay_id is None:
                self._announce(alert, alert.last_change)
        self.metrics.alert_transitions.labels(target.value).inc()
        return alert

    async def acknowledge(self, alert_id: int, *, actor: str, note: str = "") -> Alert:
        return await self._transition(alert_id, AlertStatus.ACKNOWLEDGED, actor=actor, note=note)

    async def assign(self, alert_id: int, unit: str, *, actor: str, note: str = "") -> Alert:
        return await self._transition(
            alert_id, AlertStatus.ASSIGNED, actor=actor, assigned_to=unit, note=note
        )

    async def resolve(self, alert_id: int, reason: ResolutionReason, *, actor: str, note: str = "") -> Alert:
        """Resolve with a reason; a live alert resolved as ``false_alarm`` holds back repeats of
        itself at its place for a while (``api.dismissals``)."""
        alert = await self._transition(
            alert_id, AlertStatus.RESOLVED, actor=actor, resolution=reason, note=note
        )
        if reason is ResolutionReason.FALSE_ALARM and alert.replay_id is None and self.dismissals is not None:
            async with self._lock:
                await self._restore_dismissals()
                self.dismissals.dismiss(Dismissal.of(alert, self.clock()))
        return alert

    async def withdraw_false_alarm(self, alert_id: int, *, actor: str, note: str = "") -> Alert:
        """The false-alarm verdict of ``alert_id`` no longer holds repeats back (journalled);
        the alerts held as its repeats are released at their next revision."""
        async with self._lock:
            alert = await self.store.withdraw_false_alarm(alert_id, actor=actor, detail=note)
            if self.dismissals is not None:
                await self._restore_dismissals()
                self.dismissals.withdraw(alert_id)
            self._announce(alert, alert.last_change, notify=False)
        logger.info("false alarm #%d withdrawn by %s", alert_id, actor)
        return alert

    async def false_alarms(self) -> list[tuple[Dismissal, float]]:
        """The false alarms holding repeats back now, each with when it stops (epoch s)."""
        if self.dismissals is None or not self.dismissals.config.enabled:
            return []
        async with self._lock:
            await self._restore_dismissals()
            keep_s = self.dismissals.config.memory_h * 3600.0
            now = self.clock()
            return [
                (d, d.last_seen_s + keep_s) for d in self.dismissals.spots if d.last_seen_s + keep_s >= now
            ]

    async def _restore_dismissals(self) -> None:
        """Once, under the lock: the false alarms still remembered, from the store (a restart
        keeps holding repeats back)."""
        if self._dismissals_restored or self.dismissals is None:
            return
        self._dismissals_restored = True
        since = self.clock() - self.dismissals.config.memory_h * 3600.0
        alerts = await self.store.resolved_since(ResolutionReason.FALSE_ALARM, since)
        # dismissals older than the memory that a recent held repeat still refreshes
        older = sorted({r for a in alerts if (r := held_ref(a)) is not None} - {a.id for a in alerts})
        if older:
            alerts += await self.store.resolved_since(ResolutionReason.FALSE_ALARM, math.inf, ids=older)
        self.dismissals.restore(alerts)
        for event_id in self.dismissals.held_event_ids:  # released before the restart
            if await self.store.has_event(released_id(event_id)):
                self.dismissals.was_released(event_id, self.clock())
        if self.dismissals.spots:
            logger.info("%d false alarms hold back their repeats", len(self.dismissals.spots))

    # -- escalation ---------------------------------------------------------------------------

    async def escalate_due(self) -> list[Alert]:
        """Flag and re-announce every live alert still ``new`` ``escalate_after_s`` after creation."""
        now = self.clock()
        escalated = []
        for candidate in await self.store.due_for_escalation(now - self.escalate_after_s):
            async with self._lock:
                alert = await self.store.mark_escalated(candidate.id, actor="system", now_s=now)
                if alert is None:  # acknowledged or escalated meanwhile
                    continue
                self._announce(alert, ChangeKind.ESCALATED)
            logger.warning(
                "alert %d (%s) unacknowledged for %.0f s: escalated",
                alert.id,
                alert.kind,
                now - alert.created_at_s,
            )
            self.metrics.alerts_escalated.inc()
            escalated.append(alert)
        return escalated

    async def purge_snapshots(self, retention_s: float) -> list[Alert]:
        """Delete the snapshots (pictures of people) of alerts older than ``retention_s``; each
        purge is journalled and pushed as a change (``snapshot_purged``) so clients drop the
        picture too. The alert itself (kind, time, position, lifecycle) is kept."""
        now = self.clock()
        days = retention_s / 86_400
        async with self._lock:
            purged = await self.store.purge_snapshots(
                now - retention_s,
                actor="retention",
                now_s=now,
                detail=f"snapshot deleted {days:g} days after the alert (SHOREWATCH_SNAPSHOT_RETENTION_DAYS)",
            )
            for a in purged:
                if a.replay_id is None:  # replay alerts never reach the live feed
                    self.bus.publish(
                        BusMessage(a.seq, ALERTS_TOPIC, push_message_json(a, ChangeKind.SNAPSHOT_PURGED))
                    )
        if purged:
            logger.info("retention: deleted the snapshots of %d alerts older than %g days", len(purged), days)
        return purged

    async def run_retention(self, retention_s: float, interval_s: float = 3600.0) -> None:
        """Purge old snapshots now and every ``interval_s`` (cancel to stop)."""
        while True:
            try:
                await self.purge_snapshots(retention_s)
            except asyncio.CancelledError:
                raise
            except Exception:  # try again next round
                logger.exception("retention round failed")
            await asyncio.sleep(interval_s)

    async def run_escalation(self, interval_s: float | None = None) -> None:
        """Check for escalations forever (cancel to stop)."""
        interval = interval_s if interval_s is not None else min(5.0, max(0.05, self.escalate_after_s / 10))
        while True:
            try:
                await self.escalate_due()
            except asyncio.CancelledError:
                raise
            except Exception:  # keep escalating even if one round fails
                logger.exception("escalation round failed")
            await asyncio.sleep(interval)

    # -- push feed ----------------------------------------------------------------------------

    async def feed(
        self, after: int | None, *, queue_size: int = 256, heartbeat_s: float = 15.0
    ) -> AsyncGenerator[tuple[int, str, str], None]:
        """The messages one push client receives, as ``(seq, type, json)``: a ``hello`` carrying the
        cursor, then (with ``after``) every live alert changed since ``after`` in seq order, each
        once in its latest state, then live changes, with a ``heartbeat`` after ``heartbeat_s`` of
        silence. If the client falls ``queue_size`` messages behind, it catches up from the store
        (it skips intermediate states but never misses an alert, and never holds up the others).
        The feed ends when the bus is closed (the service is stopping). Close the generator
        (``aclose``) when the client leaves."""
        async with self._lock:  # no change is between commit and publish while we look
            sub = self.bus.subscribe(ALERTS_TOPIC, maxsize=queue_size)
            head = await self.store.last_seq()
        cursor = head if after is None else min(after, head)
        try:
            yield cursor, "hello", _control("hello", cursor)
            if after is not None:
                async for seq, text in self._catch_up(cursor):
                    cursor = seq
                    yield seq, "alert", text
            while True:
                try:
                    async with asyncio.timeout(heartbeat_s):  # no extra task per message (wait_for makes one)
                        msg = await sub.get()
                except TimeoutError:
                    yield cursor, "heartbeat", _control("heartbeat", cursor)
                    continue
                except BusClosed:  # the service is stopping: end this client's stream
                    return
                except SubscriberOverflow:
                    sub.close()
                    sub = self.bus.subscribe(ALERTS_TOPIC, maxsize=queue_size)
                    async for seq, text in self._catch_up(cursor):
                        cursor = seq
                        yield seq, "alert", text
                    continue
                if msg.seq <= cursor:
                    continue
                cursor = msg.seq
                yield msg.seq, "alert", msg.payload
        finally:
            sub.close()

    async def _catch_up(self, cursor: int, page: int = 500) -> AsyncIterator[tuple[int, str]]:
        while True:
            batch = await self.store.changes_after(cursor, limit=page)
            for alert in batch:
                cursor = alert.seq
                yield alert.seq, push_message_json(alert, alert.last_change)
            if len(batch) < page:
                return

    # -- announce -----------------------------------------------------------------------------

    def _announce(self, alert: Alert, change: ChangeKind, *, notify: bool = True) -> None:
        payload = push_message_json(alert, change)
        self.bus.publish(BusMessage(alert.seq, ALERTS_TOPIC, payload))
        self.metrics.push_messages.inc()
        if not notify:
            return
        for n in self.notifiers:
            try:
                n.notify(alert, change, payload)
            except Exception:  # a broken notifier must not stop the push
                logger.exception("notifier %r failed on alert %d", n, alert.id)
