"""Invitations over HTTP: the letter (giấy mời, Decree 30 template 1.7) made
when the invitations are sent, the notice period of Decision 45 on every
kind of meeting, the invitee's answer and deputy, and the conclusion notice
signed in the body's own form. PDFs are read back with PyMuPDF."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pymupdf
import pytest

from collab_server.documents import official
from collab_server.documents.fonts import VIETNAMESE_LETTERS
from collab_server.domain import calendar, invitation, signing
from collab_server.domain import minutes as m
from tests.conftest import Server, World, build_world

MM = 72 / 25.4
TZ = calendar.LOCAL_TZ
BODY = "Ủy ban nhân dân tỉnh Quảng Bình"


# -- pure rules ------------------------------------------------------------------------------


def test_notice_wording_for_zero_one_and_many_days() -> None:
    zero = invitation.notice(0, sent_on=None)
    assert zero["met"] is False and "Không còn ngày làm việc nào" in zero["message"]
    assert "0 ngày" not in zero["message"] and "No working day left" in zero["message_en"]
    one = invitation.notice(1, sent_on=None)
    assert "Còn 1 ngày làm việc" in one["message"] and "chưa đủ" in one["message"]
    assert "1 working day left" in one["message_en"]
    many = invitation.notice(4, sent_on=None)
    assert many["met"] is True and "Còn 4 ngày làm việc" in many["message"]
    assert "đủ thời hạn" in many["message"] and "4 working days" in many["message_en"]
    sent = invitation.notice(2, sent_on=date(2026, 1, 5))
    assert sent["sent_on"] == "2026-01-05" and "ngày 05 tháng 01 năm 2026" in sent["message"]


def test_signing_form_titles_and_place() -> None:
    tm = "TM. Ủy ban nhân dân"
    assert signing.signature_title(tm, "Chủ tịch", "Chủ tịch UBND tỉnh", "CHỦ TỌA") == \
        "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH"
    assert signing.signature_title(tm, "Chủ tịch", "Phó Chủ tịch UBND tỉnh", "CHỦ TỌA") == \
        "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH"
    assert signing.signature_title("", "Chủ tịch", "Chánh Văn phòng UBND tỉnh", "CHỦ TỌA") == \
        "TL. CHỦ TỊCH\nCHÁNH VĂN PHÒNG"
    assert signing.signature_title("", "", "", "CHỦ TỌA") == "CHỦ TỌA"
    assert signing.described("Trần Quốc Hưng", "Chủ tịch UBND tỉnh", "UBND tỉnh") == \
        "Trần Quốc Hưng, Chủ tịch UBND tỉnh"
    assert signing.described("A", "Chủ tịch UBND tỉnh", "Ủy ban nhân dân tỉnh") == \
        "A, Chủ tịch UBND tỉnh"
    assert signing.described("B", "Chuyên viên", "Văn phòng UBND tỉnh") == \
        "B, Chuyên viên, Văn phòng UBND tỉnh"
    assert signing.place_of("", BODY) == "Quảng Bình"
    assert signing.place_of("Đồng Hới", BODY) == "Đồng Hới"
    assert m.place_and_date(signing.place_of("", BODY), date(2026, 1, 5)) == \
        "Quảng Bình, ngày 05 tháng 01 năm 2026"


# -- a body and a meeting ------------------------------------------------------------------


def client(server: Server, world: World, who: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.http, timeout=60,
                             headers={"authorization": f"Bearer {world.token(who)}"})


async def sql(world: World, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(world.url)
    try:
        await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads,
                                  schema="pg_catalog")
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


async def provincial_world(server: Server, *, status: str = "draft", kind: str = "thematic",
                           days_ahead: int = 1) -> World:
    """A People's Committee with its signing form; the meeting chaired by a
    vice-chair, starting `days_ahead` days from now at 08:00."""
    world = await build_world(server.database_url, delegates=3, admin="outsider")
    starts = (datetime.now(UTC).astimezone(TZ) + timedelta(days=days_ahead)).replace(
        hour=8, minute=0, second=0, microsecond=0)
    await sql(world, "UPDATE meetings SET status = $2, kind = $3, starts_at = $4,"
                     " title = 'Họp về tiến độ dự án đường ven biển Quảng Bình' WHERE id = $1",
              world.meeting_id, status, kind, starts)
    room = (await sql(world, "INSERT INTO rooms (body_id, name) VALUES ($1, 'Phòng họp số 1')"
                             " RETURNING id", world.body_id))[0]["id"]
    await sql(world, "UPDATE meetings SET room_id = $2 WHERE id = $1", world.meeting_id, room)
    await sql(world, "UPDATE users SET can_prepare = true WHERE id = $1",
              world.users["secretary"])
    await sql(world, "UPDATE users SET title = 'Phó Chủ tịch UBND tỉnh', unit = 'UBND tỉnh',"
                     " full_name = 'Hoàng Quốc Việt' WHERE id = $1", world.users["chair"])
    await sql(world, "UPDATE users SET title = 'Giám đốc Sở Tài chính', unit = 'Sở Tài chính',"
                     " full_name = 'Nguyễn Thị Hướng' WHERE id = $1", world.users["delegate01"])
    deputy = (await sql(world, "INSERT INTO users (body_id, username, full_name, title, unit,"
                               " password_hash) SELECT body_id, $2, 'Phạm Thị Hương',"
                               " 'Phó Giám đốc Sở Tài chính', 'Sở Tài chính', password_hash"
                               " FROM users WHERE id = $1 RETURNING id",
                          world.users["chair"], f"pho.gd.{world.body_id}"))[0]["id"]
    world.users["deputy"] = deputy
    async with client(server, world, "outsider") as admin:
        r = await admin.patch("/api/body", json={
            "name": BODY, "place": "Quảng Bình", "short_name": "UBND",
            "signing_authority": "TM. ỦY BAN NHÂN DÂN", "head_title": "CHỦ TỊCH"})
        assert r.status_code == 200, r.text
        assert r.json()["body"]["signing_authority"] == "TM. ỦY BAN NHÂN DÂN"
    return world


def pdf_text(data: bytes) -> tuple[str, pymupdf.Document]:
    doc = pymupdf.open(stream=data, filetype="pdf")
    return "\n".join(page.get_text() for page in doc), doc


def squash(text: str) -> str:
    return " ".join(text.split())


def check_fonts(doc: pymupdf.Document) -> None:
    """Every glyph from an embedded TrueType font: none of the Base14 fonts,
    which lack letters such as ạ ả ậ ỉ ọ ộ Ủ ự."""
    for page in doc:
        assert page.rect.width == pytest.approx(210 * MM, abs=1)
        for xref, ext, kind, basefont, *_ in page.get_fonts():
            assert ext in ("ttf", "otf", "cff") and kind != "Type1", basefont
            assert doc.extract_font(xref)[3], basefont


# -- the letter ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def sent(server: Server) -> AsyncIterator[tuple[World, dict[str, Any]]]:
    world = await provincial_world(server, kind="regular", days_ahead=12)
    async with client(server, world, "secretary") as sec:
        base = f"/api/meetings/{world.meeting_id}"
        before = (await sec.get(base)).json()["meeting"]
        assert before["invitation"] is None
        assert (await sec.get(f"{base}/invitation.pdf")).status_code == 404
        r = await sec.post(f"{base}/status", json={"to": "invited"})
        assert r.status_code == 200, r.text
        yield world, r.json()


async def test_sending_produces_the_letter_in_the_decree_30_layout(
        server: Server, sent: tuple[World, dict[str, Any]]) -> None:
    world, result = sent
    assert result["warnings"] == []  # twelve days ahead: enough notice
    issued = result["invitation"]
    assert issued["version"] == 1 and issued["pdf"].endswith("/invitation.pdf")
    async with client(server, world, "delegate02") as delegate:
        r = await delegate.get(issued["pdf"])
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(r.content).hexdigest() == issued["sha256"]
    text, doc = pdf_text(r.content)
    with doc:
        check_fonts(doc)
        first = doc[0]
        left = squash(first.get_text(clip=pymupdf.Rect(0, 0, 30 * MM + official.LEFT_COLUMN,
                                                       70 * MM)))
        right = squash(first.get_text(clip=pymupdf.Rect(30 * MM + official.LEFT_COLUMN, 0,
                                                        210 * MM, 70 * MM)))
    today = calendar.local_day(datetime.now(UTC))
    flat = squash(text)
    assert "ỦY BAN NHÂN DÂN TỈNH QUẢNG BÌNH" in left and "/GM-UBND" in left and "Số:" in left
    assert official.MOTTO in right and official.MOTTO_2 in right
    assert f"Quảng Bình, {m.long_date(today)}" in right
    order = ["GIẤY MỜI", "Họp về tiến độ dự án đường ven biển Quảng Bình",
             f"{BODY} trân trọng kính mời:", "Nguyễn Thị Hướng, Giám đốc Sở Tài chính;",
             "Tới dự:", "Chủ trì: Hoàng Quốc Việt, Phó Chủ tịch UBND tỉnh.",
             "Thời gian: 08 giờ 00",
             "Địa điểm: Phòng họp số 1, Ủy ban nhân dân tỉnh Quảng Bình.",
             "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Hoàng Quốc Việt",
             "Nơi nhận:", "- Như thành phần mời;", "- Lưu: VT."]
    at = 0
    for part in order:  # the parts of template 1.7, in their order
        found = flat.find(part, at)
        assert found >= 0, (part, flat[at:at + 200])
        at = found + len(part)
    assert "Sở Tài chính, Sở Tài chính" not in flat  # a title naming its unit is not doubled
    assert "\ufffd" not in text and all(ch in VIETNAMESE_LETTERS or not ch.isalpha()
                                        or ch.isascii() for ch in text)


async def test_the_letter_is_listed_and_kept_and_its_use_audited(
        server: Server, sent: tuple[World, dict[str, Any]]) -> None:
    world, result = sent
    base = f"/api/meetings/{world.meeting_id}"
    async with client(server, world, "delegate01") as delegate:
        meeting = (await delegate.get(base)).json()["meeting"]
        assert meeting["invitation"]["sha256"] == result["invitation"]["sha256"]
        listed = {x["id"]: x for x in (await delegate.get("/api/meetings")).json()["meetings"]}
        assert listed[world.meeting_id]["invitation_pdf"] == f"{base}/invitation.pdf"
        assert listed[world.meeting_id]["my_answer"]["response"] == "pending"
    async with client(server, world, "display") as display:
        assert (await display.get(f"{base}/invitation.pdf")).status_code == 403
        assert (await display.get(base)).json()["meeting"]["invitation"] is None
    other = await build_world(server.database_url, delegates=1)
    async with client(server, other, "secretary") as stranger:
        assert (await stranger.get(f"{base}/invitation.pdf")).status_code == 403
    rows = await sql(world, "SELECT action, details FROM audit_log WHERE target = $1"
                            " AND action LIKE 'invitation.%' ORDER BY id",
                     f"meeting:{world.meeting_id}")
    issue = [r["details"] for r in rows if r["action"] == "invitation.issue"]
    assert issue and issue[0]["sha256"] == result["invitation"]["sha256"]
    assert issue[0]["notice_met"] is True
    assert any(r["action"] == "invitation.download" for r in rows)
    with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="frozen"):
        await sql(world, "UPDATE meeting_invitations SET notice_days = 9")
    # Sent again after a change: a second version, the first kept.
    async with client(server, world, "secretary") as sec:
        assert (await sec.post(f"{base}/status", json={"to": "draft"})).status_code == 200
        again = (await sec.post(f"{base}/status", json={"to": "invited"})).json()
        assert again["invitation"]["version"] == 2
        first = await sec.get(f"{base}/invitation.pdf", params={"version": "1"})
        assert hashlib.sha256(first.content).hexdigest() == result["invitation"]["sha256"]


# -- the notice period -------------------------------------------------------------------------


async def test_every_kind_is_told_the_working_days_before_and_after_sending(
        server: Server) -> None:
    world = await provincial_world(server, kind="thematic", days_ahead=1)
    base = f"/api/meetings/{world.meeting_id}"
    async with client(server, world, "secretary") as sec:
        before = (await sec.get(base)).json()["meeting"]["notice"]
        assert before["working_days"] == 0 and before["met"] is False
        assert before["sent_on"] is None and before["required"] == 3
        assert "Không còn ngày làm việc nào" in before["message"]
        r = (await sec.post(f"{base}/status", json={"to": "invited"})).json()
        assert [w["code"] for w in r["warnings"]] == ["no_notice"]
        after = (await sec.get(base)).json()["meeting"]["notice"]  # a reload
    today = calendar.local_day(datetime.now(UTC))
    assert after["sent_on"] == today.isoformat() and after["met"] is False
    assert after["working_days"] == 0
    async with client(server, world, "delegate01") as delegate:
        assert (await delegate.get(base)).json()["meeting"]["notice"]["sent_on"] == \
            today.isoformat()
    # A holiday of the body counts as no working day.
    far = await provincial_world(server, kind="briefing", days_ahead=7)
    start = calendar.local_day(datetime.now(UTC)) + timedelta(days=7)
    holidays = {start - timedelta(days=d) for d in range(1, 7)}
    for day in holidays:
        await sql(far, "INSERT INTO holidays (day, body_id, name) VALUES ($1, $2, 'Nghỉ bù')",
                  day, far.body_id)
    async with client(server, far, "secretary") as sec:
        notice = (await sec.get(f"/api/meetings/{far.meeting_id}")).json()["meeting"]["notice"]
    assert notice["working_days"] == 0 and notice["met"] is False


# -- answers and deputies ---------------------------------------------------------------------


async def test_answers_and_a_deputy_from_the_body_approved_by_the_chair(
        server: Server) -> None:
    world = await provincial_world(server, status="invited", days_ahead=10)
    base = f"/api/meetings/{world.meeting_id}"
    other = await build_world(server.database_url, delegates=1)
    async with client(server, world, "delegate01") as d1, \
            client(server, world, "delegate02") as d2, \
            client(server, world, "delegate03") as d3, \
            client(server, world, "chair") as chair, \
            client(server, world, "secretary") as sec:
        assert (await d1.put(f"{base}/response", json={"answer": "attend"})).status_code == 200
        r = await d2.put(f"{base}/response", json={"answer": "absent"})
        assert r.status_code == 400 and "reason" in r.json()["error"]["message"]
        r = await d2.put(f"{base}/response", json={"answer": "absent",
                                                   "reason": "Đi công tác tại Huế"})
        assert r.status_code == 200
        people = (await d3.get(f"{base}/deputies")).json()["people"]
        ids = {p["user_id"] for p in people}
        assert ids == {world.users["deputy"]}, "only people: no admin, display or invitee"
        deputy = world.users["deputy"]
        assert (await sec.get(f"{base}/deputies")).status_code == 403
        for bad in (other.users["delegate01"], world.users["delegate01"]):
            r = await d3.put(f"{base}/response", json={"answer": "deputy",
                                                       "deputy_user_id": bad})
            assert r.status_code == 400, bad
        r = await d3.put(f"{base}/response", json={"answer": "deputy",
                                                   "deputy_user_id": world.users["outsider"]})
        assert r.status_code == 400, "the body's admin account stands in for nobody"
        r = await chair.put(f"{base}/response", json={"answer": "deputy",
                                                      "deputy_user_id": deputy})
        assert r.status_code == 403
        r = await d3.put(f"{base}/response", json={"answer": "deputy",
                                                   "deputy_user_id": deputy})
        assert r.status_code == 200 and r.json()["participant"]["deputy"]["status"] == "pending"
        mine = (await d3.get(base)).json()["meeting"]["my_answer"]
        assert mine["response"] == "deputy" and mine["deputy"]["status"] == "pending"
        member = world.users["delegate03"]
        r = await sec.post(f"{base}/participants/{member}/deputy", json={"approve": True})
        assert r.status_code == 403  # the chair's consent, Decision 45
        r = await chair.post(f"{base}/participants/{member}/deputy", json={"approve": True})
        assert r.status_code == 200
        r = await d3.put(f"{base}/response", json={"answer": "attend"})
        assert r.status_code == 409  # approved: changed only through the secretary
        answers = {p["user_id"]: p for p in (await sec.get(f"{base}/participants")).json()[
            "participants"]}
    assert answers[world.users["delegate01"]]["response"] == "attend"
    assert answers[world.users["delegate02"]]["response_reason"] == "Đi công tác tại Huế"
    assert answers[member]["deputy"]["status"] == "approved"
    assert answers[deputy]["stands_in_for"] == member


# -- the conclusion notice in the body's form ------------------------------------------------


async def test_conclusion_notice_has_place_date_and_the_bodys_signing_form(
        server: Server) -> None:
    world = await provincial_world(server, status="ended", days_ahead=-1)
    await sql(world, "UPDATE users SET title = 'Chủ tịch UBND tỉnh' WHERE id = $1",
              world.users["chair"])
    closed = datetime.now(UTC) - timedelta(hours=20)
    await sql(world, "UPDATE meetings SET opened_at = $2, closed_at = $3 WHERE id = $1",
              world.meeting_id, closed - timedelta(hours=2), closed)
    base = f"/api/meetings/{world.meeting_id}"
    async with client(server, world, "secretary") as sec:
        draft = (await sec.get(f"{base}/minutes/draft")).json()["text"]
        assert "Chủ tịch UBND tỉnh, UBND tỉnh" not in draft
        assert "Hoàng Quốc Việt, Chủ tịch UBND tỉnh" in draft
        minutes = "\n".join(["I. THÀNH PHẦN THAM DỰ", "...", f"III. {m.CONCLUSION_HEADING}",
                             "1. Giao Sở Tài chính cân đối vốn.", "",
                             "Cuộc họp kết thúc lúc 10 giờ 00 phút."])
        r = await sec.post(f"{base}/minutes/approve", json={"text": minutes})
        assert r.status_code == 201, r.text
        minutes_pdf = (await sec.get(r.json()["minutes"]["pdf"])).content
        notice_draft = (await sec.get(f"{base}/conclusion")).json()["draft"]
        r = await sec.post(f"{base}/conclusion", json={"text": notice_draft})
        assert r.status_code == 201, r.text
        pdf = (await sec.get(f"{base}/conclusion.pdf")).content
    today = calendar.local_day(datetime.now(UTC))
    text, doc = pdf_text(pdf)
    with doc:
        check_fonts(doc)
    flat = squash(text)
    assert f"Quảng Bình, {m.long_date(today)}" in flat
    day = m.long_date(calendar.local_day(closed - timedelta(hours=2)))
    assert (f"THÔNG BÁO Kết luận của Chủ tịch UBND tỉnh Hoàng Quốc Việt tại cuộc họp về tiến "
            f"độ dự án đường ven biển Quảng Bình {day}") in flat
    sign = flat.rfind("TM. ỦY BAN NHÂN DÂN CHỦ TỊCH Hoàng Quốc Việt")
    assert sign > flat.find("thực hiện./."), flat[-300:]
    assert "CHỦ TỌA" not in flat and "Chủ tịch UBND tỉnh, UBND tỉnh" not in flat
    minutes_text, minutes_doc = pdf_text(minutes_pdf)
    minutes_doc.close()
    assert "Quảng Bình, ngày" in squash(minutes_text)


# -- no chair, no letter ------------------------------------------------------------------------


def test_the_letter_names_a_chair_or_is_not_written() -> None:
    facts = invitation.InvitationFacts(
        title="Họp giao ban", starts_at=datetime(2026, 3, 5, 1, 0, tzinfo=UTC), ends_at=None,
        room="Phòng họp số 1", body=BODY, place="Quảng Bình", short_name="UBND",
        signing_authority="TM. ỦY BAN NHÂN DÂN", head_title="CHỦ TỊCH",
        people=(invitation.Invitee("Lê Văn Tám", "Chuyên viên", "Sở Nội vụ", "delegate", 7),))
    with pytest.raises(invitation.NoChair) as refused:
        invitation.letter(facts, date(2026, 3, 1))
    assert refused.value.status == 409 and "chủ tọa" in refused.value.message
    chaired = dataclasses.replace(facts, people=(
        invitation.Invitee("Hoàng Quốc Việt", "Phó Chủ tịch UBND tỉnh", "", "chair", 3),
        *facts.people))
    text = invitation.letter(chaired, date(2026, 3, 1))["text"]
    assert "Chủ trì: Hoàng Quốc Việt, Phó Chủ tịch UBND tỉnh." in text
    assert "[" not in text and "họ tên, chức vụ" not in text


async def test_sending_without_a_chair_is_refused_and_sends_nothing(server: Server) -> None:
    world = await provincial_world(server, kind="regular", days_ahead=12)
    await sql(world, "DELETE FROM meeting_participants WHERE meeting_id = $1 AND role = 'chair'",
              world.meeting_id)
    base = f"/api/meetings/{world.meeting_id}"
    async with client(server, world, "secretary") as sec:
        r = await sec.post(f"{base}/status", json={"to": "invited"})
        assert r.status_code == 409, r.text
        error = r.json()["error"]
        assert error["code"] == "no_chair"
        assert error["message"].startswith("Cuộc họp chưa có chủ tọa")
        meeting = (await sec.get(base)).json()["meeting"]
        assert meeting["status"] == "draft" and meeting["invitation"] is None
        assert (await sec.get(f"{base}/invitation.pdf")).status_code == 404
    assert not await sql(world, "SELECT 1 FROM meeting_invitations WHERE meeting_id = $1",
                         world.meeting_id)
    assert not await sql(world, "SELECT 1 FROM audit_log WHERE target = $1 AND action ="
                                " 'invitation.issue'", f"meeting:{world.meeting_id}")


# -- one letter for all, and one for each -------------------------------------------------------


async def test_each_invitee_has_a_personal_letter_and_reads_only_their_own(
        server: Server, sent: tuple[World, dict[str, Any]]) -> None:
    world, _ = sent
    url = f"/api/meetings/{world.meeting_id}/invitation.pdf"
    mine = {"user": str(world.users["delegate01"])}
    async with client(server, world, "secretary") as sec:
        r = await sec.get(url, params=mine)
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        assert f"giay-moi-{world.meeting_id}-{world.users['delegate01']}.pdf" in \
            r.headers["content-disposition"]
        # Not the chair who invites, nor someone outside the meeting.
        for who in ("chair", "outsider"):
            assert (await sec.get(url, params={"user": str(world.users[who])})).status_code \
                == 404
        assert (await sec.get(url, params={"user": "x1"})).status_code == 404
    text, doc = pdf_text(r.content)
    with doc:
        check_fonts(doc)
    flat = squash(text)
    order = ["GIẤY MỜI", "Kính gửi: Ông/Bà Nguyễn Thị Hướng, Giám đốc Sở Tài chính.",
             f"{BODY} trân trọng kính mời Ông/Bà tới dự: Họp về tiến độ dự án",
             "Chủ trì: Hoàng Quốc Việt, Phó Chủ tịch UBND tỉnh.", "Thời gian:",
             "Rất mong Ông/Bà đến dự đúng thời gian./.", "PHÓ CHỦ TỊCH", "Nơi nhận:",
             "- Nguyễn Thị Hướng, Giám đốc Sở Tài chính;", "- Lưu: VT."]
    at = 0
    for part in order:
        found = flat.find(part, at)
        assert found >= 0, (part, flat[at:at + 300])
        at = found + len(part)
    assert "Người delegate02" not in flat, "a personal letter names its addressee only"
    async with client(server, world, "secretary") as sec:
        assert (await sec.get(f"/api/meetings/{world.meeting_id}")).json()["meeting"][
            "invitation"]["mine"] is None
    async with client(server, world, "delegate01") as own:
        offered = (await own.get(f"/api/meetings/{world.meeting_id}")).json()["meeting"]
        assert offered["invitation"]["mine"] == f"{url}?user={world.users['delegate01']}"
        first = await own.get(url, params=mine)
        assert first.status_code == 200
        # Opened again, the same letter is not made again (a render has a time in it).
        assert (await own.get(url, params=mine)).content == first.content
    async with client(server, world, "secretary") as sec:
        r = await sec.patch(f"/api/meetings/{world.meeting_id}",
                            json={"title": "Họp về tiến độ dự án đường ven biển"})
        assert r.status_code == 200, r.text
    async with client(server, world, "delegate01") as own:
        # What the letter says changed: it is made afresh.
        changed = await own.get(url, params=mine)
        with pymupdf.open(stream=changed.content, filetype="pdf") as doc:
            assert "đường ven biển" in squash("".join(p.get_text() for p in doc))
        r = await own.get(url, params={"user": str(world.users["delegate02"])})
        assert r.status_code == 403 and "chính mình" in r.json()["error"]["message"]
        assert (await own.get(url)).status_code == 200  # the letter to all stays readable
    async with client(server, world, "display") as display:
        assert (await display.get(url, params=mine)).status_code == 403
    rows = await sql(world, "SELECT details FROM audit_log WHERE target = $1 AND action ="
                            " 'invitation.download'", f"meeting:{world.meeting_id}")
    assert any(r["details"].get("user") == world.users["delegate01"] for r in rows)


async def test_a_deputy_is_found_by_search_without_diacritics(server: Server) -> None:
    world = await provincial_world(server, status="invited", days_ahead=10)
    base = f"/api/meetings/{world.meeting_id}/deputies"
    async with client(server, world, "delegate02") as d2:
        for query in ("huong", "HƯƠNG", "pho giam doc", "so tai chinh"):
            found = (await d2.get(base, params={"q": query})).json()["people"]
            assert [p["full_name"] for p in found] == ["Phạm Thị Hương"], query
        assert (await d2.get(base, params={"q": "quan tri"})).json()["people"] == []
        assert (await d2.get(base, params={"q": "Người outsider"})).json()["people"] == []
