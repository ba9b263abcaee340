"""Documents of a meeting over HTTP: upload, pages, watermarks, permissions, search."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pymupdf
import pytest
from PIL import Image

from tests.conftest import Server, World, build_world, document_rows
from tests.test_documents import FIXTURES, STEM, make_pdf

SERVER_ENV = {"PHONGHOP_MAX_UPLOAD_BYTES": str(3 * 1024 * 1024), "PHONGHOP_MAX_PAGES": "50"}


@pytest.fixture(scope="module")
async def world(server: Server) -> World:
    w = await build_world(server.database_url, delegates=3)
    conn = await asyncpg.connect(w.url)
    try:
        await conn.execute("UPDATE meetings SET title_folded = 'hop giao ban tuan' WHERE id=$1",
                           w.meeting_id)
    finally:
        await conn.close()
    return w


@pytest.fixture(scope="module")
async def elsewhere(server: Server) -> World:
    return await build_world(server.database_url, delegates=1)


class Client:
    def __init__(self, server: Server, token: str | None) -> None:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.AsyncClient(base_url=server.http, headers=headers, timeout=120)

    async def upload(self, meeting: int, data: bytes, filename: str, expect: int = 201,
                     **params: Any) -> dict[str, Any]:
        r = await self.http.post(f"/api/meetings/{meeting}/documents", content=data,
                                 params={"filename": filename, **params})
        assert r.status_code == expect, r.text
        body: dict[str, Any] = r.json()
        return body

    async def get(self, path: str, expect: int = 200, **params: Any) -> httpx.Response:
        r = await self.http.get(path, params=params)
        assert r.status_code == expect, (path, r.status_code, r.text[:300])
        return r


@pytest.fixture(scope="module")
async def people(server: Server, world: World,
                 elsewhere: World) -> AsyncIterator[dict[str, Client]]:
    clients = {who: Client(server, world.token(who)) for who in
               ("secretary", "delegate01", "delegate02", "guest", "display")}
    clients["stranger"] = Client(server, elsewhere.token("delegate01"))
    clients["nobody"] = Client(server, None)
    yield clients
    for c in clients.values():
        await c.http.aclose()


async def test_upload_pdf_pages_and_search(people: dict[str, Client], world: World) -> None:
    sec = people["secretary"]
    pdf = make_pdf(["Trang một: mở đầu.",
                    "Báo cáo của Ủy ban nhân dân tỉnh Quảng Bình về dự toán ngân sách.",
                    ""])
    body = await sec.upload(world.meeting_id, pdf, "bao-cao.pdf", title="Báo cáo dự toán",
                            confidentiality="public")
    doc = body["document"]
    assert doc["page_count"] == 3 and doc["title"] == "Báo cáo dự toán"
    page = await people["delegate01"].get(f"/api/documents/{doc['id']}/pages/2")
    assert page.headers["content-type"] == "image/webp"
    assert "no-store" not in page.headers["cache-control"]
    assert Image.open(io.BytesIO(page.content)).size[0] == 1280
    thumb = await people["delegate01"].get(f"/api/documents/{doc['id']}/pages/1",
                                           w="thumb", fmt="png")
    assert Image.open(io.BytesIO(thumb.content)).size[0] == 240
    await people["delegate01"].get(f"/api/documents/{doc['id']}/pages/4", 404)
    await people["delegate01"].get(f"/api/documents/{doc['id']}/pages/1", 400, w="huge")
    text = (await people["guest"].get(f"/api/documents/{doc['id']}/pages/2/text")).json()
    assert "Quảng Bình" in text["text"]

    for query in ("quang binh", "Quảng Bình", "QUANG BINH ngân"):
        hits = (await people["delegate02"].get("/api/search", q=query)).json()["results"]
        pages = [h for h in hits if h["kind"] == "page"]
        assert pages and pages[0]["document_id"] == doc["id"] and pages[0]["page"] == 2, query
        assert "<mark>Quảng" in pages[0]["snippet"]
    # Search sees only the caller's meetings.
    hits = (await people["stranger"].get("/api/search", q="quang binh")).json()["results"]
    assert all(h["meeting_id"] != world.meeting_id for h in hits)
    await people["nobody"].get("/api/search", 401, q="x")
    await people["delegate01"].get("/api/search", 400, q="")


async def test_office_file_is_converted(people: dict[str, Client], world: World) -> None:
    docx = (FIXTURES / f"{STEM}.docx").read_bytes()
    body = await people["secretary"].upload(world.meeting_id, docx, f"{STEM}.docx")
    doc = body["document"]
    assert doc["original_type"].endswith("wordprocessingml.document")
    assert doc["page_count"] >= 1
    hits = (await people["delegate01"].get("/api/search", q="phong hop khong giay")).json()
    assert doc["id"] in {h["document_id"] for h in hits["results"]}
    # The original is the DOCX, downloadable only by those allowed.
    await people["delegate01"].get(f"/api/documents/{doc['id']}/original", 403)
    original = await people["secretary"].get(f"/api/documents/{doc['id']}/original")
    assert original.content == docx
    assert "attachment" in original.headers["content-disposition"]


BROKEN = [
    ("truncated", lambda pdf: pdf[: len(pdf) // 2], "cut.pdf", 422, "corrupt_pdf"),
    ("not a pdf", lambda pdf: b"MZ\x90\x00" + b"\x00" * 5000, "virus.pdf", 415, "not_pdf"),
    ("docx lie", lambda pdf: b"plain text pretending", "note.docx", 415, "type_mismatch"),
    ("unknown", lambda pdf: b"#!/bin/sh\necho hi\n", "run.sh", 415, "unsupported_type"),
]


@pytest.mark.parametrize(("name", "make", "filename", "status", "code"), BROKEN,
                         ids=[b[0] for b in BROKEN])
async def test_broken_uploads_leave_nothing(people: dict[str, Client], world: World, name: str,
                                            make: Any, filename: str, status: int,
                                            code: str) -> None:
    before = await document_rows(world.url)
    body = await people["secretary"].upload(world.meeting_id, make(make_pdf(["Văn bản"])),
                                            filename, expect=status)
    assert body["error"]["code"] == code
    assert body["error"]["message"] and body["error"]["message_en"]
    assert await document_rows(world.url) == before


async def test_encrypted_oversized_and_long_pdfs(people: dict[str, Client], world: World) -> None:
    before = await document_rows(world.url)
    doc = pymupdf.open(stream=make_pdf(["Mật khẩu"]), filetype="pdf")
    locked = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="u", owner_pw="o")
    body = await people["secretary"].upload(world.meeting_id, locked, "khoa.pdf", expect=422)
    assert body["error"]["code"] == "encrypted_pdf"
    body = await people["secretary"].upload(world.meeting_id, make_pdf(["x"] * 60), "dai.pdf",
                                            expect=413)
    assert body["error"]["code"] == "too_many_pages"
    huge = make_pdf(["x"]) + b"%" + b"0" * (4 * 1024 * 1024)
    body = await people["secretary"].upload(world.meeting_id, huge, "lon.pdf", expect=413)
    assert body["error"]["code"] == "too_large"
    english = await people["secretary"].http.post(
        f"/api/meetings/{world.meeting_id}/documents", content=b"nope",
        params={"filename": "a.pdf"})
    assert english.json()["error"]["message_en"]
    assert await document_rows(world.url) == before


async def test_secret_documents_are_not_distributed(people: dict[str, Client], world: World,
                                                    server: Server) -> None:
    body = await people["secretary"].upload(world.meeting_id, make_pdf(["MẬT"]), "mat.pdf",
                                            expect=403, secrecy="mat")
    assert body["error"]["code"] == "secret_not_distributable"
    english = await people["secretary"].http.post(
        f"/api/meetings/{world.meeting_id}/documents", content=make_pdf(["MẬT"]),
        params={"filename": "mat.pdf", "secrecy": "toi_mat"},
        headers={"accept-language": "en-US,en;q=0.9,vi;q=0.8"})
    assert english.json()["error"]["message"].startswith("Documents classified secret")
    # Only an admin of the body changes its policy; the change is audited.
    r = await people["secretary"].http.patch("/api/body",
                                             json={"allow_secret_distribution": True})
    assert r.status_code == 403
    conn = await asyncpg.connect(world.url)
    try:
        await conn.execute("UPDATE users SET is_admin = true WHERE id = $1",
                           world.users["outsider"])
    finally:
        await conn.close()
    admin = Client(server, world.token("outsider"))
    try:
        r = await admin.http.patch("/api/body", json={"allow_secret_distribution": True})
        assert r.status_code == 200 and r.json()["body"]["allow_secret_distribution"]
        await people["secretary"].upload(world.meeting_id, make_pdf(["MẬT"]), "mat.pdf",
                                         secrecy="mat", confidentiality="confidential")
    finally:
        await admin.http.patch("/api/body", json={"allow_secret_distribution": False})
        await admin.http.aclose()


async def test_internal_pages_are_watermarked_audited_and_not_cached(
        people: dict[str, Client], world: World) -> None:
    pdf = make_pdf(["Dự thảo nghị quyết: nội bộ, không phổ biến."])
    doc = (await people["secretary"].upload(world.meeting_id, pdf, "du-thao.pdf",
                                            confidentiality="internal"))["document"]
    one = await people["delegate01"].get(f"/api/documents/{doc['id']}/pages/1", fmt="png")
    two = await people["delegate02"].get(f"/api/documents/{doc['id']}/pages/1", fmt="png")
    assert one.headers["cache-control"] == "no-store"
    # Each reader's name is burned in: the two images differ.
    assert one.content != two.content
    await people["delegate01"].get(f"/api/documents/{doc['id']}/pages/1/text")
    opens = (await people["secretary"].get(f"/api/documents/{doc['id']}/opens")).json()["opens"]
    assert {o["user_id"] for o in opens} == {world.users["delegate01"], world.users["delegate02"]}
    await people["delegate01"].get(f"/api/documents/{doc['id']}/opens", 403)
    conn = await asyncpg.connect(world.url)
    try:
        views = await conn.fetch(
            "SELECT actor_id, details FROM audit_log WHERE action = 'document.page_view'"
            " AND target = $1", f"document:{doc['id']}")
    finally:
        await conn.close()
    assert {v["actor_id"] for v in views} == {world.users["delegate01"], world.users["delegate02"]}


async def test_other_meetings_documents_are_forbidden(people: dict[str, Client], world: World,
                                                      elsewhere: World) -> None:
    doc = (await people["secretary"].upload(world.meeting_id, make_pdf(["Riêng"]),
                                            "rieng.pdf"))["document"]
    stranger = people["stranger"]
    for path in (f"/api/documents/{doc['id']}", f"/api/documents/{doc['id']}/pages/1",
                 f"/api/documents/{doc['id']}/pages/1/text",
                 f"/api/documents/{doc['id']}/original",
                 f"/api/meetings/{world.meeting_id}/documents"):
        await stranger.get(path, 403)
        await people["nobody"].get(path, 401)
    await stranger.upload(world.meeting_id, make_pdf(["x"]), "x.pdf", expect=403)
    await people["delegate01"].upload(world.meeting_id, make_pdf(["x"]), "x.pdf", expect=403)
    # An unknown id gets the same answer as another meeting's document.
    await people["delegate01"].get("/api/documents/999999", 403)


async def test_a_room_of_laptops_asks_for_one_new_page(people: dict[str, Client],
                                                       world: World, server: Server) -> None:
    doc = (await people["secretary"].upload(world.meeting_id, make_pdf(["Trang trình chiếu"]),
                                            "trinh-chieu.pdf", confidentiality="public")
           )["document"]
    clients = [Client(server, world.token(who)) for who in
               ("delegate01", "delegate02", "delegate03", "guest", "chair") * 18]
    try:
        replies = await asyncio.gather(*(c.get(f"/api/documents/{doc['id']}/pages/1")
                                         for c in clients))
    finally:
        await asyncio.gather(*(c.http.aclose() for c in clients))
    assert len({r.content for r in replies}) == 1


async def test_a_downloaded_pdf_carries_no_active_content(people: dict[str, Client],
                                                          world: World) -> None:
    from tests.test_documents import _active_pdf

    dirty = _active_pdf()
    doc = (await people["secretary"].upload(world.meeting_id, dirty, "co-ma.pdf",
                                            allow_download="1"))["document"]
    served = (await people["delegate01"].get(f"/api/documents/{doc['id']}/original")).content
    assert served.startswith(b"%PDF-") and served != dirty
    for needle in (b"app.alert", b"/JavaScript", b"/Launch", b"calc.exe"):
        assert needle not in served, needle
