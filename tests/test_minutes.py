"""After the session: minutes drafted from the record, approved and frozen,
printed in the layout of Decree 30; poll results; the conclusion notice and
its deadline; reuse of a meeting and its documents; the export; archived
meetings. First the pure parts, then a whole session run through intents
against the real server and PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import secrets
import time
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pycrdt
import pymupdf
import pytest

from collab_server.documents import official
from collab_server.domain import calendar
from collab_server.domain import minutes as m
from tests.conftest import _PASSWORD_HASH, Server, World, build_world
from tests.test_documents import make_pdf
from tests.yclient import YClient, wait_until

# Idle documents leave memory quickly, so approval reads storage as well as live replicas.
SERVER_ENV = {"PHONGHOP_IDLE_UNLOAD_S": "0.3"}

MM = 72 / 25.4
TZ = calendar.LOCAL_TZ
PLACE = "Hà Tĩnh"
NAMED_Q = "Thông qua Tờ trình dự toán ngân sách năm 2027?"
SECRET_Q = "Bầu Trưởng ban soạn thảo (bỏ phiếu kín)?"
CANCELLED_Q = "Biểu quyết bị hủy?"
CONCLUSIONS = ("1. Giao Sở Tài chính hoàn thiện dự toán, trình Ủy ban nhân dân tỉnh trước "
               "ngày 20 tháng 12.\n"
               "2. Các phòng chuyên môn rà soát số liệu quý IV; ạ ả ậ ỉ ọ ộ Ủ ự.")


def squash(text: str) -> str:
    return " ".join(text.split())


def bare(text: str) -> str:
    """Without any whitespace: MuPDF may break a line after "/" or "-" inside
    a word, and the extracted text then has a line end the source has not."""
    return "".join(text.split())


# -- without a server ----------------------------------------------------------------------


def _record() -> m.MinutesRecord:
    t0 = datetime(2026, 12, 15, 8, 0, tzinfo=TZ)
    people = (
        m.Person(1, "Nguyễn Văn An", "Giám đốc", "", "chair"),
        m.Person(2, "Trần Thị Bình", "Chánh Văn phòng", "", "secretary"),
        m.Person(3, "Lê Văn Cường", "", "", "delegate"),
        m.Person(4, "Phạm Thị Dung", "", "", "delegate", response="absent",
                 response_reason="Đi công tác"),
        m.Person(5, "Hoàng Văn Em", "", "", "delegate", response="deputy", deputy_id=6,
                 deputy_status="approved"),
        m.Person(6, "Vũ Thị Giang", "", "", "delegate", stands_in_for=5),
        m.Person(7, "Đỗ Khách", "", "Báo Hà Tĩnh", "guest"),
    )
    return m.MinutesRecord(
        meeting_id=1, title="Phiên họp thường kỳ tháng 12", body="Sở Tài chính", place=PLACE,
        room="Phòng họp số 1", starts_at=t0, opened_at=t0 + timedelta(minutes=2),
        closed_at=t0 + timedelta(hours=2), people=people,
        presence=(m.Presence(1, True), m.Presence(3, True), m.Presence(6, True),
                  m.Presence(7, True)),
        items=(m.Item(10, 1, "Dự toán ngân sách", "Sở Tài chính",
                      t0 + timedelta(minutes=2), t0 + timedelta(minutes=50)),
               m.Item(11, 2, "Việc khác")),
        speeches=(m.Speech(3, "Lê Văn Cường", "question", 10, t0 + timedelta(minutes=10),
                           t0 + timedelta(minutes=12, seconds=5)),),
        polls=(m.Poll(20, 10, NAMED_Q, ("Đồng ý", "Không đồng ý", "Không biểu quyết"),
                      "named", "present_majority", "closed",
                      {"counts": [2, 1, 0], "cast": 3, "members": 4, "present": 3,
                       "passed": True, "quorum_met": True},
                      (m.Ballot("Nguyễn Văn An", 0), m.Ballot("Lê Văn Cường", 1),
                       m.Ballot("Hoàng Văn Em", 0, "Vũ Thị Giang"))),),
        events=(m.Event(t0 + timedelta(minutes=20), "session.suspend"),
                m.Event(t0 + timedelta(minutes=35), "session.resume")),
    )


def test_draft_tells_the_record() -> None:
    text = m.draft(_record())
    for expected in (
        "Thời gian: bắt đầu lúc 08 giờ 02 phút, ngày 15 tháng 12 năm 2026.",
        "Cuộc họp tạm dừng từ 08 giờ 20 phút đến 08 giờ 35 phút.",
        "Địa điểm: Phòng họp số 1, Sở Tài chính.",
        "Chủ tọa: Nguyễn Văn An, Giám đốc.",
        "Thư ký: Trần Thị Bình, Chánh Văn phòng.",
        "1. Thành viên có mặt: 2/4",
        "- Vũ Thị Giang, dự thay Hoàng Văn Em",
        "- Phạm Thị Dung: vắng có lý do (Đi công tác)",
        "- Hoàng Văn Em: vắng, cử Vũ Thị Giang dự thay",
        "- Đỗ Khách, Báo Hà Tĩnh",
        "Số thành viên có mặt (kể cả người dự thay): 3/4.",
        "1. Dự toán ngân sách",
        "Thời gian: từ 08 giờ 02 phút đến 08 giờ 50 phút.",
        "- Lê Văn Cường (đặt câu hỏi, 2 phút 5 giây, lúc 08:10):",
        f"Biểu quyết: {NAMED_Q}",
        "- Đồng ý: 2 phiếu",
        "Hoàng Văn Em (do Vũ Thị Giang bỏ phiếu thay)",
        "Kết quả: THÔNG QUA.",
        "2. Việc khác",
        "Nội dung này không được thảo luận tại cuộc họp.",
        f"III. {m.CONCLUSION_HEADING}",
        "Cuộc họp kết thúc lúc 10 giờ 00 phút cùng ngày.",
    ):
        assert expected in text, expected


def test_dates_and_conclusions() -> None:
    assert m.long_date(date(2027, 2, 5)) == "ngày 05 tháng 02 năm 2027"
    assert m.long_date(date(2026, 3, 15)) == "ngày 15 tháng 3 năm 2026"
    assert m.place_and_date("", date(2026, 12, 1)) == "Ngày 01 tháng 12 năm 2026"
    minutes = "\n".join(["I. THÀNH PHẦN", "Kết luận của tổ: không tính.",
                         "III. KẾT LUẬN CỦA CHỦ TỌA",
                         m.CONCLUSION_PLACEHOLDER, CONCLUSIONS, "",
                         "Cuộc họp kết thúc lúc 10 giờ 00 phút cùng ngày."])
    assert m.conclusions(minutes) == CONCLUSIONS
    assert m.conclusions("Không có phần kết luận") == ""
    assert m.conclusions("Mở đầu\nKết luận:\nA.\nB.") == "A.\nB."
    assert m.conclusion_subject("Họp giao ban tuần") == "cuộc họp giao ban tuần"
    assert m.conclusion_subject("Phiên họp thường kỳ") == "phiên họp thường kỳ"
    assert m.clean("a\r\nb\u0323\x07\t c  ") == "a\nḅ  c"


def test_deadline_skips_weekends_and_holidays() -> None:
    national = {date(2026, 4, 27), date(2026, 4, 30), date(2026, 5, 1)}
    # Ended on Thursday 23 April 2026 in Vietnam (still the 23rd in UTC too).
    ended = datetime(2026, 4, 23, 16, 0, tzinfo=TZ)
    # Fri 24 (1), weekend, Mon 27 off, Tue 28 (2), Wed 29 (3), Thu 30 and Fri 1 off,
    # weekend, Mon 4 (4), Tue 5 (5).
    assert m.conclusion_deadline(ended, national) == date(2026, 5, 5)
    assert m.conclusion_deadline(ended, national | {date(2026, 5, 4)}) == date(2026, 5, 6)
    # A meeting ending at 23:30 in Hà Nội is the next day in UTC: the local day counts.
    late = datetime(2026, 4, 23, 16, 30, tzinfo=UTC)  # 23:30 +07:00
    assert m.conclusion_deadline(late, national) == date(2026, 5, 5)
    assert m.working_days_left(date(2026, 5, 1), date(2026, 5, 5), national) == 2
    assert m.working_days_left(date(2026, 5, 5), date(2026, 5, 5), national) == 0
    assert m.working_days_left(date(2026, 5, 8), date(2026, 5, 5), national) == -3


def test_official_layout_without_a_server() -> None:
    text = m.draft(_record()) + "\n" + "\n".join(
        f"Đoạn {i}: " + "nội dung thảo luận có dấu ạ ả ậ ỉ ọ ộ Ủ ự & <b>không</b> là thẻ. " * 6
        for i in range(40))
    document = official.OfficialDocument(
        organ="Sở Tài chính", number="Số: 12/BB-STC", place_date="Hà Tĩnh, ngày 15 tháng 12",
        kind="BIÊN BẢN", subject="Phiên họp thường kỳ", text=text,
        signatures=(official.Signature("THƯ KÝ", "Trần Thị Bình"),
                    official.Signature("CHỦ TỌA", "Nguyễn Văn An")),
        recipients=m.bullet_list(["Các thành viên", "Lưu: VT"]))
    pdf = official.render(document)
    check_layout(pdf, text, header=("SỞ TÀI CHÍNH", "Số: 12/BB-STC"), kind="BIÊN BẢN",
                 subject="Phiên họp thường kỳ", tail=("THƯ KÝ", "Trần Thị Bình", "CHỦ TỌA"))


def test_noto_sans_without_liberation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without fonts-liberation2, the fonts come from the pymupdf-fonts wheel."""
    monkeypatch.setattr(official, "_SERIF", Path("/nonexistent"))
    official.font_files.cache_clear()
    official._top.cache_clear()
    try:
        text = m.draft(_record())
        pdf = official.render(official.OfficialDocument(
            organ="Sở Tài chính", number="", place_date="Ngày 01 tháng 12 năm 2026",
            kind="THÔNG BÁO", subject="Kết luận", text=text,
            signatures=(official.Signature("CHỦ TỌA", "Nguyễn Văn An"),)))
    finally:
        official.font_files.cache_clear()
        official._top.cache_clear()
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        assert {f[3].split("+")[-1] for f in doc[0].get_fonts()} <= {
            "Noto Sans Regular", "Noto Sans Bold", "Noto Sans Italic", "Noto Sans Bold Italic"}
    check_layout(pdf, text, header=("SỞ TÀI CHÍNH",), kind="THÔNG BÁO", subject="Kết luận",
                 tail=("CHỦ TỌA", "Nguyễn Văn An"))


