"""What must last: migrations, the update log, compaction, restarts."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncpg
import pycrdt
import pytest

from collab_server.storage import db
from collab_server.storage.docs import PgDocStore
from tests.conftest import Server, build_world, new_database
from tests.yclient import YClient, wait_until


async def test_migrations_apply_once(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        assert await db.migrate(conn) == []
        names = [r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")]
    finally:
        await conn.close()
    assert names == sorted(p.name for p in db.schema_dir().glob("*.sql"))


async def test_compaction_keeps_the_document(pool: asyncpg.Pool) -> None:
    store = PgDocStore(pool)
    doc: pycrdt.Doc[object] = pycrdt.Doc()
    text = doc.get("t", type=pycrdt.Map)
    batch = []
    for i in range(60):
        state = doc.get_state()
        text[f"k{i % 7}"] = f"Quyết định số {i}/QĐ-UBND"
        batch.append(("meeting/1/notes/1/user/1", doc.get_update(state)))
    await store.append(batch)
    assert await store.compact("meeting/1/notes/1/user/1") == 60
    state = doc.get_state()
    text["after"] = "sau khi nén"
    await store.append([("meeting/1/notes/1/user/1", doc.get_update(state))])
    restored: pycrdt.Doc[object] = pycrdt.Doc()
    for update in await store.load("meeting/1/notes/1/user/1"):
        restored.apply_update(update)
    assert restored.get_state() == doc.get_state()
    assert restored.get("t", type=pycrdt.Map).to_py() == text.to_py()
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM doc_updates") == 1
        assert await conn.fetchval("SELECT count(*) FROM doc_snapshots") == 1


async def test_a_document_is_initialized_once(pool: asyncpg.Pool) -> None:
    store = PgDocStore(pool)
    candidates = []
    for i in range(8):
        d: pycrdt.Doc[object] = pycrdt.Doc()
        d.get("m", type=pycrdt.Map)["seed"] = i
        candidates.append(d.get_update())
    results = await asyncio.gather(*(store.initialize("meeting/9/room", u) for u in candidates))
    assert all(r == results[0] for r in results) and len(results[0][0]) == 1
    assert results[0][1] > 0


@pytest.fixture
async def restartable(pg_uri: str, tmp_path: Path) -> Server:
    url = await new_database(pg_uri)
    srv = Server(url, tmp_path, {"PHONGHOP_COMPACT_EVERY": "5"})
    await srv.start()
    yield srv  # type: ignore[misc]
    await srv.stop()


async def test_restart_restores_every_document_exactly(restartable: Server) -> None:
    srv = restartable
    world = await build_world(srv.database_url, delegates=2)
    mid = world.meeting_id
    room = await YClient(srv.ws, f"meeting/{mid}/room", world.token("chair")).connect()
    notes = await YClient(srv.ws, f"meeting/{mid}/notes/{world.documents[0]}",
                          world.token("delegate01")).connect()
    ink = await YClient(srv.ws, f"meeting/{mid}/ink", world.token("chair")).connect()
    for item in world.agenda:
        assert (await room.intent("agenda.goto", {"item": item}))["ok"]
    assert (await room.intent("present.page", {"document": world.documents[1], "page": 3}))["ok"]
    marks = notes.doc.get("marks", type=pycrdt.Array)
    for i in range(23):  # past the compaction threshold several times
        state = notes.doc.get_state()
        marks.append({"page": i % 4 + 1, "text": f"Ghi chú {i}: điều chỉnh dự toán"})
        await notes.send_update(notes.doc.get_update(state))
    state = ink.doc.get_state()
    ink.doc.get("strokes", type=pycrdt.Array).append("M 1 1 L 5 5")
    await ink.send_update(ink.doc.get_update(state))
    await wait_until(lambda: room.map("cursor").get("item") == world.agenda[-1])
    before = {c.url: (c.doc.get_state(), c.doc.get_update()) for c in (room, notes, ink)}
    expected = {
        "room": room.map("presenting"),
        "marks": marks.to_py(),
        "cursor": room.map("cursor"),
    }
    for c in (room, notes, ink):
        await c.close()

    # Compaction runs beside the writes, after the replies: it has happened
    # before the restart (a stop cancels one still under way, which loses
    # nothing: the log it would have squashed is kept).
    conn = await asyncpg.connect(srv.database_url)
    try:
        deadline = time.monotonic() + 15
        while await conn.fetchval("SELECT count(*) FROM doc_snapshots") < 1:
            assert time.monotonic() < deadline, "the notes log should have been compacted"
            await asyncio.sleep(0.05)
    finally:
        await conn.close()
    await srv.stop()
    await srv.start()

    fresh = [YClient(srv.ws, f"meeting/{mid}/room", world.token("delegate02")),
             YClient(srv.ws, f"meeting/{mid}/notes/{world.documents[0]}",
                     world.token("delegate01")),
             YClient(srv.ws, f"meeting/{mid}/ink", world.token("delegate02"))]
    for client, (state, _) in zip(fresh, before.values(), strict=True):
        await client.connect()
        assert client.doc.get_state() == state
    room2, notes2, ink2 = fresh
    assert room2.map("presenting") == expected["room"]
    assert room2.map("cursor") == expected["cursor"]
    assert notes2.doc.get("marks", type=pycrdt.Array).to_py() == expected["marks"]
    assert ink2.doc.get("strokes", type=pycrdt.Array).to_py() == ["M 1 1 L 5 5"]
    for c in fresh:
        await c.close()
    conn = await asyncpg.connect(srv.database_url)
    try:
        snapshots = await conn.fetchval("SELECT count(*) FROM doc_snapshots")
    finally:
        await conn.close()
    assert snapshots >= 1, "the compacted snapshot is kept across the restart"
