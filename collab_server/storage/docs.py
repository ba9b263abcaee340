"""Live documents in PostgreSQL: a snapshot per document plus its update log."""

from __future__ import annotations

import contextlib
import contextvars
import re
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import pycrdt

from collab_server.live.ports import Record

EMPTY_UPDATE = b"\x00\x00"

# The room's lock across processes is a lease, not a lock for as long as its
# holder lives. A holder that stops (a frozen process, a stalled VM) sits idle
# in the lock's transaction: PostgreSQL ends its session after LEASE_MS, which
# frees the lock and rolls back whatever it had not committed, and its own
# commit, which runs in that same transaction, can then never land out of
# order. A healthy holder keeps the lock for milliseconds (a check and one
# commit). Waiters give up after LOCK_WAIT_MS and the intent is answered
# `unavailable`: a laptop retries, nobody's socket is closed.
LEASE_MS = 3000
LOCK_WAIT_MS = 2000


@dataclass
class _Held:
    name: str
    conn: asyncpg.Connection
    transaction: Any
    committed: bool = False


# The exclusive section this task is in, if any: its commit uses the lease.
# `since` in one statement: the rows after `$2`, and the snapshot when the
# oldest row left is not the next one (compaction squashed what came between).
_SINCE = (
    "WITH f AS (SELECT min(id) AS first FROM doc_updates WHERE name = $1)"
    " SELECT CASE WHEN f.first IS NULL OR f.first > $2 + 1"
    "  THEN (SELECT data FROM doc_snapshots WHERE name = $1) END AS snapshot,"
    " ARRAY(SELECT id FROM doc_updates WHERE name = $1 AND id > $2 ORDER BY id) AS ids,"
    " ARRAY(SELECT data FROM doc_updates WHERE name = $1 AND id > $2 ORDER BY id) AS data"
    " FROM f"
)

_held: contextvars.ContextVar[_Held | None] = contextvars.ContextVar("held", default=None)


def _lock_key(name: str) -> int:
    return zlib.crc32(name.encode()) - 2**31


_REPLAYED = re.compile(r"meeting/([1-9][0-9]{0,17})/(?:room|ink)")


def replayed_meeting(name: str) -> int | None:
    """The meeting whose replay needs this document's history kept: its room
    and its presenter ink; never anyone's notes, inbox or the minutes draft."""
    match = _REPLAYED.fullmatch(name)
    return int(match.group(1)) if match else None


def merge_parts(parts: list[bytes]) -> bytes:
    """Module level, so a worker process can run it."""
    return pycrdt.merge_updates(*parts)


Merge = Callable[[list[bytes]], Awaitable[bytes]]


async def _merge_here(parts: list[bytes]) -> bytes:
    return merge_parts(parts)


