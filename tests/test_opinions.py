"""Written opinions (phiếu lấy ý kiến): the pure rules (deadline in working
days, reminders, outcome, the drafted summary) and the whole flow over HTTP
against a real server: the office prepares and sends, members answer and
change their answer until the deadline, who sees which answers, the summary
edited and issued as a Decree 30 PDF, search and the audit log."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import asyncpg
import httpx
import pymupdf
import pytest

from collab_server.domain import opinions as o
from collab_server.domain.calendar import LOCAL_TZ
from tests.browser_support import make_pdf
from tests.conftest import Server, World, build_world

TZ = LOCAL_TZ
HOLIDAYS = {date(2026, 4, 30), date(2026, 5, 1)}


# -- pure rules ------------------------------------------------------------------------------


def test_deadline_counts_working_days_and_skips_holidays() -> None:
    # Sent on Wednesday 29 April 2026: Thursday 30/4 and Friday 1/5 are holidays,
    # then the weekend; three working days end on Wednesday 6 May.
    sent = datetime(2026, 4, 29, 15, 0, tzinfo=TZ)
    assert o.deadline_day(sent, 3, HOLIDAYS) == date(2026, 5, 6)
    assert o.deadline_day(sent, 3, set()) == date(2026, 5, 4)
    # Late at night in Vietnam is still that day, whatever UTC says.
    assert o.deadline_day(datetime(2026, 5, 4, 23, 30, tzinfo=TZ), 1, HOLIDAYS) == date(2026, 5, 5)
    closes = o.closes_at(date(2026, 5, 6))
    assert closes == datetime(2026, 5, 7, 0, 0, tzinfo=TZ)
    assert o.is_open("open", closes, closes - timedelta(seconds=1))
    assert not o.is_open("open", closes, closes)
    assert not o.is_open("issued", closes, closes - timedelta(days=1))
    assert not o.is_open("draft", None, closes)


def test_reminders_go_to_the_silent_before_the_deadline() -> None:
    sent = datetime(2026, 4, 29, 15, 0, tzinfo=TZ)
    deadline = date(2026, 5, 6)
    # The working day before Wednesday 6 May is Tuesday 5 May, then the day itself.
    times = o.reminder_times(sent, deadline, HOLIDAYS)
    assert times == [datetime(2026, 5, 5, 8, 0, tzinfo=TZ), datetime(2026, 5, 6, 8, 0, tzinfo=TZ)]
    due = o.reminders_due([1, 2, 3], {2}, sent, deadline, HOLIDAYS, sent)
    assert due == [o.Reminder(1, times[0]), o.Reminder(3, times[0])]
    # After the first reminder time, the next is the deadline day's.
    later = o.reminders_due([1, 2, 3], {2, 3}, sent, deadline, HOLIDAYS, times[0])
    assert later == [o.Reminder(1, times[1])]
    # Once the last has gone, or the deadline is over, nobody.
    assert o.reminders_due([1], set(), sent, deadline, HOLIDAYS, times[1]) == []
    assert o.reminders_due([1], set(), sent, deadline, HOLIDAYS, o.closes_at(deadline)) == []
    # Across a holiday: a Monday deadline after a Friday holiday is reminded on Thursday.
    assert o.reminder_times(datetime(2026, 4, 27, 9, tzinfo=TZ), date(2026, 5, 4),
                            HOLIDAYS)[0] == datetime(2026, 4, 29, 8, 0, tzinfo=TZ)
    # A one-day deadline sent in the afternoon: the day-before reminder is already past.
    assert o.reminder_times(datetime(2026, 5, 4, 15, tzinfo=TZ), date(2026, 5, 5), HOLIDAYS) == \
        [datetime(2026, 5, 5, 8, 0, tzinfo=TZ)]


def test_outcome_needs_more_than_half_of_all_members_asked() -> None:
    assert o.tally(5, ["agree"] * 3).passed
    assert not o.tally(4, ["agree"] * 2 + ["disagree"]).passed  # half is not more than half
    assert not o.tally(5, ["agree"] * 2).passed  # silence does not agree
    t = o.tally(5, ["agree", "disagree", "other"])
    assert (t.answered, t.silent) == (3, 2)
    assert t.to_json() == {"asked": 5, "agree": 1, "disagree": 1, "other": 1, "silent": 2,
                           "passed": False}


def test_drafted_summary_names_answers_comments_silence_and_rule() -> None:
    members = [o.Member(1, "Trần Văn An", "Phó Chủ tịch"), o.Member(2, "Lê Thị Bình", ""),
               o.Member(3, "Phạm Cường", "Ủy viên")]
    answers = {(10, 1): o.Answer("agree", ""),
               (10, 2): o.Answer("other", "Bổ sung kinh phí\n\nII. KẾT LUẬN GIẢ"),
               (11, 1): o.Answer("agree", "Nhất trí"), (11, 2): o.Answer("agree", "")}
    text = o.draft_summary("Dự thảo kế hoạch", [(10, "Thông qua dự thảo?"),
                                                (11, "Giao Sở Tài chính?")],
                           members, answers, date(2026, 5, 6))
    assert "thời hạn trả lời hết ngày 06 tháng 5 năm 2026" in text
    assert o.RULE_VI in text
    assert "I. Thông qua dự thảo?" in text and "II. Giao Sở Tài chính?" in text
    assert "- Trần Văn An (Phó Chủ tịch): Đồng ý." in text
    # A comment stays one quoted line: its line breaks start nothing in the summary.
    assert "- Lê Thị Bình: Ý kiến khác: \u201cBổ sung kinh phí II. KẾT LUẬN GIẢ\u201d" in text
    assert "\nII. KẾT LUẬN GIẢ" not in text
    assert "- Không trả lời: Phạm Cường (Ủy viên)." in text
    assert "Kết quả: CHƯA THÔNG QUA (1/3" in text
    assert "Kết quả: THÔNG QUA (2/3" in text


# -- over HTTP -------------------------------------------------------------------------------


@dataclass
class Org:
    world: World
    http: dict[str, httpx.AsyncClient]

    def uid(self, who: str) -> int:
        return self.world.users[who]

    async def sql(self, query: str, *args: object) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.world.url)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()


PEOPLE = ("secretary", "chair", "delegate01", "delegate02", "delegate03", "outsider", "guest")


@pytest.fixture
async def org(server: Server) -> AsyncIterator[Org]:
    """A People's Committee: the secretary is its office (prepares), the chair
    chairs, three delegates are members; the guest is a plain person of the body,
    and `stranger` the office of another body."""
    world = await build_world(server.database_url, delegates=3)
    other = await build_world(server.database_url, delegates=1)
    clients = {who: httpx.AsyncClient(base_url=server.http, timeout=60, headers={
        "authorization": f"Bearer {world.token(who)}"}) for who in PEOPLE}
    clients["stranger"] = httpx.AsyncClient(base_url=server.http, timeout=60, headers={
        "authorization": f"Bearer {other.token('secretary')}"})
    clients["anon"] = httpx.AsyncClient(base_url=server.http, timeout=60)
    o_ = Org(world, clients)
    await o_.sql("UPDATE users SET can_prepare = true WHERE id = ANY($1::bigint[])",
                 [world.users["secretary"], other.users["secretary"]])
    await o_.sql("UPDATE users SET full_name = 'Nguyễn Thị Thư', title = 'Chánh Văn phòng'"
                 " WHERE id = $1", world.users["secretary"])
    await o_.sql("UPDATE bodies SET name = 'Ủy ban nhân dân tỉnh Quảng Bình',"
                 " place = 'Quảng Bình' WHERE id = $1", world.body_id)
    yield o_
    for c in clients.values():
        await c.aclose()


async def _create(org: Org, *, questions: tuple[str, ...] = ("Thông qua dự thảo quy hoạch?",
                                                              "Giao Sở Xây dựng chủ trì?"),
                  title: str = "Dự thảo quy hoạch khu kinh tế ven biển") -> dict[str, object]:
    r = await org.http["secretary"].post("/api/opinions", json={
        "title": title, "description": "Xin ý kiến thành viên UBND.",
        "questions": list(questions), "chair_id": org.uid("chair"),
        "members": [org.uid(f"delegate0{i}") for i in (1, 2, 3)]})
    assert r.status_code == 201, r.text
    opinion: dict[str, object] = r.json()["opinion"]
    return opinion


async def _send(org: Org, oid: object, days: int = 3) -> dict[str, object]:
    r = await org.http["secretary"].post(f"/api/opinions/{oid}/send",
                                         json={"working_days": days})
    assert r.status_code == 200, r.text
    sent: dict[str, object] = r.json()["opinion"]
    return sent


def _answers(opinion: dict[str, object], *choices: tuple[str, str]) -> dict[str, object]:
    questions = opinion["questions"]
    assert isinstance(questions, list)
    return {"answers": [{"question_id": q["id"], "choice": c, "comment": t}
                        for q, (c, t) in zip(questions, choices, strict=True)]}


async def test_office_prepares_members_answer_and_the_summary_is_issued(org: Org) -> None:
    opinion = await _create(org)
    oid = opinion["id"]
    assert opinion["status"] == "draft"
    # A draft is the office's: members do not see it yet.
    assert (await org.http["delegate01"].get(f"/api/opinions/{oid}")).status_code == 403
    assert (await org.http["delegate01"].get("/api/opinions")).json()["opinions"] == []
    up = await org.http["secretary"].post(
        f"/api/opinions/{oid}/documents", content=make_pdf(["Dự thảo quy hoạch", "Trang 2"]),
        params={"filename": "du-thao.pdf"})
    assert up.status_code == 201, up.text
    document_id = up.json()["document_id"]
    # A paper added by mistake is taken off the draft.
    extra = await org.http["secretary"].post(
        f"/api/opinions/{oid}/documents", content=make_pdf(["Nhầm tệp"]),
        params={"filename": "nham.pdf"})
    assert extra.status_code == 201
    gone = extra.json()["document_id"]
    assert (await org.http["secretary"].delete(
        f"/api/opinions/{oid}/documents/{gone}")).status_code == 200
    assert (await org.http["secretary"].delete(
        f"/api/opinions/{oid}/documents/{gone}")).status_code == 404
    docs = (await org.http["secretary"].get(f"/api/opinions/{oid}")).json()["opinion"]
    assert [d["id"] for d in docs["documents"]] == [document_id]
    assert [r["action"] for r in await org.sql(
        "SELECT action FROM audit_log WHERE target = $1 ORDER BY id",
        f"opinion_document:{gone}")] == ["opinion.document_upload", "opinion.document_remove"]

    r = await org.http["secretary"].patch(f"/api/opinions/{oid}", json={
        "description": "Xin ý kiến thành viên UBND tỉnh theo Quy chế làm việc."})
    assert r.status_code == 200 and r.json()["opinion"]["description"].startswith("Xin ý kiến")
    sent = await _send(org, oid, days=3)
    assert sent["status"] == "open" and sent["accepting"] is True
    assert sent["working_days"] == 3 and sent["deadline"]
    # The office sees who is due a reminder, and when (before the deadline).
    reminders = sent["reminders"]
    assert isinstance(reminders, list)
    assert {r["user_id"] for r in reminders} == {org.uid(f"delegate0{i}") for i in (1, 2, 3)}
    assert all(r["at"] < str(sent["closes_at"]) for r in reminders)
    # Sent: no more editing of the request or its papers.
    r = await org.http["secretary"].patch(f"/api/opinions/{oid}", json={"title": "Khác"})
    assert r.status_code == 409
    r = await org.http["secretary"].delete(f"/api/opinions/{oid}/documents/{document_id}")
    assert r.status_code == 409

    # A member reads the draft's pages, watermarked with their name.
    d1 = org.http["delegate01"]
    listed = (await d1.get("/api/opinions")).json()["opinions"]
    assert [(x["id"], x["answered"]) for x in listed] == [(oid, False)]
    assert [x["answered"] for x in (await org.http["secretary"].get("/api/opinions")).json()[
        "opinions"]] == [None]
    page = await d1.get(f"/api/opinions/{oid}/documents/{document_id}/pages/1",
                        params={"fmt": "png"})
    assert page.status_code == 200 and page.headers["content-type"] == "image/png"
    assert page.headers["cache-control"] == "no-store"
    assert (await org.http["guest"].get(
        f"/api/opinions/{oid}/documents/{document_id}/pages/1")).status_code == 403

    # Answers: every question once; "other" says what.
    mine = await d1.get(f"/api/opinions/{oid}")
    detail = mine.json()["opinion"]
    bad = await d1.put(f"/api/opinions/{oid}/answer",
                       json=_answers(detail, ("agree", ""), ("other", " ")))
    assert bad.status_code == 400 and "Ý kiến khác" in bad.json()["error"]["message"]
    half = await d1.put(f"/api/opinions/{oid}/answer", json={"answers": _answers(
        detail, ("agree", ""), ("agree", ""))["answers"][:1]})
    assert half.status_code == 400
    r = await d1.put(f"/api/opinions/{oid}/answer",
                     json=_answers(detail, ("disagree", "Chưa đủ căn cứ"), ("agree", "")))
    assert r.status_code == 200 and r.json()["changed"] is False
    # Changed before the deadline: the new answer replaces the old.
    r = await d1.put(f"/api/opinions/{oid}/answer",
                     json=_answers(detail, ("agree", "Đã rõ sau giải trình"), ("agree", "")))
    assert r.status_code == 200 and r.json()["changed"] is True
    own = r.json()["opinion"]["my_answer"]
    assert [x["answered"] for x in (await d1.get("/api/opinions")).json()["opinions"]] == [True]
    assert {a["choice"] for a in own} == {"agree"} and max(a["changes"] for a in own) == 1
    r = await org.http["delegate02"].put(
        f"/api/opinions/{oid}/answer",
        json=_answers(detail, ("other", "Cần bổ sung đánh giá tác động môi trường"),
                      ("agree", "")))
    assert r.status_code == 200
    # Not a member: no answer.
    r = await org.http["guest"].put(f"/api/opinions/{oid}/answer",
                                    json=_answers(detail, ("agree", ""), ("agree", "")))
    assert r.status_code == 403

    # Before the deadline, with a member silent, the summary cannot be issued.
    draft = await org.http["secretary"].get(f"/api/opinions/{oid}/summary")
    assert draft.status_code == 200 and draft.json()["status"] == "draft"
    text = draft.json()["draft"]
    assert "Người delegate01: Đồng ý: \u201cĐã rõ sau giải trình\u201d" in text
    assert "Không trả lời: Người delegate03" in text
    early = await org.http["secretary"].post(f"/api/opinions/{oid}/summary/issue",
                                             json={"text": text})
    assert early.status_code == 409

    # The office edits the draft (plain text), saved before issue.
    edited = text + "\nĐề nghị Chủ tịch ký ban hành quy hoạch."
    r = await org.http["secretary"].put(f"/api/opinions/{oid}/summary",
                                        json={"text": edited, "number": "12/BC-VP"})
    assert r.status_code == 200
    again = (await org.http["chair"].get(f"/api/opinions/{oid}/summary")).json()
    assert again["text"] == edited and again["number"] == "12/BC-VP" and again["saved"]
    assert (await org.http["chair"].put(f"/api/opinions/{oid}/summary",
                                        json={"text": "x"})).status_code == 403

    # The deadline passes: answers close, the summary can be issued.
    await org.sql("UPDATE opinion_requests SET closes_at = now() - interval '1 second'"
                  " WHERE id = $1", oid)
    late = await org.http["delegate03"].put(f"/api/opinions/{oid}/answer",
                                            json=_answers(detail, ("agree", ""), ("agree", "")))
    assert late.status_code == 409
    issued = await org.http["secretary"].post(f"/api/opinions/{oid}/summary/issue",
                                              json={"text": edited, "number": "12/BC-VP"})
    assert issued.status_code == 201, issued.text
    assert issued.json()["opinion"]["status"] == "issued"
    twice = await org.http["secretary"].post(f"/api/opinions/{oid}/summary/issue",
                                             json={"text": edited})
    assert twice.status_code == 409
    assert (await org.http["secretary"].put(f"/api/opinions/{oid}/summary",
                                            json={"text": "sửa"})).status_code == 409

    # The PDF: Decree 30 header, the kind, the number and the text.
    pdf = await d1.get(f"/api/opinions/{oid}/summary.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    with pymupdf.open(stream=pdf.content, filetype="pdf") as doc:
        words = " ".join(" ".join(p.get_text().split()) for p in doc)
        fonts = {f[3] for p in doc for f in p.get_fonts()}
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in words and "Độc lập - Tự do - Hạnh phúc" in words
    assert "ỦY BAN NHÂN DÂN TỈNH QUẢNG BÌNH" in words and "Số: 12/BC-VP" in words
    assert "BÁO CÁO" in words and "Tổng hợp ý kiến thành viên" in words
    assert "Quảng Bình, ngày" in words and "CHÁNH VĂN PHÒNG" in words
    assert "Đề nghị Chủ tịch ký ban hành quy hoạch." in words
    assert "quá nửa tổng số thành viên" in words
    assert "Nơi nhận:" in words and "Chủ tịch (để báo cáo)" in words
    assert all("Liberation" in f or "Noto" in f for f in fonts), fonts
    # Stored when issued: the same bytes each time.
    assert (await org.http["chair"].get(f"/api/opinions/{oid}/summary.pdf")).content == \
        pdf.content

    # Archive and search: the issued summary's words find it, for those who see it.
    hits = (await d1.get("/api/search", params={"q": "danh gia tac dong moi truong"})).json()
    assert [h["opinion_id"] for h in hits["results"] if h["kind"] == "opinion"] == [oid]
    hidden = (await org.http["guest"].get("/api/search",
                                          params={"q": "danh gia tac dong moi truong"})).json()
    assert [h for h in hidden["results"] if h["kind"] == "opinion"] == []
    listed = (await d1.get("/api/opinions")).json()["opinions"]
    assert [x["id"] for x in listed] == [oid] and listed[0]["status"] == "issued"

    # The audit log: created, sent, answered, changed, issued, downloaded.
    rows = await org.sql("SELECT action, actor_id FROM audit_log WHERE target = $1 ORDER BY id",
                         f"opinion:{oid}")
    actions = [r["action"] for r in rows]
    for action in ("opinion.create", "opinion.update", "opinion.send", "opinion.answer",
                   "opinion.change", "opinion.summary_edit", "opinion.issue",
                   "opinion.summary_download"):
        assert action in actions, actions
    assert actions.index("opinion.answer") < actions.index("opinion.change")
    on_document = await org.sql("SELECT action, actor_id, details->>'page' AS page FROM audit_log"
                                " WHERE target = $1 ORDER BY id",
                                f"opinion_document:{document_id}")
    assert [(r["action"], r["actor_id"], r["page"]) for r in on_document] == [
        ("opinion.document_upload", org.uid("secretary"), None),
        ("opinion.page_view", org.uid("delegate01"), "1")]
    issue_row = await org.sql("SELECT details->>'sha256' AS h, details->>'pdf_sha256' AS p"
                              " FROM audit_log WHERE target = $1 AND action = 'opinion.issue'",
                              f"opinion:{oid}")
    stored = await org.sql("SELECT encode(summary_sha256, 'hex') AS h, summary_text"
                           " FROM opinion_requests WHERE id = $1", oid)
    assert issue_row[0]["h"] == stored[0]["h"] == \
        hashlib.sha256(stored[0]["summary_text"].encode()).hexdigest()
    assert issue_row[0]["p"] == hashlib.sha256(pdf.content).hexdigest()


async def test_who_sees_which_answers(org: Org) -> None:
    opinion = await _create(org, questions=("Đồng ý chủ trương?",))
    oid = opinion["id"]
    await _send(org, oid)
    d1, d2 = org.http["delegate01"], org.http["delegate02"]
    detail = (await d1.get(f"/api/opinions/{oid}")).json()["opinion"]
    assert (await d1.put(f"/api/opinions/{oid}/answer",
                         json=_answers(detail, ("disagree", "Ý kiến riêng của An")))
            ).status_code == 200

    # Another member sees the request and their own (empty) answer, not the others'.
    seen = (await d2.get(f"/api/opinions/{oid}")).json()["opinion"]
    assert seen["my_answer"] == [] and "answers" not in seen and "tally" not in seen
    assert all("answered" not in m for m in seen["members"])
    assert "Ý kiến riêng" not in str(seen)
    assert (await d2.get(f"/api/opinions/{oid}/summary")).status_code == 403
    # The member who answered sees only their own.
    own = (await d1.get(f"/api/opinions/{oid}")).json()["opinion"]
    assert [a["comment"] for a in own["my_answer"]] == ["Ý kiến riêng của An"]
    assert "answers" not in own
    # The office and the chair see every answer as it comes.
    for who in ("secretary", "chair"):
        full = (await org.http[who].get(f"/api/opinions/{oid}")).json()["opinion"]
        assert [a["comment"] for a in full["answers"]] == ["Ý kiến riêng của An"]
        assert full["tally"][str(detail["questions"][0]["id"])]["disagree"] == 1
    # The chair reads the summary but does not issue it.
    assert (await org.http["chair"].get(f"/api/opinions/{oid}/summary")).status_code == 200
    # Nobody else of the body, nobody of another body, nobody without a session.
    for who, status in (("guest", 403), ("outsider", 403), ("stranger", 403), ("anon", 401)):
        assert (await org.http[who].get(f"/api/opinions/{oid}")).status_code == status, who
    assert (await org.http["stranger"].get("/api/opinions/999999999")).status_code == 403
    assert (await org.http["guest"].get("/api/opinions")).json()["opinions"] == []

    # Everyone has answered: the office may issue before the deadline.
    for who in ("delegate02", "delegate03"):
        assert (await org.http[who].put(f"/api/opinions/{oid}/answer",
                                        json=_answers(detail, ("agree", "")))).status_code == 200
    text = (await org.http["secretary"].get(f"/api/opinions/{oid}/summary")).json()["draft"]
    assert "Kết quả: THÔNG QUA (2/3" in text
    r = await org.http["secretary"].post(f"/api/opinions/{oid}/summary/issue",
                                         json={"text": text})
    assert r.status_code == 201, r.text
    # Issued: the answers are on the record for every member asked, and closed.
    after = (await d2.get(f"/api/opinions/{oid}")).json()["opinion"]
    assert [a["comment"] for a in after["answers"] if a["comment"]] == ["Ý kiến riêng của An"]
    assert (await d2.get(f"/api/opinions/{oid}/summary")).json()["status"] == "issued"
    assert (await d1.put(f"/api/opinions/{oid}/answer",
                         json=_answers(detail, ("agree", "")))).status_code == 409


async def test_bad_requests_get_clear_errors(org: Org) -> None:
    office = org.http["secretary"]
    cases = [
        ({"title": "X", "questions": [], "members": [org.uid("delegate01")]}, "questions"),
        ({"title": "X", "questions": ["Q?"], "members": []}, "thành viên"),
        ({"title": "X", "questions": ["Q?"], "members": [org.uid("delegate01"), 10**12]},
         "không thuộc cơ quan"),
        ({"title": "", "questions": ["Q?"], "members": [org.uid("delegate01")]}, "title"),
    ]
    for body, words in cases:
        r = await office.post("/api/opinions", json=body)
        assert r.status_code == 400 and words in r.json()["error"]["message"], r.text
    # Someone of another body is no member here.
    stranger_id = (await org.sql("SELECT id FROM users WHERE body_id <> $1 LIMIT 1",
                                 org.world.body_id))[0]["id"]
    r = await office.post("/api/opinions", json={"title": "X", "questions": ["Q?"],
                                                 "members": [stranger_id]})
    assert r.status_code == 400
    # Not the office: no request.
    r = await org.http["delegate01"].post("/api/opinions", json={
        "title": "X", "questions": ["Q?"], "members": [org.uid("delegate01")]})
    assert r.status_code == 403
    opinion = await _create(org)
    r = await office.post(f"/api/opinions/{opinion['id']}/send", json={"working_days": 0})
    assert r.status_code == 400
    r = await office.post(f"/api/opinions/{opinion['id']}/send", json={"working_days": 31})
    assert r.status_code == 400
    r = await office.post(f"/api/opinions/{opinion['id']}/documents", content=b"not a pdf",
                          params={"filename": "x.pdf"})
    assert r.status_code in (400, 415)
    await _send(org, opinion["id"])
    r = await office.post(f"/api/opinions/{opinion['id']}/send", json={"working_days": 2})
    assert r.status_code == 409


async def test_the_demo_has_a_request_out_to_its_members(pool: asyncpg.Pool) -> None:
    """`make run` shows these screens: the demo's request is out, with a draft to
    read, two answers in, and delegate01 still to answer."""
    from collab_server import demo
    from collab_server.storage.accounts import Accounts

    await demo.seed(pool, Accounts(pool, session_ttl=timedelta(hours=1)))
    row = await pool.fetchrow(
        "SELECT r.id, r.status, r.working_days, r.deadline_day, u.username AS chair,"
        " (SELECT count(*) FROM opinion_members m WHERE m.request_id = r.id) AS asked,"
        " (SELECT count(DISTINCT a.user_id) FROM opinion_answers a JOIN opinion_questions q"
        "   ON q.id = a.question_id WHERE q.request_id = r.id) AS answered,"
        " (SELECT sum(page_count) FROM opinion_documents d WHERE d.request_id = r.id) AS pages"
        " FROM opinion_requests r JOIN users u ON u.id = r.chair_id")
    assert (row["status"], row["chair"], row["asked"], row["answered"], row["pages"]) == \
        ("open", "chutoa", 9, 2, 3)
    assert row["deadline_day"] > date.today()
    assert await pool.fetchval(
        "SELECT 1 FROM opinion_members m JOIN users u ON u.id = m.user_id"
        " WHERE m.request_id = $1 AND u.username = 'delegate01'", row["id"])
