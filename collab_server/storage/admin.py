"""What a body's admin manages besides its people: units, rooms and their
display accounts, saved groups of attendees, and the archived meetings past
the body's retention. Every query is scoped by the body: an id of another
body's row reads as missing."""

from __future__ import annotations

from typing import Any

import asyncpg


class UnitInUse(Exception):
    """People (active or not) are in the unit."""

    def __init__(self, people: int) -> None:
        super().__init__(people)
        self.people = people


class PgAdmin:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    # -- units ---------------------------------------------------------------------------

    async def units(self, body_id: int) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(
            "SELECT u.id, u.name, (SELECT count(*) FROM users p WHERE p.body_id = u.body_id"
            "   AND p.is_active AND lower(btrim(p.unit)) = lower(u.name)) AS people"
            " FROM body_units u WHERE u.body_id = $1 ORDER BY lower(u.name)", body_id)
        return [dict(r) for r in rows]

    async def add_unit(self, body_id: int, name: str) -> int | None:
        """None when the body has a unit of that name."""
        unit: int | None = await self.pool.fetchval(
            "INSERT INTO body_units (body_id, name) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING RETURNING id", body_id, name)
        return unit

    async def rename_unit(self, body_id: int, unit_id: int, name: str) -> str | None:
        """The old name, or None when there is no such unit. Its people follow
        the new name; raises UniqueViolationError when the name is taken."""
        async with self.pool.acquire() as conn, conn.transaction():
            old: str | None = await conn.fetchval(
                "SELECT name FROM body_units WHERE id = $1 AND body_id = $2 FOR UPDATE",
                unit_id, body_id)
            if old is None:
                return None
            await conn.execute("UPDATE body_units SET name = $2 WHERE id = $1", unit_id, name)
            await conn.execute("UPDATE users SET unit = $3 WHERE body_id = $1"
                               " AND lower(btrim(unit)) = lower($2)", body_id, old, name)
        return old

    async def remove_unit(self, body_id: int, unit_id: int) -> str | None:
        """The removed name; raises UnitInUse while someone is in it (a person's
        unit is always one of the list, schema/022)."""
        async with self.pool.acquire() as conn, conn.transaction():
            name: str | None = await conn.fetchval(
                "SELECT name FROM body_units WHERE id = $1 AND body_id = $2 FOR UPDATE",
                unit_id, body_id)
            if name is None:
                return None
            people = await conn.fetchval(
                "SELECT count(*) FROM users WHERE body_id = $1 AND lower(btrim(unit))"
                " = lower(btrim($2))", body_id, name)
            if people:
                raise UnitInUse(int(people))
            await conn.execute("DELETE FROM body_units WHERE id = $1", unit_id)
        return name

    # -- rooms and display accounts --------------------------------------------------------

    async def update_room(self, body_id: int, room_id: int, name: str | None,
                          seats: int | None, networks: list[str] | None = None) -> bool:
        done = await self.pool.fetchval(
            "UPDATE rooms SET name = coalesce($3, name), seats = coalesce($4, seats),"
            " networks = coalesce($5::text[]::cidr[], networks)"
            " WHERE id = $1 AND body_id = $2 RETURNING id", room_id, body_id, name, seats,
            networks)
        return done is not None

    async def room_of_body(self, body_id: int, room_id: int) -> bool:
        found = await self.pool.fetchval(
            "SELECT 1 FROM rooms WHERE id = $1 AND body_id = $2", room_id, body_id)
        return found is not None

    # -- saved groups of attendees ---------------------------------------------------------

    async def groups(self, body_id: int, *, members: bool = True) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(
            "SELECT g.id, g.name, coalesce(array_agg(m.user_id ORDER BY u.full_name)"
            "   FILTER (WHERE m.user_id IS NOT NULL), '{}') AS members"
            " FROM attendee_groups g LEFT JOIN attendee_group_members m ON m.group_id = g.id"
            " LEFT JOIN users u ON u.id = m.user_id"
            " WHERE g.body_id = $1 GROUP BY g.id ORDER BY lower(g.name)", body_id)
        out = []
        for r in rows:
            group: dict[str, Any] = {"id": r["id"], "name": r["name"],
                                     "size": len(r["members"])}
            if members:
                group["members"] = list(r["members"])
            out.append(group)
        return out

    async def foreign_people(self, body_id: int, user_ids: list[int]) -> list[int]:
        """Those of `user_ids` who are not people of the body."""
        rows = await self.pool.fetch(
            "SELECT x FROM unnest($2::bigint[]) x WHERE NOT EXISTS"
            " (SELECT 1 FROM users WHERE id = x AND body_id = $1 AND room_id IS NULL)",
            body_id, user_ids)
        return [int(r["x"]) for r in rows]

    async def save_group(self, body_id: int, group_id: int | None, name: str | None,
                         members: list[int] | None) -> int | None:
        """A new group (`group_id` None) or a change; None when there is no such
        group. Raises UniqueViolationError when the name is taken."""
        async with self.pool.acquire() as conn, conn.transaction():
            if group_id is None:
                group_id = await conn.fetchval(
                    "INSERT INTO attendee_groups (body_id, name) VALUES ($1, $2) RETURNING id",
                    body_id, name)
            elif await conn.fetchval(
                    "UPDATE attendee_groups SET name = coalesce($3, name)"
                    " WHERE id = $1 AND body_id = $2 RETURNING id",
                    group_id, body_id, name) is None:
                return None
            if members is not None:
                await conn.execute("DELETE FROM attendee_group_members WHERE group_id = $1",
                                   group_id)
                await conn.execute(
                    "INSERT INTO attendee_group_members (group_id, user_id)"
                    " SELECT $1, x FROM unnest($2::bigint[]) x ON CONFLICT DO NOTHING",
                    group_id, members)
        return group_id

    async def remove_group(self, body_id: int, group_id: int) -> bool:
        done = await self.pool.fetchval(
            "DELETE FROM attendee_groups WHERE id = $1 AND body_id = $2 RETURNING id",
            group_id, body_id)
        return done is not None

    async def group_people(self, body_id: int, group_id: int) -> list[int] | None:
        """The active members of the body's group; None when there is no such group."""
        async with self.pool.acquire() as conn:
            if await conn.fetchval("SELECT 1 FROM attendee_groups WHERE id = $1"
                                   " AND body_id = $2", group_id, body_id) is None:
                return None
            rows = await conn.fetch(
                "SELECT u.id FROM attendee_group_members m JOIN users u ON u.id = m.user_id"
                " WHERE m.group_id = $1 AND u.is_active ORDER BY u.full_name", group_id)
        return [int(r["id"]) for r in rows]

    # -- retention -------------------------------------------------------------------------

    async def past_retention(self, body_id: int) -> list[dict[str, Any]]:
        """The body's archived meetings kept longer than its retention: the list
        of `phonghop retention`, for one body. Nothing is deleted."""
        rows = await self.pool.fetch(
            "SELECT m.id, m.title, t.at AS archived_at, b.retention_years"
            " FROM meetings m JOIN bodies b ON b.id = m.body_id"
            " JOIN LATERAL (SELECT max(at) AS at FROM meeting_transitions"
            "   WHERE meeting_id = m.id AND to_status = 'archived') t ON true"
            " WHERE m.body_id = $1 AND m.status = 'archived' AND b.retention_years IS NOT NULL"
            " AND t.at + make_interval(years => b.retention_years) < now()"
            " ORDER BY t.at", body_id)
        return [{"id": r["id"], "title": r["title"],
                 "archived_at": r["archived_at"].isoformat(),
                 "retention_years": r["retention_years"]} for r in rows]
