"""Fan-out of push messages to connected clients.

``Bus`` is the seam: ``InProcessBus`` (asyncio queues, one process) is the default; a
multi-replica deployment fills the same interface with PostgreSQL LISTEN/NOTIFY or a broker.

Each subscriber has a bounded queue. ``publish`` never waits: when a subscriber's queue is full
the subscriber is marked *overflowed* and receives no more messages; its next ``get`` raises
``SubscriberOverflow`` so the push endpoint can close that connection and the client resumes with
``?after=SEQ`` (the store replays what it missed). A slow client therefore never delays the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

logger = logging.getLogger(__name__)


class SubscriberOverflow(Exception):
    """This subscriber fell ``maxsize`` messages behind and was cut off."""


class BusClosed(Exception):
    """The bus was closed (the service is stopping): no more messages will come."""


@dataclass(frozen=True, slots=True)
class BusMessage:
    """One push message: ``seq`` orders it, ``payload`` is its JSON text (serialized once)."""

    seq: int
    topic: str
    payload: str


class Subscription(Protocol):
    async def get(self) -> BusMessage: ...

    def get_nowait(self) -> BusMessage | None: ...

    def close(self) -> None: ...

    @property
    def overflowed(self) -> bool: ...


class Bus(Protocol):
    def publish(self, message: BusMessage) -> None: ...

    def subscribe(self, topic: str, *, maxsize: int = 256) -> Subscription: ...

    @property
    def subscriber_count(self) -> int: ...

    async def close(self) -> None:
        """Stop: every subscriber's pending or next ``get`` raises ``BusClosed``."""
        ...


_OVERFLOW = object()
_CLOSED = object()


class _QueueSubscription:
    def __init__(self, bus: InProcessBus, topic: str, maxsize: int) -> None:
        self._bus = bus
        self.topic = topic
        # one slot more than maxsize: room for the overflow marker
        self._queue: asyncio.Queue[object] = asyncio.Queue(maxsize + 1)
        self._maxsize = maxsize
        self._overflowed = False
        self.closed = False

    @property
    def overflowed(self) -> bool:
        return self._overflowed

    def _offer(self, message: BusMessage) -> None:
        if self._overflowed:
            return
        if self._queue.qsize() >= self._maxsize:
            self._overflowed = True
            self._queue.put_nowait(_OVERFLOW)
            self._bus.dropped_subscribers += 1
            self._bus._remove(self)
            logger.warning("push subscriber fell %d messages behind; cutting it off", self._maxsize)
            return
        self._queue.put_nowait(message)

    def _unwrap(self, item: object) -> BusMessage:
        if item is _CLOSED:
            raise BusClosed("the service is stopping")
        if item is _OVERFLOW:
            raise SubscriberOverflow(f"fell {self._maxsize} messages behind")
        assert isinstance(item, BusMessage)
        return item

    async def get(self) -> BusMessage:
        return self._unwrap(await self._queue.get())

    def get_nowait(self) -> BusMessage | None:
        try:
            item = self._queue.get_nowait()
        except asyncio.QueueEmpty:
            return None
        return self._unwrap(item)

    def _end(self) -> None:
        """Wake the reader with ``BusClosed`` (dropping a queued message if there is no room)."""
        if self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(_CLOSED)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._bus._remove(self)

    async def __aiter__(self) -> AsyncIterator[BusMessage]:
        while True:
            yield await self.get()


class InProcessBus:
    """``Bus`` for one process. ``publish`` must be called on the event loop's thread."""

    def __init__(self) -> None:
        self._subs: dict[str, set[_QueueSubscription]] = {}
        self.dropped_subscribers = 0
        self.published = 0
        self.closed = False

    def publish(self, message: BusMessage) -> None:
        self.published += 1
        for sub in list(self._subs.get(message.topic, ())):
            sub._offer(message)

    def subscribe(self, topic: str, *, maxsize: int = 256) -> _QueueSubscription:
        if maxsize < 1:
            raise ValueError(f"maxsize must be >= 1, got {maxsize}")
        sub = _QueueSubscription(self, topic, maxsize)
        if self.closed:
            sub.closed = True
            sub._end()
            return sub
        self._subs.setdefault(topic, set()).add(sub)
        return sub

    def _remove(self, sub: _QueueSubscription) -> None:
        self._subs.get(sub.topic, set()).discard(sub)

    @property
    def subscriber_count(self) -> int:
        return sum(len(s) for s in self._subs.values())

    async def close(self) -> None:
        self.closed = True
        for subs in self._subs.values():
            for sub in list(subs):
                sub.closed = True
                sub._end()
        self._subs.clear()
