"""The projector of a room in Chromium, at 1920×1080 (and 1366×768): it finds
the meeting in session in its own room, shows a real presented page that
fills the screen beside a bar that holds everything else, follows the
presenter's fit, zoom and position (the console's arrows move a zoomed page,
the presenter's own zoom reaches the wall, its left edge is never cut, and a
zoomed page is sharp), shows a vote's result with its basis and the quorum
reason, marks an item "under discussion" only while the session runs (on the
wall and on the laptops), and once the session is closed shows only its
title, then moves on by itself to the next session of the room.

One room is run from start to finish across the tests of this module, in
order. Every wait polls with a deadline (Playwright's expect); nothing sleeps."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from playwright.async_api import Browser, Locator, Page, ViewportSize, expect

from tests.browser_support import (
    PROJECTOR,
    Person,
    ReadingStage,
    make_pdf,
    require_built,
    shot,
    upload,
)
from tests.conftest import _PASSWORD_HASH, PASSWORD, Server, build_world
from tests.yclient import YClient, wait_until

expect.set_options(timeout=15_000)

LAPTOP: ViewportSize = {"width": 1366, "height": 768}
SMALL_PROJECTOR: ViewportSize = {"width": 1366, "height": 768}
HALL = "Phòng họp số 1"
NEXT_TITLE = "Họp chuyên đề chuyển đổi số"
ELSEWHERE_TITLE = "Họp ở phòng khác (bắt đầu sớm hơn)"


@dataclass
class Room(ReadingStage):
    next_meeting: int
    people: dict[str, Person] = field(default_factory=dict)
    sockets: dict[str, YClient] = field(default_factory=dict)


@pytest.fixture(scope="module")
async def hall(server: Server) -> AsyncIterator[Room]:
    """The meeting in room 1 with a real PDF; a meeting in another room that
    is already in session and started nearer to now; the next meeting of
    room 1; and the display account of room 1, listed in no meeting."""
    code = f"p{uuid.uuid4().hex[:6]}"
    world = await build_world(server.database_url, delegates=5, code=code)
    pages = [f"Trang {n}: ke hoach chuyen doi so tinh Quang Binh, muc {n}. " * 6
             for n in range(1, 5)]
    document = await upload(server.http, world.token("secretary"), world.meeting_id,
                            make_pdf(pages), "ke-hoach.pdf", title="Kế hoạch chuyển đổi số",
                            confidentiality="internal")
    conn = await asyncpg.connect(server.database_url)
    try:
        hall_id = await conn.fetchval("INSERT INTO rooms (body_id, name) VALUES ($1, $2)"
                                      " RETURNING id", world.body_id, HALL)
        other = await conn.fetchval("INSERT INTO rooms (body_id, name) VALUES ($1, $2)"
                                    " RETURNING id", world.body_id, "Phòng họp số 2")
        now = datetime.now(UTC)
        # In ten minutes: inside the check-in window, the session opens unasked.
        await conn.execute("UPDATE meetings SET room_id = $2, starts_at = $3 WHERE id = $1",
                           world.meeting_id, hall_id, now + timedelta(minutes=10))
        await conn.execute(
            "INSERT INTO meetings (body_id, room_id, title, starts_at, status)"
            " VALUES ($1, $2, $3, $4, 'in_session')",
            world.body_id, other, ELSEWHERE_TITLE, now + timedelta(minutes=5))
        next_meeting = await conn.fetchval(
            "INSERT INTO meetings (body_id, room_id, title, starts_at, status)"
            " VALUES ($1, $2, $3, $4, 'invited') RETURNING id",
            world.body_id, hall_id, NEXT_TITLE, now + timedelta(days=5))
        await conn.execute("INSERT INTO meeting_participants (meeting_id, user_id, role)"
                           " VALUES ($1, $2, 'chair')", next_meeting, world.users["chair"])
        await conn.execute(
            "INSERT INTO users (body_id, username, full_name, password_hash, room_id)"
            " VALUES ($1, $2, 'Màn hình phòng họp số 1', $3, $4)",
            world.body_id, f"{code}-screen", _PASSWORD_HASH, hall_id)
    finally:
        await conn.close()
    room = Room(world, code, document, next_meeting)
    yield room
    for client in room.sockets.values():
        await client.close()
    for person in room.people.values():
        assert not person.errors, person.errors
        await person.close()


async def socket(server: Server, room: Room, who: str, meeting: int | None = None) -> YClient:
    key = f"{who}:{meeting or room.meeting}"
    if key not in room.sockets:
        room.sockets[key] = await YClient(server.ws, f"meeting/{meeting or room.meeting}/room",
                                          room.world.token(who)).connect()
    return room.sockets[key]


async def ok(client: YClient, kind: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    reply = await client.intent(kind, args or {})
    assert reply["ok"], (kind, reply)
    return reply


async def projector(browser: Browser, server: Server, room: Room) -> Page:
    if "screen" not in room.people:
        person = await Person.open(browser, server.http, viewport=PROJECTOR)
        await person.login_ui(room.username("screen"), PASSWORD, "/display/")
        room.people["screen"] = person
    return room.people["screen"].page


async def chair_laptop(browser: Browser, server: Server, room: Room) -> Page:
    if "chair" not in room.people:
        person = await Person.open(browser, server.http, viewport=LAPTOP)
        await person.login_api(room.username("chair"), PASSWORD)
        await person.goto(f"/#/meeting/{room.meeting}")
        room.people["chair"] = person
    return room.people["chair"].page


async def box(locator: Locator) -> dict[str, float]:
    found = await locator.bounding_box()
    assert found is not None, locator
    return found


def overlap(a: dict[str, float], b: dict[str, float]) -> float:
    """The area two boxes share, in px²."""
    w = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
    h = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
    return max(0.0, w) * max(0.0, h)


async def nothing_on_the_page(display: Page, viewport: ViewportSize) -> None:
    """Caption, title, clock, speaker, quorum: each wholly on the screen and
    none on the page's area."""
    area = await box(display.locator(".page-box"))
    for selector in (".page-caption", ".quorum", ".stage-head", ".clock", ".speaker",
                     ".next-speaker", ".message-banner"):
        for item in await display.locator(selector).all():
            if not await item.is_visible():
                continue
            found = await box(item)
            assert overlap(found, area) < 1, (selector, found, area)
            assert found["y"] >= 0 and found["y"] + found["height"] <= viewport["height"] + 1, \
                (selector, found, "clipped")
            assert found["x"] + found["width"] <= viewport["width"] + 1, (selector, found)


