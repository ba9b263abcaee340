"""The room's rules in Chromium, in Vietnamese, on a 1366×768 laptop: nobody
is checked in by opening a page, the chair confirms an early opening, people
check in by the QR code or the secretary, the people picker finds "Hương"
from "huong" and by unit, destructive actions ask first, unread messages show
a badge that clears when read, and the chair sets and extends speaking time
with the laptops and the projector following. The early opening says how
long until the start; the projector (1920×1080) shows the room's check-in QR
code, whose link checks a delegate in, beside the page and never on it, until
the chair hides it; a room bound to its network refuses a code opened
elsewhere.

Every wait polls with a deadline (Playwright's expect); nothing sleeps."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser, Page, ViewportSize, expect

from collab_server.storage.accounts import hash_password
from tests.browser_support import PROJECTOR, Person, Stage, make_pdf, shot, upload
from tests.conftest import PASSWORD, Server, build_world

expect.set_options(timeout=15_000)

LAPTOP_768: ViewportSize = {"width": 1366, "height": 768}
HUONG = "Nguyễn Thị Hương"
UNIT = "Sở Tài chính"


async def make_stage(server: Server, *, starts_in: timedelta = timedelta(minutes=30),
                     admin: str | None = None) -> Stage:
    code = f"r{uuid.uuid4().hex[:6]}"
    world = await build_world(server.database_url, delegates=3, code=code, starts_in=starts_in,
                              admin=admin)
    conn = await asyncpg.connect(server.database_url)
    try:
        await conn.execute("UPDATE users SET full_name = $2, unit = $3, title = 'Chuyên viên'"
                           " WHERE id = $1", world.users["delegate01"], HUONG, UNIT)
        await conn.execute("UPDATE users SET can_prepare = true WHERE id = $1",
                           world.users["secretary"])
    finally:
        await conn.close()
    return Stage(world, code)


@pytest.fixture(scope="module")
async def stage(server: Server) -> Stage:
    return await make_stage(server)


@pytest.fixture(scope="module")
async def prep(server: Server) -> Stage:
    """A meeting still being prepared: what is deleted here is nobody else's."""
    return await make_stage(server, starts_in=timedelta(days=5))


@pytest.fixture
async def opened() -> AsyncIterator[list[Person]]:
    """Browser contexts of one test, closed after it with no page error."""
    people: list[Person] = []
    yield people
    for person in people:
        assert not person.errors, person.errors
        await person.close()


async def laptop(browser: Browser, server: Server, stage: Stage, opened: list[Person],
                 who: str, path: str | None = None) -> Page:
    person = await Person.open(browser, server.http, viewport=LAPTOP_768)
    opened.append(person)
    await person.login_api(stage.username(who), PASSWORD)
    await person.goto(path or f"/#/meeting/{stage.meeting}")
    return person.page


async def console(browser: Browser, server: Server, stage: Stage, opened: list[Person],
                  who: str) -> Page:
    page = await laptop(browser, server, stage, opened, who,
                        f"/#/meeting/{stage.meeting}?tab=console")
    await expect(page.locator('[data-key="tab-console"]')).to_have_attribute(
        "aria-selected", "true")
    return page


# -- check-in and opening ---------------------------------------------------------------


