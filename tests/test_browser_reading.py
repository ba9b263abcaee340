"""Reading on a laptop and what surrounds it, in Debian's Chromium: the
reading layout at 1366×768 and 1920×1080 (the page gets most of the screen,
side panels fold away, full-screen reading), the language switched live, the
wording of the meeting screen, what the browser keeps after logout, and a
hung server noticed within seconds.

Every wait polls with a deadline (Playwright's expect); nothing sleeps."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser, Page, ViewportSize, expect

from tests.browser_support import Person, make_pdf, require_built, shot, upload
from tests.browser_support import ReadingStage as Stage
from tests.conftest import PASSWORD, ROOT, Server, World, build_world
from tests.yclient import YClient

expect.set_options(timeout=15_000)

LAPTOP_1366: ViewportSize = {"width": 1366, "height": 768}
LAPTOP_1920: ViewportSize = {"width": 1920, "height": 1080}


@pytest.fixture(scope="module")
async def server(module_db: str,
                 tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    """conftest's server, given longer to start on a machine under load."""
    srv = Server(module_db, tmp_path_factory.mktemp("server"))
    await srv.start(timeout=120)
    yield srv
    await srv.stop()


@pytest.fixture(scope="module")
async def stage(server: Server) -> Stage:
    code = f"r{uuid.uuid4().hex[:6]}"
    world = await build_world(server.database_url, delegates=3, code=code)
    # The world's placeholder documents have no pages: the reader opens ours.
    conn = await asyncpg.connect(server.database_url)
    try:
        await conn.execute("DELETE FROM documents WHERE id = ANY($1::bigint[])", world.documents)
    finally:
        await conn.close()
    pages = [f"Trang {n}: bao cao kinh te - xa hoi tinh Quang Binh, muc {n}." for n in range(1, 5)]
    document = await upload(server.http, world.token("secretary"), world.meeting_id,
                            make_pdf(pages), "bao-cao.pdf", title="Báo cáo kinh tế - xã hội",
                            confidentiality="public")
    return Stage(world, code, document)


async def open_meeting(browser: Browser, server: Server, stage: Stage, who: str,
                       viewport: ViewportSize) -> Person:
    person = await Person.open(browser, server.http, viewport=viewport)
    await person.login_api(stage.username(who), PASSWORD)
    await person.goto(f"/#/meeting/{stage.meeting}")
    await expect(person.page.locator(".page-frame")).to_have_attribute(
        "data-page", f"{stage.doc}:1")
    await expect(person.page.locator(".status-line .badge")).to_have_class("badge live")
    return person


async def page_box(page: Page) -> dict[str, float]:
    """Where the page image sits in the window, and how much of it shows."""
    box: dict[str, float] = await page.evaluate("""() => {
        const img = document.querySelector('.page-image').getBoundingClientRect()
        const port = document.querySelector('.page-scroller').getBoundingClientRect()
        const top = Math.max(img.top, port.top, 0)
        const bottom = Math.min(img.bottom, port.bottom, window.innerHeight)
        return {top: img.top, left: img.left, width: img.width,
                visible: Math.max(0, bottom - top), height: window.innerHeight,
                scrollWidth: document.documentElement.scrollWidth,
                innerWidth: window.innerWidth}
    }""")
    return box


async def assert_reading_layout(page: Page) -> None:
    """The page starts near the top of the window and fills most of it."""
    async def measured() -> dict[str, float]:
        # The image's own size arrives a frame after it loads.
        await expect(page.locator(".page-frame[data-page]:not([data-loading])")).to_be_visible()
        return await page_box(page)

    box = await measured()
    assert box["top"] <= 120, box
    assert box["visible"] >= 0.75 * box["height"], box
    assert box["scrollWidth"] <= box["innerWidth"], box  # nothing wider than the window


def test_the_clients_are_built() -> None:
    require_built()


