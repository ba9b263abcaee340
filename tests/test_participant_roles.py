"""Who may give which meeting role: nobody their own, the chair is given and
taken by a body admin (or named by the preparers while the meeting has none),
the secretary by the chair or an admin; each change audited with both roles."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import Server, World, build_world


@pytest.fixture(scope="module")
async def body(server: Server) -> World:
    return await build_world(server.database_url, delegates=3, admin="outsider")


@pytest.fixture
async def http(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.http, timeout=60) as client:
        yield client


async def roles(world: World, meeting_id: int) -> dict[int, str]:
    conn = await asyncpg.connect(world.url)
    try:
        rows = await conn.fetch("SELECT user_id, role FROM meeting_participants"
                                " WHERE meeting_id = $1", meeting_id)
    finally:
        await conn.close()
    return {r["user_id"]: r["role"] for r in rows}


async def test_the_secretary_cannot_make_herself_chair(http: httpx.AsyncClient,
                                                       body: World) -> None:
    m, u = body.meeting_id, body.users
    before = await roles(body, m)

    async def call(who: str, method: str, path: str, payload: Any = None) -> httpx.Response:
        return await http.request(method, f"/api/meetings/{m}/participants{path}", json=payload,
                                  headers={"authorization": f"Bearer {body.token(who)}"})

    for method, path, body_ in (
            ("PATCH", f"/{u['secretary']}", {"role": "chair"}),  # herself
            ("PATCH", f"/{u['chair']}", {"role": "delegate"}),  # demote the chair
            ("DELETE", f"/{u['chair']}", None),  # remove the chair
            ("PATCH", f"/{u['delegate01']}", {"role": "chair"}),  # a second chair
            ("PATCH", f"/{u['delegate01']}", {"role": "secretary"}),  # another secretary
            ("POST", "", {"user_id": u["outsider"], "role": "chair"})):
        r = await call("secretary", method, path, body_)
        assert r.status_code == 403, (method, path, body_, r.text)
        assert r.json()["error"]["code"] == "forbidden"
    assert await roles(body, m) == before
    # The chair-only cells stay closed to her.
    r = await http.post(f"/api/meetings/{m}/participants/{u['delegate02']}/deputy",
                        json={"approve": True},
                        headers={"authorization": f"Bearer {body.token('secretary')}"})
    assert r.status_code == 403
    # Nobody changes their own role, the chair included.
    r = await call("chair", "PATCH", f"/{u['chair']}", {"role": "delegate"})
    assert r.status_code == 403, r.text
    # The chair names a secretary; the admin moves the chair.
    r = await call("chair", "PATCH", f"/{u['delegate01']}", {"role": "secretary"})
    assert r.status_code == 200, r.text
    r = await call("chair", "PATCH", f"/{u['delegate02']}", {"role": "chair"})
    assert r.status_code == 403, r.text
    r = await call("outsider", "PATCH", f"/{u['chair']}", {"role": "delegate"})
    assert r.status_code == 200, r.text
    r = await call("outsider", "PATCH", f"/{u['delegate02']}", {"role": "chair"})
    assert r.status_code == 200, r.text
    after = await roles(body, m)
    assert (after[u["delegate01"]], after[u["chair"]], after[u["delegate02"]]) == (
        "secretary", "delegate", "chair")
    conn = await asyncpg.connect(body.url)
    try:
        rows = await conn.fetch("SELECT actor_id, details FROM audit_log WHERE action ="
                                " 'participant.role' AND target = $1 ORDER BY id",
                                f"meeting:{m}")
    finally:
        await conn.close()
    details = [json.loads(r["details"]) for r in rows]
    changes = [(r["actor_id"], d["user"], d["from"], d["to"]) for r, d in zip(rows, details,
                                                                                strict=True)]
    assert changes == [
        (u["chair"], u["delegate01"], "delegate", "secretary"),
        (u["outsider"], u["chair"], "chair", "delegate"),
        (u["outsider"], u["delegate02"], "delegate", "chair"),
    ]


async def test_preparers_name_the_chair_of_a_meeting_without_one(http: httpx.AsyncClient,
                                                                 body: World) -> None:
    headers, m = await without_chair(http, body, "Họp chưa có chủ tọa")
    base = f"/api/meetings/{m}/participants"
    r = await http.post(base, headers=headers, json={"user_id": body.users["chair"],
                                                     "role": "chair"})
    assert r.status_code == 201, r.text
    # Once there is a chair, a second one is the admin's decision.
    r = await http.post(base, headers=headers, json={"user_id": body.users["delegate03"],
                                                     "role": "chair"})
    assert r.status_code == 403, r.text


async def test_parallel_requests_name_one_chair(http: httpx.AsyncClient, body: World) -> None:
    """The rule "while a meeting has no chair, its preparers name one" holds
    when four requests race: the database keeps one chair."""
    headers, m = await without_chair(http, body, "Họp nhiều người muốn làm chủ tọa")
    candidates = [body.users[w] for w in ("chair", "delegate01", "delegate02", "delegate03")]
    answers = await asyncio.gather(*(
        http.post(f"/api/meetings/{m}/participants", headers=headers,
                  json={"user_id": who, "role": "chair"}) for who in candidates))
    assert sorted(r.status_code for r in answers)[0] == 201
    assert all(r.status_code in (201, 403, 409) for r in answers), [r.text for r in answers]
    chairs = [who for who, role in (await roles(body, m)).items() if role == "chair"]
    assert len(chairs) == 1, chairs


async def without_chair(http: httpx.AsyncClient, body: World,
                        title: str) -> tuple[dict[str, str], int]:
    """A meeting the secretary creates (and so prepares), with no chair yet."""
    headers = {"authorization": f"Bearer {body.token('secretary')}"}
    conn = await asyncpg.connect(body.url)
    try:
        await conn.execute("UPDATE users SET can_prepare = true WHERE id = $1",
                           body.users["secretary"])
    finally:
        await conn.close()
    r = await http.post("/api/meetings", headers=headers,
                        json={"title": title, "starts_at": "2031-03-03T08:00:00+07:00"})
    assert r.status_code == 201, r.text
    return headers, int(r.json()["meeting"]["id"])
