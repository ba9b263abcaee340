"""Reminders of tasks (nhắc việc): which are due today, queued on the
notifications outbox by a sweep in every server process. The rule of when a
reminder is due is domain/tasks.reminder_due; what is said, notify/tasks.py."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime

from collab_server.domain import calendar
from collab_server.domain import tasks as t
from collab_server.notify import tasks as told
from collab_server.notify.meetings import Site
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


async def queue_reminders(store: PgTasks, holidays_of: HolidaysOf, today: date,
                          site: Site | None = None) -> list[tuple[TaskRow, t.Reminder]]:
    """Queue today's reminders on the notifications outbox (notify/tasks.py),
    each in its own transaction, keyed so one found again is queued once;
    without `site`, only say which are due."""
    due = await due_reminders(store, holidays_of, today)
    if site is None:
        return due
    for task, reminder in due:
        async with store.pool.acquire() as conn, conn.transaction():
            queued = await told.remind(conn, site, task, reminder)
        if queued:
            log.info("task reminder queued", extra={"task": task.id, "kind": reminder.kind,
                                                    "messages": queued})
    return due


class ReminderSweep:
    """Every `every` seconds, the reminders due today (in Vietnam's time),
    in every server process: the outbox's keys make the sweeps of several
    processes, and of the same day, queue each reminder once."""

    def __init__(self, store: PgTasks, holidays_of: HolidaysOf, site: Site,
                 every: float = 900.0) -> None:
        self.store, self.holidays_of, self.site, self.every = store, holidays_of, site, every
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="task-reminders")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await queue_reminders(self.store, self.holidays_of,
                                      calendar.local_day(datetime.now(UTC)), self.site)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The database away for a while: the next sweep tries again.
                log.warning("task reminder sweep failed", exc_info=True)
            await asyncio.sleep(self.every)
