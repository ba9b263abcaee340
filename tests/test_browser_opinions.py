"""Written opinions in Chromium, in Vietnamese: the office prepares a request
on a 1366×768 laptop (questions, members, chair, a document) and sends it;
members read the watermarked draft and answer from 390×844 phones, one
changes the answer; after the deadline the office edits the summary drafted
from the answers and issues it as a PDF, which the chair reads on a phone.
Every wait polls with a deadline; nothing sleeps."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pymupdf
import pytest
from playwright.async_api import Browser, Page, ViewportSize, expect

from collab_server.documents import official
from tests.browser_support import LAPTOP, Person, shot
from tests.conftest import PASSWORD, Server, World, build_world

expect.set_options(timeout=15_000)
PHONE: ViewportSize = {"width": 390, "height": 844}
TITLE = "Dự thảo Kế hoạch phát triển du lịch Phong Nha năm 2027"


@pytest.fixture(scope="module")
async def world(server: Server) -> World:
    world = await build_world(server.database_url, delegates=3)
    await sql(world, "UPDATE users SET can_prepare = true, full_name = 'Nguyễn Thị Thư',"
                     " title = 'Chánh Văn phòng' WHERE id = $1", world.users["secretary"])
    await sql(world, "UPDATE users SET full_name = 'Trần Quốc Hưng', title = 'Chủ tịch'"
                     " WHERE id = $1", world.users["chair"])
    for n, name in enumerate(("Lê Văn An", "Phạm Thị Bình", "Hoàng Minh Cường"), start=1):
        await sql(world, "UPDATE users SET full_name = $2, title = 'Ủy viên UBND' WHERE id = $1",
                  world.users[f"delegate0{n}"], name)
    await sql(world, "UPDATE bodies SET name = 'Ủy ban nhân dân tỉnh Quảng Bình',"
                     " place = 'Quảng Bình' WHERE id = $1", world.body_id)
    return world


def draft_pdf() -> bytes:
    """The draft plan, in the Decree 30 layout with Vietnamese fonts."""
    return official.render(official.OfficialDocument(
        organ="Sở Văn hóa, Thể thao và Du lịch", number="Số: 120/KH-SVHTTDL",
        place_date="Quảng Bình, ngày 01 tháng 12 năm 2026", kind="KẾ HOẠCH (DỰ THẢO)",
        subject="Phát triển du lịch Phong Nha - Kẻ Bàng năm 2027",
        text="I. MỤC ĐÍCH, YÊU CẦU\nPhát triển du lịch bền vững, bảo tồn di sản thiên nhiên"
             " thế giới.\nII. NHIỆM VỤ\nĐầu tư hạ tầng, quảng bá điểm đến, đào tạo nhân lực"
             " du lịch.\nIII. KINH PHÍ\nNgân sách tỉnh và nguồn xã hội hóa.",
        signatures=(official.Signature("GIÁM ĐỐC", "Nguyễn Văn Du"),)))


async def sql(world: World, query: str, *args: Any) -> Any:
    conn = await asyncpg.connect(world.url)
    try:
        return await conn.fetchval(query, *args)
    finally:
        await conn.close()


async def login(browser: Browser, server: Server, world: World, who: str,
                viewport: ViewportSize) -> Person:
    person = await Person.open(browser, server.http, viewport=viewport)
    name = await sql(world, "SELECT username FROM users WHERE id = $1", world.users[who])
    await person.login_ui(name, PASSWORD)
    await expect(person.page.locator("#top [data-key=opinions]")).to_have_text("Lấy ý kiến")
    return person


async def fits(page: Page) -> None:
    """Nothing wider than the screen: no sideways scrolling on a phone."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size
    assert viewport is not None and width <= viewport["width"], width


@pytest.fixture(scope="module")
async def people(browser: Browser, server: Server,
                 world: World) -> AsyncIterator[dict[str, Person]]:
    out = {"office": await login(browser, server, world, "secretary", LAPTOP)}
    for who in ("delegate01", "delegate02", "chair"):
        out[who] = await login(browser, server, world, who, PHONE)
    yield out
    for person in out.values():
        assert person.errors == []
        await person.close()


async def answer(page: Page, question: int, choice: str, comment: str) -> None:
    q = page.locator(".opinion-question").nth(question)
    await q.get_by_label(choice, exact=True).check()
    await q.locator("textarea").fill(comment)


