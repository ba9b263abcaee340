"""A person's notes exported as an annotated PDF: the drawing itself (no
server), then the whole path over real sockets: notes written through the
notes websocket, merged from an offline replica, downloaded over HTTP."""

from __future__ import annotations

import asyncio
import math
import time
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pycrdt
import pymupdf
import pytest

from collab_server.documents.annotate import (
    HIGHLIGHT_OPACITY,
    MAX_POINTS,
    MAX_TEXT,
    annotated_pdf,
    export_notes,
    notes_root,
    page_marks,
    read_notes,
    strokes_root,
)
from collab_server.documents.errors import RenderFailed
from collab_server.transport.annotations import filename
from tests.conftest import Server, World, build_world
from tests.test_documents import make_pdf
from tests.yclient import YClient, wait_until

# Idle documents leave memory quickly, so exports read storage as well as live replicas.
SERVER_ENV = {"PHONGHOP_IDLE_UNLOAD_S": "0.3"}

VIETNAMESE = "Đề nghị bổ sung số liệu quý IV, ạ ả ậ ỉ ọ ộ Ủ ự"
PAGES = ["Trang một: mở đầu.", "Báo cáo của Ủy ban nhân dân tỉnh Quảng Bình.", "Trang ba."]


def pen(id_: str, *points: float, color: str = "#c0392b") -> dict[str, Any]:
    return {"id": id_, "tool": "pen", "color": color, "width": 0.003, "points": list(points)}


def highlight(id_: str, *points: float) -> dict[str, Any]:
    return {"id": id_, "tool": "highlighter", "color": "#ffdd00", "width": 0.018,
            "points": list(points)}


def note(id_: str, x: float, y: float, text: str, color: str = "#ffdd00") -> dict[str, Any]:
    return {"id": id_, "x": x, "y": y, "text": text, "color": color}


def annots(pdf: bytes) -> list[list[tuple[str, str, dict[str, Any]]]]:
    """Per page: (type, contents, details) of each annotation, read back with
    PyMuPDF (read at once: an annotation object dies with its document)."""
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        return [[(a.type[1], a.info["content"], {
            **a.info, "opacity": a.opacity, "stroke": a.colors["stroke"], "rect": a.rect,
            "shown": a.rect * page.rotation_matrix, "paths": len(a.vertices or []),
        }) for a in page.annots()] for page in doc]


def drawn(pdf: bytes) -> tuple[list[int], list[list[str]]]:
    """Per page: how many strokes (paths of ink annotations), and the text of
    each free-text note, sorted."""
    pages = annots(pdf)
    return ([sum(a["paths"] for kind, _, a in page if kind == "Ink") for page in pages],
            [sorted(c for kind, c, _ in page if kind == "FreeText") for page in pages])


# -- drawing, without a server ---------------------------------------------------------


def test_strokes_highlights_and_notes_read_back() -> None:
    notes = {
        strokes_root(1): [pen("s1", 0.1, 0.1, 0.3, 0.15, 0.5, 0.1),
                          highlight("h1", 0.1, 0.3, 0.8, 0.3)],
        notes_root(2): [note("n1", 0.5, 0.5, VIETNAMESE)],
    }
    out = annotated_pdf(make_pdf(PAGES), notes, title="Báo cáo dự toán",
                        owner="Nguyễn Văn Ủy", exported_at="08:30 15/12/2026")
    pages = annots(out)
    assert [sorted(t for t, _, _ in page) for page in pages] == [["Ink", "Ink"], ["FreeText"], []]
    by_subject = {a["subject"]: a for _, _, a in pages[0]}
    assert by_subject["Bút dạ quang"]["opacity"] == pytest.approx(HIGHLIGHT_OPACITY, abs=0.01)
    assert by_subject["Bút"]["opacity"] in (-1, 1)
    assert by_subject["Bút"]["stroke"] == pytest.approx([0xC0 / 255, 0x39 / 255, 0x2B / 255],
                                                        abs=0.01)
    kind, text, annot = pages[1][0]
    assert text == VIETNAMESE
    assert annot["title"] == "Nguyễn Văn Ủy"
    doc = pymupdf.open(stream=out, filetype="pdf")
    # What is drawn maps back to the same letters: the glyphs are of our font.
    drawn = " ".join(doc[1].get_text("text", clip=annot["rect"]).split())
    assert drawn == VIETNAMESE
    assert "Ghi chú cá nhân của Nguyễn Văn Ủy · Báo cáo dự toán" in doc[0].get_text()
    assert doc.metadata["author"] == "Nguyễn Văn Ủy"
    assert "Nguyễn Văn Ủy" in doc.metadata["title"]