async def eventually(read: Callable[[], Awaitable[float]], check: Callable[[float], bool],
                     what: str, timeout: float = 15.0) -> float:
    """Poll a measure until it passes, with a deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = await read()
        if check(value):
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {value}"
        await asyncio.sleep(0.05)


async def presented(display: Page, room: Room, page: int) -> None:
    await expect(display.locator(".page-box")).to_have_attribute("data-loaded",
                                                                 f"{room.doc}:{page}")


def test_the_clients_are_built() -> None:
    require_built()


async def test_with_nothing_in_session_the_room_waits(browser: Browser, server: Server,
                                                      hall: Room) -> None:
    display = await projector(browser, server, hall)
    waiting = display.locator('[data-screen="waiting"]')
    await expect(waiting).to_be_visible()
    await expect(waiting.locator(".waiting-room")).to_have_text(HALL)
    await expect(waiting.locator(".waiting-time")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    # The next meeting of this room, not the one in session elsewhere.
    await expect(waiting.locator(".waiting-next-title")).to_have_text("Họp giao ban tuần")
    await expect(display.locator("body")).not_to_contain_text(ELSEWHERE_TITLE)
    await shot(display, "projector-waiting")


async def meeting_wall(browser: Browser, server: Server, room: Room) -> Page:
    """The room's display pointed at the meeting by its URL: it shows the
    meeting whatever its session's state."""
    if "wall" not in room.people:
        person = await Person.open(browser, server.http, viewport=PROJECTOR)
        await person.login_api(room.username("screen"), PASSWORD)
        await person.goto(f"/display/#/meeting/{room.meeting}")
        room.people["wall"] = person
    return room.people["wall"].page


