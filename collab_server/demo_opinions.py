"""Demo data of written opinions: a request sent to nine members of the demo
body, chaired by its chair, with a draft to read and two answers already in,
so `make run` shows the office's, the members' and the chair's screens."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from collab_server.documents.ingest import ingest_pdf
from collab_server.domain import opinions as o
from collab_server.storage.opinions import NewDocument, PgOpinions

TITLE = "Dự thảo Kế hoạch chuyển đổi số của tỉnh năm 2027"
QUESTIONS = [
    "Thông qua dự thảo Kế hoạch chuyển đổi số của tỉnh năm 2027?",
    "Giao Văn phòng UBND tỉnh chủ trì triển khai phòng họp không giấy trong Kế hoạch?",
]
WORKING_DAYS = 5


async def seed(pool: asyncpg.Pool, body: int, office: int, chair: int,
               pdf: bytes) -> int:
    """The request, sent today; delegate02 agrees, delegate03 has another opinion,
    the others (delegate01 among them) have not answered yet."""
    members = [r["id"] for r in await pool.fetch(
        "SELECT id FROM users WHERE body_id = $1 AND username = ANY($2::text[]) ORDER BY id",
        body, [f"delegate{i:02d}" for i in range(1, 10)])]
    store = PgOpinions(pool)
    request_id = await store.create(
        body, TITLE, "Văn phòng UBND tỉnh xin ý kiến thành viên UBND tỉnh bằng phiếu theo Quy"
        " chế làm việc; đề nghị các thành viên cho ý kiến trước thời hạn.", "internal",
        QUESTIONS, members, chair, office)
    ingested = ingest_pdf(pdf)
    await store.add_document(request_id, NewDocument(
        title="Dự thảo Kế hoạch chuyển đổi số năm 2027", original_name="du-thao-ke-hoach.pdf",
        original_type="application/pdf", original=ingested.pdf, pdf=ingested.pdf,
        pages=[(w, h, t) for (w, h), t in zip(ingested.info.page_sizes, ingested.texts,
                                              strict=True)], confidentiality="internal"), office)
    holidays = {r["day"] for r in await pool.fetch(
        "SELECT day FROM holidays WHERE body_id IS NULL OR body_id = $1", body)}
    deadline = o.deadline_day(datetime.now(UTC), WORKING_DAYS, holidays)
    await store.send(request_id, WORKING_DAYS, deadline, o.closes_at(deadline), office, "")
    questions = [q for q, _ in await store.questions(request_id)]
    await store.answer(request_id, members[1], {q: o.Answer("agree", "") for q in questions}, "")
    await store.answer(request_id, members[2], {
        questions[0]: o.Answer("other", "Đề nghị bổ sung chỉ tiêu về an toàn thông tin."),
        questions[1]: o.Answer("agree", "")}, "")
    return request_id
