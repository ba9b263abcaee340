"""`phonghop notify-test`: one message by each configured channel, straight
from this machine and not through the outbox, so an operator sees at once
whether the SMTP server and the gateway take what this server sends (and
what they answer when not). Never prints the password or the secret."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import httpx

from collab_server.config import Settings
from collab_server.notify import gateway, mail
from collab_server.notify.mail import SendError
from collab_server.notify.queue import Claimed
from collab_server.notify.worker import DeliveryConfig

SUBJECT = "Thư thử của Phòng họp không giấy"
TEXT = ("Đây là thư thử do người quản trị gửi để kiểm tra cấu hình thông báo.\n"
        "This is a test message sent to check the notification settings.")


def _row(to_email: str, phone: str) -> Claimed:
    # An id of its own each time: mail systems drop a second message with the same Message-ID.
    number = -int(datetime.now(UTC).timestamp() * 1000)
    return Claimed(number, uuid.uuid4(), 0, "email", "test", SUBJECT,
                   f"{TEXT}\n{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC", "", None, 1,
                   "Người nhận thư thử", to_email, phone, True)


async def send_test(settings: Settings, to_email: str, phone: str) -> tuple[bool, list[str]]:
    """Whether every channel asked for worked, and one line per channel."""
    config = DeliveryConfig.from_settings(settings)
    lines: list[str] = []
    ok = True
    row = _row(to_email, phone)
    if to_email:
        if config.smtp is None:
            ok = False
            lines.append("Thư điện tử: chưa cấu hình PHONGHOP_SMTP_HOST. / E-mail: not configured.")
        else:
            outcome: list[SendError | None] = []
            await asyncio.to_thread(mail.send_batch, config.smtp, [row],
                                    lambda _, error: outcome.append(error))
            error = outcome[0] if outcome else SendError("không có trả lời")
            ok = ok and error is None
            lines.append(f"Thư điện tử tới {to_email}: "
                         + ("máy chủ thư đã nhận. / accepted." if error is None
                            else f"không gửi được: {error}. / failed."))
    if phone:
        if config.gateway is None:
            ok = False
            lines.append("Tin nhắn: chưa cấu hình PHONGHOP_GATEWAY_URL. / Gateway: not configured.")
        else:
            async with httpx.AsyncClient() as client:
                try:
                    await gateway.send(client, config.gateway, row)
                    lines.append(f"Tin nhắn tới {phone}: cổng tin nhắn đã nhận. / accepted.")
                except SendError as exc:
                    ok = False
                    lines.append(f"Tin nhắn tới {phone}: không gửi được: {exc}. / failed.")
    return ok, lines
