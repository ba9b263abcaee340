"""Documents seen from outside: what an id, a file name, a restricted PDF or a
disguised file gets back, and what leaves in the records office's export."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote

import asyncpg
import httpx
import pymupdf
import pytest
from PIL import Image

from tests.conftest import Server, World, build_world, document_rows
from tests.test_documents import _active_pdf, make_pdf


@pytest.fixture(scope="module")
async def world(server: Server) -> World:
    return await build_world(server.database_url, delegates=1)


@pytest.fixture(scope="module")
async def elsewhere(server: Server) -> World:
    return await build_world(server.database_url, delegates=1)


def _client(server: Server, world: World, who: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.http, timeout=120,
                             headers={"authorization": f"Bearer {world.token(who)}"})


@pytest.fixture(scope="module")
async def secretary(server: Server, world: World) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(server, world, "secretary") as client:
        yield client


async def _upload(client: httpx.AsyncClient, world: World, data: bytes, filename: str,
                  expect: int = 201, **params: str) -> dict[str, Any]:
    r = await client.post(f"/api/meetings/{world.meeting_id}/documents", content=data,
                          params={"filename": filename, **params})
    assert r.status_code == expect, r.text
    body: dict[str, Any] = r.json()
    return body


# -- ids reveal nothing ------------------------------------------------------------------


async def test_another_meetings_document_and_a_missing_one_get_the_same_answer(
        server: Server, world: World, elsewhere: World,
        secretary: httpx.AsyncClient) -> None:
    doc = (await _upload(secretary, world, make_pdf(["Riêng"]), "rieng.pdf"))["document"]["id"]
    conn = await asyncpg.connect(world.url)
    try:
        missing = int(await conn.fetchval("SELECT max(id) FROM documents")) + 1000
    finally:
        await conn.close()
    routes = [("GET", "/api/documents/{}", None), ("PATCH", "/api/documents/{}", {"title": "x"}),
              ("DELETE", "/api/documents/{}", None), ("GET", "/api/documents/{}/pages/1", None),
              ("GET", "/api/documents/{}/pages/1/text", None),
              ("GET", "/api/documents/{}/original", None), ("GET", "/api/documents/{}/opens", None),
              ("GET", "/api/documents/{}/annotated", None)]
    # The other body's secretary prepares a meeting of her own: she may attach
    # documents of meetings she sees, and must learn nothing of the others.
    async with _client(server, elsewhere, "secretary") as stranger:
        for method, path, body in routes:
            answers = set()
            for target in (doc, missing, 10**17):
                r = await stranger.request(method, path.format(target), json=body)
                answers.add((r.status_code, r.text))
            assert len(answers) == 1, (method, path, answers)
            status, text = answers.pop()
            assert status == 403, (method, path, text)
        attach = f"/api/meetings/{elsewhere.meeting_id}/documents/attach"
        answers = set()
        for target in (doc, missing):
            r = await stranger.post(attach, json={"document_id": target})
            answers.add((r.status_code, r.text))
        assert len(answers) == 1 and answers.pop()[0] == 403, answers
    async with _client(server, world, "delegate01") as reader:  # the document is still there
        assert (await reader.get(f"/api/documents/{doc}")).status_code == 200


# -- restricted PDFs -----------------------------------------------------------------------


async def test_a_pdf_restricted_by_its_owner_is_refused_with_the_reason(
        world: World, secretary: httpx.AsyncClient) -> None:
    source = pymupdf.open(stream=make_pdf(["Không cho in, không cho sao chép."]), filetype="pdf")
    restricted = source.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="chu-so-huu",
                                permissions=pymupdf.PDF_PERM_ACCESSIBILITY)
    no_print = source.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="chu-so-huu",
                              permissions=pymupdf.PDF_PERM_COPY | pymupdf.PDF_PERM_ACCESSIBILITY)
    before = await document_rows(world.url)
    for data in (restricted, no_print):
        error = (await _upload(secretary, world, data, "han-che.pdf", expect=422))["error"]
        assert error["code"] == "restricted_pdf"
        assert "in" in error["message"] and "print" in error["message_en"]
    assert await document_rows(world.url) == before
    # An owner password that restricts nothing readers do is no reason to refuse.
    open_owner = source.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="chu-so-huu",
                                permissions=-1)
    await _upload(secretary, world, open_owner, "mo.pdf")


# -- file names ----------------------------------------------------------------------------


def _disposition_name(header: str) -> str:
    match = re.search(r"filename\*=UTF-8''([^;\s]+)", header)
    assert match, header
    return unquote(match.group(1))


async def test_file_names_are_cleaned_and_follow_the_content(
        world: World, secretary: httpx.AsyncClient) -> None:
    decomposed = unicodedata.normalize("NFD", "Quyết định")
    hostile = f"{decomposed}\r\nSet-Cookie: x=1\x07\u202egpj\t{'dài ' * 50}.exe"
    doc = (await _upload(secretary, world, make_pdf(["Tên tệp"]), hostile,
                         allow_download="1"))["document"]
    name = doc["original_name"]
    assert name.startswith("Quyết định") and unicodedata.is_normalized("NFC", name)
    assert not any(unicodedata.category(c) in ("Cc", "Cf") for c in name), repr(name)
    assert name.endswith(".pdf") and ".exe" not in name and len(name) <= 160
    assert "\r" not in doc["title"] and "\u202e" not in doc["title"]
    # Bad names get the same cleaning whatever the extension said.
    for given, stored in (("bao-cao.PDF", "bao-cao.pdf"), ("anh.png", "anh.pdf"),
                          ("khong-duoi", "khong-duoi.pdf"), ("\x01\x02.pdf", "tai-lieu.pdf")):
        row = (await _upload(secretary, world, make_pdf(["x"]), given))["document"]
        assert row["original_name"] == stored, given
    r = await secretary.patch(f"/api/documents/{doc['id']}", json={"title": "Tờ trình\r\nsố 5"})
    assert r.status_code == 200 and r.json()["document"]["title"] == "Tờ trình số 5"
    r = await secretary.patch(f"/api/documents/{doc['id']}", json={"title": "\x07\u202e"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
    r = await secretary.get(f"/api/documents/{doc['id']}/original")
    assert r.status_code == 200
    header = r.headers["content-disposition"]
    assert header.isascii() and not any(c in header for c in "\r\n\x07")
    assert header.startswith("attachment;")
    assert _disposition_name(header) == name
    fallback = re.search(r'filename="([^"]*)"', header)
    assert fallback and fallback.group(1).endswith(".pdf")
    assert re.fullmatch(r"[ -~]+", fallback.group(1)) and "\\" not in fallback.group(1)


# -- what the file is ------------------------------------------------------------------------


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(("data", "filename", "status", "code"), [
    (b"", "trong.pdf", 422, "empty_pdf"),
    (b"", "trong.docx", 422, "empty_pdf"),
    (_png(), "anh.pdf", 415, "not_pdf"),
    (b"MZ\x90\x00" + b"\x00" * 500, "virus.pdf", 415, "not_pdf"),
    (b"#!/bin/sh\necho hi\n", "run.sh", 415, "unsupported_type"),
], ids=["empty pdf", "empty docx", "png named pdf", "exe named pdf", "script"])
async def test_empty_and_disguised_files_get_the_documented_codes(
        world: World, secretary: httpx.AsyncClient, data: bytes, filename: str, status: int,
        code: str) -> None:
    before = await document_rows(world.url)
    error = (await _upload(secretary, world, data, filename, expect=status))["error"]
    assert error["code"] == code and error["message"] and error["message_en"]
    assert await document_rows(world.url) == before


# -- the records office's export -------------------------------------------------------------


async def test_export_zip_carries_the_cleaned_copy(world: World,
                                                   secretary: httpx.AsyncClient) -> None:
    dirty = _active_pdf()
    doc = (await _upload(secretary, world, dirty, "co-ma.pdf"))["document"]
    served = (await secretary.get(f"/api/documents/{doc['id']}/original")).content
    r = await secretary.get(f"/api/meetings/{world.meeting_id}/export.zip")
    assert r.status_code == 200, r.text
    with zipfile.ZipFile(io.BytesIO(r.content)) as archive:
        exported = archive.read(f"tai-lieu/{doc['id']} - co-ma.pdf")
    assert exported == served and exported != dirty
    for needle in (b"app.alert", b"/JavaScript", b"/Launch", b"calc.exe", b"/EmbeddedFile"):
        assert needle not in exported, needle
    with pymupdf.open(stream=exported, filetype="pdf") as pdf:
        assert pdf.embfile_count() == 0
        assert not list(pdf[0].annots(types=[pymupdf.PDF_ANNOT_FILE_ATTACHMENT]))