async def test_opening_the_page_the_day_before_checks_nobody_in_and_the_chair_confirms(
        browser: Browser, server: Server, opened: list[Person]) -> None:
    early = await make_stage(server, starts_in=timedelta(days=1))
    delegate = await laptop(browser, server, early, opened, "delegate01")
    await expect(delegate.locator('[data-key="check-in-later"]')).to_contain_text(
        "Điểm danh mở lúc")
    await expect(delegate.locator('[data-key="check-in"]')).to_have_count(0)
    await expect(delegate.locator(".status-row .quorum")).to_have_attribute("data-met", "false")
    await expect(delegate.locator(".status-row .quorum")).to_contain_text("0/4")

    chair = await console(browser, server, early, opened, "chair")
    await expect(chair.locator(".status-row .quorum")).to_contain_text("0/4")
    await chair.click('[data-key="session.open"]')
    dialog = chair.locator('dialog[data-key="confirm-dialog"]')
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text("Khai mạc sớm?")
    await expect(dialog).to_contain_text(re.compile(r"còn (1 ngày|23 giờ \d+ phút) nữa"))
    await expect(dialog.locator('[data-key="confirm-no"]')).to_be_focused()
    await dialog.locator('[data-key="confirm-no"]').click()
    await expect(dialog).to_have_count(0)
    await expect(delegate.locator('[data-session="not_started"]')).to_be_visible()

    await chair.click('[data-key="session.open"]')
    await chair.locator('[data-key="confirm-yes"]').click()
    await expect(delegate.locator('[data-session="open"]')).to_be_visible()
    # Once open, the delegate checks in by pressing the button.
    await delegate.click('[data-key="check-in"]')
    await expect(delegate.locator('[data-key="checked-in"]')).to_be_visible()
    # The chair, present by opening the session, and the delegate.
    await expect(chair.locator(".status-row .quorum")).to_contain_text("2/4")


async def test_the_early_opening_says_how_long_until_the_start(
        browser: Browser, server: Server, opened: list[Person]) -> None:
    # 10 h 5 min and a half away: "còn 10 giờ 5 phút", whatever this machine's
    # load makes the test take up to five minutes.
    later = await make_stage(server, starts_in=timedelta(hours=10, minutes=5, seconds=30))
    chair = await console(browser, server, later, opened, "chair")
    await chair.click('[data-key="session.open"]')
    dialog = chair.locator('dialog[data-key="confirm-dialog"]')
    await expect(dialog).to_contain_text(re.compile(r"còn 10 giờ [1-5] phút nữa"))
    await expect(dialog).not_to_contain_text("hơn 60 phút")
    await dialog.locator('[data-key="confirm-no"]').click()
    await expect(chair.locator('[data-session="not_started"]')).to_be_visible()


async def test_in_the_window_the_chair_opens_unasked(
        browser: Browser, server: Server, stage: Stage, opened: list[Person]) -> None:
    chair = await console(browser, server, stage, opened, "chair")
    await chair.click('[data-key="session.open"]')
    await expect(chair.locator('[data-session="open"]')).to_be_visible()
    await expect(chair.locator("dialog")).to_have_count(0)


async def test_a_delegate_checks_in_with_the_qr_code_and_the_secretary_marks_another(
        browser: Browser, server: Server, stage: Stage, opened: list[Person]) -> None:
    secretary = await console(browser, server, stage, opened, "secretary")
    delegate = await laptop(browser, server, stage, opened, "delegate02")
    await expect(delegate.locator('[data-key="check-in"]')).to_be_visible()
    await expect(delegate.locator('[data-key="checked-in"]')).to_have_count(0)

    await secretary.click('[data-key="checkin-qr-toggle"]')
    qr = secretary.locator(".checkin-qr figure.qr svg")
    await expect(qr).to_be_visible()
    await expect(qr).to_have_attribute("aria-label", "Mã QR điểm danh cuộc họp")
    await secretary.locator(".checkin-qr").scroll_into_view_if_needed()
    await shot(secretary, "checkin-qr")
    link = await secretary.locator('[data-key="checkin-link"]').get_attribute("href")
    assert link and f"/#/checkin/{stage.meeting}/" in link

    # The link opened on the seat's laptop checks in the person logged in there.
    await delegate.goto(link)
    await expect(delegate.locator('[data-key="checked-in"]')).to_be_visible()
    assert "checkin" not in delegate.url  # the code does not stay in the address
    row = secretary.locator(f'tr[data-user="{stage.user("delegate02")}"]')
    await expect(row.locator(".ok-text")).to_contain_text("Có mặt")

    # A code made for one person's seat checks in nobody else.
    third = stage.user("delegate03")
    await secretary.click(f'[data-key="code-{third}"]')
    personal = secretary.locator('dialog[data-key="personal-code"]')
    await expect(personal).to_contain_text("Mã điểm danh của Người delegate03")
    await expect(personal.locator("svg")).to_be_visible()
    own = await personal.locator('[data-key="personal-code-link"]').get_attribute("href")
    await personal.locator('[data-key="personal-code-close"]').click()
    await expect(personal).to_have_count(0)
    assert own and own != link
    other = await laptop(browser, server, stage, opened, "delegate01")
    await other.goto(own)
    await expect(other.locator(".status-row .error")).to_contain_text("dành cho người khác")
    await expect(other.locator('[data-key="checked-in"]')).to_have_count(0)

    # The secretary marks someone present from the console.
    other = secretary.locator(f'tr[data-user="{stage.user("delegate03")}"]')
    await other.locator(f'[data-key="mark-{stage.user("delegate03")}"]').click()
    await expect(other.locator(".ok-text")).to_be_visible()


