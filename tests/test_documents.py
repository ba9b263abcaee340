"""The document engine on real files: PDFs made here with PyMuPDF, the
Quảng Bình decision in tests/fixtures, broken files made by hand, and
a DOCX converted by the real LibreOffice."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import pickle
import re
import subprocess
import sys
import time
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pymupdf
import pytest
from PIL import Image, ImageStat

from collab_server.documents import convert, errors
from collab_server.documents.cache import WIDTHS, PageCache
from collab_server.documents.fonts import VIETNAMESE_LETTERS, font_buffer
from collab_server.documents.ingest import ingest_pdf
from collab_server.documents.pool import WorkerPool
from collab_server.documents.render import render_page, watermark
from collab_server.documents.text import extract_pages, fold, normalize, snippet, terms
from collab_server.documents.validate import clean_pdf, inspect_pdf

FIXTURES = Path(__file__).resolve().parent / "fixtures"
STEM = "quyet-dinh-de-an-phong-hop-khong-giay"
A4 = (595.0, 842.0)
SAMPLE = (
    "Ủy ban nhân dân tỉnh Quảng Bình phê duyệt Đề án xây dựng hệ thống phòng họp "
    "không giấy; đại biểu đọc tài liệu, đăng ký phát biểu và biểu quyết."
)


def make_pdf(texts: list[str], *, size: tuple[float, float] = A4) -> bytes:
    """A PDF with one page per text, in a font that has every Vietnamese
    glyph (PyMuPDF's Base14 fonts lack ạ, ả, ậ...)."""
    doc = pymupdf.open()
    for text in texts:
        page = doc.new_page(width=size[0], height=size[1])
        page.insert_font(fontname="vn", fontbuffer=font_buffer())
        page.insert_textbox(
            pymupdf.Rect(40, 40, size[0] - 40, size[1] - 40), text, fontname="vn", fontsize=11
        )
    return bytes(doc.tobytes())


def fixture_pdf() -> bytes:
    return (FIXTURES / f"{STEM}.pdf").read_bytes()


def fixture_words() -> set[str]:
    """Words of the fixture's text, long enough to mean something."""
    text = (FIXTURES / f"{STEM}.txt").read_text(encoding="utf-8")
    return {w for w in re.findall(r"\w+", normalize(text).lower()) if len(w) >= 4}


# validate


def test_inspect_fixture() -> None:
    info = inspect_pdf(fixture_pdf())
    assert info.page_count == 2
    assert info.repaired is False
    for width, height in info.page_sizes:
        assert width == pytest.approx(595.3, abs=1) and height == pytest.approx(841.9, abs=1)


def test_inspect_reports_each_page_as_displayed() -> None:
    doc = pymupdf.open(stream=make_pdf(["một", "hai", "ba"]), filetype="pdf")
    doc.load_page(1).set_rotation(90)
    doc.insert_page(-1, text="A3", width=842, height=1191)
    info = inspect_pdf(doc.tobytes())
    assert info.page_count == 4
    assert info.page_sizes == ((595, 842), (842, 595), (595, 842), (842, 1191))


def test_truncated_pdf_is_refused() -> None:
    data = make_pdf([SAMPLE] * 3)
    for cut in (len(data) // 2, len(data) - 10):
        with pytest.raises(errors.CorruptPdf) as caught:
            inspect_pdf(data[:cut])
        assert caught.value.status == 422 and caught.value.code == "corrupt_pdf"


def test_pdf_with_broken_xref_is_repaired_and_accepted() -> None:
    data = make_pdf([SAMPLE, SAMPLE])
    end = data.rindex(b"startxref")
    broken = data[:end] + b"startxref\n12\n%%EOF\n"
    info = inspect_pdf(broken)
    assert info.page_count == 2 and info.repaired is True
    # The copy we serve has a sound cross-reference table again.
    with pymupdf.open(stream=clean_pdf(broken), filetype="pdf") as doc:
        assert not doc.is_repaired
        assert "Quảng Bình" in doc.load_page(0).get_text()


def test_not_a_pdf_whatever_the_name_says() -> None:
    for data in (
        os.urandom(5000),
        (FIXTURES / f"{STEM}.docx").read_bytes(),
        (FIXTURES / f"{STEM}.txt").read_bytes(),
        b"",
    ):
        with pytest.raises(errors.NotPdf) as caught:
            inspect_pdf(data)
        assert caught.value.status == 415
    # A PDF header on top of garbage is a PDF that is broken, not another type.
    with pytest.raises(errors.CorruptPdf):
        inspect_pdf(b"%PDF-1.7\n" + os.urandom(5000))


def test_encrypted_pdf() -> None:
    doc = pymupdf.open(stream=make_pdf([SAMPLE]), filetype="pdf")
    locked = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="mk", owner_pw="chu")
    with pytest.raises(errors.EncryptedPdf) as caught:
        inspect_pdf(locked)
    assert caught.value.code == "encrypted_pdf"
    # An owner password that forbids printing or copying: refused, never
    # served without the limits (see validate.py).
    restricted = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="chu", permissions=0)
    with pytest.raises(errors.RestrictedPdf):
        inspect_pdf(restricted)
    # An owner password that allows what readers do: readable, served without it.
    owner = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="chu", permissions=-1)
    assert inspect_pdf(owner).page_count == 1
    with pymupdf.open(stream=clean_pdf(owner), filetype="pdf") as clean:
        assert not clean.is_encrypted
        assert "Quảng Bình" in clean.load_page(0).get_text()


