"""E-mail through SMTP with the standard library, in a thread.

Each message has a Message-ID made from its outbox row: if the process stops
after the SMTP server accepted a message and before the row was marked sent,
the row is sent again when its lease ends, with the same Message-ID, which
mail systems use to drop the second copy (docs/notifications.md).
"""

from __future__ import annotations

import smtplib
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from collab_server.notify.queue import Claimed

TIMEOUT_S = 30


class SendError(Exception):
    """`permanent`: the server refused for good (5xx): retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    tls: str  # starttls | ssl | none
    user: str
    password: str
    sender: str  # the From address
    sender_name: str = "Phòng họp không giấy"

    @property
    def domain(self) -> str:
        return self.sender.rpartition("@")[2] or "phonghop.local"

    def __repr__(self) -> str:  # never the password, in a log or a traceback
        return f"SmtpConfig(host={self.host!r}, port={self.port}, tls={self.tls!r})"


def message_id(config: SmtpConfig, row_id: int) -> str:
    return f"<phonghop-outbox-{row_id}@{config.domain}>"


def build(config: SmtpConfig, row: Claimed) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr((config.sender_name, config.sender))
    msg["To"] = formataddr((row.full_name, row.email))
    msg["Subject"] = row.subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id(config, row.id)
    msg["Content-Language"] = "vi"
    msg["Auto-Submitted"] = "auto-generated"
    text = row.body if not row.link or row.link in row.body else f"{row.body}\n\n{row.link}"
    msg.set_content(text, charset="utf-8")
    if row.ics is not None:
        method = "CANCEL" if b"METHOD:CANCEL" in row.ics else "REQUEST"
        msg.add_attachment(row.ics, maintype="text", subtype="calendar",
                           filename="cuoc-hop.ics",
                           # Vietnamese in UTF-8: said, or strict readers guess another charset.
                           params={"method": method, "charset": "utf-8"})
    return msg


def _error(exc: Exception) -> SendError:
    """What the server said, never what we sent it (the login is in there)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return SendError(f"SMTP từ chối người nhận ({', '.join(map(str, codes))})",
                         permanent=all(500 <= c < 600 for c in codes))
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return SendError(f"SMTP không chấp nhận đăng nhập ({exc.smtp_code})")
    if isinstance(exc, smtplib.SMTPResponseException):
        reason = exc.smtp_error.decode("utf-8", "replace")[:200] \
            if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)[:200]
        return SendError(f"SMTP {exc.smtp_code}: {reason}",
                         permanent=500 <= exc.smtp_code < 600)
    return SendError(f"Không kết nối được máy chủ thư: {type(exc).__name__}: {exc}"[:300])


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    if config.tls == "ssl":
        return smtplib.SMTP_SSL(config.host, config.port, timeout=TIMEOUT_S,
                                context=ssl.create_default_context())
    smtp = smtplib.SMTP(config.host, config.port, timeout=TIMEOUT_S)
    if config.tls == "starttls":
        smtp.starttls(context=ssl.create_default_context())
    return smtp


def send_batch(config: SmtpConfig, rows: list[Claimed],
               settle: Callable[[Claimed, SendError | None], None], *,
               stopping: threading.Event | None = None,
               release: Callable[[Claimed], None] | None = None) -> None:
    """Send each row on one connection (blocking: run it in a thread), and
    `settle` each as soon as the server answered it (None: accepted), so the
    row is marked before the next is sent. Once `stopping` is set, the rows
    not sent yet are handed to `release` instead."""
    pending = list(rows)
    try:
        smtp = _connect(config)
    except (OSError, smtplib.SMTPException) as exc:
        failure = _error(exc)
        for row in pending:
            settle(row, failure)
        return
    try:
        if config.user:
            smtp.login(config.user, config.password)
        while pending:
            if stopping is not None and stopping.is_set() and release is not None:
                for row in pending:
                    release(row)
                pending.clear()
                break
            row = pending[0]
            try:
                smtp.send_message(build(config, row))
                outcome: SendError | None = None
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError,
                    smtplib.SMTPSenderRefused) as exc:
                outcome = _error(exc)
            pending.pop(0)
            settle(row, outcome)
    except (OSError, smtplib.SMTPException) as exc:
        failure = _error(exc)
        for row in pending:
            settle(row, failure)
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