@pytest.mark.parametrize("viewport", [LAPTOP_1366, LAPTOP_1920], ids=["1366", "1920"])
async def test_the_page_gets_most_of_the_screen(browser: Browser, server: Server, stage: Stage,
                                                viewport: ViewportSize) -> None:
    person = await open_meeting(browser, server, stage, "delegate01", viewport)
    try:
        page = person.page
        await page.click('[data-key="reading"]')
        await expect(page.locator(".meeting")).to_have_attribute("data-layout", "reading")
        await assert_reading_layout(page)
        # The connection, the page number and the tools stay in reach.
        await expect(page.locator('[data-key="live-badge"]')).to_have_text("Đã kết nối")
        await expect(page.locator('[data-key="page-next"]')).to_be_visible()
        await expect(page.locator('[data-key="tool-pen"]')).to_be_visible()
        await shot(page, f"reading-{viewport['width']}")

        # The side panels (agenda, speaking, messages) fold away and come back
        # over the page without moving it.
        side = page.locator(".side")
        await expect(side).to_be_hidden()
        before = await page_box(page)
        await page.click('[data-key="side-toggle"]')
        await expect(side).to_be_visible()
        await expect(page.locator(".agenda-panel h2")).to_be_visible()
        after = await page_box(page)
        assert abs(after["top"] - before["top"]) < 2, (before, after)
        await page.click('[data-key="side-toggle"]')
        await expect(side).to_be_hidden()
        await page.click('[data-key="side-toggle"]')
        await expect(side).to_be_visible()
        await page.keyboard.press("Escape")
        await expect(side).to_be_hidden()

        # Thumbnails open beside the page, not above it.
        await page.click('[data-key="thumbs"]')
        await expect(page.locator(".thumbs .thumb")).to_have_count(4)
        await assert_reading_layout(page)
        await page.click('[data-key="thumbs"]')

        # Back to the full meeting screen.
        await page.click('[data-key="reading"]')
        await expect(page.locator(".meeting")).to_have_attribute("data-layout", "full")
        await expect(side).to_be_visible()
        assert not person.errors, person.errors
    finally:
        await person.close()


async def test_full_screen_reading(browser: Browser, server: Server, stage: Stage) -> None:
    person = await open_meeting(browser, server, stage, "delegate02", LAPTOP_1366)
    try:
        page = person.page
        await page.click('[data-key="fullscreen"]')
        await page.wait_for_function(
            "() => document.fullscreenElement?.classList.contains('reader')")
        # The whole screen is the page and one row of tools, with a way out.
        box = await page_box(page)
        assert box["top"] <= 80 and box["visible"] >= 0.85 * box["height"], box
        exit_button = page.locator('[data-key="fullscreen"]')
        await expect(exit_button).to_have_text("Thoát toàn màn hình")
        await page.click('[data-key="page-next"]')
        await expect(page.locator(".reader")).to_have_attribute("data-view", f"{stage.doc}:2")
        await shot(page, "reading-fullscreen")
        await exit_button.click()
        await page.wait_for_function("() => document.fullscreenElement === null")
        await expect(page.locator('[data-key="fullscreen"]')).to_have_text("Toàn màn hình")
        assert not person.errors, person.errors
    finally:
        await person.close()


