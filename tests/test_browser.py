"""The browser clients against a real server: Debian's Chromium, headless,
driven by Playwright. One meeting is run from start to finish across the
tests of this module, in order: the chair opens it and presents, a delegate
asks to speak, the members vote, a delegate annotates, the secretary
prepares, a laptop is logged out, and the projector survives a restart.

Every wait polls with a deadline (Playwright's expect); nothing sleeps."""

from __future__ import annotations

import asyncio
import io
import re
import uuid
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pymupdf
import pytest
from playwright.async_api import Browser, FilePayload, Page, Route, expect

from tests.browser_support import (
    DEVICE_KEYS,
    PROJECTOR,
    Person,
    ReadingStage,
    make_pdf,
    require_built,
    shot,
    upload,
)
from tests.conftest import PASSWORD, Server, build_world

expect.set_options(timeout=15_000)


@dataclass
class Stage(ReadingStage):
    internal: dict[str, Any]

    def name(self, who: str) -> str:
        return f"Người {who}"


@pytest.fixture(scope="module")
async def stage(server: Server) -> Stage:
    code = f"b{uuid.uuid4().hex[:6]}"
    world = await build_world(server.database_url, delegates=5, code=code)
    pages = [f"Trang {n}: ngan sach tinh Quang Binh nam 2027, muc {n}." for n in range(1, 4)]
    document = await upload(server.http, world.token("secretary"), world.meeting_id,
                            make_pdf(pages), "du-toan.pdf", title="Dự toán ngân sách 2027",
                            confidentiality="public")
    internal = await upload(server.http, world.token("secretary"), world.meeting_id,
                            make_pdf(["Noi bo 1", "Noi bo 2"]), "noi-bo.pdf",
                            title="Tờ trình nội bộ", confidentiality="internal")
    # The secretary may also create meetings (a preparer of the body).
    conn = await asyncpg.connect(server.database_url)
    try:
        await conn.execute("UPDATE users SET can_prepare = true WHERE id = $1",
                           world.users["secretary"])
    finally:
        await conn.close()
    return Stage(world, code, document, internal)


@pytest.fixture(scope="module")
async def people(browser: Browser, server: Server,
                 stage: Stage) -> AsyncIterator[dict[str, Person]]:
    """Laptops and the projector that stay open across the module's tests."""
    opened: dict[str, Person] = {}
    yield opened
    for person in opened.values():
        assert not person.errors, person.errors
        await person.close()


async def laptop(browser: Browser, server: Server, stage: Stage, people: dict[str, Person],
                 who: str, *, path: str | None = None) -> Person:
    """The laptop of `who`, logged in, showing the meeting (opened once)."""
    if who not in people:
        person = await Person.open(browser, server.http)
        await person.login_api(stage.username(who), PASSWORD)
        await person.goto(path or f"/#/meeting/{stage.meeting}")
        people[who] = person
    return people[who]


async def projector(browser: Browser, server: Server, stage: Stage,
                    people: dict[str, Person]) -> Page:
    if "display" not in people:
        person = await Person.open(browser, server.http, viewport=PROJECTOR)
        await person.login_ui(stage.username("display"), PASSWORD,
                              f"/display/#/meeting/{stage.meeting}")
        people["display"] = person
        await expect(person.page.locator(".stage .badge.live")).to_be_visible()
    return people["display"].page


async def check_in(page: Page) -> None:
    """Opening the meeting checks nobody in: the person presses "Điểm danh"."""
    await page.locator('[data-key="check-in"], [data-key="checked-in"]').first.wait_for()
    if await page.locator('[data-key="check-in"]').count():
        await page.click('[data-key="check-in"]')
    await expect(page.locator('[data-key="checked-in"]')).to_be_visible()


def pdf_file(data: bytes) -> FilePayload:
    return {"name": "bao-cao.pdf", "mimeType": "application/pdf", "buffer": data}


def test_the_clients_are_built() -> None:
    """Fails (rather than skips) without the bundles: run `make clients`."""
    require_built()


async def visible_top(page: Page) -> tuple[float, float, float]:
    """The page frame scrolled to the top of the window: x, y of its corner and its width."""
    await page.locator(".page-scroller").evaluate("(el) => el.scrollIntoView({block: 'start'})")
    box = await page.locator(".page-frame").bounding_box()
    assert box is not None
    return box["x"], box["y"], box["width"]


async def test_chair_moves_the_cursor_and_presents(browser: Browser, server: Server,
                                                   stage: Stage, people: dict[str, Person]) -> None:
    chair = await Person.open(browser, server.http)
    people["chair"] = chair
    page = chair.page
    await page.goto(server.http + "/")
    await expect(page.locator("#login-username")).to_be_focused()
    await shot(page, "login")
    await chair.login_ui(stage.username("chair"), PASSWORD)
    await expect(page.locator(".meeting-card")).to_have_count(1)
    await shot(page, "meetings")
    await page.click(".meeting-card")
    await page.click('[data-key="tab-console"]')

    display = await projector(browser, server, stage, people)
    delegate = (await laptop(browser, server, stage, people, "delegate01")).page

    await page.click('[data-key="session.open"]')
    await expect(delegate.locator('[data-session="open"]')).to_be_visible()
    await page.click('[data-key="c-next"]')
    current = delegate.locator('.agenda [aria-current="step"]')
    await expect(current).to_contain_text("Nội dung 1")
    await expect(display.locator(".agenda-view .current")).to_contain_text("Nội dung 1")
    await page.click('[data-key="c-next"]')
    await expect(current).to_contain_text("Nội dung 2")
    await expect(display.locator(".agenda-view .current")).to_contain_text("Nội dung 2")

    await page.select_option("#present-doc", label=str(stage.document["title"]))
    await page.fill("#present-page", "2")
    await page.click('[data-key="page-show"]')
    reader = delegate.locator(".reader")
    await expect(reader).to_have_attribute("data-view", f"{stage.doc}:2")
    await expect(reader).to_have_attribute("data-follow", "true")
    await expect(delegate.locator(".page-frame")).to_have_attribute("data-page", f"{stage.doc}:2")
    await expect(display.locator(".page-box")).to_have_attribute("data-loaded", f"{stage.doc}:2")
    await expect(display.locator(".stage-panel")).to_contain_text("Nội dung 2")
    await page.locator(".tabs").evaluate("(el) => el.scrollIntoView({block: 'start'})")
    await shot(page, "chair-console")
    await shot(delegate, "delegate-reader")
    await shot(display, "display-page")

    # Turning a page yourself leaves follow mode; the button brings you back.
    await delegate.click('[data-key="page-next"]')
    await expect(reader).to_have_attribute("data-view", f"{stage.doc}:3")
    await expect(reader).to_have_attribute("data-follow", "false")
    await page.click('[data-key="page-next-present"]')
    await expect(display.locator(".page-box")).to_have_attribute("data-loaded", f"{stage.doc}:3")
    await page.click('[data-key="page-prev-present"]')
    await expect(display.locator(".page-box")).to_have_attribute("data-loaded", f"{stage.doc}:2")
    await expect(reader).to_have_attribute("data-view", f"{stage.doc}:3")  # still on its own
    await shot(delegate, "delegate-not-following")
    await delegate.click('[data-key="follow"]')
    await expect(reader).to_have_attribute("data-view", f"{stage.doc}:2")
    await expect(reader).to_have_attribute("data-follow", "true")