# -- reading a PDF back --------------------------------------------------------------------


def check_layout(pdf: bytes, text: str, *, header: tuple[str, ...], kind: str, subject: str,
                 tail: tuple[str, ...]) -> int:
    """A4, margins 20/20/30/15 mm, embedded fonts only, the header of Decree 30,
    and the text read back equal to `text`. Returns the page count."""
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        assert doc.page_count >= 1
        body = pymupdf.Rect(30 * MM, 20 * MM, 195 * MM, 277 * MM)
        xs0, xs1 = [], []
        for page in doc:
            assert page.rect.width == pytest.approx(210 * MM, abs=1)
            assert page.rect.height == pytest.approx(297 * MM, abs=1)
            fonts = page.get_fonts()
            assert fonts
            for xref, ext, kind_, basefont, *_ in fonts:
                assert ext in ("ttf", "otf", "cff"), (basefont, ext)  # n/a: not embedded
                assert kind_ != "Type1", basefont  # the Base14 fonts are Type1
                assert doc.extract_font(xref)[3], basefont  # the file holds the font
            for x0, y0, x1, y1, words, *_ in page.get_text("blocks"):
                if y1 <= 20 * MM:  # the page number, centred in the top margin
                    assert page.number > 0 and words.strip() == str(page.number + 1)
                    assert (x0 + x1) / 2 == pytest.approx(105 * MM, abs=3)
                    continue
                assert body.x0 - 0.5 <= x0 and x1 <= body.x1 + 0.5, (page.number, words[:40])
                assert body.y0 - 0.5 <= y0 and y1 <= body.y1 + 0.5, (page.number, words[:40])
                xs0.append(x0)
                xs1.append(x1)
        # The margins are these, not merely inside them: text touches both sides.
        assert min(xs0) == pytest.approx(30 * MM, abs=1.5)
        assert max(xs1) == pytest.approx(195 * MM, abs=3)

        first = doc[0]
        # The body's name (which may wrap) and the number: the left column.
        left = bare(first.get_text(clip=pymupdf.Rect(
            30 * MM, 0, 30 * MM + official.LEFT_COLUMN, 70 * MM)))
        assert all(bare(line) in left for line in header), (header, left)
        right = bare(first.get_text(clip=pymupdf.Rect(
            30 * MM + official.LEFT_COLUMN, 0, 195 * MM, 70 * MM)))
        assert bare(official.MOTTO + official.MOTTO_2) in right
        assert first.search_for(kind)
        motto = first.search_for(official.MOTTO_2)[0]
        underline = [item for drawing in first.get_drawings() for item in drawing["items"]
                     if item[0] == "l" and item[1].y == pytest.approx(item[2].y, abs=0.1)
                     and motto.y1 - 4 <= item[1].y <= motto.y1 + 4]
        assert underline, "the second line of the motto is underlined"
        assert min(min(i[1].x, i[2].x) for i in underline) <= motto.x0 + 2
        assert max(max(i[1].x, i[2].x) for i in underline) >= motto.x1 - 2

        read = bare(" ".join(page.get_text(clip=body) for page in doc))
        pages: int = doc.page_count
    source = bare(text)
    start = read.find(source)
    assert start >= 0, "the text reads back as written"
    assert read[:start].endswith(bare(f"{kind} {subject}"))
    assert read[start + len(source):].startswith(bare(" ".join(tail)))
    return pages


