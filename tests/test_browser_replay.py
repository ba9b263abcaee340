"""Replay of an ended meeting in Debian's Chromium, in Vietnamese: the secretary
opens it from the meeting's record, scrubs to chosen moments of a session run
through intents, and sees the room as it was (item, page with the presenter's
ink, speaker and queue, attendance, a secret poll without counts before its
close); the projector view at 1920×1080; a delegate is refused.

Every wait polls with a deadline (Playwright's expect); nothing sleeps."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pycrdt
import pytest
from playwright.async_api import Browser, expect

from tests.browser_support import LAPTOP, PROJECTOR, Person, make_pdf, shot, upload
from tests.conftest import PASSWORD, Server, World, build_world
from tests.yclient import YClient

expect.set_options(timeout=15_000)

SECRET_Q = "Bầu Trưởng ban soạn thảo (bỏ phiếu kín)?"
STROKE = {"id": "b1", "tool": "pen", "color": "#c0392b", "width": 0.004,
          "points": [0.15, 0.3, 0.45, 0.32, 0.75, 0.28]}


@pytest.fixture(scope="module")
async def server(module_db: str,
                 tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    """conftest's server, given longer to start on a machine under load."""
    srv = Server(module_db, tmp_path_factory.mktemp("server"))
    await srv.start(timeout=120)
    yield srv
    await srv.stop()


@dataclass
class Ended:
    world: World
    code: str
    document: int

    def username(self, who: str) -> str:
        return f"{self.code}-{who}"


