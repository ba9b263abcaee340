"""A stock Yjs client from npm (yjs, y-websocket's WebsocketProvider, ws),
unmodified, against the real server: it must read the room, follow the
cursor, be refused when it writes, and share presence, knowing nothing but
docs/protocol.md. The client is tests/interop/sync_room.mjs under Node."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import time
from typing import Any

import pycrdt
import pytest

from collab_server.domain import room as room_doc
from tests.conftest import ROOT, Server, World
from tests.yclient import YClient, wait_until

INTEROP = ROOT / "tests" / "interop"
SCRIPT = INTEROP / "sync_room.mjs"
EVENT_TIMEOUT = 10.0


def _require_node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is not installed: the interop test needs `node` (>= 18) on PATH.")
    if not (INTEROP / "node_modules" / "y-websocket").is_dir():
        pytest.fail(
            "tests/interop/node_modules is missing: run `npm ci --prefix tests/interop` "
            "(the Makefile's test target does it)."
        )
    return node


class StockClient:
    """`node sync_room.mjs` as a subprocess: JSON events on stdout, and stdin
    held open for as long as the client should stay connected (--hold)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.events: list[dict[str, Any]] = []

    @classmethod
    async def start(cls, server: Server, doc: str, token: str, *args: str) -> StockClient:
        node = _require_node()
        process = await asyncio.create_subprocess_exec(
            node, str(SCRIPT), "--url", f"{server.ws}/ws", "--doc", doc, f"--token={token}",
            "--timeout", str(EVENT_TIMEOUT), *args,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, cwd=INTEROP,
        )
        return cls(process)

    async def expect(self, event: str, timeout: float = EVENT_TIMEOUT) -> dict[str, Any]:
        """The next event, which must be `event`."""
        assert self.process.stdout is not None
        try:
            line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        except TimeoutError:
            line = b""
        if not line:
            raise AssertionError(f"stock client gave no '{event}' event{await self._story()}")
        got: dict[str, Any] = json.loads(line)
        self.events.append(got)
        if got["event"] != event:
            raise AssertionError(f"expected '{event}', got {got}{await self._story()}")
        return got

    async def finish(self, timeout: float = EVENT_TIMEOUT) -> int:
        """Close stdin (ends --hold) and wait for the exit code."""
        assert self.process.stdin is not None
        if not self.process.stdin.is_closing():
            self.process.stdin.close()
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
        with contextlib.suppress(ProcessLookupError):
            await self.process.wait()
        if self.process.stdin is not None:
            self.process.stdin.close()

    async def _story(self) -> str:
        await self.kill()
        assert self.process.stderr is not None and self.process.stdout is not None
        rest = (await self.process.stdout.read()).decode(errors="replace")
        err = (await self.process.stderr.read()).decode(errors="replace")
        return (f"\nexit {self.process.returncode}; events so far {self.events}"
                f"\nstdout: {rest[-2000:]}\nstderr: {err[-2000:]}")


@contextlib.asynccontextmanager
async def stock(server: Server, doc: str, token: str, *args: str) -> Any:
    client = await StockClient.start(server, doc, token, *args)
    try:
        yield client
    finally:
        await client.kill()


def room_path(world: World) -> str:
    return f"meeting/{world.meeting_id}/room"


async def python_client(server: Server, world: World, who: str, path: str | None = None
                        ) -> YClient:
    return await YClient(server.ws, path or room_path(world), world.token(who),
                         device="pycrdt").connect()


async def test_stock_client_reads_the_room(server: Server, world: World) -> None:
    ours = await python_client(server, world, "secretary")
    try:
        async with stock(server, room_path(world), world.token("display")) as node:
            synced = await node.expect("synced")
            assert await node.finish() == 0
    finally:
        await ours.close()
    seen = synced["room"]
    assert seen["meeting"]["id"] == world.meeting_id
    assert seen["meeting"]["title"] == "Họp giao ban tuần"
    assert [item["id"] for item in seen["agenda"]] == world.agenda
    assert seen["agenda"][0]["title"] == "Nội dung 1: Quảng Bình"
    assert set(seen["cursor"]) == {"item", "since"}
    assert set(seen["presenting"]) >= {"presenter", "document", "page", "zoom", "since"}
    # Yjs and pycrdt replicas agree on every root, Vietnamese text included.
    assert seen == room_doc.snapshot(ours.doc)


