"""Search shows page text only as /text would: internal pages audited as a view
of that page's text, confidential and secret-marked pages never."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import Server, World, build_world
from tests.test_documents import make_pdf


@pytest.fixture(scope="module")
async def world(server: Server) -> World:
    w = await build_world(server.database_url, delegates=1)
    conn = await asyncpg.connect(w.url)
    try:
        await conn.execute("UPDATE bodies SET allow_secret_distribution = true WHERE id = $1",
                           w.body_id)
    finally:
        await conn.close()
    return w


@pytest.fixture(scope="module")
async def clients(server: Server, world: World) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    made = {who: httpx.AsyncClient(base_url=server.http, timeout=120, headers={
        "authorization": f"Bearer {world.token(who)}"}) for who in ("secretary", "delegate01")}
    yield made
    for client in made.values():
        await client.aclose()


async def _upload(client: httpx.AsyncClient, world: World, word: str, **params: str) -> int:
    pdf = make_pdf(["Trang bìa.", f"Nội dung dự thảo: {word} điều chỉnh ngân sách."])
    r = await client.post(f"/api/meetings/{world.meeting_id}/documents", content=pdf,
                          params={"filename": f"{word}.pdf", "title": "Dự thảo", **params})
    assert r.status_code == 201, r.text
    return int(r.json()["document"]["id"])


async def _views(world: World, document: int) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(world.url)
    try:
        rows = await conn.fetch(
            "SELECT actor_id, action, details FROM audit_log WHERE target = $1"
            " AND action LIKE 'document.%view' ORDER BY id", f"document:{document}")
    finally:
        await conn.close()
    return [{"actor_id": r["actor_id"], "action": r["action"],
             "details": r["details"] if isinstance(r["details"], dict)
             else json.loads(r["details"])} for r in rows]


async def _search(client: httpx.AsyncClient, word: str) -> list[dict[str, Any]]:
    r = await client.get("/api/search", params={"q": word})
    assert r.status_code == 200, r.text
    results: list[dict[str, Any]] = r.json()["results"]
    return results


async def test_internal_page_snippets_are_audited_like_text(
        world: World, clients: dict[str, httpx.AsyncClient]) -> None:
    doc = await _upload(clients["secretary"], world, "kiemtoannoibo", confidentiality="internal")
    reader = clients["delegate01"]
    hits = [h for h in await _search(reader, "kiemtoannoibo") if h["kind"] == "page"]
    assert [(h["document_id"], h["page"]) for h in hits] == [(doc, 2)]
    assert "<mark>kiemtoannoibo</mark>" in hits[0]["snippet"]
    from_search = await _views(world, doc)
    r = await reader.get(f"/api/documents/{doc}/pages/2/text")
    assert r.status_code == 200
    both = await _views(world, doc)
    # One entry for the snippet, the same action and shape as reading /text.
    assert len(from_search) == 1 and len(both) == 2
    assert from_search[0] == both[1] == {"actor_id": world.users["delegate01"],
                                         "action": "document.text_view",
                                         "details": {"page": 2}}


@pytest.mark.parametrize(("word", "params"), [
    ("ngansachmat", {"confidentiality": "confidential"}),
    ("quocphongmat", {"confidentiality": "internal", "secrecy": "mat"}),
], ids=["confidential", "secret-marked"])
async def test_confidential_pages_never_come_back_from_search(
        world: World, clients: dict[str, httpx.AsyncClient], word: str,
        params: dict[str, str]) -> None:
    doc = await _upload(clients["secretary"], world, word, **params)
    for who in ("delegate01", "secretary"):
        hits = await _search(clients[who], word)
        assert not [h for h in hits if h["document_id"] == doc], hits
        assert all(word not in h["snippet"] for h in hits)
    assert await _views(world, doc) == []


async def test_public_pages_are_searched_as_before(
        world: World, clients: dict[str, httpx.AsyncClient]) -> None:
    doc = await _upload(clients["secretary"], world, "congkhaithongtin",
                        confidentiality="public")
    hits = [h for h in await _search(clients["delegate01"], "congkhaithongtin")
            if h["kind"] == "page"]
    assert [(h["document_id"], h["page"]) for h in hits] == [(doc, 2)]
    assert await _views(world, doc) == []  # as /text of a public page: not audited
