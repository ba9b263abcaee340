"""Group commit (live/rounds.py) against a real PostgreSQL: the intents of a
room that wait together commit in one transaction, each still answered only
once stored, and a refusal or an outage takes down no more than it must."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any

import asyncpg
import pycrdt
import pytest

from collab_server.domain.intents import Change, Context
from collab_server.errors import AppError, Conflict, Unavailable
from collab_server.live.document import LiveDoc
from collab_server.live.names import DocKey, DocKind
from collab_server.live.rounds import Rounds
from collab_server.metrics import Metrics
from collab_server.storage import db
from collab_server.storage.docs import PgDocStore
from tests.conftest import World, build_world


class Room:
    """A room replica, the real store, and the round engine between them."""

    def __init__(self, pool: asyncpg.Pool, world: World) -> None:
        self.world = world
        self.store = PgDocStore(pool)
        self.live = LiveDoc(DocKey(world.meeting_id, DocKind.ROOM), flush_window=0.001,
                            persist=lambda _name, _update: None)
        self.tasks: set[asyncio.Task[None]] = set()
        self.outage = False
        self.rounds = Rounds(self.store, Metrics(), exclusive=self._exclusive,
                             context=self._context, stored=lambda _live: None,
                             spawn=self._spawn)

    @contextlib.asynccontextmanager
    async def _exclusive(self, _live: LiveDoc) -> AsyncIterator[None]:
        if self.outage:
            raise OSError("storage away")
        yield

    def _context(self, live: LiveDoc, conn: Any, doc: pycrdt.Doc) -> Context:
        return Context(live.key.meeting_id, conn.identity, doc, None, None, None,  # type: ignore[arg-type]
                       0, None)  # type: ignore[arg-type]

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def conn(self, who: str) -> Any:
        return SimpleNamespace(identity=SimpleNamespace(user_id=self.world.users[who]))

    def map(self) -> dict[str, Any]:
        return dict(self.live.doc.get("marks", type=pycrdt.Map).to_py() or {})

    async def submit(self, who: str, handler: Any) -> Change | AppError:
        try:
            return await self.rounds.submit(self.live, self.conn(who), handler, {})
        except AppError as exc:
            return exc


def mark(key: str, *, refuse: bool = False, halfway: bool = False,
         write: Callable[[asyncpg.Connection], Any] | None = None) -> Any:
    """A handler that sets marks[key] (reading the marks the round set before
    it), refuses, fails half-way through its change, or writes a domain row."""
    async def handler(ctx: Context, _args: dict[str, Any]) -> Change:
        if refuse:
            raise Conflict("Từ chối.", "Refused.")
        seen = len(ctx.doc.get("marks", type=pycrdt.Map))

        def apply(doc: pycrdt.Doc) -> None:
            doc.get("marks", type=pycrdt.Map)[key] = seen
            if halfway:
                raise Conflict("Hỏng giữa chừng.", "Failed half-way.")

        return Change(apply, "test.mark", {"key": key}, writes=[write] if write else [],
                      result={"key": key})
    return handler


@pytest.fixture
async def room(database_url: str) -> AsyncIterator[Room]:
    world = await build_world(database_url, delegates=40)
    pool = await db.create_pool(database_url)
    try:
        yield Room(pool, world)
    finally:
        await pool.close()


async def stored(room: Room) -> tuple[int, list[str]]:
    """Update rows of the room, and the keys its audit entries name, in order."""
    conn = await asyncpg.connect(room.world.url)
    try:
        rows = await conn.fetchval("SELECT count(*) FROM doc_updates WHERE name = $1",
                                   room.live.name)
        audit = await conn.fetch(
            "SELECT details->>'key' AS key FROM audit_log WHERE action = 'intent.test.mark'"
            " AND target = $1 ORDER BY id", f"meeting:{room.world.meeting_id}")
    finally:
        await conn.close()
    return rows, [r["key"] for r in audit]


def everyone(n: int) -> list[str]:
    return [f"delegate{i:02d}" for i in range(1, n + 1)]


async def test_a_burst_commits_together_each_seeing_the_ones_before(room: Room) -> None:
    people = everyone(40)
    answers = await asyncio.gather(*(room.submit(p, mark(p)) for p in people))
    assert all(isinstance(a, Change) for a in answers), answers
    marks = room.map()
    # Decided one after another: each saw exactly the ones before it.
    assert sorted(marks.values()) == list(range(40))
    assert room.rounds.committed == 40
    assert room.rounds.rounds < 40
    rows, audit = await stored(room)
    assert rows == room.rounds.rounds  # one merged update per transaction
    assert audit == sorted(people, key=lambda p: marks[p])  # in the order decided


async def test_an_intent_refused_by_its_rules_refuses_only_itself(room: Room) -> None:
    people = everyone(6)
    answers = await asyncio.gather(*(
        room.submit(p, mark(p, refuse=p == "delegate03", halfway=p == "delegate05"))
        for p in people))
    assert [type(a) for a in answers] == [Change, Change, Conflict, Change, Conflict, Change]
    # Nothing of the change that failed half-way stayed, in the replica or stored.
    assert set(room.map()) == {"delegate01", "delegate02", "delegate04", "delegate06"}
    _, audit = await stored(room)
    assert audit == ["delegate01", "delegate02", "delegate04", "delegate06"]


async def test_a_rule_of_the_database_refuses_only_its_intent(room: Room) -> None:
    """Two ballots for one member in one round: the database's unique index
    refuses the second; the round goes again one intent at a time and the
    others are committed."""
    conn = await asyncpg.connect(room.world.url)
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS round_once (who text PRIMARY KEY)")
    finally:
        await conn.close()

    def once(who: str) -> Callable[[asyncpg.Connection], Any]:
        async def write(c: asyncpg.Connection) -> None:
            try:
                await c.execute("INSERT INTO round_once VALUES ($1)", who)
            except asyncpg.UniqueViolationError:
                raise Conflict("Đã có.", "Already there.") from None
        return write

    jobs = [("a", "x"), ("b", "y"), ("c", "x"), ("d", "z")]
    answers = await asyncio.gather(*(
        room.submit(f"delegate0{i + 1}", mark(key, write=once(who)))
        for i, (key, who) in enumerate(jobs)))
    assert [type(a) for a in answers] == [Change, Change, Conflict, Change]
    assert set(room.map()) == {"a", "b", "d"}
    _, audit = await stored(room)
    assert sorted(audit) == ["a", "b", "d"]


async def test_storage_away_refuses_the_round_and_shows_nothing(room: Room) -> None:
    room.outage = True
    answers = await asyncio.gather(*(room.submit(p, mark(p)) for p in everyone(5)))
    assert all(isinstance(a, Unavailable) for a in answers)
    assert room.map() == {}
    room.outage = False
    answers = await asyncio.gather(*(room.submit(p, mark(p)) for p in everyone(3)))
    assert all(isinstance(a, Change) for a in answers)
    assert set(room.map()) == set(everyone(3))