# -- a whole session -----------------------------------------------------------------------


def http(server: Server, world: World, who: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.http, timeout=30,
                             headers={"authorization": f"Bearer {world.token(who)}"})


async def sql(world: World, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(world.url)
    try:
        await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads,
                                  schema="pg_catalog")
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


async def add_user(world: World, name: str, *, body_id: int | None = None,
                   is_admin: bool = False, can_prepare: bool = False,
                   role: str | None = None) -> int:
    """A user with a session; with `role`, a participant of the world's meeting."""
    token = secrets.token_urlsafe(24)
    rows = await sql(
        world, "INSERT INTO users (body_id, username, full_name, password_hash, is_admin,"
               " can_prepare) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        body_id or world.body_id, f"{world.body_id}-{name}-{secrets.token_hex(3)}",
        f"Người {name}", _PASSWORD_HASH, is_admin, can_prepare)
    uid = int(rows[0]["id"])
    await sql(world, "INSERT INTO sessions (token_hash, user_id, expires_at)"
                     " VALUES ($1, $2, now() + interval '1 hour')",
              hashlib.sha256(token.encode()).digest(), uid)
    if role is not None:
        await sql(world, "INSERT INTO meeting_participants (meeting_id, user_id, role)"
                         " VALUES ($1, $2, $3)", world.meeting_id, uid, role)
    world.users[name], world.tokens[name] = uid, token
    return uid