async def test_a_frozen_server_is_noticed_within_seconds(browser: Browser, server: Server,
                                                         stage: Stage) -> None:
    """A server process that stops answering (SIGSTOP): the laptop says it is
    not connected within 8 s, and is live again, resynced, after SIGCONT."""
    hung = Server(server.database_url, server.workdir)
    await hung.start(timeout=120)
    person = await Person.open(browser, hung.http, viewport=LAPTOP_1366)
    chair: YClient | None = None
    try:
        page = person.page
        await person.login_api(stage.username("delegate03"), PASSWORD)
        await person.goto(f"/#/meeting/{stage.meeting}")
        badge = page.locator(".status-line .badge")
        await expect(badge).to_have_text("Đã kết nối")
        assert hung.process is not None
        hung.process.send_signal(signal.SIGSTOP)
        stopped = time.monotonic()
        try:
            await expect(badge).to_have_text("Mất kết nối — đang thử lại", timeout=8_000)
            noticed = time.monotonic() - stopped
            await shot(page, "connection-lost")
        finally:
            hung.process.send_signal(signal.SIGCONT)
        assert noticed < 8, noticed
        await expect(badge).to_have_text("Đã kết nối")
        # The room resyncs: what the chair does now reaches the laptop.
        chair = await YClient(hung.ws, f"meeting/{stage.meeting}/room",
                              stage.world.token("chair")).connect()
        assert (await chair.intent("agenda.goto", {"step": 1}))["ok"]
        await expect(page.locator('.agenda [aria-current="step"]')).to_contain_text("Nội dung 1")
        assert not person.errors, person.errors
    finally:
        if chair is not None:
            await chair.ws.close()
        await person.close()
        await hung.stop()


