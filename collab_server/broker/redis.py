"""Redis (or Valkey) pub/sub between server processes.

One channel per live document, and one control channel every process
listens on (revocations, role changes). A reader task owns the subscription and
reconnects with backoff when Redis goes away; a writer task drains a bounded
outbox, so a slow or absent Redis never blocks the event loop. While Redis is
down each process keeps serving its own sockets and reports itself degraded;
when it returns, `on_reconnect` lets the hub resynchronise every document.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from collab_server.broker.base import (
    CONTROL,
    OnMessage,
    OnReconnect,
    Relay,
    decode,
    encode,
    new_process_id,
)

log = logging.getLogger(__name__)

PREFIX = "phonghop:doc:"
OUTBOX = 10_000
RETRY_MAX = 5.0


class RedisBroker:
    shared = True

    def __init__(self, url: str) -> None:
        self.url = url
        self.process_id = new_process_id()
        self.healthy = False
        self.errors = 0
        self.published = 0
        self.received = 0
        self.dropped = 0
        self._client = aioredis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self._channels: set[str] = set()
        self._pubsub: aioredis.client.PubSub | None = None
        self._outbox: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue(OUTBOX)
        self._tasks: list[asyncio.Task[None]] = []
        self._on_message: OnMessage | None = None
        self._on_reconnect: OnReconnect | None = None

    async def start(self, on_message: OnMessage, on_reconnect: OnReconnect) -> None:
        self._on_message = on_message
        self._on_reconnect = on_reconnect
        self._tasks = [asyncio.create_task(self._read(), name="redis-reader"),
                       asyncio.create_task(self._write(), name="redis-writer")]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        with contextlib.suppress(RedisError, OSError):
            await self._client.aclose()

    async def subscribe(self, name: str) -> None:
        self._channels.add(PREFIX + name)
        if self._pubsub is not None and self.healthy:
            try:
                await self._pubsub.subscribe(PREFIX + name)
            except (RedisError, OSError):
                self._broken("subscribe")

    async def unsubscribe(self, name: str) -> None:
        self._channels.discard(PREFIX + name)
        if self._pubsub is not None and self.healthy:
            try:
                await self._pubsub.unsubscribe(PREFIX + name)
            except (RedisError, OSError):
                self._broken("unsubscribe")

    def publish(self, name: str, kind: Relay, data: bytes) -> None:
        if not self.healthy:
            return  # healed by the resync when Redis returns
        try:
            self._outbox.put_nowait((PREFIX + name, encode(self.process_id, kind, data)))
        except asyncio.QueueFull:
            self.dropped += 1

    def _broken(self, where: str) -> None:
        if self.healthy:
            log.warning("redis unavailable (%s); serving local clients only", where)
        self.healthy = False
        self.errors += 1

    async def _read(self) -> None:
        delay = 0.1
        first = True
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.ping()
                # The control channel also keeps the connection in pub/sub mode.
                await pubsub.subscribe(PREFIX + CONTROL, *self._channels)
                self._pubsub = pubsub
                self.healthy = True
                delay = 0.1
                if not first:
                    log.info("redis is back; resynchronising")
                    assert self._on_reconnect is not None
                    await self._on_reconnect()
                first = False
                while True:
                    if self._pubsub is not pubsub:
                        raise ConnectionError("subscription dropped by the writer")
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        self._deliver(message["channel"], message["data"])
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError):
                self._broken("read")
                self._pubsub = None
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)

    def _deliver(self, channel: bytes | str, data: bytes) -> None:
        name = (channel.decode() if isinstance(channel, bytes) else channel)[len(PREFIX):]
        parsed = decode(data)
        if parsed is None or parsed[0] == self.process_id:
            return
        self.received += 1
        assert self._on_message is not None
        try:
            self._on_message(name, parsed[1], parsed[2])
        except Exception:  # one bad relay must not stop the reader
            log.exception("relay for %s failed", name)

    async def _write(self) -> None:
        while True:
            channel, payload = await self._outbox.get()
            # A connection that died while Redis was away fails once; the pool
            # opens a fresh one for the second try.
            for attempt in (1, 2):
                try:
                    await self._client.publish(channel, payload)
                    self.published += 1
                    break
                except (RedisError, OSError):
                    self.errors += 1
                    if attempt == 2:
                        self._broken("publish")
                        await self._restart_reader()

    async def _restart_reader(self) -> None:
        """Publishing fails while the subscription looks fine: drop the
        subscription so the reader reconnects, and resynchronises."""
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def ping(self) -> bool:
        try:
            return bool(await self._client.ping())
        except (RedisError, OSError):
            return False