async def ok(client: YClient, kind: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    reply = await client.intent(kind, args or {})
    assert reply["ok"], (kind, reply)
    result: dict[str, Any] = reply["result"] or {}
    return result


async def _ink_stored(url: str, name: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        deadline = asyncio.get_running_loop().time() + 15
        while not await conn.fetchval(
                "SELECT count(*) FROM doc_updates WHERE name = $1", name):
            assert asyncio.get_running_loop().time() < deadline, "ink never stored"
            await asyncio.sleep(0.05)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def ended(server: Server) -> Ended:
    code = f"p{uuid.uuid4().hex[:6]}"
    world = await build_world(server.database_url, delegates=3, code=code)
    # ASCII: the test PDF's font has no Vietnamese letters.
    pages = [f"Trang {n}: Bao cao kinh te - xa hoi tinh Quang Binh, muc {n}." for n in (1, 2, 3)]
    document = int((await upload(server.http, world.token("secretary"), world.meeting_id,
                                 make_pdf(pages), "bao-cao.pdf", title="Báo cáo quý IV",
                                 confidentiality="public"))["id"])
    people = ("chair", "delegate01", "delegate02")
    c = dict(zip(people, await asyncio.gather(*(
        YClient(server.ws, f"meeting/{world.meeting_id}/room", world.token(who),
                device=f"may-{who}").connect(timeout=30) for who in people)), strict=True))
    ink = await YClient(server.ws, f"meeting/{world.meeting_id}/ink", world.token("chair"),
                        device="may-chair").connect(timeout=30)
    await ok(c["chair"], "agenda.goto", {"item": world.agenda[0]})
    await ok(c["chair"], "session.open")
    for who in people:
        await ok(c[who], "attendance.check_in")
    await ok(c["chair"], "present.page", {"document": document, "page": 2})
    before = ink.doc.get_state()
    ink.doc.get(f"strokes:{document}:2", type=pycrdt.Array).append(STROKE)
    await ink.send_update(ink.doc.get_update(before))
    await _ink_stored(server.database_url, f"meeting/{world.meeting_id}/ink")
    first = (await ok(c["delegate01"], "speaker.request", {"kind": "speech"}))["request"]
    await ok(c["delegate02"], "speaker.request", {"kind": "question"})
    await ok(c["chair"], "speaker.grant", {"request": first})
    await ok(c["chair"], "speaker.end")
    await ok(c["chair"], "agenda.goto", {"step": 1})
    secret = (await ok(c["chair"], "poll.open", {"question": SECRET_Q, "kind": "secret",
                                                 "rule": "present_majority"}))["poll"]
    for who, choice in (("chair", 0), ("delegate01", 1)):
        await ok(c[who], "vote.cast", {"poll": secret, "choice": choice})
    await ok(c["delegate02"], "vote.cast", {"poll": secret, "choice": 1})
    await ok(c["chair"], "poll.close", {"poll": secret})
    await ok(c["chair"], "session.close")
    await asyncio.gather(ink.close(), *(client.close() for client in c.values()))
    return Ended(world, code, document)


async def _as(browser: Browser, server: Server, ended: Ended, who: str, *,
              viewport: Any = LAPTOP) -> Person:
    person = await Person.open(browser, server.http, viewport=viewport)
    await person.login_api(ended.username(who), PASSWORD)
    return person


async def test_secretary_replays_the_session_in_vietnamese(browser: Browser, server: Server,
                                                         ended: Ended) -> None:
    person = await _as(browser, server, ended, "secretary")
    page = person.page
    await person.goto(f"/#/minutes/{ended.world.meeting_id}")
    await page.locator("[data-key=replay]").click()
    await expect(page.locator("h1")).to_contain_text("Xem lại phiên họp: Họp giao ban tuần")
    moments = page.locator(".replay-moments button")
    await expect(moments.filter(has_text="Khai mạc phiên họp")).to_have_count(1)
    await expect(moments.filter(has_text="Bế mạc phiên họp")).to_have_count(1)
    await expect(page.locator("[data-moment=\"vote.cast\"]")).to_have_count(0)  # no ballot listed
    await expect(page.locator("[data-moment=\"poll.open\"]")).to_have_count(1)

    # The page on the screen, with the chair's ink over it.
    await moments.filter(has_text="Chiếu tài liệu số").click()
    await expect(page.locator("[data-key=presenting]")).to_contain_text(
        f"Tài liệu số {ended.document}, trang 2")
    await expect(page.locator(".replay-page img")).to_have_attribute("src", re.compile("^blob:"))
    await expect(page.locator(".replay-ink path")).to_have_count(0)  # drawn a moment later
    await expect(page.locator("[data-key=present]")).to_contain_text("Có mặt (3)")
    await expect(page.locator(".replay-agenda li.current")).to_contain_text("Nội dung 1")

    # Who had the floor, and who waited; the chair's ink is on the page by then.
    await moments.filter(has_text="Người delegate01 được phát biểu").click()
    await expect(page.locator(".replay-ink path")).to_have_count(1)
    await expect(page.locator("[data-key=speaker]")).to_have_text(
        "Đang phát biểu: Người delegate01 (Phát biểu)")
    await expect(page.locator(".replay-queue li")).to_have_text(["Người delegate02"])
    await page.evaluate("window.scrollTo(0, 0)")
    await shot(page, "replay-laptop")

    # The secret ballot while it was open: how many ballots, never the counts.
    await moments.filter(has_text="Mở bỏ phiếu kín").click()
    poll = page.locator(".replay-polls li[data-status=open]")
    await expect(poll).to_contain_text("đã có 0 phiếu")
    await page.locator("[data-key=next]").click()
    await expect(page.locator(".replay-polls li")).to_contain_text("Đồng ý: 1")
    await expect(page.locator(".replay-polls li")).to_contain_text("Không đồng ý: 2")
    await expect(page.locator(".replay-agenda li.current")).to_contain_text("Nội dung 2")

    # Scrubbing to the very start: before the opening.
    await page.locator("#replay-scrubber").evaluate(
        "(el) => { el.value = el.min; el.dispatchEvent(new Event('change')) }")
    await expect(page.locator("[data-key=session] .tag")).to_have_text("Chưa khai mạc")
    pdf = page.locator("[data-key=pdf]")
    await expect(pdf).to_have_text("Tải báo cáo diễn biến (PDF)")
    response = await person.context.request.get(server.http + str(await pdf.get_attribute("href")))
    assert response.ok and (await response.body()).startswith(b"%PDF")
    assert person.errors == []
    await person.close()


async def test_projector_view_of_a_moment(browser: Browser, server: Server,
                                          ended: Ended) -> None:
    person = await _as(browser, server, ended, "chair", viewport=PROJECTOR)
    page = person.page
    await person.goto(f"/#/replay/{ended.world.meeting_id}?view=projector")
    await expect(page.locator(".replay[data-view=projector]")).to_be_visible()
    await expect(page.locator("[data-key=moment]")).to_contain_text("Chuyển sang mục 1.")
    moment = page.locator("[data-key=moment]")
    for _ in range(20):  # on, one event at a time, to the first speech
        text = await moment.inner_text()
        if "được phát biểu" in text:
            break
        await page.locator("[data-key=next]").click()
        await expect(moment).not_to_have_text(text)
    await expect(page.locator(".replay-ink path")).to_have_count(1)
    await expect(page.locator(".replay-timeline")).to_have_count(0)
    await shot(page, "replay-projector")
    assert person.errors == []
    await person.close()


async def test_a_delegate_may_not_replay(browser: Browser, server: Server,
                                         ended: Ended) -> None:
    person = await _as(browser, server, ended, "delegate01")
    await person.goto(f"/#/replay/{ended.world.meeting_id}")
    await expect(person.page.locator(".meeting-head [role=alert]")).to_contain_text(
        "Chỉ chủ tọa, thư ký")
    await expect(person.page.locator(".replay-moments")).to_have_count(0)
    await person.close()
