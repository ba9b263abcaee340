"""Tasks from the conclusion notice over HTTP, against a real server and
PostgreSQL: created from the notice's items, moved through their states by
the right people, overdue read from the date, the board, the history, the
audit log, attachments and the follow-up report."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pymupdf
import pytest

from collab_server.domain import calendar
from collab_server.domain import tasks as t
from collab_server.reminders import queue_reminders
from collab_server.storage.tasks import PgTasks
from tests.conftest import Server, World, build_world, client, sql
from tests.test_documents import make_pdf

NOTICE = "\n".join([
    "Sau khi nghe báo cáo, Chủ tịch kết luận như sau:",
    "1. Giao Sở Tài chính chủ trì hoàn thiện dự toán ngân sách năm 2027,",
    "trình Ủy ban nhân dân tỉnh trong 5 ngày làm việc.",
    "2. Sở Y tế rà soát số liệu tiêm chủng quý IV.",
    "Ủy ban nhân dân tỉnh thông báo để các cơ quan, đơn vị biết, thực hiện./.",
])
MINUTES = "I. THÀNH PHẦN\n...\nIII. KẾT LUẬN CỦA CHỦ TỌA\nĐồng ý.\n"




async def noticed(server: Server) -> World:
    """A body with two units, an ended meeting, its minutes and its notice;
    delegate01 works at Sở Tài chính, delegate02 at Sở Y tế; the outsider is
    the body's admin."""
    world = await build_world(server.database_url, delegates=3, admin="outsider")
    for name, unit in (("delegate01", "Sở Tài chính"), ("delegate02", "Sở Y tế")):
        await sql(world, "UPDATE users SET unit = $2 WHERE id = $1", world.users[name], unit)
    closed = datetime.now(UTC) - timedelta(days=1)
    await sql(world, "UPDATE meetings SET status = 'ended', opened_at = $2, closed_at = $3"
                     " WHERE id = $1", world.meeting_id, closed - timedelta(hours=2), closed)
    async with client(server, world, "secretary") as c:
        base = f"/api/meetings/{world.meeting_id}"
        r = await c.post(f"{base}/minutes/approve", json={"text": MINUTES})
        assert r.status_code == 201, r.text
        r = await c.post(f"{base}/conclusion", json={"text": NOTICE})
        assert r.status_code == 201, r.text
    return world