async def ok(client: YClient, kind: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    reply = await client.intent(kind, args or {})
    assert reply["ok"], (kind, reply)
    result: dict[str, Any] = reply["result"] or {}
    return result


async def refused(client: YClient, kind: str, args: dict[str, Any] | None, code: str) -> None:
    reply = await client.intent(kind, args or {})
    assert not reply["ok"] and reply["error"]["code"] == code, (kind, reply)


async def speak(c: dict[str, YClient], who: str, kind: str) -> None:
    request = (await ok(c[who], "speaker.request", {"kind": kind}))["request"]
    await ok(c["chair"], "speaker.grant", {"request": request})
    await ok(c["chair"], "speaker.end")


@dataclass
class Session:
    server: Server
    world: World
    clients: dict[str, YClient]
    named: int
    secret: int
    cancelled: int
    document: int
    original: bytes

    def http(self, who: str) -> httpx.AsyncClient:
        return http(self.server, self.world, who)

    @property
    def base(self) -> str:
        return f"/api/meetings/{self.world.meeting_id}"


ROOM = ("chair", "secretary", "delegate01", "delegate02", "delegate03", "guest", "deputy",
        "display")


@pytest.fixture(scope="module")
async def session(server: Server) -> AsyncIterator[Session]:
    """One meeting run from invitations to the close, through HTTP and intents."""
    world = await build_world(server.database_url, delegates=5)
    mid = world.meeting_id
    await sql(world, "UPDATE bodies SET place = $2 WHERE id = $1", world.body_id, PLACE)
    room = await sql(world, "INSERT INTO rooms (body_id, name) VALUES ($1, 'Phòng họp tầng 3')"
                            " RETURNING id", world.body_id)
    await sql(world, "UPDATE meetings SET room_id = $2 WHERE id = $1", mid, room[0]["id"])
    await add_user(world, "deputy")
    await add_user(world, "admin", is_admin=True)
    async with http(server, world, "delegate04") as client:
        r = await client.put(f"/api/meetings/{mid}/response",
                             json={"answer": "absent", "reason": "Đi công tác nước ngoài"})
        assert r.status_code == 200, r.text
    async with http(server, world, "delegate05") as client:
        r = await client.put(f"/api/meetings/{mid}/response",
                             json={"answer": "deputy", "deputy_user_id": world.users["deputy"]})
        assert r.status_code == 200, r.text
    async with http(server, world, "chair") as client:
        r = await client.post(f"/api/meetings/{mid}/participants/"
                              f"{world.users['delegate05']}/deputy", json={"approve": True})
        assert r.status_code == 200, r.text
    original = make_pdf(["Báo cáo tình hình kinh tế - xã hội tỉnh Quảng Bình.", "Trang hai."])
    async with http(server, world, "secretary") as client:
        r = await client.post(f"/api/meetings/{mid}/documents", content=original,
                              params={"filename": "bao-cao-quy-4.pdf", "title": "Báo cáo quý IV"})
        assert r.status_code == 201, r.text
        document = int(r.json()["document"]["id"])

    clients = dict(zip(ROOM, await asyncio.gather(*(
        YClient(server.ws, f"meeting/{mid}/room", world.token(who), device=f"may-{who}")
        .connect(timeout=30) for who in ROOM)), strict=True))
    c = clients
    await ok(c["chair"], "agenda.goto", {"item": world.agenda[0]})
    await ok(c["chair"], "session.open")
    for who in ("chair", "delegate01", "delegate02", "guest", "deputy"):
        await ok(c[who], "attendance.check_in")
    await ok(c["secretary"], "attendance.mark",
             {"user": world.users["delegate03"], "present": False, "reason": "Ốm"})
    async with http(server, world, "secretary") as client:
        r = await client.post(f"/api/meetings/{mid}/minutes/approve", json={"text": "x"})
        assert r.status_code == 409, r.text  # not before the meeting ends
    await speak(c, "delegate01", "speech")
    await speak(c, "delegate02", "question")

    await ok(c["chair"], "agenda.goto", {"step": 1})
    named = (await ok(c["chair"], "poll.open", {"question": NAMED_Q, "kind": "named",
                                                "rule": "present_majority"}))["poll"]
    for who, choice in (("chair", 0), ("delegate01", 0), ("delegate02", 1), ("deputy", 0)):
        await ok(c[who], "vote.cast", {"poll": named, "choice": choice})
    closed = await ok(c["chair"], "poll.close", {"poll": named})
    assert closed["counts"] == [3, 1, 0] and closed["passed"] is True
    await ok(c["chair"], "session.suspend")
    await ok(c["chair"], "session.resume")

    await ok(c["chair"], "agenda.goto", {"item": world.agenda[2]})
    await speak(c, "guest", "speech")
    secret = (await ok(c["chair"], "poll.open", {"question": SECRET_Q, "kind": "secret",
                                                 "rule": "present_majority"}))["poll"]
    for who, choice in (("chair", 0), ("delegate01", 1), ("delegate02", 1)):
        await ok(c[who], "vote.cast", {"poll": secret, "choice": choice})
    closed = await ok(c["chair"], "poll.close", {"poll": secret})
    assert closed["counts"] == [1, 2, 0] and closed["passed"] is False
    cancelled = (await ok(c["chair"], "poll.open", {"question": CANCELLED_Q,
                                                    "kind": "named",
                                                    "rule": "present_majority"}))["poll"]
    await ok(c["chair"], "poll.cancel", {"poll": cancelled})
    await ok(c["chair"], "session.close")
    yield Session(server, world, clients, named, secret, cancelled, document, original)
    await asyncio.gather(*(client.close() for client in clients.values()))


async def draft_text(s: Session) -> str:
    async with s.http("secretary") as client:
        r = await client.get(f"{s.base}/minutes/draft")
        assert r.status_code == 200, r.text
        text: str = r.json()["text"]
    return text


async def final_text(s: Session) -> str:
    """The draft with the chair's conclusions written in, as the secretary would."""
    return (await draft_text(s)).replace(m.CONCLUSION_PLACEHOLDER, CONCLUSIONS)


async def approved(s: Session) -> dict[str, Any]:
    """The final text approved (a new version, or the same one again)."""
    async with s.http("chair") as client:
        r = await client.post(f"{s.base}/minutes/approve", json={"text": await final_text(s)})
        assert r.status_code in (200, 201), r.text
        minutes: dict[str, Any] = r.json()["minutes"]
    return minutes


async def test_draft_has_every_attendee_item_speech_and_poll(session: Session) -> None:
    s, w = session, session.world
    text = await draft_text(s)
    for who in ("chair", "secretary", "delegate01", "delegate02", "delegate03", "delegate04",
                "delegate05", "deputy", "guest"):
        assert f"Người {who}" in text, who
    assert "Người display" not in text and "Người outsider" not in text
    assert "Thành viên có mặt: 3/6" in text  # chair, delegate01, delegate02
    assert "Người deputy, dự thay Người delegate05" in text
    assert "Người delegate05: vắng, cử Người deputy dự thay" in text
    assert "Người delegate03: vắng có lý do (Ốm)" in text
    assert "Người delegate04: vắng có lý do (Đi công tác nước ngoài)" in text
    assert "Số thành viên có mặt (kể cả người dự thay): 4/6." in text
    assert "Địa điểm: Phòng họp tầng 3" in text
    for n in range(1, 6):
        assert f"{n}. Nội dung {n}: Quảng Bình" in text
    items = await sql(w, "SELECT started_at, ended_at FROM agenda_items WHERE meeting_id = $1"
                         " ORDER BY position", w.meeting_id)
    start = items[0]["started_at"]
    assert f"Thời gian: từ {m.clock(start)} đến {m.clock(items[0]['ended_at'])}." in text
    assert text.count("Nội dung này không được thảo luận tại cuộc họp.") == 2
    assert "- Người delegate01 (phát biểu, " in text
    assert "- Người delegate02 (đặt câu hỏi, " in text
    assert "- Người guest (phát biểu, " in text
    assert text.count(m.OPINION_PLACEHOLDER) == 3
    assert "Cuộc họp tạm dừng từ" in text
    named = text[text.index(NAMED_Q):text.index("3. Nội dung 3")]
    assert "- Đồng ý: 3 phiếu" in named and "- Không đồng ý: 1 phiếu" in named
    assert "Kết quả: THÔNG QUA." in named
    assert "Người delegate02." in named  # the one against, by name
    secret = text[text.index(SECRET_Q):text.index(CANCELLED_Q)]
    assert "- Đồng ý: 1 phiếu" in secret and "- Không đồng ý: 2 phiếu" in secret
    assert "Kết quả: KHÔNG THÔNG QUA." in secret
    assert "Người" not in secret  # a secret ballot names nobody
    assert "cuộc biểu quyết đã bị hủy" in text
    assert f"III. {m.CONCLUSION_HEADING}\n{m.CONCLUSION_PLACEHOLDER}" in text
    assert "Cuộc họp kết thúc lúc" in text

    for who in ("delegate01", "guest", "display", "outsider"):
        async with s.http(who) as client:
            assert (await client.get(f"{s.base}/minutes/draft")).status_code == 403, who
    async with s.http("admin") as client:
        assert (await client.get(f"{s.base}/minutes/draft")).status_code == 200


async def test_intents_are_refused_after_the_close(session: Session) -> None:
    c, w = session.clients, session.world
    await refused(c["chair"], "session.open", {}, "conflict")
    await refused(c["chair"], "session.resume", {}, "conflict")
    await refused(c["chair"], "agenda.goto", {"step": 1}, "conflict")
    await refused(c["delegate01"], "speaker.request", {"kind": "speech"}, "conflict")
    await refused(c["delegate01"], "attendance.check_in", {}, "conflict")
    await refused(c["secretary"], "attendance.mark",
                  {"user": w.users["delegate03"], "present": True}, "conflict")
    await refused(c["chair"], "poll.open", {"question": "?", "kind": "named",
                                            "rule": "present_majority"}, "conflict")
    await refused(c["delegate01"], "vote.cast", {"poll": session.named, "choice": 0}, "conflict")
    await refused(c["delegate01"], "proxy.request", {"to": w.users["delegate02"]}, "conflict")
    await refused(c["chair"], "poll.close", {"poll": session.named}, "conflict")


async def write_minutes(client: YClient, text: str) -> None:
    """What the browser does: one transaction on the shared text, sent as one update."""
    state = client.doc.get_state()
    with client.doc.transaction():
        shared = client.doc.get("text", type=pycrdt.Text)
        del shared[:]
        shared.insert(0, text)
    await client.send_update(client.doc.get_update(state))


async def live_documents(server: Server) -> int:
    async with httpx.AsyncClient() as client:
        count: int = (await client.get(f"{server.http}/-/health")).json()["live"]["documents"]
    return count


async def test_live_minutes_written_by_secretary_and_chair_and_approval_reads_them(
        session: Session) -> None:
    s, w = session, session.world
    path = f"meeting/{w.meeting_id}/minutes"
    for who in ("delegate01", "guest", "display"):
        outsider = await YClient(s.server.ws, path, w.token(who)).connect(wait_sync=False)
        assert await outsider.wait_closed() == 4403, who
    secretary = await YClient(s.server.ws, path, w.token("secretary")).connect()
    chair = await YClient(s.server.ws, path, w.token("chair")).connect()
    text = await final_text(s)
    await write_minutes(secretary, text)
    await wait_until(lambda: str(chair.doc.get("text", type=pycrdt.Text)) == text,
                     timeout=10, what="the chair sees the secretary's text")
    # A body admin reads the shared draft, and may not write it.
    admin = await YClient(s.server.ws, path, w.token("admin")).connect()
    await wait_until(lambda: str(admin.doc.get("text", type=pycrdt.Text)) == text,
                     timeout=10, what="the body admin reads the draft")
    await write_minutes(admin, "Quản trị sửa.")
    assert await admin.wait_closed() == 4403
    assert str(chair.doc.get("text", type=pycrdt.Text)) == text
    async with s.http("admin") as client:  # ... and over HTTP
        r = await client.get(f"{s.base}/minutes")
        assert r.status_code == 200 and r.json()["current"] == text
        assert r.json()["can_approve"] is False
        # ... but approving is the secretary's or the chair's act.
        assert (await client.post(f"{s.base}/minutes/approve")).status_code == 403
    async with s.http("chair") as client:
        r = await client.post(f"{s.base}/minutes/approve")  # no text: the live one
        assert r.status_code in (200, 201), r.text
        assert r.json()["minutes"]["text"] == text
        assert r.json()["minutes"]["sha256"] == hashlib.sha256(text.encode()).hexdigest()

    # Closed and unloaded: approval reads storage.
    before = await live_documents(s.server)
    await chair.close()
    await write_minutes(secretary, text + "\nBiên bản được lập thành 02 bản.")
    await secretary.close()
    deadline = time.monotonic() + 10
    while await live_documents(s.server) >= before:
        assert time.monotonic() < deadline, "the minutes document unloads"
        await asyncio.sleep(0.05)
    async with s.http("secretary") as client:
        r = await client.post(f"{s.base}/minutes/approve", json={"number": "15/BB-STN"})
        assert r.status_code == 201, r.text
        assert r.json()["minutes"]["text"].endswith("Biên bản được lập thành 02 bản.")
        assert r.json()["minutes"]["number"] == "15/BB-STN"


async def test_approved_versions_never_change(session: Session) -> None:
    s, w = session, session.world
    first = await approved(s)
    again = await approved(s)
    assert again["version"] == first["version"]  # the same text stores nothing new
    async with s.http("secretary") as client:
        r = await client.post(f"{s.base}/minutes/approve",
                              json={"text": first["text"] + "\nĐính chính: bổ sung."})
        assert r.status_code == 201 and r.json()["minutes"]["version"] == first["version"] + 1
        for method in ("PUT", "PATCH", "DELETE"):
            r = await client.request(method, f"{s.base}/minutes/{first['version']}.pdf")
            assert r.status_code == 405, method
        listed = (await client.get(f"{s.base}/minutes")).json()["versions"]
        earlier = next(v for v in listed if v["version"] == first["version"])
        assert earlier["sha256"] == first["sha256"] and "text" not in earlier
    for who in ("delegate01", "guest", "admin"):  # a signer's act only
        async with s.http(who) as client:
            r = await client.post(f"{s.base}/minutes/approve", json={"text": "khác"})
            assert r.status_code == 403, who
    async with s.http("outsider") as client:
        assert (await client.get(f"{s.base}/minutes")).status_code == 403

    conn = await asyncpg.connect(w.url)
    try:
        for statement in (
            "UPDATE minutes_versions SET text = 'đã sửa' WHERE meeting_id = $1",
            "UPDATE minutes_versions SET approved_at = now() WHERE meeting_id = $1",
            "DELETE FROM minutes_versions WHERE meeting_id = $1",
        ):
            with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="frozen"):
                await conn.execute(statement, w.meeting_id)
        with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="frozen"):
            await conn.execute("TRUNCATE minutes_versions CASCADE")
        with pytest.raises(asyncpg.CheckViolationError):  # the hash must be the text's
            await conn.execute(
                "INSERT INTO minutes_versions (meeting_id, version, text, sha256, layout,"
                " approved_by) VALUES ($1, 999, 'giả', $2, '{}', $3)", w.meeting_id,
                hashlib.sha256(b"other").digest(), w.users["chair"])
        stored = await conn.fetchval(
            "SELECT text FROM minutes_versions WHERE meeting_id = $1 AND version = $2",
            w.meeting_id, first["version"])
    finally:
        await conn.close()
    assert stored == first["text"]


