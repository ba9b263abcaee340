"""Hostile input for tests: PDFs written by hand (bombs, loops, deep nesting),
zip bombs, and a look at a process's memory through /proc.

Everything here is built in memory in a fraction of a second, however much it
claims to hold: a stream of zeros is deflated once per megabyte and the
identical blocks repeated, not compressed byte by byte.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import zipfile
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import websockets

from collab_server.protocol import (
    AwarenessEntry,
    AwarenessUpdate,
    IntentResult,
    MessageType,
    decode,
)
from collab_server.protocol.lib0 import Reader
from collab_server.protocol.messages import MAX_AWARENESS_ENTRIES
from tests.yclient import YClient

MIB = 1024 * 1024

# -- PDF by hand ------------------------------------------------------------------------


def raw_pdf(objects: list[bytes], *, trailer: bytes = b"") -> bytes:
    """A PDF whose objects 1..n are `objects` (object 1 the catalog), with a
    correct cross-reference table, so only what the objects say is hostile."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, trailer, xref)
    return bytes(out)


def stream(entries: bytes, payload: bytes) -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(payload), entries) + payload + b"\nendstream"


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
HELLO = stream(b"", b"BT /F1 24 Tf 72 720 Td (Xin chao) Tj ET")


def page(extra: bytes = b"", box: bytes = b"[0 0 595 842]") -> bytes:
    return b"<< /Type /Page /Parent 2 0 R /MediaBox %s /Contents 4 0 R %s >>" % (box, extra)


def one_page(extra: bytes = b"", *, box: bytes = b"[0 0 595 842]", more: tuple[bytes, ...] = ()
             ) -> bytes:
    """One A4 page saying hello; `extra` goes into the page dictionary, `more`
    are objects 5, 6, ..."""
    return raw_pdf([CATALOG, PAGES, page(extra, box), HELLO, *more])


def zeros_deflated(size: int) -> bytes:
    """A zlib stream (FlateDecode) that inflates to `size` zero bytes."""
    chunk = MIB
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    # After a full flush the compressor forgets what came before, so every
    # megabyte of zeros compresses to the same bytes.
    block = packer.compress(bytes(chunk)) + packer.flush(zlib.Z_FULL_FLUSH)
    full, rest = divmod(size, chunk)
    tail = packer.compress(bytes(rest)) + packer.flush(zlib.Z_FINISH)
    adler = ((size % 65521) << 16) | 1  # Adler-32 of zeros: a = 1, b = size
    return b"\x78\xda" + block * full + tail + adler.to_bytes(4, "big")


def content_bomb(size: int) -> bytes:
    """A page whose content stream inflates to `size` bytes of zeros."""
    return raw_pdf([CATALOG, PAGES, page(b""), stream(b"/Filter /FlateDecode",
                                                      zeros_deflated(size))])


def image_bomb(side: int) -> bytes:
    """A page showing one `side` x `side` grey image (`side`² bytes inflated)."""
    image = stream(
        b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode" % (side, side),
        zeros_deflated(side * side),
    )
    return raw_pdf([
        CATALOG, PAGES, page(b"/Resources << /XObject << /Im 5 0 R >> >>"),
        stream(b"", b"q 595 0 0 842 0 0 cm /Im Do Q"), image,
    ])


def nested(depth: int, *, kind: str = "array") -> bytes:
    """A page dictionary holding a value nested `depth` deep."""
    if kind == "array":
        value = b"[" * depth + b"]" * depth
    else:
        value = b"<< /A " * depth + b"1" + b" >>" * depth
    return one_page(b"/Deep " + value)