# -- people search and confirmations -----------------------------------------------------


async def test_the_people_picker_finds_without_diacritics_and_by_unit(
        browser: Browser, server: Server, prep: Stage, opened: list[Person]) -> None:
    secretary = await laptop(browser, server, prep, opened, "secretary",
                             f"/#/prepare/{prep.meeting}")
    found = secretary.locator("ul.found li")
    await secretary.fill("#u-q", "huong")
    await secretary.click('[data-key="u-find"]')
    await expect(found.filter(has_text=HUONG)).to_have_count(1)
    await expect(found).to_have_count(1)
    await secretary.fill("#u-q", "tai chinh")
    await secretary.click('[data-key="u-find"]')
    await expect(found.filter(has_text=HUONG)).to_have_count(1)
    await expect(found.first).to_contain_text(UNIT)


async def test_deleting_an_item_and_removing_a_person_ask_first(
        browser: Browser, server: Server, prep: Stage, opened: list[Person]) -> None:
    secretary = await laptop(browser, server, prep, opened, "secretary",
                             f"/#/prepare/{prep.meeting}")
    item = prep.world.agenda[-1]
    title = "Nội dung 5: Quảng Bình"
    await secretary.click(f'[data-key="del-{item}"]')
    dialog = secretary.locator('dialog[data-key="confirm-dialog"]')
    await expect(dialog).to_contain_text(f"Xóa mục “{title}”?")
    await expect(dialog).to_contain_text("Không hoàn tác được")
    await expect(dialog.locator('[data-key="confirm-yes"]')).to_have_text("Xóa mục")
    await shot(secretary, "confirm-dialog")
    await dialog.locator('[data-key="confirm-no"]').click()
    await expect(dialog).to_have_count(0)
    await expect(secretary.locator(f'li[data-item="{item}"]')).to_have_count(1)
    # Escape is "no" as well.
    await secretary.click(f'[data-key="del-{item}"]')
    await expect(dialog).to_be_visible()
    await secretary.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)
    await expect(secretary.locator(f'li[data-item="{item}"]')).to_have_count(1)
    await secretary.click(f'[data-key="del-{item}"]')
    await dialog.locator('[data-key="confirm-yes"]').click()
    await expect(secretary.locator(f'li[data-item="{item}"]')).to_have_count(0)

    guest = prep.user("guest")
    await secretary.click(f'[data-key="remove-{guest}"]')
    await expect(dialog).to_contain_text("Bỏ Người guest khỏi cuộc họp?")
    await expect(dialog).to_contain_text("Khách mời")
    await dialog.locator('[data-key="confirm-no"]').click()
    await expect(secretary.locator(f'tr[data-user="{guest}"]')).to_have_count(1)
    await secretary.click(f'[data-key="remove-{guest}"]')
    await dialog.locator('[data-key="confirm-yes"]').click()
    await expect(secretary.locator(f'tr[data-user="{guest}"]')).to_have_count(0)


# -- unread messages ---------------------------------------------------------------------