def test_zero_pages() -> None:
    # PyMuPDF refuses to save a document without pages; write one by hand.
    body = b"%PDF-1.4\n"
    offsets = []
    for obj in (
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n",
    ):
        offsets.append(len(body))
        body += obj
    xref = len(body)
    body += b"xref\n0 3\n0000000000 65535 f \n"
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    with pytest.raises(errors.EmptyPdf) as caught:
        inspect_pdf(body)
    assert caught.value.code == "empty_pdf"


def test_too_many_pages() -> None:
    doc = pymupdf.open()
    for _ in range(2001):
        doc.new_page()
    data = doc.tobytes()
    with pytest.raises(errors.TooManyPages) as caught:
        inspect_pdf(data)
    assert caught.value.status == 413
    assert "2001" in caught.value.message and "2000" in caught.value.message
    assert inspect_pdf(data, max_pages=2001).page_count == 2001
    with pytest.raises(errors.TooManyPages):
        inspect_pdf(make_pdf(["1", "2", "3"]), max_pages=2)


@pytest.mark.parametrize(
    "size",
    [(20000, 842), (595, 20), (10, 10), (595, 842 * 9)],
    ids=["over-5m", "under-1cm", "tiny", "1-to-9-strip"],
)
def test_absurd_page_size(size: tuple[float, float]) -> None:
    doc = pymupdf.open(stream=make_pdf(["bình thường"]), filetype="pdf")
    doc.new_page(width=size[0], height=size[1])
    with pytest.raises(errors.BadPageSize) as caught:
        inspect_pdf(doc.tobytes())
    assert caught.value.code == "bad_page_size"
    assert caught.value.message.startswith("Trang 2 ")


def _active_pdf() -> bytes:
    """Everything a served copy must not carry, next to what it must keep."""
    doc = pymupdf.open(stream=make_pdf([SAMPLE]), filetype="pdf")
    page = doc.load_page(0)
    catalog = doc.pdf_catalog()
    doc.xref_set_key(catalog, "OpenAction", "<</S/JavaScript/JS(app.alert('open'))>>")
    script = doc.get_new_xref()
    doc.update_object(script, "<</S/JavaScript/JS(app.alert('named'))>>")
    doc.xref_set_key(catalog, "Names", f"<</JavaScript <</Names[(s) {script} 0 R]>>>>")
    doc.xref_set_key(page.xref, "AA", "<</O <</S/JavaScript/JS(app.alert('page'))>>>>")
    doc.embfile_add("bi-mat.txt", b"embedded secret")
    page.add_file_annot(pymupdf.Point(60, 700), b"attached secret", "dinh-kem.txt")
    page.insert_link(
        {"kind": pymupdf.LINK_LAUNCH, "from": pymupdf.Rect(40, 600, 200, 620), "file": "calc.exe"}
    )
    for y, uri in (
        (640, "https://quangbinh.gov.vn/"),
        (670, "javascript:app.alert('uri')"),
        (700, "file:///etc/passwd"),
    ):
        page.insert_link(
            {"kind": pymupdf.LINK_URI, "from": pymupdf.Rect(40, y, 200, y + 20), "uri": uri}
        )
    return bytes(doc.tobytes())