async def test_tasks_from_a_notice_move_through_their_states(server: Server) -> None:
    world = await noticed(server)
    base = f"/api/meetings/{world.meeting_id}"
    today = calendar.local_day(datetime.now(UTC))
    holidays = {r["day"] for r in await sql(world, "SELECT day FROM holidays WHERE body_id"
                                                   " IS NULL OR body_id = $1", world.body_id)}
    async with client(server, world, "delegate01") as c:
        assert (await c.get(f"{base}/tasks/proposed")).status_code == 403
    async with client(server, world, "secretary") as c:
        r = await c.get(f"{base}/tasks/proposed")
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        units = {u["name"]: u["id"] for u in r.json()["units"]}
        assert [(i["item_no"], i["unit_id"]) for i in items] == [
            ("1", units["Sở Tài chính"]), ("2", units["Sở Y tế"])]
        assert items[0]["deadline"] == t.deadline_after(today, 5, holidays).isoformat()
        assert items[1]["deadline"] == t.deadline_after(today, t.DEFAULT_WORKING_DAYS,
                                                        holidays).isoformat()
        # The office adjusts before creating: the second goes to a person.
        items[1].pop("unit_id")
        items[1]["assignee_id"] = world.users["delegate03"]
        r = await c.post(f"{base}/tasks", json={"tasks": items})
        assert r.status_code == 201, r.text
        first, second = r.json()["created"]
        again = await c.post(f"{base}/tasks", json={"tasks": items})
        assert again.status_code == 200 and again.json() == {"created": [], "skipped": 2}
        r = await c.get(f"{base}/tasks/proposed")
        assert all(i["created"] for i in r.json()["items"])

    # The unit's member sees its task, not the other; the other's person neither.
    async with client(server, world, "delegate02") as c:
        assert (await c.get("/api/tasks")).json()["tasks"] == []
        assert (await c.get(f"/api/tasks/{first}")).status_code == 404
        r = await c.post(f"/api/tasks/{first}/actions", json={"action": "progress",
                                                               "progress": 10})
        assert r.status_code == 404
    async with client(server, world, "delegate01") as c:
        r = await c.get("/api/tasks")
        assert [x["id"] for x in r.json()["tasks"]] == [first]
        got = (await c.get(f"/api/tasks/{first}")).json()
        assert got["task"]["shown_status"] == "assigned"
        assert set(got["actions"]) == {"progress", "report", "attach", "ask_extension"}
        r = await c.post(f"/api/tasks/{first}/actions",
                         json={"action": "progress", "progress": 40, "note": "Đã họp tổ"})
        assert r.status_code == 200 and r.json()["task"]["status"] == "in_progress"
        # A script that would run when the office opens the file is not kept.
        with pymupdf.open(stream=make_pdf(["Báo cáo tiến độ"]), filetype="pdf") as doc:
            doc.xref_set_key(doc.pdf_catalog(), "OpenAction",
                             "<</S/JavaScript/JS(app.alert('tien do'))>>")
            scripted = doc.tobytes()
        r = await c.post(f"/api/tasks/{first}/attachments", params={"filename": "tiến độ.pdf"},
                         content=scripted)
        assert r.status_code == 201, r.text
        attachment = r.json()["attachment"]["url"]
        kept = (await c.get(attachment)).content
        assert b"app.alert" not in kept and b"/JavaScript" not in kept
        r = await c.post(f"/api/tasks/{first}/attachments", params={"filename": "virus.exe"},
                         content=b"MZ\x90\x00")
        assert r.status_code == 415
        r = await c.post(f"/api/tasks/{first}/attachments", params={"filename": "hong.pdf"},
                         content=b"%PDF-1.7 not really")
        assert r.status_code == 422
        r = await c.post(f"/api/tasks/{first}/attachments", params={"filename": "bao-cao.docx"},
                         content=b"MZ\x90\x00 a program named .docx")
        assert r.status_code == 415 and r.json()["error"]["code"] == "type_mismatch"
        # Granting is the office's: the role is checked before the state.
        r = await c.post(f"/api/tasks/{first}/actions", json={"action": "grant"})
        assert r.status_code == 403
        until = (today + timedelta(days=40)).isoformat()
        r = await c.post(f"/api/tasks/{first}/actions",
                         json={"action": "ask_extension", "until": until})
        assert r.status_code == 400 and "lý do" in r.json()["error"]["message"]
        r = await c.post(f"/api/tasks/{first}/actions", json={
            "action": "ask_extension", "until": until, "note": "Chờ số liệu của Kho bạc"})
        assert r.status_code == 200 and r.json()["task"]["status"] == "extension_asked"
        r = await c.post(f"/api/tasks/{first}/actions", json={"action": "grant"})
        assert r.status_code == 403
    async with client(server, world, "chair") as c:
        r = await c.get(f"/api/tasks/{first}")  # the chair reads, and answers nothing
        assert r.status_code == 200 and r.json()["actions"] == []
        assert (await c.post(f"/api/tasks/{first}/actions",
                             json={"action": "grant"})).status_code == 403
        assert (await c.get(attachment)).content.startswith(b"%PDF-")
    async with client(server, world, "secretary") as c:
        r = await c.post(f"/api/tasks/{first}/actions", json={"action": "grant"})
        assert r.status_code == 200, r.text
        assert r.json()["task"]["deadline"] == until
        assert r.json()["task"]["status"] == "in_progress"
        assert r.json()["task"]["extension"] == "granted"
    async with client(server, world, "delegate01") as c:
        r = await c.post(f"/api/tasks/{first}/actions",
                         json={"action": "report", "note": "Đã trình dự toán"})
        assert r.status_code == 200 and r.json()["task"]["shown_status"] == "done"
        r = await c.post(f"/api/tasks/{first}/actions", json={"action": "progress"})
        assert r.status_code == 409
        got = (await c.get(f"/api/tasks/{first}")).json()
        assert [h["kind"] for h in got["history"]] == [
            "create", "progress", "attach", "ask_extension", "grant", "report"]
        assert got["history"][4]["details"]["deadline_before"] != until
        assert [a["name"] for a in got["attachments"]] == ["tiến độ.pdf"]
    actions = [r["action"] for r in await sql(
        world, "SELECT action FROM audit_log WHERE target = $1 ORDER BY id", f"task:{first}")]
    assert actions == ["task.create", "task.progress", "task.attach", "task.ask_extension",
                       "task.grant", "task.report"]

    # Overdue is read from the deadline and the day, never stored.
    await sql(world, "UPDATE tasks SET assigned_on = $2, deadline = $3 WHERE id = $1",
              second, today - timedelta(days=30), today - timedelta(days=2))
    async with client(server, world, "secretary") as c:
        r = await c.get("/api/tasks")
        rows = {x["id"]: x for x in r.json()["tasks"]}
        assert rows[second]["shown_status"] == "overdue" and rows[second]["overdue"]
        assert rows[second]["status"] == "assigned"
        summary = r.json()["summary"]
        assert (summary["total"], summary["done"], summary["overdue"]) == (2, 1, 1)
        assert summary["by_unit"][0] == {"unit": "Người delegate03", "total": 1, "overdue": 1,
                                         "done": 0, "extension_asked": 0}
        assert summary["by_meeting"][0]["meeting_id"] == world.meeting_id
        r = await c.get("/api/tasks", params={"status": "overdue"})
        assert [x["id"] for x in r.json()["tasks"]] == [second]
    # The reminder sweep finds the task a working day before its deadline.
    tomorrow = t.deadline_after(today, 1, holidays)
    await sql(world, "UPDATE tasks SET deadline = $2 WHERE id = $1", second, tomorrow)
    pool = await asyncpg.create_pool(world.url, min_size=1, max_size=1)
    try:
        due = await queue_reminders(PgTasks(pool), lambda body: _holidays(world, body), today)
    finally:
        await pool.close()
    mine = [(task.id, reminder.kind, reminder.days) for task, reminder in due
            if task.body_id == world.body_id]
    working = calendar.is_working_day(today, holidays)
    assert mine == ([(second, "before", 1)] if working else [])