async def test_a_delegate_asks_to_speak_and_the_chair_gives_the_floor(
        browser: Browser, server: Server, stage: Stage, people: dict[str, Person]) -> None:
    chair = people["chair"].page
    display = await projector(browser, server, stage, people)
    delegate = (await laptop(browser, server, stage, people, "delegate02")).page
    await delegate.check('[data-key="kind-question"]')
    await delegate.click('[data-key="speak-request"]')
    await expect(delegate.locator("[data-place]")).to_have_attribute("data-place", "1")
    await expect(display.locator(".next-speaker")).to_contain_text(stage.name("delegate02"))

    queued = chair.locator(".queue li").filter(has_text=stage.name("delegate02"))
    await expect(queued).to_contain_text("Chất vấn")
    await shot(chair, "chair-speakers")
    await queued.locator('[data-key^="grant-"]').click()
    await expect(delegate.locator('[data-key="speak-end"]')).to_be_visible()
    await expect(display.locator(".speaker-name")).to_have_text(stage.name("delegate02"))
    await expect(display.locator(".speaker-time")).to_have_text(re.compile(r"^0[45]:\d\d$"))
    await expect(chair.locator(".console .floor .timer")).to_be_visible()
    await shot(display, "display-speaker")
    await delegate.click('[data-key="speak-end"]')
    await expect(display.locator(".speaker")).to_have_count(0)


async def test_a_secret_vote_with_the_result_on_the_projector(
        browser: Browser, server: Server, stage: Stage, people: dict[str, Person]) -> None:
    chair = people["chair"].page
    display = await projector(browser, server, stage, people)
    voters = ["delegate01", "delegate02", "delegate03", "delegate04"]
    laptops = {who: await laptop(browser, server, stage, people, who) for who in voters}
    for person in laptops.values():
        await check_in(person.page)

    question = "Thông qua dự toán ngân sách năm 2027"
    await chair.fill("#poll-question", question)
    await chair.select_option("#poll-kind", "secret")
    await chair.select_option("#poll-rule", "present_majority")
    await chair.click('[data-key="poll-open"]')
    await expect(display.locator(".poll-open")).to_contain_text(question)

    choices = {"delegate01": 0, "delegate02": 0, "delegate03": 0, "delegate04": 1}
    receipts: dict[str, str] = {}
    for who, choice in choices.items():
        page = laptops[who].page
        ballot = page.locator(".ballot")
        await expect(ballot).to_contain_text(question)
        await page.check(f'[data-key="choice-{choice}"]')
        await page.click('[data-key="cast"]')
        await expect(ballot.locator('[data-cast="true"]')).to_be_visible()
        receipt = ballot.locator('[data-key="receipt"]')
        await expect(receipt).to_have_text(re.compile(r"^[0-9A-Z]{10}$"))
        receipts[who] = await receipt.inner_text()
    await shot(laptops["delegate01"].page, "ballot-receipt")
    await expect(chair.locator(".cast-count")).to_contain_text("4/6")
    await expect(display.locator(".poll-cast")).to_contain_text("4/6")

    # The receipt lives in the page's memory only.
    for who, person in laptops.items():
        found = await person.page.evaluate(
            """(code) => [localStorage, sessionStorage].some((s) => Object.keys(s).some(
                 (k) => k.includes(code) || (s.getItem(k) || '').includes(code)))""",
            receipts[who])
        assert not found, who

    await chair.click('[data-key="poll-close"]')
    result = display.locator(".result-overlay")
    await expect(result).to_be_visible()
    await expect(result.locator(".chart-value").nth(0)).to_contain_text("3")
    await expect(result.locator(".chart-value").nth(1)).to_contain_text("1")
    await expect(result.locator(".verdict")).to_have_attribute("data-outcome", "passed")
    await expect(laptops["delegate04"].page.locator(".ballot .verdict")).to_have_attribute(
        "data-outcome", "passed")
    await shot(display, "display-result")
    await shot(chair, "chair-result")


async def test_voters_check_their_receipts_after_the_close(
        browser: Browser, server: Server, stage: Stage, people: dict[str, Person]) -> None:
    page = people["delegate01"].page
    ballot = page.locator(".ballot")
    mine = await ballot.locator('[data-key="receipt"]').inner_text()
    other = await people["delegate04"].page.locator('.ballot [data-key="receipt"]').inner_text()
    # Keyboard: the button, Enter, and the dialog with the voter's own ballot checked.
    button = ballot.locator('[data-key="check-receipts"]')
    await button.focus()
    await page.keyboard.press("Enter")
    dialog = page.locator("dialog.receipt-dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog.locator("tbody tr")).to_have_count(4)
    own_row = dialog.locator("tr.mine")
    await expect(own_row).to_have_count(1)
    await expect(own_row).to_have_attribute("data-receipt", mine)
    await expect(own_row).to_contain_text("Đồng ý")
    verdict = dialog.locator('[data-key="own-checks"] [data-verdict]')
    await expect(verdict).to_have_attribute("data-verdict", "ok")
    await expect(verdict).to_contain_text(f"{mine} đã được tính đúng như bạn đã bỏ: Đồng ý")
    await shot(page, "receipts-check")

    # Someone else's code, typed loosely: found, with its choice, and marked in the list.
    code = dialog.locator("#receipt-input")
    await code.fill(f"{other[:5].lower()}-{other[5:]}")
    await code.press("Enter")
    typed = dialog.locator("[data-typed] [data-verdict]")
    await expect(typed).to_have_attribute("data-verdict", "ok")
    await expect(typed).to_contain_text("Không đồng ý")
    await expect(dialog.locator("tr.found")).to_have_attribute("data-receipt", other)
    nobody = next(c for c in ("0000000000", "1111111111") if c not in (mine, other))
    await code.fill(nobody)
    await code.press("Enter")
    await expect(typed).to_have_attribute("data-verdict", "missing")
    await expect(typed).to_contain_text("Không có phiếu nào")
    await code.fill("ILOU")
    await code.press("Enter")
    await expect(typed).to_have_attribute("data-verdict", "invalid")
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)
    await expect(button).to_be_focused()

    # Without the receipt in memory (another laptop, or after a reload): type it.
    # Only voters check receipts (docs/security.md): here another delegate who voted.
    secretary = await Person.open(browser, server.http)
    try:
        await secretary.login_api(stage.username("delegate02"), PASSWORD)
        await secretary.goto(f"/#/meeting/{stage.meeting}")
        spage = secretary.page
        ended = spage.locator(".results-panel .ended-poll").first
        await expect(ended).to_have_attribute("data-status", "closed")
        await ended.locator("summary").click()
        await ended.locator('[data-key^="check-receipts-"]').click()
        sdialog = spage.locator("dialog.receipt-dialog")
        await expect(sdialog).to_contain_text("không còn giữ mã biên nhận")
        await expect(sdialog.locator("tr.mine")).to_have_count(0)
        await sdialog.locator("#receipt-input").fill(mine)
        await sdialog.locator('[data-key="receipt-check"]').click()
        await expect(sdialog.locator("[data-typed] [data-verdict]")).to_have_attribute(
            "data-verdict", "ok")
        await sdialog.locator('[data-key="receipt-close"]').click()
        await expect(sdialog).to_have_count(0)
        assert not secretary.errors, secretary.errors
    finally:
        await secretary.close()


