"""Group commit: the intents of a room that wait for each other commit together.

A room's intents are decided one at a time, each against the state the ones
before it left. Committed one transaction each, a burst (91 ballots within a
second) queued behind 91 flushes to disk, and the last voter waited seconds.
Now an intent that arrives while its room is committing waits in the room's
queue, and the next round takes every intent waiting:

1. each handler runs in turn on one fork of the replica (`Staging`), which
   holds the round's earlier changes, so the rules see them;
2. one transaction stores the round's merged update, every domain row (a
   ballot), and each intent's meeting event and audit entry, in order;
3. only then does the replica change, once, with one frame to every socket,
   and each intent is answered: an answer still means "stored".

A handler that refuses its intent refuses it alone. A rule that only the
database enforces (a unique ballot per voter) refusing a round sends that
round again one intent per transaction, so one refused intent never takes
the others down with it; an outage fails the whole round, and nothing of it
was stored or shown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

import pycrdt

from collab_server.domain.intents import Change, Context, Handler
from collab_server.errors import AppError, Unavailable
from collab_server.live.connection import Connection
from collab_server.live.document import EMPTY_UPDATE, LiveDoc, Staging
from collab_server.live.ports import DocStore, Record, YDoc
from collab_server.metrics import Metrics

log = logging.getLogger(__name__)

# The most intents one round takes: a round is one transaction, and a room's
# biggest burst is a vote of every member (a plenary holds some hundred).
MAX_ROUND = 256


@dataclass(eq=False, slots=True)
class Waiting:
    conn: Connection
    args: dict[str, object]
    handler: Handler
    answer: asyncio.Future[Change]


@dataclass(eq=False, slots=True)
class Queue:
    """A room's intents waiting for the next round, and whether one is running."""

    waiting: list[Waiting] = field(default_factory=list)
    running: bool = False


class RoundRefused(Exception):
    """The database refused a round of several intents: try each alone."""


class Rounds:
    def __init__(
        self,
        store: DocStore,
        metrics: Metrics,
        *,
        exclusive: Callable[[LiveDoc], AbstractAsyncContextManager[None]],
        context: Callable[[LiveDoc, Connection, YDoc], Context],
        stored: Callable[[LiveDoc], None],
        spawn: Callable[[Coroutine[None, None, None]], None],
    ) -> None:
        self.store = store
        self.metrics = metrics
        self._exclusive = exclusive
        self._context = context
        self._stored = stored
        self._spawn = spawn
        self._queues: dict[str, Queue] = {}
        self.rounds = 0
        self.committed = 0
        metrics.counter("phonghop_intent_rounds_total",
                        "Transactions that committed intents (several intents each in a burst).",
                        lambda: self.rounds)
        metrics.counter("phonghop_intents_committed_total", "Intents committed.",
                        lambda: self.committed)

    async def submit(self, live: LiveDoc, conn: Connection, handler: Handler,
                     args: dict[str, object]) -> Change:
        """Decide and commit one intent in the room's next round; its Change once
        stored, or the AppError that refused it."""
        queue = self._queues.setdefault(live.name, Queue())
        waiting = Waiting(conn, args, handler, asyncio.get_running_loop().create_future())
        queue.waiting.append(waiting)
        if not queue.running:
            queue.running = True
            self._spawn(self._drain(live, queue))
        return await waiting.answer

    async def _drain(self, live: LiveDoc, queue: Queue) -> None:
        try:
            while queue.waiting:
                async with live.lock:
                    # Everything that arrived while the lock was taken joins.
                    batch = [w for w in queue.waiting[:MAX_ROUND] if not w.answer.done()]
                    del queue.waiting[:MAX_ROUND]
                    if not batch:
                        continue
                    try:
                        await self._round(live, batch)
                    except RoundRefused:
                        for waiting in batch:
                            if not waiting.answer.done():
                                await self._round(live, [waiting])
        except asyncio.CancelledError:
            # The server is stopping: nobody is left waiting for an answer.
            for waiting in queue.waiting:
                _settle(waiting, Unavailable())
            queue.waiting.clear()
            raise
        finally:
            queue.running = False
            if queue.waiting:  # came in as this task was ending
                queue.running = True
                self._spawn(self._drain(live, queue))
            elif self._queues.get(live.name) is queue:
                del self._queues[live.name]

    async def _round(self, live: LiveDoc, batch: list[Waiting]) -> None:
        decided: list[tuple[Waiting, Change]] = []
        try:
            async with self._exclusive(live):
                staging = Staging(live.doc)
                updates: list[bytes] = []
                for waiting in batch:
                    outcome = await self._decide(live, staging, waiting)
                    if outcome is None:
                        # Refused; a change that failed half-way may have left
                        # part of itself in the fork: rebuild it.
                        if staging.dirty:
                            staging = Staging(live.doc)
                            for update in updates:
                                staging.doc.apply_update(update)
                        continue
                    change, update = outcome
                    decided.append((waiting, change))
                    if update != EMPTY_UPDATE:
                        updates.append(update)
                if not decided:
                    return
                merged = (EMPTY_UPDATE if not updates else updates[0] if len(updates) == 1
                          else pycrdt.merge_updates(*updates))
                records = [Record(live.key.meeting_id, w.conn.identity.user_id, c.event, c.data)
                           for w, c in decided]
                writes = [write for _, c in decided for write in c.writes]
                try:
                    row = await self.store.commit_intent(live.name, merged, records, writes)
                except AppError:
                    if len(decided) > 1:
                        raise RoundRefused() from None
                    raise
        except RoundRefused:
            raise
        except AppError as exc:  # a rule the database enforces refused the one intent
            for waiting, _ in decided:
                _settle(waiting, exc)
            return
        except Exception:
            # Storage away (the lock across processes, the commit): nothing of
            # the round was stored or shown; every intent in it is refused.
            self.metrics.db_errors += 1
            log.exception("committing a round of %d intents to %s failed; nothing changed",
                          len(batch), live.name)
            for waiting in batch:
                _settle(waiting, Unavailable())
            return
        if merged != EMPTY_UPDATE:
            live.apply_committed(merged)
            live.last_id = max(live.last_id, row)
            self._stored(live)
        # Out now, ahead of the answers: a client that reads "ok" has the state.
        live.flush_now()
        self.rounds += 1
        self.committed += len(decided)
        for waiting, change in decided:
            if not waiting.answer.done():
                waiting.answer.set_result(change)

    async def _decide(self, live: LiveDoc, staging: Staging,
                      waiting: Waiting) -> tuple[Change, bytes] | None:
        """Run one intent's handler on the fork: its change and update, or None
        when it is refused (its answer then holds the error)."""
        try:
            ctx = self._context(live, waiting.conn, staging.doc)
            change = await waiting.handler(ctx, waiting.args)
            return change, staging.apply(change.apply)
        except AppError as exc:
            _settle(waiting, exc)
        except Exception:
            # A fault of ours or a read of storage: this intent is refused,
            # the others go on.
            self.metrics.db_errors += 1
            log.exception("an intent failed; answered unavailable",
                          extra={"user_id": waiting.conn.identity.user_id})
            _settle(waiting, Unavailable())
        return None


def _settle(waiting: Waiting, error: BaseException) -> None:
    if not waiting.answer.done():
        waiting.answer.set_exception(error)
