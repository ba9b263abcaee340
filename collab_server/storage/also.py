"""Work another module adds to a storage method's own transaction: the
outbox queues a notification beside the change it tells of (notify/), so
both commit or neither does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg

InTransaction = Callable[[asyncpg.Connection], Awaitable[object]]
