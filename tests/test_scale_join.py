"""What many meetings at once share: the answers every joiner gets are
encoded once per state of the document, a socket's writer waits without an
Event, and a room's section across processes holds one pooled connection."""

from __future__ import annotations

import asyncio

import asyncpg
import pycrdt

from collab_server.live.connection import Connection, ConnectionLimits, Identity
from collab_server.live.document import LiveDoc
from collab_server.live.names import DocKey, DocKind
from collab_server.protocol import SyncStep2, decode
from collab_server.storage import db
from collab_server.storage.docs import PgDocStore

EMPTY_STATE = b"\x00"


class Sink:
    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.closed: tuple[int, str] | None = None

    async def send(self, data: bytes) -> None:
        self.frames.append(data)

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


def live_doc() -> LiveDoc:
    return LiveDoc(DocKey(1, DocKind.ROOM), flush_window=0.005, persist=lambda n, u: None)


def cursor_of(frame: bytes) -> object:
    message = decode(frame)
    assert isinstance(message, SyncStep2)
    replica: pycrdt.Doc = pycrdt.Doc()
    replica.apply_update(message.update)
    return replica.get("cursor", type=pycrdt.Map).get("item")


async def test_joiners_share_one_answer_until_the_document_changes() -> None:
    live = live_doc()
    live.doc.get("cursor", type=pycrdt.Map)["item"] = 1
    first = live.step2_for(EMPTY_STATE)
    assert live.step2_for(EMPTY_STATE) is first  # encoded once for every joiner
    assert cursor_of(first) == 1
    live.doc.get("cursor", type=pycrdt.Map)["item"] = 2
    after = live.step2_for(EMPTY_STATE)
    assert after is not first and cursor_of(after) == 2  # never a stale document
    # Another state vector gets its own answer: what it lacks, nothing more.
    known = live.doc.get_state()
    assert live.step2_for(known) != after
    assert cursor_of(live.step2_for(known)) is None
    assert cursor_of(live.step2_for(EMPTY_STATE)) == 2


async def test_the_sync_step_1_follows_the_state() -> None:
    live = live_doc()
    a, b = Sink(), Sink()
    conn_a = Connection(a, Identity(1, "A", "delegate", "x"), ConnectionLimits())
    conn_b = Connection(b, Identity(2, "B", "delegate", "x"), ConnectionLimits())
    conn_a.start()
    conn_b.start()
    live.attach(conn_a)
    live.doc.get("cursor", type=pycrdt.Map)["item"] = 3
    live.attach(conn_b)
    await asyncio.wait_for(conn_a.finish(), 2)
    await asyncio.wait_for(conn_b.finish(), 2)
    assert a.frames[0] != b.frames[0]
    assert b.frames[0][2:] != b"\x01\x00"  # the second joiner's step 1 names the change


async def test_a_close_with_drain_sends_the_backlog_first() -> None:
    sink = Sink()
    conn = Connection(sink, Identity(1, "A", "delegate", "x"), ConnectionLimits())
    conn.start()
    await asyncio.sleep(0)  # the writer is waiting for a frame
    for n in range(5):
        assert conn.send(bytes([n]))
    conn.close(1000, "bye", drain=True)
    await asyncio.wait_for(conn.finish(), 3)
    assert sink.frames == [bytes([n]) for n in range(5)]
    assert sink.closed == (1000, "bye")
    assert not conn.send(b"late")


async def test_a_close_without_drain_drops_the_backlog() -> None:
    gate = asyncio.Event()

    class Stuck(Sink):
        async def send(self, data: bytes) -> None:
            await gate.wait()  # the peer takes nothing
            self.frames.append(data)

    sink = Stuck()
    conn = Connection(sink, Identity(1, "A", "delegate", "x"), ConnectionLimits())
    conn.start()
    for n in range(3):
        conn.send(bytes([n]))
    await asyncio.sleep(0.01)  # the first frame is being sent
    conn.close(1013, "slow")
    gate.set()
    await asyncio.wait_for(conn.finish(), 3)
    assert sink.frames in ([], [b"\x00"])  # what was queued behind it is gone
    assert sink.closed == (1013, "slow")


async def test_sections_of_many_rooms_need_one_connection_each(database_url: str) -> None:
    """Rooms served by several processes commit each intent in a section
    holding one pooled connection; catching up there must not ask for a
    second, or as many sections as the pool has connections wait on each
    other until their leases end."""
    pool = await db.create_pool(database_url, min_size=1, max_size=3)
    store = PgDocStore(pool)
    names = [f"meeting/{n}/room" for n in range(1, 4)]
    for name in names:
        doc: pycrdt.Doc = pycrdt.Doc()
        doc.get("cursor", type=pycrdt.Map)["item"] = 1
        await store.append([(name, doc.get_update())])
    inside = asyncio.Barrier(len(names))

    async def section(name: str) -> int:
        async with store.exclusive(name):
            await inside.wait()  # every connection of the pool is held now
            # (within the 3 s lease, after which PostgreSQL ends a section)
            updates, last = await store.since(name, 0)
            return len(updates) if last else -1

    try:
        assert await asyncio.wait_for(asyncio.gather(*(section(n) for n in names)), 2.5) \
            == [1, 1, 1]
    finally:
        await pool.close()


async def test_catching_up_brings_the_snapshot_after_compaction(pool: asyncpg.Pool) -> None:
    store = PgDocStore(pool)
    name = "meeting/1/room"
    doc: pycrdt.Doc = pycrdt.Doc()
    cursor = doc.get("cursor", type=pycrdt.Map)
    replica: pycrdt.Doc = pycrdt.Doc()
    seen = 0
    for item in range(1, 5):
        state = doc.get_state()
        cursor["item"] = item
        await store.append([(name, doc.get_update(state))])
        if item == 2:  # a process that saw the first two rows
            updates, seen = await store.since(name, 0)
            for update in updates:
                replica.apply_update(update)
    assert await store.compact(name) == 4  # rows 3 and 4 now live in the snapshot only
    state = doc.get_state()
    cursor["item"] = 9
    await store.append([(name, doc.get_update(state))])
    updates, last = await store.since(name, seen)
    assert last > seen
    for update in updates:
        replica.apply_update(update)
    assert replica.get_state() == doc.get_state()
    assert replica.get("cursor", type=pycrdt.Map).get("item") == 9