def test_note_font_has_every_glyph_of_the_note() -> None:
    out = annotated_pdf(make_pdf(PAGES), {notes_root(1): [note("n", 0.1, 0.1, VIETNAMESE)]},
                        title="t", owner="o")
    doc = pymupdf.open(stream=out, filetype="pdf")
    (annot,) = doc[0].annots()
    kind, ref = doc.xref_get_key(annot.xref, "AP/N/Resources/Font/PhVn")
    assert kind == "xref"
    _, _, _, buffer = doc.extract_font(int(ref.split()[0]))
    font = pymupdf.Font(fontbuffer=buffer)
    missing = [c for c in unicodedata.normalize("NFC", VIETNAMESE) if c != " "
               and not font.has_glyph(ord(c))]
    assert missing == []


def test_rotated_page_places_marks_where_the_reader_drew_them() -> None:
    source = pymupdf.open(stream=make_pdf(["Xoay ngang"]), filetype="pdf")
    source[0].set_rotation(90)
    notes = {strokes_root(1): [pen("s", 0.25, 0.25, 0.25, 0.25)],
             notes_root(1): [note("n", 0.5, 0.1, "Ghi chú")]}
    out = annotated_pdf(source.tobytes(), notes, title="t", owner="o")
    shown = {kind: a["shown"] for kind, _, a in annots(out)[0]}
    width, height = source[0].rect.width, source[0].rect.height
    assert shown["Ink"].contains(pymupdf.Point(0.25 * width, 0.25 * height))
    assert tuple(shown["FreeText"].top_left) == pytest.approx((0.5 * width, 0.1 * height), abs=1)


def test_garbage_is_skipped_and_numbers_clamped() -> None:
    long_stroke = [v for i in range(3 * MAX_POINTS) for v in (i / (3 * MAX_POINTS), 0.5)]
    notes: dict[str, Any] = {
        strokes_root(1): [
            "a string", 42, None, [1, 2], {"tool": "pen"}, {"tool": "pen", "points": "abc"},
            {"tool": "laser", "points": [0.1, 0.1, 0.2, 0.2]},
            {"tool": "pen", "points": [True, False, "x", None]},
            {"tool": "pen", "points": [math.nan, 0.5, math.inf, 0.5]},
            pen("clamped", 1e9, -5, 0.5, 0.5, 0.7),  # odd count, far outside the page
            {"id": "defaults", "tool": "highlighter", "color": "red", "width": "wide",
             "points": [0.2, 0.2, 0.4, 0.2]},
            {"id": "long", "tool": "pen", "points": long_stroke},
        ],
        notes_root(1): [
            note("long", 0.1, 0.6, "x" * (MAX_TEXT + 500)),
            {"id": "n-bad-text", "x": 0.1, "y": 0.1, "text": 123},
            {"id": "n-bad-x", "x": "left", "y": 0.1, "text": "Trái"},
            note("n-empty", 0.1, 0.1, "   \n "),
            note("n-surrogate", 2.0, -1.0, "Nửa emoji \ud83d và \x07chuông", color="blue"),
            note("dup", 0.2, 0.2, "bản cũ"), note("dup", 0.3, 0.3, "bản mới"),
        ],
        notes_root(2): {"not": "a list"},
        strokes_root(99): [pen("beyond", 0.1, 0.1, 0.2, 0.2)],
        "other": "ignored",
    }
    strokes, texts = page_marks(notes, 1)
    assert len(strokes) == 3
    clamped = strokes[0]
    assert clamped.points == [(1.0, 0.0), (0.5, 0.5)]
    assert strokes[1].color == (1.0, 0xDD / 255, 0.0) and strokes[1].width == 0.018
    assert len(strokes[2].points) <= MAX_POINTS
    assert [len(n.text) for n in texts[:1]] == [MAX_TEXT]
    assert texts[1].text == "Nửa emoji ? và chuông" and (texts[1].x, texts[1].y) == (1.0, 0.0)
    assert [n.text for n in texts[2:]] == ["bản mới"]

    out = annotated_pdf(make_pdf(PAGES), notes, title="t", owner="o")
    pages = annots(out)
    assert drawn(out) == ([3, 0, 0], [sorted(n.text for n in texts), [], []])
    page_rect = pymupdf.open(stream=out, filetype="pdf")[0].rect
    assert all(page_rect.contains(a["rect"]) for kind, _, a in pages[0] if kind == "FreeText")


