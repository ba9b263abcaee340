"""Reading on a laptop and what surrounds it, in Debian's Chromium: the
reading layout at 1366×768 and 1920×1080 (the page gets most of the screen,
side panels fold away, full-screen reading), the language switched live, the
wording of the meeting screen, what the browser keeps after logout, and a
hung server noticed within seconds.

Every wait polls with a deadline (Playwright's expect); nothing sleeps."""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from playwright.async_api import Browser, Page, ViewportSize, expect

from tests.browser_support import Person, chromium, make_pdf, require_built, shot, upload
from tests.conftest import PASSWORD, Server, World, build_world
from tests.yclient import YClient

expect.set_options(timeout=15_000)

LAPTOP_1366: ViewportSize = {"width": 1366, "height": 768}
LAPTOP_1920: ViewportSize = {"width": 1920, "height": 1080}


@dataclass
class Stage:
    world: World
    code: str
    document: dict[str, Any]

    def username(self, who: str) -> str:
        return f"{self.code}-{who}"

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
    await hung.start()
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
