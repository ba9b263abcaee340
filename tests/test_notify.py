"""Notifications against real receivers: an SMTP server (aiosmtpd) and an
HTTP receiver for the SMS/Zalo gateway, both run by the test, and the server
as a process of its own. Invitations arrive in Vietnamese with a calendar
file; a change of time carries a higher SEQUENCE; a confidential document is
announced without its title; an SMTP outage in the middle of a batch is
retried and each message arrives once; a restart sends nothing again."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from collab_server.domain.calendar import LOCAL_TZ
from tests.browser_support import make_pdf, upload
from tests.conftest import Server, World, build_world, client
from tests.notify_support import (
    MAIL_FROM,
    PUBLIC_URL,
    SERVER_ENV,
    GatewayReceiver,
    SmtpSink,
)

__all__ = ["SERVER_ENV"]  # read by conftest's `server` fixture


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def gateway() -> Iterator[GatewayReceiver]:
    receiver = GatewayReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
async def db(server: Server) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(server.database_url)
    yield conn
    await conn.close()



def address(world: World, who: str) -> str:
    return f"{who}.{world.body_id}@quangbinh.gov.vn"


async def draft(server: Server, db: asyncpg.Connection, *, delegates: int = 3) -> World:
    """A meeting in draft with a room, its people each with an e-mail address."""
    world = await build_world(server.database_url, delegates=delegates, admin="outsider",
                              starts_in=timedelta(days=10))
    room = await db.fetchval("INSERT INTO rooms (body_id, name) VALUES ($1, 'Phòng họp số 1')"
                             " RETURNING id", world.body_id)
    await db.execute("UPDATE meetings SET status = 'draft', room_id = $2 WHERE id = $1",
                     world.meeting_id, room)
    for who, uid in world.users.items():
        await db.execute("INSERT INTO notification_settings (user_id, email) VALUES ($1, $2)",
                         uid, address(world, who))
    return world


async def invite(server: Server, world: World) -> None:
    async with client(server, world, "secretary") as http:
        r = await http.post(f"/api/meetings/{world.meeting_id}/status", json={"to": "invited"})
    assert r.status_code == 200, r.text


async def starts_at(db: asyncpg.Connection, world: World) -> datetime:
    """To the second, as calendar files hold it."""
    value: datetime = await db.fetchval("SELECT starts_at FROM meetings WHERE id = $1",
                                        world.meeting_id)
    return value.replace(microsecond=0)


async def until(db: asyncpg.Connection, query: str, *args: Any, timeout: float = 20) -> Any:
    """The first truthy value of `query`: a row is marked sent just after the
    receiver answered, so a test that saw the message waits for the mark."""
    deadline = datetime.now(UTC) + timedelta(seconds=timeout)
    while not (value := await db.fetchval(query, *args)):
        assert datetime.now(UTC) < deadline, f"never true: {query}"
        await asyncio.sleep(0.05)
    return value


def event(mail: Any) -> Any:
    calendar = mail.calendar()
    assert calendar is not None, mail.message
    (vevent,) = calendar.walk("VEVENT")
    return calendar, vevent


async def test_invitation_by_each_persons_channels_then_change_and_withdrawal(
        server: Server, smtp: SmtpSink, gateway: GatewayReceiver,
        db: asyncpg.Connection) -> None:
    world = await draft(server, db)
    async with client(server, world, "delegate02") as http:
        r = await http.put("/api/me/notifications",
                           json={"phone": "0912 345 678", "by_gateway": True})
        assert r.status_code == 200, r.text
        assert r.json()["settings"] == {"email": address(world, "delegate02"),
                                        "phone": "0912345678", "by_email": True,
                                        "by_gateway": True}
        assert r.json()["channels"] == {"email": True, "gateway": True}
    async with client(server, world, "delegate03") as http:
        r = await http.put("/api/me/notifications", json={
            "by_email": False, "phone": "+84 913 000 111", "by_gateway": True})
        assert r.status_code == 200, r.text
    await db.execute("DELETE FROM notification_settings WHERE user_id = $1",
                     world.users["guest"])  # no address: nothing to send to
    await invite(server, world)

    by_mail = ("chair", "secretary", "delegate01", "delegate02")
    await smtp.wait_for(lambda: all(smtp.to(address(world, w)) for w in by_mail))
    await smtp.wait_for(lambda: len(gateway.to("0912345678")) == 1
                        and len(gateway.to("+84913000111")) == 1)
    for who in ("delegate03", "guest", "display", "outsider"):
        assert smtp.to(address(world, who)) == [], who

    mail = smtp.to(address(world, "delegate01"))[0]
    assert mail.subject == "Giấy mời họp: Họp giao ban tuần"
    assert str(mail.message["From"]) == f"Phòng họp không giấy <{MAIL_FROM}>"
    link = f"{PUBLIC_URL}/#/meeting/{world.meeting_id}"
    assert "trân trọng kính mời Ông/Bà dự cuộc họp" in mail.text
    assert "Địa điểm: Phòng họp số 1" in mail.text
    local = (await starts_at(db, world)).astimezone(LOCAL_TZ)
    assert f"Thời gian: {local:%H:%M}" in mail.text
    assert f"ngày {local:%d/%m/%Y}" in mail.text
    assert link in mail.text
    assert mail.message_id.endswith("@ubnd.quangbinh.gov.vn>")
    part = mail.calendar_part()
    assert part is not None and part.get_param("method") == "REQUEST"
    calendar, vevent = event(mail)
    uid = f"meeting-{world.meeting_id}@ubnd.quangbinh.gov.vn"
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(vevent["UID"]) == uid and int(vevent["SEQUENCE"]) == 0
    assert vevent["DTSTART"].dt == await starts_at(db, world)
    assert str(vevent["SUMMARY"]) == "Họp giao ban tuần"
    assert str(vevent["LOCATION"]) == "Phòng họp số 1"
    assert str(vevent["ATTENDEE"]) == f"mailto:{address(world, 'delegate01')}"
    assert str(vevent["ORGANIZER"]) == f"mailto:{MAIL_FROM}"

    sms = gateway.to("0912345678")[0]
    assert sms.signed() and not sms.signed("another secret")
    assert sms.json["link"] == link and "kính mời" in sms.json["text"]
    assert sms.json["kind"] == "meeting.invitation"
    assert sms.headers["idempotency-key"] == sms.json["id"]

    # A new title tells no one; a new time tells everyone, on the same calendar entry.
    later = await starts_at(db, world) + timedelta(days=1, hours=1)
    async with client(server, world, "secretary") as http:
        r = await http.patch(f"/api/meetings/{world.meeting_id}", json={"title": "Họp giao ban"})
        assert r.status_code == 200, r.text
        r = await http.patch(f"/api/meetings/{world.meeting_id}",
                             json={"starts_at": later.isoformat()})
        assert r.status_code == 200, r.text
    await smtp.wait_for(lambda: len(smtp.to(address(world, "delegate01"))) == 2)
    change = smtp.to(address(world, "delegate01"))[1]
    assert change.subject == "Thay đổi lịch họp: Họp giao ban"
    assert "có thay đổi về thời gian hoặc địa điểm" in change.text
    _, vevent = event(change)
    assert str(vevent["UID"]) == uid and int(vevent["SEQUENCE"]) == 1
    assert vevent["DTSTART"].dt == later

    # Taken off the list: the calendar entry is cancelled for that person only.
    async with client(server, world, "secretary") as http:
        r = await http.delete(
            f"/api/meetings/{world.meeting_id}/participants/{world.users['delegate01']}")
        assert r.status_code == 200, r.text
    await smtp.wait_for(lambda: len(smtp.to(address(world, "delegate01"))) == 3)
    withdrawn = smtp.to(address(world, "delegate01"))[2]
    assert withdrawn.subject == "Hủy lời mời họp: Họp giao ban"
    calendar, vevent = event(withdrawn)
    assert str(calendar["METHOD"]) == "CANCEL" and str(vevent["STATUS"]) == "CANCELLED"
    assert str(vevent["UID"]) == uid and int(vevent["SEQUENCE"]) == 2
    assert len(smtp.to(address(world, "delegate02"))) == 2


async def test_a_document_is_announced_without_a_confidential_title_or_content(
        server: Server, smtp: SmtpSink, gateway: GatewayReceiver,
        db: asyncpg.Connection) -> None:
    world = await draft(server, db, delegates=1)
    await db.execute("UPDATE notification_settings SET phone = '0988777666', by_gateway = true"
                     " WHERE user_id = $1", world.users["delegate01"])
    secret_title = f"Phương án nhân sự {uuid.uuid4().hex[:6]}"
    secret_text = "NOI DUNG NHAN SU KHONG DUOC LO"
    # Before the invitations, a document tells no one.
    await upload(server.http, world.token("secretary"), world.meeting_id,
                 make_pdf(["Dự thảo chương trình"]), "du-thao.pdf", title="Dự thảo chương trình",
                 confidentiality="public")
    await invite(server, world)
    me = address(world, "delegate01")
    await smtp.wait_for(lambda: len(smtp.to(me)) == 1)
    await upload(server.http, world.token("secretary"), world.meeting_id,
                 make_pdf([secret_text]), "nhan-su.pdf", title=secret_title,
                 confidentiality="confidential")
    await upload(server.http, world.token("secretary"), world.meeting_id,
                 make_pdf(["Báo cáo"]), "bao-cao.pdf", title="Báo cáo kinh tế công khai",
                 confidentiality="public")
    await smtp.wait_for(lambda: len(smtp.to(me)) == 3)
    await smtp.wait_for(lambda: len(gateway.to("0988777666")) == 3)
    confidential, public = smtp.to(me)[1:]
    assert confidential.subject == "Tài liệu mới cho cuộc họp: Họp giao ban tuần"
    assert "có thêm tài liệu." in confidential.text
    for mail in (confidential, public):
        raw = mail.message.as_string()
        assert secret_title not in raw and secret_text not in raw
        assert "Phương án" not in mail.text and mail.calendar() is None
    assert "Báo cáo kinh tế công khai" in public.text
    for sms in gateway.to("0988777666")[1:]:
        assert secret_title not in sms.body.decode() and secret_text not in sms.body.decode()


async def test_a_confidential_meetings_title_stays_out_of_every_message(
        server: Server, smtp: SmtpSink, db: asyncpg.Connection) -> None:
    world = await draft(server, db, delegates=1)
    secret = f"MẬT: Họp xem xét kỷ luật {uuid.uuid4().hex[:6]}"
    await db.execute("UPDATE meetings SET title = $2, confidentiality = 'confidential'"
                     " WHERE id = $1", world.meeting_id, secret)
    await invite(server, world)
    me = address(world, "delegate01")
    await smtp.wait_for(lambda: len(smtp.to(me)) == 1)
    await upload(server.http, world.token("secretary"), world.meeting_id,
                 make_pdf(["Báo cáo"]), "bao-cao.pdf", title="Báo cáo", confidentiality="public")
    await smtp.wait_for(lambda: len(smtp.to(me)) == 2)
    invitation, document = smtp.to(me)
    for mail in (invitation, document):
        part = mail.calendar_part()
        ics = part.get_payload(decode=True).decode() if part is not None else ""
        for told in (mail.subject, mail.text, ics):
            assert "kỷ luật" not in told and "MẬT" not in told, told
    calendar = invitation.calendar_part()
    assert calendar is not None and calendar.get_content_charset() == "utf-8"
    assert "BEGIN:VEVENT" in calendar.get_payload(decode=True).decode()
    assert invitation.subject.startswith("Giấy mời họp: Cuộc họp ngày ")


async def test_an_smtp_outage_in_the_middle_of_sending_is_retried_and_nothing_sent_twice(
        server: Server, smtp: SmtpSink, db: asyncpg.Connection) -> None:
    world = await draft(server, db, delegates=5)
    people = ("chair", "secretary", "guest", *(f"delegate{i:02d}" for i in range(1, 6)))
    # The server accepts one message of the batch, answers 421 to the next and goes away.
    smtp.refuse_after = len(smtp.mails) + 1
    await invite(server, world)
    await smtp.wait_for(lambda: smtp.controller is None and smtp.refused == 1)
    rows = await db.fetch(
        "SELECT o.id, o.attempts, o.last_error, o.sent_at FROM notification_outbox o"
        " JOIN users u ON u.id = o.user_id WHERE u.body_id = $1", world.body_id)
    assert len(rows) == len(people)
    assert sum(r["sent_at"] is not None for r in rows) == 1
    # Tried again while the server is away: refused connections, counted and kept.
    await until(db, "SELECT count(*) = $2 FROM notification_outbox o JOIN users u"
                " ON u.id = o.user_id WHERE u.body_id = $1 AND o.attempts >= 2"
                " AND o.sent_at IS NULL", world.body_id, len(people) - 1)
    errors = {r["last_error"] for r in await db.fetch(
        "SELECT o.last_error FROM notification_outbox o JOIN users u ON u.id = o.user_id"
        " WHERE u.body_id = $1 AND o.sent_at IS NULL", world.body_id)}
    assert all(e and ("SMTP 421" in e or "Không kết nối được máy chủ thư" in e) for e in errors)
    assert not any("mat-khau" in (e or "") for e in errors)

    smtp.start()
    await smtp.wait_for(lambda: all(smtp.to(address(world, w)) for w in people), timeout=30)
    for who in people:
        assert len(smtp.to(address(world, who))) == 1, who
    ids = [m.message_id for w in people for m in smtp.to(address(world, w))]
    assert len(set(ids)) == len(people)
    await until(db, "SELECT count(*) = $2 FROM notification_outbox o JOIN users u"
                " ON u.id = o.user_id WHERE u.body_id = $1 AND o.sent_at IS NOT NULL",
                world.body_id, len(people))
    async with httpx.AsyncClient(base_url=server.http) as http:
        metrics = (await http.get("/-/metrics")).text
    failures = next(line for line in metrics.splitlines()
                    if line.startswith("phonghop_notification_failures_total "))
    assert float(failures.split()[1]) >= len(people) - 1

    # Restarted after sending: nothing is sent again. What comes next (a change
    # of time, queued after the restart) arrives alone.
    await server.stop()
    await server.start()
    later = await starts_at(db, world) + timedelta(hours=2)
    async with client(server, world, "secretary") as http:
        r = await http.patch(f"/api/meetings/{world.meeting_id}",
                             json={"starts_at": later.isoformat()})
        assert r.status_code == 200, r.text
    await smtp.wait_for(lambda: all(len(smtp.to(address(world, w))) == 2 for w in people))
    for who in people:
        subjects = [m.subject for m in smtp.to(address(world, who))]
        assert subjects == ["Giấy mời họp: Họp giao ban tuần",
                            "Thay đổi lịch họp: Họp giao ban tuần"], who


async def test_a_worker_lost_after_the_smtp_server_accepted_sends_again_with_the_same_message_id(
        server: Server, smtp: SmtpSink, db: asyncpg.Connection) -> None:
    """The one window docs/notifications.md names: the message was accepted,
    the mark never made. The row comes due when the lease ends and goes again,
    under the same Message-ID, by which mail systems drop the copy."""
    from collab_server.notify import mail, outbox, queue

    world = await build_world(server.database_url, delegates=1)
    me = address(world, "delegate01")
    await db.execute("INSERT INTO notification_settings (user_id, email) VALUES ($1, $2)",
                     world.users["delegate01"], me)
    async with db.transaction():
        # Claimed by this "worker" before the server's own can see it (at commit).
        assert await outbox.enqueue(db, user_ids=[world.users["delegate01"]], kind="test.lost",
                                    subject="Nhắc việc", text="Việc cần làm.", key="lost:1") == 1
        claimed = [c for c in await queue.claim(db, limit=50, lease_s=1.5)
                   if c.user_id == world.users["delegate01"]]
    assert len(claimed) == 1
    config = mail.SmtpConfig("127.0.0.1", smtp.port, "none", "", "", MAIL_FROM)
    outcomes: list[Any] = []
    mail.send_batch(config, claimed, lambda row, error: outcomes.append(error))
    assert outcomes == [None]  # accepted; and then this worker is gone
    await smtp.wait_for(lambda: len(smtp.to(me)) == 2)
    first, second = smtp.to(me)
    assert first.message_id == second.message_id
    await until(db, "SELECT sent_at IS NOT NULL FROM notification_outbox WHERE id = $1",
                claimed[0].id)
    assert await db.fetchval("SELECT attempts FROM notification_outbox WHERE id = $1",
                             claimed[0].id) == 2


async def test_a_gateway_that_refuses_is_tried_again(
        server: Server, smtp: SmtpSink, gateway: GatewayReceiver,
        db: asyncpg.Connection) -> None:
    from collab_server.notify import outbox

    world = await build_world(server.database_url, delegates=1)
    uid = world.users["delegate01"]
    await db.execute("INSERT INTO notification_settings (user_id, phone, by_email, by_gateway)"
                     " VALUES ($1, '0977000111', false, true)", uid)
    gateway.status = 503
    try:
        async with db.transaction():
            await outbox.enqueue(db, user_ids=[uid], kind="opinion.request",
                                 subject="Xin ý kiến", text="Xin ý kiến về dự thảo.",
                                 link=f"{PUBLIC_URL}/#/", key="opinion:1")
        error = await until(db, "SELECT last_error FROM notification_outbox"
                            " WHERE user_id = $1 AND attempts >= 2", uid)
        assert error == "Cổng tin nhắn trả lời HTTP 503"
    finally:
        gateway.status = 200
    await smtp.wait_for(lambda: len(gateway.to("0977000111")) == 1)
    assert gateway.to("0977000111")[0].json["text"] == "Xin ý kiến về dự thảo."
    await until(db, "SELECT sent_at IS NOT NULL FROM notification_outbox WHERE user_id = $1",
                uid)


async def test_queued_only_with_the_change_once_per_event_and_withdrawn_when_no_longer_due(
        server: Server, smtp: SmtpSink, db: asyncpg.Connection) -> None:
    from collab_server.notify import outbox

    world = await build_world(server.database_url, delegates=2)
    a, b = world.users["delegate01"], world.users["delegate02"]
    await db.executemany("INSERT INTO notification_settings (user_id, email) VALUES ($1, $2)",
                         [(a, address(world, "delegate01")), (b, address(world, "delegate02"))])

    class Undone(Exception):
        pass

    with pytest.raises(Undone):
        async with db.transaction():
            assert await outbox.enqueue(db, user_ids=[a, b], kind="task.deadline",
                                        subject="Hạn", text="Hạn nộp báo cáo.",
                                        key="task:7:deadline") == 2
            raise Undone  # the change did not commit: neither did its notification
    assert await db.fetchval("SELECT count(*) FROM notification_outbox WHERE user_id = $1",
                             a) == 0
    soon = datetime.now(UTC) + timedelta(hours=1)
    async with db.transaction():
        assert await outbox.enqueue(db, user_ids=[a, b], kind="opinion.reminder",
                                    subject="Nhắc", text="Sắp hết hạn góp ý.",
                                    key="opinion:9:reminder", not_before=soon) == 2
        assert await outbox.enqueue(db, user_ids=[a, b, a], kind="opinion.reminder",
                                    subject="Nhắc", text="Sắp hết hạn góp ý.",
                                    key="opinion:9:reminder", not_before=soon) == 0
        assert await outbox.cancel(db, "opinion:9:", [a]) == 1
        assert await outbox.cancel(db, "opinion:9") == 1
        assert await outbox.cancel(db, "opinion:9") == 0
    states = await db.fetch("SELECT cancelled_at IS NOT NULL AS cancelled, sent_at"
                            " FROM notification_outbox WHERE user_id = ANY($1::bigint[])",
                            [a, b])
    assert [(r["cancelled"], r["sent_at"]) for r in states] == [(True, None), (True, None)]


async def test_a_persons_channels_are_checked_and_a_display_has_none(
        server: Server, db: asyncpg.Connection) -> None:
    world = await build_world(server.database_url, delegates=1)
    async with client(server, world, "delegate01") as http:
        r = await http.get("/api/me/notifications")
        assert r.status_code == 200
        assert r.json()["settings"] == {"email": "", "phone": "", "by_email": True,
                                        "by_gateway": False}
        r = await http.put("/api/me/notifications", json={"email": "khong-phai-thu"})
        assert r.status_code == 400
        assert r.json()["error"]["message"] == "Địa chỉ thư điện tử không hợp lệ."
        r = await http.put("/api/me/notifications", json={"phone": "12ab"})
        assert r.status_code == 400 and "Số điện thoại không hợp lệ" in r.json()["error"][
            "message"]
        r = await http.put("/api/me/notifications", json={"by_gateway": True})
        assert r.status_code == 400
        assert r.json()["error"]["message"] == "Cần số điện thoại để nhận tin nhắn."
        r = await http.put("/api/me/notifications", json={"by_email": "yes"})
        assert r.status_code == 400
        r = await http.put("/api/me/notifications",
                           json={"email": " Nguyen.Van.A@QuangBinh.Gov.VN "})
        assert r.status_code == 200
        assert r.json()["settings"]["email"] == "Nguyen.Van.A@quangbinh.gov.vn"
    audit = await db.fetchrow("SELECT details FROM audit_log WHERE action = 'notification.settings'"
                              " AND actor_id = $1", world.users["delegate01"])
    assert json.loads(audit["details"])["email_changed"] is True
    assert "quangbinh" not in audit["details"].lower()
    room = await db.fetchval("INSERT INTO rooms (body_id, name) VALUES ($1, 'Phòng A')"
                             " RETURNING id", world.body_id)
    await db.execute("UPDATE users SET room_id = $2 WHERE id = $1", world.users["display"], room)
    async with client(server, world, "display") as http:
        assert (await http.get("/api/me/notifications")).status_code == 403
        assert (await http.put("/api/me/notifications", json={"by_email": False})
                ).status_code == 403


async def test_a_body_admin_sees_and_retries_only_their_own_bodys_notifications(
        server: Server, smtp: SmtpSink, db: asyncpg.Connection) -> None:
    world = await build_world(server.database_url, delegates=1, admin="outsider")
    other = await build_world(server.database_url, delegates=1, admin="outsider")
    uid = world.users["delegate01"]
    failed = await db.fetchval(
        "INSERT INTO notification_outbox (user_id, channel, kind, key, subject, body, attempts,"
        " last_error, failed_at) VALUES ($1, 'email', 'meeting.invitation', 'x:1',"
        " 'Giấy mời họp: Thử', 'Nội dung', 12, 'SMTP 550: hộp thư không tồn tại', now())"
        " RETURNING id", uid)
    sent = await db.fetchval(
        "INSERT INTO notification_outbox (user_id, channel, kind, key, subject, body, attempts,"
        " sent_at) VALUES ($1, 'email', 'meeting.invitation', 'x:2', 'Giấy mời họp: Đã gửi',"
        " 'Nội dung', 1, now()) RETURNING id", uid)
    async with client(server, world, "outsider") as http:
        r = await http.get("/api/notifications", params={"state": "failed"})
        assert r.status_code == 200
        body = r.json()
        assert [n["id"] for n in body["notifications"]] == [failed]
        assert body["counts"]["failed"] == 1 and body["counts"]["sent"] == 1
        assert body["notifications"][0]["last_error"] == "SMTP 550: hộp thư không tồn tại"
        assert "body" not in body["notifications"][0]
        assert (await http.get("/api/notifications", params={"state": "x"})).status_code == 400
        assert (await http.post(f"/api/notifications/{sent}/retry")).status_code == 409
    async with client(server, other, "outsider") as http:
        r = await http.get("/api/notifications")
        assert r.json()["notifications"] == []
        assert (await http.post(f"/api/notifications/{failed}/retry")).status_code == 404
    async with client(server, world, "delegate01") as http:
        assert (await http.get("/api/notifications")).status_code == 403
        assert (await http.post(f"/api/notifications/{failed}/retry")).status_code == 403
    # Retried: it has no address now, so the worker withdraws it and says why.
    async with client(server, world, "outsider") as http:
        r = await http.post(f"/api/notifications/{failed}/retry")
        assert r.status_code == 200, r.text
    error = await until(db, "SELECT last_error FROM notification_outbox"
                        " WHERE id = $1 AND cancelled_at IS NOT NULL", failed)
    assert error == "Người nhận đã tắt kênh này hoặc chưa có địa chỉ."
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'notification.retry'"
                             " AND target = $1", f"notification:{failed}") == 1


async def test_a_body_admin_sets_their_own_peoples_addresses_only(
        server: Server, db: asyncpg.Connection) -> None:
    world = await build_world(server.database_url, delegates=1, admin="outsider")
    other = await build_world(server.database_url, delegates=1, admin="outsider")
    person = world.users["delegate01"]
    async with client(server, world, "outsider") as http:
        r = await http.put(f"/api/users/{person}/notifications",
                           json={"email": "dai.bieu@quangbinh.gov.vn", "phone": "0912 000 111"})
        assert r.status_code == 200, r.text
        assert r.json()["settings"] == {"email": "dai.bieu@quangbinh.gov.vn",
                                        "phone": "0912000111", "by_email": True,
                                        "by_gateway": False}
        r = await http.get(f"/api/users/{person}/notifications")
        assert r.json()["settings"]["email"] == "dai.bieu@quangbinh.gov.vn"
        r = await http.put(f"/api/users/{person}/notifications", json={"email": "sai@"})
        assert r.status_code == 400
        for stranger in (other.users["delegate01"], 10**12):
            assert (await http.get(f"/api/users/{stranger}/notifications")).status_code == 404
    async with client(server, world, "delegate01") as http:
        r = await http.get("/api/me/notifications")
        assert r.json()["settings"]["phone"] == "0912000111"
    entry = await db.fetchrow("SELECT actor_id, details FROM audit_log WHERE target = $1"
                              " AND action = 'notification.settings'", f"user:{person}")
    assert entry["actor_id"] == world.users["outsider"]
    assert "dai.bieu" not in entry["details"] and "0912" not in entry["details"]


async def test_an_opinion_request_reaches_its_members_and_reminds_only_the_silent(
        server: Server, smtp: SmtpSink, db: asyncpg.Connection) -> None:
    world = await build_world(server.database_url, delegates=3)
    members = [world.users[f"delegate0{i}"] for i in (1, 2, 3)]
    for i, uid in enumerate(members, start=1):
        await db.execute("INSERT INTO notification_settings (user_id, email) VALUES ($1, $2)",
                         uid, address(world, f"delegate0{i}"))
    await db.execute("UPDATE users SET can_prepare = true WHERE id = $1",
                     world.users["secretary"])
    title = f"Dự thảo quy hoạch nội bộ {uuid.uuid4().hex[:6]}"
    async with client(server, world, "secretary") as http:
        r = await http.post("/api/opinions", json={
            "title": title, "questions": ["Thông qua dự thảo?"], "members": members,
            "chair_id": world.users["chair"]})
        assert r.status_code == 201, r.text
        opinion = r.json()["opinion"]
        r = await http.post(f"/api/opinions/{opinion['id']}/send", json={"working_days": 5})
        assert r.status_code == 200, r.text
    for i in (1, 2, 3):
        await smtp.wait_for(lambda i=i: len(smtp.to(address(world, f"delegate0{i}"))) == 1)
    mail = smtp.to(address(world, "delegate01"))[0]
    assert mail.subject == "Xin ý kiến bằng phiếu"
    assert "đề nghị Ông/Bà cho ý kiến bằng phiếu." in mail.text
    assert "Hạn trả lời: hết ngày" in mail.text
    assert f"{PUBLIC_URL}/#/opinions/{opinion['id']}" in mail.text
    assert title not in mail.message.as_string()  # an internal request is not named
    # Five working days out: a reminder the day before the deadline and on it, each held.
    reminders = await db.fetch(
        "SELECT user_id, not_before FROM notification_outbox WHERE kind = 'opinion.reminder'"
        " AND key LIKE $1 AND sent_at IS NULL AND cancelled_at IS NULL",
        f"opinion:{opinion['id']}:reminder:%")
    assert sorted(r["user_id"] for r in reminders) == sorted(members * 2)
    assert all(r["not_before"] > datetime.now(UTC) for r in reminders)

    async with client(server, world, "delegate01") as http:
        question = opinion["questions"][0]["id"]
        r = await http.put(f"/api/opinions/{opinion['id']}/answer", json={
            "answers": [{"question_id": question, "choice": "agree", "comment": ""}]})
        assert r.status_code == 200, r.text
    assert await db.fetchval(
        "SELECT count(*) FROM notification_outbox WHERE kind = 'opinion.reminder'"
        " AND user_id = $1 AND cancelled_at IS NOT NULL", members[0]) == 2
    # The first reminder's time comes: only the silent get it.
    await db.execute(
        "UPDATE notification_outbox SET not_before = now() WHERE kind = 'opinion.reminder'"
        " AND key = (SELECT min(key) FROM notification_outbox WHERE key LIKE $1)",
        f"opinion:{opinion['id']}:reminder:%")
    for i in (2, 3):
        await smtp.wait_for(lambda i=i: len(smtp.to(address(world, f"delegate0{i}"))) == 2)
    reminder = smtp.to(address(world, "delegate02"))[1]
    assert reminder.subject == "Nhắc: phiếu lấy ý kiến sắp hết hạn"
    assert "Ông/Bà chưa trả lời phiếu lấy ý kiến của" in reminder.text
    assert len(smtp.to(address(world, "delegate01"))) == 1


async def test_people_added_after_the_invitations_get_theirs_one_by_one_or_by_group(
        server: Server, smtp: SmtpSink, db: asyncpg.Connection) -> None:
    world = await draft(server, db, delegates=1)
    await invite(server, world)
    await smtp.wait_for(lambda: len(smtp.to(address(world, "delegate01"))) == 1)
    newcomers = []
    for name in ("moi1", "moi2"):
        uid = await db.fetchval(
            "INSERT INTO users (body_id, username, full_name, password_hash)"
            " VALUES ($1, $2, $3, '!') RETURNING id", world.body_id,
            f"{world.body_id}-{name}", f"Người {name}")
        await db.execute("INSERT INTO notification_settings (user_id, email) VALUES ($1, $2)",
                         uid, address(world, name))
        newcomers.append(uid)
    group = await db.fetchval("INSERT INTO attendee_groups (body_id, name) VALUES ($1, 'Nhóm')"
                              " RETURNING id", world.body_id)
    await db.execute("INSERT INTO attendee_group_members (group_id, user_id) VALUES ($1, $2)",
                     group, newcomers[1])
    async with client(server, world, "secretary") as http:
        r = await http.post(f"/api/meetings/{world.meeting_id}/participants",
                            json={"user_id": newcomers[0], "role": "delegate"})
        assert r.status_code == 201, r.text
        r = await http.post(f"/api/meetings/{world.meeting_id}/groups/{group}",
                            json={"role": "guest"})
        assert r.status_code == 201, r.text
    for name in ("moi1", "moi2"):
        await smtp.wait_for(lambda name=name: len(smtp.to(address(world, name))) == 1)
        mail = smtp.to(address(world, name))[0]
        assert mail.subject == "Giấy mời họp: Họp giao ban tuần"
        _, vevent = event(mail)
        assert str(vevent["UID"]) == f"meeting-{world.meeting_id}@ubnd.quangbinh.gov.vn"
    assert len(smtp.to(address(world, "delegate01"))) == 1
