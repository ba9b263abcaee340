"""The demo shows tasks: `make run` seeds last month's meeting with a
conclusion notice whose items became tasks at every step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from collab_server import demo
from collab_server.domain import calendar
from collab_server.domain import tasks as t
from collab_server.storage import db
from collab_server.storage.accounts import Accounts
from collab_server.storage.tasks import PgTasks
from tests.conftest import new_database


async def test_the_demo_has_tasks_at_every_step(pg_uri: str, migrated_template: str) -> None:
    url = await new_database(pg_uri, migrated_template)
    pool = await db.create_pool(url)
    try:
        await demo.seed(pool, Accounts(pool, session_ttl=timedelta(hours=1)))
        body, chair = await pool.fetchrow(
            "SELECT body_id, id FROM users WHERE username = 'chutoa'")
        today = calendar.local_day(datetime.now(UTC))
        # The chair sees the tasks of the meeting chaired, as the board shows them.
        rows = await PgTasks(pool).board(body, chair)
        shown = {r.unit_name: t.shown_status(r.state.status, r.state.deadline, today,
                                             r.state.done_on) for r in rows}
        assert shown == {"Sở Tài chính": "in_progress", "Sở Kế hoạch và Đầu tư": "overdue",
                         "Sở Y tế": "overdue", "Sở Nội vụ": "done_late"}
        assert {r.state.status for r in rows if r.unit_name == "Sở Y tế"} == {
            t.Status.EXTENSION_ASKED}
        events = await pool.fetchval(
            "SELECT count(*) FROM task_events e JOIN tasks k ON k.id = e.task_id"
            " WHERE k.body_id = $1", body)
        assert events == 4 + 4  # four assigned, four steps taken
        notice = await pool.fetchval("SELECT count(*) FROM conclusion_notices n JOIN meetings m"
                                     " ON m.id = n.meeting_id WHERE m.body_id = $1", body)
        assert notice == 1
    finally:
        await pool.close()
