"""The directory of people (`GET /api/users`) across bodies: a preparer sees
the people of their own body and of the meetings they take part in, never
another body's users; usernames and body roles only to admins."""

from __future__ import annotations

import asyncpg
import httpx

from tests.conftest import Server, World, build_world


async def test_directory_stays_within_the_callers_bodies(server: Server) -> None:
    one = await build_world(server.database_url, delegates=2)
    two = await build_world(server.database_url, delegates=2)
    conn = await asyncpg.connect(one.url)
    try:
        for world in (one, two):
            await conn.execute("UPDATE users SET can_prepare = true WHERE id = $1",
                               world.users["secretary"])
            await conn.execute("UPDATE users SET is_admin = true WHERE id = $1",
                               world.users["outsider"])
        # A guest of body 2 takes part in body 1's meeting.
        await conn.execute("INSERT INTO meeting_participants (meeting_id, user_id, role)"
                           " VALUES ($1, $2, 'guest')", one.meeting_id, two.users["delegate01"])
    finally:
        await conn.close()

    async def listing(world: World, who: str, **params: str) -> list[dict[str, object]]:
        async with httpx.AsyncClient(base_url=server.http) as client:
            r = await client.get("/api/users", params=params,
                                 headers={"authorization": f"Bearer {world.token(who)}"})
        assert r.status_code == 200, r.text
        users: list[dict[str, object]] = r.json()["users"]
        return users

    # The preparer of body 2 sees their own body; body 1's people are not theirs
    # (their delegate's meeting in body 1 is not a meeting the preparer is in).
    seen = {int(str(u["id"])) for u in await listing(two, "secretary")}
    assert seen & set(one.users.values()) == set(), "body 1's users are hidden from body 2"
    assert seen >= set(two.users.values())
    # The admin of body 2 sees no one of body 1 either.
    seen = {int(str(u["id"])) for u in await listing(two, "outsider")}
    assert seen & set(one.users.values()) == set()
    # Body 1's secretary sees the guest from body 2 who takes part in her meeting.
    rows = await listing(one, "secretary")
    ids = {int(str(u["id"])) for u in rows}
    assert two.users["delegate01"] in ids, "a guest of my meeting is in my directory"
    assert two.users["delegate02"] not in ids
    # Usernames and body roles only to admins.
    assert all("is_admin" not in u and "can_prepare" not in u and "username" not in u
               for u in rows), rows[0]
    rows = await listing(one, "outsider")
    mine = next(u for u in rows if u["id"] == one.users["outsider"])
    assert mine["is_admin"] is True and "username" in mine
    assert all(int(str(u["id"])) in set(one.users.values()) for u in rows), \
        "the admin of body 1 takes part in no meeting: their own body only"