async def test_an_unread_badge_for_a_new_message_and_a_reply_cleared_when_read(
        browser: Browser, server: Server, stage: Stage, opened: list[Person]) -> None:
    delegate = await laptop(browser, server, stage, opened, "delegate01")
    secretary = await laptop(browser, server, stage, opened, "secretary")
    await delegate.fill("#msg-text", "Xin bản in tờ trình số 12")
    await delegate.click('[data-key="msg-send"]')
    # The secretary reads the documents; the desk's tab counts the new message.
    await expect(secretary.locator('[data-key="tab-unread"]')).to_have_text("1")
    await secretary.click('[data-key="tab-console"]')
    await expect(secretary.locator('[data-key="desk-unread"]')).to_have_text("1 tin mới")
    message = secretary.locator(".desk li.unread")
    await expect(message).to_contain_text("Xin bản in tờ trình số 12")
    await message.locator("textarea").fill("Đã gửi bản in đến chỗ ngồi của đồng chí")
    await message.locator('button[type="submit"]').click()
    # Answering is reading.
    await expect(secretary.locator('[data-key="desk-unread"]')).to_have_count(0)
    await expect(secretary.locator('[data-key="tab-unread"]')).to_have_count(0)

    badge = delegate.locator('[data-key="msg-unread"]')
    await expect(badge).to_have_text("1 tin mới")
    await expect(delegate.locator(".msg-reply.unread")).to_contain_text("Đã gửi bản in")
    await delegate.locator(".messages").scroll_into_view_if_needed()
    await shot(delegate, "unread-badge")
    # Kept by the server for the person: still unread after a reload.
    await delegate.reload()
    await expect(badge).to_have_text("1 tin mới")
    await badge.click()
    await expect(badge).to_have_count(0)
    await expect(delegate.locator(".msg-reply.unread")).to_have_count(0)
    await delegate.reload()
    await expect(delegate.locator(".msg-reply")).to_contain_text("Đã gửi bản in")
    await expect(badge).to_have_count(0)


# -- speaking time -----------------------------------------------------------------------


async def test_the_chair_sets_three_minutes_for_an_item_and_gives_one_more(
        browser: Browser, server: Server, stage: Stage, opened: list[Person]) -> None:
    chair = await console(browser, server, stage, opened, "chair")
    await expect(chair.locator('[data-session="open"]')).to_be_visible()
    await chair.click('[data-key="c-next"]')
    await expect(chair.locator('[data-key="speech-item-now"]')).to_have_attribute(
        "data-limit", "300")
    await chair.fill("#speech-item-min", "3")
    await chair.click('[data-key="speech-item-set"]')
    await expect(chair.locator('[data-key="speech-item-now"]')).to_have_attribute(
        "data-limit", "180")
    await expect(chair.locator('[data-key="speech-item-now"]')).to_contain_text("03:00")

    display = await Person.open(browser, server.http, viewport=PROJECTOR)
    opened.append(display)
    await display.login_ui(stage.username("display"), PASSWORD,
                           f"/display/#/meeting/{stage.meeting}")
    projector = display.page
    await expect(projector.locator(".stage .badge.live")).to_be_visible()

    delegate = await laptop(browser, server, stage, opened, "delegate03")
    await delegate.click('[data-key="speak-request"]')
    grant = chair.locator('.queue [data-key^="grant-"]')
    await expect(grant).to_have_count(1)
    await grant.click()
    laptop_timer = delegate.locator(".speak .timer")
    await expect(laptop_timer).to_have_text(re.compile(r"0[23]:\d\d"))
    await expect(projector.locator(".speaker-time")).to_have_text(re.compile(r"0[23]:\d\d"))
    assert int(await laptop_timer.get_attribute("data-remaining") or 0) <= 180

    await chair.click('[data-key="floor-add-1"]')
    # Start plus a longer duration: both clocks jump by a minute.
    await delegate.wait_for_function(
        "() => Number(document.querySelector('.speak .timer')?.dataset.remaining) > 180")
    await projector.wait_for_function(
        "() => Number(document.querySelector('.speaker-time')?.dataset.remaining) > 180")
    await expect(projector.locator(".speaker-time")).to_have_text(re.compile(r"0[34]:\d\d"))
    await chair.locator("#c-speakers").scroll_into_view_if_needed()
    await shot(chair, "speaking-time")
    await shot(projector, "speaking-time-projector")