def test_read_notes_tolerates_wrong_root_types() -> None:
    doc: pycrdt.Doc[Any] = pycrdt.Doc()
    doc.get(strokes_root(1), type=pycrdt.Map)["x"] = 1
    doc.get(notes_root(1), type=pycrdt.Text).insert(0, "chữ")
    doc.get(strokes_root(2), type=pycrdt.Array).append(pycrdt.Map({"tool": "pen",
                                                                  "points": [0.1, 0.1]}))
    doc.get("pages", type=pycrdt.Map)["1"] = "ignored"
    notes = read_notes([doc.get_update()])
    assert set(notes) == {strokes_root(1), notes_root(1), strokes_root(2)}
    assert page_marks(notes, 1) == ([], [])
    assert len(page_marks(notes, 2)[0]) == 1
    assert read_notes([]) == {}


def test_root_arrays_merge_where_nested_page_maps_would_not() -> None:
    """Why the schema has a root array per page: two replicas that start the
    same page while apart keep both sides' strokes; a map of page maps keeps
    one side's map and loses every stroke in the other."""
    def apart(make: Callable[[pycrdt.Doc[Any], str], None]) -> list[pycrdt.Doc[Any]]:
        laptop: pycrdt.Doc[Any] = pycrdt.Doc()
        tablet: pycrdt.Doc[Any] = pycrdt.Doc()
        make(laptop, "laptop")
        make(tablet, "tablet")
        laptop_update = laptop.get_update()
        laptop.apply_update(tablet.get_update())
        tablet.apply_update(laptop_update)
        return [laptop, tablet]

    def root(doc: pycrdt.Doc[Any], who: str) -> None:
        doc.get(strokes_root(3), type=pycrdt.Array).append(pen(who, 0.1, 0.1, 0.2, 0.2))

    def nested(doc: pycrdt.Doc[Any], who: str) -> None:
        doc.get("pages", type=pycrdt.Map)["3"] = pycrdt.Map(
            {"strokes": pycrdt.Array([pen(who, 0.1, 0.1, 0.2, 0.2)])})

    for doc in apart(root):
        assert len(page_marks(read_notes([doc.get_update()]), 3)[0]) == 2
    for doc in apart(nested):
        assert len(doc.get("pages", type=pycrdt.Map).to_py()["3"]["strokes"]) == 1


def test_watermark_on_every_page() -> None:
    lines = ["Người đọc Ủy", "Văn phòng UBND", "09:15 15/12/2026"]
    out = export_notes(make_pdf(PAGES), [], title="t", owner="o", watermark=lines)
    for page in pymupdf.open(stream=out, filetype="pdf"):
        assert "Người đọc Ủy" in page.get_text()
    plain = export_notes(make_pdf(PAGES), [], title="t", owner="o")
    assert all("Người đọc" not in p.get_text() for p in pymupdf.open(stream=plain,
                                                                       filetype="pdf"))