async def test_no_item_is_under_discussion_before_the_opening(browser: Browser, server: Server,
                                                              hall: Room) -> None:
    wall = await meeting_wall(browser, server, hall)
    chair = await chair_laptop(browser, server, hall)
    # The chair sets the first item before the session opens.
    await ok(await socket(server, hall, "chair"), "agenda.goto", {"item": hall.world.agenda[0]})
    first = chair.locator(f'[data-key="item-{hall.world.agenda[0]}"]')
    await expect(first.locator(".first-up")).to_have_text("Bắt đầu từ nội dung này")
    await expect(chair.locator(".agenda .now")).to_have_count(0)
    await expect(chair.locator(".agenda [aria-current]")).to_contain_text("Bắt đầu từ nội dung này")
    await expect(wall.locator(".agenda-view .current.waiting")).to_have_text("Cuộc họp sắp bắt đầu")
    await expect(wall.locator(".agenda-view .next-item")).to_contain_text("Nội dung 1")
    await expect(wall.locator(".agenda-view")).not_to_contain_text("Nội dung đang thảo luận")
    await shot(wall, "projector-before-opening")
    await first.scroll_into_view_if_needed()
    await shot(chair, "laptop-agenda-before-opening")


async def test_the_projector_picks_the_session_of_its_room(browser: Browser, server: Server,
                                                           hall: Room) -> None:
    display = await projector(browser, server, hall)
    chair = await chair_laptop(browser, server, hall)
    await chair.click('[data-key="tab-console"]')
    await chair.click('[data-key="session.open"]')
    # No reload, no URL: the display notices the session by itself.
    await expect(display.locator(".stage-head .title")).to_have_text("Họp giao ban tuần")
    await expect(display.locator(".stage .badge.live")).to_be_visible()
    await expect(display.locator("body")).not_to_contain_text(ELSEWHERE_TITLE)
    # In session: the item under discussion, on the wall and on the laptop.
    await expect(display.locator(".agenda-view .label").first).to_have_text(
        re.compile("Nội dung đang thảo luận", re.I))
    await expect(display.locator(".agenda-view .current")).to_contain_text("Nội dung 1")
    first = chair.locator(f'[data-key="item-{hall.world.agenda[0]}"]')
    await expect(first.locator(".now")).to_have_text("Đang thảo luận")
    await expect(chair.locator(".agenda .first-up")).to_have_count(0)


async def test_a_vote_without_quorum_says_why_on_the_wall(browser: Browser, server: Server,
                                                          hall: Room) -> None:
    display = await projector(browser, server, hall)
    chair = await chair_laptop(browser, server, hall)
    # Only the chair is present (1 of 6 members): nothing can pass.
    boss = await socket(server, hall, "chair")
    poll = (await ok(boss, "poll.open", {"question": "Thông qua chương trình họp",
                                         "kind": "named", "rule": "present_majority"})
            )["result"]["poll"]
    await ok(boss, "vote.cast", {"poll": poll, "choice": 0})
    await ok(boss, "poll.close", {"poll": poll})
    result = display.locator(".result-overlay")
    await expect(result.locator(".result-question")).to_have_text("Thông qua chương trình họp")
    await expect(result.locator(".result-quorum")).to_have_text("Không đủ túc số khi biểu quyết.")
    await expect(result.locator(".verdict")).to_have_attribute("data-outcome", "rejected")
    # The same reason as the laptop's result.
    ended = chair.locator(f'.results-panel [data-poll="{poll}"]')
    await ended.locator("summary").click()
    await expect(ended.locator(".warn-text")).to_have_text("Không đủ túc số khi biểu quyết.")
    # Everything inside the result's box: nothing cut off at its bottom.
    frame = await box(result)
    for part in (".result-basis", ".result-quorum", ".verdict"):
        found = await box(result.locator(part))
        assert found["y"] + found["height"] <= frame["y"] + frame["height"], (part, found, frame)
    await shot(display, "projector-result-no-quorum")


