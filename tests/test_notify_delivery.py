"""The delivery worker in this process, on a database of the test's own (no
server draining it): two workers at once send each row once; a permanent
refusal fails at once, a passing outage is retried with a growing delay
until it gives up; a channel the server is not configured for, or one the
person turned off meanwhile, withdraws the row with the reason."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import pytest

from collab_server.notify import outbox
from collab_server.notify.mail import SmtpConfig
from collab_server.notify.worker import Delivery, DeliveryConfig, retry_delay
from tests.conftest import free_port
from tests.notify_support import MAIL_FROM, SmtpSink


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink(port=free_port())
    sink.start()
    yield sink
    sink.stop()


def config(port: int, *, max_attempts: int = 12) -> DeliveryConfig:
    """Retries due at once: each `run_once` is the next attempt."""
    smtp = SmtpConfig("127.0.0.1", port, "none", "", "mat-khau-smtp-bi-mat", MAIL_FROM)
    return DeliveryConfig(smtp, None, poll_s=0.1, retry_s=0, max_attempts=max_attempts)


async def people(pool: asyncpg.Pool, n: int, *, prefix: str = "nguoi") -> list[int]:
    body = await pool.fetchval("INSERT INTO bodies (code, name) VALUES ($1, 'Sở thử')"
                               " RETURNING id", f"so-{prefix}")
    ids = []
    for i in range(n):
        uid = await pool.fetchval(
            "INSERT INTO users (body_id, username, full_name, password_hash)"
            " VALUES ($1, $2, $3, '!') RETURNING id", body, f"{prefix}{i}", f"Người {i}")
        await pool.execute("INSERT INTO notification_settings (user_id, email) VALUES ($1, $2)",
                           uid, f"{prefix}{i}@quangbinh.gov.vn")
        ids.append(uid)
    return ids


async def queue_one(pool: asyncpg.Pool, user_ids: list[int], key: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await outbox.enqueue(conn, user_ids=user_ids, kind="test", subject="Thông báo thử",
                             text="Nội dung thông báo.", key=key)


async def test_two_workers_at_once_send_each_row_once(pool: asyncpg.Pool,
                                                      smtp: SmtpSink) -> None:
    ids = await people(pool, 45)
    await queue_one(pool, ids, "event:1")
    first, second = Delivery(pool, config(smtp.port)), Delivery(pool, config(smtp.port))
    while await pool.fetchval("SELECT count(*) FROM notification_outbox WHERE sent_at IS NULL"):
        await asyncio.gather(first.run_once(), second.run_once())
    assert first.sent > 0 and second.sent > 0
    assert first.sent + second.sent == 45
    assert sorted(m.to[0] for m in smtp.mails) == sorted(
        f"nguoi{i}@quangbinh.gov.vn" for i in range(45))
    assert len({m.message_id for m in smtp.mails}) == 45


async def test_a_worker_stopped_in_the_middle_of_a_batch_sends_nothing_twice(
        pool: asyncpg.Pool, smtp: SmtpSink) -> None:
    """A server stopping (an upgrade) while a batch goes out: the message being
    sent is finished and marked, the rest is released for the next worker."""
    ids = await people(pool, 10)
    await queue_one(pool, ids, "event:1")
    smtp.delay_s = 0.2
    worker = Delivery(pool, config(smtp.port))
    worker.start()
    await smtp.wait_for(lambda: len(smtp.mails) >= 2)
    await worker.stop()
    sent = await pool.fetchval("SELECT count(*) FROM notification_outbox WHERE sent_at IS NOT NULL")
    assert 2 <= sent < 10
    assert len(smtp.mails) == sent  # every accepted message is marked
    assert await pool.fetchval(
        "SELECT bool_and(claim IS NULL AND next_attempt_at <= clock_timestamp()"
        " AND attempts = 0) FROM notification_outbox WHERE sent_at IS NULL")
    smtp.delay_s = 0
    after = Delivery(pool, config(smtp.port))
    while await pool.fetchval("SELECT count(*) FROM notification_outbox WHERE sent_at IS NULL"):
        await after.run_once()
    assert sorted(m.to[0] for m in smtp.mails) == sorted(
        f"nguoi{i}@quangbinh.gov.vn" for i in range(10))


async def test_a_permanent_refusal_fails_at_once_and_an_outage_gives_up_after_the_attempts(
        pool: asyncpg.Pool, smtp: SmtpSink) -> None:
    ids = await people(pool, 2)
    smtp.unknown.add("nguoi0@quangbinh.gov.vn")
    await queue_one(pool, ids[:1], "event:1")
    worker = Delivery(pool, config(smtp.port, max_attempts=3))
    assert await worker.run_once() == 1
    row = await pool.fetchrow("SELECT attempts, failed_at, last_error FROM notification_outbox")
    assert row["attempts"] == 1 and row["failed_at"] is not None
    assert row["last_error"] == "SMTP từ chối người nhận (550)"
    assert await worker.run_once() == 0  # given up: no longer due

    closed = free_port()  # nothing listens there
    await queue_one(pool, ids[1:], "event:2")
    worker = Delivery(pool, config(closed, max_attempts=3))
    for attempt in (1, 2, 3):
        assert await worker.run_once() == 1, attempt
        row = await pool.fetchrow("SELECT attempts, failed_at, last_error FROM"
                                  " notification_outbox WHERE user_id = $1", ids[1])
        assert row["attempts"] == attempt
        assert (row["failed_at"] is not None) == (attempt == 3)
        assert row["last_error"].startswith("Không kết nối được máy chủ thư: Connection")
        assert "mat-khau" not in row["last_error"]
    assert await worker.run_once() == 0
    # The delay doubles from the first, up to an hour.
    growing = DeliveryConfig(None, None, retry_s=60)
    assert [retry_delay(growing, n) for n in (1, 2, 3, 7, 8, 20)] == [
        60, 120, 240, 3600, 3600, 3600]
    assert "mat-khau" not in repr(config(closed).smtp)


async def test_what_cannot_be_delivered_is_withdrawn_with_the_reason(
        pool: asyncpg.Pool, smtp: SmtpSink) -> None:
    ids = await people(pool, 2)
    await pool.execute("UPDATE notification_settings SET phone = '0912345678',"
                       " by_gateway = true WHERE user_id = $1", ids[0])
    await queue_one(pool, ids, "event:1")
    # One turned e-mail off after it was queued.
    await pool.execute("UPDATE notification_settings SET by_email = false WHERE user_id = $1",
                       ids[1])
    worker = Delivery(pool, config(smtp.port))  # no gateway configured
    assert await worker.run_once() == 3
    rows = await pool.fetch("SELECT user_id, channel, sent_at IS NOT NULL AS sent, last_error"
                            " FROM notification_outbox ORDER BY user_id, channel")
    assert [(r["user_id"], r["channel"], r["sent"], r["last_error"]) for r in rows] == [
        (ids[0], "email", True, None),
        (ids[0], "gateway", False,
         "Máy chủ chưa cấu hình cổng tin nhắn (PHONGHOP_GATEWAY_URL)."),
        (ids[1], "email", False, "Người nhận đã tắt kênh này hoặc chưa có địa chỉ."),
    ]
    assert [m.to for m in smtp.mails] == [["nguoi0@quangbinh.gov.vn"]]