async def test_minutes_pdf_in_the_official_layout(session: Session) -> None:
    s, w = session, session.world
    minutes = await approved(s)
    async with s.http("delegate01") as client:  # everyone who took part reads it
        r = await client.get(f"{s.base}/minutes/{minutes['version']}.pdf")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/pdf"
        assert "attachment" in r.headers["content-disposition"]
        pdf = r.content
        assert (await client.get(f"{s.base}/minutes/9999.pdf")).status_code == 404
    for who in ("display", "outsider"):
        async with s.http(who) as client:
            r = await client.get(f"{s.base}/minutes/{minutes['version']}.pdf")
            assert r.status_code == 403, who
    body = await sql(w, "SELECT name FROM bodies WHERE id = $1", w.body_id)
    pages = check_layout(
        pdf, minutes["text"], header=(body[0]["name"].upper(), "Số:"), kind="BIÊN BẢN",
        subject="Họp giao ban tuần", tail=("THƯ KÝ", "Người secretary", "CHỦ TỌA",
                                           "Người chair", "Nơi nhận:"))
    assert pages >= 2
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        first = doc[0].get_text()
        assert f"{PLACE}, ngày" in first and "Tĩnh, ngày" in first


async def test_poll_results_as_pdf_and_csv(session: Session) -> None:
    s = session
    async with s.http("guest") as client:
        r = await client.get(f"/api/polls/{s.named}/result.csv")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert r.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert ["Biểu quyết", NAMED_Q] in rows and ["Đồng ý", "3"] in rows
        assert ["Người delegate02", "Không đồng ý", ""] in rows
        assert ["Người delegate05", "Đồng ý", "Người deputy"] in rows

        r = await client.get(f"/api/polls/{s.secret}/result.csv")
        assert r.status_code == 200
        secret = r.content.decode("utf-8-sig")
        assert "Không đồng ý,2" in secret.replace("\r\n", "\n")
        assert "Người" not in secret  # counts, never voters

        r = await client.get(f"/api/polls/{s.secret}/result.pdf")
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        with pymupdf.open(stream=r.content, filetype="pdf") as doc:
            shown = squash(doc[0].get_text())
            assert all(f[1] == "ttf" for f in doc[0].get_fonts())
        assert "KẾT QUẢ BIỂU QUYẾT" in shown and squash(SECRET_Q) in shown
        assert "Không đồng ý: 2 phiếu" in shown and "Người" not in shown
        assert (await client.get(f"/api/polls/{s.cancelled}/result.csv")).status_code == 409
    for who in ("outsider", "admin"):  # participants only, as for the poll itself
        async with s.http(who) as client:
            assert (await client.get(f"/api/polls/{s.named}/result.pdf")).status_code == 403
            assert (await client.get(f"/api/polls/{s.named + 10**6}/result.csv")
                    ).status_code == 403