async def test_the_presented_page_fills_the_projector(browser: Browser, server: Server,
                                                      hall: Room) -> None:
    display = await projector(browser, server, hall)
    chair = await chair_laptop(browser, server, hall)
    delegate = await socket(server, hall, "delegate01")
    await ok(delegate, "attendance.check_in")
    await ok(delegate, "speaker.request")
    await ok(await socket(server, hall, "chair"), "agenda.goto", {"step": 1})

    await chair.select_option("#present-doc", label=str(hall.document["title"]))
    await chair.fill("#present-page", "2")
    await chair.select_option("#present-fit", "height")
    await chair.click('[data-key="page-show"]')
    await presented(display, hall, 2)
    await expect(display.locator(".page-caption")).to_contain_text("Kế hoạch chuyển đổi số")
    await expect(display.locator(".next-speaker")).to_contain_text("Người delegate01")

    area = await box(display.locator(".page-box"))
    page = await box(display.locator(".page-frame"))
    assert area["height"] >= 0.95 * PROJECTOR["height"], area
    assert page["height"] >= 0.9 * area["height"], (page, area)
    assert page["width"] >= 740, page  # not the 535 px of before
    # Sharp: the image has at least as many pixels as the screen gives it.
    natural = await display.locator(".page-image").evaluate("(img) => img.naturalWidth")
    assert natural >= page["width"], (natural, page)
    await nothing_on_the_page(display, PROJECTOR)
    await shot(display, "projector-page")

    # Fit width: the page's width fills the area, from the top of the page.
    await chair.select_option("#present-fit", "width")
    await chair.click('[data-key="page-show"]')
    frame = display.locator(".page-box")
    await expect(frame).to_have_attribute("data-fit", "width")
    page = await box(display.locator(".page-frame"))
    assert page["width"] >= 0.9 * area["width"], (page, area)
    assert abs(page["y"] - area["y"]) < 1, "the top of the page first"
    await nothing_on_the_page(display, PROJECTOR)

    # The same on a 1366×768 projector.
    small = await Person.open(browser, server.http, viewport=SMALL_PROJECTOR)
    try:
        await small.login_api(hall.username("screen"), PASSWORD)
        await small.goto("/display/")
        await presented(small.page, hall, 2)
        await expect(small.page.locator(".page-box")).to_have_attribute("data-fit", "width")
        small_area = await box(small.page.locator(".page-box"))
        small_page = await box(small.page.locator(".page-frame"))
        assert small_page["width"] >= 0.9 * small_area["width"], (small_page, small_area)
        await chair.select_option("#present-fit", "height")
        await chair.click('[data-key="page-show"]')
        await expect(small.page.locator(".page-box")).to_have_attribute("data-fit", "height")
        small_page = await box(small.page.locator(".page-frame"))
        assert small_area["height"] >= 0.95 * SMALL_PROJECTOR["height"], small_area
        assert small_page["height"] >= 0.9 * small_area["height"], (small_page, small_area)
        await nothing_on_the_page(small.page, SMALL_PROJECTOR)
        assert not small.errors, small.errors
    finally:
        await small.close()


