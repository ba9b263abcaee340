"""What an operator with the database does to the audit chain and to approved
minutes, and `phonghop audit verify` naming each change.

The operator here is the database's superuser, as a DBA is: able to switch
the tables' triggers off and to recompute every SHA-256. What they do not
hold is the audit key in the server's keys folder, nor the chain heads the
server exported to its data folder (collab_server/storage/audit.py)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from collab_server import keys
from collab_server.storage import audit, audit_heads
from tests.conftest import Server, World, audit_verify, build_world, new_database

INSERT = "INSERT INTO audit_log (action, target) VALUES ($1, $2)"
ENTRY = ("SELECT seq, id, at, actor_id, action, target, ip, details::text AS details, prev_hash"
         " FROM audit_log WHERE seq IS NOT NULL ORDER BY seq")


async def _entries(url: str, n: int) -> None:
    conn = await asyncpg.connect(url)
    try:
        for k in range(n):
            await conn.execute(INSERT, "test.entry", f"meeting:{k}")
    finally:
        await conn.close()


async def _operator(url: str, *statements: str) -> None:
    """SQL run with the table's triggers off, as the owner or a superuser can."""
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
            for statement in statements:
                await conn.execute(statement)
            await conn.execute("ALTER TABLE audit_log ENABLE TRIGGER USER")
    finally:
        await conn.close()


def _sha256_chain(row: asyncpg.Record, prev: bytes | None) -> bytes:
    """The chain's public algorithm before it was keyed: anyone can run it."""
    at = row["at"].astimezone(audit.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return audit.entry_hash(row["seq"], row["id"], at, row["actor_id"], row["action"],
                            row["target"], row["ip"], row["details"], prev)


async def _recompute_from(url: str, seq: int, mac: bytes | None = None) -> None:
    """Recompute every hash from `seq` on, with SHA-256 or, for an operator who
    also took the key, with it."""
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
            prev: bytes | None = None
            for row in await conn.fetch(
                    ENTRY.replace("prev_hash", "prev_hash, hash, sealed_at")
                    if mac is not None else ENTRY):
                if row["seq"] >= seq:
                    if mac is None:
                        digest = _sha256_chain(row, prev)
                    else:
                        digest = hmac.new(mac, audit.canonical(
                            row["seq"], row["id"], row["at"], row["actor_id"], row["action"],
                            row["target"], row["ip"], row["details"], prev,
                            row["sealed_at"]), hashlib.sha256).digest()
                    await conn.execute("UPDATE audit_log SET prev_hash = $2, hash = $3"
                                       " WHERE seq = $1", row["seq"], prev, digest)
                    prev = digest
                else:
                    prev = bytes(await conn.fetchval(
                        "SELECT hash FROM audit_log WHERE seq = $1", row["seq"]))
            await conn.execute("ALTER TABLE audit_log ENABLE TRIGGER USER")
    finally:
        await conn.close()


async def _sealed(url: str, data_dir: Path) -> list[asyncpg.Record]:
    code, out = await audit_verify(url, data_dir)
    assert code == 0, out
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch("SELECT id, seq FROM audit_log ORDER BY seq"))
    finally:
        await conn.close()


async def test_a_rewritten_entry_with_every_later_hash_recomputed_is_found(
        database_url: str, tmp_path: Path) -> None:
    await _entries(database_url, 6)
    rows = await _sealed(database_url, tmp_path)
    victim = rows[2]
    await _operator(database_url,
                    f"UPDATE audit_log SET target = 'meeting:999' WHERE id = {victim['id']}")
    await _recompute_from(database_url, victim["seq"])
    code, out = await audit_verify(database_url, tmp_path)
    assert code == 1, out
    assert f"mục {victim['id']}: the entry was edited" in out