def test_clean_pdf_strips_active_content() -> None:
    dirty = _active_pdf()
    needles = [b"app.alert", b"/JavaScript", b"/Launch", b"calc.exe", b"/OpenAction", b"/AA"]
    needles.append(b"file:///etc/passwd")
    assert all(needle in dirty for needle in needles)
    with pymupdf.open(stream=dirty, filetype="pdf") as doc:
        assert doc.embfile_count() == 1
    clean = clean_pdf(dirty)
    for needle in needles:
        assert needle not in clean, needle
    with pymupdf.open(stream=clean, filetype="pdf") as doc:
        assert doc.embfile_count() == 0
        for xref in range(1, doc.xref_length()):
            keys = doc.xref_get_keys(xref)
            assert not {"AA", "OpenAction", "EF", "EmbeddedFiles"} & set(keys), xref
            assert doc.xref_get_key(xref, "Type")[1] != "/EmbeddedFile"
        page = doc.load_page(0)
        assert not list(page.annots(types=[pymupdf.PDF_ANNOT_FILE_ATTACHMENT]))
        # What a reader needs stays: the text and the ordinary web link.
        assert [link["uri"] for link in page.get_links()] == ["https://quangbinh.gov.vn/"]
        assert "Quảng Bình" in page.get_text()


def test_errors_speak_vietnamese_first_and_survive_a_worker() -> None:
    error = errors.EncryptedPdf()
    assert error.to_json() == {
        "code": "encrypted_pdf",
        "message": errors.EncryptedPdf.default_vi,
        "message_en": errors.EncryptedPdf.default_en,
    }
    back = pickle.loads(pickle.dumps(errors.PageNotFound("Không có trang 9.", "No page 9.")))
    assert (back.message, back.message_en, back.status) == ("Không có trang 9.", "No page 9.", 404)
    assert errors.ConverterMissing.status == 503
    assert "libreoffice-writer-nogui" in errors.ConverterMissing.default_vi


# text


def test_extract_fixture_text() -> None:
    pages = extract_pages(fixture_pdf())
    assert len(pages) == 2
    text = " ".join(pages)
    assert "Quảng Bình" in text and "phòng họp không giấy" in text
    assert "\n" not in text and "  " not in text
    found = set(re.findall(r"\w+", text.lower()))
    words = fixture_words()
    assert len(words & found) / len(words) > 0.95
    assert "phong hop khong giay" in fold(text)


def test_scanned_page_has_no_text() -> None:
    image = Image.new("RGB", (400, 560), "white")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    doc = pymupdf.open()
    doc.new_page().insert_image(pymupdf.Rect(0, 0, 595, 842), stream=buffer.getvalue())
    assert extract_pages(doc.tobytes()) == [""]
    mixed = pymupdf.open(stream=make_pdf([SAMPLE]), filetype="pdf")
    mixed.insert_pdf(doc)
    assert extract_pages(mixed.tobytes())[1] == ""


def test_normalize_composes_and_cleans() -> None:
    decomposed = "Qua\u0309ng  Bi\u0300nh\u00ad\ufffd\n\tđẹp"
    assert normalize(decomposed) == "Quảng Bình đẹp"


