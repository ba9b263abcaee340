"""The admin screens in Chromium, in Vietnamese, on a 1366×768 laptop: the
body's admin creates a user, issues a new password the user logs in with,
deactivates and reactivates them, adds a room with its display account, a
holiday and a saved group that the secretary then adds to a meeting, and sets
the body's retention. Every wait polls with a deadline; nothing sleeps."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from playwright.async_api import Browser, Page, ViewportSize, expect

from tests.browser_support import Person, shot
from tests.conftest import PASSWORD, Server, World, build_world

expect.set_options(timeout=15_000)
LAPTOP: ViewportSize = {"width": 1366, "height": 768}


@pytest.fixture(scope="module")
async def world(server: Server) -> World:
    return await build_world(server.database_url, delegates=3, admin="outsider")


async def username(world: World, who: str) -> str:
    return str(await fetchval(world, "SELECT username FROM users WHERE id = $1",
                              world.users[who]))


async def fetchval(world: World, query: str, *args: Any) -> Any:
    conn = await asyncpg.connect(world.url)
    try:
        return await conn.fetchval(query, *args)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def admin(browser: Browser, server: Server, world: World) -> AsyncIterator[Person]:
    person = await Person.open(browser, server.http, viewport=LAPTOP)
    await person.login_ui(await username(world, "outsider"), PASSWORD)
    link = person.page.locator("#top [data-key=admin]")
    await expect(link).to_have_text("Quản trị")
    await link.click()
    await expect(person.page.locator(".admin h1")).to_have_text("Quản trị cơ quan")
    yield person
    assert person.errors == []
    await person.close()


async def tab(page: Page, name: str, label: str) -> None:
    link = page.locator(f".admin-tabs [data-key=tab-{name}]")
    await expect(link).to_have_text(label)
    await link.click()
    await expect(link).to_have_attribute("aria-selected", "true")


async def made_password(page: Page) -> str:
    code = page.locator("[data-key=made-password]")
    await expect(code).to_have_text(re.compile(r"^\w{4}-\w{4}-\w{4}-\w{4}$"))
    text = await code.text_content()
    assert text is not None
    return text


async def test_only_admins_see_the_admin_screen(browser: Browser, server: Server,
                                                world: World) -> None:
    chair = await Person.open(browser, server.http, viewport=LAPTOP)
    try:
        await chair.login_ui(await username(world, "chair"), PASSWORD)
        await expect(chair.page.locator(".who")).to_contain_text("Người chair")
        await expect(chair.page.locator("[data-key=admin]")).to_have_count(0)
        await chair.goto("/#/admin")
        await expect(chair.page.locator("main .error")).to_have_text(
            "Chỉ quản trị của cơ quan được mở trang này.")
    finally:
        await chair.close()


async def test_admin_manages_a_user(browser: Browser, server: Server, world: World,
                                    admin: Person) -> None:
    page = admin.page
    await tab(page, "users", "Người dùng")
    await page.fill("#a-new-username", "nguyen.van.binh")
    await page.fill("#a-new-full_name", "Nguyễn Văn Bình")
    await page.fill("#a-new-title", "Chuyên viên")
    # A weak password is refused with the server's Vietnamese reason.
    await page.fill("#a-new-password", "matkhau123")
    await page.click("[data-key=a-new-create]")
    await expect(page.locator(".admin-notice .error")).to_contain_text("Mật khẩu")
    await page.fill("#a-new-password", "")
    await page.check("#a-new-can_prepare")
    await page.click("[data-key=a-new-create]")
    first = await made_password(page)
    await expect(page.locator(".admin-notice")).to_contain_text(
        "Đã tạo tài khoản Nguyễn Văn Bình.")
    row = page.locator("tr", has_text="Nguyễn Văn Bình")
    await expect(row.locator("input[data-key^=a-can_prepare-]")).to_be_checked()
    await shot(page, "admin-users")

    await page.click("[data-key=made-dismiss]")
    await row.locator("button[data-key^=a-reset-]").click()
    second = await made_password(page)
    assert second != first
    binh = await Person.open(browser, server.http, viewport=LAPTOP)
    try:
        await binh.login_ui("nguyen.van.binh", second)
        await expect(binh.page.locator(".who")).to_contain_text("Nguyễn Văn Bình")

        # Locking is asked first; "Thôi" keeps the account as it was.
        dialog = page.locator('dialog[data-key="confirm-dialog"]')
        await row.locator("button[data-key^=a-deactivate-]").click()
        await expect(dialog).to_contain_text("Khóa tài khoản Nguyễn Văn Bình?")
        await expect(dialog).to_contain_text("Mọi phiên đăng nhập của Nguyễn Văn Bình kết thúc")
        await dialog.locator('[data-key="confirm-no"]').click()
        await expect(dialog).to_have_count(0)
        await expect(row.locator("td", has_text="Đang hoạt động")).to_be_visible()
        await row.locator("button[data-key^=a-deactivate-]").click()
        await dialog.locator('[data-key="confirm-yes"]').click()
        await expect(row.locator(".tag")).to_have_text("Đã khóa")
        await binh.page.reload()  # the session ended with the account
        await expect(binh.page.locator("#login-username")).to_be_visible()
        await binh.login_ui("nguyen.van.binh", second)
        await expect(binh.page.locator("#login-error")).to_contain_text("không đúng")

        await row.locator("button[data-key^=a-reactivate-]").click()
        await expect(row.locator("td", has_text="Đang hoạt động")).to_be_visible()
        await binh.login_ui("nguyen.van.binh", second)
        await expect(binh.page.locator(".who")).to_contain_text("Nguyễn Văn Bình")
    finally:
        await binh.close()


async def test_admin_keeps_the_units_of_the_body(admin: Person, world: World) -> None:
    page = admin.page
    await tab(page, "body", "Cơ quan và đơn vị")
    await page.fill("#a-unit-new", "Văn phòng")
    await page.click("[data-key=a-unit-add]")
    await expect(page.locator("li[data-unit]")).to_have_text(re.compile("Văn phòng · 0 người"))
    await page.fill("#a-unit-new", "văn phòng")
    await page.click("[data-key=a-unit-add]")
    await expect(page.locator(".admin-notice .error")).to_have_text(
        "Cơ quan đã có đơn vị mang tên này.")
    await tab(page, "users", "Người dùng")
    row = page.locator("tr", has_text="Nguyễn Văn Bình")
    await row.locator("select[data-key^=a-unit-]").select_option("Văn phòng")
    await expect(page.locator(".admin-notice")).to_contain_text(
        "Đã lưu thay đổi của Nguyễn Văn Bình.")
    assert await fetchval(world, "SELECT unit FROM users WHERE username = 'nguyen.van.binh'"
                          ) == "Văn phòng"


async def test_admin_adds_a_room_with_its_display(browser: Browser, server: Server,
                                                  world: World, admin: Person) -> None:
    page = admin.page
    await tab(page, "rooms", "Phòng họp và màn hình")
    await page.fill("#a-room-name", "Phòng họp tầng 2")
    await page.fill("#a-room-seats", "40")
    await page.click("[data-key=a-room-create]")
    room = page.locator("li.room-block[data-name='Phòng họp tầng 2']")
    await expect(room).to_have_count(1)
    await room.locator("button[data-key^=a-display-add-]").click()
    await page.fill("#a-display-username", "maychieu.tang2")
    await expect(page.locator("#a-display-name")).to_have_value("Màn hình Phòng họp tầng 2")
    await page.click("[data-key=a-display-create]")
    password = await made_password(page)
    await expect(room.locator("[data-display]")).to_contain_text("maychieu.tang2")
    room_id = await fetchval(world, "SELECT id FROM rooms WHERE body_id = $1 AND name = $2"
                             " AND seats = 40", world.body_id, "Phòng họp tầng 2")
    assert await fetchval(world, "SELECT room_id FROM users WHERE username = 'maychieu.tang2'"
                          ) == room_id
    projector = await Person.open(browser, server.http)
    try:
        await projector.login_api("maychieu.tang2", password)
    finally:
        await projector.close()


async def test_admin_adds_a_holiday(admin: Person, world: World) -> None:
    page = admin.page
    await tab(page, "holidays", "Ngày nghỉ")
    await page.fill("#a-holiday-day", "31/02/2031")
    await page.fill("#a-holiday-name", "Ngày thành lập tỉnh")
    await page.click("[data-key=a-holiday-add]")
    await expect(page.locator(".admin-notice .error")).to_have_text(
        "Ngày phải theo dạng dd/mm/yyyy, ví dụ 02/09/2027.")
    await page.fill("#a-holiday-day", "15/10/2031")
    await page.click("[data-key=a-holiday-add]")
    await expect(page.locator("li[data-day='2031-10-15']")).to_contain_text(
        "15/10/2031 · Ngày thành lập tỉnh")
    assert await fetchval(world, "SELECT name FROM holidays WHERE body_id = $1"
                          " AND day = '2031-10-15'", world.body_id) == "Ngày thành lập tỉnh"


async def test_a_saved_group_is_added_to_a_meeting(browser: Browser, server: Server,
                                                   world: World, admin: Person) -> None:
    delegates = [world.users[f"delegate{i:02d}"] for i in (1, 2, 3)]
    conn = await asyncpg.connect(world.url)
    try:  # the meeting starts without its delegates: the group brings them
        await conn.execute("DELETE FROM meeting_participants WHERE meeting_id = $1"
                           " AND user_id = ANY($2::bigint[])", world.meeting_id, delegates)
    finally:
        await conn.close()
    page = admin.page
    await tab(page, "groups", "Nhóm thành phần")
    await page.fill("#a-group-name", "Lãnh đạo các phòng")
    await page.click("[data-key=a-group-create]")
    for uid in delegates:
        await page.check(f"[data-member='{uid}']")
    await page.click("[data-key=a-group-save]")
    await expect(page.locator("li[data-group]")).to_contain_text("Lãnh đạo các phòng · 3 người")
    await shot(page, "admin-groups")

    secretary = await Person.open(browser, server.http, viewport=LAPTOP)
    try:
        await secretary.login_api(await username(world, "secretary"), PASSWORD)
        await secretary.goto(f"/#/prepare/{world.meeting_id}")
        picker = secretary.page.locator("#u-group")
        await expect(picker.locator("option")).to_have_text(["Lãnh đạo các phòng (3 người)"])
        await secretary.page.click("[data-key=u-group-add]")
        for uid in delegates:
            await expect(secretary.page.locator(f"table.people tr[data-user='{uid}']")
                         ).to_be_visible()
        await expect(secretary.page.locator(".ok-text")).to_contain_text(
            "Đã thêm nhóm Lãnh đạo các phòng")
        assert secretary.errors == []
    finally:
        await secretary.close()
    assert await fetchval(world, "SELECT count(*) FROM meeting_participants WHERE"
                          " meeting_id = $1 AND user_id = ANY($2::bigint[])"
                          " AND role = 'delegate'", world.meeting_id, delegates) == 3


async def test_admin_sets_retention(admin: Person, world: World) -> None:
    page = admin.page
    await tab(page, "retention", "Thời hạn lưu trữ")
    await expect(page.locator("[data-key=a-retention-none]")).to_have_text(
        "Không có cuộc họp nào quá thời hạn lưu trữ.")
    await page.fill("#a-retention-years", "200")
    await page.click("[data-key=a-retention-save]")
    await expect(page.locator(".admin-notice .error")).to_contain_text("retention_years")
    await page.fill("#a-retention-years", "10")
    await page.click("[data-key=a-retention-save]")
    await expect(page.locator(".admin-notice")).to_contain_text(
        "Đã đặt thời hạn lưu trữ 10 năm.")
    assert await fetchval(world, "SELECT retention_years FROM bodies WHERE id = $1",
                          world.body_id) == 10


async def test_granting_admin_rights_is_confirmed(admin: Person, world: World) -> None:
    page = admin.page
    await tab(page, "users", "Người dùng")
    uid = world.users["delegate02"]
    box = page.locator(f"#a-is_admin-{uid}")
    dialog = page.locator('dialog[data-key="confirm-dialog"]')
    await box.check()
    await expect(dialog).to_contain_text("Cấp quyền quản trị cho Người delegate02?")
    await expect(dialog.locator('[data-key="confirm-no"]')).to_be_focused()
    await shot(page, "admin-confirm-grant")
    await dialog.locator('[data-key="confirm-no"]').click()
    await expect(box).not_to_be_checked()
    assert await fetchval(world, "SELECT is_admin FROM users WHERE id = $1", uid) is False
    await box.check()
    await dialog.locator('[data-key="confirm-yes"]').click()
    await expect(page.locator(".admin-notice")).to_contain_text(
        "Đã lưu thay đổi của Người delegate02.")
    await expect(box).to_be_checked()
    assert await fetchval(world, "SELECT is_admin FROM users WHERE id = $1", uid) is True
    # Taking the right back is not asked.
    await box.uncheck()
    await expect(dialog).to_have_count(0)
    await expect(page.locator(".admin-notice")).to_contain_text("Đã lưu thay đổi")
    await expect(box).not_to_be_checked()


async def test_a_login_name_with_spaces_or_slashes_is_refused(admin: Person, world: World
                                                             ) -> None:
    page = admin.page
    await tab(page, "users", "Người dùng")
    await expect(page.locator("#a-new-username ~ .meta")).to_have_text(
        "Chữ cái không dấu, chữ số và . _ - (ví dụ nguyen.van.an)")
    await page.fill("#a-new-username", "a b/../")
    await page.fill("#a-new-full_name", "Người đặt tên lạ")
    await page.click("[data-key=a-new-create]")
    await expect(page.locator(".admin-notice .error")).to_have_text(re.compile(
        r"^Tên đăng nhập chỉ gồm chữ cái không dấu, chữ số và các dấu \. _ -"))
    assert await fetchval(world, "SELECT count(*) FROM users WHERE full_name = $1",
                          "Người đặt tên lạ") == 0
    await expect(page.locator("#a-new-username")).to_have_value("a b/../")


async def test_the_units_people_are_in_are_listed(admin: Person, world: World) -> None:
    conn = await asyncpg.connect(world.url)
    try:
        await conn.execute("UPDATE users SET unit = 'Sở Xây dựng' WHERE id = ANY($1::bigint[])",
                           [world.users["delegate01"], world.users["delegate03"]])
    finally:
        await conn.close()
    page = admin.page
    await tab(page, "body", "Cơ quan và đơn vị")
    unit = page.locator("li[data-unit]", has_text="Sở Xây dựng")
    await expect(unit).to_have_text(re.compile("Sở Xây dựng · 2 người"))
    await shot(page, "admin-units")
    await unit.locator("button[data-key^=a-unit-edit-]").click()
    await page.fill("#a-unit-rename", "Sở Xây dựng tỉnh")
    await page.click("[data-key=a-unit-rename-save]")
    await expect(page.locator("li[data-unit]", has_text="Sở Xây dựng tỉnh")).to_have_text(
        re.compile("Sở Xây dựng tỉnh · 2 người"))
    assert await fetchval(world, "SELECT unit FROM users WHERE id = $1",
                          world.users["delegate03"]) == "Sở Xây dựng tỉnh"
    # A unit with people in it is not removed from under them.
    await page.locator("li[data-unit]", has_text="Sở Xây dựng tỉnh").locator(
        "button[data-key^=a-unit-remove-]").click()
    await expect(page.locator(".admin-notice .error")).to_have_text(
        "Đơn vị còn 2 người; chuyển họ sang đơn vị khác trước khi xóa.")


async def test_rooms_have_one_name_and_displays_are_locked_there(
        browser: Browser, server: Server, world: World, admin: Person) -> None:
    page = admin.page
    await tab(page, "rooms", "Phòng họp và màn hình")
    await page.fill("#a-room-name", "phòng họp tầng 2")
    await page.click("[data-key=a-room-create]")
    await expect(page.locator(".admin-notice .error")).to_have_text(
        "Cơ quan đã có phòng họp mang tên này.")
    await expect(page.locator("li.room-block[data-name='Phòng họp tầng 2']")).to_have_count(1)
    assert await fetchval(world, "SELECT count(*) FROM rooms WHERE body_id = $1",
                          world.body_id) == 1

    # The projector of a room is locked (and opened again) from the room.
    await page.fill("#a-room-name", "Phòng họp tầng 3")
    await page.click("[data-key=a-room-create]")
    room = page.locator("li.room-block[data-name='Phòng họp tầng 3']")
    await room.locator("button[data-key^=a-display-add-]").click()
    await page.fill("#a-display-username", "maychieu.tang3")
    await page.click("[data-key=a-display-create]")
    password = await made_password(page)
    await page.click("[data-key=made-dismiss]")
    screen = await fetchval(world, "SELECT id FROM users WHERE username = 'maychieu.tang3'")
    line = room.locator(f"[data-display='{screen}']")
    projector = await Person.open(browser, server.http)
    try:
        await projector.login_api("maychieu.tang3", password)
        dialog = page.locator('dialog[data-key="confirm-dialog"]')
        await line.locator(f"[data-key=a-display-deactivate-{screen}]").click()
        await expect(dialog).to_contain_text("Khóa tài khoản Màn hình Phòng họp tầng 3?")
        await expect(dialog).to_contain_text("bị đăng xuất ngay")
        await dialog.locator('[data-key="confirm-yes"]').click()
        await expect(line.locator(".tag")).to_have_text("Đã khóa")
        await expect(page.locator(".admin-notice")).to_contain_text(
            "Đã khóa tài khoản Màn hình Phòng họp tầng 3")
        await room.scroll_into_view_if_needed()
        await shot(page, "admin-rooms")
        assert await fetchval(world, "SELECT is_active FROM users WHERE id = $1",
                              screen) is False
        me = await projector.context.request.get(f"{server.http}/api/me")
        assert me.status == 401, "the projector's session ended with the account"
        await line.locator(f"[data-key=a-display-reactivate-{screen}]").click()
        await expect(line.locator(".tag")).to_have_count(0)
        assert await fetchval(world, "SELECT is_active FROM users WHERE id = $1",
                              screen) is True
    finally:
        await projector.close()


async def test_a_site_admin_creates_a_body_with_its_first_admin(
        browser: Browser, server: Server, world: World, admin: Person) -> None:
    page = admin.page
    await expect(page.locator(".admin-tabs [data-key=tab-bodies]")).to_have_count(0)
    conn = await asyncpg.connect(world.url)
    try:
        await conn.execute("UPDATE users SET is_site_admin = true WHERE id = $1",
                           world.users["outsider"])
    finally:
        await conn.close()
    await page.reload()
    await tab(page, "bodies", "Các cơ quan")
    await expect(page.locator(f"tr[data-body='{world.body_id}']")).to_be_visible()
    code = f"so-xd-{world.body_id}"
    for name, value in (("name", "Sở Xây dựng tỉnh Quảng Bình"), ("code", code),
                        ("place", "Quảng Bình"), ("admin_username", f"qt.sxd.{world.body_id}"),
                        ("admin_full_name", "Trương Văn Định"),
                        ("admin_title", "Chánh Văn phòng Sở")):
        await page.fill(f"#a-body-new-{name}", value)
    await page.click("[data-key=a-body-create]")
    password = await made_password(page)
    await expect(page.locator(".admin-notice")).to_contain_text(
        f"Đã tạo Sở Xây dựng tỉnh Quảng Bình; người quản trị: qt.sxd.{world.body_id}.")
    row = page.locator("tr[data-body]", has_text="Sở Xây dựng tỉnh Quảng Bình")
    await expect(row).to_contain_text(code)
    await shot(page, "admin-bodies")
    created = await fetchval(world, "SELECT id FROM bodies WHERE code = $1", code)
    assert await fetchval(world, "SELECT count(*) FROM audit_log WHERE action = 'body.create'"
                          " AND target = $1", f"body:{created}") == 1

    first = await Person.open(browser, server.http, viewport=LAPTOP)
    try:
        await first.login_ui(f"qt.sxd.{world.body_id}", password)
        await expect(first.page.locator(".who")).to_contain_text("Trương Văn Định")
        await first.page.locator("#top [data-key=admin]").click()
        await expect(first.page.locator(".admin-tabs [data-key=tab-bodies]")).to_have_count(0)
        await tab(first.page, "body", "Cơ quan và đơn vị")
        await expect(first.page.locator("#a-body-name")).to_have_value(
            "Sở Xây dựng tỉnh Quảng Bình")
        assert first.errors == []
    finally:
        await first.close()
