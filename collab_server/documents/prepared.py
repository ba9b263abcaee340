"""Watermarked pages made before they are asked for.

When the presenter turns the page of an internal document, every laptop in
the room asks for it within a few milliseconds, and each needs its own copy
with the reader's name burned in: ~25-45 ms of a core per reader, so the
last of 91 laptops waited seconds. The server knows who is reading which
document and which pages come next, so between two page turns it makes, in
the background, the neighbouring pages for everyone who recently read the
document; the page turn then costs each reader a dictionary lookup.

What it keeps, in memory only:

- readings: who read which document lately, at which width, format, mark
  and label, and on which page; forgotten after `silence` seconds without a
  request.
- prepared images, keyed by everything that decides the image (reader,
  document, page, width, format, label, mark, the PDF's digest): a copy made
  under another label or for another reader is never the answer. Each is
  served once, then forgotten; bounded in bytes (oldest dropped first) and
  in age. With several processes (Redis configured) the images themselves
  are put in Redis, where any process serves them, and this index only
  counts and lets go of what this process put there (shared_pages.py).

Only one preparation runs at a time, so the readers' own requests keep the
other worker of the pool. This module decides nothing about who may read:
the route serves a prepared copy only after all of its own checks, and the
`produce` callable it is given checks again, before each preparation, that
the reader may still see the document (None: no longer; the reader is
forgotten).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import NamedTuple

from collab_server.documents.render import ImageFormat
from collab_server.documents.shared_pages import SharedPages, shared_key

log = logging.getLogger(__name__)

SILENCE_S = 120.0
MEMORY_BYTES = 64 << 20
# Pending preparations at most: a few rooms' worth of next and previous pages.
MAX_PENDING = 4096
# A job for a reader who has since moved further than this is not worth making.
REACH = 2


@dataclass(frozen=True)
class Reading:
    """What one reader last asked of one document."""

    user_id: int
    document_id: int
    meeting_id: int
    digest: str
    label: str
    mark: str
    width: int
    fmt: ImageFormat
    # The reader's name and unit; the time line is added when the page is made.
    who: tuple[str, ...]
    page: int
    page_count: int
    when: float = 0.0


    def key(self, page: int) -> Key:
        return Key(self.user_id, self.document_id, page, self.width, self.fmt, self.label,
                   self.mark, self.digest)


class Key(NamedTuple):
    """A tuple: made and hashed for every reader on every page request."""

    user_id: int
    document_id: int
    page: int
    width: int
    fmt: str
    label: str
    mark: str
    digest: str


@dataclass(frozen=True)
class Job:
    reading: Reading
    page: int


Produce = Callable[[Job], Awaitable[bytes | None]]


class PreparedPages:
    """`produce(job)` makes the page `job.page` for `job.reading` (the same
    image the route would make), or returns None when that reader may no
    longer see the document."""

    def __init__(self, produce: Produce, *, memory_bytes: int = MEMORY_BYTES,
                 silence: float = SILENCE_S, clock: Callable[[], float] = time.monotonic,
                 shared: SharedPages | None = None) -> None:
        self.produce = produce
        self.shared = shared
        self.memory_bytes = memory_bytes
        self.silence = silence
        self.clock = clock
        # Per document, per reader: the last reading wins (a reader has one
        # size and format at a time; copies made for another are let go).
        self._readings: dict[int, dict[int, Reading]] = {}
        # Pages already planned for every reader of a document, as of which
        # set of readers: in a page turn's storm the first request plans the
        # next page for the whole room, the other 90 only look it up.
        self._planned: dict[tuple[int, str, str, int], int] = {}
        self._members: dict[int, int] = {}
        self._checked: dict[int, float] = {}
        # The copy (None: it is in `shared`), when it was made, its size.
        self._ready: OrderedDict[Key, tuple[bytes | None, float, int]] = OrderedDict()
        # Copies in `shared` this process let go of, to delete there.
        self._unshare: list[str] = []
        self._held: dict[tuple[int, int], set[Key]] = {}
        self._ready_bytes = 0
        self._pending: set[Key] = set()
        # Next pages first: a presenter mostly moves forward.
        self._forward: deque[Job] = deque()
        self._backward: deque[Job] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.prepared = 0
        self.served = 0
        self.dropped = 0
        self.failed = 0

    @property
    def enabled(self) -> bool:
        return self.memory_bytes > 0

    @property
    def held_bytes(self) -> int:
        return self._ready_bytes

    @property
    def waiting(self) -> int:
        return len(self._pending)

    def start(self) -> None:
        if self.enabled:
            self._task = asyncio.create_task(self._run(), name="prepared-pages")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.shared is not None:
            await self.shared.close()

    # -- the route's side ----------------------------------------------------------------

    def take(self, key: Key) -> bytes | None:
        """The copy prepared for exactly `key` in this process's memory, once;
        None when there is none (and then any preparation of it still to come
        is called off: the route makes it itself)."""
        self._pending.discard(key)
        entry = self._ready.get(key)
        if entry is None or entry[0] is None:
            return None
        self._drop(key)
        image, made, _ = entry
        if self.clock() - made > self.silence:
            self.dropped += 1
            return None
        self.served += 1
        return image

    async def fetch(self, key: Key) -> bytes | None:
        """`take`, and when this process has no copy in memory, the one any
        process put in the shared store (once: it is taken out)."""
        image = self.take(key)
        if image is not None or self.shared is None or not self.enabled:
            return image
        entry = self._drop(key, unshare=False)
        if entry is not None and self.clock() - entry[1] > self.silence:
            self._unshare.append(shared_key(key))
            self.dropped += 1
            return None
        image = await self.shared.take(shared_key(key))
        if image is not None:
            self.served += 1
        return image

    def read(self, reading: Reading) -> None:
        """`reading.user_id` was just served `reading.page`: remember it, and
        queue the pages on either side for every recent reader of the
        document who has not got them yet."""
        if not self.enabled:
            return
        now = self.clock()
        document = reading.document_id
        readers = self._readings.setdefault(document, {})
        previous = readers.get(reading.user_id)
        if previous is None:
            self._joined(document)
        elif previous.page != reading.page or previous.key(0) != reading.key(0):
            # The reader moved on: copies of pages now out of reach, or made
            # at another size or format, will not be asked for.
            near = {reading.key(reading.page - 1), reading.key(reading.page + 1)}
            for key in self._held.get((reading.user_id, document), set()) - near:
                self._drop(key)
                self.dropped += 1
        readers[reading.user_id] = replace(reading, when=now)
        if now - self._checked.get(document, 0.0) > 1.0 or len(readers) == 1:
            self._checked[document] = now
            for reader, other in list(readers.items()):
                # A reading under another label or file is stale: the document
                # was relabelled or replaced since that reader's last request.
                if (now - other.when > self.silence or other.label != reading.label
                        or other.digest != reading.digest):
                    del readers[reader]
                    self._joined(document)
            self._expire(now)
        members = self._members.get(document, 0)
        for step, queue in ((1, self._forward), (-1, self._backward)):
            page = reading.page + step
            if not 1 <= page <= reading.page_count:
                continue
            plan = (document, reading.label, reading.digest, page)
            everyone = self._planned.get(plan) != members
            for other in readers.values() if everyone else (readers[reading.user_id],):
                key = other.key(page)
                if (key in self._pending or key in self._ready or other.label != reading.label
                        or other.digest != reading.digest or len(self._pending) >= MAX_PENDING):
                    continue
                self._pending.add(key)
                queue.append(Job(other, page))
            self._planned[plan] = members
        if self._pending:
            self._wake.set()

    def _joined(self, document: int) -> None:
        """The set of readers of `document` changed: plan its pages afresh."""
        self._members[document] = self._members.get(document, 0) + 1

    def forget(self, user_id: int, document_id: int | None = None) -> None:
        """Prepare nothing more for this reader (of this document, or of any):
        the route refused them."""
        for doc, readers in list(self._readings.items()):
            if document_id is not None and doc != document_id:
                continue
            if readers.pop(user_id, None) is not None:
                self._joined(doc)
            if not readers:
                del self._readings[doc]
        for key in [k for k in self._ready if k.user_id == user_id
                    and (document_id is None or k.document_id == document_id)]:
            self._drop(key)
            self.dropped += 1
        self._pending = {k for k in self._pending if not (
            k.user_id == user_id and (document_id is None or k.document_id == document_id))}

    # -- the background side -------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            # Woken by a reading, or now and then to let old copies go.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.silence / 4)
            self._wake.clear()
            self._expire(self.clock())
            await self._let_go()
            while (job := self._next()) is not None:
                await self._make(job)
                await self._let_go()

    async def _let_go(self) -> None:
        if self._unshare and self.shared is not None:
            keys, self._unshare = self._unshare, []
            await self.shared.delete(keys)

    def _next(self) -> Job | None:
        for queue in (self._forward, self._backward):
            while queue:
                job = queue.popleft()
                if job.reading.key(job.page) in self._pending:
                    return job
        return None

    async def _make(self, job: Job) -> None:
        key = job.reading.key(job.page)
        current = self._readings.get(job.reading.document_id, {}).get(job.reading.user_id)
        # The reader went quiet, was refused, or moved far from this page.
        if (current is None or current.key(job.page) != key
                or abs(current.page - job.page) > REACH
                or self.clock() - current.when > self.silence):
            self._pending.discard(key)
            return
        if self.shared is not None and not await self.shared.claim(shared_key(key)):
            # Another process saw this reader too and makes the copy.
            self._pending.discard(key)
            return
        try:
            image = await self.produce(Job(current, job.page))
        except asyncio.CancelledError:
            raise
        except Exception:
            # Background work: the reader's own request will make the page
            # (and say what is wrong); the loop must go on for the others.
            log.warning("preparing page %s of document %s failed", job.page,
                        job.reading.document_id, exc_info=True)
            self.failed += 1
            self._pending.discard(key)
            return
        if image is None:
            self.forget(job.reading.user_id, job.reading.document_id)
            return
        if key not in self._pending:
            # The reader asked meanwhile and was served by the route.
            self.dropped += 1
            return
        self._pending.discard(key)
        await self._keep(key, image)

    async def _keep(self, key: Key, image: bytes) -> None:
        if len(image) > self.memory_bytes:
            self.dropped += 1
            return
        size = len(image)
        shared = self.shared is not None and await self.shared.put(shared_key(key), image)
        self._ready[key] = (None if shared else image, self.clock(), size)
        self._ready_bytes += size
        self._held.setdefault((key.user_id, key.document_id), set()).add(key)
        self.prepared += 1
        while self._ready_bytes > self.memory_bytes:
            self._drop(next(iter(self._ready)))
            self.dropped += 1

    def _drop(self, key: Key, *, unshare: bool = True) -> tuple[bytes | None, float, int] | None:
        entry = self._ready.pop(key, None)
        if entry is not None:
            self._ready_bytes -= entry[2]
            if entry[0] is None and unshare:
                self._unshare.append(shared_key(key))
                self._wake.set()
            held = self._held.get((key.user_id, key.document_id))
            if held is not None:
                held.discard(key)
                if not held:
                    del self._held[(key.user_id, key.document_id)]
        return entry

    def _expire(self, now: float) -> None:
        while self._ready:
            key, (_, made, _) = next(iter(self._ready.items()))
            if now - made <= self.silence:
                break
            self._drop(key)
            self.dropped += 1
        for doc in [d for d, readers in self._readings.items()
                    if all(now - r.when > self.silence for r in readers.values())]:
            del self._readings[doc]
            self._checked.pop(doc, None)
            self._joined(doc)
        self._planned = {plan: members for plan, members in self._planned.items()
                         if plan[0] in self._readings}
