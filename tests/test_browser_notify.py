"""Notifications in Chromium, in Vietnamese: a delegate on a 390×844 phone
sets an e-mail address and a phone number on their account screen (a wrong
address is refused with the server's own words), and the invitation then
reaches that address on a real SMTP server; the same screen on a 1366×768
laptop; and a body's admin reads the outbox and sends a failed notification
again. Every wait polls with a deadline; nothing sleeps."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser, Page, ViewportSize, expect

from tests.browser_support import LAPTOP, Person, shot
from tests.conftest import PASSWORD, Server, World, build_world
from tests.notify_support import SERVER_ENV, SmtpSink

__all__ = ["SERVER_ENV"]  # read by conftest's `server` fixture

expect.set_options(timeout=15_000)
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


async def username(world: World, who: str) -> str:
    conn = await asyncpg.connect(world.url)
    try:
        return str(await conn.fetchval("SELECT username FROM users WHERE id = $1",
                                       world.users[who]))
    finally:
        await conn.close()


async def marked_sent(world: World, notification: int) -> None:
    conn = await asyncpg.connect(world.url)
    try:
        deadline = time.monotonic() + 15
        while not await conn.fetchval("SELECT sent_at IS NOT NULL FROM notification_outbox"
                                      " WHERE id = $1", notification):
            assert time.monotonic() < deadline, "never marked sent"
            await asyncio.sleep(0.05)
    finally:
        await conn.close()


async def fits_width(page: Page, width: int) -> None:
    """Nothing wider than the screen: no sideways scrolling on a phone."""
    scroll = await page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll <= width, f"page is {scroll}px wide on a {width}px screen"


async def open_account(person: Person, name: str) -> Page:
    page = person.page
    link = page.locator("#top [data-key=account]")
    await expect(link).to_have_text(f"Tài khoản: {name}")
    await link.click()
    await expect(page.locator(".account h1")).to_have_text("Tài khoản của tôi")
    await expect(page.locator(".notify-settings h2")).to_have_text("Thông báo")
    return page


async def test_a_delegate_sets_channels_on_a_phone_and_the_invitation_arrives(
        browser: Browser, server: Server, smtp: SmtpSink) -> None:
    world = await build_world(server.database_url, delegates=1)
    conn = await asyncpg.connect(world.url)
    try:
        await conn.execute("UPDATE meetings SET status = 'draft' WHERE id = $1",
                           world.meeting_id)
    finally:
        await conn.close()
    person = await Person.open(browser, server.http, viewport=PHONE)
    await person.login_ui(await username(world, "delegate01"), PASSWORD)
    page = await open_account(person, "Người delegate01")
    await expect(page.locator("[data-key=n-warning]")).to_have_text(
        "Bạn chưa chọn kênh nào có địa chỉ: bạn sẽ không nhận được thông báo.")
    await expect(page.get_by_label("Nhận thông báo qua thư điện tử (kèm tệp lịch họp)")
                 ).to_be_checked()

    await page.get_by_label("Địa chỉ thư điện tử").fill("nguyen.van.a@")
    await page.locator("[data-key=n-save]").click()
    await expect(page.locator(".notify-settings [role=alert]")).to_have_text(
        "Địa chỉ thư điện tử không hợp lệ.")
    address = f"dai.bieu.{world.body_id}@quangbinh.gov.vn"
    await page.get_by_label("Địa chỉ thư điện tử").fill(address)
    await page.get_by_label("Số điện thoại di động").fill("0912 345 678")
    await page.get_by_label("Nhận tin nhắn SMS/Zalo").check()
    await page.locator("[data-key=n-save]").click()
    await expect(page.locator(".notify-settings [role=status]")).to_have_text(
        "Đã lưu lựa chọn nhận thông báo.")
    await expect(page.get_by_label("Số điện thoại di động")).to_have_value("0912345678")
    await expect(page.locator("[data-key=n-warning]")).to_have_count(0)
    await fits_width(page, PHONE["width"])
    await shot(page, "notify-settings-phone", full_page=True)

    # Reloaded: what was saved is what the server holds.
    await page.reload()
    await expect(page.get_by_label("Địa chỉ thư điện tử")).to_have_value(address)
    await expect(page.get_by_label("Nhận tin nhắn SMS/Zalo")).to_be_checked()

    async with httpx.AsyncClient(base_url=server.http, timeout=60, headers={
            "authorization": f"Bearer {world.token('secretary')}"}) as http:
        r = await http.post(f"/api/meetings/{world.meeting_id}/status", json={"to": "invited"})
        assert r.status_code == 200, r.text
    await smtp.wait_for(lambda: len(smtp.to(address)) == 1)
    mail = smtp.to(address)[0]
    assert mail.subject == "Giấy mời họp: Họp giao ban tuần" and mail.calendar() is not None
    assert person.errors == []
    await person.close()

    laptop = await Person.open(browser, server.http, viewport=LAPTOP)
    await laptop.login_ui(await username(world, "delegate01"), PASSWORD)
    page = await open_account(laptop, "Người delegate01")
    await expect(page.get_by_label("Địa chỉ thư điện tử")).to_have_value(address)
    await fits_width(page, LAPTOP["width"])
    await shot(page, "notify-settings-laptop")
    assert laptop.errors == []
    await laptop.close()


async def test_a_body_admin_reads_the_outbox_and_sends_a_failed_one_again(
        browser: Browser, server: Server, smtp: SmtpSink) -> None:
    world = await build_world(server.database_url, delegates=2, admin="outsider")
    conn = await asyncpg.connect(world.url)
    try:
        me = f"dai.bieu.02.{world.body_id}@quangbinh.gov.vn"
        await conn.execute("INSERT INTO notification_settings (user_id, email) VALUES ($1, $2)",
                           world.users["delegate02"], me)
        await conn.execute(
            "INSERT INTO notification_outbox (user_id, channel, kind, key, subject, body, sent_at,"
            " attempts) VALUES ($1, 'email', 'meeting.invitation', 'ui:1',"
            " 'Giấy mời họp: Họp giao ban tuần', 'Nội dung', now(), 1)",
            world.users["delegate01"])
        failed = await conn.fetchval(
            "INSERT INTO notification_outbox (user_id, channel, kind, key, subject, body,"
            " attempts, last_error, failed_at) VALUES ($1, 'email', 'meeting.document', 'ui:2',"
            " 'Tài liệu mới cho cuộc họp: Họp giao ban tuần', 'Có thêm tài liệu.', 12,"
            " 'Không kết nối được máy chủ thư: ConnectionRefusedError', now()) RETURNING id",
            world.users["delegate02"])
    finally:
        await conn.close()

    for viewport, name in ((LAPTOP, "notify-outbox"), (PHONE, "notify-outbox-phone")):
        admin = await Person.open(browser, server.http, viewport=viewport)
        await admin.login_ui(await username(world, "outsider"), PASSWORD)
        page = admin.page
        await page.locator("#top [data-key=admin]").click()
        tab = page.locator(".admin-tabs [data-key=tab-notifications]")
        await expect(tab).to_have_text("Thông báo")
        await tab.click()
        await expect(page.locator(".admin-notifications h2")).to_have_text("Hàng đợi thông báo")
        await expect(page.locator("[data-key=n-filter-failed]")).to_have_text(
            "Không gửi được (1)" if name == "notify-outbox" else "Không gửi được (0)")
        if name == "notify-outbox":
            await page.locator("[data-key=n-filter-failed]").click()
            row = page.locator(f"[data-notification='{failed}']")
            await expect(row.locator(".notify-subject")).to_have_text(
                "Tài liệu mới cho cuộc họp: Họp giao ban tuần")
            await expect(row.locator("[data-key=n-error]")).to_have_text(
                "Không kết nối được máy chủ thư: ConnectionRefusedError")
            await expect(row.locator(".notify-state")).to_have_text("Không gửi được")
            await shot(page, name)
            await row.locator(f"[data-key=n-retry-{failed}]").click()
            await expect(page.locator(".admin-notifications [role=status]")).to_have_text(
                "Thông báo sẽ được gửi lại ngay.")
            # Sent by the worker once it is due again, to the real SMTP server,
            # and marked sent just after the server's answer.
            await smtp.wait_for(lambda: len(smtp.to(me)) == 1)
            await marked_sent(world, failed)
        await page.locator("[data-key=n-filter-sent]").click()
        await expect(page.locator("[data-key=n-filter-sent]")).to_have_text("Đã gửi (2)")
        await expect(page.locator(f"[data-notification='{failed}'] .notify-state")
                     ).to_have_text("Đã gửi")
        await fits_width(page, viewport["width"])
        if name == "notify-outbox-phone":
            await shot(page, name, full_page=True)
        assert admin.errors == []
        await admin.close()


async def test_a_body_admin_enters_a_persons_address_in_the_users_tab(
        browser: Browser, server: Server) -> None:
    world = await build_world(server.database_url, delegates=1, admin="outsider")
    admin = await Person.open(browser, server.http, viewport=LAPTOP)
    await admin.login_ui(await username(world, "outsider"), PASSWORD)
    page = admin.page
    await page.locator("#top [data-key=admin]").click()
    person = world.users["delegate01"]
    await page.locator(f"[data-key=a-notify-{person}]").click()
    form = page.locator(f"[data-user='{person}'] .notify-settings")
    await expect(form.locator("h3")).to_have_text("Nhận thông báo của Người delegate01")
    await expect(form.locator(f"[data-key=n-{person}-warning]")).to_have_text(
        "Người này chưa có kênh nào có địa chỉ: sẽ không nhận được thông báo.")
    await form.get_by_label("Địa chỉ thư điện tử").fill("dai.bieu.01@quangbinh.gov.vn")
    await form.locator(f"[data-key=n-{person}-save]").click()
    await expect(form.locator("[role=status]")).to_have_text("Đã lưu lựa chọn nhận thông báo.")
    await expect(form.locator(f"[data-key=n-{person}-warning]")).to_have_count(0)
    await shot(page, "notify-admin-person")
    conn = await asyncpg.connect(world.url)
    try:
        assert await conn.fetchval("SELECT email FROM notification_settings WHERE user_id = $1",
                                   person) == "dai.bieu.01@quangbinh.gov.vn"
    finally:
        await conn.close()
    assert admin.errors == []
    await admin.close()