async def test_office_prepares_members_answer_on_phones_office_issues(
        people: dict[str, Person], world: World, tmp_path: Any) -> None:
    office = people["office"].page
    # The office prepares the request.
    await office.locator("#top [data-key=opinions]").click()
    await expect(office.locator("main h1")).to_have_text("Phiếu lấy ý kiến thành viên")
    await office.locator("[data-key=new-opinion]").click()
    await office.fill("#o-title", TITLE)
    await office.fill("#o-desc", "Sở Văn hóa, Thể thao và Du lịch trình; xin ý kiến thành viên"
                                 " UBND tỉnh theo Quy chế làm việc.")
    await office.fill("#o-questions", "Thông qua dự thảo Kế hoạch?\n"
                                      "Giao Sở Văn hóa, Thể thao và Du lịch chủ trì thực hiện?")
    for name in ("Lê Văn An", "Phạm Thị Bình", "Hoàng Minh Cường"):
        await office.get_by_label(name).check()
    await office.select_option("#o-chair", label="Trần Quốc Hưng")
    await expect(office.locator(".opinion-members legend")).to_have_text(
        "Thành viên được lấy ý kiến (3 đã chọn)")
    await shot(office, "opinions-new-laptop", full_page=True)
    await office.locator("[data-key=o-create]").click()
    await expect(office.locator("h1.opinion-title")).to_have_text(TITLE)
    await expect(office.locator("[data-status=draft]")).to_have_text("Đang soạn")
    pdf = tmp_path / "du-thao-ke-hoach.pdf"
    pdf.write_bytes(draft_pdf())
    await office.set_input_files("#o-file", str(pdf))
    await office.locator("[data-key=o-upload]").click()
    await expect(office.locator(".opinion-docs li")).to_contain_text("du-thao-ke-hoach")
    # A wrong file is taken off again before sending.
    wrong = tmp_path / "nham-tep.pdf"
    wrong.write_bytes(draft_pdf())
    await office.set_input_files("#o-file", str(wrong))
    await office.locator("[data-key=o-upload]").click()
    await expect(office.locator(".opinion-docs li")).to_have_count(2)
    await office.locator(".opinion-docs li", has_text="nham-tep").get_by_role(
        "button", name="Gỡ tài liệu").click()
    await expect(office.locator(".opinion-docs li")).to_have_count(1)
    await expect(office.locator(".opinion-docs li")).to_contain_text("du-thao-ke-hoach")
    await office.fill("#o-days", "3")
    await office.locator("[data-key=o-send]").click()
    await expect(office.locator("[data-status=open]")).to_have_text("Đang lấy ý kiến")
    await expect(office.locator("[data-deadline]")).to_contain_text("(3 ngày làm việc)")
    await expect(office.locator("[data-part=reminders] li")).to_have_count(3)
    opinion_id = int(office.url.rsplit("/", 1)[1])

    # A member on a phone: reads the draft (watermarked page), answers.
    an = people["delegate01"].page
    await an.locator("#top [data-key=opinions]").click()
    card = an.locator(f"[data-key=opinion-{opinion_id}]")
    await expect(card.locator("[data-answered=false]")).to_have_text("Bạn chưa trả lời")
    await fits(an)
    await shot(an, "opinions-list-phone")
    await card.click()
    await expect(an.locator("h1.opinion-title")).to_have_text(TITLE)
    await an.locator(".opinion-docs button").first.click()
    page_image = an.locator(".opinion-page").first
    await expect(page_image).to_have_attribute("src", re.compile(r"^blob:"))
    await an.wait_for_function("() => { const i = document.querySelector('.opinion-page');"
                               " return i && i.complete && i.naturalWidth > 0 }", timeout=15_000)
    await expect(an.locator("[data-answered=no]")).to_have_text("Bạn chưa gửi ý kiến.")
    await answer(an, 0, "Không đồng ý", "Cần làm rõ nguồn vốn")
    await answer(an, 1, "Đồng ý", "")
    await an.locator("[data-key=o-send-answer]").click()
    await expect(an.locator(".opinion-answer .ok-text")).to_have_text("Đã gửi ý kiến của bạn.")
    await expect(an.locator("[data-answered=yes]")).to_contain_text("Bạn đã gửi ý kiến lúc")
    # Changed before the deadline.
    await answer(an, 0, "Đồng ý", "Đã rõ sau khi Sở giải trình nguồn vốn")
    await an.locator("[data-key=o-send-answer]").click()
    await expect(an.locator(".opinion-answer .ok-text")).to_have_text(
        "Đã cập nhật ý kiến của bạn.")
    await fits(an)
    await shot(an, "opinions-answer-phone", full_page=True)

    binh = people["delegate02"].page
    await binh.goto(f"{people['delegate02'].base}/#/opinions/{opinion_id}")
    await expect(binh.locator("h1.opinion-title")).to_have_text(TITLE)
    # Another member sees nobody else's answer before the summary is issued.
    await expect(binh.locator(".opinion-office")).to_have_count(0)
    await expect(binh.locator("main")).not_to_contain_text("nguồn vốn")
    await answer(binh, 0, "Ý kiến khác", "Bổ sung chỉ tiêu về môi trường")
    await answer(binh, 1, "Đồng ý", "")
    await binh.locator("[data-key=o-send-answer]").click()
    await expect(binh.locator("[data-answered=yes]")).to_be_visible()
    await fits(binh)

    # The office follows the answers as they come.
    await office.reload()
    await expect(office.locator(".opinion-office h3").first).to_have_text(
        "Bản tổng hợp ý kiến (dự thảo)")
    await expect(office.locator(".opinion-tally").first).to_contain_text(
        "Lê Văn An: Đồng ý – Đã rõ sau khi Sở giải trình nguồn vốn")
    await expect(office.locator(".opinion-tally").first).to_contain_text(
        "Hoàng Minh Cường: chưa trả lời")

    # The deadline passes: the member's phone no longer takes changes.
    await sql(world, "UPDATE opinion_requests SET closes_at = now() - interval '1 second'"
                     " WHERE id = $1", opinion_id)
    await an.reload()
    await expect(an.locator(".opinion-answer")).to_contain_text("không sửa được nữa")
    await expect(an.locator("[data-key=o-send-answer]")).to_have_count(0)

    # The office edits the summary drafted from the answers and issues it.
    await office.reload()
    summary = office.locator("#o-summary")
    await expect(summary).to_have_value(re.compile("Không trả lời: Hoàng Minh Cường"))
    text = await summary.input_value()
    assert "Kết quả: CHƯA THÔNG QUA (1/3" in text and "Kết quả: THÔNG QUA (2/3" in text
    await summary.fill(text + "\nVăn phòng đề nghị Sở tiếp thu ý kiến về môi trường.")
    await office.fill("#o-number", "15/BC-VP")
    await office.locator("[data-key=o-save]").click()
    await expect(office.locator(".opinion-office .ok-text")).to_have_text(
        "Đã lưu bản tổng hợp.")
    await shot(office, "opinions-summary-laptop", full_page=True)
    await office.locator("[data-key=o-issue]").click()
    await expect(office.locator("[data-status=issued]")).to_have_text("Đã ban hành tổng hợp")
    link = office.locator("[data-key=o-pdf]")
    await expect(link).to_have_text("Tải bản tổng hợp (PDF)")
    href = await link.get_attribute("href")
    assert href is not None
    got = await people["office"].context.request.get(people["office"].base + href)
    assert got.ok and got.headers["content-type"] == "application/pdf"
    with pymupdf.open(stream=await got.body(), filetype="pdf") as doc:
        words = " ".join(" ".join(p.get_text().split()) for p in doc)
    assert "Số: 15/BC-VP" in words and "BÁO CÁO" in words
    assert "Văn phòng đề nghị Sở tiếp thu ý kiến về môi trường." in words

    # The archive: the issued summary is found by its words.
    await office.locator("[data-key=opinions-back]").click()
    await office.fill("#opinion-search", "tiep thu y kien ve moi truong")
    await office.locator("[data-key=opinion-search-go]").click()
    found = office.locator("[data-section=found] li")
    await expect(found).to_have_count(1)
    await expect(found).to_contain_text(TITLE)

    # The chair reads the issued summary on a phone.
    chair = people["chair"].page
    await chair.goto(f"{people['chair'].base}/#/opinions/{opinion_id}")
    await expect(chair.locator(".opinion-summary-text")).to_contain_text(
        "Văn phòng đề nghị Sở tiếp thu ý kiến về môi trường.")
    await fits(chair)
    await shot(chair, "opinions-issued-phone", full_page=True)
    # Issued: now every member asked sees who answered what.
    await binh.reload()
    await expect(binh.locator(".opinion-tally").first).to_contain_text("Lê Văn An: Đồng ý")
    # English second: the same screen in the other language.
    await binh.locator("#top [data-key=lang]").click()
    await expect(binh.locator(".opinion-office h2")).to_have_text("Summary of opinions, issued")
    await expect(binh.locator(".opinion-tally").first).to_contain_text("Lê Văn An: Agree")
    await expect(binh.locator("[data-status=issued]")).to_have_text("Summary issued")
    await binh.locator("#top [data-key=lang]").click()
    await expect(binh.locator("[data-status=issued]")).to_have_text("Đã ban hành tổng hợp")