async def test_reordered_entries_are_found(database_url: str, tmp_path: Path) -> None:
    await _entries(database_url, 5)
    rows = await _sealed(database_url, tmp_path)
    one, two = rows[1], rows[3]
    await _operator(database_url,
                    f"UPDATE audit_log SET seq = -1 WHERE id = {one['id']}",
                    f"UPDATE audit_log SET seq = {one['seq']} WHERE id = {two['id']}",
                    f"UPDATE audit_log SET seq = {two['seq']} WHERE id = {one['id']}")
    await _recompute_from(database_url, one["seq"])
    code, out = await audit_verify(database_url, tmp_path)
    assert code == 1, out
    assert f"mục {two['id']}: the entry was edited" in out


async def test_a_rewrite_by_someone_holding_the_key_is_found_by_the_exported_head(
        database_url: str, tmp_path: Path) -> None:
    """Even the key does not let one rewrite what the server already exported:
    the head file in the data folder keeps each sealed head's hash."""
    await _entries(database_url, 4)
    rows = await _sealed(database_url, tmp_path)
    key = keys.ServerKeys(tmp_path / "keys").derive("audit", audit.CHAIN_PURPOSE)
    await _operator(database_url,
                    f"UPDATE audit_log SET target = 'meeting:999' WHERE id = {rows[1]['id']}")
    await _recompute_from(database_url, rows[1]["seq"], mac=key)
    code, out = await audit_verify(database_url, tmp_path)
    assert code == 1, out
    assert f"seq {rows[-1]['seq']}" in out and "exported head" in out


async def test_moving_the_start_of_the_keyed_chain_is_found(
        database_url: str, tmp_path: Path) -> None:
    """Declaring every entry part of the old unkeyed chain, to recompute it
    with SHA-256, contradicts the start every exported head records."""
    await _entries(database_url, 4)
    rows = await _sealed(database_url, tmp_path)
    await _operator(database_url,
                    "ALTER TABLE audit_chain_start DISABLE TRIGGER USER",
                    f"UPDATE audit_chain_start SET keyed_after = {rows[-1]['seq']}",
                    "ALTER TABLE audit_chain_start ENABLE TRIGGER USER",
                    f"UPDATE audit_log SET target = 'meeting:999' WHERE id = {rows[1]['id']}")
    await _recompute_from(database_url, 1)
    code, out = await audit_verify(database_url, tmp_path)
    assert code == 1, out
    assert (f"the keyed chain starts after seq {rows[-1]['seq']} in the database but after "
            "seq 0") in out


async def test_a_backdated_insert_is_found(database_url: str, tmp_path: Path) -> None:
    await _entries(database_url, 3)
    await _sealed(database_url, tmp_path)
    await _operator(database_url,
                    "INSERT INTO audit_log (at, action, target) VALUES"
                    " (now() - interval '3 days', 'minutes.approve', 'meeting:1')")
    conn = await asyncpg.connect(database_url)
    try:
        forged = await conn.fetchval("SELECT id FROM audit_log WHERE action = 'minutes.approve'")
    finally:
        await conn.close()
    code, out = await audit_verify(database_url, tmp_path)
    assert code == 1, out
    assert f"mục {forged}:" in out and "backdated" in out


async def test_deleting_the_last_entries_is_found(database_url: str, tmp_path: Path) -> None:
    await _entries(database_url, 5)
    rows = await _sealed(database_url, tmp_path)
    await _operator(database_url,
                    f"DELETE FROM audit_log WHERE seq > {rows[-3]['seq']}")
    code, out = await audit_verify(database_url, tmp_path)
    assert code == 1, out
    assert f"entries after seq {rows[-3]['seq']} are missing" in out


async def test_a_deleted_head_file_is_reported(database_url: str, tmp_path: Path) -> None:
    await _entries(database_url, 2)
    await _sealed(database_url, tmp_path)
    (tmp_path / "audit" / "heads").unlink()
    code, out = await audit_verify(database_url, tmp_path)
    assert code == 1, out
    assert "no exported head" in out


async def test_verify_without_the_key_says_so(database_url: str, tmp_path: Path) -> None:
    await _entries(database_url, 2)
    await _sealed(database_url, tmp_path)
    code, out = await audit_verify(database_url, tmp_path / "elsewhere")
    assert code == 2, out
    assert "audit.key" in out
    assert not (tmp_path / "elsewhere" / "keys" / "audit.key").exists()


