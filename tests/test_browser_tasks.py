"""Tasks from the conclusion notice in Chromium, in Vietnamese, on a 1366×768
laptop and a 390×844 phone: the secretary turns the notice's numbered items
into tasks, a member of the responsible unit reports progress with a file
and asks for an extension from the phone, the secretary grants it, the unit
reports the task done, and the chair's board shows what is overdue, by
unit. Every wait polls with a deadline; nothing sleeps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser, Page, ViewportSize, expect

from collab_server.domain import calendar
from tests.browser_support import LAPTOP, Person, make_pdf, shot
from tests.conftest import PASSWORD, Server, World
from tests.test_tasks import noticed

expect.set_options(timeout=15_000)
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
async def world(server: Server) -> World:
    return await noticed(server)


async def fetch(world: World, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(world.url)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


async def person(browser: Browser, server: Server, world: World, who: str,
                 viewport: ViewportSize = LAPTOP) -> Person:
    p = await Person.open(browser, server.http, viewport=viewport)
    name = (await fetch(world, "SELECT username FROM users WHERE id = $1",
                        world.users[who]))[0][0]
    await p.login_ui(name, PASSWORD)
    await expect(p.page.locator("#top [data-key=tasks]")).to_have_text("Nhiệm vụ")
    return p


@pytest.fixture(scope="module")
async def secretary(browser: Browser, server: Server, world: World) -> AsyncIterator[Person]:
    p = await person(browser, server, world, "secretary")
    yield p
    assert p.errors == []
    await p.close()


@pytest.fixture(scope="module")
async def unit_member(browser: Browser, server: Server, world: World) -> AsyncIterator[Person]:
    p = await person(browser, server, world, "delegate01", PHONE)
    yield p
    assert p.errors == []
    await p.close()


async def fits_the_width(page: Page) -> None:
    """Nothing wider than the screen: no sideways scrolling on the phone."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] if page.viewport_size else True, width


async def notice_tasks_made(server: Server, world: World) -> None:
    """The notice's tasks (made already when the first test ran: then nothing is added)."""
    async with httpx.AsyncClient(base_url=server.http, timeout=60, headers={
            "authorization": f"Bearer {world.token('secretary')}"}) as c:
        base = f"/api/meetings/{world.meeting_id}/tasks"
        items = (await c.get(f"{base}/proposed")).json()["items"]
        assert (await c.post(base, json={"tasks": items})).status_code in (200, 201)


async def step(page: Page, key: str, status: str) -> None:
    await page.locator(f"[data-key={key}]").click()
    await expect(page.locator(".task-facts .task-status")).to_have_text(status)


async def test_tasks_from_the_notice_through_their_states(
        secretary: Person, unit_member: Person, browser: Browser, server: Server,
        world: World) -> None:
    page = secretary.page
    # From the record of the meeting, the notice's items become tasks.
    await secretary.goto(f"/#/minutes/{world.meeting_id}")
    await page.locator("[data-key=conclusion-tasks]").click()
    await expect(page.locator(".tasks-notice h1")).to_have_text(
        "Giao việc theo thông báo kết luận")
    items = page.locator(".task-item")
    await expect(items).to_have_count(2)
    unit = page.locator("[data-key=item-0-unit] option:checked")
    await expect(unit).to_have_text("Sở Tài chính")
    await expect(page.locator("[data-key=item-1-unit] option:checked")).to_have_text("Sở Y tế")
    await expect(page.locator("[data-key=tasks-create]")).to_have_text("Giao 2 nhiệm vụ")
    await shot(page, "tasks-from-notice")
    await page.locator("[data-key=tasks-create]").click()
    await expect(page.locator(".task-card")).to_have_count(2)
    await expect(page.locator("[data-key=stat-total] strong")).to_have_text("2")
    await shot(page, "tasks-board")

    # The member of Sở Tài chính, on a phone, sees that unit's task only.
    phone = unit_member.page
    await phone.locator("#top [data-key=tasks]").click()
    cards = phone.locator(".task-card")
    await expect(cards).to_have_count(1)
    await expect(cards).to_contain_text("Sở Tài chính")
    await fits_the_width(phone)
    await cards.locator("a.task-title").click()
    await expect(phone.locator(".task-facts .task-status")).to_have_text("Đã giao")
    await phone.fill("[data-key=task-progress]", "40")
    await phone.fill("[data-key=task-progress-note]", "Đã họp tổ soạn thảo")
    await step(phone, "task-do-progress", "Đang thực hiện")
    await phone.set_input_files("[data-key=task-file]", files=[{
        "name": "Báo cáo tiến độ.pdf", "mimeType": "application/pdf",
        "buffer": make_pdf(["Báo cáo tiến độ dự toán"])}])
    await phone.locator("[data-key=task-do-attach]").click()
    await expect(phone.locator(".task-files a")).to_have_text("Báo cáo tiến độ.pdf")
    until = (calendar.local_day(datetime.now(UTC)) + timedelta(days=45)).isoformat()
    await phone.fill("[data-key=task-until]", until)
    await phone.fill("[data-key=task-reason]", "Chờ số liệu quyết toán của Kho bạc")
    await step(phone, "task-do-ask", "Xin gia hạn")
    await expect(phone.locator("[data-key=task-asked]")).to_contain_text(
        "Chờ số liệu quyết toán của Kho bạc")
    await expect(phone.locator("[data-key=task-do-ask]")).to_have_count(0)
    await fits_the_width(phone)
    await shot(phone, "task-phone-extension", full_page=True)
    task_id = phone.url.rsplit("/", 1)[1]

    # The office grants it; the deadline moves to the date asked.
    await secretary.goto(f"/#/tasks/{task_id}")
    await expect(page.locator(".task-facts .task-status")).to_have_text("Xin gia hạn")
    await step(page, "task-do-grant", "Đang thực hiện")
    day = "/".join(reversed(until.split("-")))
    await expect(page.locator(".task-facts")).to_contain_text(f"Hạn: {day}")
    await expect(page.locator(".task-events li")).to_have_count(5)
    await expect(page.locator(".task-events li").last).to_contain_text("đồng ý gia hạn")
    await shot(page, "task-history")

    # Done, with a report, from the phone.
    await phone.reload()
    await phone.fill("[data-key=task-report]", "Đã trình UBND tỉnh dự toán ngân sách 2027")
    await step(phone, "task-do-report", "Hoàn thành")
    await expect(phone.locator("[data-key=task-do-progress]")).to_have_count(0)
    await expect(phone.locator(".task-events li").last).to_contain_text("báo cáo hoàn thành")
    await shot(phone, "task-phone-done", full_page=True)
    # The notice's link, followed by someone who does not assign: the meeting's board.
    await unit_member.goto(f"/#/tasks/meeting/{world.meeting_id}")
    await expect(phone).to_have_url(f"{server.http}/#/tasks?meeting={world.meeting_id}")
    await expect(phone.locator(".task-card")).to_have_count(1)


