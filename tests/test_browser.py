"""The browser clients against a real server: Debian's Chromium, headless,
driven by Playwright. One meeting is run from start to finish across the
tests of this module, in order: the chair opens it and presents, a delegate
asks to speak, the members vote, a delegate annotates, the secretary
prepares, a laptop is logged out, and the projector survives a restart.

Every wait polls with a deadline (Playwright's expect); nothing sleeps."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from playwright.async_api import Browser, FilePayload, Page, expect

from tests.browser_support import (
    DEVICE_KEYS,
    PROJECTOR,
    Person,
    chromium,
    make_pdf,
    require_built,
    shot,
    upload,
)
from tests.conftest import PASSWORD, Server, World, build_world

expect.set_options(timeout=15_000)


@dataclass
class Stage:
    world: World
    code: str
    document: dict[str, Any]
    internal: dict[str, Any]

    def username(self, who: str) -> str:
        return f"{self.code}-{who}"

    def name(self, who: str) -> str:
        return f"Người {who}"

    @property
    def meeting(self) -> int:
        return self.world.meeting_id

    @property
    def doc(self) -> int:
        return int(self.document["id"])


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    require_built()
    async with chromium() as b:
        yield b


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
        await expect(person.page.locator('[data-key="checked-in"]')).to_be_visible()

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
        await page.click('[data-key="to-invited"]')
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
