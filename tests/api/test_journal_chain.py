"""The audit journal's hash chain: every change is linked; an edit made around the triggers (or
in the file), a removed entry, or an unlinked one is caught and named; a database from before the
chain is linked when opened."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from api.domain import AlertStatus, ResolutionReason
from api.store import GENESIS, SCHEMA_VERSION, SqliteStore
from tests.api.conftest import make_event
from tests.browser.live import LiveServer


async def _history(store: SqliteStore) -> list[int]:
    """Two alerts, one revised, acknowledged and resolved: the journal's seqs."""
    a, _ = await store.upsert_event(make_event(1), replay_id=None, actor="pipeline")
    await store.upsert_event(make_event(1, people_count=31, revision=1), replay_id=None, actor="pipeline")
    await store.transition(a.id, AlertStatus.ACKNOWLEDGED, actor="alice")
    await store.transition(a.id, AlertStatus.RESOLVED, actor="alice", resolution=ResolutionReason.STOPPED)
    await store.upsert_event(make_event(2), replay_id=None, actor="pipeline")
    return [e.seq for aid in (a.id, a.id + 1) for e in await store.journal(aid)]


def _tamper(db: Path, *sql: str) -> None:
    """Edit the file as someone with file access would: around the append-only triggers."""
    c = sqlite3.connect(db, isolation_level=None)
    for t in ("journal_no_update", "journal_no_delete", "journal_chain_no_update", "journal_chain_no_delete"):
        c.execute(f"DROP TRIGGER IF EXISTS {t}")
    c.execute("PRAGMA foreign_keys=OFF")
    for s in sql:
        c.execute(s)
    c.close()


async def test_an_untouched_journal_verifies_and_reports_its_head(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "a.db")
    try:
        seqs = await _history(store)
        v = await store.verify_journal()
        assert v.ok and v.entries == len(seqs) == 5 and v.first_bad_seq is None
        assert v.head_seq == max(seqs) and len(v.head_hash) == 64 and v.head_hash != GENESIS
    finally:
        await store.close()


async def test_an_edited_entry_is_named(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    store = SqliteStore(db)
    seqs = await _history(store)
    await store.close()
    target = sorted(seqs)[2]
    _tamper(db, f"UPDATE journal SET actor='mallory' WHERE seq={target}")
    store = SqliteStore(db)
    try:
        v = await store.verify_journal()
        assert not v.ok and v.first_bad_seq == target and "does not match its link" in v.problem
    finally:
        await store.close()


async def test_the_cli_checks_a_file_read_only_and_exits_by_verdict(tmp_path: Path, capsys: Any) -> None:
    from api.cli import main

    db = tmp_path / "a.db"
    store = SqliteStore(db)
    seqs = sorted(await _history(store))
    await store.close()
    before = db.read_bytes()
    assert main(["journal", "verify", "--db", str(db)]) == 0
    assert "ok: 5 entries, chain intact" in capsys.readouterr().out
    assert db.read_bytes() == before  # read only
    _tamper(db, f"UPDATE journal SET detail='nothing happened' WHERE seq={seqs[3]}")
    assert main(["journal", "verify", "--db", str(db)]) == 1
    assert f"TAMPERED: entry seq {seqs[3]}" in capsys.readouterr().out
    assert main(["journal", "verify", "--db", str(tmp_path / "none.db")]) == 2
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    assert main(["journal", "verify", "--db", str(tmp_path / "junk.db")]) == 2
    assert "not a readable shorewatch database" in capsys.readouterr().err


async def test_a_removed_entry_is_caught_with_or_without_its_link(tmp_path: Path) -> None:
    for drop_link in (False, True):
        db = tmp_path / f"a{drop_link}.db"
        store = SqliteStore(db)
        seqs = sorted(await _history(store))
        await store.close()
        gone = seqs[1]
        stmts = [f"DELETE FROM journal WHERE seq={gone}"]
        if drop_link:
            stmts.append(f"DELETE FROM journal_chain WHERE seq={gone}")
        _tamper(db, *stmts)
        store = SqliteStore(db)
        try:
            v = await store.verify_journal()
            assert not v.ok, drop_link
            # its link left behind names it; with the link gone too, the next entry no longer follows
            assert v.first_bad_seq == (seqs[2] if drop_link else gone), (drop_link, v)
        finally:
            await store.close()


async def test_a_journal_from_before_the_chain_is_linked_when_opened(tmp_path: Path) -> None:
    # schema 1 as the store wrote it, then the chain taken back out, as before the upgrade
    db = tmp_path / "old.db"
    store = SqliteStore(db)
    seqs = await _history(store)
    await store.close()
    _tamper(
        db,
        "DROP TABLE journal_chain",
        "DROP TABLE withdrawn_false_alarms",
        "ALTER TABLE webhooks DROP COLUMN kinds",
        "PRAGMA user_version=1",
    )
    store = SqliteStore(db)  # migrates to the latest and links the 5 entries
    try:
        assert store.schema_version == SCHEMA_VERSION
        v = await store.verify_journal()
        assert v.ok and v.entries == len(seqs)
        await store.upsert_event(make_event(3), replay_id=None, actor="pipeline")
        assert (await store.verify_journal()).ok
    finally:
        await store.close()


def test_admins_check_the_chain_over_http(tmp_path: Path) -> None:
    with LiveServer(tmp_path / "state") as srv:
        srv.post_alert(event_id="t:1")
        with srv.client("admin") as c:
            v = c.get("/journal/verify").json()
        assert (
            v["ok"] is True and v["entries"] == 1 and v["first_bad_seq"] is None and len(v["head_hash"]) == 64
        )
        with srv.client("patrol") as c:
            assert c.get("/journal/verify").status_code == 403
