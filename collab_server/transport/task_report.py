"""The follow-up report of tasks (báo cáo tình hình thực hiện nhiệm vụ): the
board as CSV for a spreadsheet, or as a PDF in the layout of Decree 30.
For the office of the body and for the chairs and secretaries of its
meetings (who get the tasks of their own meetings); the rows are exactly the
board's, filters included."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from collab_server.documents.official import OfficialDocument, Signature, render
from collab_server.domain import calendar
from collab_server.domain.minutes import bullet_list, place_and_date
from collab_server.errors import Forbidden
from collab_server.storage.tasks import PgTasks
from collab_server.transport.auth import current_user
from collab_server.transport.http import record
from collab_server.transport.minutes import RENDER_TIMEOUT, _attachment
from collab_server.transport.spreadsheet import csv_bytes
from collab_server.transport.tasks import office_of_body, summary, visible_rows

SHOWN = {
    "assigned": "Đã giao", "in_progress": "Đang thực hiện",
    "extension_asked": "Xin gia hạn", "overdue": "Quá hạn",
    "done": "Hoàn thành", "done_late": "Hoàn thành quá hạn",
}
HEADER = ["STT", "Nhiệm vụ", "Cuộc họp", "Đơn vị, người chịu trách nhiệm", "Ngày giao",
          "Hạn xử lý", "Trạng thái", "Tiến độ (%)", "Ngày hoàn thành", "Kết quả"]


def _day(iso: str | None) -> str:
    return "/".join(reversed(iso.split("-"))) if iso else ""


def _responsible(row: dict[str, Any]) -> str:
    names = [row["unit"]["name"] if row["unit"] else "",
             row["assignee"]["full_name"] if row["assignee"] else ""]
    return " - ".join(n for n in names if n)


def rows(tasks: list[dict[str, Any]]) -> list[list[str]]:
    out = [HEADER]
    for n, r in enumerate(tasks, start=1):
        out.append([str(n), r["title"], r["meeting"]["title"] if r["meeting"] else "",
                    _responsible(r), _day(r["assigned_on"]), _day(r["deadline"]),
                    SHOWN.get(r["shown_status"], r["shown_status"]), str(r["progress"]),
                    _day(r["done_on"]), r["report"]])
    return out


def text(tasks: list[dict[str, Any]], today: date) -> str:
    """The body of the PDF: the counts, then one paragraph per task."""
    s = summary(tasks)
    lines = [
        f"Tính đến {'/'.join(reversed(today.isoformat().split('-')))}: tổng số {s['total']}"
        f" nhiệm vụ; đã hoàn thành {s['done']}; quá hạn {s['overdue']}; đang xin gia hạn"
        f" {s['extension_asked']}.",
        "I. THEO ĐƠN VỊ",
    ]
    lines += [f"- {u['unit'] or 'Chưa rõ'}: {u['total']} nhiệm vụ, hoàn thành {u['done']},"
              f" quá hạn {u['overdue']}." for u in s["by_unit"]]
    lines.append("II. CHI TIẾT TỪNG NHIỆM VỤ")
    for n, r in enumerate(tasks, start=1):
        where = f" (theo {r['meeting']['title']})" if r["meeting"] else ""
        line = (f"{n}. {r['title']}{where}. Chịu trách nhiệm: {_responsible(r)}. Hạn:"
                f" {_day(r['deadline'])}. Trạng thái: {SHOWN.get(r['shown_status'], '')},"
                f" tiến độ {r['progress']} %.")
        if r["report"]:
            line += f" Kết quả: {r['report']}"
        lines.append(line)
    return "\n".join(lines)


async def _rows(request: Request, fmt: str) -> tuple[Any, list[dict[str, Any]]]:
    user = await current_user(request)
    if not (office_of_body(user, user.body_id)
            or await PgTasks(request.app.state.pool).leads_any(user.body_id, user.id)):
        raise Forbidden("Chỉ văn phòng, chủ tọa và thư ký cuộc họp được xuất báo cáo theo dõi"
                        " nhiệm vụ.",
                        "Only the office, chairs and secretaries may export the follow-up"
                        " report.")
    tasks, _ = await visible_rows(request, user)
    await record(request, user, "task.export", f"body:{user.body_id}", format=fmt,
                 tasks=len(tasks))
    return user, tasks


async def report_csv(request: Request) -> Response:
    """`GET /api/tasks/report.csv` (the board's filters)."""
    _, tasks = await _rows(request, "csv")
    today = calendar.local_day(datetime.now(UTC))
    return _attachment(csv_bytes(rows(tasks)), f"Theo dõi nhiệm vụ {today.isoformat()}",
                       "csv", "text/csv; charset=utf-8")


async def report_pdf(request: Request) -> Response:
    """`GET /api/tasks/report.pdf`: the report in the layout of Decree 30."""
    user, tasks = await _rows(request, "pdf")
    async with request.app.state.pool.acquire() as conn:
        body = await conn.fetchrow("SELECT name, place FROM bodies WHERE id = $1", user.body_id)
    today = calendar.local_day(datetime.now(UTC))
    document = OfficialDocument(
        organ=body["name"], number="Số:" + "\u00a0" * 10 + "/BC",
        place_date=place_and_date(body["place"], today), kind="BÁO CÁO",
        subject="Tình hình thực hiện các nhiệm vụ được giao", text=text(tasks, today),
        signatures=(Signature("NGƯỜI LẬP BÁO CÁO", user.full_name),),
        recipients=bullet_list(["Chủ tịch, các Phó Chủ tịch", "Lưu: VT"]),
        author=user.full_name)
    pdf: bytes = await request.app.state.workers.run(render, document, timeout=RENDER_TIMEOUT)
    return _attachment(pdf, f"Báo cáo theo dõi nhiệm vụ {today.isoformat()}", "pdf",
                       "application/pdf")