async def fulfil(route: Route, status: int, body: str = "") -> None:
    await route.fulfill(status=status, content_type="text/csv; charset=utf-8", body=body)


async def test_poll_results_are_offered_for_download_only_when_the_server_has_them(
        browser: Browser, server: Server, stage: Stage, people: dict[str, Person]) -> None:
    person = people["delegate02"]
    ended = person.page.locator(".results-panel .ended-poll").first
    poll = await ended.get_attribute("data-poll")
    await ended.locator("summary").click()
    exports = ended.locator(".exports")
    await expect(exports).to_have_attribute("data-exports", re.compile(r"^(none|ready)$"))
    # Whatever this server offers, and only that, is linked.
    for fmt in ("csv", "pdf"):
        answer = await person.context.request.head(f"{server.http}/api/polls/{poll}/result.{fmt}")
        link = ended.locator(f'[data-key="export-{fmt}-{poll}"]')
        if answer.status == 200:
            await expect(link).to_have_attribute("href", f"/api/polls/{poll}/result.{fmt}")
        else:
            await expect(link).to_have_count(0)

    # A server with the CSV but not the PDF: one link.
    other = await Person.open(browser, server.http)
    try:
        page = other.page
        await page.route(re.compile(r".*/api/polls/\d+/result\.csv$"),
                         lambda route: fulfil(route, 200, "Phương án,Số phiếu\r\n"))
        await page.route(re.compile(r".*/api/polls/\d+/result\.pdf$"),
                         lambda route: fulfil(route, 404))
        await other.login_api(stage.username("delegate03"), PASSWORD)
        await other.goto(f"/#/meeting/{stage.meeting}")
        ended = page.locator(f'.results-panel .ended-poll[data-poll="{poll}"]')
        await ended.locator("summary").click()
        csv = ended.locator(f'[data-key="export-csv-{poll}"]')
        await expect(csv).to_have_attribute("href", f"/api/polls/{poll}/result.csv")
        await expect(csv).to_have_attribute("download", "")
        await expect(ended.locator(f'[data-key="export-pdf-{poll}"]')).to_have_count(0)
        await shot(page, "poll-exports")
        # The poll itself does not answer: no links at all, even with the files there.
        await page.route(re.compile(r".*/api/polls/\d+$"), lambda route: fulfil(route, 404))
        await page.reload()
        ended = page.locator(f'.results-panel .ended-poll[data-poll="{poll}"]')
        await ended.locator("summary").click()
        await expect(ended.locator(".exports")).to_have_attribute("data-exports", "none")
        await expect(ended.locator("a[href*='/result.']")).to_have_count(0)
        assert not other.errors, other.errors
    finally:
        await other.close()


async def test_annotations_survive_reload_and_follow_the_person(
        browser: Browser, server: Server, stage: Stage, people: dict[str, Person]) -> None:
    first = await laptop(browser, server, stage, people, "delegate05")
    page = first.page
    frame = page.locator(".page-frame")
    await expect(frame).to_have_attribute("data-page", f"{stage.doc}:2")
    await expect(page.locator(".annotate-bar [role=status]")).to_have_count(0)  # notes synced

    await page.click('[data-key="tool-pen"]')
    x, y, width = await visible_top(page)
    await page.mouse.move(x + width * 0.2, y + 120)
    await page.mouse.down()
    for step in range(1, 11):
        await page.mouse.move(x + width * (0.2 + step * 0.04), y + 130)
    await page.mouse.up()
    await expect(frame).to_have_attribute("data-strokes", "1")

    await page.click('[data-key="tool-note"]')
    x, y, width = await visible_top(page)
    await page.mouse.click(x + width * 0.6, y + 200)
    await page.fill("#note-text", "Hỏi Sở Tài chính về nguồn vốn")
    await page.click('[data-key="note-save"]')
    await expect(frame).to_have_attribute("data-notes", "1")
    await expect(page.locator(".pin")).to_contain_text("Hỏi Sở Tài chính")
    await page.click('[data-key="tool-read"]')
    await shot(page, "annotations")

    await page.reload()
    await expect(frame).to_have_attribute("data-page", f"{stage.doc}:2")
    await expect(frame).to_have_attribute("data-strokes", "1")
    await expect(frame).to_have_attribute("data-notes", "1")
    kept = await first.storage()
    assert set(kept["local"]) <= DEVICE_KEYS and not kept["idb"], kept

    second = await Person.open(browser, server.http)
    try:
        await second.login_api(stage.username("delegate05"), PASSWORD)
        await second.goto(f"/#/meeting/{stage.meeting}")
        other = second.page.locator(".page-frame")
        await expect(other).to_have_attribute("data-strokes", "1")
        await expect(other).to_have_attribute("data-notes", "1")
        # The eraser on one device, seen on the other; undo brings it back.
        await second.page.click('[data-key="tool-eraser"]')
        ox, oy, owidth = await visible_top(second.page)
        await second.page.mouse.move(ox + owidth * 0.3, oy + 100)
        await second.page.mouse.down()
        await second.page.mouse.move(ox + owidth * 0.3, oy + 160, steps=8)
        await second.page.mouse.up()
        await expect(other).to_have_attribute("data-strokes", "0")
        await expect(frame).to_have_attribute("data-strokes", "0")
        await second.page.click('[data-key="undo"]')
        await expect(frame).to_have_attribute("data-strokes", "1")
        # Nobody else sees them.
        stranger = people["delegate01"].page.locator(".page-frame")
        await expect(stranger).to_have_attribute("data-page", f"{stage.doc}:2")
        await expect(stranger).to_have_attribute("data-notes", "0")
        assert not second.errors, second.errors
    finally:
        await second.close()