async def test_export_zip(session: Session) -> None:
    s = session
    minutes = await approved(s)
    async with s.http("chair") as client:
        r = await client.post(f"{s.base}/conclusion", json={"text": CONCLUSIONS})
        assert r.status_code in (200, 201), r.text
    for who in ("delegate01", "guest", "outsider"):
        async with s.http(who) as client:
            assert (await client.get(f"{s.base}/export.zip")).status_code == 403, who
    async with s.http("admin") as client:
        served = (await client.get(f"/api/documents/{s.document}/original")).content
        r = await client.get(f"{s.base}/export.zip")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/zip"
        assert int(r.headers["content-length"]) == len(r.content)
    with zipfile.ZipFile(io.BytesIO(r.content)) as archive:
        assert archive.testzip() is None
        names = set(archive.namelist())
        assert names == {
            f"tai-lieu/{s.document} - bao-cao-quy-4.pdf",
            f"bien-ban-v{minutes['version']}.pdf",
            "thong-bao-ket-luan.pdf",
            f"bieu-quyet/bieu-quyet-{s.named}.csv",
            f"bieu-quyet/bieu-quyet-{s.secret}.csv",
            "nhat-ky-su-kien.json",
        }
        # The cleaned copy, as every other route serves it.
        assert archive.read(f"tai-lieu/{s.document} - bao-cao-quy-4.pdf") == served
        log = json.loads(archive.read("nhat-ky-su-kien.json"))
        kinds = [e["kind"] for e in log["events"]]
        assert {"session.open", "vote.cast", "poll.close", "session.close",
                "minutes.approve", "conclusion.issue"} <= set(kinds)
        secret_votes = [e for e in log["events"] if e["kind"] == "vote.cast"
                        and e["data"].get("poll") == s.secret]
        assert secret_votes and all("choice" not in e["data"] for e in secret_votes)
        with pymupdf.open(stream=archive.read("thong-bao-ket-luan.pdf"),
                          filetype="pdf") as doc:
            assert "THÔNG BÁO" in doc[0].get_text()


# -- the conclusion notice -----------------------------------------------------------------


async def ended_meeting(server: Server, *, closed: datetime) -> World:
    """A meeting ended at `closed`, without running a session."""
    world = await build_world(server.database_url, delegates=2)
    await sql(world, "UPDATE meetings SET status = 'ended', opened_at = $2, closed_at = $3"
                     " WHERE id = $1", world.meeting_id, closed - timedelta(hours=2), closed)
    return world


