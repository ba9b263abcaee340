"""Keys kept outside the database: made once, private, and the same on every
server of a deployment or the server refuses to run."""

from __future__ import annotations

import stat
from pathlib import Path

import asyncpg
import pytest

from collab_server import keys


def test_a_key_is_made_once_and_readable_by_its_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    first = keys.load(folder, "audit")
    assert len(first) == keys.KEY_BYTES
    assert keys.load(folder, "audit") == first
    assert keys.load(folder, "ballot") != first
    assert stat.S_IMODE((folder / "audit.key").stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    with pytest.raises(ValueError):
        keys.load(folder, "../audit")
    (folder / "broken.key").write_text("not hex enough\n")
    with pytest.raises((keys.KeyMismatch, ValueError)):
        keys.load(folder, "broken")


async def test_a_server_with_another_key_is_refused(database_url: str, tmp_path: Path) -> None:
    one = keys.load(tmp_path / "one", "audit")
    other = keys.load(tmp_path / "other", "audit")
    conn = await asyncpg.connect(database_url)
    try:
        await keys.ensure_known(conn, "audit", one)
        await keys.ensure_known(conn, "audit", one)
        with pytest.raises(keys.KeyMismatch, match="audit.key"):
            await keys.ensure_known(conn, "audit", other)
        # The database holds a fingerprint, never the key.
        stored = await conn.fetchval("SELECT fingerprint FROM server_keys WHERE name = 'audit'")
        assert one.hex() not in stored and stored == keys.fingerprint(one)
    finally:
        await conn.close()


def test_derived_keys_differ_by_purpose(tmp_path: Path) -> None:
    held = keys.ServerKeys(tmp_path)
    assert held.derive("ballot", b"poll:1") != held.derive("ballot", b"poll:2")
    assert held.derive("ballot", b"poll:1") == keys.ServerKeys(tmp_path).derive("ballot",
                                                                                 b"poll:1")