async def test_a_delegate_downloads_their_own_annotated_copy(
        browser: Browser, server: Server, stage: Stage, people: dict[str, Person]) -> None:
    page = people["delegate05"].page
    frame = page.locator(".page-frame")
    await expect(frame).to_have_attribute("data-strokes", "1")
    await expect(frame).to_have_attribute("data-notes", "1")
    link = page.locator('[data-key="annotated"]')
    await expect(link).to_have_attribute("href", f"/api/documents/{stage.doc}/annotated")
    await link.focus()
    async with page.expect_download() as info:
        await page.keyboard.press("Enter")
    download = await info.value
    assert download.suggested_filename.endswith(".pdf"), download.suggested_filename
    assert "ghi chú" in download.suggested_filename, download.suggested_filename
    data = await asyncio.to_thread(Path(await download.path()).read_bytes)
    assert data.startswith(b"%PDF")
    pdf = pymupdf.open(stream=data, filetype="pdf")
    try:
        kinds = sorted(a.type[1] for a in pdf[1].annots())  # page 2: the stroke and the note
        assert kinds == ["FreeText", "Ink"], kinds
        assert "Hỏi Sở Tài chính" in "".join(a.info.get("content", "") for a in pdf[1].annots())
    finally:
        pdf.close()


async def test_the_secretary_prepares_a_meeting(browser: Browser, server: Server,
                                                stage: Stage) -> None:
    secretary = await Person.open(browser, server.http)
    try:
        await secretary.login_api(stage.username("secretary"), PASSWORD)
        await secretary.goto("/#/prepare/new")
        page = secretary.page
        await page.fill("#m-title", "Họp chuyên đề chuyển đổi số")
        await page.fill("#m-starts_date", "15/03/2027")
        await page.fill("#m-starts_time", "08:00")
        await page.click('[data-key="m-save"]')
        await expect(page).to_have_url(re.compile(r"#/prepare/\d+$"))
        meeting = int(page.url.rsplit("/", 1)[1])
        await page.fill("#a-title", "Báo cáo tiến độ chuyển đổi số")
        await page.click('[data-key="a-add"]')
        await expect(page.locator(".edit-list [data-item]")).to_have_count(1)
        await page.fill("#a-title", "Thảo luận")
        await page.click('[data-key="a-add"]')
        await expect(page.locator(".edit-list [data-item]")).to_have_count(2)
        await page.locator('[data-key^="up-"]').nth(1).click()
        await expect(page.locator(".edit-list [data-item]").first).to_contain_text("Thảo luận")

        # A file that is not a PDF: the server's Vietnamese message is shown.
        await page.set_input_files("#d-file", files=[pdf_file(b"not a pdf at all")])
        await page.click('[data-key="d-upload"]')
        await expect(page.locator(".upload-error")).to_be_visible()
        await page.set_input_files("#d-file", files=[pdf_file(make_pdf(["Bao cao"]))])
        await page.click('[data-key="d-upload"]')
        await expect(page.locator("[data-document]")).to_have_count(1)

        await page.fill("#u-q", stage.username("delegate03"))
        await page.click('[data-key="u-find"]')
        await page.locator('[data-key^="invite-"]').first.click()
        await expect(page.locator("table.people tbody tr")).to_have_count(2)
        # The letter names the chair: the secretary names one before sending.
        await expect(page.locator('[data-key="to-invited"]')).to_be_disabled()
        await page.fill("#u-q", stage.username("chair"))
        await page.select_option("#u-role", "chair")
        await page.click('[data-key="u-find"]')
        await page.locator('[data-key^="invite-"]').first.click()
        await expect(page.locator("table.people tbody tr")).to_have_count(3)
        await page.click('[data-key="to-invited"]')
        await page.locator('dialog[data-key="confirm-dialog"] [data-key="confirm-yes"]').click()
        await expect(page.locator("[data-status]")).to_have_attribute("data-status", "invited")
        await shot(page, "prepare", full_page=True)
        assert meeting != stage.meeting

        # Who opened what, on the meeting the delegates read.
        await secretary.goto(f"/#/prepare/{stage.meeting}")
        await page.click(f'[data-key="opens-{stage.doc}"]')
        await expect(page.locator(f'[data-document="{stage.doc}"] table')).to_contain_text(
            stage.name("delegate01"))
        assert not secretary.errors, secretary.errors
    finally:
        await secretary.close()


async def test_logout_leaves_nothing_of_the_person(browser: Browser, server: Server,
                                                   stage: Stage) -> None:
    person = await Person.open(browser, server.http)
    try:
        page = person.page
        await person.login_ui(stage.username("guest"), PASSWORD)
        await page.click(".meeting-card")
        await expect(page.locator(".page-frame")).to_have_attribute("data-page", f"{stage.doc}:2")
        await page.click('[data-key="tool-pen"]')  # opens the notes socket too
        assert len(person.sockets) >= 3  # room, inbox, ink, notes
        await page.click('[data-key="logout"]')
        await expect(page.locator("form.login .notice")).to_be_visible()
        for ws in person.sockets:
            assert ws.is_closed(), ws.url
        kept = await person.storage()
        assert set(kept["local"]) <= DEVICE_KEYS, kept
        assert kept["session"] == [] and kept["caches"] == [] and kept["idb"] == [], kept
        assert kept["workers"] == 0 and "phonghop_session" not in kept["cookies"], kept
        me = await person.context.request.get(f"{server.http}/api/me")
        assert me.status == 401
        await shot(page, "logged-out")
    finally:
        await person.close()


async def test_the_projector_reconnects_after_a_restart_and_notes_made_offline_arrive(
        browser: Browser, server: Server, stage: Stage, people: dict[str, Person]) -> None:
    display = await projector(browser, server, stage, people)
    notes = people["delegate05"].page
    frame = notes.locator(".page-frame")
    await expect(frame).to_have_attribute("data-strokes", "1")
    await expect(display.locator(".offline-banner")).to_be_hidden()
    await server.stop()
    try:
        await expect(display.locator(".offline-banner")).to_be_visible()
        await expect(display.locator(".stage")).to_have_class(re.compile(r"\bstale\b"))
        await shot(display, "display-offline")
        # A laptop without its server keeps taking notes.
        await expect(notes.locator(".status-line .badge.down")).to_be_visible()
        # Its sockets keep trying again, each try a change of status; the
        # toolbar under the person's finger stays the same buttons meanwhile,
        # or a press and its release land on different nodes and the click is lost.
        button = await notes.locator('[data-key="tool-highlighter"]').element_handle()
        await notes.wait_for_timeout(3000)
        assert await button.evaluate("b => b.isConnected")
        await notes.click('[data-key="tool-highlighter"]')
        x, y, width = await visible_top(notes)
        await notes.mouse.move(x + width * 0.15, y + 260)
        await notes.mouse.down()
        await notes.mouse.move(x + width * 0.6, y + 262, steps=6)
        await notes.mouse.up()
        await expect(frame).to_have_attribute("data-strokes", "2")
        await expect(notes.locator(".annotate-bar .warn-text")).to_be_visible()
    finally:
        await server.start()
    await expect(display.locator(".stage .badge.live")).to_be_visible(timeout=45_000)
    await expect(display.locator(".offline-banner")).to_be_hidden()
    await expect(display.locator(".page-box")).to_have_attribute("data-loaded", f"{stage.doc}:2")
    # The room it shows again is the live one: a change after the restart arrives.
    chair = people["chair"].page
    await expect(chair.locator(".status-line .badge.live")).to_be_visible(timeout=45_000)
    await chair.click('[data-key="c-next"]')
    await expect(display.locator(".stage-panel")).to_contain_text("Nội dung 3")
    # The offline stroke reached the server: another device of the person sees it.
    await expect(notes.locator(".annotate-bar .warn-text")).to_have_count(0, timeout=45_000)
    again = await Person.open(browser, server.http)
    try:
        await again.login_api(stage.username("delegate05"), PASSWORD)
        await again.goto(f"/#/meeting/{stage.meeting}")
        await expect(again.page.locator(".page-frame")).to_have_attribute("data-strokes", "2")
    finally:
        await again.close()