async def test_conclusion_notice_and_its_deadline(server: Server) -> None:
    # Thursday 23 April 2026; the body also takes Monday 4 May off.
    world = await ended_meeting(server, closed=datetime(2026, 4, 23, 10, 0, tzinfo=TZ))
    await sql(world, "INSERT INTO holidays (day, body_id, name) VALUES ('2026-05-04', $1,"
                     " 'Nghỉ bù của cơ quan')", world.body_id)
    base = f"/api/meetings/{world.meeting_id}"
    async with http(server, world, "secretary") as client:
        r = await client.get(f"{base}/conclusion")
        assert r.status_code == 200, r.text
        got = r.json()
        assert got["deadline"] == "2026-05-06" and got["status"] == "pending"
        assert got["draft"] is None  # nothing approved yet
        holidays = {row["day"] for row in await sql(
            world, "SELECT day FROM holidays WHERE body_id IS NULL OR body_id = $1",
            world.body_id)}
        today = calendar.local_day(datetime.now(UTC))
        assert got["days_left"] == m.working_days_left(today, date(2026, 5, 6), holidays)
        assert got["overdue"] == (today > date(2026, 5, 6))
        r = await client.post(f"{base}/conclusion", json={"text": "Kết luận."})
        assert r.status_code == 409  # the minutes come first

        minutes = "\n".join(["I. THÀNH PHẦN THAM DỰ", "...", f"III. {m.CONCLUSION_HEADING}",
                             CONCLUSIONS, "", "Cuộc họp kết thúc lúc 10 giờ 00 phút."])
        r = await client.post(f"{base}/minutes/approve", json={"text": minutes})
        assert r.status_code == 201, r.text
        draft = (await client.get(f"{base}/conclusion")).json()["draft"]
        assert CONCLUSIONS in draft and "Cuộc họp kết thúc" not in draft
        assert "kết luận như sau:" in draft and draft.endswith("thực hiện./.")
    async with http(server, world, "delegate01") as client:
        r = await client.get(f"{base}/conclusion")
        assert r.status_code == 200 and r.json()["draft"] is None
        assert (await client.post(f"{base}/conclusion", json={"text": draft})).status_code == 403
        assert (await client.get(f"{base}/conclusion.pdf")).status_code == 404
    async with http(server, world, "chair") as client:
        r = await client.post(f"{base}/conclusion", json={"text": draft, "number": "08/TB-STN"})
        assert r.status_code == 201, r.text
        notice = r.json()["notice"]
        assert notice["deadline"] == "2026-05-06" and notice["minutes_version"] == 1
        got = (await client.get(f"{base}/conclusion")).json()
        assert got["status"] == "issued" and got["overdue"] is False
        assert got["issued_on_time"] is (today <= date(2026, 5, 6))
    async with http(server, world, "delegate01") as client:
        r = await client.get(f"{base}/conclusion.pdf")
        assert r.status_code == 200, r.text
    pages = check_layout(r.content, notice["text"], header=("Số: 08/TB-STN",),
                         kind="THÔNG BÁO", subject="Kết luận của Người chair tại cuộc họp "
                                                   "giao ban tuần ngày 23 tháng 4 năm 2026",
                         tail=("CHỦ TỌA", "Người chair", "Nơi nhận:"))
    assert pages == 1
    conn = await asyncpg.connect(world.url)
    try:
        with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="frozen"):
            await conn.execute("UPDATE conclusion_notices SET text = 'x'")
        with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="frozen"):
            await conn.execute("DELETE FROM conclusion_notices")
    finally:
        await conn.close()

    # Before the meeting ends there is no deadline yet.
    fresh = await build_world(server.database_url, delegates=1)
    async with http(server, fresh, "secretary") as client:
        r = await client.get(f"/api/meetings/{fresh.meeting_id}/conclusion")
        assert r.status_code == 409


# -- reuse ---------------------------------------------------------------------------------


