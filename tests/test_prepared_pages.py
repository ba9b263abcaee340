"""Watermarked pages made ahead of a page turn: each reader gets their own
copy, served only after the route's checks, never under an old label, never
to someone no longer in the meeting, and only once."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from PIL import Image

from collab_server.documents.prepared import Job, PreparedPages, Reading
from tests.browser_support import make_pdf, upload
from tests.conftest import Server, World, build_world

PAGES = [f"Trang {n}: dự thảo nghị quyết về kế hoạch năm 2027, tài liệu nội bộ."
         for n in range(1, 5)]
PREPARED = "phonghop_pages_prepared_total"
SERVED = "phonghop_pages_served_prepared_total"
DROPPED = "phonghop_pages_prepared_dropped_total"
WAITING = "phonghop_pages_preparing"


async def metrics(server: Server) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=server.http) as client:
        text = (await client.get("/-/metrics")).text
    return {name: float(value) for name, _, value in
            (line.partition(" ") for line in text.splitlines() if line and line[0] != "#")}


async def settled(server: Server, prepared_at_least: float = 0, timeout: float = 60) -> dict[
        str, float]:
    """The metrics once nothing waits to be prepared (and at least
    `prepared_at_least` pages were), polled with a deadline."""
    deadline = time.monotonic() + timeout
    while True:
        now = await metrics(server)
        if (PREPARED in now and now[WAITING] == 0
                and now[PREPARED] >= prepared_at_least):
            return now
        assert time.monotonic() < deadline, {k: v for k, v in now.items() if "prepar" in k}
        await asyncio.sleep(0.1)


@pytest.fixture
async def room(server: Server) -> AsyncIterator[tuple[World, dict[str, httpx.AsyncClient]]]:
    world = await build_world(server.database_url, delegates=3)
    clients = {who: httpx.AsyncClient(base_url=server.http, timeout=60,
                                      headers={"authorization": f"Bearer {world.token(who)}"})
               for who in ("secretary", "delegate01", "delegate02", "delegate03")}
    yield world, clients
    await asyncio.gather(*(c.aclose() for c in clients.values()))


async def page(client: httpx.AsyncClient, document: int, n: int,
               expect: int = 200) -> httpx.Response:
    r = await client.get(f"/api/documents/{document}/pages/{n}", params={"w": "laptop"})
    assert r.status_code == expect, r.text[:300]
    return r


async def test_the_next_page_is_prepared_for_each_reader_and_served_once(
        server: Server, room: tuple[World, dict[str, httpx.AsyncClient]]) -> None:
    world, c = room
    pdf = make_pdf(PAGES)
    internal = (await upload(server.http, world.token("secretary"), world.meeting_id, pdf,
                             "noi-bo.pdf", confidentiality="internal"))["id"]
    public = (await upload(server.http, world.token("secretary"), world.meeting_id, pdf,
                           "cong-khai.pdf", confidentiality="public"))["id"]
    unmarked = (await page(c["delegate01"], public, 2)).content
    before = await settled(server)
    await page(c["delegate01"], internal, 1)
    await page(c["delegate02"], internal, 1)
    # Page 2 for both readers; there is no page 0.
    ready = await settled(server, before[PREPARED] + 2)
    assert ready[PREPARED] == before[PREPARED] + 2
    one = await page(c["delegate01"], internal, 2)
    two = await page(c["delegate02"], internal, 2)
    served = await metrics(server)
    assert served[SERVED] == before[SERVED] + 2
    assert one.headers["cache-control"] == "no-store"
    # Each reader's own name is burned in: not the other's copy, not the bare page.
    assert one.content != two.content
    for marked in (one.content, two.content):
        assert marked != unmarked
        with Image.open(io.BytesIO(marked)) as image, \
                Image.open(io.BytesIO(unmarked)) as bare:
            assert image.size == bare.size
            assert image.convert("RGB").tobytes() != bare.convert("RGB").tobytes()
    # Served once: asked again, the page is made afresh, not from a copy.
    await settled(server)
    again = await metrics(server)
    await page(c["delegate01"], internal, 2)
    assert (await metrics(server))[SERVED] == again[SERVED]


async def test_a_relabelled_document_is_never_served_from_an_old_preparation(
        server: Server, room: tuple[World, dict[str, httpx.AsyncClient]]) -> None:
    world, c = room
    pdf = make_pdf(PAGES)
    doc = (await upload(server.http, world.token("secretary"), world.meeting_id, pdf,
                        "doi-nhan.pdf", confidentiality="internal"))["id"]
    before = await settled(server)
    await page(c["delegate01"], doc, 1)
    await settled(server, before[PREPARED] + 1)

    async def relabel(label: str) -> None:
        r = await c["secretary"].patch(f"/api/documents/{doc}", json={"confidentiality": label})
        assert r.status_code == 200, r.text

    # Internal to confidential: the copy of page 2 was made under "internal".
    await relabel("confidential")
    ahead = await metrics(server)
    confidential = await page(c["delegate01"], doc, 2)
    assert confidential.headers["cache-control"] == "no-store"
    assert (await metrics(server))[SERVED] == ahead[SERVED]
    # Page 3 is now prepared under "confidential"; then the document goes public.
    await settled(server, ahead[PREPARED] + 1)
    await relabel("public")
    ahead = await metrics(server)
    bare = await page(c["delegate01"], doc, 3)
    assert bare.headers["cache-control"] == "private, max-age=3600"
    assert (await metrics(server))[SERVED] == ahead[SERVED]
    public = (await upload(server.http, world.token("secretary"), world.meeting_id, pdf,
                           "ban-sao.pdf", confidentiality="public"))["id"]
    assert bare.content == (await page(c["delegate02"], public, 3)).content


async def test_a_reader_removed_from_the_meeting_is_refused_though_a_copy_was_made(
        server: Server, room: tuple[World, dict[str, httpx.AsyncClient]]) -> None:
    world, c = room
    doc = (await upload(server.http, world.token("secretary"), world.meeting_id,
                        make_pdf(PAGES), "roi-hop.pdf", confidentiality="internal"))["id"]
    before = await settled(server)
    await page(c["delegate01"], doc, 1)
    await page(c["delegate03"], doc, 1)
    await settled(server, before[PREPARED] + 2)
    r = await c["secretary"].delete(
        f"/api/meetings/{world.meeting_id}/participants/{world.users['delegate03']}")
    assert r.status_code == 200, r.text
    ahead = await metrics(server)
    await page(c["delegate03"], doc, 2, expect=403)
    after = await metrics(server)
    assert after[SERVED] == ahead[SERVED]
    # The copy made for them is let go, and nothing more is made for them.
    assert after[DROPPED] == ahead[DROPPED] + 1
    await page(c["delegate01"], doc, 2)
    done = await settled(server, after[PREPARED] + 2)
    assert done[SERVED] == after[SERVED] + 1
    assert done[PREPARED] == after[PREPARED] + 2  # pages 1 and 3, for delegate01 alone


# The store itself, without a server: bounds and keys.

def reading(user: int, page: int, label: str = "internal") -> Reading:
    return Reading(user_id=user, document_id=7, meeting_id=1, digest="ab" * 32, label=label,
                   mark="full", width=1280, fmt="jpeg", who=(f"Người {user}", "Sở"),
                   page=page, page_count=10)


async def drain(store: PreparedPages) -> None:
    deadline = time.monotonic() + 10
    while store.waiting:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)


async def test_copies_are_bounded_in_memory_and_in_age() -> None:
    now = [0.0]
    made: list[tuple[int, int]] = []

    async def produce(job: Job) -> bytes:
        made.append((job.reading.user_id, job.page))
        return bytes([job.reading.user_id]) * 1000

    store = PreparedPages(produce, memory_bytes=3500, silence=120, clock=lambda: now[0])
    store.start()
    try:
        for user in (1, 2, 3, 4):
            store.read(reading(user, 5))
        await drain(store)
        # Page 6 for each of four readers, then page 4: the newest three fit.
        assert made[:4] == [(1, 6), (2, 6), (3, 6), (4, 6)]
        assert store.prepared == 8 and store.held_bytes == 3000 and store.dropped == 5
        assert store.take(reading(1, 4).key(4)) is None
        assert store.take(reading(4, 4).key(4)) == bytes([4]) * 1000
        assert store.take(reading(4, 4).key(4)) is None  # served once
        # Under another label, the copy is not found.
        assert store.take(reading(3, 4, "confidential").key(4)) is None
        assert store.take(reading(3, 4).key(4)) == bytes([3]) * 1000
        now[0] = 121.0
        assert store.take(reading(2, 4).key(4)) is None  # too old
    finally:
        await store.stop()


async def test_a_refused_reader_is_forgotten_and_nothing_more_is_made() -> None:
    refused = {2}
    made: list[tuple[int, int]] = []

    async def produce(job: Job) -> bytes | None:
        if job.reading.user_id in refused:
            return None
        made.append((job.reading.user_id, job.page))
        return b"x"

    store = PreparedPages(produce)
    store.start()
    try:
        store.read(reading(1, 5))
        store.read(reading(2, 5))
        await drain(store)
        assert made == [(1, 6), (1, 4)]
        made.clear()
        store.read(reading(1, 6))
        await drain(store)
        assert made == [(1, 7), (1, 5)]  # nothing for reader 2
    finally:
        await store.stop()


async def test_a_reader_whose_session_ended_is_refused_though_a_copy_was_made(
        server: Server, room: tuple[World, dict[str, httpx.AsyncClient]]) -> None:
    world, c = room
    doc = (await upload(server.http, world.token("secretary"), world.meeting_id,
                        make_pdf(PAGES), "het-phien.pdf", confidentiality="internal"))["id"]
    before = await settled(server)
    await page(c["delegate02"], doc, 1)
    await settled(server, before[PREPARED] + 1)
    r = await c["delegate02"].post("/api/logout")
    assert r.status_code == 200, r.text
    ahead = await metrics(server)
    await page(c["delegate02"], doc, 2, expect=401)
    assert (await metrics(server))[SERVED] == ahead[SERVED]