# -- the room's QR code on the projector ------------------------------------------------

HALL = "Phòng họp số 1"


async def box(page: Page, selector: str) -> dict[str, float]:
    found = await page.locator(selector).bounding_box()
    assert found is not None, selector
    return found


def overlap(a: dict[str, float], b: dict[str, float]) -> float:
    """The area two boxes share, in px²."""
    w = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
    h = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
    return max(0.0, w) * max(0.0, h)


def on_screen(found: dict[str, float]) -> bool:
    return (found["x"] >= 0 and found["y"] >= 0
            and found["x"] + found["width"] <= PROJECTOR["width"] + 1
            and found["y"] + found["height"] <= PROJECTOR["height"] + 1)


@dataclass
class Hall:
    stage: Stage
    document: int


@pytest.fixture(scope="module")
async def hall(server: Server) -> Hall:
    """A meeting in half an hour in room 1, with a real PDF, and the display
    account of room 1 (listed in no meeting)."""
    stage = await make_stage(server)
    document = await upload(server.http, stage.world.token("secretary"), stage.meeting,
                            make_pdf([f"Trang {n}: ke hoach nam 2027. " * 8 for n in (1, 2)]),
                            "ke-hoach.pdf", title="Kế hoạch năm 2027")
    conn = await asyncpg.connect(server.database_url)
    try:
        room = await conn.fetchval("INSERT INTO rooms (body_id, name) VALUES ($1, $2)"
                                   " RETURNING id", stage.world.body_id, HALL)
        await conn.execute("UPDATE meetings SET room_id = $2 WHERE id = $1", stage.meeting, room)
        await conn.execute(
            "INSERT INTO users (body_id, username, full_name, password_hash, room_id)"
            " VALUES ($1, $2, 'Màn hình phòng họp số 1', $3, $4)",
            stage.world.body_id, stage.username("screen"), hash_password(PASSWORD), room)
    finally:
        await conn.close()
    return Hall(stage, int(document["id"]))


async def wall(browser: Browser, server: Server, hall: Hall, opened: list[Person]) -> Page:
    person = await Person.open(browser, server.http, viewport=PROJECTOR)
    opened.append(person)
    await person.login_ui(hall.stage.username("screen"), PASSWORD, "/display/")
    return person.page


async def test_the_projector_shows_the_rooms_qr_code_and_its_link_checks_a_delegate_in(
        browser: Browser, server: Server, hall: Hall, opened: list[Person]) -> None:
    display = await wall(browser, server, hall, opened)
    waiting = display.locator('[data-screen="waiting"]')
    await expect(waiting.locator(".waiting-next-title")).to_have_text("Họp giao ban tuần")
    qr = waiting.locator('[data-part="checkin-qr"]')
    await expect(qr.locator("svg")).to_be_visible()
    await expect(qr).to_contain_text("Quét mã QR để điểm danh")
    code = await box(display, '[data-part="checkin-qr"] svg')
    assert code["width"] >= 400 and abs(code["width"] - code["height"]) < 2, code
    assert on_screen(await box(display, '[data-part="checkin-qr"]'))
    assert overlap(await box(display, '[data-part="checkin-qr"]'),
                   await box(display, ".waiting-body")) < 1
    await shot(display, "projector-checkin-waiting")

    link = await qr.get_attribute("data-link")
    assert link and link.startswith(f"{server.http}/#/checkin/{hall.stage.meeting}/"), link
    delegate = await laptop(browser, server, hall.stage, opened, "delegate02")
    await expect(delegate.locator('[data-key="check-in"]')).to_be_visible()
    await delegate.goto(link)
    await expect(delegate.locator('[data-key="checked-in"]')).to_be_visible()
    # A new code every few seconds: a photo of the wall is soon worth nothing.
    await expect(qr).not_to_have_attribute("data-link", link, timeout=25_000)