# -- a second meeting: voting by proxy, and a vote cancelled ------------------------------


@pytest.fixture(scope="module")
async def proxy_stage(server: Server) -> Stage:
    code = f"p{uuid.uuid4().hex[:6]}"
    world = await build_world(server.database_url, delegates=3, code=code)
    return Stage(world, code, {}, {})


@pytest.fixture(scope="module")
async def proxy_people(browser: Browser, server: Server,
                       proxy_stage: Stage) -> AsyncIterator[dict[str, Person]]:
    opened: dict[str, Person] = {}
    yield opened
    for person in opened.values():
        assert not person.errors, person.errors
        await person.close()


async def test_the_secretary_allows_voting_by_proxy(
        browser: Browser, server: Server, proxy_stage: Stage,
        proxy_people: dict[str, Person]) -> None:
    meeting = proxy_stage.meeting
    secretary = await laptop(browser, server, proxy_stage, proxy_people, "secretary",
                             path=f"/#/prepare/{meeting}")
    page = secretary.page
    await expect(page.locator("#m-title")).to_have_value("Họp giao ban tuần")
    box = page.locator("#m-allow_proxy")
    await expect(box).not_to_be_checked()
    await box.focus()
    await page.keyboard.press("Space")
    await expect(box).to_be_checked()
    await page.click('[data-key="m-save"]')
    await expect(page.locator(".prep-form [role=status]")).to_have_text("Đã lưu.")
    answer = await secretary.context.request.get(f"{server.http}/api/meetings/{meeting}")
    assert (await answer.json())["meeting"]["allow_proxy"] is True
    await page.reload()
    await expect(page.locator("#m-title")).to_have_value("Họp giao ban tuần")
    await expect(box).to_be_checked()


async def test_a_member_hands_their_vote_over_and_the_holder_casts_both_ballots(
        browser: Browser, server: Server, proxy_stage: Stage,
        proxy_people: dict[str, Person]) -> None:
    s = proxy_stage
    chair = (await laptop(browser, server, s, proxy_people, "chair",
                          path=f"/#/meeting/{s.meeting}?tab=console")).page
    await chair.click('[data-key="session.open"]')
    await expect(chair.locator('[data-session="open"]')).to_be_visible()
    holder, giver, third = [
        (await laptop(browser, server, s, proxy_people, who)).page
        for who in ("delegate01", "delegate02", "delegate03")]
    for page in (holder, giver, third):
        await check_in(page)
    holder_id, giver_id, third_id = (
        s.world.users[who] for who in ("delegate01", "delegate02", "delegate03"))
    requests = chair.locator(".proxy-requests li")

    # A request taken back before the chair decides.
    await third.select_option("#proxy-to", str(holder_id))
    await third.click('[data-key="proxy-request"]')
    await expect(third.locator(".proxy-given")).to_have_attribute(
        "data-proxy-status", "requested")
    await expect(requests).to_have_count(1)
    await expect(holder.locator(f'.proxy-held [data-proxy-from="{third_id}"]')).to_contain_text(
        "đang chờ chủ tọa")
    await third.click('[data-key="proxy-withdraw"]')
    await expect(requests).to_have_count(0)
    await expect(third.locator("#proxy-to")).to_be_visible()

    # Refused, asked again, approved.
    await giver.select_option("#proxy-to", str(holder_id))
    await giver.click('[data-key="proxy-request"]')
    pending = chair.locator(f'.proxy-requests [data-proxy-from="{giver_id}"]')
    await expect(pending).to_contain_text(f"{s.name('delegate02')} ủy quyền cho "
                                          f"{s.name('delegate01')}")
    await shot(chair, "chair-proxies")
    await pending.locator(f'[data-key="proxy-refuse-{giver_id}"]').click()
    await expect(giver.locator(".proxy-given")).to_have_attribute("data-proxy-status", "rejected")
    await expect(giver.locator(".proxy-given")).to_contain_text("không chấp thuận")
    await giver.select_option("#proxy-to", str(holder_id))
    await giver.click('[data-key="proxy-request"]')
    await pending.locator(f'[data-key="proxy-approve-{giver_id}"]').click()
    await expect(giver.locator(".proxy-given")).to_have_attribute("data-proxy-status", "approved")
    await expect(holder.locator(f'.proxy-held [data-proxy-from="{giver_id}"]')).to_have_text(
        f"Bạn biểu quyết thay cho {s.name('delegate02')}.")
    await expect(chair.locator(".proxy-approved li")).to_have_count(1)
    # The holder cannot hand their own vote on.
    await expect(holder.locator("#proxy-to")).to_have_count(0)
    await expect(holder.locator(".proxy-panel")).to_contain_text("không thể ủy quyền tiếp")

    # A named vote: two ballots on the holder's laptop, none on the giver's.
    await chair.fill("#poll-question", "Thông qua kế hoạch năm 2027")
    await chair.click('[data-key="poll-open"]')
    ballot = holder.locator(".ballot")
    await expect(ballot.locator(".ballot-card")).to_have_count(2)
    await expect(ballot.locator(f'[data-ballot="{giver_id}"] h3')).to_have_text(
        f"Phiếu thay cho {s.name('delegate02')}")
    await expect(giver.locator('.ballot [data-key="handed"]')).to_contain_text(
        s.name("delegate01"))
    await expect(giver.locator('.ballot [data-key^="cast"]')).to_have_count(0)
    await holder.check('[data-key="choice-0"]')
    await holder.click('[data-key="cast"]')
    await expect(ballot.locator('[data-ballot="self"] [data-cast="true"]')).to_be_visible()
    await holder.check(f'[data-key="choice-1-for-{giver_id}"]')
    await shot(holder, "ballot-proxy")
    await holder.click(f'[data-key="cast-for-{giver_id}"]')
    await expect(ballot.locator(f'[data-ballot="{giver_id}"] [data-cast="true"]')).to_contain_text(
        "Không đồng ý")
    await expect(chair.locator(".cast-count")).to_contain_text("2/4")
    await chair.click('[data-key="poll-close"]')
    named = chair.locator(".closed-poll .named li")
    await expect(named).to_have_count(2)
    await expect(named.filter(has_text=s.name("delegate02"))).to_contain_text(
        f"Không đồng ý ({s.name('delegate01')} bỏ thay)")

    # A secret vote: the holder keeps two receipts and finds both after the close.
    await chair.fill("#poll-question", "Bầu tổ trưởng tổ công tác")
    await chair.select_option("#poll-kind", "secret")
    await chair.click('[data-key="poll-open"]')
    await expect(ballot.locator(".ballot-card")).to_have_count(2)
    await holder.check('[data-key="choice-0"]')
    await holder.click('[data-key="cast"]')
    await holder.check(f'[data-key="choice-0-for-{giver_id}"]')
    await holder.click(f'[data-key="cast-for-{giver_id}"]')
    await expect(ballot.locator(f'[data-key="receipt-for-{giver_id}"]')).to_have_text(
        re.compile(r"^[0-9A-Z]{10}$"))
    await expect(chair.locator(".cast-count")).to_contain_text("2/4")
    await chair.click('[data-key="poll-close"]')
    await ballot.locator('[data-key="check-receipts"]').click()
    dialog = holder.locator("dialog.receipt-dialog")
    await expect(dialog.locator("tr.mine")).to_have_count(2)
    await expect(dialog.locator('[data-key="own-checks"] [data-verdict="ok"]')).to_have_count(2)
    await expect(dialog.locator('[data-key="own-checks"]')).to_contain_text(
        f"Phiếu thay cho {s.name('delegate02')}")
    await dialog.locator('[data-key="receipt-close"]').click()

    # Taking the vote back.
    await giver.click('[data-key="proxy-withdraw"]')
    await expect(giver.locator(".proxy-given")).to_have_attribute(
        "data-proxy-status", "withdrawn")
    await expect(holder.locator(".proxy-held")).to_have_count(0)
    await expect(chair.locator(".proxy-approved li")).to_have_count(0)


