"""Reminders of tasks (nhắc việc): which are due today, and the one place
where they will be queued once the notifications outbox exists. The rule of
when a reminder is due is domain/tasks.reminder_due."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date

from collab_server.domain import tasks as t
from collab_server.storage.tasks import PgTasks, TaskRow

log = logging.getLogger(__name__)

HolidaysOf = Callable[[int], Awaitable[set[date]]]


async def due_reminders(store: PgTasks, holidays_of: HolidaysOf,
                        today: date) -> list[tuple[TaskRow, t.Reminder]]:
    """The reminders due today for every open task (domain/tasks.reminder_due)."""
    due: list[tuple[TaskRow, t.Reminder]] = []
    cache: dict[int, set[date]] = {}
    for task in await store.open_tasks():
        if task.body_id not in cache:
            cache[task.body_id] = await holidays_of(task.body_id)
        reminder = t.reminder_due(task.id, task.state.status, task.state.deadline, today,
                                  cache[task.body_id])
        if reminder is not None:
            due.append((task, reminder))
    return due


async def queue_reminders(store: PgTasks, holidays_of: HolidaysOf,
                          today: date) -> list[tuple[TaskRow, t.Reminder]]:
    """Queue today's reminders. Nothing calls this on a schedule yet, and
    nothing is sent: see the NOTIFY line."""
    due = await due_reminders(store, holidays_of, today)
    for task, reminder in due:
        # NOTIFY: once the notifications outbox (branch `notify`) is merged, queue
        # the reminder here, keyed by `reminder.key` so one computed twice goes out
        # once: to the responsible person (or the members of the responsible
        # unit) and, for "overdue", to the office as well.
        log.info("task reminder due", extra={"task": task.id, "kind": reminder.kind,
                                             "days": reminder.days, "key": reminder.key})
    return due