# -- approved minutes ---------------------------------------------------------------------


@pytest.fixture(scope="module")
async def minutes_server(pg_uri: str, tmp_path_factory: pytest.TempPathFactory
                         ) -> AsyncIterator[Server]:
    """The default deployment: the server's role owns the tables."""
    srv = Server(await new_database(pg_uri), tmp_path_factory.mktemp("server"))
    await srv.start()
    yield srv
    await srv.stop()


async def test_approved_minutes_rewritten_with_a_new_sha256_are_found(
        minutes_server: Server) -> None:
    server = minutes_server
    world = await approved(server, "secretary", "Biên bản: thông qua nghị quyết.",
                           "Biên bản: thông qua nghị quyết số 2.")
    mid = world.meeting_id
    code, out = await audit_verify(world.url, server.workdir)
    assert code == 0, out

    forged = "Biên bản: không thông qua nghị quyết."
    await _operator(
        world.url,
        "ALTER TABLE minutes_versions DISABLE TRIGGER USER",
        f"UPDATE minutes_versions SET text = '{forged}',"
        f" sha256 = sha256(convert_to('{forged}', 'UTF8')) WHERE meeting_id = {mid}"
        " AND version = 1",
        f"DELETE FROM audit_log WHERE action = 'minutes.approve' AND target = 'meeting:{mid}'"
        " AND details->>'version' = '1'",
        "ALTER TABLE minutes_versions ENABLE TRIGGER USER")
    # ... and closes the hole the entry leaves, recomputing every later hash.
    await _recompute_from(world.url, 1)
    code, out = await audit_verify(world.url, server.workdir)
    assert code == 1, out
    assert f"meeting {mid} minutes version 1: no approval entry" in out
    assert "the entry was edited" in out


async def test_approved_minutes_changed_under_their_approval_entry_are_found(
        minutes_server: Server) -> None:
    """The approval entry kept: its hash no longer matches the text."""
    server = minutes_server
    world = await approved(server, "chair", "Biên bản: đồng ý.")
    mid = world.meeting_id
    forged = "Biên bản: không đồng ý."
    await _operator(
        world.url,
        "ALTER TABLE minutes_versions DISABLE TRIGGER USER",
        f"UPDATE minutes_versions SET text = '{forged}',"
        f" sha256 = sha256(convert_to('{forged}', 'UTF8')) WHERE meeting_id = {mid}",
        "ALTER TABLE minutes_versions ENABLE TRIGGER USER")
    code, out = await audit_verify(world.url, server.workdir)
    assert code == 1, out
    assert f"meeting {mid} minutes version 1: its text is not the one approved" in out


async def test_approved_minutes_number_signers_and_date_changed_are_found(
        minutes_server: Server) -> None:
    """What the official PDF prints besides the text: the number, the place
    and date, the signers, the approval time."""
    server = minutes_server
    world = await approved(server, "chair", {"text": "Biên bản: đồng ý.", "number": "15/BB-UBND"})
    mid = world.meeting_id
    # (Earlier tests of this server left their own findings.)
    code, out = await audit_verify(world.url, server.workdir)
    assert f"meeting {mid} " not in out, out
    for change in ("number = '99/BB-UBND'",
                   "layout = jsonb_set(layout, '{place_date}', '\"Ngày 01 tháng 11 năm 2026\"')",
                   "approved_at = approved_at - interval '30 days'"):
        await _operator(
            world.url, "ALTER TABLE minutes_versions DISABLE TRIGGER USER",
            f"UPDATE minutes_versions SET {change} WHERE meeting_id = {mid}",
            "ALTER TABLE minutes_versions ENABLE TRIGGER USER")
        code, out = await audit_verify(world.url, server.workdir)
        assert code == 1, (change, out)
        assert f"meeting {mid} minutes version 1" in out and "changed after approval" in out


