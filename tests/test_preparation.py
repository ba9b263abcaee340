"""Preparing a meeting through the HTTP API, as a secretary does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from collab_server.domain.calendar import LOCAL_TZ
from tests.conftest import Server, World, build_world
from tests.yclient import YClient, wait_until


@pytest.fixture(scope="module")
async def prep(server: Server) -> World:
    world = await build_world(server.database_url, delegates=4)
    conn = await asyncpg.connect(world.url)
    try:
        await conn.execute("UPDATE users SET can_prepare = true WHERE id = $1",
                           world.users["secretary"])
        await conn.execute("UPDATE users SET is_admin = true WHERE id = $1",
                           world.users["outsider"])
    finally:
        await conn.close()
    return world


@pytest.fixture(scope="module")
async def other_body(server: Server) -> World:
    return await build_world(server.database_url, delegates=1)


class Api:
    def __init__(self, server: Server, token: str) -> None:
        self.client = httpx.AsyncClient(base_url=server.http,
                                        headers={"authorization": f"Bearer {token}"})

    async def call(self, method: str, path: str, expect: int = 200, **kw: Any) -> Any:
        r = await self.client.request(method, path, **kw)
        assert r.status_code == expect, (method, path, r.status_code, r.text)
        if r.status_code >= 400:
            assert set(r.json()["error"]) == {"code", "message", "message_en"}
        return r.json()


@pytest.fixture
async def api(server: Server, prep: World) -> AsyncIterator[dict[str, Api]]:
    apis = {who: Api(server, prep.token(who)) for who in prep.tokens}
    yield apis
    for a in apis.values():
        await a.client.aclose()


def soon(days: int, hour: int = 8) -> str:
    day = datetime.now(UTC).astimezone(LOCAL_TZ) + timedelta(days=days)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0).isoformat()


async def new_meeting(api: dict[str, Api], **fields: Any) -> int:
    body = {"title": "Họp thẩm định đề án Quảng Bình", "starts_at": soon(30), **fields}
    meeting = (await api["secretary"].call("POST", "/api/meetings", 201, json=body))["meeting"]
    assert meeting["status"] == "draft"
    return int(meeting["id"])


async def test_who_may_create_meetings(api: dict[str, Api]) -> None:
    await api["delegate01"].call("POST", "/api/meetings", 403,
                                 json={"title": "x", "starts_at": soon(5)})
    bad = await api["secretary"].call("POST", "/api/meetings", 400,
                                      json={"title": "x", "starts_at": "mai"})
    assert "starts_at" in bad["error"]["message"]
    bad = await api["secretary"].call("POST", "/api/meetings", 400,
                                      json={"title": "x", "starts_at": soon(5),
                                            "ends_at": soon(4)})
    await api["secretary"].call("POST", "/api/meetings", 400,
                                json={"title": "x", "starts_at": soon(5), "kind": "party"})
    meeting_id = await new_meeting(api, kind="thematic", confidentiality="confidential")
    detail = (await api["secretary"].call("GET", f"/api/meetings/{meeting_id}"))["meeting"]
    assert detail["role"] == "secretary" and detail["can_prepare"]
    assert detail["kind"] == "thematic" and detail["confidentiality"] == "confidential"


async def test_agenda_time_plan_and_live_room(server: Server, api: dict[str, Api],
                                              prep: World) -> None:
    meeting_id = await new_meeting(api, starts_at="2026-12-15T08:00:00+07:00")
    sec = api["secretary"]
    ids = []
    for title, minutes in (("Khai mạc", 10), ("Báo cáo ngân sách", 45), ("Bế mạc", 5)):
        ids.append((await sec.call("POST", f"/api/meetings/{meeting_id}/agenda", 201,
                                   json={"title": title, "duration_min": minutes}))["id"])
    # The room follows the preparation live.
    watcher = await YClient(server.ws, f"meeting/{meeting_id}/room",
                            prep.token("secretary")).connect()
    try:
        def titles() -> list[str]:
            return [a["title"] for a in watcher.doc.get("agenda", type=__import__(
                "pycrdt").Array).to_py() or []]

        assert titles() == ["Khai mạc", "Báo cáo ngân sách", "Bế mạc"]
        await sec.call("PUT", f"/api/meetings/{meeting_id}/agenda/order",
                       json={"order": [ids[1], ids[0], ids[2]]})
        await wait_until(lambda: titles() == ["Báo cáo ngân sách", "Khai mạc", "Bế mạc"])
        await sec.call("PATCH", f"/api/meetings/{meeting_id}/agenda/{ids[2]}",
                       json={"title": "Kết luận, bế mạc", "duration_min": 15})
        await wait_until(lambda: titles()[-1] == "Kết luận, bế mạc")
        await sec.call("PATCH", f"/api/meetings/{meeting_id}", json={"title": "Họp chuyên đề"})
        await wait_until(lambda: watcher.map("meeting").get("title") == "Họp chuyên đề")
    finally:
        await watcher.close()
    await sec.call("PUT", f"/api/meetings/{meeting_id}/agenda/order", 400,
                   json={"order": [ids[0], ids[0], ids[2]]})
    await sec.call("PATCH", f"/api/meetings/{meeting_id}/agenda/999999", 404,
                   json={"title": "x"})
    meeting = (await sec.call("GET", f"/api/meetings/{meeting_id}"))["meeting"]
    plan = [(a["title"], a["planned_start"], a["planned_end"]) for a in meeting["agenda"]]
    assert plan == [
        ("Báo cáo ngân sách", "2026-12-15T08:00:00+07:00", "2026-12-15T08:45:00+07:00"),
        ("Khai mạc", "2026-12-15T08:45:00+07:00", "2026-12-15T08:55:00+07:00"),
        ("Kết luận, bế mạc", "2026-12-15T08:55:00+07:00", "2026-12-15T09:10:00+07:00"),
    ]
    await sec.call("DELETE", f"/api/meetings/{meeting_id}/agenda/{ids[1]}")
    meeting = (await sec.call("GET", f"/api/meetings/{meeting_id}"))["meeting"]
    assert [a["position"] for a in meeting["agenda"]] == [1, 2]
    await api["delegate01"].call("POST", f"/api/meetings/{meeting_id}/agenda", 403,
                                 json={"title": "x"})


async def test_lifecycle_invitations_and_deputies(api: dict[str, Api], prep: World) -> None:
    meeting_id = await new_meeting(api, starts_at=soon(1))
    sec = api["secretary"]
    base = f"/api/meetings/{meeting_id}"
    await sec.call("POST", f"{base}/participants", 201,
                   json={"user_id": prep.users["chair"], "role": "chair"})
    for who in ("delegate01", "delegate02", "delegate03"):
        await sec.call("POST", f"{base}/participants", 201,
                       json={"user_id": prep.users[who], "role": "delegate"})
    await sec.call("POST", f"{base}/participants", 409,
                   json={"user_id": prep.users["delegate01"], "role": "guest"})
    # Answers wait for the invitations.
    await api["delegate01"].call("PUT", f"{base}/response", 409, json={"answer": "attend"})
    await api["delegate01"].call("POST", f"{base}/status", 403, json={"to": "invited"})
    await sec.call("POST", f"{base}/status", 409, json={"to": "ended"})
    published = await sec.call("POST", f"{base}/status", json={"to": "invited"})
    assert published["status"] == "invited"
    assert [w["code"] for w in published["warnings"]] == ["no_notice"]

    await api["delegate01"].call("PUT", f"{base}/response", json={"answer": "attend"})
    await api["delegate02"].call("PUT", f"{base}/response", 400, json={"answer": "absent"})
    await api["delegate02"].call("PUT", f"{base}/response",
                                 json={"answer": "absent", "reason": "Đi công tác Hà Nội"})
    await api["delegate03"].call("PUT", f"{base}/response",
                                 json={"answer": "deputy", "deputy_user_id": prep.users["guest"]})
    await sec.call("POST", f"{base}/participants/{prep.users['delegate03']}/deputy", 403,
                   json={"approve": True})
    await api["chair"].call("POST", f"{base}/participants/{prep.users['delegate03']}/deputy",
                            json={"approve": True})
    people = {p["user_id"]: p for p in (await sec.call("GET", f"{base}/participants"))[
        "participants"]}
    assert people[prep.users["delegate01"]]["response"] == "attend"
    assert people[prep.users["delegate02"]]["response_reason"] == "Đi công tác Hà Nội"
    assert people[prep.users["delegate03"]]["deputy"]["status"] == "approved"
    assert people[prep.users["guest"]]["stands_in_for"] == prep.users["delegate03"]
    assert people[prep.users["guest"]]["role"] == "delegate"
    # A delegate sees who takes part, not everyone's answers.
    seen = (await api["delegate01"].call("GET", f"{base}/participants"))["participants"]
    assert all("response" not in p for p in seen)

    await api["delegate01"].call("POST", f"{base}/status", 403, json={"to": "in_session"})
    await api["chair"].call("POST", f"{base}/status", json={"to": "in_session", "early": True})
    await sec.call("POST", f"{base}/agenda", 409, json={"title": "muộn"})
    await sec.call("POST", f"{base}/status", 403, json={"to": "ended"})
    await api["chair"].call("POST", f"{base}/status", json={"to": "ended"})
    await sec.call("POST", f"{base}/status", json={"to": "archived"})
    history = (await sec.call("GET", base))["meeting"]["transitions"]
    assert [(t["from"], t["to"]) for t in history] == [
        ("draft", "invited"), ("invited", "in_session"), ("in_session", "ended"),
        ("ended", "archived")]


async def test_meetings_are_invisible_across_bodies(api: dict[str, Api], server: Server,
                                                    other_body: World) -> None:
    meeting_id = await new_meeting(api)
    stranger = Api(server, other_body.token("chair"))
    try:
        await stranger.call("GET", f"/api/meetings/{meeting_id}", 403)
        await stranger.call("PATCH", f"/api/meetings/{meeting_id}", 403, json={"title": "x"})
        await stranger.call("GET", f"/api/meetings/{meeting_id}/participants", 403)
        listed = (await stranger.call("GET", "/api/meetings"))["meetings"]
        assert meeting_id not in [m["id"] for m in listed]
    finally:
        await stranger.client.aclose()
    # The body's admin sees every meeting of the body, without being invited.
    admin_view = (await api["outsider"].call("GET", f"/api/meetings/{meeting_id}"))["meeting"]
    assert admin_view["role"] is None and admin_view["can_prepare"]


async def test_holidays_count_in_the_notice(api: dict[str, Api], prep: World) -> None:
    admin, sec = api["outsider"], api["secretary"]
    start = datetime.now(UTC).astimezone(LOCAL_TZ) + timedelta(days=10)
    while start.weekday() != 2:  # a Wednesday, so the week before is all working days
        start += timedelta(days=1)
    meeting_id = await new_meeting(api, starts_at=start.replace(hour=8, minute=0, second=0,
                                                                microsecond=0).isoformat())
    days = [(start.date() - timedelta(days=d)) for d in range(1, 5)]
    # Make every working day before the meeting but one a holiday of this body.
    added = []
    today = datetime.now(UTC).astimezone(LOCAL_TZ).date()
    day = today + timedelta(days=1)
    while day < start.date() - timedelta(days=1):
        if day.weekday() < 5:
            await admin.call("POST", "/api/holidays", 201,
                             json={"day": day.isoformat(), "name": "Nghỉ bù"})
            added.append(day)
        day += timedelta(days=1)
    try:
        await sec.call("POST", "/api/holidays", 403, json={"day": "2030-01-02", "name": "x"})
        listed = (await sec.call("GET", "/api/holidays"))["holidays"]
        assert {date.fromisoformat(h["day"]) for h in listed} >= set(added)
        # The letter names and is signed by the chair: no chair, no sending.
        await sec.call("POST", f"/api/meetings/{meeting_id}/status", 409,
                       json={"to": "invited"})
        await sec.call("POST", f"/api/meetings/{meeting_id}/participants", 201,
                       json={"user_id": prep.users["chair"], "role": "chair"})
        result = await sec.call("POST", f"/api/meetings/{meeting_id}/status",
                                json={"to": "invited"})
        assert result["warnings"][0]["working_days"] <= 1
    finally:
        for d in added:
            await admin.call("DELETE", f"/api/holidays/{d.isoformat()}")
    assert days


async def test_directory_and_users(api: dict[str, Api], prep: World) -> None:
    await api["delegate01"].call("GET", "/api/users", 403)
    found = (await api["secretary"].call("GET", "/api/users", params={"q": "delegate0"}))["users"]
    assert {u["id"] for u in found} >= {prep.users["delegate01"], prep.users["delegate02"]}
    assert all("password_hash" not in u for u in found)
    await api["secretary"].call("POST", "/api/users", 403, json={})
    created = await api["outsider"].call(
        "POST", "/api/users", 201,
        json={"username": f"pho-gd-{prep.body_id}", "full_name": "Phạm Thị Ủy",
              "password": "mot-mat-khau-rat-dai", "can_prepare": True})
    await api["outsider"].call(
        "POST", "/api/users", 409,
        json={"username": f"pho-gd-{prep.body_id}", "full_name": "x",
              "password": "mot-mat-khau-rat-dai"})
    await api["outsider"].call("PATCH", f"/api/users/{created['id']}",
                               json={"title": "Phó Giám đốc"})
    await api["outsider"].call("PATCH", f"/api/users/{prep.users['outsider']}", 409,
                               json={"is_admin": False})
    rooms = await api["outsider"].call("POST", "/api/rooms", 201,
                                       json={"name": "Phòng họp tầng 3", "seats": 40})
    listed = (await api["secretary"].call("GET", "/api/rooms"))["rooms"]
    assert rooms["id"] in [r["id"] for r in listed]
