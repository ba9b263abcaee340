"""One client socket: a bounded send queue drained by a single writer.

A client that stops reading must never slow the others: frames go into its
queue without awaiting, and when the queue overflows, or one frame has waited
`send_stall_s` to be taken by the peer (a laptop asleep, a wifi gone without
a word: the room's small frames would take long to fill the queue), the
backlog is dropped and the socket closed with 1013, which makes the client
reconnect and resync.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from collab_server.live.limits import TokenBucket
from collab_server.live.people import Person, PersonLimits
from collab_server.live.ports import Socket
from collab_server.status import Close

log = logging.getLogger(__name__)

CLOSE_TIMEOUT = 2.0


@dataclass(frozen=True, slots=True)
class Identity:
    user_id: int
    name: str
    role: str
    device: str
    # A tag of the session the socket was opened with (never the token), so
    # that ending the session closes its sockets (see `live.access`).
    session: str = ""
    # The address the socket came from (through a trusted proxy, the one it
    # forwarded): where a person checks themselves in from.
    address: str = ""

    def presence(self) -> dict[str, Any]:
        return {"id": self.user_id, "name": self.name, "role": self.role, "device": self.device}


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    max_queue_frames: int = 512
    max_queue_bytes: int = 16 * 1024 * 1024
    frames_per_second: float = 200.0
    frame_burst: float = 400.0
    intents_per_second: float = 10.0
    intent_burst: float = 30.0
    presence_bytes_per_second: float = 16 * 1024
    presence_burst: float = 64 * 1024
    # A frame the peer has not taken in this long: the laptop stopped reading.
    send_stall_s: float = 10.0


# A connection made outside the hub (tests of the core) meters only itself.
_UNSHARED = PersonLimits()


class Connection:
    __slots__ = (
        "socket",
        "identity",
        "limits",
        "person",
        "roles_seen",
        "client_ids",
        "frames",
        "intents",
        "presence",
        "closed",
        "overflowed",
        "_queue",
        "_queued_bytes",
        "_waiter",
        "_emptied",
        "_writer",
        "_sending",
        "_send_started",
        "on_close",
        "_close_task",
        "sent_frames",
        "sent_bytes",
    )

    def __init__(self, socket: Socket, identity: Identity, limits: ConnectionLimits,
                 person: Person | None = None, roles_seen: int = 0) -> None:
        self.socket = socket
        # Replaced (never mutated) when the person's role in the meeting changes.
        self.identity = identity
        self.limits = limits
        # The budgets this socket shares with the person's other sockets.
        self.person = person or Person(identity.user_id, _UNSHARED)
        # The meeting's participants version the role was read at (`live.access`).
        self.roles_seen = roles_seen
        self.client_ids: set[int] = set()
        self.frames = TokenBucket(limits.frames_per_second, limits.frame_burst)
        self.intents = TokenBucket(limits.intents_per_second, limits.intent_burst)
        # Presence bytes: a cursor or a page number changes a few times a second;
        # whatever goes beyond is fanned out to every laptop of the room.
        self.presence = TokenBucket(limits.presence_bytes_per_second, limits.presence_burst)
        self.closed = False
        self.overflowed = False
        self._queue: deque[bytes] = deque()
        self._queued_bytes = 0
        # Made only while someone waits (the writer for a frame, a close for
        # the backlog to go out): an asyncio.Event is a deque of 760 bytes
        # from the start, and a process holds thousands of sockets.
        self._waiter: asyncio.Future[None] | None = None
        self._emptied: asyncio.Future[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._sending = False
        self._send_started = 0.0
        # Set by the hub: a closed connection leaves its document at once, so
        # fan-out stops counting it before the socket itself is gone.
        self.on_close: Callable[[], None] | None = None
        self._close_task: asyncio.Task[None] | None = None
        self.sent_frames = 0
        self.sent_bytes = 0

    def start(self) -> None:
        self._writer = asyncio.create_task(self._drain(), name="ws-writer")

    def send(self, frame: bytes) -> bool:
        """Queue a frame without waiting. False if the connection is gone."""
        if self.closed:
            return False
        # The frame that crosses the byte budget is still taken (a large document
        # must be able to sync); a backlog already over it overflows.
        if (
            len(self._queue) >= self.limits.max_queue_frames
            or self._queued_bytes > self.limits.max_queue_bytes
            or (self._sending
                and time.monotonic() - self._send_started > self.limits.send_stall_s)
        ):
            log.warning(
                "slow client dropped",
                extra={"user_id": self.identity.user_id, "queued": len(self._queue),
                       "stalled_s": round(time.monotonic() - self._send_started, 1)
                       if self._sending else 0},
            )
            self.overflowed = True
            self.close(Close.TRY_AGAIN_LATER, "client too slow; reconnect to resync")
            return False
        self._queue.append(frame)
        self._queued_bytes += len(frame)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        return True

    @property
    def queue_depth(self) -> int:
        return len(self._queue)

    async def _drain(self) -> None:
        while True:
            while not self._queue:
                self._settled()
                self._waiter = asyncio.get_running_loop().create_future()
                try:
                    await self._waiter
                finally:
                    self._waiter = None
            frame = self._queue.popleft()
            self._queued_bytes -= len(frame)
            self._sending = True
            self._send_started = time.monotonic()
            try:
                await self.socket.send(frame)
            except Exception:  # any send failure means the peer is gone
                log.debug("send failed; closing", exc_info=True)
                self.closed = True
                return
            finally:
                self._sending = False
            self.sent_frames += 1
            self.sent_bytes += len(frame)

    def close(self, code: int, reason: str, *, drain: bool = False) -> None:
        """Close; safe to call more than once. Without `drain` the backlog is
        dropped (a slow client resyncs anyway); with it, what is queued (an
        error reply, say) goes out first, for a moment at most."""
        if self.closed:
            return
        self.closed = True
        if not drain:
            self._queue.clear()
            self._queued_bytes = 0
            if not self._sending:
                self._settled()
        self._close_task = asyncio.create_task(self._close(code, reason), name="ws-close")
        if self.on_close is not None:
            self.on_close()

    async def _close(self, code: int, reason: str) -> None:
        if self._queue or self._sending:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wait_empty(), CLOSE_TIMEOUT)
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.socket.close(code, reason[:120]), CLOSE_TIMEOUT)

    async def finish(self) -> None:
        """Flush what is queued (briefly), then stop the writer."""
        if self._close_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._close_task
            return
        self.closed = True
        if self._queue or self._sending:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wait_empty(), 1.0)
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer

    def _settled(self) -> None:
        """Nothing is queued or being sent: whoever waits for that goes on."""
        emptied, self._emptied = self._emptied, None
        if emptied is not None and not emptied.done():
            emptied.set_result(None)

    async def _wait_empty(self) -> None:
        if not self._queue and not self._sending:
            return
        if self._emptied is None:
            self._emptied = asyncio.get_running_loop().create_future()
        # Shielded: a waiter that gives up must not cancel it for the others.
        await asyncio.shield(self._emptied)