async def test_the_projector_follows_zoom_and_position(browser: Browser, server: Server,
                                                       hall: Room) -> None:
    display = await projector(browser, server, hall)
    chair = await chair_laptop(browser, server, hall)
    await chair.select_option("#present-fit", "height")
    await chair.select_option("#present-zoom", "2")
    await chair.click('[data-key="page-show"]')
    area = await box(display.locator(".page-box"))

    async def frame() -> dict[str, float]:
        return await box(display.locator(".page-frame"))

    await eventually(lambda: _height(display), lambda v: v > 1.9 * area["height"], "200 %")
    before = await frame()
    assert abs(before["y"] - area["y"]) < 1, "200 %: from the top of the page"

    # The presenter scrolls the page on the laptop; the projector follows.
    await chair.click('[data-key="tab-reader"]')
    scroller = chair.locator(".page-scroller")
    await expect(chair.locator(".reader")).to_have_attribute("data-view", f"{hall.doc}:2")
    await scroller.hover()
    await chair.mouse.wheel(0, 700)
    await eventually(lambda: _top(display), lambda v: v < area["y"] - 100, "the pan")
    moved = await frame()
    assert moved["height"] == pytest.approx(before["height"], abs=2), "the zoom stays"
    assert moved["y"] + moved["height"] >= area["y"] + area["height"] - 1, "no empty band"
    await nothing_on_the_page(display, PROJECTOR)
    await shot(display, "projector-zoom")
    await chair.click('[data-key="tab-console"]')
    await chair.select_option("#present-zoom", "1")
    await chair.click('[data-key="page-show"]')
    await eventually(lambda: _height(display), lambda v: v < 1.1 * area["height"], "zoom 1")


async def test_the_presenter_pans_a_zoomed_page_and_the_wall_keeps_its_left_edge(
        browser: Browser, server: Server, hall: Room) -> None:
    display = await projector(browser, server, hall)
    chair = await chair_laptop(browser, server, hall)
    await chair.click('[data-key="tab-console"]')
    await chair.select_option("#present-fit", "width")
    await chair.select_option("#present-zoom", "2")
    await chair.click('[data-key="page-show"]')
    await expect(display.locator(".page-box")).to_have_attribute("data-zoom", "2")
    area = await box(display.locator(".page-box"))
    width = await eventually(lambda: _width(display), lambda v: v > 1.9 * area["width"], "200 %")
    # From the console, no point chosen: the top-left corner, never the middle.
    assert await _left(display) == pytest.approx(area["x"], abs=1), "the left edge is on the wall"
    assert await _top(display) == pytest.approx(area["y"], abs=1)
    # Sharp: asked again at 3840 px, as many pixels as the wall gives the page.
    await expect(display.locator(".page-box")).to_have_attribute("data-width", "3840")
    natural = await display.locator(".page-image").evaluate("(img) => img.naturalWidth")
    assert natural >= 0.95 * width, (natural, width)

    # The presenter's arrows: each press moves by half of what the wall shows.
    pan = chair.locator('[data-key="pan"]')
    await expect(pan).to_be_visible()
    await expect(pan.locator('[data-key="pan-left"]')).to_have_attribute("aria-disabled", "true")
    await pan.locator('[data-key="pan-right"]').click()
    await eventually(lambda: _left(display), lambda v: v < area["x"] - 0.2 * width, "pan right")
    assert await _left(display) == pytest.approx(area["x"] - width / 4, abs=3)
    await pan.locator('[data-key="pan-down"]').click()
    await eventually(lambda: _top(display), lambda v: v < area["y"] - 100, "pan down")
    assert await _left(display) == pytest.approx(area["x"] - width / 4, abs=3), "right stays"
    await nothing_on_the_page(display, PROJECTOR)
    await shot(display, "projector-pan")
    await pan.scroll_into_view_if_needed()
    await shot(chair, "laptop-console-pan")
    # One more to the right: the page's right edge meets the wall's, no further.
    await pan.locator('[data-key="pan-right"]').click()
    await eventually(lambda: _right(display), lambda v: abs(v - (area["x"] + area["width"])) < 2,
                     "the right edge")
    await expect(pan.locator('[data-key="pan-right"]')).to_have_attribute("aria-disabled", "true")
    # Back, one press at a time (each waits for the wall): to the left edge.
    await pan.locator('[data-key="pan-left"]').click()
    await eventually(lambda: _left(display), lambda v: abs(v - (area["x"] - width / 4)) < 3,
                     "one step left")
    left = pan.locator('[data-key="pan-left"]')
    await expect(left).not_to_have_attribute("aria-disabled", "true")
    await pan.locator('[data-key="pan-left"]').click()
    await eventually(lambda: _left(display), lambda v: abs(v - area["x"]) < 1, "back left")

    # The presenter zooms in their own reader: the wall follows the zoom.
    await chair.click('[data-key="tab-reader"]')
    await expect(chair.locator(".reader")).to_have_attribute("data-follow", "true")
    await expect(chair.locator(".zoom-level")).to_have_text("200%")
    await chair.click('[data-key="zoom-out"]')
    await expect(display.locator(".page-box")).to_have_attribute("data-zoom", "1.5")
    await eventually(lambda: _width(display), lambda v: abs(v - 1.5 * area["width"]) < 3,
                     "the presenter's 150 %")
    await chair.click('[data-key="zoom-in"]')
    await expect(display.locator(".page-box")).to_have_attribute("data-zoom", "2")
    await chair.click('[data-key="tab-console"]')
    await chair.select_option("#present-fit", "height")
    await chair.select_option("#present-zoom", "1")
    await chair.click('[data-key="page-show"]')
    await eventually(lambda: _height(display), lambda v: v < 1.1 * area["height"], "zoom 1")
    await expect(chair.locator('[data-key="pan"]')).to_have_count(0)


