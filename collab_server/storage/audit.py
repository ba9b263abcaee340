"""Sealing and checking the audit log's hash chain (schema/007 and 009).

Writers add entries without waiting for each other; `seal` gives committed
entries their place in the chain soon after. The check recomputes every hash
here, in Python, rather than trusting the database's function: someone able
to edit rows could also replace it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC

import asyncpg


@dataclass(frozen=True, slots=True)
class Problem:
    entry: int
    what: str


SEAL_EVERY = 1.0


async def seal(conn: asyncpg.Connection | asyncpg.Pool) -> int:
    """Chain every committed, unsealed entry; 0 if another process is sealing."""
    sealed = 0
    while n := int(await conn.fetchval("SELECT audit_seal()")):
        sealed += n
    return sealed


def entry_hash(seq: int, entry_id: int, at_utc: str, actor: int | None, action: str,
               target: str, ip: str, details: str, prev_hash: bytes | None) -> bytes:
    text = "|".join((str(seq), str(entry_id), at_utc, "" if actor is None else str(actor), action,
                     target, ip, details, (prev_hash or b"").hex()))
    return hashlib.sha256(text.encode()).digest()


async def verify(conn: asyncpg.Connection) -> tuple[int, list[Problem]]:
    """Every entry's hash, and every link to the entry before it, in the
    chain's order (entries written in the last moment are sealed first)."""
    await seal(conn)
    problems: list[Problem] = []
    previous: bytes | None = None
    count = 0
    async with conn.transaction(isolation="repeatable_read"):
        async for row in conn.cursor(
            "SELECT seq, id, at, actor_id, action, target, ip, details::text AS details,"
            " prev_hash, hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq"
        ):
            count += 1
            prev = bytes(row["prev_hash"]) if row["prev_hash"] is not None else None
            if prev != previous:
                problems.append(Problem(row["id"], "an entry before it was deleted or moved"))
            at = row["at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
            expected = entry_hash(row["seq"], row["id"], at, row["actor_id"], row["action"],
                                  row["target"], row["ip"], row["details"], prev)
            stored = bytes(row["hash"]) if row["hash"] is not None else None
            if stored != expected:
                problems.append(Problem(row["id"], "the entry was edited"))
            previous = stored
    return count, problems
