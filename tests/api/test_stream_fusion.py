"""Two live cameras see one launch: the alert store (a real SQLite file) holds one alert, updated
by both; a replay of the same is its own alert (``detector.fusion`` in ``StreamManager``).

The processors stand in for two drones' detection pipelines, each numbering its own event as
its event engine would; the streams, the fusion and the store are the service's own."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from api.domain import AlertQuery
from api.store import SqliteStore
from api.streams import StreamManager
from shorewatch.geo import offset
from shorewatch.site import load_site
from shorewatch.types import Event, EventKind, Frame, Severity

IMG = np.zeros((8, 8, 3), np.uint8)
LAT, LON = 50.8880, 1.6601


@dataclass
class Result:
    events: list[Event] = field(default_factory=list)


class OneLaunch:
    """A drone's pipeline that sees the launch in every frame: one event id, a revision each."""

    def __init__(self, event_id: str, east_m: float) -> None:
        self.event_id, self.east_m, self.revision = event_id, east_m, -1

    def process(self, frame: Frame) -> Result:
        self.revision += 1
        lat, lon = offset(LAT, LON, 90.0, self.east_m + frame.index)
        ev = Event(
            self.event_id, EventKind.LAUNCH, Severity.CRITICAL, frame.timestamp_s, lat, lon, 8.0, 0.9,
            frame.source_id, people_count=12, revision=self.revision,
        )  # fmt: skip
        return Result([ev])


def frames(source: str, n: int) -> Iterator[Frame]:
    for i in range(n):
        yield Frame(IMG, timestamp_s=100.0 + i, source_id=source, index=i)


async def test_two_cameras_one_launch_one_alert_and_a_replay_apart(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "alerts.db")

    async def ingest(event: Event, replay_id: str | None = None) -> object:
        alert, _ = await store.upsert_event(event, replay_id=replay_id, actor="pipeline")
        return alert

    pipelines = iter([OneLaunch("d1-launch", 0.0), OneLaunch("d2-launch", 20.0), OneLaunch("r-launch", 0.0)])
    manager = StreamManager(ingest, load_site(), lambda: next(pipelines))
    try:
        one = manager.start("drone-1-camera", frames("drone-1", 6), kind="live", drone_id="drone-1")
        await asyncio.wait_for(one.task, 30)
        two = manager.start("drone-2-camera", frames("drone-2", 6), kind="live", drone_id="drone-2")
        replay = manager.start("replay-x", frames("clip", 3), kind="replay", replay_id="x")
        await asyncio.wait_for(asyncio.gather(two.task, replay.task), 30)
        live, n_live = await store.list_alerts(AlertQuery())
        assert n_live == 1, [(a.event_id, a.source) for a in live]
        alert = live[0]
        assert alert.event_id == "d1-launch" and alert.kind is EventKind.LAUNCH
        processed = one.runner.stats.processed + two.runner.stats.processed
        assert alert.revision == processed - 1  # every emission of both cameras, in order
        assert dict(alert.details).get("cameras") == "2"
        assert [a.event_id for a in two.alerts] == ["d1-launch"] * len(two.alerts)
        replayed, n_replayed = await store.list_alerts(AlertQuery(replay_id="x"))
        assert n_replayed == 1 and replayed[0].event_id == "r-launch"
    finally:
        await store.close()
