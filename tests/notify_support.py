"""Real receivers for the notification tests: an SMTP server (aiosmtpd) the
test starts, stops and starts again on the same port, and an HTTP receiver
standing for a province's SMS/Zalo gateway. Both keep what they received."""

from __future__ import annotations

import asyncio
import email
import email.policy
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from icalendar import Calendar

from tests.conftest import free_port

SMTP_PORT = free_port()
GATEWAY_PORT = free_port()
GATEWAY_SECRET = "bi-mat-cong-tin-nhan-thu"
MAIL_FROM = "phonghop@ubnd.quangbinh.gov.vn"
PUBLIC_URL = "https://phonghop.quangbinh.gov.vn"

# What the server under test is started with (conftest's `server` fixture
# reads a test module's SERVER_ENV).
SERVER_ENV = {
    "PHONGHOP_SMTP_HOST": "127.0.0.1",
    "PHONGHOP_SMTP_PORT": str(SMTP_PORT),
    "PHONGHOP_SMTP_TLS": "none",
    "PHONGHOP_MAIL_FROM": MAIL_FROM,
    "PHONGHOP_GATEWAY_URL": f"http://127.0.0.1:{GATEWAY_PORT}/tin-nhan",
    "PHONGHOP_GATEWAY_SECRET": GATEWAY_SECRET,
    "PHONGHOP_NOTIFY_POLL_S": "0.2",
    "PHONGHOP_NOTIFY_RETRY_S": "0.3",
    "PHONGHOP_PUBLIC_URL": PUBLIC_URL,
}


@dataclass
class Mail:
    to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def text(self) -> str:
        body = self.message.get_body(("plain",))
        assert body is not None
        return str(body.get_content())

    def calendar(self) -> Calendar | None:
        for part in self.message.iter_attachments():
            if part.get_content_type() == "text/calendar":
                return Calendar.from_ical(part.get_payload(decode=True))
        return None

    def calendar_part(self) -> EmailMessage | None:
        return next((p for p in self.message.iter_attachments()
                     if p.get_content_type() == "text/calendar"), None)


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.sink.unknown:
            return "550 5.1.1 Không có hộp thư này"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        sink = self.sink
        if sink.delay_s:
            await asyncio.sleep(sink.delay_s)  # a slow server: each message takes this long
        with sink.lock:
            if sink.refuse_after is not None and len(sink.mails) >= sink.refuse_after:
                # The server goes away in the middle of a batch.
                sink.refused += 1
                threading.Thread(target=sink.stop, daemon=True).start()
                return "421 4.3.2 Service shutting down"
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            sink.mails.append(Mail(list(envelope.rcpt_tos), message))
        return "250 2.0.0 OK"


@dataclass
class SmtpSink:
    port: int = SMTP_PORT
    mails: list[Mail] = field(default_factory=list)
    refuse_after: int | None = None
    refused: int = 0
    delay_s: float = 0.0
    # Mailboxes the server does not have (550: a permanent refusal).
    unknown: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    controller: Controller | None = None

    def start(self) -> None:
        self.refuse_after = None
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        controller, self.controller = self.controller, None
        if controller is not None:
            controller.stop()

    def to(self, address: str) -> list[Mail]:
        with self.lock:
            return [m for m in self.mails if address in m.to]

    async def wait_for(self, check: Callable[[], bool], timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            assert time.monotonic() < deadline, f"waited in vain; mails: {self.summary()}"
            await asyncio.sleep(0.05)

    def summary(self) -> list[tuple[list[str], str]]:
        with self.lock:
            return [(m.to, m.subject) for m in self.mails]


@dataclass
class Posted:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data

    def signed(self, secret: str = GATEWAY_SECRET) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.headers.get("x-phonghop-signature", ""))


class GatewayReceiver:
    """An HTTP server in a thread: answers `status` to each POST and keeps it."""

    def __init__(self, port: int = GATEWAY_PORT) -> None:
        self.posts: list[Posted] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                status = receiver.status
                if 200 <= status < 300:
                    receiver.posts.append(Posted({k.lower(): v for k, v in self.headers.items()},
                                                 body))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def to(self, phone: str) -> list[Posted]:
        return [p for p in self.posts if p.json["to"] == phone]