async def test_stock_client_follows_the_cursor(server: Server, world: World) -> None:
    chair = await python_client(server, world, "chair")
    try:
        current = room_doc.cursor_item(chair.doc)
        target = next(item for item in reversed(world.agenda) if item != current)
        async with stock(server, room_path(world), world.token("delegate01"),
                         "--wait-cursor", str(target)) as node:
            before = await node.expect("synced")
            assert before["room"]["cursor"]["item"] == current
            started = time.monotonic()
            reply = await chair.intent("agenda.goto", {"item": target})
            assert reply["ok"], reply
            after = await node.expect("cursor")
            followed_in = time.monotonic() - started
            assert await node.finish() == 0
    finally:
        await chair.close()
    assert after["room"]["cursor"]["item"] == target
    assert isinstance(after["room"]["cursor"]["since"], int | float)
    assert followed_in < 5.0


@pytest.mark.parametrize("who", ["chair", "delegate02"])
async def test_stock_client_is_refused_when_it_writes_the_room(
    server: Server, world: World, who: str
) -> None:
    async with stock(server, room_path(world), world.token(who), "--write",
                     "--expect-close") as node:
        await node.expect("synced")
        wrote = await node.expect("wrote")
        closed = await node.expect("closed")
        assert await node.finish() == 0
    assert closed["code"] == 4403
    assert closed["denied"] == ["read-only document"]
    # 44xx tells a stock client not to come back; it connected exactly once.
    assert closed["would_reconnect"] is False
    assert closed["attempts"] == 1
    # The edit never reached the server's replica.
    check = await python_client(server, world, "secretary")
    try:
        assert wrote["key"] not in (check.doc.get("probe", type=pycrdt.Map).to_py() or {})
        assert room_doc.snapshot(check.doc)["agenda"] == closed["room"]["agenda"]
    finally:
        await check.close()


@pytest.mark.parametrize(("who", "code"), [("outsider", 4403), (None, 4401)])
async def test_stock_client_refused_at_connect(
    server: Server, world: World, who: str | None, code: int
) -> None:
    token = world.token(who) if who else "not-a-session"
    async with stock(server, room_path(world), token, "--expect-close") as node:
        closed = await node.expect("closed")
        assert await node.finish() == 0
    assert closed["code"] == code
    assert closed["would_reconnect"] is False
    assert closed["attempts"] == 1
    assert closed["room"]["agenda"] == []


async def test_awareness_is_shared_and_stamped_both_ways(server: Server, world: World) -> None:
    ours = await python_client(server, world, "delegate03")
    forged = {"id": world.users["chair"], "name": "Giả mạo", "role": "chair"}
    state = {"status": "đang đọc", "user": forged}
    try:
        await ours.set_awareness(424242, 1, {"status": "python", "user": forged})
        async with stock(server, room_path(world), world.token("delegate04"),
                         "--awareness", json.dumps(state, ensure_ascii=False),
                         "--wait-awareness-user", str(world.users["delegate03"]),
                         "--hold") as node:
            synced = await node.expect("synced")
            theirs = synced["client_id"]
            await wait_until(lambda: (ours.awareness.get(theirs) or {}).get("status") == "đang đọc",
                             EVENT_TIMEOUT, "the stock client's awareness")
            # The server replaced the forged `user` with the authenticated person.
            assert (ours.awareness.get(theirs) or {})["user"] == {
                "id": world.users["delegate04"], "name": "Người delegate04",
                "role": "delegate", "device": "yjs-interop",
            }
            # And the stock client sees ours stamped the same way.
            seen = (await node.expect("awareness"))["states"]
            mine = next(s for s in seen if s["client_id"] == 424242)
            assert mine["status"] == "python"
            assert mine["user"] == {"id": world.users["delegate03"], "name": "Người delegate03",
                                    "role": "delegate", "device": "pycrdt"}
            assert await node.finish() == 0
            # Gone when the stock client leaves.
            await wait_until(lambda: ours.awareness.get(theirs, {}) is None, EVENT_TIMEOUT,
                             "the stock client's awareness to be removed")
    finally:
        await ours.close()


async def test_stock_client_writes_its_own_notes(server: Server, world: World) -> None:
    path = f"meeting/{world.meeting_id}/notes/{world.documents[0]}"
    same_person = await python_client(server, world, "delegate05", path)
    someone_else = await python_client(server, world, "delegate01", path)
    try:
        async with stock(server, path, world.token("delegate05"), "--write", "--hold") as node:
            await node.expect("synced")
            key = (await node.expect("wrote"))["key"]
            probe = same_person.doc.get("probe", type=pycrdt.Map)
            await wait_until(lambda: key in probe, EVENT_TIMEOUT, "the note on the same person")
            assert probe[key]["by"] == "yjs"
            assert await node.finish() == 0
        assert node.events[-1]["event"] == "wrote"  # no close: the write was accepted
        assert someone_else.doc.get("probe", type=pycrdt.Map).to_py() in (None, {})
    finally:
        await same_person.close()
        await someone_else.close()
