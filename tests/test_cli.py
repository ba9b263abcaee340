"""The `phonghop` command as an operator uses it."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import asyncpg
import httpx

from tests.conftest import ROOT, EmbeddedServe, clean_env, new_database


async def phonghop(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "collab_server", "--log-format", "text", *args,
        cwd=ROOT, env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, out.decode()


async def test_migrate_demo_and_create_user(pg_uri: str, tmp_path: Path) -> None:
    url = await new_database(pg_uri)
    common = ("--database-url", url, "--data-dir", str(tmp_path))
    code, out = await phonghop(*common, "migrate")
    assert code == 0, out
    code, out = await phonghop(*common, "migrate")
    assert code == 0 and "applied migration" not in out

    code, out = await phonghop(*common, "demo")
    assert code == 0, out
    assert "delegate01 … delegate90" in out and "chutoa" in out
    saved = (tmp_path / "demo-accounts.txt")
    assert saved.read_text(encoding="utf-8") in out
    assert saved.stat().st_mode & 0o077 == 0
    code, again = await phonghop(*common, "demo")
    assert code == 0 and "không tạo lại" in again

    code, out = await phonghop(*common, "create-user", "--body", "so-tu-phap", "--body-name",
                               "Sở Tư pháp", "--username", "nguyen.an", "--full-name",
                               "Nguyễn Văn An", "--admin", env={"PHONGHOP_PASSWORD": "ngan"})
    assert code == 2 and "10 ký tự" in out
    code, out = await phonghop(*common, "create-user", "--body", "so-tu-phap", "--body-name",
                               "Sở Tư pháp", "--username", "nguyen.an", "--full-name",
                               "Nguyễn Văn An", "--admin",
                               env={"PHONGHOP_PASSWORD": "mot-mat-khau-dai"})
    assert code == 0, out

    conn = await asyncpg.connect(url)
    try:
        delegates = await conn.fetchval(
            "SELECT count(*) FROM meeting_participants WHERE role = 'delegate'")
        agenda = await conn.fetchval("SELECT count(*) FROM agenda_items")
        pages = await conn.fetchval(
            "SELECT count(*) FROM document_pages p JOIN documents d ON d.id = p.document_id"
            " WHERE d.pdf_sha256 IS NOT NULL AND p.text_folded LIKE '%ngan sach%'")
        admin = await conn.fetchrow(
            "SELECT u.is_admin, u.password_hash, b.name FROM users u JOIN bodies b"
            " ON b.id = u.body_id WHERE username = 'nguyen.an'")
    finally:
        await conn.close()
    assert (delegates, agenda) == (90, 5)
    assert pages > 10, "the demo documents have pages with searchable Vietnamese text"
    assert admin["is_admin"] and admin["name"] == "Sở Tư pháp"
    assert admin["password_hash"].startswith("$argon2id$")


async def test_retention_lists_meetings_kept_too_long(pg_uri: str, tmp_path: Path) -> None:
    url = await new_database(pg_uri)
    common = ("--database-url", url, "--data-dir", str(tmp_path))
    code, out = await phonghop(*common, "retention")
    assert code == 0 and "Không có" in out
    conn = await asyncpg.connect(url)
    try:
        body = await conn.fetchval("INSERT INTO bodies (code, name, retention_years)"
                                   " VALUES ('so-noi-vu', 'Sở Nội vụ', 5) RETURNING id")
        old, recent = [await conn.fetchval(
            "INSERT INTO meetings (body_id, title, starts_at, status) VALUES ($1, $2,"
            " now() - interval '9 years', 'archived') RETURNING id", body, title)
            for title in ("Họp năm 2017", "Họp năm 2025")]
        for meeting, years in ((old, 8), (recent, 1)):
            await conn.execute(
                "INSERT INTO meeting_transitions (meeting_id, from_status, to_status, at)"
                " VALUES ($1, 'ended', 'archived', now() - make_interval(years => $2))",
                meeting, years)
    finally:
        await conn.close()
    code, out = await phonghop(*common, "retention")
    assert code == 0 and "Họp năm 2017" in out and "Họp năm 2025" not in out


async def test_a_command_beside_the_running_server_leaves_its_database_up(
        tmp_path: Path) -> None:
    """`make run` keeps its PostgreSQL in the data folder; an operator who runs
    `phonghop audit verify` there meanwhile must not stop the meeting's database."""
    node = EmbeddedServe([sys.executable, "-m", "collab_server"], tmp_path, {})
    node.start()
    try:
        await node.healthy()
        code, out = await phonghop("--data-dir", str(tmp_path / "data"), "audit", "verify",
                                   env=clean_env())
        assert code == 0, out
        async with httpx.AsyncClient() as client:
            health = (await client.get(f"{node.http}/-/health")).json()
        assert health["database"]["status"] == "ok", health
    finally:
        assert node.stop() == 0
    assert not (tmp_path / "data" / "pg" / "postmaster.pid").exists()