async def _holidays(world: World, body_id: int) -> set[date]:
    return {r["day"] for r in await sql(world, "SELECT day FROM holidays WHERE body_id IS NULL"
                                               " OR body_id = $1", body_id)}


async def test_the_office_assigns_by_hand_and_other_bodies_see_nothing(server: Server) -> None:
    world = await noticed(server)
    other = await build_world(server.database_url, delegates=1, admin="outsider")
    units = {r["name"]: r["id"] for r in await sql(
        world, "SELECT id, name FROM body_units WHERE body_id = $1", world.body_id)}
    async with client(server, world, "delegate01") as c:
        r = await c.post("/api/tasks", json={"title": "Việc", "unit_id": units["Sở Y tế"]})
        assert r.status_code == 403
    async with client(server, world, "outsider") as c:  # the body's admin
        r = await c.post("/api/tasks", json={"title": "Báo cáo nhanh", "working_days": 3})
        assert r.status_code == 400 and "đơn vị" in r.json()["error"]["message"]
        r = await c.post("/api/tasks", json={"title": "Báo cáo nhanh", "deadline": "2020-01-01",
                                             "unit_id": units["Sở Y tế"]})
        assert r.status_code == 400
        r = await c.post("/api/tasks", json={"title": "Báo cáo nhanh tình hình dịch bệnh",
                                             "working_days": 3, "unit_id": units["Sở Y tế"]})
        assert r.status_code == 201, r.text
        task = r.json()["task"]
        assert task["meeting"] is None and task["unit"]["name"] == "Sở Y tế"
        r = await c.get("/api/tasks", params={"q": "dich benh"})
        assert [x["id"] for x in r.json()["tasks"]] == [task["id"]]
    async with client(server, other, "outsider") as c:  # another body's admin
        assert (await c.get(f"/api/tasks/{task['id']}")).status_code == 404
        assert (await c.get("/api/tasks")).json()["tasks"] == []
        r = await c.post("/api/tasks", json={"title": "Việc", "unit_id": units["Sở Y tế"]})
        assert r.status_code == 404
        r = await c.post(f"/api/meetings/{world.meeting_id}/tasks",
                         json={"tasks": [{"title": "x", "unit_id": units["Sở Y tế"]}]})
        assert r.status_code == 403
    async with client(server, world, "outsider") as c:
        # A unit renamed keeps its tasks, and its people keep them too.
        r = await c.patch(f"/api/units/{units['Sở Y tế']}", json={"name": "Sở Y tế tỉnh"})
        assert r.status_code == 200, r.text
    async with client(server, world, "delegate02") as c:
        r = await c.get(f"/api/tasks/{task['id']}")
        assert r.status_code == 200 and r.json()["task"]["unit"]["name"] == "Sở Y tế tỉnh"
        r = await c.post(f"/api/tasks/{task['id']}/actions",
                         json={"action": "report", "note": "Đã gửi báo cáo"})
        assert r.status_code == 200
    async with client(server, world, "outsider") as c:
        r = await c.post(f"/api/tasks/{task['id']}/actions",
                         json={"action": "reopen", "note": "Thiếu số liệu huyện"})
        assert r.status_code == 200 and r.json()["task"]["status"] == "in_progress"