async def _width(display: Page) -> float:
    return (await box(display.locator(".page-frame")))["width"]


async def _left(display: Page) -> float:
    return (await box(display.locator(".page-frame")))["x"]


async def _right(display: Page) -> float:
    found = await box(display.locator(".page-frame"))
    return found["x"] + found["width"]


async def _height(display: Page) -> float:
    return (await box(display.locator(".page-frame")))["height"]


async def _top(display: Page) -> float:
    return (await box(display.locator(".page-frame")))["y"]


async def test_vote_results_show_their_basis(browser: Browser, server: Server,
                                             hall: Room) -> None:
    display = await projector(browser, server, hall)
    chair = await chair_laptop(browser, server, hall)
    voters = {"delegate01": 0, "delegate02": 0, "delegate03": 1, "delegate04": 2}
    for who in voters:
        reply = await (await socket(server, hall, who)).intent("attendance.check_in")
        assert reply["ok"] or reply["error"]["code"] == "conflict", reply
    boss = await socket(server, hall, "chair")
    poll = (await ok(boss, "poll.open", {"question": "Thông qua kế hoạch chuyển đổi số",
                                         "kind": "named", "rule": "members_majority"})
            )["result"]["poll"]
    for who, choice in voters.items():
        await ok(await socket(server, hall, who), "vote.cast", {"poll": poll, "choice": choice})
    await ok(boss, "poll.close", {"poll": poll})

    # 2 of 6 members said yes: 33,3 % of the members (50 % of the ballots), rejected.
    basis = "Thông qua khi quá 1/2 tổng số thành viên (4/6)."
    first = "Đồng ý 2/6 thành viên = 33,3%"
    result = display.locator(".result-overlay")
    await expect(result).to_be_visible()
    await expect(result.locator(".basis-rule")).to_have_text(basis)
    await expect(result.locator(".basis-first")).to_have_text(first)
    await expect(result.locator(".verdict")).to_have_attribute("data-outcome", "rejected")
    await expect(result).not_to_contain_text("50%")
    # Bars are shares of the members: 2 of 6 fills a third of the track.
    bar = await box(result.locator(".chart-bar").first)
    track = await box(result.locator(".chart-track").first)
    assert bar["width"] / track["width"] == pytest.approx(2 / 6, abs=0.01)
    await expect(result.locator(".chart-row.absent")).to_contain_text("2")
    await shot(display, "projector-result")

    # On the laptop: in the list of polls that are over (results.js).
    ended = chair.locator(f'.results-panel [data-poll="{poll}"]')
    await ended.locator("summary").click()
    on_laptop = ended.locator(f'[data-key="basis-{poll}"]')
    await expect(on_laptop).to_contain_text(basis)
    await expect(on_laptop).to_contain_text(first)
    await expect(on_laptop).to_contain_text("KHÔNG ĐƯỢC THÔNG QUA")
    await expect(ended).not_to_contain_text("50%")
    # The list may draw once before the closed result arrives: poll, don't read once.
    await expect(ended.locator(".bar").first).to_have_attribute(
        "style", re.compile(r"--share:\s*0\.333"))
    shares = await ended.locator(".bar").evaluate_all(
        "(bars) => bars.map((b) => Number(getComputedStyle(b).getPropertyValue('--share')))")
    assert shares[0] == pytest.approx(2 / 6, abs=0.001), shares
    await on_laptop.evaluate("(el) => el.scrollIntoView({block: 'center'})")
    await shot(chair, "laptop-result-basis")