def catalogues() -> tuple[dict[str, Any], dict[str, Any]]:
    """Both string catalogues, as the clients bundle them."""
    script = ("import vi from './clients/shared/i18n/vi.js';"
              "import en from './clients/shared/i18n/en.js';"
              "console.log(JSON.stringify([vi, en]))")
    out = subprocess.run(["node", "--input-type=module", "-e", script], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    vi, en = json.loads(out)
    return vi, en


def vietnamese_only(vi: dict[str, Any], en: dict[str, Any]) -> set[str]:
    """Whole Vietnamese strings that English says differently, long enough
    not to occur by chance inside other text."""
    found = set()
    for key, text in vi.items():
        if not isinstance(text, str) or "{" in text or text == en.get(key) or len(text) < 6:
            continue
        if re.search(r"[^\x00-\x7f]", text):  # a Vietnamese letter: no English word
            found.add(text)
    return found


@pytest.mark.parametrize("who", ["delegate01", "chair", "secretary"])
async def test_the_language_switches_live_on_every_panel(browser: Browser, server: Server,
                                                         stage: Stage, who: str) -> None:
    """No reload: every visible panel of the meeting speaks English at once,
    the console and the desk included."""
    vi, en = catalogues()
    vietnamese = vietnamese_only(vi, en)
    person = await open_meeting(browser, server, stage, who, LAPTOP_1366)
    try:
        page = person.page
        if who != "delegate01":
            await page.click('[data-key="tab-console"]')
            await expect(page.locator(".console")).to_be_visible()
        await expect(page.locator(".agenda-panel h2")).to_have_text("Chương trình nghị sự")
        await page.click('[data-key="lang"]')
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        await expect(page.locator(".agenda-panel h2")).to_have_text(str(en["meeting.agenda"]))
        await expect(page.locator("#messages-title")).to_have_text(str(en["message.title"]))
        await expect(page.locator("#speak-title")).to_have_text(str(en["speak.title"]))
        if who == "delegate01":
            for key, text in (("thumbs", "reader.thumbsToggle"),
                              ("tool-pen", "annotate.tool.pen")):
                await expect(page.locator(f'[data-key="{key}"]')).to_have_text(str(en[text]))
        await expect(page.locator(".status-line .badge")).to_have_text("Connected")
        # Every piece of text on the screen, as the catalogue would have it.
        shown = await page.evaluate("""() => {
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
            const texts = []
            while (walker.nextNode()) {
                const node = walker.currentNode
                if (node.parentElement?.getClientRects().length) texts.push(node.textContent.trim())
            }
            return texts
        }""")
        left = sorted(text for text in shown if text in vietnamese)
        assert not left, left
        # The titles of the hidden controls too (labels, regions).
        labels = await page.evaluate("""() => [...document.querySelectorAll('[aria-label]')]
            .filter((el) => el.getClientRects().length)
            .map((el) => el.getAttribute('aria-label'))""")
        left = sorted(text for text in labels if text in vietnamese)
        assert not left, left
        await page.click('[data-key="lang"]')
        await expect(page.locator(".agenda-panel h2")).to_have_text("Chương trình nghị sự")
        assert not person.errors, person.errors
    finally:
        await person.close()


async def clients(server: Server, world: World, *who: str) -> dict[str, YClient]:
    return {name: await YClient(server.ws, f"meeting/{world.meeting_id}/room",
                                world.token(name)).connect() for name in who}


async def ok(client: YClient, kind: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    reply = await client.intent(kind, args or {})
    assert reply["ok"], (kind, reply)
    result: dict[str, Any] = reply.get("result") or {}
    return result


async def test_the_floor_and_the_vote_counts_are_worded_right(browser: Browser,
                                                              server: Server) -> None:
    """'Mời bạn phát biểu.' for the speaker; '1 vote', '2 votes' in English."""
    code = f"w{uuid.uuid4().hex[:6]}"
    world = await build_world(server.database_url, delegates=3, code=code)
    room = await clients(server, world, "chair", "delegate01", "delegate02", "delegate03")
    person = await Person.open(browser, server.http, viewport=LAPTOP_1366)
    try:
        await ok(room["chair"], "session.open")
        for name in ("delegate01", "delegate02", "delegate03"):
            await ok(room[name], "attendance.check_in")
        page = person.page
        await person.login_api(f"{code}-delegate01", PASSWORD)
        await person.goto(f"/#/meeting/{world.meeting_id}")
        await expect(page.locator(".status-line .badge")).to_have_text("Đã kết nối")

        asked = await ok(room["delegate01"], "speaker.request", {"kind": "speech"})
        await ok(room["chair"], "speaker.grant", {"request": asked["request"]})
        speak = page.locator(".speak")
        await expect(speak).to_contain_text("Mời bạn phát biểu.")
        await expect(speak).not_to_contain_text("được phát biểu")
        await ok(room["chair"], "speaker.end")

        poll = await ok(room["chair"], "poll.open", {
            "question": "Thông qua dự toán?", "kind": "named", "rule": "present_majority"})
        await ok(room["delegate01"], "vote.cast", {"poll": poll["poll"], "choice": 0})
        await ok(room["delegate02"], "vote.cast", {"poll": poll["poll"], "choice": 1})
        await ok(room["delegate03"], "vote.cast", {"poll": poll["poll"], "choice": 1})
        await ok(room["chair"], "poll.close", {"poll": poll["poll"]})
        await page.click(f'[data-key="result-{poll["poll"]}"]')
        counts = page.locator(".results-panel .bar-count")
        await expect(counts.first).to_be_visible()
        await page.click('[data-key="lang"]')
        await expect(counts.nth(0)).to_have_text(re.compile(r"^1 vote \("))
        await expect(counts.nth(1)).to_have_text(re.compile(r"^2 votes \("))
        assert not person.errors, person.errors
    finally:
        for client in room.values():
            await client.ws.close()
        await person.close()


async def test_the_preparation_screen_says_it_plainly(browser: Browser, server: Server,
                                                      stage: Stage) -> None:
    """One 'Tạo cuộc họp mới', 'Phân loại tài liệu' with 'Thường', our own
    file button; and an ended meeting offers no upload (the server says 409)."""
    person = await Person.open(browser, server.http, viewport=LAPTOP_1366)
    try:
        page = person.page
        conn = await asyncpg.connect(server.database_url)
        try:
            await conn.execute("UPDATE users SET can_prepare = true WHERE id = $1",
                               stage.world.users["secretary"])
        finally:
            await conn.close()
        await person.login_api(stage.username("secretary"), PASSWORD)
        await person.goto("/#/prepare/new")
        await expect(page.locator("h1")).to_have_text("Tạo cuộc họp mới")
        await expect(page.get_by_text("Tạo cuộc họp mới", exact=True)).to_have_count(1)

        await person.goto(f"/#/prepare/{stage.meeting}")
        await expect(page.locator('label[for="d-conf"]')).to_have_text("Phân loại tài liệu")
        options = await page.locator("#d-conf option").all_inner_texts()
        assert options[0] == "Thường" and "Công khai" not in options, options
        button = page.locator('[data-key="d-file-button"]')
        await expect(button).to_have_text("Chọn tệp…")
        await expect(page.locator('[data-key="d-file-name"]')).to_have_text("Chưa chọn tệp nào")
        box = await page.locator("#d-file").bounding_box()
        assert box is None or (box["width"] <= 1 and box["height"] <= 1), box
        await page.set_input_files("#d-file", files=[{
            "name": "to-trinh.pdf", "mimeType": "application/pdf",
            "buffer": make_pdf(["To trinh"])}])
        await expect(page.locator('[data-key="d-file-name"]')).to_have_text("to-trinh.pdf")
        await page.click('[data-key="lang"]')
        await expect(button).to_have_text("Choose a file…")
        await page.click('[data-key="lang"]')
        # "Trực tuyến" reads as an online meeting: the room is "phòng họp".
        await expect(page.locator("main")).not_to_contain_text("trực tuyến")
        await page.locator("form.upload").scroll_into_view_if_needed()
        await shot(page, "prepare-upload")

        # Once the meeting has ended: no form, and the server refuses too.
        conn = await asyncpg.connect(server.database_url)
        try:
            await conn.execute("UPDATE meetings SET status = 'ended' WHERE id = $1",
                               stage.meeting)
            await person.goto("/#/")
            await person.goto(f"/#/prepare/{stage.meeting}")
            await expect(page.locator('[data-key="d-closed"]')).to_be_visible()
            await expect(page.locator("form.upload")).to_be_hidden()
            async with httpx.AsyncClient(base_url=server.http) as client:
                r = await client.post(
                    f"/api/meetings/{stage.meeting}/documents", params={"filename": "x.pdf"},
                    content=make_pdf(["x"]),
                    headers={"Authorization": f"Bearer {stage.world.token('secretary')}"})
            assert r.status_code == 409, r.text
            assert r.json()["error"]["message"].startswith("Cuộc họp đã kết thúc")
        finally:
            await conn.execute("UPDATE meetings SET status = 'invited' WHERE id = $1",
                               stage.meeting)
            await conn.close()
        assert not person.errors, person.errors
    finally:
        await person.close()


async def test_logout_leaves_no_meeting_title_in_the_history(browser: Browser, server: Server,
                                                             stage: Stage) -> None:
    person = await Person.open(browser, server.http, viewport=LAPTOP_1366)
    try:
        page = person.page
        await person.login_ui(stage.username("guest"), PASSWORD)
        await page.click(".meeting-card")
        meeting_title = "Họp giao ban tuần"
        # The browser's history list (chrome://history) keeps every title a
        # tab had, after logout too: the meeting screen's title names none.
        await expect(page.locator(".meeting-head h1")).to_have_text(meeting_title)
        await expect(page).to_have_title(re.compile(r"^Cuộc họp – "))
        await page.click('[data-key="back"]')
        await expect(page.locator(".meeting-card")).to_be_visible()
        await page.click(".meeting-card")
        await expect(page).to_have_title(re.compile(r"^Cuộc họp – "))
        await page.click('[data-key="logout"]')
        await expect(page.locator("form.login .notice")).to_be_visible()
        assert meeting_title not in await page.title()
        assert "#/meeting" not in page.url
        # Back, as far as the history goes: the login screen, never the meeting.
        # (go_back answers None for an entry of the same page: compare addresses.)
        visited = [page.url]
        for _ in range(6):
            await page.go_back()
            if page.url == visited[-1] or not page.url.startswith(server.http):
                break
            visited.append(page.url)
            await expect(page.locator("#login-username")).to_be_visible()
            assert meeting_title not in await page.title(), visited
        assert not [url for url in visited if "/meeting/" in url], visited
        # Nor forward again.
        for _ in range(6):
            before = page.url
            await page.go_forward()
            if page.url == before:
                break
            visited.append(page.url)
            assert meeting_title not in await page.title(), visited
        assert not [url for url in visited if "/meeting/" in url], visited
        assert not person.errors, person.errors
    finally:
        await person.close()


async def fresh_meeting(server: Server) -> tuple[World, str]:
    """A meeting of its own with no readable document yet (the world's
    placeholders removed), so adding one changes nothing for other tests."""
    code = f"d{uuid.uuid4().hex[:6]}"
    world = await build_world(server.database_url, delegates=1, code=code)
    conn = await asyncpg.connect(server.database_url)
    try:
        await conn.execute("DELETE FROM documents WHERE meeting_id = $1", world.meeting_id)
    finally:
        await conn.close()
    return world, code


async def test_a_document_added_in_the_session_reaches_open_laptops(
        browser: Browser, server: Server) -> None:
    """The secretary uploads a document while delegates have the meeting open:
    it appears on their laptops without a reload, and they can read it."""
    world, code = await fresh_meeting(server)
    person = await Person.open(browser, server.http, viewport=LAPTOP_1366)
    try:
        page = person.page
        await person.login_api(f"{code}-delegate01", PASSWORD)
        await person.goto(f"/#/meeting/{world.meeting_id}")
        await expect(page.locator(".status-line .badge")).to_have_class("badge live")
        await expect(page.locator(".page-status")).to_have_text("Cuộc họp chưa có tài liệu.")
        marker = await page.evaluate("() => (window.__sameLoad = performance.timeOrigin)")
        document = await upload(server.http, world.token("secretary"), world.meeting_id,
                                make_pdf(["Tờ trình bổ sung, trang 1", "trang 2"]),
                                "to-trinh-bo-sung.pdf", title="Tờ trình bổ sung",
                                confidentiality="public")
        await expect(page.locator('[data-key="reader-doc"] option')).to_have_text(
            ["Tờ trình bổ sung"])
        await expect(page.locator(".page-frame")).to_have_attribute(
            "data-page", f"{document['id']}:1")
        # Same page load: nothing was reloaded.
        assert await page.evaluate("() => window.__sameLoad") == marker
        # A second one, while the first is being read, is added to the list.
        await upload(server.http, world.token("secretary"), world.meeting_id,
                     make_pdf(["Báo cáo thẩm tra"]), "bao-cao-tham-tra.pdf",
                     title="Báo cáo thẩm tra", confidentiality="public")
        await expect(page.locator('[data-key="reader-doc"] option')).to_have_text(
            ["Tờ trình bổ sung", "Báo cáo thẩm tra"])
        await expect(page.locator(".page-frame")).to_have_attribute(
            "data-page", f"{document['id']}:1")
        assert not person.errors, person.errors
    finally:
        await person.close()


async def test_reading_with_no_document_says_so(browser: Browser, server: Server) -> None:
    world, code = await fresh_meeting(server)
    person = await Person.open(browser, server.http, viewport=LAPTOP_1366)
    try:
        page = person.page
        await person.login_api(f"{code}-delegate01", PASSWORD)
        await person.goto(f"/#/meeting/{world.meeting_id}")
        await page.click('[data-key="reading"]')
        await expect(page.locator(".meeting")).to_have_attribute("data-layout", "reading")
        message = page.locator(".page-status")
        await expect(message).to_be_visible()
        await expect(message).to_have_text("Cuộc họp chưa có tài liệu.")
        await shot(page, "reading-no-documents")
        assert not person.errors, person.errors
    finally:
        await person.close()