def test_fold() -> None:
    assert fold("Quảng Bình") == "quang binh"
    assert fold("ĐỒNG ý, Đà Nẵng") == "dong y, da nang"
    folded = fold(VIETNAMESE_LETTERS)
    assert len(folded) == len(VIETNAMESE_LETTERS)
    assert set(folded) <= set("abcdefghijklmnopqrstuvwxy")
    assert len(fold("İstanbul ß ﬁ")) == len("İstanbul ß ﬁ")


def test_fold_positions_are_positions_in_the_original() -> None:
    text = normalize(" ".join(extract_pages(fixture_pdf())))
    folded = fold(text)
    assert len(folded) == len(text)
    hits = [m.start() for m in re.finditer("quang binh", folded)]
    assert hits
    for start in hits:
        assert text[start : start + 10].lower() == "quảng bình"


def test_terms() -> None:
    assert terms("  Quảng   BÌNH, quảng-bình!") == ["quang", "binh"]
    assert terms("Qua\u0309ng") == ["quang"]
    assert terms(" ,.; ") == []


def test_snippet_marks_the_words() -> None:
    text = " ".join(extract_pages(fixture_pdf()))
    excerpt = snippet(text, "quang binh")
    assert excerpt is not None
    assert "<mark>Quảng Bình</mark>" in excerpt
    plain = re.sub(r"</?mark>", "", excerpt).strip("…")
    assert plain in text
    assert len(plain) < 200

    later = snippet(text, "phong hop khong giay", width=60)
    assert later is not None
    assert "<mark>phòng họp không giấy</mark>" in later.replace("Phòng", "phòng")


def test_snippet_escapes_and_ends() -> None:
    text = "Mở đầu. " + "chữ " * 100 + "<b>Đà Nẵng</b> & Huế " + "chữ " * 100
    excerpt = snippet(text, "da nang", width=80)
    assert excerpt is not None
    assert excerpt.startswith("…") and excerpt.endswith("…")
    assert "&lt;b&gt;<mark>Đà Nẵng</mark>&lt;/b&gt; &amp; Huế" in excerpt
    assert "<b>" not in excerpt
    # A word matches at the start of a word; the whole word is marked.
    assert snippet("Phòng họp", "phon") == "<mark>Phòng</mark> họp"
    assert snippet("Điện Biên", "bien") == "Điện <mark>Biên</mark>"
    assert snippet("trong phòng", "ong") is None
    assert snippet(text, "Hà Nội") is None
    assert snippet(text, "   ") is None


# render


@pytest.mark.parametrize("fmt", ["webp", "png", "jpeg"])
def test_render_page(fmt: str) -> None:
    data = render_page(fixture_pdf(), 2, 1280, fmt)  # type: ignore[arg-type]
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == fmt.upper()
        assert image.width == 1280
        assert image.height == pytest.approx(1280 * 841.9 / 595.3, abs=2)
        # Text is drawn: not a blank white page.
        darkest, _ = image.convert("L").getextrema()
        assert isinstance(darkest, int) and darkest < 100


def test_render_page_exact_width_and_errors() -> None:
    # An odd page width could round to one pixel more.
    data = make_pdf(["lẻ"], size=(595.3, 841.7))
    with pymupdf.open(stream=data, filetype="pdf") as doc:
        for width in WIDTHS.values():
            with Image.open(io.BytesIO(render_page(doc, 1, width, "png"))) as image:
                assert image.width == width
        with pytest.raises(errors.PageNotFound):
            render_page(doc, 2, 240, "png")
        with pytest.raises(errors.PageNotFound):
            render_page(doc, 0, 240, "png")
        with pytest.raises(errors.BadWidth):
            render_page(doc, 1, 100_000, "png")
        with pytest.raises(errors.BadImageFormat):
            render_page(doc, 1, 240, "gif")  # type: ignore[arg-type]


def test_font_has_every_vietnamese_letter() -> None:
    font = pymupdf.Font(fontbuffer=font_buffer())
    missing = [c for c in VIETNAMESE_LETTERS if not font.has_glyph(ord(c))]
    assert missing == []