def test_watermark_covers_rotated_and_cropped_pages() -> None:
    source = pymupdf.open()
    for rotation, crop in ((0, None), (90, None), (270, pymupdf.Rect(100, 100, 500, 700)),
                           (0, pymupdf.Rect(50, 0, 600, 700))):
        page = source.new_page(width=600, height=800)
        if crop is not None:
            page.set_cropbox(crop)
        page.set_rotation(rotation)
    out = export_notes(source.tobytes(), [], title="t", owner="o",
                       watermark=["Người đọc", "Văn phòng", "09:15 15/12/2026"])
    for page in pymupdf.open(stream=out, filetype="pdf"):
        pix = page.get_pixmap(dpi=36)
        # Every 25th of the page as shown has some of the (reddish) mark.
        n = 5
        for row in range(n):
            for column in range(n):
                cell = [pix.pixel(x, y)
                        for y in range(row * pix.height // n, (row + 1) * pix.height // n)
                        for x in range(column * pix.width // n, (column + 1) * pix.width // n)]
                assert any(r - g > 10 for r, g, _ in cell), (page.number, row, column)


def test_download_names() -> None:
    assert filename("Báo cáo Đề án: 3/2027") == ("Báo cáo Đề án 3 2027 (ghi chú).pdf",
                                                 "Bao cao De an 3 2027 (ghi chu).pdf")
    assert filename(' "\\/\x00 ') == ("tai-lieu (ghi chú).pdf", "tai-lieu (ghi chu).pdf")
    assert len(filename("x" * 500)[0]) < 140


def test_not_a_pdf_fails_cleanly() -> None:
    with pytest.raises(RenderFailed):
        annotated_pdf(b"%PDF-1.7 broken", {}, title="t", owner="o")


# -- over the server ---------------------------------------------------------------------


@pytest.fixture(scope="module")
async def world(server: Server) -> World:
    return await build_world(server.database_url, delegates=3)


@pytest.fixture(scope="module")
async def http(server: Server, world: World) -> AsyncIterator[Callable[[str | None],
                                                                        httpx.AsyncClient]]:
    clients: dict[str | None, httpx.AsyncClient] = {}

    def client(who: str | None) -> httpx.AsyncClient:
        if who not in clients:
            headers = {"authorization": f"Bearer {world.token(who)}"} if who else {}
            clients[who] = httpx.AsyncClient(base_url=server.http, headers=headers, timeout=120)
        return clients[who]

    yield client
    for c in clients.values():
        await c.aclose()


async def upload(http: Callable[[str | None], httpx.AsyncClient], world: World, title: str,
                 **params: str) -> int:
    r = await http("secretary").post(
        f"/api/meetings/{world.meeting_id}/documents", content=make_pdf(PAGES),
        params={"filename": "bao-cao.pdf", "title": title, **params})
    assert r.status_code == 201, r.text
    return int(r.json()["document"]["id"])


async def notes_of(world: World, who: str, document: int, server: Server,
                   device: str = "may") -> YClient:
    path = f"meeting/{world.meeting_id}/notes/{document}"
    return await YClient(server.ws, path, world.token(who), device=device).connect()


async def write(client: YClient, *changes: Callable[[pycrdt.Doc[Any]], None]) -> None:
    """The changes in one transaction, sent as one update."""
    state = client.doc.get_state()
    with client.doc.transaction():
        for change in changes:
            change(client.doc)
    await client.send_update(client.doc.get_update(state))


def append(root: str, *elements: Any) -> Callable[[pycrdt.Doc[Any]], None]:
    def change(doc: pycrdt.Doc[Any]) -> None:
        array = doc.get(root, type=pycrdt.Array)
        for element in elements:
            array.append(element)
    return change


async def export(http: httpx.AsyncClient, document: int, until: Callable[[bytes], bool]
                 = lambda _: True, timeout: float = 20) -> httpx.Response:
    """Download the annotated copy until it shows what the test expects."""
    deadline = time.monotonic() + timeout
    while True:
        r = await http.get(f"/api/documents/{document}/annotated")
        assert r.status_code == 200, r.text
        if until(r.content):
            return r
        assert time.monotonic() < deadline, "the export never showed the notes"
        await asyncio.sleep(0.05)


async def poll(predicate: Callable[[], Awaitable[bool]], timeout: float = 10,
               what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def live_documents(http: httpx.AsyncClient) -> int:
    return int((await http.get("/-/health")).json()["live"]["documents"])


async def test_a_delegate_exports_their_own_notes(server: Server, world: World,
                                                  http: Callable[[str | None],
                                                                 httpx.AsyncClient]) -> None:
    document = await upload(http, world, "Báo cáo dự toán 2027", allow_download="1",
                            confidentiality="public")
    mine = await notes_of(world, "delegate01", document, server)
    theirs = await notes_of(world, "delegate02", document, server)
    try:
        await write(mine,
                    append(strokes_root(1), pen("s1", 0.1, 0.1, 0.4, 0.2, 0.6, 0.15),
                           highlight("h1", 0.1, 0.3, 0.9, 0.3)),
                    append(notes_root(2), note("n1", 0.6, 0.4, VIETNAMESE)))
        await write(theirs, append(notes_root(3), note("other", 0.1, 0.1, "Của người khác")))
        expected = ([2, 0, 0], [[], [VIETNAMESE], []])
        r = await export(http("delegate01"), document, lambda pdf: drawn(pdf) == expected)
        assert r.headers["content-type"] == "application/pdf"
        assert r.headers["cache-control"] == "no-store"
        disposition = r.headers["content-disposition"]
        assert disposition.startswith("attachment;") and "filename*=UTF-8''B%C3%A1o" in disposition
        assert 'filename="Bao cao du toan 2027 (ghi chu).pdf"' in disposition
        opacities = sorted(a["opacity"] for _, _, a in annots(r.content)[0])
        assert opacities == pytest.approx([-1, HIGHLIGHT_OPACITY], abs=0.01)

        other = await export(http("delegate02"), document, lambda pdf: any(drawn(pdf)[1]))
        assert drawn(other.content) == ([0, 0, 0], [[], [], ["Của người khác"]])
        assert "Người delegate02" in pymupdf.open(stream=other.content)[0].get_text()
    finally:
        await mine.close()
        await theirs.close()
    # From storage, once nobody has the notes open.
    await poll(lambda: _unloaded(http("delegate01")), what="unload")
    again = await export(http("delegate01"), document)
    assert drawn(again.content) == expected
    # Someone with no notes of their own gets the document as it is.
    blank = await export(http("guest"), document)
    assert annots(blank.content) == [[], [], []]


async def _unloaded(http: httpx.AsyncClient) -> bool:
    return await live_documents(http) == 0


async def test_who_may_export(server: Server, world: World,
                              http: Callable[[str | None], httpx.AsyncClient]) -> None:
    # Even where the original may not be downloaded, a participant takes their
    # own notes home (watermarked when the document is not public).
    document = await upload(http, world, "Chỉ xem", allow_download="0",
                            confidentiality="internal")
    for who, status in (("outsider", 403), ("display", 403), (None, 401),
                        ("delegate01", 200), ("secretary", 200)):
        r = await http(who).get(f"/api/documents/{document}/annotated")
        assert r.status_code == status, (who, r.text[:200])
        if status != 200:
            assert r.json()["error"]["code"] == ("unauthorized" if who is None else "forbidden")
    stranger = await build_world(server.database_url, delegates=1)
    async with httpx.AsyncClient(base_url=server.http, headers={
            "authorization": f"Bearer {stranger.token('delegate01')}"}) as client:
        r = await client.get(f"/api/documents/{document}/annotated")
        assert r.status_code == 403
    r = await http("delegate01").get("/api/documents/999999999/annotated")
    assert r.status_code == 403  # the same answer as for another meeting's document


async def test_internal_document_is_watermarked_and_audited(
        server: Server, world: World, http: Callable[[str | None], httpx.AsyncClient]) -> None:
    document = await upload(http, world, "Tài liệu nội bộ", allow_download="1",
                            confidentiality="internal")
    r = await export(http("delegate03"), document)
    assert r.headers["cache-control"] == "no-store"
    for page in pymupdf.open(stream=r.content, filetype="pdf"):
        assert "Người delegate03" in page.get_text()
    conn = await asyncpg.connect(world.url)
    try:
        row = await conn.fetchrow(
            "SELECT details FROM audit_log WHERE action = 'document.export_annotated'"
            " AND actor_id = $1 AND target = $2", world.users["delegate03"],
            f"document:{document}")
    finally:
        await conn.close()
    assert row is not None and '"watermarked": true' in row["details"]


async def test_garbage_in_the_notes_document_still_exports(
        server: Server, world: World, http: Callable[[str | None], httpx.AsyncClient]) -> None:
    document = await upload(http, world, "Rác", allow_download="1", confidentiality="public")
    client = await notes_of(world, "delegate02", document, server)
    try:
        def garbage(doc: pycrdt.Doc[Any]) -> None:
            append(strokes_root(1), "chuỗi", 7, None, [0.1, 0.2], {"tool": "pen"},
                   {"tool": "pen", "points": "abc"}, {"tool": "bút laser", "points": [0.1] * 4},
                   {"tool": "pen", "points": [True, False, "x", None]},
                   pen("clamped", 5, -3, 0.5, 0.5), pen("ok", 0.2, 0.2, 0.3, 0.3))(doc)
            append(notes_root(1), {"text": 12, "x": 0.1, "y": 0.1}, note("n", 9, 9, "x" * 5000),
                   pycrdt.Map({"id": "nested", "x": 0.1, "y": 0.5, "text": "Trong Y.Map"}))(doc)
            doc.get(notes_root(2), type=pycrdt.Map)["x"] = "a map where an array belongs"
            doc.get(strokes_root(3), type=pycrdt.Text).insert(0, "văn bản")
            append(strokes_root(4000), pen("beyond", 0.1, 0.1, 0.2, 0.2))(doc)

        await write(client, garbage)

        r = await export(http("delegate02"), document, lambda pdf: drawn(pdf)[0] == [2, 0, 0])
        _, texts = drawn(r.content)
        assert texts == [["Trong Y.Map", "x" * MAX_TEXT], [], []]
    finally:
        await client.close()


async def test_offline_edits_merge_on_reconnect(
        server: Server, world: World, http: Callable[[str | None], httpx.AsyncClient]) -> None:
    """Two devices of one person; the tablet loses wifi, both keep writing, even
    on the same page that neither had written before; on reconnect the
    server, the laptop and the export have both."""
    document = await upload(http, world, "Ngoại tuyến", allow_download="1",
                            confidentiality="public")
    laptop = await notes_of(world, "delegate03", document, server, device="laptop")
    tablet = await notes_of(world, "delegate03", document, server, device="tablet")
    await write(laptop, append(strokes_root(1), pen("before", 0.1, 0.1, 0.2, 0.2)))
    await wait_until(lambda: len(tablet.doc.get(strokes_root(1), type=pycrdt.Array)) == 1)
    await tablet.close()  # wifi drops

    # Both start page 2 and page 3 while apart.
    offline = tablet.doc
    with offline.transaction():
        append(strokes_root(2), pen("tablet", 0.1, 0.5, 0.9, 0.5))(offline)
        append(notes_root(3), note("tablet-note", 0.2, 0.2,
                                   "Ghi trên máy tính bảng, ngoại tuyến"))(offline)
        append(strokes_root(1), highlight("tablet-hl", 0.1, 0.4, 0.5, 0.4))(offline)
    await write(laptop, append(strokes_root(2), pen("laptop", 0.1, 0.6, 0.9, 0.6)),
                append(notes_root(3), note("laptop-note", 0.5, 0.7, "Ghi trên máy xách tay")))

    def ids(doc: pycrdt.Doc[Any], root: str) -> set[str]:
        return {e["id"] for e in doc.get(root, type=pycrdt.Array).to_py() or []}

    everything = {strokes_root(1): {"before", "tablet-hl"}, strokes_root(2): {"tablet", "laptop"},
                  notes_root(3): {"tablet-note", "laptop-note"}}

    def has_everything(replica: pycrdt.Doc[Any]) -> Callable[[], bool]:
        return lambda: all(ids(replica, k) == v for k, v in everything.items())

    back = YClient(server.ws, f"meeting/{world.meeting_id}/notes/{document}",
                   world.token("delegate03"), doc=offline, device="tablet")
    await back.connect()
    try:
        for replica in (laptop.doc, back.doc):
            await wait_until(has_everything(replica), 10, "both replicas merged")

        def merged(pdf: bytes) -> bool:
            return drawn(pdf) == ([2, 2, 0], [[], [], ["Ghi trên máy tính bảng, ngoại tuyến",
                                                      "Ghi trên máy xách tay"]])

        await export(http("delegate03"), document, merged)
    finally:
        await laptop.close()
        await back.close()
    # What the server stored has both, too: read back once the replica has left memory.
    await poll(lambda: _unloaded(http("delegate03")), what="unload")
    stored = await export(http("delegate03"), document)
    assert merged(stored.content)
    fresh = await notes_of(world, "delegate03", document, server, device="third")
    try:
        assert has_everything(fresh.doc)()
    finally:
        await fresh.close()
