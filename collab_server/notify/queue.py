"""The worker's side of the outbox: claim what is due, mark it sent or failed;
and what a body's admin sees of it.

A claim takes due rows with `FOR UPDATE SKIP LOCKED` (two processes never take
the same row) and, in the same statement, moves their next attempt to the end
of a lease and stamps them with a claim id: a worker that dies mid-send lets
the row come due again when the lease ends, and only the claim that sent a
row marks it sent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from collab_server.domain.calendar import iso


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    claim: uuid.UUID
    user_id: int
    channel: str
    kind: str
    subject: str
    body: str
    link: str
    ics: bytes | None
    attempts: int
    # Read when claimed: the person's address and choice now, not when queued.
    full_name: str
    email: str
    phone: str
    still_chosen: bool


async def claim(conn: asyncpg.Connection, *, limit: int, lease_s: float) -> list[Claimed]:
    token = uuid.uuid4()
    rows = await conn.fetch(
        "WITH due AS (SELECT id FROM notification_outbox"
        "  WHERE sent_at IS NULL AND cancelled_at IS NULL AND failed_at IS NULL"
        "  AND next_attempt_at <= clock_timestamp() AND not_before <= clock_timestamp()"
        "  ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)"
        " UPDATE notification_outbox o SET claim = $2, attempts = o.attempts + 1,"
        "  next_attempt_at = clock_timestamp() + make_interval(secs => $3)"
        " FROM due WHERE o.id = due.id"
        " RETURNING o.id, o.user_id, o.channel, o.kind, o.subject, o.body, o.link, o.ics,"
        "  o.attempts",
        limit, token, lease_s)
    if not rows:
        return []
    people = {r["id"]: r for r in await conn.fetch(
        "SELECT u.id, u.full_name, u.is_active, coalesce(s.email, '') AS email,"
        " coalesce(s.phone, '') AS phone, coalesce(s.by_email, true) AS by_email,"
        " coalesce(s.by_gateway, false) AS by_gateway"
        " FROM users u LEFT JOIN notification_settings s ON s.user_id = u.id"
        " WHERE u.id = ANY($1::bigint[])", [r["user_id"] for r in rows])}
    out = []
    for r in sorted(rows, key=lambda r: int(r["id"])):
        p = people[r["user_id"]]
        chosen = p["is_active"] and (
            (p["by_email"] and p["email"]) if r["channel"] == "email"
            else (p["by_gateway"] and p["phone"]))
        out.append(Claimed(r["id"], token, r["user_id"], r["channel"], r["kind"], r["subject"],
                           r["body"], r["link"], bytes(r["ics"]) if r["ics"] else None,
                           r["attempts"], p["full_name"], p["email"], p["phone"],
                           bool(chosen)))
    return out


async def mark_sent(conn: asyncpg.Connection, row: Claimed) -> bool:
    """Sent: only by the claim that sent it (a cancel that came meanwhile is
    overruled, since the message is out)."""
    done = await conn.fetchval(
        "UPDATE notification_outbox SET sent_at = clock_timestamp(), cancelled_at = NULL,"
        " failed_at = NULL WHERE id = $1 AND claim = $2 AND sent_at IS NULL RETURNING id",
        row.id, row.claim)
    return done is not None


async def mark_retry(conn: asyncpg.Connection, row: Claimed, error: str, delay_s: float,
                     *, give_up: bool) -> None:
    await conn.execute(
        "UPDATE notification_outbox SET last_error = $3, claim = NULL,"
        " next_attempt_at = clock_timestamp() + make_interval(secs => $4),"
        " failed_at = CASE WHEN $5 THEN clock_timestamp() END"
        " WHERE id = $1 AND claim = $2 AND sent_at IS NULL",
        row.id, row.claim, error[:1000], delay_s, give_up)


async def release(conn: asyncpg.Connection, row: Claimed) -> None:
    """Not sent: due again at once, for any worker (this one is stopping)."""
    await conn.execute(
        "UPDATE notification_outbox SET claim = NULL, attempts = greatest(attempts - 1, 0),"
        " next_attempt_at = clock_timestamp() WHERE id = $1 AND claim = $2 AND sent_at IS NULL",
        row.id, row.claim)


async def mark_dropped(conn: asyncpg.Connection, row: Claimed, reason: str) -> None:
    """Not to be sent any more: the person turned the channel off, removed the
    address or left, or the channel is not configured on this server."""
    await conn.execute(
        "UPDATE notification_outbox SET cancelled_at = clock_timestamp(), last_error = $3"
        " WHERE id = $1 AND claim = $2 AND sent_at IS NULL", row.id, row.claim, reason[:1000])


# -- what a body's admin sees -----------------------------------------------------------------

STATES = ("pending", "failed", "sent", "cancelled")
_STATE_SQL = {
    "pending": "o.sent_at IS NULL AND o.cancelled_at IS NULL AND o.failed_at IS NULL",
    "failed": "o.sent_at IS NULL AND o.cancelled_at IS NULL AND o.failed_at IS NOT NULL",
    "sent": "o.sent_at IS NOT NULL",
    "cancelled": "o.cancelled_at IS NOT NULL",
}


def _state(r: asyncpg.Record) -> str:
    if r["sent_at"] is not None:
        return "sent"
    if r["cancelled_at"] is not None:
        return "cancelled"
    return "failed" if r["failed_at"] is not None else "pending"


def _at(value: datetime | None) -> str | None:
    return iso(value) if value is not None else None


async def of_body(pool: asyncpg.Pool, body_id: int, state: str | None,
                  limit: int = 200) -> dict[str, Any]:
    """The outbox of one body's people, newest first, and counts by state."""
    where = _STATE_SQL[state] if state else "true"
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT o.id, o.user_id, u.full_name, o.channel, o.kind, o.subject, o.created_at,"
            " o.not_before, o.next_attempt_at, o.attempts, o.last_error, o.failed_at, o.sent_at,"
            " o.cancelled_at FROM notification_outbox o JOIN users u ON u.id = o.user_id"
            f" WHERE u.body_id = $1 AND {where} ORDER BY o.id DESC LIMIT $2", body_id, limit)
        counts = await conn.fetch(
            "SELECT CASE WHEN o.sent_at IS NOT NULL THEN 'sent'"
            " WHEN o.cancelled_at IS NOT NULL THEN 'cancelled'"
            " WHEN o.failed_at IS NOT NULL THEN 'failed' ELSE 'pending' END AS state, count(*)"
            " FROM notification_outbox o JOIN users u ON u.id = o.user_id WHERE u.body_id = $1"
            " GROUP BY 1", body_id)
    return {
        "notifications": [{
            "id": r["id"], "user_id": r["user_id"], "full_name": r["full_name"],
            "channel": r["channel"], "kind": r["kind"], "subject": r["subject"],
            "state": _state(r), "attempts": r["attempts"], "last_error": r["last_error"],
            "created_at": _at(r["created_at"]), "not_before": _at(r["not_before"]),
            "next_attempt_at": _at(r["next_attempt_at"]), "sent_at": _at(r["sent_at"]),
            "cancelled_at": _at(r["cancelled_at"]), "failed_at": _at(r["failed_at"]),
        } for r in rows],
        "counts": {s: 0 for s in STATES} | {r["state"]: r["count"] for r in counts},
    }


async def retry_now(pool: asyncpg.Pool, body_id: int, notification_id: int) -> str | None:
    """Due again now, given up or waiting: None when the body has no such
    notification, else its state before ("sent" and "cancelled" stay so, and
    one a worker is sending now is left to it: "sending")."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "SELECT o.sent_at, o.cancelled_at, o.failed_at, o.claim FROM notification_outbox o"
            " JOIN users u ON u.id = o.user_id WHERE o.id = $1 AND u.body_id = $2 FOR UPDATE OF o",
            notification_id, body_id)
        if row is None:
            return None
        state = _state(row)
        if state == "pending" and row["claim"] is not None:
            return "sending"  # a worker holds it now; due again if its lease ends
        if state in ("pending", "failed"):
            await conn.execute(
                "UPDATE notification_outbox SET failed_at = NULL,"
                " next_attempt_at = clock_timestamp() WHERE id = $1", notification_id)
        return state
