"""Watermarked pages made ahead, shared by the server's processes through
Redis (or Valkey).

The processes of `serve --workers N` share a port, and nginx pools its
connections to a server: the request for a page turn reaches whichever
process the connection landed on, not the one that saw the reader's last
page and made the next one ahead. With Redis configured, the copy made
ahead is put there instead of in the process's memory, and any process
serves it (GETDEL: once). A claim taken before making a copy keeps two
processes that both saw the reader from making it twice.

What Redis holds: the page image with the reader's name burned in, under a
key that is a digest of everything deciding the image (no name, no id in
clear), for at most `ttl` seconds; each process still bounds in its own
index how many bytes it has put there, and deletes what it lets go.

Redis is help, never a condition: after a failure it is left alone for a
few seconds, and meanwhile copies are kept in the process's memory and
pages are made the usual way.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

PREFIX = "phonghop:page:"
CLAIM = "phonghop:pagejob:"
# A page is made in well under this; a claim left by a process that died
# lets the page be made by another after it.
CLAIM_S = 30
# After a failure, how long Redis is not asked.
REST_S = 5.0


class SharedPages(Protocol):
    """Where copies made ahead go when several processes serve the pages."""

    @property
    def available(self) -> bool: ...

    async def claim(self, key: str) -> bool: ...

    async def put(self, key: str, image: bytes) -> bool: ...

    async def take(self, key: str) -> bytes | None: ...

    async def delete(self, keys: Iterable[str]) -> None: ...

    async def close(self) -> None: ...


def shared_key(parts: Iterable[object]) -> str:
    """The name of a copy: a digest of what decides its image."""
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:40]


class RedisPages:
    def __init__(self, url: str, *, ttl: float) -> None:
        # Short timeouts: a reader waiting on a slow Redis would rather have
        # the page made again.
        self._client = aioredis.from_url(url, socket_connect_timeout=0.5, socket_timeout=1.0)
        self.ttl = max(1, int(ttl))
        self.errors = 0
        self._resting_until = 0.0

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._resting_until

    def _failed(self, what: str, err: Exception) -> None:
        self.errors += 1
        self._resting_until = time.monotonic() + REST_S
        log.warning("shared pages: %s failed (%s); pages are kept in this process for %.0f s",
                    what, type(err).__name__, REST_S)

    async def claim(self, key: str) -> bool:
        """True when this process is the one to make the copy (also when Redis
        cannot say: better twice than never)."""
        if not self.available:
            return True
        try:
            return bool(await self._client.set(CLAIM + key, b"1", nx=True, ex=CLAIM_S))
        except (RedisError, OSError) as err:
            self._failed("claim", err)
            return True

    async def put(self, key: str, image: bytes) -> bool:
        if not self.available:
            return False
        try:
            await self._client.set(PREFIX + key, image, ex=self.ttl)
            return True
        except (RedisError, OSError) as err:
            self._failed("put", err)
            return False

    async def take(self, key: str) -> bytes | None:
        if not self.available:
            return None
        try:
            image = await self._client.getdel(PREFIX + key)
        except (RedisError, OSError) as err:
            self._failed("take", err)
            return None
        return image if isinstance(image, bytes) else None

    async def delete(self, keys: Iterable[str]) -> None:
        names = [PREFIX + key for key in keys]
        if not names or not self.available:
            return
        try:
            await self._client.delete(*names)
        except (RedisError, OSError) as err:
            self._failed("delete", err)

    async def close(self) -> None:
        try:
            await self._client.aclose()
        except (RedisError, OSError):
            pass