async def test_in_session_the_code_sits_in_the_bar_until_the_chair_hides_it(
        browser: Browser, server: Server, hall: Hall, opened: list[Person]) -> None:
    display = await wall(browser, server, hall, opened)
    chair = await console(browser, server, hall.stage, opened, "chair")
    await chair.click('[data-key="session.open"]')
    await expect(display.locator(".stage .badge.live")).to_be_visible()
    qr = display.locator('.stage-panel [data-part="checkin-qr"]')
    await expect(qr.locator("svg")).to_be_visible()

    await chair.select_option("#present-doc", label="Kế hoạch năm 2027")
    await chair.fill("#present-page", "2")
    await chair.click('[data-key="page-show"]')
    await expect(display.locator(".page-box")).to_have_attribute("data-loaded",
                                                                 f"{hall.document}:2")
    await expect(qr.locator("svg")).to_be_visible()
    code = await box(display, '.stage-panel [data-part="checkin-qr"] svg')
    assert code["height"] >= 250, code  # readable from the back of the room
    found = await box(display, '.stage-panel [data-part="checkin-qr"]')
    assert on_screen(found), found
    assert overlap(found, await box(display, ".page-box")) < 1
    bar = await box(display, ".stage-panel")
    assert found["x"] >= bar["x"] - 1 and found["x"] + found["width"] <= bar["x"] + bar["width"] + 1
    for other in (".quorum", ".page-caption", ".stage-head", ".clock"):
        item = await box(display, other)
        assert on_screen(item), (other, item)
        assert overlap(found, item) < 1, (other, item, found)
    await shot(display, "projector-checkin-corner")

    toggle = chair.locator('[data-key="checkin-projector"]')
    await expect(toggle).to_have_text("Ẩn mã QR trên màn chiếu")
    await toggle.click()
    await expect(qr).to_have_count(0)
    await expect(toggle).to_have_text("Hiện mã QR trên màn chiếu")
    await toggle.click()
    await expect(qr.locator("svg")).to_be_visible()


async def test_the_admin_binds_a_room_to_its_network_and_a_code_from_elsewhere_is_refused(
        browser: Browser, server: Server, opened: list[Person]) -> None:
    stage = await make_stage(server, admin="outsider")
    conn = await asyncpg.connect(server.database_url)
    try:
        room = await conn.fetchval("INSERT INTO rooms (body_id, name) VALUES ($1, $2)"
                                   " RETURNING id", stage.world.body_id, HALL)
        await conn.execute("UPDATE meetings SET room_id = $2 WHERE id = $1", stage.meeting, room)
    finally:
        await conn.close()
    admin = await laptop(browser, server, stage, opened, "outsider", "/#/admin")
    await admin.click(".admin-tabs [data-key=tab-rooms]")
    networks = admin.locator(f"#a-room-networks-{room}")
    await networks.fill("10.20.30.0/33")
    await admin.click(f"[data-key=a-room-save-{room}]")
    await expect(admin.locator(".admin-notice .error")).to_contain_text(
        "không phải dải địa chỉ mạng hợp lệ")
    await networks.fill("10.20.30.7/24\nfd00:1::/64")
    await admin.click(f"[data-key=a-room-save-{room}]")
    await expect(admin.locator(".admin-notice .ok-text")).to_contain_text(f"Đã lưu phòng {HALL}")
    await expect(admin.locator(f"#a-room-networks-{room}")).to_have_value(
        "10.20.30.0/24\nfd00:1::/64")
    await admin.locator(f"li.room-block[data-room='{room}']").scroll_into_view_if_needed()
    await shot(admin, "admin-room-networks")

    # This laptop (127.0.0.1) is not on the room's network: its code is refused.
    async with httpx.AsyncClient(base_url=server.http, headers={
            "authorization": f"Bearer {stage.world.token('display')}"}) as api:
        shown = (await api.get(f"/api/meetings/{stage.meeting}/checkin-code")).json()
    delegate = await laptop(browser, server, stage, opened, "delegate01")
    await expect(delegate.locator('[data-key="check-in"]')).to_be_visible()
    await delegate.goto(f"{server.http}{shown['path']}")
    await expect(delegate.locator(".status-row .error")).to_contain_text(
        "không ở trong mạng của phòng họp")
    await expect(delegate.locator('[data-key="checked-in"]')).to_have_count(0)