async def test_the_chair_cancels_an_open_vote_after_confirming(
        browser: Browser, server: Server, proxy_stage: Stage,
        proxy_people: dict[str, Person]) -> None:
    chair = proxy_people["chair"].page
    voter = proxy_people["delegate03"].page
    await chair.fill("#poll-question", "Điều chỉnh lịch họp tháng sau")
    await chair.click('[data-key="poll-open"]')
    await voter.check('[data-key="choice-0"]')
    await voter.click('[data-key="cast"]')
    await expect(voter.locator('.ballot [data-cast="true"]')).to_be_visible()

    # Asked again first; the safe answer has the focus and keeps the vote.
    cancel = chair.locator('[data-key="poll-cancel"]')
    await cancel.focus()
    await chair.keyboard.press("Enter")
    confirm = chair.locator('.open-poll [role="alertdialog"]')
    await expect(confirm).to_contain_text("Hủy cuộc biểu quyết này?")
    await expect(chair.locator('[data-key="poll-cancel-no"]')).to_be_focused()
    await shot(chair, "chair-cancel-poll")
    await chair.keyboard.press("Enter")
    await expect(confirm).to_have_count(0)
    await expect(chair.locator(".open-poll")).to_be_visible()
    await expect(cancel).to_be_focused()

    await cancel.click()
    await chair.click('[data-key="poll-cancel-yes"]')
    await expect(chair.locator(".open-poll")).to_have_count(0)
    await expect(chair.locator('[data-key="poll-open"]')).to_be_visible()
    await expect(voter.locator(".ballot h2")).to_have_text("Biểu quyết đã bị hủy")
    await expect(voter.locator('.ballot [data-key="poll-cancelled"]')).to_be_visible()
    await expect(voter.locator(".ballot .result-view")).to_have_count(0)
    ended = voter.locator(".results-panel .ended-poll").first
    await expect(ended).to_have_attribute("data-status", "cancelled")
    await expect(ended.locator("summary")).to_contain_text("Đã hủy")
    polls = await proxy_people["chair"].context.request.get(
        f"{server.http}/api/meetings/{proxy_stage.meeting}/polls")
    statuses = [p["status"] for p in (await polls.json())["polls"]]
    assert statuses[-1] == "cancelled", statuses


# -- after the meeting: minutes, conclusion notice, reuse, archive -------------------------
# Back to the first meeting, whose chair and laptops are still open.

PLACEHOLDER = "[Nội dung kết luận của chủ tọa đối với từng vấn đề.]"
CONCLUSION = "1. Giao Sở Tài chính hoàn thiện dự toán ngân sách năm 2027."


async def put_caret(page: Page, before: str, offset: int = 0) -> None:
    """Focus the minutes and put the caret `offset` units after the start of `before`."""
    await page.locator("#minutes-text").evaluate(
        """(el, [before, offset]) => {
             el.focus()
             const at = el.value.indexOf(before)
             if (at < 0) throw new Error('not in the minutes: ' + before)
             el.setSelectionRange(at + offset, at + offset)
           }""", [before, offset])


async def select_text(page: Page, text: str) -> None:
    await page.locator("#minutes-text").evaluate(
        """(el, text) => {
             el.focus()
             const at = el.value.indexOf(text)
             if (at < 0) throw new Error('not in the minutes: ' + text)
             el.setSelectionRange(at, at + text.length)
           }""", text)


async def minutes_contain(person: Person, stage: Stage, text: str) -> None:
    """Wait until the server's live minutes hold `text`."""
    url = f"{person.base}/api/meetings/{stage.meeting}/minutes"
    for _ in range(150):
        answer = await person.context.request.get(url)
        if text in (await answer.json()).get("current", ""):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the minutes never got {text!r}")


