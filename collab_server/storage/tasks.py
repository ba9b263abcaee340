"""Tasks in PostgreSQL (schema/028_tasks.sql): created from a notice or by
hand, listed for the board as each caller may see them, moved one step at a
time under a row lock, with their history, attachments and the audit log
written in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from collab_server.documents.text import fold
from collab_server.domain import tasks as t
from collab_server.domain.calendar import iso
from collab_server.storage import files


@dataclass(frozen=True, slots=True)
class NewTask:
    title: str
    deadline: date
    assigned_on: date
    unit_id: int | None = None
    unit_name: str = ""
    assignee_id: int | None = None
    working_days: int | None = None
    item_no: str = ""
    meeting_id: int | None = None
    notice_version: int | None = None


@dataclass(frozen=True, slots=True)
class TaskRow:
    id: int
    body_id: int
    meeting_id: int | None
    meeting_title: str
    notice_version: int | None
    item_no: str
    title: str
    unit_id: int | None
    unit_name: str
    assignee_id: int | None
    assignee_name: str
    assigned_on: date
    working_days: int | None
    state: t.State
    created_by: int
    created_at: datetime
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        s = self.state
        return {
            "id": self.id,
            "meeting": {"id": self.meeting_id, "title": self.meeting_title}
            if self.meeting_id is not None else None,
            "notice_version": self.notice_version,
            "item_no": self.item_no,
            "title": self.title,
            "unit": {"id": self.unit_id, "name": self.unit_name} if self.unit_name else None,
            "assignee": {"id": self.assignee_id, "full_name": self.assignee_name}
            if self.assignee_id is not None else None,
            "assigned_on": self.assigned_on.isoformat(),
            "working_days": self.working_days,
            "deadline": s.deadline.isoformat(),
            "status": s.status.value,
            "progress": s.progress,
            "asked_until": s.asked_until.isoformat() if s.asked_until else None,
            "asked_reason": s.asked_reason,
            "extension": s.extension,
            "report": s.report,
            "done_on": s.done_on.isoformat() if s.done_on else None,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }


_SELECT = (
    "SELECT k.*, coalesce(m.title, '') AS meeting_title,"
    " coalesce(a.full_name, '') AS assignee_name, coalesce(u.name, k.unit_name) AS unit_now"
    " FROM tasks k LEFT JOIN meetings m ON m.id = k.meeting_id"
    " LEFT JOIN users a ON a.id = k.assignee_id LEFT JOIN body_units u ON u.id = k.unit_id"
)
# The unit as it is named now (a rename carries over to its people); the name
# as assigned when the unit is gone.
_UNIT = "coalesce(u.name, k.unit_name)"
# What a person who is not the office sees: their own tasks, their unit's, and
# those of the meetings they chaired or kept the minutes of.
_MINE = (
    f"(k.assignee_id = $2 OR ({_UNIT} <> '' AND lower(btrim({_UNIT})) ="
    " (SELECT lower(btrim(unit)) FROM users WHERE id = $2))"
    " OR EXISTS (SELECT 1 FROM meeting_participants p WHERE p.meeting_id = k.meeting_id"
    " AND p.user_id = $2 AND p.role IN ('chair', 'secretary')))"
)


def _row(r: asyncpg.Record) -> TaskRow:
    return TaskRow(
        id=r["id"], body_id=r["body_id"], meeting_id=r["meeting_id"],
        meeting_title=r["meeting_title"], notice_version=r["notice_version"],
        item_no=r["item_no"], title=r["title"], unit_id=r["unit_id"], unit_name=r["unit_now"],
        assignee_id=r["assignee_id"], assignee_name=r["assignee_name"],
        assigned_on=r["assigned_on"], working_days=r["working_days"],
        state=t.State(
            status=t.Status(r["status"]), deadline=r["deadline"], progress=r["progress"],
            asked_until=r["asked_until"], asked_reason=r["asked_reason"],
            status_before=t.Status(r["status_before"]) if r["status_before"] else None,
            extension=r["extension"], report=r["report"], done_on=r["done_on"]),
        created_by=r["created_by"], created_at=r["created_at"], updated_at=r["updated_at"],
    )


async def _audit(conn: asyncpg.Connection, by: int, action: str, task_id: int, ip: str,
                 details: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO audit_log (actor_id, action, target, ip, details) VALUES ($1,$2,$3,$4,$5)",
        by, action, f"task:{task_id}", ip, details)


class PgTasks:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    # -- who is who ------------------------------------------------------------------------

    async def meeting_role(self, meeting_id: int | None, user_id: int) -> str | None:
        if meeting_id is None:
            return None
        async with self.pool.acquire() as conn:
            role: str | None = await conn.fetchval(
                "SELECT role FROM meeting_participants WHERE meeting_id = $1 AND user_id = $2",
                meeting_id, user_id)
        return role

    async def leads_any(self, body_id: int, user_id: int) -> bool:
        """Whether the person chairs, or keeps the minutes of, a meeting of the body."""
        async with self.pool.acquire() as conn:
            return bool(await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM meeting_participants p JOIN meetings m"
                " ON m.id = p.meeting_id WHERE m.body_id = $1 AND p.user_id = $2"
                " AND p.role IN ('chair', 'secretary'))", body_id, user_id))

    async def units(self, body_id: int) -> list[tuple[int, str]]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch("SELECT id, name FROM body_units WHERE body_id = $1"
                                    " ORDER BY name", body_id)
        return [(r["id"], r["name"]) for r in rows]

    async def person(self, body_id: int, user_id: int) -> str | None:
        """The full name of an active person of the body (not a display account)."""
        async with self.pool.acquire() as conn:
            name: str | None = await conn.fetchval(
                "SELECT full_name FROM users WHERE id = $1 AND body_id = $2"
                " AND room_id IS NULL AND is_active", user_id, body_id)
        return name

    # -- creating and reading --------------------------------------------------------------

    async def create(self, body_id: int, tasks: Sequence[NewTask], by: int,
                     ip: str) -> list[int]:
        """All or nothing; an item of a notice already made a task is skipped."""
        made: list[int] = []
        async with self.pool.acquire() as conn, conn.transaction():
            for task in tasks:
                task_id: int | None = await conn.fetchval(
                    "INSERT INTO tasks (body_id, meeting_id, notice_version, item_no, title,"
                    " title_folded, unit_id, unit_name, assignee_id, assigned_on, working_days,"
                    " deadline, created_by) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)"
                    " ON CONFLICT DO NOTHING RETURNING id",
                    body_id, task.meeting_id, task.notice_version, task.item_no, task.title,
                    fold(task.title), task.unit_id, task.unit_name, task.assignee_id,
                    task.assigned_on, task.working_days, task.deadline, by)
                if task_id is None:
                    continue
                details = {"deadline": task.deadline.isoformat(), "unit": task.unit_name,
                           "assignee": task.assignee_id, "meeting": task.meeting_id,
                           "item": task.item_no}
                await conn.execute(
                    "INSERT INTO task_events (task_id, kind, to_status, details, by_id)"
                    " VALUES ($1, 'create', 'assigned', $2, $3)", task_id, details, by)
                await _audit(conn, by, "task.create", task_id, ip, details)
                made.append(task_id)
        return made

    async def board(self, body_id: int, viewer: int | None, *, meeting_id: int | None = None,
                    query: str = "") -> list[TaskRow]:
        """The body's tasks (`viewer` None: the office sees all), nearest deadline first."""
        where: list[str] = ["k.body_id = $1", f"($2::bigint IS NULL OR {_MINE})"]
        args: list[Any] = [body_id, viewer]
        if meeting_id is not None:
            args.append(meeting_id)
            where.append(f"k.meeting_id = ${len(args)}")
        if query.strip():
            args.append(f"%{fold(query.strip())}%")
            where.append(f"(k.title_folded LIKE ${len(args)} OR lower({_UNIT}) LIKE"
                         f" ${len(args)})")
        sql = f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY k.deadline, k.id LIMIT 2000"
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(sql, *args)
        return [_row(r) for r in rows]

    async def get(self, task_id: int) -> TaskRow | None:
        async with self.pool.acquire() as conn:
            r = await conn.fetchrow(f"{_SELECT} WHERE k.id = $1", task_id)
        return _row(r) if r is not None else None

    async def history(self, task_id: int) -> list[dict[str, Any]]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT e.kind, e.from_status, e.to_status, e.note, e.details, e.at, e.by_id,"
                " u.full_name FROM task_events e JOIN users u ON u.id = e.by_id"
                " WHERE e.task_id = $1 ORDER BY e.id", task_id)
        return [{"kind": r["kind"], "from": r["from_status"], "to": r["to_status"],
                 "note": r["note"], "details": r["details"], "at": iso(r["at"]),
                 "by": {"id": r["by_id"], "full_name": r["full_name"]}} for r in rows]

    # -- one step --------------------------------------------------------------------------

    async def step(self, task_id: int, kind: str, note: str,
                   decide: Callable[[TaskRow], t.State], by: int, ip: str,
                   details: dict[str, Any]) -> TaskRow:
        """Lock the task, let `decide` (the domain's rules) give its next state,
        store it with the event and the audit entry. `decide` may raise."""
        async with self.pool.acquire() as conn, conn.transaction():
            r = await conn.fetchrow(f"{_SELECT} WHERE k.id = $1 FOR UPDATE OF k", task_id)
            if r is None:
                raise LookupError(task_id)
            before = _row(r)
            after = decide(before)
            await conn.execute(
                "UPDATE tasks SET status = $2, deadline = $3, progress = $4, asked_until = $5,"
                " asked_reason = $6, status_before = $7, extension = $8, report = $9,"
                " done_on = $10, updated_at = clock_timestamp() WHERE id = $1",
                task_id, after.status.value, after.deadline, after.progress, after.asked_until,
                after.asked_reason, after.status_before.value if after.status_before else None,
                after.extension, after.report, after.done_on)
            details = {**details, "progress": after.progress,
                       "deadline": after.deadline.isoformat()}
            if after.deadline != before.state.deadline:
                details["deadline_before"] = before.state.deadline.isoformat()
            await conn.execute(
                "INSERT INTO task_events (task_id, kind, from_status, to_status, note, details,"
                " by_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                task_id, kind, before.state.status.value, after.status.value, note, details, by)
            await _audit(conn, by, f"task.{kind}", task_id, ip,
                         {**details, "from": before.state.status.value,
                          "to": after.status.value})
            r = await conn.fetchrow(f"{_SELECT} WHERE k.id = $1", task_id)
        return _row(r)

    # -- attachments -----------------------------------------------------------------------

    async def attach(self, task_id: int, name: str, media_type: str, data: bytes, by: int,
                     ip: str) -> int:
        async with self.pool.acquire() as conn, conn.transaction():
            digest = await files.put(conn, data)
            attachment_id: int = await conn.fetchval(
                "INSERT INTO task_attachments (task_id, name, media_type, sha256, size, by_id)"
                " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                task_id, name, media_type, digest, len(data), by)
            details = {"attachment": attachment_id, "name": name, "bytes": len(data)}
            status = await conn.fetchval("SELECT status FROM tasks WHERE id = $1", task_id)
            await conn.execute(
                "INSERT INTO task_events (task_id, kind, from_status, to_status, details, by_id)"
                " VALUES ($1, 'attach', $2, $2, $3, $4)", task_id, status, details, by)
            await conn.execute("UPDATE tasks SET updated_at = clock_timestamp() WHERE id = $1",
                               task_id)
            await _audit(conn, by, "task.attach", task_id, ip, details)
        return attachment_id

    async def attachments(self, task_id: int) -> list[dict[str, Any]]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT a.id, a.name, a.media_type, a.size, a.at, u.full_name"
                " FROM task_attachments a JOIN users u ON u.id = a.by_id"
                " WHERE a.task_id = $1 ORDER BY a.id", task_id)
        return [{"id": r["id"], "name": r["name"], "media_type": r["media_type"],
                 "size": r["size"], "at": iso(r["at"]), "by": r["full_name"],
                 "url": f"/api/tasks/{task_id}/attachments/{r['id']}"} for r in rows]

    async def attachment(self, task_id: int,
                         attachment_id: int) -> tuple[str, str, bytes] | None:
        async with self.pool.acquire() as conn:
            r = await conn.fetchrow(
                "SELECT name, media_type, sha256 FROM task_attachments"
                " WHERE id = $1 AND task_id = $2", attachment_id, task_id)
        if r is None:
            return None
        data = await files.get(self.pool, bytes(r["sha256"]))
        return (r["name"], r["media_type"], data) if data is not None else None

    # -- reminders -------------------------------------------------------------------------

    async def open_tasks(self) -> list[TaskRow]:
        """Every task not done, of every body: what the reminder sweep reads."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(f"{_SELECT} WHERE k.status <> 'done' ORDER BY k.id")
        return [_row(r) for r in rows]
