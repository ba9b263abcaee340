"""The connection pool and the migrations in schema/."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path
from typing import Any

import asyncpg
import orjson

log = logging.getLogger(__name__)

# What a database that is away (stopped, restarting, unreachable, its
# connections cut) raises: answered as `unavailable` (HTTP 503, the intent's
# error), never as a server error. A bug's error (a constraint, bad SQL) is
# not among them.
OUTAGE: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,
    asyncpg.InterfaceError,
    OSError,
    TimeoutError,
)

# Whichever process migrates first holds this; the others wait and find nothing to do.
MIGRATION_LOCK = 7_340_001


def schema_dir() -> Path:
    """schema/ beside the package in a checkout, or shipped inside it when installed."""
    packaged = Path(str(resources.files("collab_server"))) / "schema"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "schema"


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda value: orjson.dumps(value).decode(),
        decoder=orjson.loads,
        schema="pg_catalog",
    )


async def _release(conn: asyncpg.Connection) -> None:
    """What a connection needs on its way back to the pool: nothing beyond
    what asyncpg always does (an open transaction is rolled back). asyncpg's
    default also sends `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL`, a round trip per release, which doubled the queries of a
    socket opening. Nothing here leaves session state behind: locks are
    taken with `pg_advisory_xact_lock` (the migration lock is released in a
    `finally`), settings with `SET LOCAL`, cursors live in transactions, and
    nothing listens."""


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection, command_timeout=30,
        reset=_release,
    )
    return pool


class MigrationRefused(RuntimeError):
    """A migration is pending and the connected role may not apply it."""


async def migrate(conn: asyncpg.Connection, directory: Path | None = None) -> list[str]:
    """Apply every migration not yet recorded, in order, each in its own transaction."""
    directory = directory or schema_dir()
    files = sorted(p for p in directory.glob("*.sql") if p.name[:3].isdigit())
    applied: list[str] = []
    # The server may run as a role that owns nothing (docs/operations.md): it
    # only reads what the owner's `phonghop migrate` applied.
    if await conn.fetchval("SELECT to_regclass('schema_migrations')") is None:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        for path in files:
            if path.name in done:
                continue
            async with conn.transaction():
                try:
                    await conn.execute(path.read_text(encoding="utf-8"))
                except asyncpg.InsufficientPrivilegeError as exc:
                    raise MigrationRefused(
                        f"Migration {path.name} chưa được áp dụng và vai trò này không có quyền "
                        "áp dụng: chạy `phonghop migrate` bằng vai trò sở hữu cơ sở dữ liệu. / "
                        f"{path.name} is not applied and this role may not apply it: run "
                        "`phonghop migrate` as the database's owner role.") from exc
                await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", path.name)
            log.info("applied migration %s", path.name)
            applied.append(path.name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    return applied


async def health(pool: asyncpg.Pool) -> dict[str, Any]:
    try:
        async with pool.acquire(timeout=2) as conn:
            await conn.fetchval("SELECT 1")
    except Exception as exc:  # reported, not raised: health must answer when the database cannot
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "ok", "pool_size": pool.get_size(), "pool_idle": pool.get_idle_size()}