class PgDocStore:
    def __init__(self, pool: asyncpg.Pool, *, merge: Merge = _merge_here) -> None:
        """`merge` squashes a log for compaction. pycrdt keeps the GIL while it
        merges (measured: a 55 ms merge in a thread held the event loop for
        147 ms, so a thread would not help), and the server passes one that
        runs in a worker process; without one it merges right here."""
        self.pool = pool
        self._merge = merge

    async def load(self, name: str) -> list[bytes]:
        return (await self.load_positioned(name))[0]

    async def load_positioned(self, name: str) -> tuple[list[bytes], int]:
        """Everything stored, and the id of the last update row (0 if none)."""
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            return await self._load(conn, name)

    @staticmethod
    async def _load(conn: asyncpg.Connection, name: str) -> tuple[list[bytes], int]:
        snapshot = await conn.fetchval("SELECT data FROM doc_snapshots WHERE name = $1", name)
        rows = await conn.fetch(
            "SELECT id, data FROM doc_updates WHERE name = $1 ORDER BY id", name)
        updates = [bytes(r["data"]) for r in rows]
        last = rows[-1]["id"] if rows else 0
        return ([bytes(snapshot), *updates] if snapshot is not None else updates), last

    async def since(self, name: str, after_id: int) -> tuple[list[bytes], int]:
        """Updates stored after row `after_id`. If compaction squashed rows this
        replica had not seen, the snapshot comes first (applying it twice is
        harmless: CRDT updates are idempotent).

        One statement, so one snapshot of the tables without a transaction of
        its own; inside the document's exclusive section it runs on the
        section's connection. Taking a second connection there made every
        intent of a room served by several processes hold two at once: ten
        meetings' intents in flight filled the pool with sections each
        waiting for another connection, until their leases ran out (measured:
        100 meetings on two processes, chairs' replies after 15 s)."""
        held = _held.get()
        if held is not None and held.name == name and not held.committed:
            row = await held.conn.fetchrow(_SINCE, name, after_id)
        else:
            async with self.pool.acquire() as conn:
                row = await conn.fetchrow(_SINCE, name, after_id)
        assert row is not None
        updates = [bytes(data) for data in row["data"]]
        if row["snapshot"] is not None:
            updates.insert(0, bytes(row["snapshot"]))
        ids = row["ids"]
        return updates, (ids[-1] if ids else after_id)

    @contextlib.asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[None]:
        """Held by one process at a time: intents on a room served by several
        processes validate and commit one after another. The lock lives in a
        transaction (see LEASE_MS); `commit_intent` inside the section commits
        that transaction, which also releases the lock."""
        async with self.pool.acquire() as conn:
            transaction = conn.transaction()
            await transaction.start()
            held = _Held(name, conn, transaction)
            try:
                await conn.execute(
                    f"SET LOCAL lock_timeout = {LOCK_WAIT_MS};"
                    f" SET LOCAL idle_in_transaction_session_timeout = {LEASE_MS}")
                await conn.execute("SELECT pg_advisory_xact_lock($1)", _lock_key("x:" + name))
                token = _held.set(held)
                try:
                    yield
                finally:
                    _held.reset(token)
            finally:
                if not held.committed:
                    # Nothing to keep; a session the lease ended is already gone.
                    with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError,
                                             OSError):
                        await transaction.rollback()

    async def initialize(self, name: str, update: bytes) -> tuple[list[bytes], int]:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _lock_key(name))
            existing, last = await self._load(conn, name)
            if existing:
                return existing, last
            row: int = await conn.fetchval(
                "INSERT INTO doc_updates (name, data) VALUES ($1, $2) RETURNING id", name, update)
            return [update], row

    async def append(self, batch: Sequence[tuple[str, bytes]]) -> None:
        async with self.pool.acquire() as conn:
            await conn.executemany("INSERT INTO doc_updates (name, data) VALUES ($1, $2)", batch)

    async def commit_intent(self, name: str, update: bytes, records: Sequence[Record],
                            writes: Sequence[Callable[[Any], Awaitable[None]]] = ()) -> int:
        """Returns the id of the stored update row (0 if there was none)."""
        held = _held.get()
        if held is not None and held.name == name and not held.committed:
            # Inside the exclusive section: in the lease's own transaction.
            row = await self._write_intent(held.conn, name, update, records, writes)
            await held.transaction.commit()
            held.committed = True
            return row
        async with self.pool.acquire() as conn, conn.transaction():
            return await self._write_intent(conn, name, update, records, writes)

    @staticmethod
    async def _write_intent(conn: asyncpg.Connection, name: str, update: bytes,
                            records: Sequence[Record],
                            writes: Sequence[Callable[[Any], Awaitable[None]]]) -> int:
        for write in writes:
            await write(conn)
        row = 0
        if update != EMPTY_UPDATE:
            row = await conn.fetchval(
                "INSERT INTO doc_updates (name, data) VALUES ($1, $2) RETURNING id",
                name, update)
        if not records:
            return row
        # One statement each for the round's events and audit entries, in order.
        await conn.executemany(
            "INSERT INTO meeting_events (meeting_id, actor_id, kind, data)"
            " VALUES ($1, $2, $3, $4)",
            [(r.meeting_id, r.actor_id, r.kind, r.data) for r in records],
        )
        await conn.executemany(
            "INSERT INTO audit_log (actor_id, action, target, details) VALUES ($1, $2, $3, $4)",
            [(r.actor_id, f"intent.{r.kind}", f"meeting:{r.meeting_id}", r.data)
             for r in records],
        )
        return row

    async def compact(self, name: str) -> int:
        """Merge the log into the snapshot (item ids kept) and delete what was merged,
        in one transaction, so a crash leaves either the old rows or the new snapshot."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _lock_key(name))
            rows = await conn.fetch(
                "SELECT id, data FROM doc_updates WHERE name = $1 ORDER BY id", name
            )
            if len(rows) < 2:
                return 0
            snapshot = await conn.fetchval("SELECT data FROM doc_snapshots WHERE name = $1", name)
            parts = ([bytes(snapshot)] if snapshot is not None else []) + [
                bytes(r["data"]) for r in rows
            ]
            merged = await self._merge(parts)
            await conn.execute(
                "INSERT INTO doc_snapshots (name, data, updated_at) VALUES ($1, $2, now())"
                " ON CONFLICT (name) DO UPDATE SET data = excluded.data, updated_at = now()",
                name,
                merged,
            )
            meeting = replayed_meeting(name)
            if meeting is not None:
                # Replay rebuilds the room at any moment from these (docs/replay.md).
                await conn.execute(
                    "INSERT INTO doc_history (id, meeting_id, name, data, created_at)"
                    " SELECT id, $3, name, data, created_at FROM doc_updates"
                    " WHERE name = $1 AND id <= $2"
                    " AND EXISTS (SELECT 1 FROM meetings WHERE id = $3) ON CONFLICT DO NOTHING",
                    name, rows[-1]["id"], meeting)
            await conn.execute(
                "DELETE FROM doc_updates WHERE name = $1 AND id <= $2", name, rows[-1]["id"]
            )
            return len(rows)
