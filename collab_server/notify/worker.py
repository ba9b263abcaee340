"""The delivery worker: one task in each server process, draining the outbox.

Several processes (or servers) may run it at once: a claim takes rows with
`FOR UPDATE SKIP LOCKED` under a lease (notify/queue.py), so each row is in
one worker's hands at a time. A failed send is tried again later, each delay
twice the one before (up to an hour); a permanent refusal, or too many
attempts, marks it failed for an admin to see and retry.

What "nothing sent twice" means here, exactly: a row is marked sent right
after the SMTP server or the gateway accepted it, by the claim that sent it.
A process that dies between the acceptance and that mark (a window of one
database round trip) leaves the row to come due again when its lease ends,
and it is sent once more with the same Message-ID (e-mail) or id (gateway),
by which the receiving side can drop it. Every other stop, an SMTP or
gateway outage included, sends nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg

from collab_server.config import Settings
from collab_server.notify import gateway, mail, queue
from collab_server.notify.gateway import GatewayConfig
from collab_server.notify.mail import SendError, SmtpConfig
from collab_server.notify.outbox import EMAIL, GATEWAY
from collab_server.storage import db

if TYPE_CHECKING:  # imported when a gateway is configured (collab_server/features.py)
    import httpx

log = logging.getLogger(__name__)

BATCH = 20
# How long a stopping server waits for the message being sent (SMTP's own timeout, and some).
STOP_WAIT_S = 40.0
MAX_DELAY_S = 3600.0


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    smtp: SmtpConfig | None
    gateway: GatewayConfig | None
    poll_s: float = 5.0
    retry_s: float = 60.0
    max_attempts: int = 12
    # Longer than the slowest send of a whole batch: a live worker's rows never
    # come due under it.
    lease_s: float = 300.0

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryConfig:
        smtp = None
        if settings.smtp_host:
            smtp = SmtpConfig(settings.smtp_host, settings.smtp_port, settings.smtp_tls,
                              settings.smtp_user, settings.smtp_password,
                              settings.mail_from or f"phonghop@{settings.smtp_host}")
        gate = (GatewayConfig(settings.gateway_url, settings.gateway_secret)
                if settings.gateway_url else None)
        return cls(smtp, gate, poll_s=settings.notify_poll_s, retry_s=settings.notify_retry_s,
                   max_attempts=max(1, settings.notify_max_attempts))

    def channels(self) -> dict[str, bool]:
        return {EMAIL: self.smtp is not None, GATEWAY: self.gateway is not None}


def retry_delay(config: DeliveryConfig, attempts: int) -> float:
    return float(min(config.retry_s * 2 ** max(0, attempts - 1), MAX_DELAY_S))


class Delivery:
    def __init__(self, pool: asyncpg.Pool, config: DeliveryConfig) -> None:
        self.pool = pool
        self.config = config
        self.sent = 0
        self.failures = 0
        self._wake = asyncio.Event()
        # Set by `stop`: nothing new is sent; read by the SMTP thread too.
        self._stopping = threading.Event()
        self._task: asyncio.Task[None] | None = None
        self._http: httpx.AsyncClient | None = None

    def start(self) -> None:
        if self.config.gateway is not None:
            import httpx

            self._http = httpx.AsyncClient()
        self._task = asyncio.create_task(self._run(), name="notification-delivery")

    async def stop(self) -> None:
        """Finish the message being sent and mark it, release the rest of the
        batch (due again at once, for any process), then stop. Cancelling
        instead would leave messages sent and unmarked, to go again."""
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), STOP_WAIT_S)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        if self._http is not None:
            await self._http.aclose()

    def wake(self) -> None:
        """Something was queued by this process: look now, not at the next poll."""
        self._wake.set()

    async def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                full = await self.run_once() >= BATCH
            except (*db.OUTAGE, asyncpg.PostgresError):
                log.warning("notification delivery: database unavailable; trying again",
                            exc_info=True)
                full = False
            except Exception:  # noqa: BLE001 - the outbox must not stop draining for good
                log.exception("notification delivery failed; trying again at the next poll")
                full = False
            if not full:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.config.poll_s)

    async def run_once(self) -> int:
        """Claim one batch and deliver it; how many rows it held."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await queue.claim(conn, limit=BATCH, lease_s=self.config.lease_s)
        emails = []
        for row in rows:
            if self._stopping.is_set():
                await self._release(row)
                continue
            reason = self._not_deliverable(row)
            if reason is not None:
                async with self.pool.acquire() as conn:
                    await queue.mark_dropped(conn, row, reason)
            elif row.channel == EMAIL:
                emails.append(row)
            else:
                assert self._http is not None and self.config.gateway is not None
                try:
                    await gateway.send(self._http, self.config.gateway, row)
                    await self._settle(row, None)
                except SendError as exc:
                    await self._settle(row, exc)
        if emails and self.config.smtp is not None:
            loop = asyncio.get_running_loop()

            def settle(row: queue.Claimed, outcome: SendError | None) -> None:
                # Marked before the thread sends the next one.
                asyncio.run_coroutine_threadsafe(self._settle(row, outcome), loop).result()
            def release(row: queue.Claimed) -> None:
                asyncio.run_coroutine_threadsafe(self._release(row), loop).result()
            await asyncio.to_thread(mail.send_batch, self.config.smtp, emails, settle,
                                    stopping=self._stopping, release=release)
        return len(rows)

    async def _release(self, row: queue.Claimed) -> None:
        async with self.pool.acquire() as conn:
            await queue.release(conn, row)

    def _not_deliverable(self, row: queue.Claimed) -> str | None:
        if not row.still_chosen:
            return "Người nhận đã tắt kênh này hoặc chưa có địa chỉ."
        if row.channel == EMAIL and self.config.smtp is None:
            return "Máy chủ chưa cấu hình gửi thư (PHONGHOP_SMTP_HOST)."
        if row.channel == GATEWAY and self.config.gateway is None:
            return "Máy chủ chưa cấu hình cổng tin nhắn (PHONGHOP_GATEWAY_URL)."
        return None

    async def _settle(self, row: queue.Claimed, error: SendError | None) -> None:
        async with self.pool.acquire() as conn:
            if error is None:
                if await queue.mark_sent(conn, row):
                    self.sent += 1
                return
            self.failures += 1
            give_up = error.permanent or row.attempts >= self.config.max_attempts
            await queue.mark_retry(conn, row, str(error), retry_delay(self.config, row.attempts),
                                   give_up=give_up)
        log.warning("notification not delivered", extra={
            "notification": row.id, "channel": row.channel, "attempts": row.attempts,
            "error": str(error), "gave_up": give_up})
