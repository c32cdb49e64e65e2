"""The stream runner's backpressure and failure handling (issue 9).

The processor here is a slow stand-in for the detector so the timing is controlled; the
end-to-end tests drive the real detector."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pytest

from api.pipeline import LatestFrameQueue, StreamRunner, TelemetryBuffer
from shorewatch.types import Event, EventKind, Frame, Severity, Telemetry
from tests.api.conftest import default_executor_blocked

IMG = np.zeros((8, 8, 3), np.uint8)


def frames(n: int, period_s: float = 0.0, fail_at: int | None = None) -> Iterator[Frame]:
    for i in range(n):
        if fail_at is not None and i == fail_at:
            raise OSError("camera unplugged")
        if period_s:
            time.sleep(period_s)  # the camera's own frame period, not a wait for a condition
        yield Frame(IMG, timestamp_s=float(i), source_id="cam", index=i)


@dataclass
class Result:
    events: list[Event] = field(default_factory=list)


class SlowProcessor:
    def __init__(self, delay_s: float, fail_on: set[int] | None = None) -> None:
        self.delay_s = delay_s
        self.seen: list[int] = []
        self.fail_on = fail_on or set()
        self.telemetry_seen: list[Telemetry | None] = []

    def process(self, frame: Frame) -> Result:
        time.sleep(self.delay_s)
        if frame.index in self.fail_on:
            raise RuntimeError("model exploded")
        self.seen.append(frame.index)
        self.telemetry_seen.append(frame.telemetry)
        ev = Event("e1", EventKind.LAUNCH, Severity.CRITICAL, float(frame.index), 50.9, 1.66, 5.0, 0.9, "cam")
        return Result([ev] if frame.index % 10 == 0 else [])


async def _sink_collect(store: list[Event]):  # type: ignore[no-untyped-def]
    async def sink(ev: Event, frame: Frame) -> None:
        store.append(ev)

    return sink


async def test_live_stream_drops_stale_frames_instead_of_queueing() -> None:
    proc = SlowProcessor(0.02)
    got: list[Event] = []
    runner = StreamRunner(
        "live", frames(100, period_s=0.002), proc, await _sink_collect(got), drop_stale=True
    )
    stats = await runner.run()
    assert stats.captured == 100
    assert stats.dropped > 0
    assert stats.processed + stats.dropped == 100
    assert proc.seen == sorted(proc.seen)  # in capture order
    assert max(stats.queue_wait_s) < 0.5  # no backlog builds up
    assert stats.summary()["frames_dropped"] == stats.dropped


async def test_replay_stream_processes_every_frame_in_order() -> None:
    proc = SlowProcessor(0.001)
    got: list[Event] = []
    stats = await StreamRunner(
        "replay", frames(40), proc, await _sink_collect(got), drop_stale=False, queue_size=4
    ).run()
    assert proc.seen == list(range(40))
    assert stats.dropped == 0 and stats.processed == 40
    assert len(got) == 4  # frames 0, 10, 20, 30


async def test_a_failing_source_ends_only_its_stream_with_the_reason() -> None:
    stats = await StreamRunner(
        "cam", frames(10, fail_at=5), SlowProcessor(0), await _sink_collect([]), drop_stale=False
    ).run()
    assert stats.captured == 5 and stats.processed == 5
    assert stats.error is not None and "camera unplugged" in stats.error
    assert stats.finished


async def test_a_detector_error_on_one_frame_is_counted_and_the_stream_goes_on() -> None:
    proc = SlowProcessor(0, fail_on={3})
    stats = await StreamRunner("cam", frames(8), proc, await _sink_collect([]), drop_stale=False).run()
    assert stats.detector_errors == 1
    assert proc.seen == [0, 1, 2, 4, 5, 6, 7]


async def test_frames_are_paired_with_the_nearest_telemetry() -> None:
    buf = TelemetryBuffer()
    for t in (0.0, 2.2, 3.7, 6.0):
        buf.add(Telemetry(timestamp_s=t, lat_deg=50.0, lon_deg=1.0 + t / 100, alt_m=50, heading_deg=0))
    proc = SlowProcessor(0)
    await StreamRunner("cam", frames(5), proc, await _sink_collect([]), telemetry=buf, drop_stale=False).run()
    stamps = [t.timestamp_s if t else None for t in proc.telemetry_seen]
    assert stamps == [0.0, 0.0, 2.2, 3.7, 3.7]


@pytest.mark.parametrize(
    ("query", "expected"), [(0.4, 0.0), (1.6, 2.1), (5.0, 6.0), (9.5, None), (-3.0, None)]
)
def test_telemetry_buffer_nearest(query: float, expected: float | None) -> None:
    buf = TelemetryBuffer()
    for t in (0.0, 2.1, 3.9, 6.0):
        buf.add(Telemetry(timestamp_s=t, lat_deg=50.0, lon_deg=1.0, alt_m=50, heading_deg=0))
    got = buf.nearest(query, max_gap_s=1.5)
    assert (got.timestamp_s if got else None) == expected


def test_latest_frame_queue_without_dropping_blocks_the_producer() -> None:
    q = LatestFrameQueue(1, drop_stale=False)
    q.put(Frame(IMG, 0.0, "c", 0))
    done = threading.Event()

    def producer() -> None:
        q.put(Frame(IMG, 1.0, "c", 1))
        done.set()

    threading.Thread(target=producer, daemon=True).start()
    assert not done.wait(0.2)
    item = q.get(1.0)
    assert item is not None and item.frame.index == 0
    assert done.wait(2.0)
    assert q.dropped == 0


async def test_frames_are_detected_while_the_default_executor_is_busy() -> None:
    """Webhook DNS lookups that hang (offline) fill asyncio's default executor; the stream has its
    own thread, so frames are still detected and their events still reach the sink."""
    proc = SlowProcessor(0)
    got: list[Event] = []
    async with default_executor_blocked():
        runner = StreamRunner("cam", frames(12), proc, await _sink_collect(got), drop_stale=False)
        stats = await asyncio.wait_for(runner.run(), 15)
    assert stats.processed == 12 and proc.seen == list(range(12))
    assert len(got) == 2  # frames 0 and 10
