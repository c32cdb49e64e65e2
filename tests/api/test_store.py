"""SqliteStore on a real file: revisions, seq, the append-only journal, migrations, reopen."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from api.domain import AlertQuery, AlertStatus, ChangeKind, ResolutionReason, Role, check_transition
from api.errors import ConflictError, InvalidTransition, NotFoundError, StoreError
from api.store import SCHEMA_VERSION, SqliteStore
from shorewatch.types import EventKind
from tests.api.conftest import default_executor_blocked, make_event


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    s = SqliteStore(tmp_path / "alerts.db")
    yield s
    await s.close()


async def test_new_event_creates_alert_and_same_event_id_updates_it(store: SqliteStore) -> None:
    a, change = await store.upsert_event(make_event(1), replay_id=None, actor="pipeline")
    assert change is ChangeKind.CREATED and a.status is AlertStatus.NEW and a.revision == 0
    b, change = await store.upsert_event(
        make_event(1, revision=1, people_count=44), replay_id=None, actor="p"
    )
    assert change is ChangeKind.UPDATED and b.id == a.id and b.revision == 1 and b.people_count == 44
    assert b.seq > a.seq
    for rev in (1, 0):  # same or older revision: nothing written
        c, change = await store.upsert_event(
            make_event(1, revision=rev, people_count=1), replay_id=None, actor="p"
        )
        assert change is None and c.seq == b.seq and c.people_count == 44
    _, count = await store.list_alerts(AlertQuery())
    assert count == 1


async def test_same_event_id_in_a_replay_is_a_separate_alert(store: SqliteStore) -> None:
    live, _ = await store.upsert_event(make_event(1), replay_id=None, actor="p")
    rep, _ = await store.upsert_event(make_event(1), replay_id="r1", actor="p")
    assert rep.id != live.id and rep.replay_id == "r1"
    assert [a.id for a in (await store.list_alerts(AlertQuery()))[0]] == [live.id]
    assert [a.id for a in (await store.list_alerts(AlertQuery(replay_id="r1")))[0]] == [rep.id]
    assert [a.id for a in await store.changes_after(0)] == [live.id]


async def test_seq_strictly_increases_across_all_changes(store: SqliteStore) -> None:
    seqs = []
    for i in range(5):
        a, _ = await store.upsert_event(make_event(i), replay_id=None, actor="p")
        seqs.append(a.seq)
        a = await store.transition(a.id, AlertStatus.ACKNOWLEDGED, actor="u")
        seqs.append(a.seq)
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert await store.last_seq() == seqs[-1]


async def test_store_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "alerts.db"
    s1 = SqliteStore(path)
    a, _ = await s1.upsert_event(make_event(1, snapshot_jpeg=b"\xff\xd8\xffjpeg"), replay_id=None, actor="p")
    await s1.transition(a.id, AlertStatus.ACKNOWLEDGED, actor="alice")
    await s1.add_user("alice", Role.PATROL, "h" * 64)
    await s1.close()
    s2 = SqliteStore(path)
    got = await s2.get_alert(a.id)
    assert got.status is AlertStatus.ACKNOWLEDGED and got.acknowledged_by == "alice"
    assert await s2.get_snapshot(a.id) == b"\xff\xd8\xffjpeg"
    assert [e.action for e in await s2.journal(a.id)] == [ChangeKind.CREATED, ChangeKind.ACKNOWLEDGED]
    assert (await s2.user_by_token_hash("h" * 64)) is not None
    b, _ = await s2.upsert_event(make_event(2), replay_id=None, actor="p")
    assert b.seq > got.seq  # seq keeps increasing after a restart
    assert s2.schema_version == SCHEMA_VERSION
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    await s2.close()


async def test_journal_cannot_be_edited(store: SqliteStore, tmp_path: Path) -> None:
    a, _ = await store.upsert_event(make_event(1), replay_id=None, actor="p")
    raw = sqlite3.connect(tmp_path / "alerts.db")
    for sql in ("UPDATE journal SET actor='mallory'", "DELETE FROM journal"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute(sql)
    raw.close()
    assert [e.actor for e in await store.journal(a.id)] == ["p"]


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(StoreError, match="newer than this shorewatch"):
        SqliteStore(path)


async def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open the alert database"):
        SqliteStore(path)


async def test_unknown_ids_and_duplicate_names(store: SqliteStore) -> None:
    with pytest.raises(NotFoundError, match="no alert with id 42"):
        await store.get_alert(42)
    with pytest.raises(NotFoundError):
        await store.transition(42, AlertStatus.ACKNOWLEDGED, actor="u")
    await store.add_user("bob", Role.PILOT, "x" * 64)
    with pytest.raises(ConflictError, match="already exists"):
        await store.add_user("bob", Role.PATROL, "y" * 64)
    with pytest.raises(NotFoundError):
        await store.remove_user("nobody")


async def test_list_filters(store: SqliteStore) -> None:
    await store.upsert_event(
        make_event(1, kind=EventKind.BOAT_AT_SEA, source="drone-2"), replay_id=None, actor="p"
    )
    a2, _ = await store.upsert_event(make_event(2, lat_deg=51.0, lon_deg=2.0), replay_id=None, actor="p")
    await store.transition(a2.id, AlertStatus.ACKNOWLEDGED, actor="u")
    cases = [
        (AlertQuery(), 2),
        (AlertQuery(kinds=(EventKind.LAUNCH,)), 1),
        (AlertQuery(statuses=(AlertStatus.ACKNOWLEDGED,)), 1),
        (AlertQuery(source="drone-2"), 1),
        (AlertQuery(bbox=(50.9, 1.9, 51.1, 2.1)), 1),
        (AlertQuery(since_s=1_795_934_402.0), 1),
        (AlertQuery(until_s=1_795_934_401.0), 1),
        (AlertQuery(limit=1), 2),
    ]
    for q, expected in cases:
        data, count = await store.list_alerts(q)
        assert count == expected, q
        assert len(data) == min(expected, q.limit)


ALL = list(AlertStatus)
LEGAL = {
    (AlertStatus.NEW, AlertStatus.ACKNOWLEDGED),
    (AlertStatus.NEW, AlertStatus.RESOLVED),
    (AlertStatus.ACKNOWLEDGED, AlertStatus.ASSIGNED),
    (AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED),
    (AlertStatus.ASSIGNED, AlertStatus.ASSIGNED),
    (AlertStatus.ASSIGNED, AlertStatus.RESOLVED),
}


@pytest.mark.parametrize(("current", "target"), [(c, t) for c in ALL for t in ALL])
def test_state_machine(current: AlertStatus, target: AlertStatus) -> None:
    if (current, target) in LEGAL:
        check_transition(current, target)
    else:
        with pytest.raises(InvalidTransition, match=f"from '{current.value}' to '{target.value}'"):
            check_transition(current, target)


async def test_transition_records_who_and_what(store: SqliteStore) -> None:
    a, _ = await store.upsert_event(make_event(1), replay_id=None, actor="pipeline")
    await store.transition(a.id, AlertStatus.ACKNOWLEDGED, actor="alice")
    await store.transition(a.id, AlertStatus.ASSIGNED, actor="alice", assigned_to="patrol-7")
    done = await store.transition(
        a.id, AlertStatus.RESOLVED, actor="bob", resolution=ResolutionReason.STOPPED
    )
    assert done.resolution is ResolutionReason.STOPPED and done.assigned_to == "patrol-7"
    j = await store.journal(a.id)
    assert [(e.actor, e.action, e.from_status, e.to_status) for e in j] == [
        ("pipeline", ChangeKind.CREATED, None, AlertStatus.NEW),
        ("alice", ChangeKind.ACKNOWLEDGED, AlertStatus.NEW, AlertStatus.ACKNOWLEDGED),
        ("alice", ChangeKind.ASSIGNED, AlertStatus.ACKNOWLEDGED, AlertStatus.ASSIGNED),
        ("bob", ChangeKind.RESOLVED, AlertStatus.ASSIGNED, AlertStatus.RESOLVED),
    ]
    assert "patrol-7" in j[2].detail and "stopped" in j[3].detail
    with pytest.raises(InvalidTransition):
        await store.transition(a.id, AlertStatus.ACKNOWLEDGED, actor="alice")


async def test_the_store_answers_while_the_default_executor_is_busy(store: SqliteStore) -> None:
    """Offline, webhook host names that no DNS server answers hold asyncio's default executor;
    alerts must still be written and read meanwhile (the store has its own thread)."""
    async with default_executor_blocked():
        a, change = await asyncio.wait_for(
            store.upsert_event(make_event(7), replay_id=None, actor="pipeline"), 15
        )
        assert change is ChangeKind.CREATED
        got = await asyncio.wait_for(store.get_alert(a.id), 15)
        assert got.event_id == a.event_id


async def test_a_store_from_before_webhook_kinds_keeps_its_webhooks_sending_everything(
    tmp_path: Path,
) -> None:
    """Schema 3 (webhooks without kinds) opened by this shorewatch: migrated, nothing lost."""
    path = tmp_path / "old.db"
    old = SqliteStore(path)
    await old.add_webhook("patrol-wissant", "http://10.0.0.5/hook", "s" * 64)
    await old.close()
    raw = sqlite3.connect(path)  # as a schema-3 file was: no kinds column
    raw.execute("ALTER TABLE webhooks DROP COLUMN kinds")
    raw.execute("PRAGMA user_version=3")
    raw.commit()
    raw.close()
    again = SqliteStore(path)
    assert again.schema_version == SCHEMA_VERSION
    (hook,) = await again.list_webhooks()
    assert (hook.unit, hook.kinds) == ("patrol-wissant", ())
    lane = await again.add_webhook("cross", "http://10.0.0.6/hook", "t" * 64, [EventKind.PERSON_IN_WATER] * 2)
    assert (
        [h.kinds for h in await again.list_webhooks()]
        == [(), (EventKind.PERSON_IN_WATER,)]
        == [(), lane.kinds]
    )
    await again.close()