async def test_the_chair_and_the_secretary_write_the_minutes_together(
        browser: Browser, server: Server, stage: Stage, people: dict[str, Person]) -> None:
    chair = people["chair"].page
    await expect(chair.locator(".status-line .badge.live")).to_be_visible()
    await chair.click('[data-key="session.close"]')
    await chair.click('[data-key="close-yes"]')
    await expect(chair.locator('[data-session="closed"]')).to_be_visible()
    # The meeting has ended: its minutes are a link away.
    await chair.click('.crumbs [data-key="record"]')
    await expect(chair).to_have_url(re.compile(rf"#/minutes/{stage.meeting}$"))
    secretary = await laptop(browser, server, stage, people, "secretary",
                             path=f"/#/minutes/{stage.meeting}")
    spage = secretary.page
    ctext, stext = chair.locator("#minutes-text"), spage.locator("#minutes-text")
    # Seeded once from the draft the server writes from the record.
    for text in (ctext, stext):
        await expect(text).to_have_value(re.compile(r"I\. THÀNH PHẦN THAM DỰ"))
        await expect(text).to_have_value(re.compile(re.escape(PLACEHOLDER)))
        await expect(text).to_be_editable()
    assert (await stext.input_value()).count("I. THÀNH PHẦN THAM DỰ") == 1
    await expect(chair.locator(".co-editors")).to_contain_text(stage.name("secretary"))
    await expect(spage.locator(".co-editors")).to_contain_text(stage.name("chair"))

    # The secretary's caret sits in the closing line while the chair writes above it.
    closing = "Cuộc họp kết thúc lúc"
    await put_caret(spage, closing, len("Cuộc họp kết thúc "))
    await select_text(chair, PLACEHOLDER)
    await chair.keyboard.type(CONCLUSION)
    await expect(stext).to_have_value(re.compile(re.escape(CONCLUSION)))
    await spage.keyboard.type("vào ")
    await expect(ctext).to_have_value(re.compile(r"\nCuộc họp kết thúc vào lúc"))
    # And the other way round, at the very top.
    await spage.keyboard.press("Control+Home")
    await spage.keyboard.type("Biên bản họp giao ban. ")
    await expect(ctext).to_have_value(re.compile(r"^Biên bản họp giao ban\. "))
    await expect(ctext).not_to_have_value(re.compile(re.escape(PLACEHOLDER)))
    assert await ctext.input_value() == await stext.input_value()

    # The chair's input method composes a word (Vietnamese input on some
    # systems); the secretary's edit meanwhile waits, then both are there.
    await put_caret(chair, "\n\nCuộc họp kết thúc vào")
    cdp = await people["chair"].context.new_cdp_session(chair)
    await cdp.send("Input.imeSetComposition",
                   {"text": "Thố", "selectionStart": 3, "selectionEnd": 3})
    await expect(ctext).to_have_value(re.compile(r"năm 2027\.Thố\n"))
    await spage.keyboard.type("Số 15. ")
    await minutes_contain(people["chair"], stage, "Số 15. ")
    await expect(ctext).not_to_have_value(re.compile(r"Số 15\. "))  # not while composing
    await cdp.send("Input.insertText", {"text": " Thống nhất."})
    await expect(ctext).to_have_value(re.compile(r"^Biên bản họp giao ban\. Số 15\. "))
    await expect(stext).to_have_value(re.compile(r"năm 2027\. Thống nhất\.\n"))
    await expect(ctext).to_have_value(await stext.input_value())
    await cdp.detach()
    await shot(spage, "minutes-editor")

    # Approval, from the keyboard: number, Tab, Enter, the safe answer first.
    number = spage.locator("#minutes-number")
    await number.fill("15/BB-STC")
    await number.press("Tab")
    await expect(spage.locator('[data-key="minutes-approve"]')).to_be_focused()
    await spage.keyboard.press("Enter")
    await expect(spage.locator('[data-key="approve-no"]')).to_be_focused()
    await spage.keyboard.press("Shift+Tab")
    await expect(spage.locator('[data-key="approve-yes"]')).to_be_focused()
    await spage.keyboard.press("Enter")
    await expect(spage.locator('[data-notice="approved"]')).to_contain_text("phiên bản 1")
    row = spage.locator('.versions tr[data-version="1"]')
    await expect(row).to_contain_text("15/BB-STC")
    await expect(row).to_contain_text(stage.name("secretary"))
    link = row.locator('[data-key="minutes-pdf-1"]')
    await expect(link).to_have_attribute("href", f"/api/meetings/{stage.meeting}/minutes/1.pdf")
    answer = await secretary.context.request.get(
        f"{server.http}/api/meetings/{stage.meeting}/minutes/1.pdf")
    assert answer.ok and (await answer.body()).startswith(b"%PDF")
    pdf = pymupdf.open(stream=await answer.body(), filetype="pdf")
    try:
        words = "".join("".join(page.get_text() for page in pdf).split())
    finally:
        pdf.close()
    assert "15/BB-STC" in words and "".join(CONCLUSION.split()) in words
    # The same text again is not a new version.
    await spage.click('[data-key="minutes-approve"]')
    await spage.click('[data-key="approve-yes"]')
    await expect(spage.locator('[data-notice="unchanged"]')).to_be_visible()
    await expect(spage.locator(".versions tbody tr")).to_have_count(1)


async def conclusion_with(server: Server, stage: Stage, level: str) -> int:
    """Move the end of the meeting back, a day at a time, until the notice's
    deadline is `level` ('soon': 1 working day left; 'overdue'); the server
    counts the working days. Returns days_left."""
    conn = await asyncpg.connect(server.database_url)
    try:
        async with httpx.AsyncClient(base_url=server.http) as client:
            headers = {"Authorization": f"Bearer {stage.world.token('secretary')}"}
            for back in range(1, 30):
                await conn.execute(
                    "UPDATE meetings SET closed_at = now() - make_interval(days => $2)"
                    " WHERE id = $1", stage.meeting, back)
                r = await client.get(f"/api/meetings/{stage.meeting}/conclusion",
                                     headers=headers)
                left = int(r.json()["days_left"])
                if (level == "soon" and left == 1) or (level == "overdue" and left < 0):
                    return left
    finally:
        await conn.close()
    raise AssertionError(f"no end date gives {level}")


async def test_the_secretary_sees_the_conclusion_deadline_and_issues_the_notice(
        server: Server, stage: Stage, people: dict[str, Person]) -> None:
    secretary = people["secretary"]
    page = secretary.page
    state = page.locator(".conclusion-state")
    await expect(state).to_have_attribute("data-status", "pending")
    await expect(page.locator(".deadline")).to_have_attribute("data-level", "ok")
    await expect(page.locator('.conclusion-panel [role="alert"]')).to_have_count(0)

    await conclusion_with(server, stage, "soon")
    await page.reload()
    warning = page.locator(".deadline")
    await expect(warning).to_have_attribute("data-level", "soon")
    await expect(warning).to_have_attribute("role", "alert")
    await expect(warning).to_contain_text("chỉ còn 1 ngày làm việc")
    await page.locator(".conclusion-panel").scroll_into_view_if_needed()
    await shot(page, "conclusion-deadline")
    days = await conclusion_with(server, stage, "overdue")
    await page.reload()
    await expect(warning).to_have_attribute("data-level", "overdue")
    await expect(warning).to_contain_text(f"Đã quá hạn {-days} ngày làm việc")

    # The draft comes from the approved minutes' conclusions.
    text = page.locator("#conclusion-text")
    await expect(text).to_have_value(re.compile(re.escape(CONCLUSION)))
    await page.fill("#conclusion-number", "20/TB-STC")
    # Issued is final: the secretary is asked first, and "no" issues nothing.
    await page.click('[data-key="conclusion-issue"]')
    dialog = page.locator('dialog[data-key="confirm-dialog"]')
    await expect(dialog).to_contain_text("Ban hành thông báo kết luận?")
    await dialog.locator('[data-key="confirm-no"]').click()
    await expect(dialog).to_have_count(0)
    await expect(state).not_to_have_attribute("data-status", "issued")
    await page.click('[data-key="conclusion-issue"]')
    await dialog.locator('[data-key="confirm-yes"]').click()
    await expect(state).to_have_attribute("data-status", "issued")
    await expect(page.locator(".issued")).to_have_attribute("data-issued", "1")
    await expect(page.locator(".issued")).to_contain_text("Sau hạn")
    await expect(page.locator(".deadline")).to_have_count(0)
    pdf = page.locator('[data-key="conclusion-pdf"]')
    await expect(pdf).to_have_attribute("href", f"/api/meetings/{stage.meeting}/conclusion.pdf")
    href = await pdf.get_attribute("href") or ""
    answer = await secretary.context.request.get(server.http + href)
    assert answer.ok and (await answer.body()).startswith(b"%PDF")

    # A member reads the approved minutes and the notice, and writes neither.
    member = people["delegate01"]
    await member.goto(f"/#/minutes/{stage.meeting}")
    await expect(member.page.locator('.versions tr[data-version="1"]')).to_be_visible()
    await expect(member.page.locator('[data-key="conclusion-pdf"]')).to_be_visible()
    await expect(member.page.locator(".conclusion-state")).to_have_attribute(
        "data-status", "issued")
    await expect(member.page.locator("#minutes-text")).to_have_count(0)
    await expect(member.page.locator('[data-key="conclusion-issue"]')).to_have_count(0)
    await expect(member.page.locator('[data-key="export-zip"]')).to_have_count(0)


