"""Rendered pages, rendered once: memory, then disk, then a worker.

When the presenter turns the page, 91 laptops ask for it within a few
milliseconds. The first request starts one render (a task per page; the
others await the same task, as for join storms in DESIGN.md), the result
goes to disk and into a small in-memory LRU, and every later request is a
dictionary lookup.

On disk, content-addressed by the PDF's sha256 (so a page never goes
stale and two meetings sharing a document share its pages):

    directory/ab/abcdef.../source.pdf         the PDF, for the workers
    directory/ab/abcdef.../p12-w1280.webp     page 12, 1280 px wide

Files are written to a temporary name, flushed and renamed, so a reader or
a crash never sees half a file. Nothing here deletes old files; sweep the
folder by age if it grows.

Workers are processes (see pool.py); each keeps a few opened documents, as
opening a 300-page PDF for every page would dominate the render.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pymupdf

from collab_server.documents.errors import BadImageFormat, BadWidth, PageNotFound
from collab_server.documents.pool import WorkerPool
from collab_server.documents.render import FORMATS, ImageFormat, render_page

# `zoomed`: the projector showing a page at 200 % or more, where 1920 px
# would be stretched and blurred. Only the display asks it (transport checks).
WIDTHS = {"thumb": 240, "laptop": 1280, "projector": 1920, "zoomed": 3840}

_SHA256 = re.compile(r"[0-9a-f]{64}")
_K = TypeVar("_K")
_V = TypeVar("_V")

PageKey = tuple[str, int, int, str]


class PageCache:
    """Pages of PDFs as images, keyed by the PDF's sha256 hex.

    `renders` counts renders started (not served from memory or disk);
    `memory_hits` and `disk_hits` count the others.
    """

    def __init__(
        self,
        directory: Path,
        *,
        workers: int = 2,
        memory_bytes: int = 64 << 20,
        render_timeout: float = 30.0,
        pool: WorkerPool | None = None,
    ) -> None:
        self.directory = directory
        self.render_timeout = render_timeout
        self.pool = pool or WorkerPool(workers)
        self._own_pool = pool is None
        self._memory: OrderedDict[PageKey, bytes] = OrderedDict()
        self._memory_bytes = 0
        self._memory_limit = memory_bytes
        self._pages: dict[PageKey, asyncio.Task[bytes]] = {}
        self._sources: dict[str, asyncio.Task[Path]] = {}
        self.renders = 0
        self.memory_hits = 0
        self.disk_hits = 0

    async def start(self) -> None:
        await self.pool.start()

    async def close(self) -> None:
        if self._own_pool:
            await self.pool.close()

    async def get(
        self,
        key: str,
        page_no: int,
        width: int,
        fmt: ImageFormat,
        load_pdf: Callable[[], Awaitable[bytes]],
    ) -> bytes:
        """Page `page_no` (1-based) of the PDF whose sha256 is `key`, `width`
        pixels wide (one of WIDTHS), as WebP or PNG.

        `load_pdf` fetches the PDF when the cache does not have it; it is
        called at most once at a time per key and must return bytes whose
        sha256 is `key`.
        """
        if not _SHA256.fullmatch(key):
            raise ValueError(f"not a sha256 hex digest: {key!r}")
        if width not in WIDTHS.values():
            raise BadWidth()
        if fmt not in FORMATS:
            raise BadImageFormat()
        if page_no < 1:
            raise PageNotFound()
        page_key: PageKey = (key, page_no, width, fmt)
        cached = self._memory.get(page_key)
        if cached is not None:
            self._memory.move_to_end(page_key)
            self.memory_hits += 1
            return cached
        task = _single_flight(self._pages, page_key, lambda: self._produce(page_key, load_pdf))
        # shield: a client that goes away must not cancel the render the
        # others are waiting for.
        return await asyncio.shield(task)

    async def _produce(self, page_key: PageKey, load_pdf: Callable[[], Awaitable[bytes]]) -> bytes:
        key, page_no, width, fmt = page_key
        path = self._folder(key) / f"p{page_no}-w{width}.{fmt}"
        data = await asyncio.to_thread(_read_if_exists, path)
        if data is not None:
            self.disk_hits += 1
        else:
            source = await asyncio.shield(
                _single_flight(self._sources, key, lambda: self._materialize(key, load_pdf))
            )
            self.renders += 1
            data = await self.pool.run(
                _render_file, str(source), page_no, width, fmt, timeout=self.render_timeout
            )
            await asyncio.to_thread(_write_atomic, path, data)
        self._remember(page_key, data)
        return data

    async def _materialize(self, key: str, load_pdf: Callable[[], Awaitable[bytes]]) -> Path:
        """The PDF on disk where the workers can open it."""
        path = self._folder(key) / "source.pdf"
        if await asyncio.to_thread(path.is_file):
            return path
        pdf = await load_pdf()
        digest = await asyncio.to_thread(lambda: hashlib.sha256(pdf).hexdigest())
        if digest != key:
            raise ValueError(f"load_pdf returned a PDF with sha256 {digest}, not {key}")
        await asyncio.to_thread(_write_atomic, path, pdf)
        return path

    def _folder(self, key: str) -> Path:
        return self.directory / key[:2] / key

    def _remember(self, page_key: PageKey, data: bytes) -> None:
        if len(data) > self._memory_limit // 4 or page_key in self._memory:
            return
        self._memory[page_key] = data
        self._memory_bytes += len(data)
        while self._memory_bytes > self._memory_limit:
            _, evicted = self._memory.popitem(last=False)
            self._memory_bytes -= len(evicted)


def _single_flight(
    tasks: dict[_K, asyncio.Task[_V]], key: _K, start: Callable[[], Awaitable[_V]]
) -> asyncio.Task[_V]:
    """The running task for `key`, or a new one from `start()`."""
    task = tasks.get(key)
    if task is None:
        task = asyncio.ensure_future(start())
        tasks[key] = task

        def done(finished: asyncio.Task[_V]) -> None:
            if tasks.get(key) is finished:
                del tasks[key]
            # Every waiter may have gone; mark the error as seen so asyncio
            # does not log it as lost. The waiters that remain still get it.
            if not finished.cancelled():
                finished.exception()

        task.add_done_callback(done)
    return task


def _read_if_exists(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            # Without fsync a power cut can leave the renamed file empty,
            # and an empty page would then be served for good.
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


# In the worker processes: a few opened documents, most recent last. The
# path names the content, so an entry never goes stale.
_DOCS: OrderedDict[str, pymupdf.Document] = OrderedDict()
_DOCS_KEPT = 4


def _render_file(path: str, page_no: int, width: int, fmt: ImageFormat) -> bytes:
    doc = _DOCS.pop(path, None)
    if doc is None:
        doc = pymupdf.open(path)
    _DOCS[path] = doc
    while len(_DOCS) > _DOCS_KEPT:
        _DOCS.popitem(last=False)[1].close()
    return render_page(doc, page_no, width, fmt)
