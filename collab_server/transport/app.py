"""The application: every route in one list, resources opened in the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import asyncpg
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send

from collab_server import __version__, keys
from collab_server.config import Settings
from collab_server.documents.cache import PageCache
from collab_server.documents.pool import WorkerPool
from collab_server.documents.prepared import PreparedPages
from collab_server.domain import checkin
from collab_server.domain import pin as pins
from collab_server.errors import AppError
from collab_server.keys import ServerKeys, ensure_known
from collab_server.live.connection import Connection, ConnectionLimits
from collab_server.live.hub import Hub, LiveSettings
from collab_server.live.names import DocKind
from collab_server.live.people import PersonLimits
from collab_server.metrics import Metrics, PauseWatch
from collab_server.notify import meetings as told
from collab_server.notify.worker import Delivery, DeliveryConfig
from collab_server.reminders import ReminderSweep
from collab_server.storage import audit, audit_heads, db, migration_audit
from collab_server.storage.accounts import Accounts
from collab_server.storage.admin import PgAdmin
from collab_server.storage.agenda import PgAgenda
from collab_server.storage.directory import PgDirectory
from collab_server.storage.docs import PgDocStore, merge_parts
from collab_server.storage.documents import PgDocuments
from collab_server.storage.meetings import PgMeetings
from collab_server.storage.participants import PgParticipants
from collab_server.storage.pins import PgPins
from collab_server.storage.room_devices import PgRoomDevices
from collab_server.storage.search import PgSearch
from collab_server.storage.session import PgSession
from collab_server.storage.signed import PgSigned
from collab_server.storage.socket_sessions import PgSocketSessions
from collab_server.storage.tasks import PgTasks
from collab_server.storage.voting import PgVoting
from collab_server.transport import (
    account,
    admin,
    bodies,
    directory,
    display,
    documents,
    errors,
    frames,
    groups,
    invitations,
    meetings,
    minutes,
    notifications,
    oidc,
    opinions,
    pin_login,
    polls,
    room_devices,
    search,
    signing,
    task_files,
    task_report,
    tasks,
)
from collab_server.transport import annotations as annotated_copies
from collab_server.transport import checkin as checkin_codes
from collab_server.transport import replay as meeting_replay
from collab_server.transport.guard import Guard
from collab_server.transport.live_entry import LiveEntry
from collab_server.transport.responses import JSONResponse
from collab_server.transport.static import ClientFiles
from collab_server.transport.ws import live_socket

log = logging.getLogger(__name__)
# Python's default is (700, 10, 10).
GC_THRESHOLD = (20_000, 20, 20)


async def health(request: Request) -> Response:
    database = await db.health(request.app.state.pool)
    hub: Hub = request.app.state.hub
    broker = hub.broker
    redis = None if not broker.shared else ("ok" if broker.healthy else "down")
    status = "ok" if database["status"] == "ok" else "down"
    if status == "ok" and redis == "down":
        status = "degraded"  # serving this node's own sockets; relays wait for Redis
    body = {
        "status": status,
        "version": __version__,
        "process": os.getpid(),
        "database": database,
        "redis": redis,
        "live": {
            "documents": len(hub.docs),
            "connections": sum(len(d.connections) for d in hub.docs.values()),
            "loads": hub.loads,
            "intents": hub.intent_count,
            "dropped_clients": hub.dropped_clients,
            "lost_clients": hub.lost_clients,
        },
    }
    return JSONResponse(body, status_code=503 if status == "down" else 200)


async def metrics(request: Request) -> Response:
    hub: Hub = request.app.state.hub
    return Response(hub.metrics.render(), media_type="text/plain; version=0.0.4")


def _register_metrics(hub: Hub) -> None:
    m = hub.metrics
    m.counter("phonghop_frames_direct_total",
              "Frames framed once per room and written straight to the socket.",
              lambda: frames.written)

    def connections() -> list[Connection]:
        return [c for d in hub.docs.values() for c in d.connections]

    m.gauge("phonghop_connections", "Open websockets.", lambda: len(connections()))
    m.gauge("phonghop_documents_loaded", "Live documents in memory.", lambda: len(hub.docs))
    m.gauge("phonghop_meetings_loaded", "Meetings with a room in memory.",
            lambda: sum(1 for d in hub.docs.values() if d.key.kind is DocKind.ROOM))
    m.gauge("phonghop_send_queue_max", "Deepest send queue of one socket (frames).",
            lambda: max((c.queue_depth for c in connections()), default=0))
    m.gauge("phonghop_send_queue_total", "Frames queued on all sockets.",
            lambda: sum(c.queue_depth for c in connections()))
    m.gauge("phonghop_redis_up", "1 when the Redis relay works (or is not used).",
            lambda: 1 if hub.broker.healthy else 0)
    m.counter("phonghop_frames_in_total", "Frames received.", lambda: m.frames_in)
    m.counter("phonghop_bytes_in_total", "Bytes received.", lambda: m.bytes_in)
    m.counter("phonghop_frames_out_total", "Frames sent (sockets open now and closed).",
              lambda: hub.sent_frames + sum(c.sent_frames for c in connections()))
    m.counter("phonghop_bytes_out_total", "Bytes sent.",
              lambda: hub.sent_bytes + sum(c.sent_bytes for c in connections()))
    m.counter("phonghop_dropped_clients_total",
              "Slow clients closed (1013): queue full, or a frame not taken in time.",
              lambda: hub.dropped_clients)
    m.counter("phonghop_lost_clients_total",
              "Clients gone without a closing handshake (pings unanswered, network gone).",
              lambda: hub.lost_clients)
    m.counter("phonghop_intents_total", "Intents accepted.", lambda: hub.intent_count)
    m.counter("phonghop_db_errors_total", "Failed commits and stores.",
              lambda: m.db_errors + hub.persister.errors)
    m.counter("phonghop_redis_errors_total", "Redis failures.",
              lambda: float(getattr(hub.broker, "errors", 0)))


def _register_delivery(m: Metrics, delivery: Delivery) -> None:
    m.counter("phonghop_notifications_sent_total",
              "Notifications the SMTP server or the gateway accepted.", lambda: delivery.sent)
    m.counter("phonghop_notification_failures_total",
              "Notification attempts that failed (each is tried again later).",
              lambda: delivery.failures)


def _register_prepared(m: Metrics, prepared: PreparedPages) -> None:
    m.counter("phonghop_pages_prepared_total",
              "Watermarked pages made ahead of a page turn.", lambda: prepared.prepared)
    m.counter("phonghop_pages_served_prepared_total",
              "Watermarked pages served from a copy made ahead.", lambda: prepared.served)
    m.counter("phonghop_pages_prepared_dropped_total",
              "Copies made ahead and never served (memory bound, age, reader refused).",
              lambda: prepared.dropped)
    m.counter("phonghop_pages_prepared_failed_total",
              "Preparations that failed (the reader's own request makes the page).",
              lambda: prepared.failed)
    m.gauge("phonghop_pages_prepared_bytes", "Bytes held by copies made ahead.",
            lambda: prepared.held_bytes)
    m.gauge("phonghop_pages_preparing", "Copies waiting to be made.", lambda: prepared.waiting)
    m.counter("phonghop_pages_shared_errors_total",
              "Failures of Redis holding the copies made ahead (kept in memory meanwhile).",
              lambda: float(getattr(prepared.shared, "errors", 0)))


def routes(settings: Settings) -> list[BaseRoute]:
    clients = settings.clients_dir
    return [
        Route("/-/health", health),
        Route("/-/metrics", metrics),
        Route("/api/login", account.login, methods=["POST"]),
        Route("/api/logout", account.logout, methods=["POST"]),
        Route("/api/logout/everywhere", account.logout_everywhere, methods=["POST"]),
        Route("/api/me", account.me),
        Route("/api/me/password", account.change_password, methods=["POST"]),
        # Room laptops and PINs (transport/room_devices.py, transport/pin_login.py).
        Route("/api/login/pin", pin_login.pin_login, methods=["POST"]),
        Route("/api/me/pin", pin_login.pin_status),
        Route("/api/me/pin", pin_login.set_pin, methods=["PUT"]),
        Route("/api/me/pin", pin_login.remove_pin, methods=["DELETE"]),
        Route("/api/room-device", room_devices.status),
        Route("/api/rooms/{room_id}/devices", room_devices.list_devices),
        Route("/api/rooms/{room_id}/devices", room_devices.register, methods=["POST"]),
        Route("/api/rooms/{room_id}/devices/{device_id}", room_devices.revoke,
              methods=["DELETE"]),
        Route("/api/me/notifications", notifications.my_settings),
        Route("/api/me/notifications", notifications.save_my_settings, methods=["PUT"]),
        Route("/api/notifications", notifications.outbox),
        Route("/api/users/{user_id}/notifications", notifications.person_settings),
        Route("/api/users/{user_id}/notifications", notifications.save_person_settings,
              methods=["PUT"]),
        Route("/api/notifications/{notification_id}/retry", notifications.retry,
              methods=["POST"]),
        Route("/api/oidc", oidc.status),
        Route("/api/oidc/login", oidc.login),
        Route("/api/oidc/callback", oidc.callback),
        Route("/api/meetings", account.meetings),
        Route("/api/meetings", meetings.create_meeting, methods=["POST"]),
        Route("/api/meetings/{meeting_id}", meetings.get_meeting),
        Route("/api/meetings/{meeting_id}", meetings.update_meeting, methods=["PATCH"]),
        Route("/api/meetings/{meeting_id}/status", meetings.transition, methods=["POST"]),
        Route("/api/meetings/{meeting_id}/agenda", meetings.add_item, methods=["POST"]),
        Route("/api/meetings/{meeting_id}/agenda/order", meetings.reorder_items,
              methods=["PUT"]),
        Route("/api/meetings/{meeting_id}/agenda/{item_id}", meetings.update_item,
              methods=["PATCH"]),
        Route("/api/meetings/{meeting_id}/agenda/{item_id}", meetings.remove_item,
              methods=["DELETE"]),
        Route("/api/meetings/{meeting_id}/participants", meetings.participants),
        Route("/api/meetings/{meeting_id}/participants", meetings.add_participant,
              methods=["POST"]),
        Route("/api/meetings/{meeting_id}/participants/{user_id}", meetings.update_participant,
              methods=["PATCH"]),
        Route("/api/meetings/{meeting_id}/participants/{user_id}", meetings.remove_participant,
              methods=["DELETE"]),
        Route("/api/meetings/{meeting_id}/participants/{user_id}/deputy",
              meetings.decide_deputy, methods=["POST"]),
        Route("/api/meetings/{meeting_id}/response", meetings.respond, methods=["PUT"]),
        Route("/api/meetings/{meeting_id}/deputies", invitations.deputy_candidates),
        Route("/api/meetings/{meeting_id}/invitation.pdf", invitations.invitation_pdf),
        Route("/api/meetings/{meeting_id}/checkin-code", checkin_codes.checkin_code),
        Route("/api/meetings/{meeting_id}/documents", documents.list_documents),
        Route("/api/meetings/{meeting_id}/documents", documents.upload, methods=["POST"]),
        Route("/api/meetings/{meeting_id}/documents/attach", minutes.attach_document,
              methods=["POST"]),
        Route("/api/meetings/{meeting_id}/copy", minutes.copy_meeting, methods=["POST"]),
        Route("/api/meetings/{meeting_id}/minutes", minutes.list_minutes),
        Route("/api/meetings/{meeting_id}/minutes/draft", minutes.draft),
        Route("/api/meetings/{meeting_id}/minutes/approve", minutes.approve, methods=["POST"]),
        Route("/api/meetings/{meeting_id}/minutes/{version}.pdf", minutes.minutes_pdf),
        Route("/api/meetings/{meeting_id}/conclusion", minutes.conclusion),
        Route("/api/meetings/{meeting_id}/conclusion", minutes.issue_conclusion,
              methods=["POST"]),
        Route("/api/meetings/{meeting_id}/conclusion.pdf", minutes.conclusion_pdf),
        Route("/api/meetings/{meeting_id}/minutes/{version}/sign", signing.sign_minutes,
              methods=["POST"]),
        Route("/api/meetings/{meeting_id}/conclusion/{version}/sign", signing.sign_conclusion,
              methods=["POST"]),
        Route("/api/meetings/{meeting_id}/export.zip", minutes.export_zip),
        Route("/api/documents/{document_id}", documents.get_document),
        Route("/api/documents/{document_id}", documents.update_document, methods=["PATCH"]),
        Route("/api/documents/{document_id}", documents.remove_document, methods=["DELETE"]),
        Route("/api/documents/{document_id}/pages/{page_no}", documents.page_image),
        Route("/api/documents/{document_id}/pages/{page_no}/text", documents.page_text),
        Route("/api/documents/{document_id}/original", documents.original),
        Route("/api/documents/{document_id}/opens", documents.opens),
        Route("/api/documents/{document_id}/annotated", annotated_copies.annotated),
        Route("/api/meetings/{meeting_id}/polls", polls.meeting_polls),
        Route("/api/polls/{poll_id}", polls.get_poll),
        Route("/api/polls/{poll_id}/receipts", polls.receipts),
        Route("/api/polls/{poll_id}/result.pdf", minutes.poll_result_pdf),
        Route("/api/polls/{poll_id}/result.csv", minutes.poll_result_csv),
        Route("/api/search", search.search),
        Route("/api/users", directory.list_users),
        Route("/api/users", directory.create_user, methods=["POST"]),
        Route("/api/users/{user_id}", directory.update_user, methods=["PATCH"]),
        Route("/api/body", directory.get_body),
        Route("/api/body", directory.update_body, methods=["PATCH"]),
        Route("/api/bodies", bodies.list_bodies),
        Route("/api/bodies", bodies.create_body, methods=["POST"]),
        Route("/api/rooms", directory.list_rooms),
        Route("/api/rooms", directory.create_room, methods=["POST"]),
        Route("/api/display/now", display.now),
        Route("/api/holidays", directory.list_holidays),
        Route("/api/holidays", directory.add_holiday, methods=["POST"]),
        Route("/api/holidays/{day}", directory.remove_holiday, methods=["DELETE"]),
        # The admin screens (transport/admin.py, transport/groups.py).
        Route("/api/users/{user_id}/password", admin.make_user_password, methods=["POST"]),
        Route("/api/rooms/{room_id}", admin.update_room, methods=["PATCH"]),
        Route("/api/rooms/{room_id}/displays", admin.create_display, methods=["POST"]),
        Route("/api/units", admin.list_units),
        Route("/api/units", admin.add_unit, methods=["POST"]),
        Route("/api/units/{unit_id}", admin.rename_unit, methods=["PATCH"]),
        Route("/api/units/{unit_id}", admin.remove_unit, methods=["DELETE"]),
        Route("/api/retention", admin.retention),
        Route("/api/groups", groups.list_groups),
        Route("/api/groups", groups.create_group, methods=["POST"]),
        Route("/api/groups/{group_id}", groups.update_group, methods=["PATCH"]),
        Route("/api/groups/{group_id}", groups.remove_group, methods=["DELETE"]),
        Route("/api/meetings/{meeting_id}/groups", groups.meeting_groups),
        Route("/api/meetings/{meeting_id}/groups/{group_id}", groups.add_group,
              methods=["POST"]),
        # Written opinions between meetings (transport/opinions.py).
        *opinions.routes(),
        # Tasks from the conclusion notice (transport/tasks.py, task_files.py, task_report.py).
        Route("/api/meetings/{meeting_id}/tasks/proposed", tasks.proposed),
        Route("/api/meetings/{meeting_id}/tasks", tasks.create_from_notice, methods=["POST"]),
        Route("/api/tasks", tasks.board),
        Route("/api/tasks", tasks.create_task, methods=["POST"]),
        Route("/api/tasks/report.csv", task_report.report_csv),
        Route("/api/tasks/report.pdf", task_report.report_pdf),
        Route("/api/tasks/{task_id}", tasks.get_task),
        Route("/api/tasks/{task_id}/actions", tasks.take_step, methods=["POST"]),
        Route("/api/tasks/{task_id}/attachments", task_files.attach, methods=["POST"]),
        Route("/api/tasks/{task_id}/attachments/{attachment_id}", task_files.attachment),
        # Replay of ended meetings and their inspectors (transport/replay.py).
        *meeting_replay.routes(),
        WebSocketRoute("/ws/{path:path}", live_socket),
        # Without the slash, the page's relative assets would resolve to the web client's.
        Route("/display", lambda request: RedirectResponse("/display/", status_code=308)),
        Mount("/display", ClientFiles(clients / "display" / "dist")),
        Mount("/", ClientFiles(clients / "web" / "dist")),
    ]


# Scripts, styles and sockets from this server only; page images may be blobs.
CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def create_app(settings: Settings, database_url: str) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pool = await db.create_pool(database_url)
        async with pool.acquire() as conn:
            await db.migrate(conn)
        await migration_audit.write_pending(pool)  # what an upgrade changed, on the record
        app.state.settings = settings
        app.state.keys = ServerKeys(settings.keys_dir)
        audit_sealer = await _audit_sealer(pool, app.state.keys, settings)
        # Every server must seal secret ballots the others can open (schema/011).
        await keys.ensure_known(pool, "ballot", app.state.keys.get("ballot"))
        # And sign room check-in codes the others accept.
        await keys.ensure_known(pool, checkin.KEY_NAME, app.state.keys.get(checkin.KEY_NAME))
        # And check the PINs the others stored (domain/pin.py).
        await keys.ensure_known(pool, pins.KEY_NAME, app.state.keys.get(pins.KEY_NAME))
        app.state.oidc = oidc.make_client(settings)
        app.state.pool = pool
        app.state.accounts = Accounts(
            pool,
            session_ttl=timedelta(hours=settings.session_hours),
            idle_timeout=timedelta(minutes=settings.session_idle_minutes),
        )
        app.state.meetings = PgMeetings(pool)
        app.state.pins = PgPins(pool, app.state.keys.get(pins.KEY_NAME))
        app.state.room_devices = PgRoomDevices(pool)
        app.state.agenda = PgAgenda(pool)
        app.state.participants = PgParticipants(pool)
        app.state.directory = PgDirectory(pool)
        app.state.admin = PgAdmin(pool)
        app.state.documents = PgDocuments(pool)
        app.state.search = PgSearch(pool)
        app.state.workers = WorkerPool(settings.render_workers)
        app.state.trust_anchors = documents.trust_anchors(settings.trust_anchors_dir)
        app.state.signing_keys = signing.keys(settings.signing_config)
        app.state.signed = PgSigned(pool)
        app.state.pages = PageCache(settings.data_dir / "cache" / "pages",
                                    pool=app.state.workers)
        app.state.prepared = documents.prepared_pages(app.state)
        # Each LibreOffice run takes a few hundred MB: a couple at a time.
        app.state.conversions = asyncio.Semaphore(2)
        workers = app.state.workers
        broker = None
        if settings.redis_url:
            from collab_server.broker.redis import RedisBroker

            broker = RedisBroker(settings.redis_url)
        app.state.hub = Hub(
            PgDocStore(pool, merge=lambda parts: workers.run(merge_parts, parts, timeout=60)),
            app.state.meetings,
            PgSession(pool, app.state.keys),
            PgVoting(pool, app.state.keys),
            LiveSettings(
                flush_window=settings.flush_window_ms / 1000,
                max_frame=settings.max_frame_bytes,
                idle_unload=settings.idle_unload_s,
                compact_every=settings.compact_every,
                limits=ConnectionLimits(
                    max_queue_frames=settings.send_queue_frames,
                    max_queue_bytes=settings.send_queue_bytes,
                    send_stall_s=settings.send_stall_s,
                ),
                people=PersonLimits(
                    sockets=settings.person_sockets,
                    intents_per_second=settings.person_intents_per_s,
                    intent_burst=settings.person_intent_burst,
                    presence_bytes_per_second=settings.person_presence_bytes_per_s,
                    presence_burst=settings.person_presence_burst,
                    write_bytes_per_second=settings.person_write_bytes_per_s,
                    write_burst=settings.person_write_burst,
                    notes_bytes=settings.notes_max_bytes,
                ),
                session_check=settings.session_check_s,
            ),
            broker=broker,
            sessions=PgSocketSessions(
                pool, idle_timeout=timedelta(minutes=settings.session_idle_minutes)),
        )
        _register_metrics(app.state.hub)
        _register_prepared(app.state.hub.metrics, app.state.prepared)
        await app.state.hub.start()
        if settings.redis_url:
            log.info("relaying through redis")
        await app.state.workers.start()
        app.state.prepared.start()
        # Every process drains the outbox; claims keep each row in one hand.
        app.state.delivery = Delivery(pool, DeliveryConfig.from_settings(settings))
        app.state.delivery.start()
        _register_delivery(app.state.hub.metrics, app.state.delivery)
        # Tasks' reminders onto the outbox (reminders.py), in every process: keyed, so once.
        sender = app.state.delivery.config.smtp.sender if app.state.delivery.config.smtp \
            else settings.mail_from
        reminders = ReminderSweep(PgTasks(pool), app.state.directory.holiday_dates,
                                  told.Site(settings.public_url, sender))
        reminders.start()
        _settle_garbage_collector()
        pauses = PauseWatch(app.state.hub.metrics)
        pauses.start()
        sealer = asyncio.create_task(_seal_audit_log(pool, audit_sealer, app.state.hub.metrics),
                                     name="audit-sealer")
        log.info("ready", extra={"version": __version__})
        try:
            yield
        finally:
            await reminders.stop()
            await app.state.delivery.stop()
            sealer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sealer
            await pauses.stop()
            await app.state.hub.stop()
            await app.state.prepared.stop()
            with contextlib.suppress(asyncpg.PostgresError, OSError):
                await audit_sealer.seal(pool)  # what was written last gets sealed and exported
            await app.state.workers.close()
            await pool.close()

    return Starlette(
        routes=routes(settings),
        lifespan=lifespan,
        exception_handlers={
            AppError: errors.app_error,
            HTTPException: errors.http_error,
            **{outage: errors.storage_unavailable for outage in db.OUTAGE},
        },
        middleware=[
            # Sockets to /ws/ go from here to the live core (live_entry.py).
            Middleware(LiveEntry, public_url=settings.public_url),
            Middleware(Guard, csp=CSP, public_url=settings.public_url),
            # Holds only the single sign-on state, for ten minutes.
            Middleware(HttpSessions, secret_key=settings.secret_key or secrets.token_hex(32),
                       session_cookie="phonghop_sso", max_age=600, same_site="lax",
                       https_only=settings.secure_cookies),
        ],
    )


async def _audit_sealer(pool: asyncpg.Pool, keys: ServerKeys,
                        settings: Settings) -> audit.Sealer:
    """The audit key must be the one every other server seals with
    (keys.ensure_known refuses to start otherwise)."""
    await ensure_known(pool, audit.KEY_NAME, keys.get(audit.KEY_NAME))
    return audit.Sealer(keys.derive(audit.KEY_NAME, audit.CHAIN_PURPOSE),
                        audit_heads.path(settings.data_dir))


async def _seal_audit_log(pool: asyncpg.Pool, sealer: audit.Sealer, metrics: Metrics) -> None:
    """Chain new audit entries each second (see collab_server/storage/audit.py)."""
    while True:
        await asyncio.sleep(audit.SEAL_EVERY)
        try:
            await sealer.seal(pool)
        except (asyncpg.PostgresError, OSError):  # the database is away: next time
            metrics.db_errors += 1
            log.warning("sealing the audit log failed; trying again", exc_info=True)


def _settle_garbage_collector() -> None:
    """A full collection stops every socket of the process while it walks every
    object: measured 90 to 380 ms with 20 meetings of 91 laptops in memory,
    and each stalled the intents of all of them. What the server built at
    start (modules, routes, the app) lives as long as the process: frozen, a
    collection no longer walks it. Collections of the youngest objects run
    less often: nearly everything the live path makes dies young by
    reference counting, and each collection promotes what happens to be
    alive, which is what later fills the full ones."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)


class HttpSessions(SessionMiddleware):
    """Sessions (the single sign-on state) on HTTP only: a socket never uses
    them, and every frame it sends would pass through their send wrapper."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def client_dist_exists(clients: Path) -> bool:
    return (clients / "web" / "dist" / "index.html").exists()


WORKER_SETTINGS = "PHONGHOP_WORKER_SETTINGS"


def app_from_env() -> Starlette:
    """The factory each worker process of `phonghop serve --workers N` calls."""
    from collab_server import logs

    settings = Settings.from_json(os.environ[WORKER_SETTINGS])
    logs.setup(settings.log_level, settings.log_format)
    assert settings.database_url is not None
    return create_app(settings, settings.database_url)
