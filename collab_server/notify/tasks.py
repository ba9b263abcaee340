"""What the people of a task (giao việc, domain/tasks.py) are told: the
reminders domain/tasks.reminder_due says are due, to the responsible person
or, for a unit, its active members; once a task is overdue, the office as
well (the body's admins and preparers, the secretary of its meeting).

The task's own words come from a conclusion notice, which is not for
everyone: a reminder names the task by its number, deadline and link, never
its text. Each reminder's key (`task:{id}:{deadline}:...`) is queued once
however often the sweep finds it due.
"""

from __future__ import annotations

import asyncpg

from collab_server.domain import tasks as t
from collab_server.notify import outbox
from collab_server.notify.meetings import WEEKDAYS, Site
from collab_server.storage.tasks import TaskRow


def link(site: Site, task_id: int) -> str:
    return f"{site.public_url.rstrip('/')}/#/tasks/{task_id}"


async def _responsible(conn: asyncpg.Connection, task: TaskRow) -> list[int]:
    if task.assignee_id is not None:
        return [task.assignee_id]
    rows = await conn.fetch(
        "SELECT id FROM users WHERE body_id = $1 AND is_active"
        " AND lower(btrim(unit)) = lower(btrim($2)) AND btrim($2) <> ''",
        task.body_id, task.unit_name)
    return [r["id"] for r in rows]


async def _office(conn: asyncpg.Connection, task: TaskRow) -> list[int]:
    """Who follows the task up: the body's admins and preparers, and the
    secretary of the meeting it came from."""
    rows = await conn.fetch(
        "SELECT id FROM users WHERE body_id = $1 AND is_active AND (is_admin OR can_prepare)"
        " UNION SELECT user_id FROM meeting_participants WHERE meeting_id = $2"
        " AND role = 'secretary'", task.body_id, task.meeting_id)
    return [r["id"] for r in rows]


def _words(task: TaskRow, reminder: t.Reminder) -> tuple[str, str]:
    day = task.state.deadline
    due = f"{WEEKDAYS[day.weekday()].lower()}, {day:%d/%m/%Y}"
    name = f"Nhiệm vụ số {task.id}" + (f" ({task.unit_name})" if task.unit_name else "")
    if reminder.kind == "before":
        return (f"Nhắc việc: còn {reminder.days} ngày làm việc đến hạn",
                f"{name} đến hạn vào {due}; còn {reminder.days} ngày làm việc.")
    if reminder.kind == "due_today":
        return "Nhắc việc: đến hạn hôm nay", f"{name} đến hạn hôm nay, {due}."
    return (f"Nhiệm vụ quá hạn {reminder.days} ngày làm việc",
            f"{name} đã quá hạn {reminder.days} ngày làm việc (hạn {due}) mà chưa báo cáo"
            " hoàn thành.")


async def remind(conn: asyncpg.Connection, site: Site, task: TaskRow,
                 reminder: t.Reminder) -> int:
    """Queue one due reminder; how many messages were queued (0 when it was
    queued before)."""
    people = set(await _responsible(conn, task))
    if reminder.kind == "overdue":
        people |= set(await _office(conn, task))
    subject, text = _words(task, reminder)
    here = link(site, task.id)
    return await outbox.enqueue(
        conn, user_ids=sorted(people), kind=f"task.{reminder.kind}", subject=subject,
        text=f"{text}\n\nXem nhiệm vụ: {here}", link=here, key=reminder.key)
