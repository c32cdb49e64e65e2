"""Snapshot retention: alert pictures (people on a beach) are deleted a fixed time after the alert,
from the database file itself, journalled and pushed as a change; the alert record stays."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import cv2
import numpy as np
from websockets.sync.client import connect as ws_connect

from api.domain import ChangeKind
from api.store import SqliteStore
from tests.api.conftest import make_event
from tests.browser.live import LiveServer, wait_for


def _jpeg(marker: int) -> bytes:
    img = np.full((60, 80, 3), marker % 256, np.uint8)
    cv2.putText(img, str(marker), (5, 40), cv2.FONT_HERSHEY_SIMPLEX, 1, (255, 255, 255), 2)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 100])
    assert ok
    return buf.tobytes()


async def test_old_snapshots_are_deleted_from_the_file_and_journalled(tmp_path: Path) -> None:
    db = tmp_path / "alerts.db"
    store = SqliteStore(db)
    try:
        old_jpeg, new_jpeg = _jpeg(17), _jpeg(201)
        old, _ = await store.upsert_event(make_event(1, snapshot_jpeg=old_jpeg), replay_id=None, actor="t")
        cutoff = time.time()
        time.sleep(0.02)
        new, _ = await store.upsert_event(make_event(2, snapshot_jpeg=new_jpeg), replay_id=None, actor="t")
        purged = await store.purge_snapshots(cutoff, actor="retention", now_s=time.time(), detail="7 days")
        assert [a.id for a in purged] == [old.id]
        a = purged[0]
        assert a.has_snapshot is False and a.last_change == ChangeKind.SNAPSHOT_PURGED and a.seq > new.seq
        assert a.kind == old.kind and a.lat_deg == old.lat_deg  # the alert itself is kept
        assert await store.get_snapshot(old.id) is None
        assert await store.get_snapshot(new.id) == new_jpeg
        j = (await store.journal(old.id))[-1]
        assert (j.action, j.actor, j.detail) == (ChangeKind.SNAPSHOT_PURGED, "retention", "7 days")
        # a second round finds nothing more
        assert await store.purge_snapshots(cutoff, actor="retention", now_s=time.time(), detail="") == []
    finally:
        await store.close()
    # the picture is gone from the file (and its write-ahead log), not just unlinked
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("alerts.db"))
    assert old_jpeg[-300:-200] not in raw  # entropy-coded data: unique to each picture
    assert new_jpeg[-300:-200] in raw


def test_the_service_purges_on_schedule_and_tells_clients(tmp_path: Path) -> None:
    retention_s = 3.0
    with LiveServer(
        tmp_path / "state",
        snapshot_retention_days=retention_s / 86_400,
        options={"retention_interval_s": 0.2},
    ) as srv:
        url = srv.url.replace("http", "ws") + f"/ws/alerts?token={srv.tokens['patrol']}"
        with ws_connect(url, open_timeout=10) as ws, srv.client("patrol") as pat:
            posted = srv.post_alert(snapshot_jpeg_b64=base64.b64encode(_jpeg(99)).decode())
            aid, snap = posted["id"], posted["snapshot_url"]
            assert snap and pat.get(snap).status_code == 200
            t0 = time.monotonic()
            a = wait_for(
                lambda: (x := pat.get(f"/alerts/{aid}").json())["snapshot_url"] is None and x,
                20.0,
                what="the snapshot to be purged",
            )
            assert time.monotonic() - t0 < 15
            assert a["last_change"] == "snapshot_purged" and a["status"] == "new" and a["kind"] == "launch"
            r = pat.get(snap)
            assert r.status_code == 404 and "no snapshot" in r.text, r.text
            journal = pat.get(f"/alerts/{aid}/journal").json()
            entries = journal["data"] if isinstance(journal, dict) else journal
            assert entries[-1]["action"] == "snapshot_purged" and entries[-1]["actor"] == "retention"
            changes = []
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and "snapshot_purged" not in changes:
                m = json.loads(ws.recv(timeout=10))
                if m.get("type") == "alert":
                    changes.append(m["change"])
            assert changes[:1] == ["created"] and "snapshot_purged" in changes, changes
