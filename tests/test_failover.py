"""PostgreSQL restarting under a running meeting: requests fail clearly or
wait, nothing acknowledged is lost, and the server recovers by itself."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import httpx
import pycrdt
import pytest

from collab_server.storage import db
from tests.conftest import OwnPostgres, Server, build_world, new_database
from tests.yclient import YClient, wait_until


@pytest.fixture
async def pg(own_postgres: OwnPostgres) -> OwnPostgres:
    """The stoppable PostgreSQL, running as the test starts (a test that
    failed with it stopped does not fail the next one too)."""
    if not await own_postgres.running():
        await asyncio.to_thread(own_postgres.start)
    return own_postgres


async def migrated(pg: OwnPostgres) -> str:
    """A database of this test alone on `pg`, every migration applied."""
    url = await new_database(pg.server.get_uri("postgres"))
    conn = await asyncpg.connect(url)
    try:
        await db.migrate(conn)
    finally:
        await conn.close()
    return url


async def serving(url: str, tmp_path: Path, env: dict[str, str], name: str = "srv") -> Server:
    """A server on `url` (a database on the stoppable PostgreSQL), started."""
    server = Server(url, tmp_path / name, dict(env))
    server.workdir.mkdir()
    await server.start()
    return server


async def test_postgres_restart_under_a_meeting(pg: OwnPostgres, tmp_path: Path) -> None:
    server = await serving(await migrated(pg), tmp_path, {})
    url = server.database_url
    try:
        world = await build_world(url, delegates=2)
        room = f"meeting/{world.meeting_id}/room"
        chair = await YClient(server.ws, room, world.token("chair")).connect()
        notes = await YClient(server.ws, f"meeting/{world.meeting_id}/notes/"
                              f"{world.documents[0]}", world.token("delegate01")).connect()
        assert (await chair.intent("agenda.goto", {"item": world.agenda[1]}))["ok"]

        await asyncio.to_thread(pg.stop)
        refused = await chair.intent("agenda.goto", {"item": world.agenda[2]}, timeout=40)
        assert not refused["ok"] and refused["error"]["code"] == "unavailable"
        # Nothing changed for anyone.
        assert chair.map("cursor")["item"] == world.agenda[1]
        # A note written while the database is away waits in the server's memory.
        marks = notes.doc.get("marks", type=pycrdt.Array)
        marks.append("ghi trong lúc mất cơ sở dữ liệu")
        await notes.send_update(notes.doc.get_update())
        assert not chair.closed.is_set()

        await asyncio.to_thread(pg.start)
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            reply = await chair.intent("agenda.goto", {"item": world.agenda[2]}, timeout=40)
            if reply["ok"]:
                break
            assert reply["error"]["code"] == "unavailable"
            assert asyncio.get_running_loop().time() < deadline, "the server did not recover"
            await asyncio.sleep(0.5)
        await wait_until(lambda: chair.map("cursor").get("item") == world.agenda[2])
        await chair.close()
        await notes.close()
    finally:
        await server.stop()
    # After a restart of the server, the note written during the outage is there.
    await server.start()
    try:
        again = await YClient(server.ws, f"meeting/{world.meeting_id}/notes/"
                              f"{world.documents[0]}", world.token("delegate01")).connect()
        assert again.doc.get("marks", type=pycrdt.Array).to_py() == [
            "ghi trong lúc mất cơ sở dữ liệu"]
        room_again = await YClient(server.ws, room, world.token("delegate02")).connect()
        assert room_again.map("cursor")["item"] == world.agenda[2]
        await again.close()
        await room_again.close()
    finally:
        await server.stop()


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
                found.add(int(entry.name))
    return found


async def test_a_killed_server_leaves_no_worker_behind(database_url: str,
                                                         tmp_path: Path) -> None:
    srv = Server(database_url, tmp_path)
    await srv.start()
    assert srv.process is not None
    pid = srv.process.pid
    # The render workers start with the server.
    await wait_until(lambda: len(_children(pid)) >= 2, timeout=30)
    workers = _children(pid)
    await srv.stop(kill=True)
    await wait_until(lambda: not any(Path(f"/proc/{w}").exists() for w in workers),
                     timeout=10)


async def test_http_answers_503_with_the_error_shape_while_postgres_is_down(
        pg: OwnPostgres, tmp_path: Path) -> None:
    server = await serving(await migrated(pg), tmp_path, {})
    url = server.database_url
    world = await build_world(url, delegates=1)
    headers = {"authorization": f"Bearer {world.token('secretary')}"}
    routes = ("/api/me", "/api/meetings", f"/api/meetings/{world.meeting_id}",
              f"/api/meetings/{world.meeting_id}/documents", "/api/search?q=ngan+sach")
    try:
        async with httpx.AsyncClient(base_url=server.http, headers=headers,
                                     timeout=40) as http:
            for route in routes:
                assert (await http.get(route)).status_code == 200, route
            await asyncio.to_thread(pg.stop)
            for route in routes:
                r = await http.get(route)
                assert r.status_code == 503, (route, r.status_code, r.text[:200])
                assert r.json()["error"]["code"] == "unavailable", route
            r = await http.post("/api/login", json={"username": "x", "password": "y" * 12})
            assert r.status_code == 503 and r.json()["error"]["code"] == "unavailable"
            health = await http.get("/-/health")
            assert health.status_code == 503
            assert health.json()["database"]["status"] == "down", health.text
            assert "Exception in ASGI application" not in server.log_text()

            await asyncio.to_thread(pg.start)
            back = asyncio.get_running_loop().time()
            while (await http.get("/api/meetings")).status_code != 200:
                assert asyncio.get_running_loop().time() - back < 10, "not back"
                await asyncio.sleep(0.1)
    finally:
        await server.stop()
