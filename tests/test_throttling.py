"""Login throttling behind a trusted proxy: wrong passwords slow the guesser
without locking the right password out, invented usernames do not lock real
accounts, and a room of laptops behind one wifi address all log in.

The server trusts 127.0.0.1 as its proxy (`PHONGHOP_TRUSTED_PROXIES`), so
each request names its client address in `X-Forwarded-For`, as nginx does.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from http.cookiejar import CookieJar, DefaultCookiePolicy

import asyncpg
import httpx
import pytest

from tests.conftest import PASSWORD, Server, World, build_world

SERVER_ENV = {"PHONGHOP_TRUSTED_PROXIES": "127.0.0.1"}
DEVICE = "phonghop_device"


@pytest.fixture(scope="module")
async def room(server: Server) -> World:
    return await build_world(server.database_url, delegates=90)


@pytest.fixture
async def http(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    # No cookie jar: each call says which laptop (device cookie) it comes from.
    jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    async with httpx.AsyncClient(base_url=server.http, timeout=60, cookies=jar,
                                 headers={"origin": server.http}) as client:
        yield client


async def usernames(world: World) -> dict[str, str]:
    conn = await asyncpg.connect(world.url)
    try:
        rows = await conn.fetch("SELECT id, username FROM users WHERE body_id = $1",
                                world.body_id)
    finally:
        await conn.close()
    by_id = {r["id"]: r["username"] for r in rows}
    return {who: by_id[uid] for who, uid in world.users.items()}


async def login(http: httpx.AsyncClient, username: str, password: str, ip: str,
                device: str | None = None) -> httpx.Response:
    headers = {"x-forwarded-for": ip}
    if device is not None:
        headers["cookie"] = f"{DEVICE}={device}"
    return await http.post("/api/login", json={"username": username, "password": password},
                           headers=headers)


def retry_after(r: httpx.Response) -> int:
    assert r.status_code == 429, r.text
    assert r.json()["error"]["code"] == "rate_limited"
    return int(r.headers["retry-after"])


async def test_wrong_passwords_slow_the_guesser_but_not_the_owner(
        http: httpx.AsyncClient, room: World) -> None:
    names = await usernames(room)
    chair = names["chair"]
    known = await login(http, chair, PASSWORD, "10.0.1.1")
    assert known.status_code == 200, known.text
    laptop = known.cookies[DEVICE]
    guesser = "10.0.9.9"
    for _ in range(5):
        assert (await login(http, chair, "doan-mo-mat-khau", guesser)).status_code == 401
    # The guesser's own address waits a second, not fifteen minutes ...
    first = await login(http, chair, "doan-mo-mat-khau", guesser)
    assert 1 <= retry_after(first) <= 2
    # ... while the chair, from another address or from the laptop she used
    # before, signs in at once with the right password.
    assert (await login(http, chair, PASSWORD, "10.0.2.2")).status_code == 200
    assert (await login(http, chair, PASSWORD, guesser, laptop)).status_code == 200
    # And from the guesser's address, the right password gets in after the short wait.
    deadline = time.monotonic() + 10
    while (r := await login(http, chair, PASSWORD, guesser)).status_code == 429:
        assert retry_after(r) <= 2 and time.monotonic() < deadline, r.text
        await asyncio.sleep(0.2)
    assert r.status_code == 200, r.text


async def test_guesses_from_many_addresses_slow_unknown_devices_only(
        http: httpx.AsyncClient, room: World) -> None:
    names = await usernames(room)
    target = names["secretary"]
    known = await login(http, target, PASSWORD, "10.1.0.1")
    laptop = known.cookies[DEVICE]
    # Twenty guesses from four addresses, five each: no address is slowed yet,
    # but the account as a whole is.
    for n in range(4):
        for _ in range(5):
            r = await login(http, target, "doan-mo-mat-khau", f"10.1.1.{n}")
            assert r.status_code == 401, r.text
    waited = await login(http, target, PASSWORD, "10.1.2.1")
    assert 1 <= retry_after(waited) <= 60
    # The laptop she signed in on before is not a guesser's: it gets in.
    assert (await login(http, target, PASSWORD, "10.1.2.1", laptop)).status_code == 200


async def test_invented_usernames_lock_no_one_and_the_room_logs_in(
        http: httpx.AsyncClient, room: World) -> None:
    names = await usernames(room)
    wifi = "10.2.0.1"
    people = [names[f"delegate{i:02d}"] for i in range(1, 91)]

    async def everyone(devices: dict[str, str]) -> dict[str, httpx.Response]:
        sem = asyncio.Semaphore(8)

        async def one(name: str) -> tuple[str, httpx.Response]:
            async with sem:
                return name, await login(http, name, PASSWORD, wifi, devices.get(name))
        return dict(await asyncio.gather(*(one(n) for n in people)))

    # Ninety laptops behind one wifi address all log in.
    first = await everyone({})
    assert all(r.status_code == 200 for r in first.values()), \
        [r.text for r in first.values() if r.status_code != 200]
    devices = {name: r.cookies[DEVICE] for name, r in first.items()}
    # Someone on the same wifi tries 250 invented usernames.
    refused = 0
    for n in range(250):
        r = await login(http, f"khong-co-{n}", "doan-mo-mat-khau", wifi)
        assert r.status_code in (401, 429), r.text
        refused += r.status_code == 429
    assert refused, "the address is slowed down"
    # The chair and the admin elsewhere are not locked out, and every laptop
    # of the room that signed in before signs in again.
    assert (await login(http, names["chair"], PASSWORD, "10.2.9.9")).status_code == 200
    again = await everyone(devices)
    assert all(r.status_code == 200 for r in again.values()), \
        sorted({r.status_code for r in again.values()})


async def test_audit_names_the_address_the_proxy_forwarded(
        http: httpx.AsyncClient, room: World) -> None:
    names = await usernames(room)
    r = await login(http, names["guest"], PASSWORD, "203.0.113.7")
    assert r.status_code == 200
    await login(http, names["guest"], "sai-mat-khau-roi", "203.0.113.8")
    # A client's own X-Forwarded-For is ahead of what nginx appends: the
    # address nginx saw is the one believed.
    await login(http, names["guest"], "sai-mat-khau-roi", "6.6.6.6, 203.0.113.9")
    conn = await asyncpg.connect(room.url)
    try:
        rows = await conn.fetch(
            "SELECT action, ip FROM audit_log WHERE action IN ('login', 'login.failed')"
            " AND (actor_id = $1 OR target = $2) ORDER BY id",
            room.users["guest"], f"username:{names['guest']}")
    finally:
        await conn.close()
    assert [(r["action"], r["ip"]) for r in rows] == [
        ("login", "203.0.113.7"), ("login.failed", "203.0.113.8"),
        ("login.failed", "203.0.113.9")]
