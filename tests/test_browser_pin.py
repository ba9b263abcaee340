"""Signing in with a PIN on a room's laptop, in Chromium, in Vietnamese, on a
1366×768 laptop: a delegate sets a PIN on the account screen (the password
first); the body's admin registers the laptop to the room from the rooms tab
and logs out; on that laptop the login screen offers the PIN, the delegate
picks her name and signs in (a wrong PIN first); logout keeps the laptop the
room's and nothing of the person; a laptop never registered offers no PIN
and is refused; once the admin revokes the laptop, the PIN is refused there
with the reason. Every wait polls with a deadline; nothing sleeps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest
from playwright.async_api import Browser, expect

from tests.browser_support import DEVICE_KEYS, LAPTOP, Person, shot
from tests.conftest import PASSWORD, Server, World, build_world

expect.set_options(timeout=15_000)
PIN = "583016"


@dataclass
class Room:
    world: World
    room_id: int
    usernames: dict[str, str]


@pytest.fixture(scope="module")
async def room(server: Server) -> Room:
    world = await build_world(server.database_url, delegates=3, admin="outsider")
    conn = await asyncpg.connect(world.url)
    try:
        room_id = await conn.fetchval(
            "INSERT INTO rooms (body_id, name) VALUES ($1, 'Phòng họp tầng 3') RETURNING id",
            world.body_id)
        await conn.execute("UPDATE meetings SET room_id = $2, starts_at = now() WHERE id = $1",
                           world.meeting_id, room_id)
        names = {r["id"]: r["username"] for r in await conn.fetch(
            "SELECT id, username FROM users WHERE body_id = $1", world.body_id)}
    finally:
        await conn.close()
    return Room(world, room_id, {who: names[uid] for who, uid in world.users.items()})


@pytest.fixture(scope="module")
async def laptop(browser: Browser, server: Server) -> AsyncIterator[Person]:
    """The shared laptop in the room, used by the admin and then a delegate."""
    person = await Person.open(browser, server.http, viewport=LAPTOP)
    yield person
    assert person.errors == []
    await person.close()


async def test_a_delegate_sets_a_pin_with_her_password(browser: Browser, server: Server,
                                                       room: Room) -> None:
    person = await Person.open(browser, server.http, viewport=LAPTOP)
    try:
        page = person.page
        await person.login_ui(room.usernames["delegate01"], PASSWORD)
        account = page.locator("#top [data-key=account]")
        await expect(account).to_have_text("Tài khoản: Người delegate01")
        await account.click()
        await expect(page.locator(".account h1")).to_have_text("Tài khoản của tôi")
        await expect(page.locator("[data-key=pin-status]")).to_have_text("Bạn chưa đặt mã PIN.")
        await page.fill("#acc-password", "khong-phai-mat-khau")
        await page.fill("#acc-pin", PIN)
        await page.fill("#acc-pin-again", PIN)
        await page.click("[data-key=acc-pin-save]")
        await expect(page.locator("[data-key=acc-notice]")).to_have_text(
            "Mật khẩu hiện tại không đúng.")
        await page.fill("#acc-password", PASSWORD)
        await page.fill("#acc-pin", "123456")
        await page.fill("#acc-pin-again", "123456")
        await page.click("[data-key=acc-pin-save]")
        await expect(page.locator("[data-key=acc-notice]")).to_have_text(
            "Mã PIN quá dễ đoán; vui lòng chọn mã khác.")
        await page.fill("#acc-password", PASSWORD)
        await page.fill("#acc-pin", PIN)
        await page.fill("#acc-pin-again", PIN)
        await page.click("[data-key=acc-pin-save]")
        await expect(page.locator("[data-key=acc-notice]")).to_have_text("Đã lưu mã PIN.")
        await expect(page.locator("[data-key=pin-status]")).to_contain_text("Đã đặt mã PIN")
        await page.evaluate("window.scrollTo(0, 0)")
        await shot(page, "account-pin")
        assert person.errors == []
    finally:
        await person.close()


async def test_the_admin_registers_the_laptop_to_the_room(laptop: Person, room: Room) -> None:
    page = laptop.page
    await laptop.login_ui(room.usernames["outsider"], PASSWORD)
    await expect(page.locator("#top [data-key=admin]")).to_have_text("Quản trị")
    await laptop.goto("/#/admin/rooms")
    block = page.locator(f"li[data-room='{room.room_id}']")
    await expect(block.locator(".room-devices h4")).to_have_text(
        "Máy tính của phòng (đăng nhập bằng mã PIN)")
    await expect(block.locator(".room-devices")).to_contain_text(
        "Phòng chưa có máy nào được đăng ký.")
    await page.fill(f"#a-device-name-{room.room_id}", "Ghế 12")
    await page.click(f"[data-key=a-device-register-{room.room_id}]")
    await expect(page.locator(".admin-notice")).to_contain_text(
        "Đã đăng ký máy này (Ghế 12) cho Phòng họp tầng 3.")
    line = block.locator(".room-devices li", has_text="Ghế 12")
    await expect(line.locator(".tag")).to_have_text("Máy này")
    await line.scroll_into_view_if_needed()
    await shot(page, "admin-room-devices")
    await page.click("[data-key=logout]")
    await expect(page.locator("form.login .notice")).to_be_visible()
    kept = await laptop.storage()
    assert "phonghop_session" not in kept["cookies"] and "phonghop_room" in kept["cookies"], kept


async def test_the_delegate_signs_in_with_her_pin(laptop: Person, room: Room) -> None:
    page = laptop.page
    offer = page.locator("[data-key=use-pin]")
    await expect(offer).to_have_text("Đăng nhập bằng mã PIN (Phòng họp tầng 3)")
    await shot(page, "login-pin-offer")
    await offer.click()
    await expect(page.locator("#pin-title")).to_have_text("Đăng nhập bằng mã PIN")
    await expect(page.locator("[data-key=pin-room]")).to_have_text(
        "Máy của Phòng họp tầng 3 · Ghế 12")
    # Today's people of the room, by name; not the projector, not the admin.
    options = await page.locator("#pin-person option").all_text_contents()
    assert "Người delegate01" in options and "Người display" not in options
    assert "Người outsider" not in options
    await page.select_option("#pin-person", label="Người delegate01")
    await page.fill("#pin-code", "902174")
    await page.click("[data-key=pin-submit]")
    await expect(page.locator("#pin-error")).to_have_text(
        "Mã PIN không đúng; còn 4 lần thử trước khi mã PIN bị khóa.")
    await page.fill("#pin-code", PIN)
    await shot(page, "login-pin")
    await page.click("[data-key=pin-submit]")
    await expect(page.locator("#top [data-key=account]")).to_have_text(
        "Tài khoản: Người delegate01")
    await expect(page.locator(".meeting-card")).to_contain_text("Họp giao ban tuần")
    # Logout: nothing of the person stays; the laptop is still the room's.
    await page.click("[data-key=logout]")
    await expect(page.locator("form.login .notice")).to_be_visible()
    kept = await laptop.storage()
    assert set(kept["local"]) <= DEVICE_KEYS and kept["session"] == [], kept
    assert "phonghop_session" not in kept["cookies"] and "phonghop_room" in kept["cookies"], kept
    me = await laptop.context.request.get(f"{laptop.base}/api/me")
    assert me.status == 401
    await expect(page.locator("[data-key=use-pin]")).to_be_visible()


async def test_a_laptop_not_registered_offers_no_pin(browser: Browser, server: Server,
                                                     room: Room) -> None:
    other = await Person.open(browser, server.http, viewport=LAPTOP)
    try:
        await other.goto("/")
        await expect(other.page.locator("#login-username")).to_be_visible()
        # The screen asked and was told no: still no offer once the answer is in.
        answer = await other.context.request.get(f"{server.http}/api/room-device")
        assert await answer.json() == {"device": None}
        await expect(other.page.locator("[data-key=use-pin]")).to_have_count(0)
        r = await other.context.request.post(
            f"{server.http}/api/login/pin",
            data={"user_id": room.world.users["delegate01"], "pin": PIN})
        assert r.status == 403
        error = (await r.json())["error"]
        assert error["code"] == "not_room_device"
        assert error["message"] == ("Máy này chưa được đăng ký là máy của phòng họp (hoặc đã bị"
                                    " thu hồi); vui lòng đăng nhập bằng mật khẩu.")
    finally:
        await other.close()


async def test_a_revoked_laptop_refuses_the_pin(browser: Browser, server: Server,
                                                laptop: Person, room: Room) -> None:
    page = laptop.page
    await page.click("[data-key=use-pin]")
    await page.select_option("#pin-person", label="Người delegate01")
    await page.fill("#pin-code", PIN)
    # Meanwhile the admin, on another laptop, revokes it from the rooms tab.
    admin = await Person.open(browser, server.http, viewport=LAPTOP)
    try:
        await admin.login_ui(room.usernames["outsider"], PASSWORD)
        await expect(admin.page.locator("#top [data-key=admin]")).to_be_visible()
        await admin.goto("/#/admin/rooms")
        line = admin.page.locator(f"li[data-room='{room.room_id}'] .room-devices li",
                                  has_text="Ghế 12")
        await expect(line.locator(".tag")).to_have_count(0)  # not this laptop
        await line.locator("button", has_text="Thu hồi").click()
        await expect(admin.page.locator(".admin-notice")).to_contain_text(
            "Đã thu hồi máy Ghế 12.")
        await expect(line.locator(".tag")).to_have_text("Đã thu hồi")
        assert admin.errors == []
    finally:
        await admin.close()
    await page.click("[data-key=pin-submit]")
    await expect(page.locator("#pin-error")).to_have_text(
        "Máy này chưa được đăng ký là máy của phòng họp (hoặc đã bị thu hồi); vui lòng đăng"
        " nhập bằng mật khẩu.")
    await shot(page, "login-pin-revoked")
    await page.click("[data-key=use-password]")
    await expect(page.locator("#login-username")).to_be_visible()
    await laptop.goto("/")
    await expect(page.locator("#login-username")).to_be_visible()
    answer = await laptop.context.request.get(f"{server.http}/api/room-device")
    assert await answer.json() == {"device": None}
    await expect(page.locator("[data-key=use-pin]")).to_have_count(0)
