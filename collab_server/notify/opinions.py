"""What the members of a written opinion request (phiếu lấy ý kiến,
domain/opinions.py) are told: the request when it goes out, a reminder at
each reminder time for those who have not answered, nothing more once they
answer or the summary is issued.

Every reminder is queued when the request goes out, held until its time
(`not_before`); answering withdraws that member's, the summary everyone's.
The title is named only for a public request, like a document's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import asyncpg

from collab_server.notify import outbox
from collab_server.notify.meetings import WEEKDAYS, Site


def link(site: Site, request_id: int) -> str:
    return f"{site.public_url.rstrip('/')}/#/opinions/{request_id}"


def _until(day: date) -> str:
    """Answers are taken until the end of the deadline day."""
    return f"hết ngày {WEEKDAYS[day.weekday()].lower()}, {day:%d/%m/%Y}"


async def request_sent(conn: asyncpg.Connection, site: Site, request_id: int,
                       reminders: Iterable[datetime]) -> int:
    row = await conn.fetchrow(
        "SELECT r.title, r.confidentiality, r.deadline_day, b.name AS body"
        " FROM opinion_requests r"
        " JOIN bodies b ON b.id = r.body_id WHERE r.id = $1", request_id)
    if row is None or row["deadline_day"] is None:
        return 0
    members = [r["user_id"] for r in await conn.fetch(
        "SELECT user_id FROM opinion_members WHERE request_id = $1", request_id)]
    about = f" về: {row['title']}" if row["confidentiality"] == "public" else ""
    until = _until(row["deadline_day"])
    here = link(site, request_id)
    queued = await outbox.enqueue(
        conn, user_ids=members, kind="opinion.request",
        subject=f"Xin ý kiến bằng phiếu{about}" if about else "Xin ý kiến bằng phiếu",
        text=(f"{row['body']} đề nghị Ông/Bà cho ý kiến bằng phiếu{about}.\n"
              f"Hạn trả lời: {until}.\n\nXem và trả lời phiếu: {here}"),
        link=here, key=f"opinion:{request_id}:request")
    for at in reminders:
        queued += await outbox.enqueue(
            conn, user_ids=members, kind="opinion.reminder",
            subject="Nhắc: phiếu lấy ý kiến sắp hết hạn",
            text=(f"Ông/Bà chưa trả lời phiếu lấy ý kiến{about} của {row['body']}.\n"
                  f"Hạn trả lời: {until}.\n\nTrả lời phiếu: {here}"),
            link=here, key=f"opinion:{request_id}:reminder:{at.isoformat()}", not_before=at)
    return queued


async def answered(conn: asyncpg.Connection, request_id: int, user_id: int) -> int:
    """The member answered: no reminder for them any more."""
    return await outbox.cancel(conn, f"opinion:{request_id}:reminder:", [user_id])


async def closed(conn: asyncpg.Connection, request_id: int) -> int:
    """The summary is issued: no reminder for anyone any more."""
    return await outbox.cancel(conn, f"opinion:{request_id}:reminder:")
