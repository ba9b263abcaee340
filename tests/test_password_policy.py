"""The password policy, on its own and where passwords are set: an admin
adding a user over HTTP, and the `create-user` command."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest

from collab_server.domain.passwords import WeakPassword, check_password
from tests.conftest import PASSWORD, Server, World, new_database
from tests.test_cli import phonghop

WEAK = [
    # (password, username, full name, what the Vietnamese message says)
    ("ngan", "", "", "ít nhất 10 ký tự"),
    ("aaaaaaaaaaaa", "", "", "lặp lại"),
    ("ẤẤẤẤẤẤẤẤẤẤ", "", "", "lặp lại"),
    ("abababababab", "", "", "lặp lại"),
    ("123123123123", "", "", "lặp lại"),
    ("1234567890", "", "", "phổ biến"),
    ("123456789a", "", "", "phổ biến"),
    ("Admin@123!!", "", "", "phổ biến"),
    ("matkhau123", "", "", "phổ biến"),
    ("Mật khẩu @123", "", "", "phổ biến"),
    ("P@ssw0rd!!", "", "", "phổ biến"),
    ("phonghopkhonggiay", "", "", "phổ biến"),
    ("nguyen.an.2024", "nguyen.an", "Nguyễn Văn An", "tên đăng nhập"),
    ("NGUYENAN-1990", "nguyen.an", "Nguyễn Văn An", "tên đăng nhập"),
    ("Nguyễn Văn An 1990", "an.nv", "Nguyễn Văn An", "họ tên"),
    ("nguyenvanan!", "an.nv", "Nguyễn Văn An", "họ tên"),
    ("trần-quốc-hưng", "chutoa", "Trần Quốc Hưng", "họ tên"),
    ("xin chào ông Hưng", "chutoa", "Trần Quốc Hưng", "họ tên"),
    ("Đặng Thu 2024!", "thu.dt", "Đặng Thị Thu", "họ tên"),
]


@pytest.mark.parametrize(("password", "username", "full_name", "reason"), WEAK,
                         ids=[w[0] for w in WEAK])
def test_weak_passwords_are_refused_with_the_reason(password: str, username: str,
                                                    full_name: str, reason: str) -> None:
    with pytest.raises(WeakPassword) as caught:
        check_password(password, username=username, full_name=full_name)
    error = caught.value
    assert reason in error.message
    assert error.message_en and error.message_en != error.message
    assert (error.status, error.code) == (422, "weak_password")


STRONG = [
    ("mot-mat-khau-rat-dai", "pho-gd-1", "Phạm Thị Ủy"),
    ("mot-mat-khau-dai", "nguyen.an", "Nguyễn Văn An"),
    ("mat-khau-du-dai-10", "authz-new-1-abc123", "Người mới"),
    # Short parts of a name are in too many honest passwords to refuse.
    ("Anh-dao-no-thang-ba", "an.nv", "Nguyễn Văn An"),
    ("trời hôm nay đẹp quá", "thuky", "Lê Thị Thu Hà"),
    # The fixtures' accounts, and a password as the demo makes them.
    (PASSWORD, "body-abc123-delegate01", "Người delegate01"),
    ("Xq3_k9ZpL-2w", "chutoa", "Trần Quốc Hưng"),
]


@pytest.mark.parametrize(("password", "username", "full_name"), STRONG,
                         ids=[s[0] for s in STRONG])
def test_good_passwords_pass(password: str, username: str, full_name: str) -> None:
    check_password(password, username=username, full_name=full_name)


@pytest.fixture
async def admin(server: Server, world: World) -> AsyncIterator[httpx.AsyncClient]:
    conn = await asyncpg.connect(world.url)
    try:
        await conn.execute("UPDATE users SET is_admin = true WHERE id = $1",
                           world.users["outsider"])
    finally:
        await conn.close()
    async with httpx.AsyncClient(base_url=server.http, headers={
            "authorization": f"Bearer {world.token('outsider')}"}) as client:
        yield client


async def test_admin_cannot_give_a_weak_password(admin: httpx.AsyncClient, world: World) -> None:
    username = f"le.hoa-{world.body_id}"
    person = {"username": username, "full_name": "Lê Thị Thanh Hoa"}
    for password, reason in [("Thanh-Hoa-1980", "họ tên"), (f"{username}-2025!", "tên đăng nhập"),
                             ("123456789a", "phổ biến"), ("zzzzzzzzzz", "lặp lại")]:
        r = await admin.post("/api/users", json={**person, "password": password})
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert error["code"] == "weak_password" and reason in error["message"], error
    conn = await asyncpg.connect(world.url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM users WHERE username = $1",
                                   username) == 0
    finally:
        await conn.close()
    r = await admin.post("/api/users", json={**person, "password": "buoi-sang-tren-song-Gianh"})
    assert r.status_code == 201, r.text
    login = await admin.post("/api/login", json={"username": username,
                                                 "password": "buoi-sang-tren-song-Gianh"})
    assert login.status_code == 200, login.text


async def test_create_user_command_applies_the_policy(pg_uri: str, tmp_path: Path) -> None:
    url = await new_database(pg_uri)
    common = ("--database-url", url, "--data-dir", str(tmp_path), "create-user", "--body",
              "so-noi-vu", "--body-name", "Sở Nội vụ", "--username", "tran.binh",
              "--full-name", "Trần Văn Bình")
    for password, reason in [("123456789a", "phổ biến"), ("Tran.Binh-2025", "tên đăng nhập")]:
        code, out = await phonghop(*common, env={"PHONGHOP_PASSWORD": password})
        assert code == 2 and reason in out, out
    code, out = await phonghop(*common, env={"PHONGHOP_PASSWORD": "song-Nhat-Le-mua-lu"})
    assert code == 0, out


async def test_a_hash_of_older_parameters_is_made_again_at_login(database_url: str) -> None:
    """Hashes stored with the library's former default (64 MiB, 3 passes, 4
    lanes) still log their owner in, and are then stored at the current
    setting, OWASP's 19 MiB, 2 passes, 1 lane."""
    from argon2 import PasswordHasher

    from collab_server.storage import db
    from collab_server.storage.accounts import Accounts

    old = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4).hash(PASSWORD)
    conn = await asyncpg.connect(database_url)
    try:
        body = await conn.fetchval("INSERT INTO bodies (code, name) VALUES ('rehash', 'Sở')"
                                   " RETURNING id")
        await conn.execute("INSERT INTO users (body_id, username, full_name, password_hash)"
                           " VALUES ($1, 'cu', 'Người cũ', $2)", body, old)
        pool = await db.create_pool(database_url)
        try:
            accounts = Accounts(pool, session_ttl=timedelta(hours=1))
            assert await accounts.authenticate("cu", "sai-mat-khau-123") is None
            assert await conn.fetchval("SELECT password_hash FROM users WHERE username = 'cu'") \
                == old  # a wrong password changes nothing
            assert await accounts.authenticate("cu", PASSWORD) is not None
        finally:
            await pool.close()
        stored = await conn.fetchval("SELECT password_hash FROM users WHERE username = 'cu'")
    finally:
        await conn.close()
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$"), stored
    assert PasswordHasher().verify(stored, PASSWORD)
