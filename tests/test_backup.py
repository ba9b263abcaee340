"""The backup drill: a meeting held in full is backed up with `phonghop
backup`, restored with `phonghop restore` into a fresh database and data
folder, and the restored system serves it as it was."""

from __future__ import annotations

import asyncio
import os
import sys
import tarfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pycrdt
import pytest

from collab_server.documents.annotate import notes_root, strokes_root
from collab_server.domain import room
from tests.conftest import ROOT, Server, World, build_world, new_database
from tests.test_annotations import append, note, pen, write
from tests.test_documents import make_pdf
from tests.yclient import YClient

ROOM_MAPS = (room.MEETING, room.CURSOR, room.PRESENTING, room.PEOPLE, room.SETTINGS,
             room.SESSION, room.AGENDA_TIMES, room.ATTENDANCE, room.QUORUM, room.SPEAKERS,
             room.FLOOR, room.DISPLAY)
MINUTES = "BIÊN BẢN\nCuộc họp thông qua dự toán ngân sách năm 2027.\nCuộc họp kết thúc vào 11 giờ."


async def phonghop(*args: str, env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "collab_server", "--log-format", "text", *args,
        cwd=ROOT, env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(process.communicate(), 300)
    return process.returncode or 0, out.decode()


async def ok(client: YClient, kind: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    reply = await client.intent(kind, args or {})
    assert reply["ok"], (kind, reply)
    result: dict[str, Any] = reply["result"] or {}
    return result


@dataclass
class Held:
    world: World
    document: int
    secret_poll: int


async def hold_a_meeting(server: Server) -> Held:
    """Documents, a page view, a session with named and secret ballots,
    personal notes, and approved minutes."""
    world = await build_world(server.database_url, delegates=3)
    mid = world.meeting_id
    headers = {"authorization": f"Bearer {world.token('secretary')}"}
    async with httpx.AsyncClient(base_url=server.http, headers=headers, timeout=60) as http:
        r = await http.post(f"/api/meetings/{mid}/documents",
                            content=make_pdf(["Dự toán ngân sách tỉnh Quảng Bình.", "Trang hai."]),
                            # Public: its pages carry no watermark with the time of
                            # reading, so both systems' renders compare byte for byte.
                            params={"filename": "du-toan.pdf", "title": "Dự toán 2027",
                                    "confidentiality": "public"})
        assert r.status_code == 201, r.text
        document = int(r.json()["document"]["id"])
    who = ("chair", "secretary", "delegate01", "delegate02", "delegate03")
    c = dict(zip(who, await asyncio.gather(*(
        YClient(server.ws, f"meeting/{mid}/room", world.token(w), device=f"may-{w}").connect()
        for w in who)), strict=True))
    await ok(c["chair"], "agenda.goto", {"item": world.agenda[0]})
    await ok(c["chair"], "session.open")
    for w in ("chair", "delegate01", "delegate02", "delegate03"):
        await ok(c[w], "attendance.check_in")
    await ok(c["chair"], "present.page", {"document": document, "page": 1})
    named = (await ok(c["chair"], "poll.open", {"question": "Thông qua dự toán?",
                                                "kind": "named",
                                                "rule": "present_majority"}))["poll"]
    for w, choice in (("chair", 0), ("delegate01", 0), ("delegate02", 1)):
        await ok(c[w], "vote.cast", {"poll": named, "choice": choice})
    await ok(c["chair"], "poll.close", {"poll": named})
    secret = (await ok(c["chair"], "poll.open", {"question": "Bầu Trưởng ban?",
                                                 "kind": "secret",
                                                 "rule": "present_majority"}))["poll"]
    for w, choice in (("chair", 0), ("delegate01", 1), ("delegate02", 1), ("delegate03", 2)):
        await ok(c[w], "vote.cast", {"poll": secret, "choice": choice})
    await ok(c["chair"], "poll.close", {"poll": secret})
    notes = await YClient(server.ws, f"meeting/{mid}/notes/{document}",
                          world.token("delegate01")).connect()
    await write(notes, append(strokes_root(1), pen("s1", 0.1, 0.1, 0.4, 0.2)),
                append(notes_root(1), note("n1", 0.2, 0.3, "Bổ sung số liệu quý IV, ạ ả ậ")))
    await ok(c["chair"], "session.close")
    await asyncio.gather(notes.close(), *(client.close() for client in c.values()))
    headers = {"authorization": f"Bearer {world.token('chair')}"}
    async with httpx.AsyncClient(base_url=server.http, headers=headers, timeout=60) as http:
        r = await http.post(f"/api/meetings/{mid}/minutes/approve", json={"text": MINUTES})
        assert r.status_code == 201, r.text
    return Held(world, document, secret)


@dataclass
class Seen:
    """What a system serves of the held meeting."""

    original: bytes
    page: bytes
    room: dict[str, Any]
    room_state: bytes
    notes: dict[str, Any]
    minutes: Any
    polls: Any


async def seen(server: Server, held: Held) -> Seen:
    w, mid = held.world, held.world.meeting_id

    async def replica(path: str, who: str) -> pycrdt.Doc:
        client = await YClient(server.ws, path, w.token(who)).connect()
        await client.close()
        return client.doc

    def as_secretary(who: str = "secretary") -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=server.http, timeout=60,
                                 headers={"authorization": f"Bearer {w.token(who)}"})

    async with as_secretary() as http:
        original = await http.get(f"/api/documents/{held.document}/original")
        minutes = await http.get(f"/api/meetings/{mid}/minutes")
        polls = await http.get(f"/api/meetings/{mid}/polls")
    async with as_secretary("delegate02") as http:
        page = await http.get(f"/api/documents/{held.document}/pages/2")
    for r in (original, minutes, polls, page):
        assert r.status_code == 200, (r.url, r.text[:300])
    room_doc = await replica(f"meeting/{mid}/room", "delegate02")
    notes_doc = await replica(f"meeting/{mid}/notes/{held.document}", "delegate01")
    shown = {name: room_doc.get(name, type=pycrdt.Map).to_py() for name in ROOM_MAPS}
    shown[room.AGENDA] = room_doc.get(room.AGENDA, type=pycrdt.Array).to_py()
    notes = {name: notes_doc.get(name, type=pycrdt.Array).to_py()
             for name in (strokes_root(1), notes_root(1))}
    return Seen(original.content, page.content, shown, room_doc.get_state(), notes,
                minutes.json(), polls.json())


@pytest.fixture
async def restored_server(pg_uri: str, tmp_path: Path) -> AsyncIterator[Server]:
    srv = Server(await new_database(pg_uri), tmp_path / "restored")
    srv.workdir.mkdir()
    yield srv
    await srv.stop()


async def test_a_backup_restores_into_a_system_that_serves_the_meeting_as_it_was(
        server: Server, restored_server: Server, tmp_path: Path) -> None:
    held = await hold_a_meeting(server)
    before = await seen(server, held)
    assert before.notes[notes_root(1)][0]["text"].startswith("Bổ sung")

    out = tmp_path / "backup"
    code, text = await phonghop("--database-url", server.database_url, "--data-dir",
                                str(server.workdir), "backup", "--out", str(out), env={})
    assert code == 0, text
    dump, = out.glob("*.dump")
    keys, = out.glob("*.keys.tar")
    assert keys.stat().st_mode & 0o077 == 0 and dump.stat().st_mode & 0o077 == 0
    with tarfile.open(keys) as tar:
        names = set(tar.getnames())
    held_keys = {f"keys/{p.name}" for p in (server.workdir / "keys").glob("*.key")}
    assert held_keys <= names and "DUMP.sha256" in names, names

    # The pair must match, and the target must be empty.
    target = restored_server
    code, text = await phonghop("--database-url", server.database_url, "--data-dir",
                                str(target.workdir), "restore", str(dump), str(keys), env={})
    assert code == 2 and "not empty" in text, text
    code, text = await phonghop("--database-url", target.database_url, "--data-dir",
                                str(target.workdir), "restore", str(dump), str(keys), env={})
    assert code == 0, text
    assert "toàn vẹn" in text, text

    await target.start()
    after = await seen(target, held)
    assert after.original == before.original
    assert after.page == before.page
    assert after.room == before.room and after.room_state == before.room_state
    assert after.notes == before.notes
    assert after.minutes == before.minutes and after.polls == before.polls

    # The secret poll: counts kept, and no stored row names who chose what.
    conn = await asyncpg.connect(target.database_url)
    try:
        named_choices = await conn.fetchval(
            "SELECT count(*) FROM poll_ballots WHERE poll_id = $1 AND choice IS NOT NULL",
            held.secret_poll)
        choices = sorted(r["choice"] for r in await conn.fetch(
            "SELECT choice FROM poll_secret_choices WHERE poll_id = $1", held.secret_poll))
    finally:
        await conn.close()
    assert named_choices == 0 and choices == [0, 1, 1, 2]


async def test_restore_refuses_keys_of_another_backup(server: Server, tmp_path: Path,
                                                      pg_uri: str) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    code, text = await phonghop("--database-url", server.database_url, "--data-dir",
                                str(server.workdir), "backup", "--out", str(first), env={})
    assert code == 0, text
    conn = await asyncpg.connect(server.database_url)
    try:
        await conn.execute("INSERT INTO bodies (code, name) VALUES ('khac', 'Cơ quan khác')")
    finally:
        await conn.close()
    code, text = await phonghop("--database-url", server.database_url, "--data-dir",
                                str(server.workdir), "backup", "--out", str(second), env={})
    assert code == 0, text
    dump, = second.glob("*.dump")
    keys, = first.glob("*.keys.tar")
    target = tmp_path / "target"
    code, text = await phonghop("--database-url", await new_database(pg_uri), "--data-dir",
                                str(target), "restore", str(dump), str(keys), env={})
    assert code == 1 and "another database backup" in text, text
    assert not (target / "keys").exists()
