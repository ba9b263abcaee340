"""Secrets the server keeps outside the database.

Some promises must hold against someone who can read and write the whole
database (an operator, a stolen backup): a secret ballot that cannot be
opened from its stored rows, an audit chain that cannot be recomputed. They
rest on keys the database never holds: random files in the keys folder
(`PHONGHOP_KEYS_DIR`, by default `<data folder>/keys`), created on first use,
readable by the server's system account only. Every server of a deployment
needs the same files (docs/operations.md): the database records each key's
fingerprint, so a server started with a different key refuses to run rather
than seal what the others cannot open.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import asyncpg

KEY_BYTES = 32
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz-")


class KeyMismatch(RuntimeError):
    """The keys folder holds a different key than the one the database knows."""


def _path(keys_dir: Path, name: str) -> Path:
    if not name or not set(name) <= NAME_CHARS:
        raise ValueError(f"bad key name {name!r}")
    return keys_dir / f"{name}.key"


def load(keys_dir: Path, name: str) -> bytes:
    """The key `name`, created (random, mode 600) if this folder has none yet.
    Two processes starting together agree: the file is created exclusively."""
    path = _path(keys_dir, name)
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(KEY_BYTES) + "\n")
            out.flush()
            os.fsync(out.fileno())
    text = path.read_text().strip()
    key = bytes.fromhex(text) if text else b""
    if len(key) != KEY_BYTES:
        raise KeyMismatch(f"{path} does not hold a {KEY_BYTES}-byte key in hex")
    return key


def fingerprint(key: bytes) -> str:
    """Names a key without revealing it."""
    return hmac.new(key, b"phonghop key fingerprint", hashlib.sha256).hexdigest()[:32]


async def ensure_known(conn: asyncpg.Connection | asyncpg.Pool, name: str,
                       key: bytes) -> None:
    """The first server records the key's fingerprint; every later one must
    hold the same key (schema/010_server_keys.sql)."""
    print_ = fingerprint(key)
    known = await conn.fetchval(
        "INSERT INTO server_keys (name, fingerprint) VALUES ($1, $2)"
        " ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING fingerprint",
        name, print_)
    if known != print_:
        raise KeyMismatch(
            f"Khóa '{name}' trong thư mục khóa khác với khóa các máy chủ khác đang dùng "
            f"(dấu {known}); chép tệp {name}.key từ máy chủ đầu tiên. / The key '{name}' "
            "differs from the one the other servers use; copy it from the first server.")


class ServerKeys:
    """The keys of one process, loaded once."""

    def __init__(self, keys_dir: Path) -> None:
        self.keys_dir = keys_dir
        self._loaded: dict[str, bytes] = {}

    def get(self, name: str) -> bytes:
        key = self._loaded.get(name)
        if key is None:
            key = self._loaded[name] = load(self.keys_dir, name)
        return key

    def derive(self, name: str, purpose: bytes) -> bytes:
        """A key of its own for each purpose (a poll, a chain), from one file."""
        return hmac.new(self.get(name), purpose, hashlib.sha256).digest()
