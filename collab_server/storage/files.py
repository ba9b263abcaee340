"""File contents addressed by SHA-256, in PostgreSQL so every server sees them."""

from __future__ import annotations

import hashlib

import asyncpg

CHUNK = 1024 * 1024


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


async def put(conn: asyncpg.Connection, data: bytes) -> bytes:
    """Store `data` (once, however often it is uploaded) within the caller's
    transaction; return its hash."""
    digest = sha256(data)
    created = await conn.fetchval(
        "INSERT INTO files (sha256, size) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1",
        digest,
        len(data),
    )
    if created:
        await conn.executemany(
            "INSERT INTO file_chunks (sha256, seq, data) VALUES ($1, $2, $3)",
            [(digest, i, data[offset : offset + CHUNK])
             for i, offset in enumerate(range(0, max(len(data), 1), CHUNK))],
        )
    return digest


async def get(pool: asyncpg.Pool, digest: bytes) -> bytes | None:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT data FROM file_chunks WHERE sha256 = $1 ORDER BY seq", digest
        )
    if not rows:
        return None
    return b"".join(bytes(r["data"]) for r in rows)
