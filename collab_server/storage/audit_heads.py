"""The audit chain's heads, exported where the database cannot write.

After each seal the server appends the chain's new head (sequence number and
hash) to `<data folder>/audit/heads`, one JSON line, fsynced, and logs it.
Someone who can write the database but not this file (an operator, the
database's owner, a stolen backup put back) cannot delete the last entries or
rewrite the chain, even holding the audit key, without `audit verify` finding
a head the database no longer has. Copies of the file (the other server's,
syslog's) can be checked too (`audit verify --heads FILE`).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson

log = logging.getLogger("phonghop.audit")


@dataclass(frozen=True, slots=True)
class Head:
    seq: int
    hash: bytes
    at: str
    # Where the unkeyed chain (before schema/012) ends: see audit.keyed_after.
    keyed_after: int


def path(data_dir: Path) -> Path:
    return data_dir / "audit" / "heads"


def append(file: Path, head: Head) -> None:
    """One line, written in one call on a file opened for appending (so two
    processes sharing a data folder never interleave), and on disk before
    returning."""
    file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    line = orjson.dumps({"seq": head.seq, "hash": head.hash.hex(), "at": head.at,
                         "keyed_after": head.keyed_after}) + b"\n"
    fd = os.open(file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    log.info("audit chain head", extra={"audit_seq": head.seq, "audit_hash": head.hash.hex(),
                                        "audit_keyed_after": head.keyed_after})


def read(file: Path) -> list[Head] | None:
    """The heads in a file, None when there is no such file. A line cut short
    by a crash while writing is skipped: the heads before it still count."""
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        return None
    heads = []
    for line in raw.splitlines():
        try:
            entry = orjson.loads(line)
            heads.append(Head(int(entry["seq"]), bytes.fromhex(entry["hash"]), str(entry["at"]),
                              int(entry["keyed_after"])))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            continue
    return heads


def stamp(at: datetime) -> str:
    return at.isoformat(timespec="seconds")
