"""The outbox: what other features call to tell people something.

`enqueue` runs on the caller's connection, inside the caller's transaction:
the notification exists if and only if the change it tells of committed, and
a restart between the two loses nothing. It fans out at once to each
person's chosen channels (one row per person and channel), and a `key` names
the event, so asking twice for the same event queues nothing new.

A notification carries a subject, a short text and a link into the app:
never the content of a document, nor the title of an internal or
confidential one (docs/notifications.md). The delivery itself is
`notify.worker`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import asyncpg

EMAIL = "email"
GATEWAY = "gateway"
CHANNELS = (EMAIL, GATEWAY)

MAX_SUBJECT = 300
MAX_TEXT = 20_000


@dataclass(frozen=True, slots=True)
class Recipient:
    """A person as the outbox sees them when queuing: their chosen channels
    and addresses (schema/024 `notification_settings`, defaults when none)."""

    user_id: int
    full_name: str
    email: str
    phone: str
    by_email: bool
    by_gateway: bool

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels something can reach them on now."""
        out: list[str] = []
        if self.by_email and self.email:
            out.append(EMAIL)
        if self.by_gateway and self.phone:
            out.append(GATEWAY)
        return tuple(out)


_RECIPIENTS = (
    "SELECT u.id, u.full_name, coalesce(s.email, '') AS email, coalesce(s.phone, '') AS phone,"
    " coalesce(s.by_email, true) AS by_email, coalesce(s.by_gateway, false) AS by_gateway"
    " FROM users u LEFT JOIN notification_settings s ON s.user_id = u.id"
    " WHERE u.id = ANY($1::bigint[]) AND u.is_active AND u.room_id IS NULL ORDER BY u.id"
)


async def recipients(conn: asyncpg.Connection, user_ids: Iterable[int]) -> list[Recipient]:
    """Active people among `user_ids` (a room's display account is no one to
    tell), with their channels."""
    rows = await conn.fetch(_RECIPIENTS, sorted(set(user_ids)))
    return [Recipient(r["id"], r["full_name"], r["email"], r["phone"], r["by_email"],
                      r["by_gateway"]) for r in rows]


IcsFor = Callable[[Recipient], bytes]


async def enqueue(conn: asyncpg.Connection, *, user_ids: Iterable[int], kind: str,
                  subject: str, text: str, link: str = "", key: str,
                  ics: bytes | IcsFor | None = None,
                  not_before: datetime | None = None) -> int:
    """Queue one notification for each of `user_ids` on each channel they chose.

    Call it inside the transaction of the change it tells of. `key` names the
    event ("meeting:12:invitation:1"); a person already queued under that key
    on a channel gets nothing more. `ics`: the calendar file (bytes, or made
    for each recipient, e.g. with their ATTENDEE line); only e-mail carries it.
    `not_before`: a reminder is not sent before then (cancel it with `cancel`
    when it is no longer due). Returns how many rows were queued.
    """
    # A caller's mistake, said before it could fail the caller's own change.
    if not 1 <= len(key) <= 300 or not 1 <= len(kind) <= 100 or len(link) > 2000:
        raise ValueError("key, kind and link must be 1-300, 1-100 and at most 2000 characters")
    rows: list[tuple[object, ...]] = []
    for person in await recipients(conn, user_ids):
        for channel in person.channels:
            calendar = None
            if channel == EMAIL and ics is not None:
                calendar = ics if isinstance(ics, bytes) else ics(person)
            rows.append((person.user_id, channel, kind, key, subject[:MAX_SUBJECT],
                         text[:MAX_TEXT], link, calendar, not_before))
    if not rows:
        return 0
    queued = await conn.fetch(
        "INSERT INTO notification_outbox (user_id, channel, kind, key, subject, body, link, ics,"
        " not_before)"
        " SELECT r.user_id, r.channel, r.kind, r.key, r.subject, r.body, r.link, r.ics,"
        "  coalesce(r.not_before, clock_timestamp())"
        " FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
        "  $7::text[], $8::bytea[], $9::timestamptz[])"
        "  AS r(user_id, channel, kind, key, subject, body, link, ics, not_before)"
        " ON CONFLICT (user_id, channel, key) DO NOTHING RETURNING id",
        *[list(column) for column in zip(*rows, strict=True)])
    return len(queued)


async def cancel(conn: asyncpg.Connection, key_prefix: str,
                 user_ids: Iterable[int] | None = None) -> int:
    """Withdraw what is queued and not sent under keys starting with
    `key_prefix` (a reminder no longer due, a task done), for everyone or for
    `user_ids`. What was sent stays sent. Returns how many were withdrawn."""
    if not key_prefix:
        raise ValueError("key_prefix must not be empty")
    pattern = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    ids = None if user_ids is None else sorted(set(user_ids))
    done = await conn.fetch(
        "UPDATE notification_outbox SET cancelled_at = clock_timestamp()"
        " WHERE key LIKE $1 AND sent_at IS NULL AND cancelled_at IS NULL"
        " AND ($2::bigint[] IS NULL OR user_id = ANY($2::bigint[])) RETURNING id",
        pattern, ids)
    return len(done)
