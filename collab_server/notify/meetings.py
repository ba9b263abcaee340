"""What a meeting's people are told, and when: the invitation (with the
calendar entry), a change of time or place after it, a document added, a
person added or taken off the list after the invitations went out.

Each function runs on the connection of the change's own transaction. The
messages name the meeting, its time and place, and link into the app; never
a document's content, nor the title of a document that is not public.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from collab_server.domain.calendar import LOCAL_TZ
from collab_server.notify import ics, outbox
from collab_server.notify.outbox import Recipient

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
# Told of changes while invitations stand; after the meeting there is nothing to tell.
TOLD = ("invited", "in_session")


@dataclass(frozen=True, slots=True)
class Site:
    """Where the links point, and who the calendar entries come from."""

    public_url: str
    mail_from: str

    def meeting_link(self, meeting_id: int) -> str:
        return f"{self.public_url.rstrip('/')}/#/meeting/{meeting_id}"

    @property
    def domain(self) -> str:
        return self.mail_from.rpartition("@")[2] or "phonghop.local"


@dataclass(frozen=True, slots=True)
class Facts:
    meeting_id: int
    title: str
    status: str
    starts_at: datetime
    ends_at: datetime | None
    room_id: int | None
    room: str
    body: str
    people: tuple[int, ...]


async def _facts(conn: asyncpg.Connection, meeting_id: int) -> Facts | None:
    row = await conn.fetchrow(
        "SELECT m.title, m.confidentiality, m.status, m.starts_at, m.ends_at, m.room_id,"
        " coalesce(r.name, '') AS room, b.name AS body FROM meetings m"
        " JOIN bodies b ON b.id = m.body_id"
        " LEFT JOIN rooms r ON r.id = m.room_id WHERE m.id = $1", meeting_id)
    if row is None:
        return None
    people = await conn.fetch(
        "SELECT user_id FROM meeting_participants WHERE meeting_id = $1 AND role <> 'display'",
        meeting_id)
    return Facts(meeting_id, shown_title(row["title"], row["confidentiality"], row["starts_at"]),
                 row["status"], row["starts_at"], row["ends_at"],
                 row["room_id"], row["room"], row["body"],
                 tuple(p["user_id"] for p in people))


def shown_title(title: str, confidentiality: str, starts_at: datetime) -> str:
    """What a message calls the meeting: its title, but for a confidential
    meeting only its day (the title of a "MẬT" meeting says what it is about,
    and mail leaves the province's systems); the link says the rest."""
    if confidentiality != "confidential":
        return title
    return f"Cuộc họp ngày {starts_at.astimezone(LOCAL_TZ):%d/%m/%Y}"


def when(starts_at: datetime, ends_at: datetime | None = None) -> str:
    """"08:00 - 11:30, Thứ Sáu, ngày 05/12/2026", in Vietnam's time."""
    start = starts_at.astimezone(LOCAL_TZ)
    hours = f"{start:%H:%M}"
    if ends_at is not None:
        end = ends_at.astimezone(LOCAL_TZ)
        if end.date() == start.date():
            hours += f" - {end:%H:%M}"
    return f"{hours}, {WEEKDAYS[start.weekday()]}, ngày {start:%d/%m/%Y}"


def _place(f: Facts) -> str:
    return f.room or "(sẽ thông báo sau)"


def _entry(site: Site, f: Facts, sequence: int) -> ics.MeetingEntry:
    return ics.MeetingEntry(
        uid=f"meeting-{f.meeting_id}@{site.domain}", sequence=sequence, title=f.title,
        starts_at=f.starts_at, ends_at=f.ends_at, location=f.room,
        link=site.meeting_link(f.meeting_id), organizer_email=site.mail_from,
        organizer_name=f.body)


def _calendar(site: Site, f: Facts, sequence: int, method: str) -> outbox.IcsFor:
    entry = _entry(site, f, sequence)

    def make(person: Recipient) -> bytes:
        return ics.entry(entry, method=method, attendee_email=person.email,
                         attendee_name=person.full_name)
    return make


async def _told(conn: asyncpg.Connection, meeting_id: int) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT sequence, starts_at, ends_at, room_id FROM notification_meetings"
        " WHERE meeting_id = $1 FOR UPDATE", meeting_id)
    return row


def _invitation_text(site: Site, f: Facts) -> str:
    return (f"{f.body} trân trọng kính mời Ông/Bà dự cuộc họp:\n"
            f"{f.title}\n"
            f"Thời gian: {when(f.starts_at, f.ends_at)}\n"
            f"Địa điểm: {_place(f)}\n\n"
            f"Giấy mời, chương trình và tài liệu: {site.meeting_link(f.meeting_id)}\n"
            "Xin Ông/Bà trả lời giấy mời (tham dự, báo vắng hoặc cử người dự thay) trong hệ thống.")


async def invitations_sent(conn: asyncpg.Connection, site: Site, meeting_id: int) -> int:
    """The meeting moved to "invited": every person on its list is told, with
    the calendar entry (a re-sending after a recall gets a higher SEQUENCE)."""
    f = await _facts(conn, meeting_id)
    if f is None:
        return 0
    sequence: int = await conn.fetchval(
        "INSERT INTO notification_meetings (meeting_id, sequence, starts_at, ends_at, room_id)"
        " VALUES ($1, 0, $2, $3, $4) ON CONFLICT (meeting_id) DO UPDATE"
        " SET sequence = notification_meetings.sequence + 1, starts_at = $2, ends_at = $3,"
        " room_id = $4 RETURNING sequence", meeting_id, f.starts_at, f.ends_at, f.room_id)
    return await _invite(conn, site, f, f.people, sequence)


