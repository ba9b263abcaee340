"""Writes client updates to storage in batches, off the fan-out path.

Updates wait in memory until a write succeeds: if PostgreSQL is away for a
while the batch is retried with backoff, and nothing accepted is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from collab_server.live.ports import DocStore

log = logging.getLogger(__name__)

MAX_BATCH = 500
RETRY_MAX = 5.0


class Persister:
    def __init__(self, store: DocStore) -> None:
        self._store = store
        self._pending: list[tuple[str, bytes]] = []
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self.errors = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="persister")

    def add(self, name: str, update: bytes) -> None:
        self._pending.append((name, update))
        self._idle.clear()
        self._wakeup.set()

    async def drain(self) -> None:
        """Wait until everything queued so far is written."""
        await self._idle.wait()

    async def _run(self) -> None:
        delay = 0.1
        while True:
            if not self._pending:
                self._idle.set()
                self._wakeup.clear()
                await self._wakeup.wait()
            batch = self._pending[:MAX_BATCH]
            try:
                await self._store.append(batch)
            except Exception:  # storage down: keep the batch, retry
                self.errors += 1
                log.exception("storing %d updates failed; retrying in %.1fs", len(batch), delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
                continue
            delay = 0.1
            del self._pending[: len(batch)]

    async def stop(self) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.drain(), 10)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
