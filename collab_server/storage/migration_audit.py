"""What a migration changed in people's records, moved onto the audit chain.

A migration cannot write a sealed audit entry: the chain's hashes are keyed
with a key the database never holds, and an entry sealed long after its date
reads as backdated (storage/audit.py). So a migration leaves its entries in
`migration_audit` (schema/015) and each server, when it starts, moves them into
the audit log in one transaction; its sealer chains them a second later. Two
servers starting together move each entry once (the rows are deleted as they
are moved)."""

from __future__ import annotations

import asyncpg

_MOVE = """
WITH moved AS (
    DELETE FROM migration_audit RETURNING id, action, target, details, migration, at
), written AS (
    INSERT INTO audit_log (action, target, details)
    SELECT action, target, details || jsonb_build_object('migrated_at', at)
      FROM moved ORDER BY id
    RETURNING 1
)
SELECT count(*) FROM written
"""


async def write_pending(pool: asyncpg.Pool) -> int:
    """Moves every pending entry into the audit log; returns how many."""
    async with pool.acquire() as conn, conn.transaction():
        return int(await conn.fetchval(_MOVE))