async def test_the_follow_up_report_as_csv_and_pdf(server: Server) -> None:
    world = await noticed(server)
    async with client(server, world, "secretary") as c:
        items = (await c.get(f"/api/meetings/{world.meeting_id}/tasks/proposed")).json()["items"]
        assert (await c.post(f"/api/meetings/{world.meeting_id}/tasks",
                             json={"tasks": items})).status_code == 201
        # The meeting's secretary is no preparer of the body, and still exports.
        assert (await c.get("/api/tasks")).json()["can_export"]
        assert (await c.get("/api/tasks/report.csv")).status_code == 200
    async with client(server, world, "delegate01") as c:
        assert (await c.get("/api/tasks/report.csv")).status_code == 403
    async with client(server, world, "chair") as c:
        r = await c.get("/api/tasks/report.csv")
        assert r.status_code == 200, r.text
        table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert table[0][:3] == ["STT", "Nhiệm vụ", "Cuộc họp"]
        assert [row[3] for row in table[1:]] == ["Sở Tài chính", "Sở Y tế"]
        assert {row[6] for row in table[1:]} == {"Đã giao"}
        r = await c.get("/api/tasks/report.pdf")
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        text = pymupdf.open(stream=r.content, filetype="pdf")[0].get_text()
        assert "BÁO CÁO" in text and "Sở Tài chính" in text
        assert "NGƯỜI LẬP BÁO CÁO" in text and "Người chair" in text and "- Lưu: VT." in text
    audit = await sql(world, "SELECT details FROM audit_log WHERE action = 'task.export'"
                             " AND actor_id = $1", world.users["chair"])
    assert [a["details"]["format"] for a in audit] == ["csv", "pdf"]
    assert len(await sql(world, "SELECT 1 FROM audit_log WHERE action = 'task.export'"
                                " AND actor_id = $1", world.users["secretary"])) == 1


@pytest.mark.parametrize("body", [{"tasks": []}, {"tasks": "x"}, {"tasks": [{"title": ""}]}])
async def test_bad_lists_of_tasks_are_refused(server: Server, body: object) -> None:
    world = await noticed(server)
    async with client(server, world, "secretary") as c:
        r = await c.post(f"/api/meetings/{world.meeting_id}/tasks", json=body)
        assert r.status_code == 400 and r.json()["error"]["message"]
    assert await sql(world, "SELECT id FROM tasks WHERE body_id = $1", world.body_id) == []


async def test_reminders_reach_the_unit_and_the_office_once_without_the_tasks_words(
        server: Server) -> None:
    from collab_server.notify.meetings import Site

    world = await noticed(server)
    async with client(server, world, "secretary") as c:
        base = f"/api/meetings/{world.meeting_id}"
        items = (await c.get(f"{base}/tasks/proposed")).json()["items"]
        r = await c.post(f"{base}/tasks", json={"tasks": items})
        assert r.status_code == 201, r.text
    tasks = await sql(world, "SELECT id, unit_name FROM tasks WHERE meeting_id = $1 ORDER BY id",
                      world.meeting_id)
    task = next(r["id"] for r in tasks if r["unit_name"] == "Sở Tài chính")
    # Everyone has an address; a Wednesday with no holiday, the deadline the day after.
    for uid in world.users.values():
        await sql(world, "INSERT INTO notification_settings (user_id, email) VALUES ($1, $2)"
                         " ON CONFLICT (user_id) DO UPDATE SET email = $2", uid, f"u{uid}@vd.vn")
    day = date(2027, 3, 10)
    await sql(world, "UPDATE tasks SET deadline = $2, assigned_on = $3 WHERE id = $1",
              task, date(2027, 3, 11), date(2027, 3, 1))
    site = Site("https://phonghop.vd.vn", "phonghop@vd.vn")
    pool = await asyncpg.create_pool(world.url, min_size=1, max_size=2)

    async def holidays(body: int) -> set[date]:
        return set()

    async def queued() -> list[asyncpg.Record]:
        return await sql(world, "SELECT user_id, kind, key, subject, body FROM notification_outbox"
                                " WHERE key LIKE $1 ORDER BY user_id, key", f"task:{task}:%")

    try:
        await queue_reminders(PgTasks(pool), holidays, day, site)
        before = await queued()
        # Sweeping again the same day queues nothing more.
        await queue_reminders(PgTasks(pool), holidays, day, site)
        assert await queued() == before
        assert [r["user_id"] for r in before] == [world.users["delegate01"]]
        assert before[0]["kind"] == "task.before"
        assert "còn 1 ngày làm việc" in before[0]["body"]
        assert f"https://phonghop.vd.vn/#/tasks/{task}" in before[0]["body"]
        # Three working days late: the office is told as well.
        await queue_reminders(PgTasks(pool), holidays, date(2027, 3, 12), site)
        late = [r for r in await queued() if r["kind"] == "task.overdue"]
        office = {world.users["secretary"], world.users["outsider"]}
        assert {r["user_id"] for r in late} >= office | {world.users["delegate01"]}
        assert world.users["delegate02"] not in {r["user_id"] for r in late}
        # The notice's words are not in any message.
        title = (await sql(world, "SELECT title FROM tasks WHERE id = $1", task))[0]["title"]
        for row in await queued():
            assert title not in row["body"] and title not in row["subject"]
    finally:
        await pool.close()
