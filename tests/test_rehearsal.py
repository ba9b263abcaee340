"""`phonghop rehearsal`: a throwaway copy of a meeting with its own test
accounts on a running server, used as the room would use it, then removed
with nothing left that can sign in, and both steps on the audit record."""

from __future__ import annotations

import re
from pathlib import Path

import asyncpg
import httpx

from load.bench_live import parse_accounts  # the reader of account files locust uses
from tests.browser_support import make_pdf, upload
from tests.conftest import Server, build_world
from tests.test_cli import phonghop


async def rows(url: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def login(server: Server, username: str, password: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.http, timeout=30) as client:
        return await client.post("/api/login", json={"username": username,
                                                    "password": password})


async def test_a_rehearsal_is_made_used_and_removed(server: Server, tmp_path: Path) -> None:
    world = await build_world(server.database_url, delegates=2)
    document = await upload(server.http, world.token("secretary"), world.meeting_id,
                            make_pdf(["Tờ trình diễn tập, trang 1", "trang 2"]), "to-trinh.pdf",
                            title="Tờ trình", confidentiality="internal")
    accounts_file = tmp_path / "accounts.txt"
    common = ("--database-url", server.database_url, "--data-dir", str(tmp_path))

    code, out = await phonghop(*common, "rehearsal", "create", "--meeting",
                               str(world.meeting_id), "--people", "6",
                               "--accounts", str(accounts_file))
    assert code == 0, out
    drill = re.search(r"buổi diễn tập (dt[0-9a-f]{6})", out)
    assert drill, out
    prefix = f"{drill.group(1)}-"
    assert f"PREFIX={prefix}" in out
    assert accounts_file.stat().st_mode & 0o077 == 0  # the owner's alone
    accounts = parse_accounts(accounts_file.read_text(encoding="utf-8"))
    assert set(accounts) == {f"{prefix}{n}" for n in ("chutoa", "thuky", "manhinh",
                                                       *(f"delegate{i:02d}" for i in range(1, 6)))}
    assert len(set(accounts.values())) == len(accounts)  # a password each

    # Used as the room uses it: a delegate signs in, finds the copy, reads a page.
    r = await login(server, f"{prefix}delegate03", accounts[f"{prefix}delegate03"])
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    async with httpx.AsyncClient(base_url=server.http, timeout=30,
                                 headers={"authorization": f"Bearer {token}"}) as client:
        meetings = (await client.get("/api/meetings")).json()["meetings"]
        assert [m["title"] for m in meetings] == ["[Diễn tập] Họp giao ban tuần"]
        copy = meetings[0]["id"]
        docs = (await client.get(f"/api/meetings/{copy}/documents")).json()["documents"]
        assert [d["title"] for d in docs] == ["Tài liệu 1", "Tài liệu 2", "Tờ trình"]
        page = await client.get(f"/api/documents/{docs[2]['id']}/pages/2?w=laptop")
        assert page.status_code == 200 and page.content[:4] == b"RIFF"
        # The rehearsal's people see nothing of the real meeting.
        real = await client.get(f"/api/documents/{document['id']}/pages/1?w=laptop")
        assert real.status_code in (403, 404)

    code, out = await phonghop(*common, "rehearsal", "remove", drill.group(1))
    assert code == 0, out
    for username, password in accounts.items():
        assert (await login(server, username, password)).status_code == 401
    assert await rows(server.database_url,
                      "SELECT id FROM users WHERE username LIKE $1 OR (is_active AND body_id ="
                      " (SELECT id FROM bodies WHERE code = $2))", f"{prefix}%",
                      drill.group(1)) == []
    assert await rows(server.database_url, "SELECT id FROM meetings WHERE id = $1", copy) == []
    assert await rows(server.database_url, "SELECT 1 FROM sessions s JOIN users u"
                      " ON u.id = s.user_id JOIN bodies b ON b.id = u.body_id"
                      " WHERE b.code = $1", drill.group(1)) == []
    actions = [r["action"] for r in await rows(
        server.database_url, "SELECT action FROM audit_log WHERE action LIKE 'rehearsal.%'"
        " AND details->>'code' = $1 ORDER BY id", drill.group(1))]
    assert actions == ["rehearsal.create", "rehearsal.remove"]
    # The real meeting and its document are untouched.
    still = await rows(server.database_url, "SELECT id FROM documents WHERE meeting_id = $1",
                       world.meeting_id)
    assert int(document["id"]) in {r["id"] for r in still}


async def test_only_a_rehearsal_can_be_removed(server: Server, tmp_path: Path) -> None:
    world = await build_world(server.database_url, delegates=1, code="so-that")
    common = ("--database-url", server.database_url, "--data-dir", str(tmp_path))
    code, out = await phonghop(*common, "rehearsal", "remove", "so-that")
    assert code == 2 and "không phải buổi diễn tập" in out, out
    left = await rows(server.database_url, "SELECT id FROM meetings WHERE id = $1",
                      world.meeting_id)
    assert len(left) == 1
    code, out = await phonghop(*common, "rehearsal", "create", "--meeting", "999999999")
    assert code == 2 and "Không có cuộc họp" in out, out