async def test_the_chair_sees_what_is_overdue_by_unit(
        browser: Browser, server: Server, world: World) -> None:
    today = calendar.local_day(datetime.now(UTC))
    await notice_tasks_made(server, world)
    rows = await fetch(world, "SELECT id FROM tasks WHERE body_id = $1 AND unit_name = $2",
                       world.body_id, "Sở Y tế")
    await fetch(world, "UPDATE tasks SET assigned_on = $2, deadline = $3 WHERE id = $1",
                rows[0]["id"], today - timedelta(days=20), today - timedelta(days=3))
    for viewport, name in ((LAPTOP, "tasks-board-overdue"), (PHONE, "tasks-board-phone")):
        chair = await person(browser, server, world, "chair", viewport)
        try:
            await chair.page.locator("#top [data-key=tasks]").click()
            page = chair.page
            await expect(page.locator("[data-key=stat-overdue] strong")).to_have_text("1")
            await expect(page.locator(".task-card.overdue .task-status")).to_have_text("Quá hạn")
            await expect(page.locator(".task-table tr[data-unit='Sở Y tế'] td").nth(1)
                         ).to_have_text("1")
            await expect(page.locator("[data-key=tasks-pdf]")).to_be_visible()
            await expect(page.locator(".task-table tr[data-meeting] a")).to_have_text(
                "Họp giao ban tuần")
            await fits_the_width(page)
            await shot(page, name, full_page=True)
            await page.select_option("[data-key=tasks-status]", "overdue")
            await page.locator("[data-key=tasks-filter]").click()
            await expect(page.locator(".task-card")).to_have_count(1)
            await expect(page.locator(".task-card")).to_contain_text("Sở Y tế")
            assert chair.errors == []
        finally:
            await chair.close()


async def test_the_office_assigns_a_task_by_hand_to_a_person(
        browser: Browser, server: Server, world: World) -> None:
    await notice_tasks_made(server, world)
    admin = await person(browser, server, world, "outsider")  # the body's admin
    try:
        page = admin.page
        # On the notice's screen: its items are assigned already; one more, to a person.
        await admin.goto(f"/#/tasks/meeting/{world.meeting_id}")
        await expect(page.locator(".task-item.created")).to_have_count(2)
        await expect(page.locator("[data-key=tasks-create]")).to_be_disabled()
        await page.locator("[data-key=tasks-add-row]").click()
        await page.fill("[data-key=item-2-title]", "Tổng hợp ý kiến các huyện về dự toán")
        await page.fill("[data-key=item-2-person-q]", "delegate02")
        await expect(page.locator("[data-key=item-2-person] option:checked")).to_contain_text(
            "Người delegate02")
        await page.locator("[data-key=tasks-create]").click()
        card = page.locator(".task-card", has_text="Tổng hợp ý kiến các huyện")
        await expect(card).to_contain_text("Người delegate02")
        await page.locator("#top [data-key=tasks]").click()
        await page.locator("#top [data-key=tasks]").click()
        await page.locator("[data-key=task-new-open]").click()
        await page.fill("[data-key=task-new-title]", "Chuẩn bị báo cáo nhanh về mưa lũ")
        await page.fill("[data-key=task-new-person-q]", "delegate03")
        await expect(page.locator("[data-key=task-new-person] option:checked")).to_contain_text(
            "Người delegate03")
        await page.fill("[data-key=task-new-days]", "2")
        await shot(page, "task-new-by-hand")
        await page.locator("[data-key=task-new-submit]").click()
        card = page.locator(".task-card", has_text="Chuẩn bị báo cáo nhanh về mưa lũ")
        await expect(card).to_contain_text("Người delegate03")
        await expect(card.locator(".task-status")).to_have_text("Đã giao")
        assert admin.errors == []
    finally:
        await admin.close()
    rows = await fetch(world, "SELECT assignee_id, working_days FROM tasks WHERE title = $1",
                       "Chuẩn bị báo cáo nhanh về mưa lũ")
    assert [tuple(r) for r in rows] == [(world.users["delegate03"], 2)]