def kids_cycle() -> bytes:
    """The page tree lists itself among its kids."""
    return raw_pdf([CATALOG, b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>", page(), HELLO])


def parent_cycle() -> bytes:
    """Two page-tree nodes that are each other's parent and kid."""
    return raw_pdf([
        CATALOG, b"<< /Type /Pages /Kids [5 0 R] /Count 1 /Parent 5 0 R >>", page(), HELLO,
        b"<< /Type /Pages /Kids [2 0 R] /Parent 2 0 R /Count 1 >>",
    ])


def reference_loop() -> bytes:
    """The page's content is a reference to a reference to itself."""
    return raw_pdf([CATALOG, PAGES, page(), b"5 0 R", b"4 0 R"])


def form_loop() -> bytes:
    """A form XObject that draws itself."""
    form = stream(b"/Type /XObject /Subtype /Form /BBox [0 0 10 10] "
                  b"/Resources << /XObject << /F 5 0 R >> >>", b"/F Do")
    return raw_pdf([CATALOG, PAGES, page(b"/Resources << /XObject << /F 5 0 R >> >>"),
                    stream(b"", b"/F Do"), form])


def count_lie(count: int = 100_000_000) -> bytes:
    """One page in a page tree that claims `count`."""
    return raw_pdf([CATALOG, b"<< /Type /Pages /Kids [3 0 R] /Count %d >>" % count, page(),
                    HELLO])


def prev_loop() -> bytes:
    """A trailer whose /Prev points at its own cross-reference table."""
    data = one_page()
    at = data.rindex(b"startxref")
    offset = int(data[at:].split()[1])
    return data[:at].replace(b"/Root 1 0 R ", b"/Root 1 0 R /Prev %d " % offset) + data[at:]


# -- archives -----------------------------------------------------------------------------


def zip_bomb(entry: str, size: int, *, others: tuple[str, ...] = ()) -> bytes:
    """A zip whose `entry` inflates to `size` zero bytes (a few hundred KB on the wire)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open(entry, "w", force_zip64=True) as sink:
            chunk = bytes(MIB)
            for _ in range(size // MIB):
                sink.write(chunk)
        for name in others:
            archive.writestr(name, b"<x/>")
    return buffer.getvalue()


# -- memory through /proc -------------------------------------------------------------------


def status_kb(pid: int, field_name: str) -> int:
    """A `kB` field of /proc/<pid>/status (VmRSS, VmHWM); 0 if the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    for line in text.splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (the render workers of a server)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields start after the last ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


@dataclass
class MemoryWatch:
    """The largest resident size seen, per process, of a server and its children."""

    pid: int
    peaks: dict[int, int] = field(default_factory=dict)
    peak_total: int = 0
    samples: int = 0

    def sample(self) -> None:
        total = 0
        for pid in (self.pid, *children(self.pid)):
            rss = status_kb(pid, "VmRSS")
            total += rss
            self.peaks[pid] = max(self.peaks.get(pid, 0), rss)
        self.peak_total = max(self.peak_total, total)
        self.samples += 1

    @property
    def server_peak(self) -> int:
        return self.peaks.get(self.pid, 0)

    @property
    def child_peak(self) -> int:
        return max((kb for pid, kb in self.peaks.items() if pid != self.pid), default=0)


@contextlib.asynccontextmanager
async def watching_memory(pid: int, every: float = 0.02) -> AsyncIterator[MemoryWatch]:
    """Sample the memory of `pid` and its children until the block ends."""
    watch = MemoryWatch(pid)
    watch.sample()

    async def run() -> None:
        while True:
            await asyncio.sleep(every)
            watch.sample()

    task = asyncio.create_task(run())
    try:
        yield watch
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        watch.sample()


# -- a client as lenient as y-protocols ------------------------------------------------------


class LenientClient(YClient):
    """A YClient that reads awareness updates of any length, as y-protocols
    does (the server's decoder refuses more than 64 entries), so an oversized
    frame from the server is counted (`long_awareness_frames`) rather than
    killing the reader; it also keeps every intent reply, with an id or not."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.awareness_bytes = 0
        self.long_awareness_frames = 0
        self.replies: list[dict[str, Any]] = []  # every intent reply, ids or not

    def handle(self, message: Any) -> None:
        if isinstance(message, IntentResult):
            self.replies.append(orjson.loads(message.text))
        super().handle(message)

    async def _run(self) -> None:
        try:
            async for frame in self.ws:
                self.handle(self._decode(frame))
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code if self.ws.close_code is not None else 1006
            self.close_reason = self.ws.close_reason or ""
            self.closed.set()

    def _decode(self, frame: bytes) -> Any:
        if frame[:1] != bytes([MessageType.AWARENESS]):
            return decode(frame)
        reader = Reader(frame)
        reader.var_uint()
        inner = Reader(reader.var_bytes())
        count = inner.var_uint()
        entries = tuple(AwarenessEntry(inner.var_uint(), inner.var_uint(), inner.var_string())
                        for _ in range(count))
        self.awareness_bytes += len(frame)
        if count > MAX_AWARENESS_ENTRIES:
            self.long_awareness_frames += 1
        return AwarenessUpdate(entries)
