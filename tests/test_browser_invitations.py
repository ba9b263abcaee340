"""Invitations in the browser (Chromium, Vietnamese, a 1366×768 laptop): a
meeting without a chair cannot be sent (the secretary is told before
pressing, and names the chair); the secretary sees the notice
period before sending and after a reload, confirms sending, and gets the
letter (giấy mời) as a PDF, and each invitee's personal letter from the
people list; delegates answer from the meeting list and the meeting page,
one finds a deputy by searching without diacritics (no admin account on
offer), the chair consents from the console, and the secretary's people
list shows every answer without a reload. The tests of this module run in
order on one meeting. Every wait polls with a deadline; nothing sleeps."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pymupdf
import pytest
from playwright.async_api import Browser, expect

from collab_server.domain import calendar
from collab_server.domain import minutes as m
from tests.browser_support import SCREENSHOTS, Person, Stage, shot
from tests.conftest import PASSWORD, Server, build_world

expect.set_options(timeout=15_000)
SMALL_LAPTOP = {"width": 1366, "height": 768}
BODY = "Ủy ban nhân dân tỉnh Quảng Bình"
TITLE = "Họp bàn phương án phòng chống bão số 3"


@pytest.fixture(scope="module")
async def stage(server: Server) -> Stage:
    """A People's Committee with its signing form; a thematic meeting
    tomorrow at 08:00, not yet sent, and without its chair yet (a vice-chair
    whom the secretary names). Besides the invited, the body has its
    admin account and a deputy head of the health department, not invited."""
    code = f"i{uuid.uuid4().hex[:6]}"
    world = await build_world(server.database_url, delegates=3, code=code, admin="outsider")
    starts = (datetime.now(UTC).astimezone(calendar.LOCAL_TZ) + timedelta(days=1)).replace(
        hour=8, minute=0, second=0, microsecond=0)
    conn = await asyncpg.connect(server.database_url)
    try:
        await conn.execute(
            "UPDATE bodies SET name = $2, place = 'Quảng Bình', short_name = 'UBND',"
            " signing_authority = 'TM. ỦY BAN NHÂN DÂN', head_title = 'CHỦ TỊCH' WHERE id = $1",
            world.body_id, BODY)
        await conn.execute("UPDATE meetings SET status = 'draft', kind = 'thematic',"
                           " starts_at = $2, title = $3 WHERE id = $1",
                           world.meeting_id, starts, TITLE)
        await conn.execute("UPDATE users SET can_prepare = true WHERE id = $1",
                           world.users["secretary"])
        for who, name, title, unit in (
                ("chair", "Hoàng Quốc Việt", "Phó Chủ tịch UBND tỉnh", "UBND tỉnh"),
                ("delegate01", "Nguyễn Thị Hướng", "Giám đốc Sở Tài chính", "Sở Tài chính"),
                ("delegate02", "Lê Văn Đức", "Giám đốc Sở Xây dựng", "Sở Xây dựng"),
                ("delegate03", "Trần Thị Mỹ", "Giám đốc Sở Y tế", "Sở Y tế"),
                ("outsider", "Quản trị Ủy ban", "", "")):
            await conn.execute("UPDATE users SET full_name = $2, title = $3, unit = $4"
                               " WHERE id = $1", world.users[who], name, title, unit)
        world.users["deputy"] = await conn.fetchval(
            "INSERT INTO users (body_id, username, full_name, title, unit, password_hash)"
            " SELECT body_id, $2, 'Phạm Quang Ủy', 'Phó Giám đốc Sở Y tế', 'Sở Y tế',"
            " password_hash FROM users WHERE id = $1 RETURNING id",
            world.users["chair"], f"{code}-deputy")
        await conn.execute("DELETE FROM meeting_participants WHERE meeting_id = $1"
                           " AND role = 'chair'", world.meeting_id)
    finally:
        await conn.close()
    return Stage(world, code)


@pytest.fixture(scope="module")
async def people(browser: Browser) -> AsyncIterator[dict[str, Person]]:
    opened: dict[str, Person] = {}
    yield opened
    for person in opened.values():
        assert not person.errors, person.errors
        await person.close()


async def laptop(browser: Browser, server: Server, stage: Stage, people: dict[str, Person],
                 who: str, path: str) -> Person:
    if who not in people:
        person = await Person.open(browser, server.http, viewport=SMALL_LAPTOP)
        await person.login_api(stage.username(who), PASSWORD)
        people[who] = person
    await people[who].goto(path)
    return people[who]


async def test_no_invitation_without_a_chair(
        browser: Browser, server: Server, stage: Stage, people: dict[str, Person]) -> None:
    sec = (await laptop(browser, server, stage, people, "secretary",
                        f"/#/prepare/{stage.meeting}")).page
    warning = sec.locator('[data-key="no-chair"]')
    await expect(warning).to_have_text(re.compile(r"^Cuộc họp chưa có chủ tọa \(người chủ trì\)"))
    send = sec.locator('[data-key="to-invited"]')
    await expect(send).to_be_disabled()
    await expect(send).to_have_attribute("aria-describedby", "p-no-chair")
    await warning.scroll_into_view_if_needed()
    await shot(sec, "prepare-no-chair")

    # While there is no chair, whoever prepares the meeting names one; the
    # warning goes as the chair is added, without a reload.
    await sec.fill("#u-q", "hoang quoc viet")
    await sec.select_option("#u-role", "chair")
    await sec.click('[data-key="u-find"]')
    await sec.click(f'[data-key="invite-{stage.world.users["chair"]}"]')
    await expect(sec.locator(f'tr[data-user="{stage.world.users["chair"]}"] select')
                 ).to_have_value("chair")
    await expect(warning).to_have_count(0)
    await expect(send).to_be_enabled()


async def test_notice_period_before_sending_and_after_reload(
        browser: Browser, server: Server, stage: Stage, people: dict[str, Person]) -> None:
    sec = (await laptop(browser, server, stage, people, "secretary",
                        f"/#/prepare/{stage.meeting}")).page
    box = sec.locator(".notice-period")
    await expect(box).to_have_attribute("data-notice-met", "false")
    await expect(box).to_contain_text("không còn ngày làm việc nào trước cuộc họp")
    await expect(box).to_contain_text("ít nhất 3 ngày làm việc")
    await expect(box).not_to_contain_text("0 ngày")
    await expect(sec.locator('[data-key="invitation-pdf"]')).to_have_count(0)
    # Sending is asked first, with how many are invited and the notice left.
    dialog = sec.locator('dialog[data-key="confirm-dialog"]')
    await sec.click('[data-key="to-invited"]')
    await expect(dialog).to_contain_text(f"Gửi giấy mời cuộc họp “{TITLE}”?")
    await expect(dialog).to_contain_text("gửi tới 4 người được mời")
    await expect(dialog).to_contain_text("Không còn ngày làm việc nào trước cuộc họp")
    await expect(dialog.locator('[data-key="confirm-no"]')).to_be_focused()
    await shot(sec, "confirm-send-invitations")
    await dialog.locator('[data-key="confirm-no"]').click()
    await expect(dialog).to_have_count(0)
    await expect(sec.locator("[data-status]")).to_have_attribute("data-status", "draft")
    await sec.click('[data-key="to-invited"]')
    await dialog.locator('[data-key="confirm-yes"]').click()
    await expect(box).to_contain_text("giấy mời gửi")
    await expect(sec.locator('[data-key="invitation-pdf"]')).to_be_visible()
    await sec.reload()
    await expect(box).to_have_attribute("data-notice-met", "false")
    await expect(box).to_contain_text("giấy mời gửi")
    await expect(box).to_contain_text("không trước cuộc họp ngày làm việc nào")
    await expect(sec.locator('[data-key="invitation-pdf"]')).to_contain_text("phiên bản 1")


async def test_the_invitation_letter_exists_after_sending(
        server: Server, stage: Stage, people: dict[str, Person]) -> None:
    sec = people["secretary"]
    href = await sec.page.locator('[data-key="invitation-pdf"]').get_attribute("href")
    assert href == f"/api/meetings/{stage.meeting}/invitation.pdf"
    response = await sec.context.request.get(server.http + href)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    data = await response.body()
    today = calendar.local_day(datetime.now(UTC))
    with pymupdf.open(stream=data, filetype="pdf") as doc:
        text = " ".join(" ".join(page.get_text().split()) for page in doc)
        for page in doc:
            assert all(kind != "Type1" for _, _, kind, *_ in page.get_fonts())
        pix = doc[0].get_pixmap(dpi=110)
    for part in ("ỦY BAN NHÂN DÂN TỈNH QUẢNG BÌNH", "/GM-UBND", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA",
                 f"Quảng Bình, {m.long_date(today)}", "GIẤY MỜI", TITLE, "trân trọng kính mời:",
                 "Nguyễn Thị Hướng, Giám đốc Sở Tài chính;", "Tới dự:",
                 "Chủ trì: Hoàng Quốc Việt, Phó Chủ tịch UBND tỉnh.", "Thời gian: 08 giờ 00 phút",
                 "Địa điểm:", "TM. ỦY BAN NHÂN DÂN KT. CHỦ TỊCH PHÓ CHỦ TỊCH", "Nơi nhận:"):
        assert part in text, part
    out = SCREENSHOTS if os.environ.get("PHONGHOP_SCREENSHOTS") == "1" else \
        SCREENSHOTS.parent.parent / "test-artifacts" / "browser"
    out.mkdir(parents=True, exist_ok=True)
    pix.save(str(out / "invitation-pdf.png"))


async def test_each_invitee_has_a_personal_letter_on_the_people_list(
        server: Server, stage: Stage, people: dict[str, Person]) -> None:
    w, mid = stage.world, stage.meeting
    sec = people["secretary"].page
    link = sec.locator(f'[data-key="letter-{w.users["delegate01"]}"]')
    await expect(link).to_have_text("Giấy mời riêng")
    await expect(link).to_have_attribute(
        "aria-label", "Giấy mời riêng gửi Nguyễn Thị Hướng (PDF)")
    await expect(sec.locator(f'[data-key="letter-{w.users["chair"]}"]')).to_have_count(0)
    href = await link.get_attribute("href")
    assert href == f"/api/meetings/{mid}/invitation.pdf?user={w.users['delegate01']}"
    response = await people["secretary"].context.request.get(server.http + href)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    with pymupdf.open(stream=await response.body(), filetype="pdf") as doc:
        text = " ".join(" ".join(page.get_text().split()) for page in doc)
    assert "Kính gửi: Ông/Bà Nguyễn Thị Hướng, Giám đốc Sở Tài chính." in text
    assert "Lê Văn Đức" not in text


async def test_delegates_answer_and_the_secretary_sees_it_live(
        browser: Browser, server: Server, stage: Stage, people: dict[str, Person]) -> None:
    w, mid = stage.world, stage.meeting
    sec = people["secretary"].page
    row = lambda who: sec.locator(f'tr[data-user="{w.users[who]}"]')  # noqa: E731

    # From the meeting list: accept.
    d1 = (await laptop(browser, server, stage, people, "delegate01", "/")).page
    card = d1.locator(f'[data-invitation="{mid}"]')
    await expect(card).to_contain_text("Chưa trả lời")
    await expect(card.locator(f'[data-key="inv-pdf-{mid}"]')).to_be_visible()
    await card.locator(f'[data-key="inv-attend-{mid}"]').click()
    await expect(card.locator(".invitation-answer")).to_have_attribute("data-response", "attend")
    await expect(row("delegate01").locator("td[data-answer]")).to_have_attribute(
        "data-answer", "attend")

    # From the meeting page: decline, with a reason.
    d2 = (await laptop(browser, server, stage, people, "delegate02", f"/#/meeting/{mid}")).page
    part = d2.locator(f'[data-invitation="{mid}"]')
    await part.locator(f'[data-key="inv-absent-{mid}"]').click()
    await part.locator(f'[data-key="inv-send-absent-{mid}"]').click()
    await expect(part.locator(".error")).to_contain_text("Hãy nêu lý do vắng mặt")
    await part.locator(f"#inv-reason-{mid}").fill("Đi kiểm tra đê điều tại Lệ Thủy")
    await part.locator(f'[data-key="inv-send-absent-{mid}"]').click()
    await expect(part.locator(".invitation-answer")).to_contain_text(
        "Vắng · Đi kiểm tra đê điều tại Lệ Thủy")
    await expect(row("delegate02")).to_contain_text("Đi kiểm tra đê điều tại Lệ Thủy")
    # The delegate's own letter, addressed to them; nobody else's.
    own = part.locator(f'[data-key="inv-letter-{mid}"]')
    await expect(own).to_have_text("Giấy mời gửi riêng bạn (PDF)")
    href = await own.get_attribute("href")
    assert href == f"/api/meetings/{mid}/invitation.pdf?user={w.users['delegate02']}"
    letter = await people["delegate02"].context.request.get(server.http + href)
    assert letter.ok
    with pymupdf.open(stream=await letter.body(), filetype="pdf") as doc:
        assert "Kính gửi: Ông/Bà Lê Văn Đức" in " ".join(doc[0].get_text().split())
    other = await people["delegate02"].context.request.get(
        f"{server.http}/api/meetings/{mid}/invitation.pdf?user={w.users['delegate01']}")
    assert other.status == 403
    await shot(d2, "invitation-answer")

    # From the list: send a deputy, found by searching the people of the body
    # without diacritics; the admin account is never on offer.
    d3 = (await laptop(browser, server, stage, people, "delegate03", "/")).page
    card = d3.locator(f'[data-invitation="{mid}"]')
    await card.locator(f'[data-key="inv-deputy-open-{mid}"]').click()
    box = card.locator(f"#inv-deputy-q-{mid}")
    await expect(box).to_be_focused()
    found = card.locator("[data-candidate]")
    await expect(found).to_have_count(1)
    await expect(found).to_contain_text("Phạm Quang Ủy · Phó Giám đốc Sở Y tế · Sở Y tế")
    await box.fill("quan tri")
    await expect(card.locator(f'[data-key="inv-deputy-none-{mid}"]')).to_have_text(
        "Không tìm thấy ai phù hợp.")
    await box.fill("huong")  # an invitee: not on offer
    await expect(card.locator(f'[data-key="inv-deputy-none-{mid}"]')).to_be_visible()
    await card.locator(f'[data-key="inv-send-deputy-{mid}"]').click()
    await expect(card.locator(".error")).to_contain_text("Hãy chọn người dự thay")
    await box.fill("pham quang uy")
    await expect(found).to_have_count(1)
    await card.locator(f'[data-key="inv-pick-{w.users["deputy"]}-{mid}"]').click()
    await expect(card.locator(f'[data-key="inv-deputy-chosen-{mid}"]')).to_have_text(
        "Người dự thay: Phạm Quang Ủy, Phó Giám đốc Sở Y tế")
    await shot(d3, "invitation-deputy-search")
    await card.locator(f'[data-key="inv-send-deputy-{mid}"]').click()
    await expect(card.locator(".invitation-answer")).to_contain_text(
        "Phạm Quang Ủy (chờ chủ tọa đồng ý)")
    await expect(row("delegate03")).to_contain_text("Phạm Quang Ủy (chờ chủ tọa đồng ý)")


async def test_the_chair_consents_to_the_deputy_from_the_console(
        browser: Browser, server: Server, stage: Stage, people: dict[str, Person]) -> None:
    w, mid = stage.world, stage.meeting
    chair = (await laptop(browser, server, stage, people, "chair",
                          f"/#/meeting/{mid}?tab=console")).page
    panel = chair.locator(".deputies")
    member = w.users["delegate03"]
    await expect(panel).to_contain_text("Phạm Quang Ủy dự thay Trần Thị Mỹ")
    await panel.scroll_into_view_if_needed()
    await shot(chair, "deputy-approval")
    await panel.locator(f'[data-key="deputy-approve-{member}"]').click()
    await expect(panel.locator(f'[data-deputy-for="{member}"]')).to_have_attribute(
        "data-deputy-status", "approved")
    await expect(panel).to_contain_text("Đã đồng ý để Phạm Quang Ủy dự thay Trần Thị Mỹ")
    sec = people["secretary"].page
    await expect(sec.locator(f'tr[data-user="{member}"]')).to_contain_text("chủ tọa đã đồng ý")
    await expect(sec.locator(f'tr[data-user="{w.users["deputy"]}"]')).to_contain_text(
        "Phạm Quang Ủy")
    d3 = people["delegate03"].page
    await d3.reload()
    answer = d3.locator(f'[data-invitation="{mid}"] .invitation-answer')
    await expect(answer).to_contain_text("chủ tọa đã đồng ý")
    await expect(d3.locator(f'[data-key="inv-attend-{mid}"]')).to_have_count(0)


async def test_the_conclusion_notice_has_place_date_and_the_signing_form(
        browser: Browser, server: Server) -> None:
    """A meeting that ended with approved minutes: the secretary issues the
    notice in the record screen; its PDF has "Quảng Bình, ngày ..." and is
    signed "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH", not "CHỦ TỌA"."""
    code = f"k{uuid.uuid4().hex[:6]}"
    world = await build_world(server.database_url, delegates=2, code=code)
    closed = datetime.now(UTC) - timedelta(hours=3)
    conn = await asyncpg.connect(server.database_url)
    try:
        await conn.execute(
            "UPDATE bodies SET name = $2, place = 'Quảng Bình',"
            " signing_authority = 'TM. ỦY BAN NHÂN DÂN', head_title = 'CHỦ TỊCH' WHERE id = $1",
            world.body_id, BODY)
        await conn.execute("UPDATE meetings SET status = 'ended', title = $2, opened_at = $3,"
                           " closed_at = $4 WHERE id = $1", world.meeting_id, TITLE,
                           closed - timedelta(hours=2), closed)
        await conn.execute("UPDATE users SET full_name = 'Hoàng Quốc Việt',"
                           " title = 'Chủ tịch UBND tỉnh', unit = 'UBND tỉnh' WHERE id = $1",
                           world.users["chair"])
    finally:
        await conn.close()
    secretary = await Person.open(browser, server.http, viewport=SMALL_LAPTOP)
    try:
        await secretary.login_api(f"{code}-secretary", PASSWORD)
        minutes = "\n".join(["I. THÀNH PHẦN THAM DỰ", "...", f"III. {m.CONCLUSION_HEADING}",
                             "1. Giao Sở Xây dựng kiểm tra các công trình.", "",
                             "Cuộc họp kết thúc lúc 10 giờ 00 phút."])
        async with httpx.AsyncClient(base_url=server.http, timeout=60) as api:
            response = await api.post(
                f"/api/meetings/{world.meeting_id}/minutes/approve", json={"text": minutes},
                headers={"authorization": f"Bearer {world.token('secretary')}"})
        assert response.status_code == 201, response.text
        page = secretary.page
        await secretary.goto(f"/#/minutes/{world.meeting_id}")
        await page.click('[data-key="conclusion-issue"]')
        await page.locator('dialog[data-key="confirm-dialog"] [data-key="confirm-yes"]').click()
        link = page.locator('[data-key="conclusion-pdf"]')
        await expect(link).to_be_visible()
        href = await link.get_attribute("href")
        assert href
        pdf = await (await secretary.context.request.get(server.http + href)).body()
        assert not secretary.errors, secretary.errors
    finally:
        await secretary.close()
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        text = " ".join(" ".join(page.get_text().split()) for page in doc)
    today = calendar.local_day(datetime.now(UTC))
    assert f"Quảng Bình, {m.long_date(today)}" in text
    assert "THÔNG BÁO Kết luận của Chủ tịch UBND tỉnh Hoàng Quốc Việt tại cuộc họp bàn" in text
    assert "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH Hoàng Quốc Việt" in text
    assert "CHỦ TỌA" not in text and "UBND tỉnh, UBND tỉnh" not in text