async def test_entries_unsealed_for_the_server_to_seal_again_are_found(
        minutes_server: Server) -> None:
    """The operator clears the seal of the last entries and edits them: the
    running server seals them again, with the key, and exports a new head for
    the same place in the chain."""
    server = minutes_server
    world = await build_world(server.database_url)
    async with httpx.AsyncClient(base_url=server.http) as client:
        r = await client.post("/api/login", json={"username": "khong-co", "password": "sai" * 4})
        assert r.status_code == 401
    deadline = asyncio.get_running_loop().time() + 10
    while True:  # the server seals the failed login and exports its head
        last = await _fetch(world.url, "SELECT id, seq FROM audit_log WHERE action = "
                            "'login.failed' ORDER BY id DESC LIMIT 1")
        seqs = _head_seqs(server)
        if last["seq"] is not None and seqs and max(seqs) >= last["seq"]:
            break
        assert asyncio.get_running_loop().time() < deadline, "never sealed"
        await asyncio.sleep(0.1)
    await _operator(
        world.url, "ALTER TABLE audit_log DISABLE TRIGGER USER",
        f"UPDATE audit_log SET action = 'login', seq = NULL, hash = NULL, prev_hash = NULL,"
        f" sealed_at = NULL WHERE seq >= {last['seq']}",
        "ALTER TABLE audit_log ENABLE TRIGGER USER")
    while _head_seqs(server).count(last["seq"]) < 2:  # sealed again by the server
        assert asyncio.get_running_loop().time() < deadline + 10, "never sealed again"
        await asyncio.sleep(0.1)
    code, out = await audit_verify(world.url, server.workdir)
    assert code == 1 and "exported twice with different hashes" in out, out


async def test_text_moved_across_fields_is_found(minutes_server: Server) -> None:
    """A name that holds the separator of a text join ("chutoa|10.9.9.9") made
    into a real name and a false address."""
    server = minutes_server
    world = await build_world(server.database_url)
    async with httpx.AsyncClient(base_url=server.http) as client:
        r = await client.post("/api/login", json={"username": "chutoa|10.9.9.9",
                                                  "password": "sai" * 4})
        assert r.status_code == 401
    await audit_verify(world.url, server.workdir)  # sealed now
    entry = await _fetch(world.url, "SELECT id FROM audit_log WHERE target ="
                         " 'username:chutoa|10.9.9.9'")
    await _operator(
        world.url, "ALTER TABLE audit_log DISABLE TRIGGER USER",
        f"UPDATE audit_log SET target = 'username:chutoa', ip = '10.9.9.9|' || ip"
        f" WHERE id = {entry['id']}",
        "ALTER TABLE audit_log ENABLE TRIGGER USER")
    code, out = await audit_verify(world.url, server.workdir)
    assert code == 1 and f"mục {entry['id']}: the entry was edited" in out, out


async def approved(server: Server, who: str, *approvals: str | dict[str, str]) -> World:
    """A new meeting, ended, whose minutes `who` approves once per text (or
    request body) given."""
    world = await build_world(server.database_url)
    await _operator(world.url, f"UPDATE meetings SET status = 'ended'"
                               f" WHERE id = {world.meeting_id}")
    headers = {"authorization": f"Bearer {world.token(who)}", "origin": server.http}
    async with httpx.AsyncClient(base_url=server.http, headers=headers) as client:
        for body in approvals:
            r = await client.post(f"/api/meetings/{world.meeting_id}/minutes/approve",
                                  json={"text": body} if isinstance(body, str) else body)
            assert r.status_code == 201, r.text
    return world


async def _fetch(url: str, query: str) -> asyncpg.Record:
    conn = await asyncpg.connect(url)
    try:
        row = await conn.fetchrow(query)
    finally:
        await conn.close()
    assert row is not None, query
    return row


def _head_seqs(server: Server) -> list[int]:
    heads = audit_heads.read(server.workdir / "audit" / "heads") or []
    return [h.seq for h in heads]