async def test_the_secretary_takes_the_record_copies_the_meeting_and_reuses_a_document(
        stage: Stage, people: dict[str, Person]) -> None:
    page = people["secretary"].page
    link = page.locator('[data-key="export-zip"]')
    await expect(link).to_have_attribute("href", f"/api/meetings/{stage.meeting}/export.zip")
    async with page.expect_download() as info:
        await link.click()
    download = await info.value
    data = await asyncio.to_thread(Path(await download.path()).read_bytes)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
    assert {"bien-ban-v1.pdf", "thong-bao-ket-luan.pdf", "nhat-ky-su-kien.json"} <= set(names)
    assert any(n.startswith("tai-lieu/") and "du-toan" in n for n in names), names

    # "Sao chép làm mẫu": a new draft with the same agenda, opened for preparation.
    await page.click('[data-key="copy-open"]')
    await expect(page.locator("#copy-title")).to_have_value("Họp giao ban tuần")
    await page.fill("#copy-title", "Họp giao ban tuần (tháng sau)")
    await page.fill("#copy-date", "20/04/2027")
    await page.fill("#copy-time", "08:30")
    await page.click('[data-key="copy-create"]')
    await expect(page).to_have_url(re.compile(r"#/prepare/\d+$"))
    copy = int(page.url.rsplit("/", 1)[1])
    assert copy != stage.meeting
    await expect(page.locator("#m-title")).to_have_value("Họp giao ban tuần (tháng sau)")
    await expect(page.locator("#m-starts_time")).to_have_value("08:30")
    await expect(page.locator(".edit-list [data-item]")).to_have_count(5)
    await expect(page.locator("[data-status]").first).to_have_attribute("data-status", "draft")

    # A document of the ended meeting, found by its text and attached without uploading.
    await expect(page.locator("[data-document]")).to_have_count(0)
    await page.fill("#att-q", "ngan sach quang binh")
    await page.press("#att-q", "Enter")
    found = page.locator(f'[data-attach="{stage.doc}"]')
    await expect(found).to_contain_text("Dự toán ngân sách 2027")
    await expect(found).to_contain_text("Họp giao ban tuần")
    await page.locator(".attach").scroll_into_view_if_needed()
    await shot(page, "attach-document")
    await found.locator(f'[data-key="attach-{stage.doc}"]').click()
    await expect(page.locator("[data-document]")).to_have_count(1)
    await expect(page.locator("[data-document]")).to_contain_text("Dự toán ngân sách 2027")
    await expect(page.locator(".attach [role=status]")).to_contain_text("Đã đính kèm")


async def test_past_meetings_are_listed_and_found(stage: Stage,
                                                  people: dict[str, Person]) -> None:
    page = people["secretary"].page
    await page.goto(people["secretary"].base + "/#/")
    past = page.locator(f'[data-section="past"] [data-meeting="{stage.meeting}"]')
    await expect(past.locator(".tag[data-status]")).to_have_text("Đã kết thúc")
    await expect(past.locator(f'[data-key="record-{stage.meeting}"]')).to_be_visible()
    upcoming = page.locator('[data-section="upcoming"] .meeting-item')
    await expect(upcoming.filter(has_text="Họp giao ban tuần (tháng sau)")).to_have_attribute(
        "data-status", "draft")
    await shot(page, "meetings-past")

    search = page.locator("#meeting-search")
    await search.fill("bien ban hop giao ban")
    await search.press("Enter")
    found = page.locator(f'[data-section="found"] [data-meeting="{stage.meeting}"]')
    await expect(found.locator('[data-hit="minutes"]')).to_contain_text("Biên bản")
    await expect(found.locator(".tag[data-status]")).to_have_text("Đã kết thúc")
    await shot(page, "meetings-search")
    await search.fill("khong co cuoc hop nao nhu the")
    await search.press("Enter")
    await expect(page.locator('[data-section="found"]')).to_contain_text("Không tìm thấy")
    await page.click('[data-key="meeting-search-clear"]')
    await expect(search).to_be_focused()
    await expect(page.locator('[data-section="past"]')).to_be_visible()


async def test_an_archived_meeting_keeps_its_minutes_read_only(
        stage: Stage, people: dict[str, Person]) -> None:
    secretary = people["secretary"]
    page = secretary.page
    await page.goto(f"{secretary.base}/#/prepare/{stage.meeting}")
    await expect(page.locator('[data-key="record"]')).to_be_visible()
    await page.click('[data-key="to-archived"]')
    await expect(page.locator("[data-status]").first).to_have_attribute("data-status", "archived")

    # The chair's editor is still open: the next keystroke is refused and the
    # page turns read-only.
    chair = people["chair"].page
    text = chair.locator("#minutes-text")
    before = await text.input_value()
    await text.focus()
    await chair.keyboard.press("End")
    await chair.keyboard.type("x")
    await expect(chair.locator('.meeting-head .tag[data-status="archived"]')).to_be_visible()
    await expect(text).not_to_be_editable()
    await expect(text).to_have_value(before)
    await expect(chair.locator('[data-key="minutes-approve"]')).to_have_count(0)

    await page.goto(f"{secretary.base}/#/minutes/{stage.meeting}")
    await expect(page.locator(".minutes-panel")).to_have_attribute("data-synced", "true")
    await expect(page.locator("#minutes-text")).not_to_be_editable()
    await expect(page.locator("#minutes-text")).to_have_value(before)
    await expect(page.locator('[data-key="minutes-approve"]')).to_have_count(0)
    await expect(page.locator('[data-key="conclusion-issue"]')).to_have_count(0)
    await expect(page.locator('.versions tr[data-version="1"]')).to_be_visible()
    await expect(page.locator('[data-key="conclusion-pdf"]')).to_be_visible()
    await page.goto(f"{secretary.base}/#/")
    await expect(page.locator(f'[data-meeting="{stage.meeting}"] .tag[data-status]')).to_have_text(
        "Đã lưu trữ")
