"""Polls and ballots in PostgreSQL."""

from __future__ import annotations

import asyncpg


class PgVoting:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