async def test_after_the_close_nothing_internal_stays_on_the_wall(
        browser: Browser, server: Server, hall: Room) -> None:
    display = await projector(browser, server, hall)
    boss = await socket(server, hall, "chair")
    await ok(boss, "present.page", {"document": hall.doc, "page": 3})
    await presented(display, hall, 3)
    await ok(await socket(server, hall, "delegate02"), "speaker.request")
    first = next(int(k) for k, v in boss.map("speakers").items()
                 if int(v["user"]) == hall.world.users["delegate01"])
    await ok(boss, "speaker.grant", {"request": first})
    await expect(display.locator(".speaker-name")).to_have_text("Người delegate01")
    await expect(display.locator(".next-speaker")).to_contain_text("Người delegate02")

    await ok(boss, "session.close")
    closed = display.locator('[data-screen="closed"]')
    await expect(closed).to_be_visible()
    await expect(closed.locator(".closed-label")).to_have_text("Phiên họp đã kết thúc")
    await expect(closed.locator(".closed-title")).to_have_text("Họp giao ban tuần")
    for hidden in (".page-box", ".stage-panel", ".result-overlay", ".agenda-view"):
        await expect(display.locator(hidden)).to_be_hidden()
    text = await display.locator("body").inner_text()
    for internal in ("Người delegate01", "Người delegate02", "Kế hoạch chuyển đổi số",
                     "NỘI DUNG ĐANG THẢO LUẬN", "Nội dung 1", "Tiếp theo"):
        assert internal.lower() not in text.lower(), internal
    # The room state itself: no queue, nobody on the floor, nothing presented.
    await wait_until(lambda: boss.map("session").get("state") == "closed")
    assert boss.map("speakers") == {}
    assert boss.map("floor").get("user") is None
    assert boss.map("presenting")["document"] is None
    await shot(display, "projector-closed")
    # After the close no item is under discussion, on the laptop either.
    chair = await chair_laptop(browser, server, hall)
    await expect(chair.locator(".agenda .now")).to_have_count(0)
    await expect(chair.locator(".agenda .first-up")).to_have_count(0)
    await expect(chair.locator(".agenda [aria-current]")).to_have_count(0)

    # The next session of the room opens: the projector switches by itself.
    nxt = await socket(server, hall, "chair", hall.next_meeting)
    await ok(nxt, "session.open", {"early": True})
    await expect(display.locator(".stage-head .title")).to_have_text(NEXT_TITLE)
    await expect(display.locator('[data-screen="closed"]')).to_be_hidden()
    await ok(nxt, "session.close")
    await expect(display.locator(".closed-title")).to_have_text(NEXT_TITLE)
