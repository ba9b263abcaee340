"""The built browser clients, or a clear answer while they are not built.

A server started before `make clients` (or with PHONGHOP_CLIENTS_DIR pointing
nowhere) used to answer 500 with a traceback in the log for every page;
the API and the websockets work without the clients, and the page now says
what is missing and how to build it. Built later, the files are served
without a restart."""

from __future__ import annotations

from pathlib import Path

from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from collab_server.transport.responses import JSONResponse


class ClientFiles(StaticFiles):
    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory, html=True, check_dir=False)
        self.folder = directory

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.folder.is_dir():
            await JSONResponse({
                "code": "clients_missing",
                "message": "Giao diện web chưa được dựng. Chạy `make clients` (hoặc `make run`)"
                           " rồi tải lại trang.",
                "message_en": "The browser clients are not built. Run `make clients` (or"
                              " `make run`), then reload.",
            }, status_code=503)(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
