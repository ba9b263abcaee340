"""Hostile Office files through the real upload path, and the real LibreOffice
under its resource limits.

Every file is built here in a fraction of a second, whatever it claims to
hold: a deflate stream is one compressed block repeated (as in hostile.py),
and zips are written by hand so that they can lie about their sizes.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import struct
import time
import zipfile
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from collab_server.documents import convert, errors
from tests.conftest import Server, World, document_rows
from tests.hostile import MIB, zeros_deflated
from tests.test_documents import FIXTURES, STEM, make_pdf

MEMORY_MB = 1024
SERVER_ENV = {
    "PHONGHOP_MAX_UPLOAD_BYTES": str(32 * MIB),
    # Room for an honest conversion (454 MB of address space), not for a bomb.
    "PHONGHOP_CONVERT_MEMORY_MB": str(MEMORY_MB),
    "PHONGHOP_CONVERT_CPU_S": "60",
    "PHONGHOP_CONVERT_FILE_MB": "256",
    # A bomb that gets past the limits grinds until here: the test fails, late.
    "PHONGHOP_CONVERT_TIMEOUT_S": "40",
}

pytestmark = pytest.mark.skipif(convert.find_soffice() is None,
                                reason="LibreOffice is not installed")

# -- zips by hand ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    name: str
    stored: bytes
    """The bytes in the zip: deflated, unless `method` is ZIP_STORED."""
    size: int
    """The inflated size the zip declares."""
    crc: int
    method: int = zipfile.ZIP_DEFLATED


def deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def member(name: str, data: bytes | str) -> Member:
    raw = data.encode() if isinstance(data, str) else data
    return Member(name, deflate(raw), len(raw), zlib.crc32(raw))


def stored(name: str, data: bytes) -> Member:
    return Member(name, data, len(data), zlib.crc32(data), zipfile.ZIP_STORED)


def repeated(name: str, unit: bytes, count: int, *, head: bytes = b"", tail: bytes = b"",
             declared: int | None = None) -> Member:
    """`head`, `unit` `count` times, `tail`: a member of any size, deflated in
    a fraction of a second, declaring its true size unless told otherwise."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    # After a full flush the compressor forgets what came before: every copy
    # of the unit compresses to the same bytes.
    block = packer.compress(unit) + packer.flush(zlib.Z_FULL_FLUSH)
    end = packer.compress(tail) + packer.flush(zlib.Z_FINISH)
    crc = zlib.crc32(head)
    for _ in range(count):
        crc = zlib.crc32(unit, crc)
    size = len(head) + len(unit) * count + len(tail)
    return Member(name, start + block * count + end,
                  size if declared is None else declared, zlib.crc32(tail, crc))


def package(members: list[Member]) -> bytes:
    """A zip of `members`, with the sizes they declare (no Zip64: under 4 GiB)."""
    out, directory = bytearray(), bytearray()
    for m in members:
        name = m.name.encode()
        fields = (m.method, 0, 0x21, m.crc, len(m.stored), m.size, len(name), 0)
        directory += struct.pack("<IHHH", 0x02014B50, 20, 20, 0)
        directory += struct.pack("<HHHIIIHHHHHII", *fields, 0, 0, 0, 0, len(out)) + name
        out += struct.pack("<IHH", 0x04034B50, 20, 0)
        out += struct.pack("<HHHIIIHH", *fields) + name + m.stored
    count = min(len(members), 0xFFFF)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), len(out), 0)
    return bytes(out + directory + end)


# -- Office files ----------------------------------------------------------------------------

W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
DOCUMENT_HEAD = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document ' + W + b">"


def docx(*changed: Member) -> bytes:
    """The Quảng Bình decision with some members replaced or added."""
    with zipfile.ZipFile(FIXTURES / f"{STEM}.docx") as fixture:
        members = {name: member(name, fixture.read(name)) for name in fixture.namelist()}
    members.update({m.name: m for m in changed})
    return package(list(members.values()))


def document(body: str) -> Member:
    return member("word/document.xml",
                  DOCUMENT_HEAD + f"<w:body>{body}</w:body></w:document>".encode())


def laughs(levels: int = 10) -> tuple[str, str]:
    """A DTD's internal subset whose last entity expands to 10^levels "ha"s,
    and where it is used."""
    entities = '<!ENTITY l0 "ha">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, levels))
    return f"[{entities}]", f"&l{levels - 1};"


