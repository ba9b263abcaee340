"""Demo data for tasks: last month's meeting, ended, with its approved minutes
and a conclusion notice whose numbered items became tasks of four units,
each at another step (in progress, overdue, an extension asked, done), so
`make run` shows the board, a task's history and the follow-up report."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import asyncpg

from collab_server.documents.text import fold
from collab_server.domain import calendar
from collab_server.domain import tasks as t
from collab_server.storage.minutes import PgMinutes
from collab_server.storage.tasks import NewTask, PgTasks

TITLE = "Phiên họp thường kỳ tháng 11 năm 2026 của UBND tỉnh"
MINUTES = "\n".join([
    "I. THÀNH PHẦN THAM DỰ",
    "Chủ tọa: đồng chí Trần Quốc Hưng, Chủ tịch UBND tỉnh; thư ký: Lê Thị Thu Hà.",
    "II. NỘI DUNG",
    "Ủy ban nhân dân tỉnh nghe báo cáo tình hình kinh tế - xã hội tháng 10.",
    "III. KẾT LUẬN CỦA CHỦ TỌA",
    "Giao các sở thực hiện như thông báo kết luận.",
    "Cuộc họp kết thúc vào 11 giờ 00 phút cùng ngày.",
])
ITEMS = [
    "1. Giao Sở Tài chính chủ trì, phối hợp với các sở, ngành rà soát dự toán thu, chi ngân"
    " sách năm 2027, trình Ủy ban nhân dân tỉnh trong 15 ngày làm việc.",
    "2. Giao Sở Kế hoạch và Đầu tư tổng hợp tình hình giải ngân vốn đầu tư công, báo cáo"
    " trong 5 ngày làm việc.",
    "3. Giao Sở Y tế xây dựng kế hoạch tiêm chủng mở rộng quý I năm 2027 trong 10 ngày làm"
    " việc.",
    "4. Giao Sở Nội vụ hoàn thiện đề án sắp xếp đơn vị sự nghiệp trong 5 ngày làm việc.",
]
NOTICE = "\n".join([
    "Sau khi nghe báo cáo và ý kiến phát biểu của các đại biểu dự họp, Chủ tịch Ủy ban nhân"
    " dân tỉnh kết luận như sau:", *ITEMS,
    "Ủy ban nhân dân tỉnh (demo) thông báo để các cơ quan, đơn vị, cá nhân liên quan biết,"
    " thực hiện./.",
])


async def seed(pool: asyncpg.Pool, body: int, room: int, chair: int, secretary: int) -> None:
    async with pool.acquire() as conn:
        holidays = {r["day"] for r in await conn.fetch(
            "SELECT day FROM holidays WHERE body_id IS NULL OR body_id = $1", body)}
    today = calendar.local_day(datetime.now(UTC))
    # Fifteen working days ago, whatever holidays came between.
    held, back = today, 15
    while back:
        held -= timedelta(days=1)
        back -= calendar.is_working_day(held, holidays)
    closed = datetime(held.year, held.month, held.day, 4, 0, tzinfo=UTC)  # 11:00 in Vietnam
    async with pool.acquire() as conn, conn.transaction():
        meeting: int = await conn.fetchval(
            "INSERT INTO meetings (body_id, room_id, title, title_folded, kind, starts_at,"
            " status, opened_at, closed_at) VALUES ($1, $2, $3, $4, 'regular', $5, 'ended',"
            " $5, $6) RETURNING id",
            body, room, TITLE, fold(TITLE), closed - timedelta(hours=2), closed)
        await conn.executemany(
            "INSERT INTO meeting_participants (meeting_id, user_id, role) VALUES ($1, $2, $3)",
            [(meeting, chair, "chair"), (meeting, secretary, "secretary")])
    layout = {"organ": "Ủy ban nhân dân tỉnh (demo)", "place_date": "", "kind": "BIÊN BẢN",
              "subject": TITLE, "signatures": [], "recipients": ["Lưu: VT"]}
    minutes = PgMinutes(pool)
    await minutes.approve(meeting, MINUTES, "", layout, secretary)
    await minutes.issue(meeting, NOTICE, "", {**layout, "kind": "THÔNG BÁO"}, 1,
                        calendar.add_working_days(held, 5, holidays), chair)

    store = PgTasks(pool)
    units = dict((name, unit_id) for unit_id, name in await store.units(body))
    assigned = calendar.add_working_days(held, 3, holidays)
    new = [NewTask(title=item.title, item_no=item.no, unit_id=units.get(item.unit),
                   unit_name=item.unit, working_days=item.working_days, assigned_on=assigned,
                   deadline=t.deadline_after(assigned, item.working_days or 10, holidays),
                   meeting_id=meeting, notice_version=1)
           for item in t.parse_items(NOTICE, list(units), assigned)]
    made = await store.create(body, new, secretary, "")
    owner = t.Actor(office=False, responsible=True)

    async def step(task: int, by: int, actor: t.Actor, s: t.Step, day: date) -> None:
        await store.step(task, s.action.value, s.note,
                         lambda row: t.apply(row.state, s, actor, day), by, "",
                         {"until": s.until.isoformat() if s.until else None})

    async def member(unit: str) -> int:
        async with pool.acquire() as conn:
            found: int = await conn.fetchval(
                "SELECT id FROM users WHERE body_id = $1 AND unit = $2 AND username LIKE"
                " 'delegate%' ORDER BY id LIMIT 1", body, unit)
        return found

    finance, _planning, health, home = made
    who = {task: await member(item.unit_name) for task, item in zip(made, new, strict=True)}
    await step(finance, who[finance], owner,
               t.Step(t.Action.PROGRESS, "Đã tổng hợp dự toán của 18 sở, ngành.", 60), today)
    # Planning's deadline has passed: overdue on the board, with no step taken.
    await step(health, who[health], owner,
               t.Step(t.Action.PROGRESS, "Đã lấy ý kiến các huyện.", 30), today)
    await step(health, who[health], owner,
               t.Step(t.Action.ASK_EXTENSION, "Chờ Bộ Y tế phân bổ vắc xin quý I.",
                      until=today + timedelta(days=20)), today)
    await step(home, who[home], owner,
               t.Step(t.Action.REPORT, "Đã trình đề án tại Tờ trình số 215/TTr-SNV."), today)
