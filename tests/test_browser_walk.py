"""What an outside walk through a whole meeting found, in Debian's Chromium at
1366×768: a vote opening over a full-screen page, the cue for a reply, a
result that can be put away, long words, decimal commas, double clicks, the
preparation screen after a save, the early start, and what the browser's
history keeps. Every wait polls with a deadline; nothing sleeps."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest
from playwright.async_api import Browser, expect

from collab_server.domain.calendar import LOCAL_TZ
from tests.browser_support import LAPTOP, Person, make_pdf, shot, upload
from tests.conftest import PASSWORD, Server, World, build_world
from tests.yclient import YClient

expect.set_options(timeout=15_000)


@dataclass
class Room:
    world: World
    code: str
    chair: YClient

    def username(self, who: str) -> str:
        return f"{self.code}-{who}"

    @property
    def meeting(self) -> int:
        return self.world.meeting_id


async def ok(client: YClient, kind: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    reply = await client.intent(kind, args or {})
    assert reply["ok"], reply
    result: dict[str, Any] = reply.get("result") or {}
    return result


@pytest.fixture
async def room(server: Server) -> AsyncIterator[Room]:
    """A meeting of its own with a readable document, the session open and
    the delegates checked in."""
    code = f"w{uuid.uuid4().hex[:6]}"
    world = await build_world(server.database_url, delegates=2, code=code)
    conn = await asyncpg.connect(server.database_url)
    try:
        await conn.execute("DELETE FROM documents WHERE id = ANY($1::bigint[])", world.documents)
    finally:
        await conn.close()
    await upload(server.http, world.token("secretary"), world.meeting_id,
                 make_pdf(["Trang 1: báo cáo", "Trang 2"]), "bao-cao.pdf", title="Báo cáo",
                 confidentiality="public")
    path = f"meeting/{world.meeting_id}/room"
    chair = await YClient(server.ws, path, world.token("chair")).connect()
    await ok(chair, "session.open")
    for who in ("delegate01", "delegate02"):
        laptop = await YClient(server.ws, path, world.token(who)).connect()
        await ok(laptop, "attendance.check_in")
        await laptop.close()
    try:
        yield Room(world, code, chair)
    finally:
        await chair.close()


async def open_as(browser: Browser, server: Server, room: Room, who: str) -> Person:
    person = await Person.open(browser, server.http, viewport=LAPTOP)
    await person.login_api(room.username(who), PASSWORD)
    await person.goto(f"/#/meeting/{room.meeting}")
    await expect(person.page.locator(".page-frame[data-page]")).to_be_visible()
    await expect(person.page.locator(".status-line .badge")).to_have_class("badge live")
    return person


async def test_a_vote_opening_leaves_full_screen_and_its_result_can_be_put_away(
        browser: Browser, server: Server, room: Room) -> None:
    person = await open_as(browser, server, room, "delegate01")
    try:
        page = person.page
        await page.click('[data-key="fullscreen"]')
        await page.wait_for_function("() => document.fullscreenElement !== null")
        long_word = "https://congbao.quangbinh.gov.vn/" + "van-ban-quy-pham-" * 8
        poll = (await ok(room.chair, "poll.open", {
            "question": f"Thông qua tờ trình, xem {long_word}", "kind": "named",
            "rule": "present_majority",
            "options": ["Đồng ý", "Phương_án_" + "_".join(["dài"] * 40), "Không đồng ý"]}))["poll"]
        # The ballot above the page is seen at once: full screen is left.
        await page.wait_for_function("() => document.fullscreenElement === null")
        ballot = page.locator(f'.ballot[data-poll="{poll}"]')
        await expect(ballot).to_be_visible()
        # Long words wrap in their card; nothing is wider than the window.
        wide = await page.evaluate(
            "() => document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 0, wide
        await page.click('[data-key="choice-0"]')
        await page.click('[data-key="cast"]')
        await expect(ballot.locator('[data-key="cast"]')).to_have_count(0)
        await ok(room.chair, "poll.close", {"poll": poll})
        await expect(ballot.locator(".question")).to_be_visible()
        await expect(ballot.locator('[data-key="ballot-hide"]')).to_have_text("Ẩn kết quả")
        await shot(page, "walk-result-with-hide")
        await ballot.locator('[data-key="ballot-hide"]').click()
        await expect(page.locator(".ballot")).to_be_hidden()
        assert not person.errors, person.errors
    finally:
        await person.close()


async def test_a_reply_is_cued_in_every_layout_and_the_title_names_no_meeting(
        browser: Browser, server: Server, room: Room) -> None:
    path = f"meeting/{room.meeting}/room"
    delegate = await YClient(server.ws, path, room.world.token("delegate02")).connect()
    secretary = await YClient(server.ws, path, room.world.token("secretary")).connect()
    person = await open_as(browser, server, room, "delegate02")
    try:
        page = person.page
        cue = page.locator('[data-key="unread-cue"]')
        await expect(cue).to_be_hidden()
        sent = await ok(delegate, "message.send", {"to": "secretary", "kind": "document_request",
                                                   "text": "Xin bản in tờ trình số 12"})
        await page.click('[data-key="reading"]')
        await expect(page.locator(".meeting")).to_have_attribute("data-layout", "reading")
        await ok(secretary, "message.reply", {"message": sent["message"],
                                              "text": "Đã gửi bản in đến chỗ ngồi."})
        await expect(cue).to_have_text("✉ 1 tin mới")
        await expect(page).to_have_title(re.compile(r"^\(1\) Cuộc họp – "))
        title = await page.title()
        assert "Họp giao ban" not in title, title
        await shot(page, "walk-reply-cue-reading")
        await cue.click()
        await expect(page.locator(".side")).to_be_visible()
        await expect(page.locator(".msg-reply.unread")).to_contain_text("Đã gửi bản in")
        assert not person.errors, person.errors
    finally:
        await person.close()
        await delegate.close()
        await secretary.close()


async def test_the_chair_types_minutes_with_a_comma_and_a_double_click_asks_once(
        browser: Browser, server: Server, room: Room) -> None:
    await ok(room.chair, "agenda.goto", {"step": 1})
    chair = await open_as(browser, server, room, "chair")
    delegate = await open_as(browser, server, room, "delegate01")
    try:
        page = chair.page
        await page.click('[data-key="tab-console"]')
        await page.fill("#speech-item-min", "1,5")
        await page.click('[data-key="speech-item-set"]')
        await expect(page.locator('[data-key="speech-item-now"]')).to_have_attribute(
            "data-limit", "90")
        await page.fill("#speech-item-min", "90")
        await page.click('[data-key="speech-item-set"]')
        message = await page.eval_on_selector("#speech-item-min", "e => e.validationMessage")
        assert message == "Nhập số phút từ 0,5 đến 60 (ví dụ 1,5).", message
        await expect(page.locator('[data-key="speech-item-now"]')).to_have_attribute(
            "data-limit", "90")

        d = delegate.page
        await d.dblclick('[data-key="speak-request"]')
        await expect(d.locator(".speak .callout[data-place]")).to_be_visible()
        await expect(d.locator(".alert-slot")).to_have_text("")
        assert not chair.errors and not delegate.errors, (chair.errors, delegate.errors)
    finally:
        await chair.close()
        await delegate.close()


async def test_the_preparation_screen_follows_a_saved_date_and_asks_before_an_early_start(
        browser: Browser, server: Server) -> None:
    code = f"p{uuid.uuid4().hex[:6]}"
    world = await build_world(server.database_url, delegates=2, code=code,
                              starts_in=timedelta(days=20))
    person = await Person.open(browser, server.http, viewport=LAPTOP)
    try:
        page = person.page
        await person.login_api(f"{code}-secretary", PASSWORD)
        await person.goto(f"/#/prepare/{world.meeting_id}")
        notice = page.locator(".notice-period")
        await expect(notice).to_have_attribute("data-notice-met", "true")
        # The meeting moved to the day after tomorrow (in the room's time zone):
        # the notice says it is short at once, without a reload.
        soon = datetime.now(LOCAL_TZ) + timedelta(days=2)
        await page.fill("#m-starts_date", soon.strftime("%d/%m/%Y"))
        await page.click('[data-key="m-save"]')
        await expect(notice).to_have_attribute("data-notice-met", "false")
        await expect(notice).to_contain_text("Vẫn gửi được")
        # Starting a meeting two days early asks first, in Vietnamese.
        await page.click('[data-key="to-in_session"]')
        dialog = page.locator("dialog[open]")
        await expect(dialog).to_contain_text("Khai mạc sớm")
        await expect(dialog).to_contain_text("còn")
        await dialog.locator('[data-key="confirm-no"]').click()
        await expect(page.locator(".state")).to_have_attribute("data-status", "invited")
        # A date already past is saved, and pointed out.
        await page.fill("#m-starts_date", "01/12/2026")
        await page.click('[data-key="m-save"]')
        await expect(page.locator(".prep-form")).to_contain_text("ngày giờ họp này đã qua")
        assert not person.errors, person.errors
    finally:
        await person.close()