def docx_laughs() -> bytes:
    subset, use = laughs()
    text = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f"<!DOCTYPE w:document {subset}><w:document {W.decode()}><w:body>"
            f"<w:p><w:r><w:t>{use}</w:t></w:r></w:p></w:body></w:document>")
    return docx(member("word/document.xml", text))


ODT = b"application/vnd.oasis.opendocument.text"
MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
    '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type="'
    'application/vnd.oasis.opendocument.text"/><manifest:file-entry manifest:full-path='
    '"content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
)


def odt(text: str, doctype: str = "") -> bytes:
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<office:document-content xmlns:office='
        '"urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text='
        '"urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
        f"<office:text><text:p>{text}</text:p></office:text></office:body>"
        "</office:document-content>"
    )
    return package([stored("mimetype", ODT), member("META-INF/manifest.xml", MANIFEST),
                    member("content.xml", content)])


def odt_laughs() -> bytes:
    subset, use = laughs()
    return odt(use, f"<!DOCTYPE office:document-content {subset}>")


def zip_bomb(size: int, *, declared: int | None = None) -> bytes:
    """A DOCX whose document.xml inflates to `size` zero bytes."""
    return docx(repeated("word/document.xml", bytes(MIB), size // MIB, declared=declared))


def many_members(count: int) -> bytes:
    empty = [stored(f"word/x{i}", b"") for i in range(count)]
    with zipfile.ZipFile(FIXTURES / f"{STEM}.docx") as fixture:
        return package([member(n, fixture.read(n)) for n in fixture.namelist()] + empty)


def long_word(size: int) -> bytes:
    """One run of `size` letters, deflating about 90 to 1: past the ratio check,
    and a few seconds of LibreOffice's memory."""
    rng = random.Random(7)
    segment = 500
    unit = b"".join(bytes(rng.choices(b"abcdefghijklmnopqrstuvwxyz", k=4)) + b"A" * (segment - 4)
                    for _ in range(MIB // segment))
    return docx(repeated("word/document.xml", unit, size // len(unit),
                         head=DOCUMENT_HEAD + b"<w:body><w:p><w:r><w:t>",
                         tail=b"</w:t></w:r></w:p></w:body></w:document>"))


def png(side: int) -> bytes:
    """A black side x side PNG (one bit a pixel): side² / 8 bytes deflated."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body))

    rows = zeros_deflated(side * (1 + (side + 7) // 8))  # each row: filter 0, then zeros
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows)
            + chunk(b"IEND", b""))


PICTURE = (
    '<w:p><w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/'
    'drawingml/2006/wordprocessingDrawing"><wp:extent cx="5400000" cy="5400000"/>'
    '<wp:docPr id="1" name="anh"/><a:graphic xmlns:a="http://schemas.openxmlformats.org/'
    'drawingml/2006/main"><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/'
    '2006/picture"><pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/'
    'picture"><pic:nvPicPr><pic:cNvPr id="0" name="anh"/><pic:cNvPicPr/></pic:nvPicPr>'
    '<pic:blipFill><a:blip xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships" r:embed="rIdAnh"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
    '<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="5400000" cy="5400000"/></a:xfrm>'
    '<a:prstGeom prst="rect"/></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline>'
    "</w:drawing></w:r></w:p>"
)
RELATIONSHIPS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rIdAnh" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/image" Target="media/anh.png"/>'
    "</Relationships>"
)


def picture(side: int) -> bytes:
    """A DOCX showing one side x side PNG."""
    return docx(document("<w:p><w:r><w:t>Sơ đồ vị trí</w:t></w:r></w:p>" + PICTURE),
                member("word/_rels/document.xml.rels", RELATIONSHIPS),
                stored("word/media/anh.png", png(side)))


def spreadsheet() -> bytes:
    return package([member("[Content_Types].xml", "<Types/>"),
                    member("xl/workbook.xml", "<workbook/>")])


def fixture_docx() -> bytes:
    return (FIXTURES / f"{STEM}.docx").read_bytes()


# -- the server, and the room around it --------------------------------------------------------


@dataclass
class Room:
    """Another user and a health check, asked all along a hostile upload."""

    http: httpx.AsyncClient
    delegate: httpx.AsyncClient
    slowest: float = 0.0
    answers: int = 0
    failures: list[str] = field(default_factory=list)

    async def ask(self) -> None:
        for client, path in ((self.http, "/-/health"), (self.delegate, "/api/meetings")):
            start = time.monotonic()
            r = await client.get(path)
            self.slowest = max(self.slowest, time.monotonic() - start)
            self.answers += 1
            if r.status_code != 200:
                self.failures.append(f"{path}: {r.status_code} {r.text[:200]}")

    @contextlib.asynccontextmanager
    async def meanwhile(self) -> AsyncIterator[Room]:
        self.slowest, self.answers, self.failures = 0.0, 0, []
        stop = asyncio.Event()

        async def run() -> None:
            while not stop.is_set():
                await self.ask()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.05)

        task = asyncio.create_task(run())
        try:
            yield self
        finally:
            stop.set()
            await task
        await self.ask()  # and right after


@pytest.fixture(scope="module")
async def clients(server: Server, world: World) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    def client(who: str | None) -> httpx.AsyncClient:
        headers = {"authorization": f"Bearer {world.token(who)}"} if who else {}
        return httpx.AsyncClient(base_url=server.http, headers=headers, timeout=120)

    async with client("secretary") as secretary, client("delegate01") as delegate, \
            client(None) as anyone:
        yield {"secretary": secretary, "delegate": delegate, "anyone": anyone}


@pytest.fixture
def room(clients: dict[str, httpx.AsyncClient]) -> Room:
    return Room(clients["anyone"], clients["delegate"])


# -- hostile uploads ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    name: str
    build: Callable[[], bytes]
    filename: str
    status: int
    code: str  # "created" when the file is converted
    seconds: float  # the answer comes within this
    says: str = ""  # in the Vietnamese message


QUICK = 5.0  # refused before LibreOffice runs (a 25 MB upload included)
CONVERTED = 20.0  # one LibreOffice run on a shared, busy machine

HOSTILE = [
    # Refused by what the zip declares, before LibreOffice sees it.
    Hostile("zip bomb: document.xml inflates to 2 GiB", lambda: zip_bomb(2048 * MIB),
            "bom.docx", 413, "office_too_large", QUICK),
    Hostile("one member 1000 times its size (150 MiB)", lambda: zip_bomb(150 * MIB),
            "nen.docx", 413, "office_too_large", QUICK),
    # zipfile would spend 1.4 s of the event loop reading this directory.
    Hostile("250 000 members", lambda: many_members(250_000), "nhieu.docx", 413,
            "office_too_large", QUICK),
    # Past the declared sizes: LibreOffice and its limits.
    Hostile("member inflates to 2 GiB but declares 30 KB",
            lambda: zip_bomb(2048 * MIB, declared=30_000), "doi.docx", 422,
            "conversion_failed", CONVERTED),
    Hostile("billion laughs in a DOCX", docx_laughs, "cuoi.docx", 422, "conversion_failed",
            CONVERTED),
    Hostile("billion laughs in an ODT", odt_laughs, "cuoi.odt", 422, "conversion_failed",
            CONVERTED),
    # LibreOffice would hold 1 GB for the picture and take 20 s; under the memory
    # limit it leaves the picture out and converts the text.
    Hostile("PNG of 30000 x 30000 pixels", lambda: picture(30_000), "anh.docx", 201, "created",
            CONVERTED),
    # 100 MB of text in one run: past 1 GB of memory in two seconds, then the
    # memory limit; without it, LibreOffice grinds until the timeout.
    Hostile("one word of 100 MB", lambda: long_word(100 * MIB), "tu.docx", 422,
            "conversion_failed", CONVERTED),
    # Not what the name says.
    Hostile("DOCX cut in half", lambda: fixture_docx()[:3000], "cut.docx", 415, "type_mismatch",
            QUICK, says="bị hỏng hoặc tải lên chưa hết"),
    Hostile("a program named .docx", lambda: b"\x7fELF\x02\x01\x01" + bytes(4000), "chay.docx",
            415, "type_mismatch", QUICK),
    Hostile("a spreadsheet named .docx", spreadsheet, "bang.docx", 415, "type_mismatch", QUICK),
    Hostile("a PDF named .docx is the PDF it is", lambda: make_pdf(["Văn bản"]), "pdf.docx", 201,
            "created", QUICK),
]


@pytest.mark.parametrize("case", HOSTILE, ids=[h.name for h in HOSTILE])
async def test_hostile_office_files_get_a_clear_answer_in_time(
        server: Server, world: World, clients: dict[str, httpx.AsyncClient], room: Room,
        case: Hostile) -> None:
    data = case.build()
    assert len(data) < 26 * MIB, len(data)
    before = await document_rows(world.url)
    async with room.meanwhile():
        start = time.monotonic()
        r = await clients["secretary"].post(f"/api/meetings/{world.meeting_id}/documents",
                                            content=data, params={"filename": case.filename})
        took = time.monotonic() - start
    assert r.status_code == case.status, (r.status_code, r.text[:300])
    after = await document_rows(world.url)
    if r.status_code == 201:
        assert after[0] == before[0] + 1
        document = r.json()["document"]
        page = await clients["delegate"].get(f"/api/documents/{document['id']}/pages/1",
                                             params={"w": "thumb", "fmt": "png"})
        assert page.status_code == 200 and page.content.startswith(b"\x89PNG")
    else:
        error = r.json()["error"]
        assert error["code"] == case.code, error
        assert case.says in error["message"], error
        assert error["message"] and error["message_en"] and error["message"] != error[
            "message_en"]
        assert after == before, "a refused file left rows behind"
    assert took < case.seconds, f"{case.name}: {took:.1f} s"
    # Everyone else was answered all along, and quickly.
    assert not room.failures, room.failures
    assert room.answers >= 2
    assert room.slowest < 0.75, f"the server stalled {room.slowest:.2f} s"
    assert "Exception in ASGI application" not in server.log_text()


def descendants(pid: int) -> Iterator[tuple[int, str]]:
    """(pid, command name) of every process under `pid`."""
    parents: dict[int, list[tuple[int, str]]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            name = stat[stat.index("(") + 1:stat.rindex(")")]
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(parent, []).append((int(entry.name), name))
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            yield child
            todo.append(child[0])


def limits_of(pid: int) -> dict[str, str]:
    """Soft limits of a process, from /proc/<pid>/limits."""
    found = {}
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines()[1:]:
        parts = re.split(r"\s{2,}", line.strip())
        found[parts[0]] = parts[1]
    return found


async def test_libreoffice_runs_under_the_limits(
        server: Server, world: World, clients: dict[str, httpx.AsyncClient]) -> None:
    assert server.process is not None
    upload = asyncio.create_task(clients["secretary"].post(
        f"/api/meetings/{world.meeting_id}/documents", content=fixture_docx(),
        params={"filename": "quyet-dinh.docx"}))
    seen: dict[str, str] = {}
    while not upload.done() and not seen:
        for pid, name in descendants(server.process.pid):
            if name == "soffice.bin":
                with contextlib.suppress(OSError):
                    seen = limits_of(pid)
        await asyncio.sleep(0.01)
    r = await upload
    # An honest DOCX converts within the limits of this module, and under them.
    assert r.status_code == 201, r.text[:300]
    assert seen, "no soffice.bin seen during the conversion"
    assert seen["Max address space"] == str(MEMORY_MB * MIB)
    assert seen["Max cpu time"] == "60"
    assert seen["Max file size"] == str(256 * MIB)
    assert seen["Max core file size"] == "0"


# -- each limit on its own, straight through LibreOffice ---------------------------------------


def long_document() -> bytes:
    """The decision forty times over: document.xml of about 1 MB."""
    with zipfile.ZipFile(FIXTURES / f"{STEM}.docx") as fixture:
        text = fixture.read("word/document.xml").decode()
    head, body = text.split("<w:body>", 1)
    body, section = body.rsplit("<w:sectPr", 1)
    return docx(member("word/document.xml", f"{head}<w:body>{body * 40}<w:sectPr{section}"))


LIMITS = [
    # (what, file, limits): soffice.bin needs 454 MB of address space; the
    # unpacked document.xml is 1 MB; one word of 60 MB takes minutes of CPU.
    ("memory", fixture_docx, convert.Limits(memory=300 * MIB)),
    ("file size", long_document, convert.Limits(file=256 * 1024)),
    ("cpu", lambda: long_word(60 * MIB), convert.Limits(cpu=2)),
]


@pytest.mark.parametrize(("what", "build", "limits"), LIMITS, ids=[x[0] for x in LIMITS])
async def test_each_limit_stops_libreoffice(what: str, build: Callable[[], bytes],
                                            limits: convert.Limits) -> None:
    start = time.monotonic()
    with pytest.raises(errors.ConversionFailed) as caught:
        await convert.convert_to_pdf(build(), "van-ban.docx", limits=limits, timeout=60)
    # Stopped by the limit, not by the timeout.
    assert caught.value.code == "conversion_failed", caught.value.code
    assert time.monotonic() - start < 20


async def test_the_same_files_convert_without_those_limits() -> None:
    """The sound files above convert under the default limits: the limits
    stopped them, not the files."""
    for build in (fixture_docx, long_document):
        pdf = await convert.convert_to_pdf(build(), "van-ban.docx")
        assert pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-1024:]
