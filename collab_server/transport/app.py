"""The application: every route in one list, resources opened in the lifespan."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from collab_server import __version__
from collab_server.config import Settings
from collab_server.errors import AppError
from collab_server.live.connection import ConnectionLimits
from collab_server.live.hub import Hub, LiveSettings
from collab_server.storage import db
from collab_server.storage.accounts import Accounts
from collab_server.storage.docs import PgDocStore
from collab_server.storage.meetings import PgMeetings
from collab_server.transport import api, errors
from collab_server.transport.responses import JSONResponse
from collab_server.transport.ws import live_socket

log = logging.getLogger(__name__)


async def health(request: Request) -> Response:
    database = await db.health(request.app.state.pool)
    hub: Hub = request.app.state.hub
    body = {
        "status": "ok" if database["status"] == "ok" else "degraded",
        "version": __version__,
        "database": database,
        "live": {
            "documents": len(hub.docs),
            "connections": sum(len(d.connections) for d in hub.docs.values()),
            "loads": hub.loads,
            "intents": hub.intent_count,
            "dropped_clients": hub.dropped_clients,
        },
    }
    return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)


def routes(settings: Settings) -> list[BaseRoute]:
    clients = settings.clients_dir
    return [
        Route("/-/health", health),
        Route("/api/login", api.login, methods=["POST"]),
        Route("/api/logout", api.logout, methods=["POST"]),
        Route("/api/me", api.me),
        Route("/api/meetings", api.meetings),
        Route("/api/meetings/{meeting_id}", api.meeting),
        WebSocketRoute("/ws/{path:path}", live_socket),
        # Without the slash, the page's relative assets would resolve to the web client's.
        Route("/display", lambda request: RedirectResponse("/display/", status_code=308)),
        Mount("/display", StaticFiles(directory=clients / "display" / "dist", html=True,
                                      check_dir=False)),
        Mount("/", StaticFiles(directory=clients / "web" / "dist", html=True, check_dir=False)),
    ]


def create_app(settings: Settings, database_url: str) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pool = await db.create_pool(database_url)
        async with pool.acquire() as conn:
            await db.migrate(conn)
        app.state.settings = settings
        app.state.pool = pool
        app.state.accounts = Accounts(pool, session_ttl=timedelta(hours=settings.session_hours))
        app.state.meetings = PgMeetings(pool)
        app.state.hub = Hub(
            PgDocStore(pool),
            app.state.meetings,
            LiveSettings(
                flush_window=settings.flush_window_ms / 1000,
                max_frame=settings.max_frame_bytes,
                idle_unload=settings.idle_unload_s,
                compact_every=settings.compact_every,
                limits=ConnectionLimits(
                    max_queue_frames=settings.send_queue_frames,
                    max_queue_bytes=settings.send_queue_bytes,
                ),
            ),
        )
        await app.state.hub.start()
        log.info("ready", extra={"version": __version__})
        try:
            yield
        finally:
            await app.state.hub.stop()
            await pool.close()

    return Starlette(
        routes=routes(settings),
        lifespan=lifespan,
        exception_handlers={AppError: errors.app_error, HTTPException: errors.http_error},
    )


def client_dist_exists(clients: Path) -> bool:
    return (clients / "web" / "dist" / "index.html").exists()