async def _invite(conn: asyncpg.Connection, site: Site, f: Facts, people: tuple[int, ...],
                  sequence: int, *, event: str = "") -> int:
    return await outbox.enqueue(
        conn, user_ids=people, kind="meeting.invitation", subject=f"Giấy mời họp: {f.title}",
        text=_invitation_text(site, f), link=site.meeting_link(f.meeting_id),
        key=f"meeting:{f.meeting_id}:invitation:{sequence}{event}",
        ics=_calendar(site, f, sequence, "REQUEST"))


async def invitations_recalled(conn: asyncpg.Connection, meeting_id: int) -> int:
    """Back to draft for a correction: what is not sent yet is not sent."""
    return await outbox.cancel(conn, f"meeting:{meeting_id}:")


async def meeting_changed(conn: asyncpg.Connection, site: Site, meeting_id: int) -> int:
    """After a save of the meeting: if its time or place is not what the
    invitees were told, they are told the new one (a higher SEQUENCE)."""
    f = await _facts(conn, meeting_id)
    told = await _told(conn, meeting_id)
    if f is None or told is None or f.status not in TOLD:
        return 0
    if (told["starts_at"], told["ends_at"], told["room_id"]) == (f.starts_at, f.ends_at,
                                                                 f.room_id):
        return 0
    sequence = told["sequence"] + 1
    await conn.execute(
        "UPDATE notification_meetings SET sequence = $2, starts_at = $3, ends_at = $4,"
        " room_id = $5 WHERE meeting_id = $1", meeting_id, sequence, f.starts_at, f.ends_at,
        f.room_id)
    # An earlier change not sent yet is superseded; an invitation not sent yet
    # still goes first (the worker keeps the order), then this.
    await outbox.cancel(conn, f"meeting:{meeting_id}:change:")
    text = (f"Cuộc họp \u201c{f.title}\u201d có thay đổi về thời gian hoặc địa điểm.\n"
            f"Thời gian: {when(f.starts_at, f.ends_at)}\n"
            f"Địa điểm: {_place(f)}\n\n"
            f"Chi tiết: {site.meeting_link(meeting_id)}")
    return await outbox.enqueue(
        conn, user_ids=f.people, kind="meeting.changed",
        subject=f"Thay đổi lịch họp: {f.title}", text=text, link=site.meeting_link(meeting_id),
        key=f"meeting:{meeting_id}:change:{sequence}",
        ics=_calendar(site, f, sequence, "REQUEST"))


async def document_added(conn: asyncpg.Connection, site: Site, meeting_id: int,
                         document_id: int, *, title: str, public: bool) -> int:
    """A document added after the invitations went out. Its title is named
    only when the document is public; its content never."""
    f = await _facts(conn, meeting_id)
    if f is None or f.status not in TOLD or await _told(conn, meeting_id) is None:
        return 0
    named = f": \u201c{title}\u201d" if public else ""
    text = (f"Cuộc họp \u201c{f.title}\u201d ({when(f.starts_at)}) có thêm tài liệu{named}.\n"
            f"Xem tài liệu trong hệ thống: {site.meeting_link(meeting_id)}")
    return await outbox.enqueue(
        conn, user_ids=f.people, kind="meeting.document",
        subject=f"Tài liệu mới cho cuộc họp: {f.title}", text=text,
        link=site.meeting_link(meeting_id), key=f"meeting:{meeting_id}:document:{document_id}")


async def participant_added(conn: asyncpg.Connection, site: Site, meeting_id: int,
                            user_id: int) -> int:
    """Someone added after the invitations went out gets theirs."""
    f = await _facts(conn, meeting_id)
    told = await _told(conn, meeting_id)
    if f is None or told is None or f.status != "invited":
        return 0
    await outbox.cancel(conn, f"meeting:{meeting_id}:removed:", [user_id])
    # Each adding is its own event: someone taken off and added again is invited again.
    adding = await conn.fetchval("SELECT txid_current()")
    return await _invite(conn, site, f, (user_id,), told["sequence"], event=f":add:{adding}")


async def participant_removed(conn: asyncpg.Connection, site: Site, meeting_id: int,
                              user_id: int) -> int:
    """Someone taken off the list after the invitations went out: what was
    queued for them is withdrawn, and their calendar entry cancelled."""
    f = await _facts(conn, meeting_id)
    told = await _told(conn, meeting_id)
    if f is None or told is None or f.status not in TOLD:
        return 0
    await outbox.cancel(conn, f"meeting:{meeting_id}:", [user_id])
    text = (f"Ông/Bà không còn trong thành phần dự cuộc họp \u201c{f.title}\u201d"
            f" ({when(f.starts_at)}). Lịch họp đã gửi trước đây được hủy.")
    return await outbox.enqueue(
        conn, user_ids=(user_id,), kind="meeting.withdrawn",
        subject=f"Hủy lời mời họp: {f.title}", text=text, link=site.meeting_link(meeting_id),
        key=f"meeting:{meeting_id}:removed:{await conn.fetchval('SELECT txid_current()')}",
        ics=_calendar(site, f, told["sequence"] + 1, "CANCEL"))