@pytest.mark.parametrize("fmt", ["webp", "png"])
def test_watermark(fmt: str) -> None:
    page = render_page(fixture_pdf(), 1, 1280, fmt)  # type: ignore[arg-type]
    lines = ["Nguyễn Thị Hoà Ánh", "Sở Nội vụ tỉnh Quảng Bình", "09:14 27/11/2026"]
    marked = watermark(page, lines, fmt)  # type: ignore[arg-type]
    with Image.open(io.BytesIO(page)) as before, Image.open(io.BytesIO(marked)) as after:
        assert after.format == fmt.upper()
        assert after.size == before.size
        a, b = before.convert("RGB"), after.convert("RGB")
        # Tinted, not painted over: the mark is red and light, across the page.
        changed = [
            (x, y)
            for x in range(0, a.width, 16)
            for y in range(0, a.height, 16)
            if a.getpixel((x, y)) != b.getpixel((x, y))
        ]
        assert len(changed) > 0.03 * (a.width // 16) * (a.height // 16)
        assert {x < a.width // 2 for x, _ in changed} == {True, False}
        assert {y < a.height // 2 for _, y in changed} == {True, False}
        r, g, _ = b.getpixel(changed[len(changed) // 2])  # type: ignore[misc]
        assert r >= g
    # Another reader, another image.
    assert watermark(page, ["Trần Văn Bình"], fmt) != marked  # type: ignore[arg-type]


# convert


def test_supported_and_sniffing() -> None:
    docx = (FIXTURES / f"{STEM}.docx").read_bytes()
    assert convert.supported("Tờ trình.DOCX") and convert.supported("bang.xls")
    assert not convert.supported("ghi-chu.txt") and not convert.supported("anh.pdf")
    assert convert.sniff(docx, "to-trinh.docx") == "docx"
    assert convert.media_type("a.pptx").endswith("presentationml.presentation")
    ole_doc = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500) + "WordDocument".encode("utf-16-le")
    assert convert.sniff(ole_doc, "cu.doc") == "doc"
    with pytest.raises(errors.UnsupportedType) as unsupported:
        convert.sniff(docx, "ghi-chu.txt")
    assert unsupported.value.status == 415
    mismatches = [
        (docx, "to-trinh.doc"),
        (docx, "bang.xlsx"),
        (docx, "thuyet-trinh.pptx"),
        (docx, "van-ban.odt"),
        (os.urandom(4000), "to-trinh.docx"),
        (fixture_pdf(), "to-trinh.docx"),
        (ole_doc, "bang.xls"),
        (b"PK\x03\x04" + os.urandom(400), "to-trinh.docx"),
    ]
    for data, name in mismatches:
        with pytest.raises(errors.TypeMismatch) as caught:
            convert.sniff(data, name)
        assert caught.value.code == "type_mismatch", name
    odt = io.BytesIO()
    with zipfile.ZipFile(odt, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    assert convert.sniff(odt.getvalue(), "bien-ban.odt") == "odt"
    # A password-protected DOCX is an OLE file with an EncryptedPackage.
    locked = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le")
    for name in ("to-trinh.docx", "to-trinh.doc"):
        with pytest.raises(errors.EncryptedOffice):
            convert.sniff(locked, name)


@pytest.fixture(scope="module")
async def converted() -> bytes:
    """The fixture DOCX through the real LibreOffice, once for the module;
    twice at the same time, in fact, as two secretaries might."""
    if convert.find_soffice() is None:
        pytest.skip("LibreOffice is not installed (apt install libreoffice-writer-nogui)")
    docx = (FIXTURES / f"{STEM}.docx").read_bytes()
    first, second = await asyncio.gather(
        convert.convert_to_pdf(docx, "Quyết định đề án.docx"),
        convert.convert_to_pdf(docx, "to-trinh.docx"),
    )
    assert second.startswith(b"%PDF-") and len(second) > 10_000
    return first


def test_converted_docx(converted: bytes) -> None:
    info = inspect_pdf(converted)
    assert info.page_count >= 1
    text = " ".join(extract_pages(converted))
    words = fixture_words()
    found = set(re.findall(r"\w+", text.lower()))
    assert len(words & found) / len(words) > 0.95
    assert "phòng họp không giấy" in text


async def test_convert_refuses_before_running_libreoffice() -> None:
    with pytest.raises(errors.TypeMismatch):
        await convert.convert_to_pdf(os.urandom(3000), "rac.docx")
    with pytest.raises(errors.UnsupportedType):
        await convert.convert_to_pdf(b"hello", "ghi-chu.txt")


async def test_convert_without_libreoffice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(convert, "find_soffice", lambda: None)
    docx = (FIXTURES / f"{STEM}.docx").read_bytes()
    with pytest.raises(errors.ConverterMissing) as caught:
        await convert.convert_to_pdf(docx, "to-trinh.docx")
    assert caught.value.status == 503


def _soffice_running_in(prefix: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if prefix.encode() in cmdline:
                found.append(int(entry.name))
    return found


async def test_convert_timeout_kills_libreoffice(converted: bytes) -> None:
    docx = (FIXTURES / f"{STEM}.docx").read_bytes()
    with pytest.raises(errors.ConversionTimeout) as caught:
        await convert.convert_to_pdf(docx, "to-trinh.docx", timeout=0.3)
    assert caught.value.code == "conversion_timeout"
    assert isinstance(caught.value, errors.ConversionFailed)
    # Killed before the call returned; allow the kernel a moment to reap.
    for _ in range(100):
        if not _soffice_running_in("phonghop-convert-"):
            break
        await asyncio.sleep(0.05)
    assert _soffice_running_in("phonghop-convert-") == []


# ingest


def test_ingest() -> None:
    done = ingest_pdf(_active_pdf())
    assert done.info.page_count == 1
    assert b"app.alert" not in done.pdf
    assert "Quảng Bình" in done.texts[0]
    assert done.sha256 == hashlib.sha256(done.pdf).hexdigest()


# cache


@pytest.fixture(scope="module")
async def pool() -> AsyncIterator[WorkerPool]:
    workers = WorkerPool(2)
    await workers.start()
    yield workers
    await workers.close()


class Source:
    """load_pdf for the cache, counting how often the cache needs the PDF."""

    def __init__(self, pdf: bytes) -> None:
        self.pdf = pdf
        self.key = hashlib.sha256(pdf).hexdigest()
        self.loads = 0

    async def __call__(self) -> bytes:
        self.loads += 1
        await asyncio.sleep(0.01)
        return self.pdf


async def test_page_cache_renders_once(tmp_path: Path, pool: WorkerPool) -> None:
    source = Source(make_pdf([SAMPLE] * 5))
    cache = PageCache(tmp_path, pool=pool)
    results = await asyncio.gather(
        *(cache.get(source.key, 3, WIDTHS["laptop"], "webp", source) for _ in range(50))
    )
    assert cache.renders == 1
    assert source.loads == 1
    assert len(set(results)) == 1
    with Image.open(io.BytesIO(results[0])) as image:
        assert (image.format, image.width) == ("WEBP", 1280)
    on_disk = tmp_path / source.key[:2] / source.key / "p3-w1280.webp"
    assert on_disk.read_bytes() == results[0]
    assert (tmp_path / source.key[:2] / source.key / "source.pdf").read_bytes() == source.pdf
    assert not [p for p in on_disk.parent.iterdir() if p.name.startswith(".tmp")]

    assert await cache.get(source.key, 3, 1280, "webp", source) == results[0]
    assert (cache.renders, cache.memory_hits, cache.disk_hits) == (1, 1, 0)

    # Another size, another page: one more render each, the PDF not loaded again.
    await cache.get(source.key, 3, WIDTHS["thumb"], "png", source)
    await cache.get(source.key, 5, WIDTHS["projector"], "webp", source)
    assert (cache.renders, source.loads) == (3, 1)

    # A fresh cache (a restarted server) finds the page on disk.
    again = PageCache(tmp_path, pool=pool)
    assert await again.get(source.key, 3, 1280, "webp", source) == results[0]
    assert (again.renders, again.disk_hits, source.loads) == (0, 1, 1)


async def test_page_cache_refuses(tmp_path: Path, pool: WorkerPool) -> None:
    source = Source(make_pdf([SAMPLE] * 2))
    cache = PageCache(tmp_path, pool=pool)
    with pytest.raises(errors.BadWidth):
        await cache.get(source.key, 1, 1000, "webp", source)
    with pytest.raises(errors.BadImageFormat):
        await cache.get(source.key, 1, 240, "gif", source)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await cache.get("../../etc/passwd", 1, 240, "png", source)
    # Raised in a worker process, still in Vietnamese.
    with pytest.raises(errors.PageNotFound) as caught:
        await cache.get(source.key, 3, 240, "png", source)
    assert caught.value.message == errors.PageNotFound.default_vi
    wrong = Source(make_pdf(["khác"]))
    with pytest.raises(ValueError):
        await cache.get(source.key[::-1], 1, 240, "png", wrong)


async def test_page_cache_memory_is_bounded(tmp_path: Path, pool: WorkerPool) -> None:
    source = Source(make_pdf([SAMPLE] * 6))
    # Thumbnails of these pages take ~4.5 kB: room for four.
    cache = PageCache(tmp_path, pool=pool, memory_bytes=20_000)
    for page in range(1, 7):
        await cache.get(source.key, page, 240, "png", source)
    assert cache._memory_bytes <= 20_000
    assert (source.key, 6, 240, "png") in cache._memory
    assert (source.key, 1, 240, "png") not in cache._memory
    await cache.get(source.key, 1, 240, "png", source)
    assert (cache.renders, cache.disk_hits) == (6, 1)


async def test_worker_pool_survives_hangs_and_crashes() -> None:
    workers = WorkerPool(1)
    try:
        with pytest.raises(errors.RenderFailed):
            await workers.run(time.sleep, 30, timeout=0.5)
        with pytest.raises(errors.RenderFailed):
            await workers.run(os._exit, 3, timeout=10)
        assert await workers.run(sum, [1, 2, 3], timeout=30) == 6
    finally:
        await workers.close()


def test_watermark_as_jpeg_for_speed() -> None:
    """Watermarked pages are encoded per reader; JPEG is the fast encoder."""
    page = render_page(fixture_pdf(), 1, 1280, "webp")
    marked = watermark(page, ["Trần Văn Bình", "Sở Tư pháp"], "jpeg")
    plain = watermark(page, [], "jpeg")
    with Image.open(io.BytesIO(marked)) as a, Image.open(io.BytesIO(plain)) as b:
        assert a.format == "JPEG" and a.size == b.size == (1280, a.height)
        red_a, green_a, _ = ImageStat.Stat(a.convert("RGB")).sum
        red_b, green_b, _ = ImageStat.Stat(b.convert("RGB")).sum
        # The mark is red: it takes more from green than from red.
        assert green_b - green_a > red_b - red_a > -1


def test_the_document_engine_leaves_out_what_it_never_uses() -> None:
    """PyMuPDF 2 would import its layout analysis and Markdown export (numpy,
    onnxruntime) in the server and in each render worker: a second of CPU at
    every start and memory held for nothing. A fresh process renders a
    Vietnamese page without them."""
    script = (
        "import sys\n"
        "from collab_server.documents.render import render_page\n"
        "from collab_server.documents.fonts import font_buffer\n"
        "import pymupdf\n"
        "doc = pymupdf.open()\n"
        "page = doc.new_page()\n"
        "page.insert_font(fontname='vi', fontbuffer=font_buffer())\n"
        "page.insert_text((72, 72), 'Quyết định số 45', fontname='vi')\n"
        "image = render_page(doc.tobytes(), 1, 400, 'webp')\n"
        "print(image[:4] == b'RIFF', sorted(m for m in ('numpy', 'onnxruntime', 'pymupdf4llm')"
        " if sys.modules.get(m) is not None))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                         text=True, cwd=Path(__file__).parent.parent).stdout
    assert out.strip() == "True []", out
