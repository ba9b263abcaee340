"""Meetings as the live core and the HTTP API read and change them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from collab_server.documents.text import fold
from collab_server.domain.access import MeetingAccess
from collab_server.domain.calendar import iso
from collab_server.domain.lifecycle import Status
from collab_server.domain.roles import Role
from collab_server.live.ports import AgendaItem, DocumentInfo, MeetingInfo, Participant
from collab_server.storage.also import InTransaction

# The role a user has in a meeting. A display account belongs to a room
# (users.room_id): it watches every meeting of that room as the display,
# listed or not, and no meeting elsewhere, whatever a list says.
ROLE_SQL = ("CASE WHEN u.room_id IS NULL THEN p.role"
            " WHEN u.room_id = m.room_id THEN 'display' END")

MEETING_FIELDS = ("title", "room_id", "starts_at", "ends_at", "kind", "confidentiality",
                  "quorum_rule", "speech_limit_s", "allow_proxy")


class PgMeetings:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    # -- the live core's view -----------------------------------------------------

    async def meeting(self, meeting_id: int) -> MeetingInfo | None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT m.id, m.title, b.name AS body, coalesce(r.name, '') AS room,"
                " m.starts_at, m.status, m.quorum_rule, m.speech_limit_s, m.allow_proxy"
                " FROM meetings m JOIN bodies b ON b.id = m.body_id"
                " LEFT JOIN rooms r ON r.id = m.room_id WHERE m.id = $1",
                meeting_id,
            )
            if row is None:
                return None
            items = await conn.fetch(
                "SELECT id, position, title, presenter, duration_min, speech_limit_s"
                " FROM agenda_items WHERE meeting_id = $1 ORDER BY position",
                meeting_id,
            )
            documents = await conn.fetch(
                "SELECT id, title, page_count, agenda_item_id, confidentiality, secrecy"
                " FROM documents WHERE meeting_id = $1 ORDER BY id",
                meeting_id,
            )
            people = await conn.fetch(
                "SELECT p.user_id, u.full_name, u.title, u.unit, p.role, p.stands_in_for"
                " FROM meeting_participants p JOIN users u ON u.id = p.user_id"
                " WHERE p.meeting_id = $1 ORDER BY p.user_id",
                meeting_id,
            )
        return MeetingInfo(
            id=row["id"],
            title=row["title"],
            body=row["body"],
            room=row["room"],
            starts_at=iso(row["starts_at"]),
            status=row["status"],
            agenda=tuple(
                AgendaItem(r["id"], r["position"], r["title"], r["presenter"], r["duration_min"],
                           r["speech_limit_s"])
                for r in items
            ),
            documents=tuple(DocumentInfo(r["id"], r["title"], r["page_count"], r["agenda_item_id"],
                                         r["confidentiality"], r["secrecy"])
                            for r in documents),
            participants=tuple(
                Participant(r["user_id"], r["full_name"], r["title"], r["unit"], r["role"],
                            r["stands_in_for"])
                for r in people
            ),
            settings=(
                ("quorum_rule", row["quorum_rule"]),
                ("speech_limit_s", row["speech_limit_s"]),
                ("allow_proxy", row["allow_proxy"]),
            ),
        )

    async def role_of(self, meeting_id: int, user_id: int) -> str | None:
        async with self.pool.acquire() as conn:
            role: str | None = await conn.fetchval(
                f"SELECT {ROLE_SQL} FROM meetings m JOIN users u ON u.id = $2"
                " LEFT JOIN meeting_participants p ON p.meeting_id = m.id AND p.user_id = $2"
                " WHERE m.id = $1",
                meeting_id,
                user_id,
            )
        return role

    async def room_networks(self, meeting_id: int) -> tuple[str, ...]:
        networks = await self.pool.fetchval(
            "SELECT r.networks::text[] FROM meetings m JOIN rooms r ON r.id = m.room_id"
            " WHERE m.id = $1", meeting_id)
        return tuple(networks or ())

    # -- access -----------------------------------------------------------------------

    async def access(self, meeting_id: int, user_id: int) -> MeetingAccess | None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT m.id, m.body_id, m.status, m.kind, m.confidentiality, {ROLE_SQL} AS role,"
                " (u.is_admin AND u.body_id = m.body_id) AS body_admin"
                " FROM meetings m JOIN users u ON u.id = $2"
                " LEFT JOIN meeting_participants p ON p.meeting_id = m.id AND p.user_id = $2"
                " WHERE m.id = $1",
                meeting_id,
                user_id,
            )
        if row is None:
            return None
        return MeetingAccess(
            meeting_id=row["id"],
            body_id=row["body_id"],
            status=Status(row["status"]),
            kind=row["kind"],
            confidentiality=row["confidentiality"],
            role=Role(row["role"]) if row["role"] else None,
            body_admin=bool(row["body_admin"]),
        )

    # -- lists and details --------------------------------------------------------------

    async def of_user(self, user_id: int) -> list[dict[str, Any]]:
        """Meetings the user takes part in, and those of the bodies they administer."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT m.id, m.title, m.starts_at, m.ends_at, m.status, m.kind,"
                f" m.confidentiality, {ROLE_SQL} AS role, b.name AS body,"
                " coalesce(r.name, '') AS room,"
                " p.response, p.response_reason, p.deputy_user_id, p.deputy_status,"
                " d.full_name AS deputy_name, p.stands_in_for,"
                " EXISTS (SELECT 1 FROM meeting_invitations i WHERE i.meeting_id = m.id)"
                "   AS has_invitation"
                " FROM meetings m JOIN bodies b ON b.id = m.body_id JOIN users u ON u.id = $1"
                " LEFT JOIN rooms r ON r.id = m.room_id"
                " LEFT JOIN meeting_participants p ON p.meeting_id = m.id AND p.user_id = $1"
                " LEFT JOIN users d ON d.id = p.deputy_user_id"
                f" WHERE ({ROLE_SQL}) IS NOT NULL OR (u.is_admin AND u.body_id = m.body_id)"
                " ORDER BY m.starts_at DESC, m.id DESC",
                user_id,
            )
        return [_meeting_row(r) | _my_answer(r) for r in rows]

    async def detail(self, meeting_id: int) -> dict[str, Any]:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT m.id, m.title, m.starts_at, m.ends_at, m.status, m.kind, m.room_id,"
                " m.confidentiality, m.body_id, m.quorum_rule, m.speech_limit_s, m.allow_proxy,"
                " b.name AS body, coalesce(r.name, '') AS room,"
                " NULL::text AS role FROM meetings m JOIN bodies b ON b.id = m.body_id"
                " LEFT JOIN rooms r ON r.id = m.room_id WHERE m.id = $1",
                meeting_id,
            )
        result = _meeting_row(row)
        for name in ("body_id", "room_id", "quorum_rule", "speech_limit_s", "allow_proxy"):
            result[name] = row[name]
        return result

    # -- changes ------------------------------------------------------------------------

    async def create(self, body_id: int, creator: int, fields: dict[str, Any]) -> int:
        async with self.pool.acquire() as conn, conn.transaction():
            meeting_id: int = await conn.fetchval(
                "INSERT INTO meetings (body_id, room_id, title, title_folded, kind, starts_at,"
                " ends_at, confidentiality, created_by, quorum_rule, speech_limit_s, allow_proxy)"
                " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING id",
                body_id,
                fields.get("room_id"),
                fields["title"],
                fold(fields["title"]),
                fields.get("kind", "regular"),
                fields["starts_at"],
                fields.get("ends_at"),
                fields.get("confidentiality", "internal"),
                creator,
                fields.get("quorum_rule", "half"),
                fields.get("speech_limit_s", 300),
                fields.get("allow_proxy", False),
            )
            await conn.execute(
                "INSERT INTO meeting_participants (meeting_id, user_id, role, response)"
                " VALUES ($1, $2, 'secretary', 'attend')",
                meeting_id,
                creator,
            )
        return meeting_id

    async def update(self, meeting_id: int, fields: dict[str, Any], *,
                     also: InTransaction | None = None) -> None:
        names = [name for name in MEETING_FIELDS if name in fields]
        if not names:
            return
        sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=2))
        values = [fields[name] for name in names]
        if "title" in fields:
            sets += f", title_folded = ${len(names) + 2}"
            values.append(fold(fields["title"]))
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(f"UPDATE meetings SET {sets} WHERE id = $1", meeting_id, *values)
            if also is not None:
                await also(conn)

    async def transition(
        self, meeting_id: int, current: Status, target: Status, actor: int, *,
        also: InTransaction | None = None,
    ) -> bool:
        """Move the status if it is still `current`; False if someone moved it first."""
        async with self.pool.acquire() as conn, conn.transaction():
            done = await conn.fetchval(
                "UPDATE meetings SET status = $3 WHERE id = $1 AND status = $2 RETURNING id",
                meeting_id,
                current.value,
                target.value,
            )
            if done is None:
                return False
            await conn.execute(
                "INSERT INTO meeting_transitions (meeting_id, from_status, to_status, actor_id)"
                " VALUES ($1, $2, $3, $4)",
                meeting_id,
                current.value,
                target.value,
                actor,
            )
            await conn.execute(
                "INSERT INTO meeting_events (meeting_id, actor_id, kind, data)"
                " VALUES ($1, $2, 'meeting.status', $3)",
                meeting_id,
                actor,
                {"from": current.value, "to": target.value},
            )
            if target is Status.INVITED:
                await conn.execute(
                    "UPDATE meeting_participants SET invited_at = coalesce(invited_at, now())"
                    " WHERE meeting_id = $1",
                    meeting_id,
                )
            if also is not None:
                await also(conn)
        return True

    async def transitions(self, meeting_id: int) -> list[dict[str, Any]]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT from_status, to_status, actor_id, at FROM meeting_transitions"
                " WHERE meeting_id = $1 ORDER BY id",
                meeting_id,
            )
        return [
            {"from": r["from_status"], "to": r["to_status"], "actor_id": r["actor_id"],
             "at": iso(r["at"])}
            for r in rows
        ]


def _meeting_row(r: asyncpg.Record) -> dict[str, Any]:
    ends: datetime | None = r["ends_at"]
    return {
        "id": r["id"],
        "title": r["title"],
        "starts_at": iso(r["starts_at"]),
        "ends_at": iso(ends) if ends else None,
        "status": r["status"],
        "kind": r["kind"],
        "confidentiality": r["confidentiality"],
        "role": r["role"],
        "body": r["body"],
        "room": r["room"],
    }


def _my_answer(r: asyncpg.Record) -> dict[str, Any]:
    """The caller's own answer to the invitation, for the list to offer it."""
    answer = None
    if r["role"] is not None and r["role"] != "display":
        answer = {
            "response": r["response"],
            "response_reason": r["response_reason"],
            "stands_in_for": r["stands_in_for"],
            "deputy": ({"user_id": r["deputy_user_id"], "full_name": r["deputy_name"],
                        "status": r["deputy_status"]}
                       if r["deputy_user_id"] is not None else None),
        }
    pdf = f"/api/meetings/{r['id']}/invitation.pdf" if r["has_invitation"] and (
        answer is not None) else None
    return {"my_answer": answer, "invitation_pdf": pdf}