async def test_copy_a_meeting_and_attach_past_documents(session: Session) -> None:
    s, w = session, session.world
    source = w.meeting_id
    await sql(w, "UPDATE users SET can_prepare = true WHERE id = $1", w.users["secretary"])
    starts = "2027-01-12T08:00:00+07:00"
    for who in ("delegate01", "outsider"):
        async with s.http(who) as client:
            r = await client.post(f"{s.base}/copy", json={"title": "Sao", "starts_at": starts})
            assert r.status_code == 403, who
    other_body = await build_world(s.server.database_url, delegates=1)
    stranger = await add_user(w, "stranger", body_id=other_body.body_id, can_prepare=True)
    await sql(w, "INSERT INTO meeting_participants (meeting_id, user_id, role)"
                 " VALUES ($1, $2, 'guest')", source, stranger)
    async with s.http("stranger") as client:  # a preparer, but of another body
        r = await client.post(f"{s.base}/copy", json={"title": "Sao", "starts_at": starts})
        assert r.status_code == 403
    async with s.http("secretary") as client:
        r = await client.post(f"{s.base}/copy", json={"title": "Họp giao ban tuần sau"})
        assert r.status_code == 400  # starts_at is required
        r = await client.post(f"{s.base}/copy",
                              json={"title": "Họp giao ban tuần sau", "starts_at": starts})
        assert r.status_code == 201, r.text
        copy = r.json()["meeting"]
        assert copy["status"] == "draft" and copy["title"] == "Họp giao ban tuần sau"
        assert copy["starts_at"] == starts
        detail = (await client.get(f"/api/meetings/{copy['id']}")).json()["meeting"]
        original = (await client.get(s.base)).json()["meeting"]
    assert [i["title"] for i in detail["agenda"]] == [i["title"] for i in original["agenda"]]
    assert [i["duration_min"] for i in detail["agenda"]] == [
        i["duration_min"] for i in original["agenda"]]
    for name in ("kind", "confidentiality", "quorum_rule", "speech_limit_s", "allow_proxy",
                 "room_id", "body_id"):
        assert detail[name] == original[name], name
    roles = {p["user_id"]: p["role"] for p in detail["participants"]}
    assert roles == {p["user_id"]: p["role"] for p in original["participants"]
                     if p["stands_in_for"] is None}  # the deputy was for that day only
    assert w.users["deputy"] not in roles
    assert all(p["response"] == "pending" for p in detail["participants"]
               if p["user_id"] != w.users["secretary"])
    assert detail["documents"] == []

    target = f"/api/meetings/{copy['id']}"
    files_before = await sql(w, "SELECT count(*) AS n FROM files")
    async with s.http("secretary") as client:
        r = await client.post(f"{target}/documents/attach", json={"document_id": s.document})
        assert r.status_code == 201, r.text
        attached = r.json()["document"]
        assert attached["meeting_id"] == copy["id"] and attached["title"] == "Báo cáo quý IV"
        r = await client.get(f"/api/documents/{attached['id']}/pages/1/text")
        assert r.status_code == 200 and "Quảng Bình" in r.json()["text"]
        r = await client.get(f"/api/documents/{attached['id']}/pages/1",
                             params={"w": "thumb", "fmt": "png"})
        assert r.status_code == 200 and r.content.startswith(b"\x89PNG")
        r = await client.get(f"/api/documents/{attached['id']}/original")
        source = await client.get(f"/api/documents/{s.document}/original")
        # The same file, served as its cleaned copy from both meetings.
        assert r.status_code == 200 and r.content == source.content
        assert r.content.startswith(b"%PDF-")
        r = await client.post(f"{s.base}/documents/attach", json={"document_id": s.document})
        assert r.status_code == 409  # an ended meeting takes no more documents
        r = await client.post(f"{target}/documents/attach", json={"document_id": 10**9})
        assert r.status_code == 403  # ids reveal nothing
    same = await sql(w, "SELECT a.pdf_sha256 = b.pdf_sha256 AND a.original_sha256 ="
                        " b.original_sha256 AS same FROM documents a, documents b"
                        " WHERE a.id = $1 AND b.id = $2", s.document, attached["id"])
    assert same[0]["same"] is True
    assert (await sql(w, "SELECT count(*) AS n FROM files"))[0]["n"] == files_before[0]["n"]

    # delegate01 prepares meetings too, but took part in the source only as a delegate:
    # a document that may not be downloaded does not leave its meeting through them.
    await sql(w, "UPDATE users SET can_prepare = true WHERE id = $1", w.users["delegate01"])
    async with s.http("delegate01") as client:
        r = await client.post("/api/meetings", json={"title": "Họp riêng",
                                                     "starts_at": starts})
        own = r.json()["meeting"]["id"]
        r = await client.post(f"/api/meetings/{own}/documents/attach",
                              json={"document_id": s.document})
        assert r.status_code == 403
        r = await client.post(f"{target}/documents/attach", json={"document_id": s.document})
        assert r.status_code == 403  # a delegate of the copy does not prepare it
    async with s.http("secretary") as client:
        # The record of an ended meeting is read-only ...
        r = await client.patch(f"/api/documents/{s.document}", json={"allow_download": True})
        assert r.status_code == 409
    # ... so take a document that allowed downloads from the start.
    await sql(w, "UPDATE documents SET allow_download = true WHERE id = $1", s.document)
    async with s.http("delegate01") as client:
        r = await client.post(f"/api/meetings/{own}/documents/attach",
                              json={"document_id": s.document})
        assert r.status_code == 201, r.text
    async with s.http("stranger") as client:  # cannot see the new meeting at all
        r = await client.post(f"{target}/documents/attach", json={"document_id": s.document})
        assert r.status_code == 403


# -- archive -------------------------------------------------------------------------------


async def test_archived_meetings_are_read_only(server: Server) -> None:
    world = await ended_meeting(server, closed=datetime.now(UTC) - timedelta(hours=1))
    base = f"/api/meetings/{world.meeting_id}"
    path = f"meeting/{world.meeting_id}/minutes"
    secretary = await YClient(server.ws, path, world.token("secretary")).connect()
    await write_minutes(secretary, "Biên bản trước khi lưu trữ.")
    async with http(server, world, "secretary") as client:
        deadline = time.monotonic() + 10
        while (await client.get(f"{base}/minutes")).json()["current"] != \
                "Biên bản trước khi lưu trữ.":
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        r = await client.post(f"{base}/minutes/approve")
        assert r.status_code == 201, r.text
        r = await client.post(f"{base}/status", json={"to": "archived"})
        assert r.status_code == 200, r.text
        assert (await client.post(f"{base}/minutes/approve",
                                  json={"text": "Sửa sau lưu trữ."})).status_code == 409
        r = await client.post(f"{base}/conclusion", json={"text": "Kết luận."})
        assert r.status_code == 409
        assert (await client.patch(base, json={"title": "Đổi tên"})).status_code == 409
        assert (await client.post(f"{base}/agenda", json={"title": "Thêm"})).status_code == 409
        r = await client.post(f"{base}/documents", content=make_pdf(["x"]),
                              params={"filename": "x.pdf"})
        assert r.status_code == 409
        # Everything stays readable.
        assert (await client.get(f"{base}/minutes/1.pdf")).status_code == 200
        assert (await client.get(f"{base}/export.zip")).status_code == 200
    # The shared draft is read-only now: a write closes the socket.
    await write_minutes(secretary, "Sửa sau lưu trữ.")
    assert await secretary.wait_closed() == 4403
    rows = await sql(world, "SELECT retention_years, place FROM bodies WHERE id = $1",
                     world.body_id)
    assert rows[0]["retention_years"] is None and rows[0]["place"] == ""


async def test_decisions_are_found_by_search(session: Session) -> None:
    """Questions put to a vote are found without diacritics, by those who may see them."""
    words = "thong qua to trinh du toan"  # NAMED_Q without its diacritics
    async with session.http("delegate01") as client:
        r = await client.get("/api/search", params={"q": words})
    assert r.status_code == 200, r.text
    polls = [h for h in r.json()["results"] if h["kind"] == "poll"]
    assert [h["meeting_id"] for h in polls] == [session.world.meeting_id]
    assert polls[0]["title"] == NAMED_Q
    outsider = await build_world(session.server.database_url, delegates=1)
    async with http(session.server, outsider, "delegate01") as client:
        r = await client.get("/api/search", params={"q": words})
    assert all(h["meeting_id"] != session.world.meeting_id for h in r.json()["results"])
