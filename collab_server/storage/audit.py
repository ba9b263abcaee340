"""Sealing and checking the audit log's chain (schema/007, 009 and 012).

Writers add entries without waiting for each other; a `Sealer` in each
server process gives the committed entries their place in the chain about a
second later, in one transaction and one UPDATE for all of them, off the path
of any request. Each entry's hash is an HMAC-SHA256 under the audit key of
the keys folder (collab_server/keys.py), which the database never holds: with
the whole database in hand one can still not recompute the chain. Each seal
exports the new head to a file the database cannot write (audit_heads.py),
so removing the last entries, or rewriting with the key, is found up to the
last exported head.

Entries sealed before schema/012 keep their SHA-256 chain and are checked as
before, up to `audit_chain_start.keyed_after`; the first keyed entry covers
the hash of the last unkeyed one, so the old part cannot be rewritten either
once a keyed entry follows it.

`verify` recomputes everything here, in Python, and also checks every
approved minutes version and issued notice against the hash its approval
entry carries in the chain.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import orjson

from collab_server.storage import audit_heads
from collab_server.storage.audit_heads import Head
from collab_server.storage.minutes import frozen_digests

KEY_NAME = "audit"
CHAIN_PURPOSE = b"audit chain v2"
SEAL_EVERY = 1.0
SEAL_LOCK = 7_340_002
SEAL_BATCH = 5_000
# An entry is sealed within seconds of its commit; one sealed much later than
# its date was inserted later than it claims. Generous enough for a long
# transaction, a sealer that was briefly away and the clocks of two machines.
SEAL_LAG_LIMIT = timedelta(minutes=5)
# Audit actions that freeze a record, and the table each one's hash must match.
APPROVALS = {"minutes.approve": "minutes", "conclusion.issue": "notice"}


@dataclass(frozen=True, slots=True)
class Problem:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def _entry(entry_id: int) -> str:
    return f"mục {entry_id}"


def _utc(at: datetime) -> str:
    # "%Y-%m-%dT%H:%M:%S.%f", as the SQL chain wrote it; isoformat is faster.
    return at.astimezone(UTC).isoformat(timespec="microseconds")[:26]


def entry_hash(seq: int, entry_id: int, at_utc: str, actor: int | None, action: str,
               target: str, ip: str, details: str, prev_hash: bytes | None) -> bytes:
    """The unkeyed SHA-256 of entries sealed before schema/012."""
    text = "|".join((str(seq), str(entry_id), at_utc, "" if actor is None else str(actor), action,
                     target, ip, details, (prev_hash or b"").hex()))
    return hashlib.sha256(text.encode()).digest()


def canonical(seq: int, entry_id: int, at: datetime, actor: int | None, action: str,
              target: str, ip: str, details: str, prev_hash: bytes | None,
              sealed_at: datetime | None) -> bytes:
    """What the keyed hash covers: every column of the entry, its place, the
    hash before it and when it was sealed."""
    return _canonical(seq, entry_id, at, actor, action, target, ip, details, prev_hash,
                      "" if sealed_at is None else _utc(sealed_at))


def _canonical(seq: int, entry_id: int, at: datetime, actor: int | None, action: str,
               target: str, ip: str, details: str, prev_hash: bytes | None,
               sealed: str) -> bytes:
    # A JSON array, not text joined by a separator: no field's content can
    # pass for a neighbour's ("chutoa|10.9.9.9" as a name, or as an address).
    return orjson.dumps(["v3", seq, entry_id, _utc(at), actor, action, target, ip, details,
                         (prev_hash or b"").hex(), sealed])


def keyed_hash(key: bytes, row: asyncpg.Record, seq: int, prev: bytes | None,
               sealed: str) -> bytes:
    """`sealed`: the seal time as `canonical` writes it, "" for none."""
    text = _canonical(seq, row["id"], row["at"], row["actor_id"], row["action"], row["target"],
                      row["ip"], row["details"], prev, sealed)
    return hmac.new(key, text, hashlib.sha256).digest()


def _bytes(value: object) -> bytes | None:
    return bytes(value) if isinstance(value, (bytes, bytearray, memoryview)) else None


_UNSEALED = ("SELECT id, at, actor_id, action, target, ip, details::text AS details"
             " FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT $1")
_SEAL = ("UPDATE audit_log a SET seq = u.seq, prev_hash = u.prev, hash = u.hash, sealed_at = $5"
         " FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[]) AS u(id, seq, prev,"
         " hash) WHERE a.id = u.id")


class Sealer:
    """Seals with one key and exports each new head to one file."""

    def __init__(self, key: bytes, heads_file: Path) -> None:
        self.key = key
        self.heads_file = heads_file
        self._keyed_after: int | None = None

    async def seal(self, db: asyncpg.Connection | asyncpg.Pool) -> int:
        """Chain every committed, unsealed entry; 0 if another process is sealing."""
        sealed = 0
        while True:
            if isinstance(db, asyncpg.Pool):
                async with db.acquire() as conn:
                    n, head = await self._batch(conn)
            else:
                n, head = await self._batch(db)
            if head is not None:
                # After the commit: a head never names what the database lacks.
                await asyncio.to_thread(audit_heads.append, self.heads_file, head)
            sealed += n
            if n < SEAL_BATCH:
                return sealed

    async def _batch(self, conn: asyncpg.Connection) -> tuple[int, Head | None]:
        async with conn.transaction():
            if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", SEAL_LOCK):
                return 0, None
            rows = await conn.fetch(_UNSEALED, SEAL_BATCH)
            if not rows:
                return 0, None
            if self._keyed_after is None:
                self._keyed_after = int(await conn.fetchval(
                    "SELECT keyed_after FROM audit_chain_start"))
            last = await conn.fetchrow("SELECT seq, hash FROM audit_log WHERE seq IS NOT NULL"
                                       " ORDER BY seq DESC LIMIT 1")
            seq = int(last["seq"]) if last is not None else 0
            prev = _bytes(last["hash"]) if last is not None else None
            sealed_at = datetime.now(UTC)
            sealed = _utc(sealed_at)
            ids, seqs, prevs, hashes = [], [], [], []
            for row in rows:
                seq += 1
                digest = keyed_hash(self.key, row, seq, prev, sealed)
                ids.append(row["id"])
                seqs.append(seq)
                prevs.append(prev)
                hashes.append(digest)
                prev = digest
            await conn.execute(_SEAL, ids, seqs, prevs, hashes, sealed_at)
        assert prev is not None
        return len(rows), Head(seq, prev, audit_heads.stamp(sealed_at), self._keyed_after)


async def verify(conn: asyncpg.Connection, sealer: Sealer,
                 head_files: Iterable[Path]) -> tuple[int, list[Problem]]:
    """Every entry's hash and link in the chain's order, the exported heads,
    and every approved record against its approval entry."""
    exported = [(file, audit_heads.read(file)) for file in head_files]
    sealed_before = await conn.fetchval("SELECT max(seq) FROM audit_log")
    await sealer.seal(conn)
    problems: list[Problem] = []
    async with conn.transaction(isolation="repeatable_read"):
        keyed_after = int(await conn.fetchval("SELECT keyed_after FROM audit_chain_start"))
        expected: dict[int, Head] = {}
        for _, heads in exported:
            for h in heads or ():
                if h.seq in expected and expected[h.seq].hash != h.hash:
                    # A server sealed this place twice: someone unsealed what it
                    # had sealed, to have it sealed again with other content.
                    problems.append(Problem(f"seq {h.seq}", (
                        "exported twice with different hashes: the entries up to it were "
                        "unsealed and sealed again after the first export (rewritten)")))
                expected.setdefault(h.seq, h)
        walk = _Walk(sealer.key, keyed_after, expected)
        async for row in conn.cursor(
            "SELECT seq, id, at, actor_id, action, target, ip, details::text AS details,"
            " prev_hash, hash, sealed_at FROM audit_log WHERE seq IS NOT NULL ORDER BY seq"
        ):
            walk.step(row)
        problems += walk.problems
        problems += await _records(conn, walk.approvals)
    problems += _heads(exported, walk, keyed_after, int(sealed_before or 0))
    return walk.count, problems


class _Walk:
    """The chain read once, in order."""

    def __init__(self, key: bytes, keyed_after: int, expected: dict[int, Head]) -> None:
        self.key = key
        self.keyed_after = keyed_after
        self.expected = expected
        self.problems: list[Problem] = []
        self.previous: bytes | None = None
        self.count = 0
        self.last_seq = 0
        self.rewritten: list[Head] = []
        # (kind, meeting, version) -> (entry id, text SHA-256, record SHA-256
        # or None for approvals written before the record was hashed)
        self.approvals: dict[tuple[str, int, int], tuple[int, str, str | None]] = {}

    def step(self, row: asyncpg.Record) -> None:
        self.count += 1
        seq = int(row["seq"])
        self.last_seq = seq
        prev = _bytes(row["prev_hash"])
        if prev != self.previous:
            self.problems.append(Problem(_entry(row["id"]),
                                         "an entry before it was deleted or moved"))
        if seq <= self.keyed_after:
            computed = entry_hash(seq, row["id"], _utc(row["at"]), row["actor_id"],
                                  row["action"], row["target"], row["ip"], row["details"], prev)
        else:
            sealed_at = row["sealed_at"]
            computed = keyed_hash(self.key, row, seq, prev,
                                  "" if sealed_at is None else _utc(sealed_at))
        stored = _bytes(row["hash"])
        if stored is None or not hmac.compare_digest(stored, computed):
            self.problems.append(Problem(_entry(row["id"]), "the entry was edited"))
        elif seq > self.keyed_after:
            self._dated(row)
        head = self.expected.get(seq)
        if head is not None and head.hash != stored:
            self.rewritten.append(head)
        self.previous = stored
        kind = APPROVALS.get(row["action"])
        if kind is not None:
            self._approval(kind, row)

    def _dated(self, row: asyncpg.Record) -> None:
        if row["sealed_at"] is None:  # the sealer always sets it
            self.problems.append(Problem(_entry(row["id"]), "sealed without a seal time"))
            return
        lag = row["sealed_at"] - row["at"]
        if abs(lag) > SEAL_LAG_LIMIT:
            self.problems.append(Problem(_entry(row["id"]), (
                f"dated {_utc(row['at'])} but sealed {_utc(row['sealed_at'])} UTC: written at "
                "another time than its date says (backdated), unless every server was stopped "
                "right after it was written")))

    def _approval(self, kind: str, row: asyncpg.Record) -> None:
        try:
            details = orjson.loads(row["details"])
            meeting = int(row["target"].removeprefix("meeting:"))
            record = details.get("record")
            self.approvals[(kind, meeting, int(details["version"]))] = (
                row["id"], str(details["sha256"]), None if record is None else str(record))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            self.problems.append(Problem(_entry(row["id"]),
                                         "an approval entry without meeting, version or hash"))


_NAMES = {"minutes": "minutes version", "notice": "conclusion notice version"}


async def _records(conn: asyncpg.Connection,
                   approvals: dict[tuple[str, int, int], tuple[int, str, str | None]]
                   ) -> list[Problem]:
    problems = []
    unsealed = {(r["action"], r["target"]) for r in await conn.fetch(
        "SELECT action, target FROM audit_log WHERE seq IS NULL AND action = ANY($1)",
        list(APPROVALS))}
    seen = set()
    async for kind, meeting, version, stored, computed, record in frozen_digests(conn):
        where = f"meeting {meeting} {_NAMES[kind]} {version}"
        seen.add((kind, meeting, version))
        if stored != computed:
            problems.append(Problem(where, "its text does not match its SHA-256"))
        approval = approvals.get((kind, meeting, version))
        if approval is None:
            action = next(a for a, k in APPROVALS.items() if k == kind)
            if (action, f"meeting:{meeting}") not in unsealed:
                problems.append(Problem(where, (
                    "no approval entry in the audit chain records it: the record was added "
                    "or its approval entry removed outside the server")))
        elif approval[1] != computed.hex():
            problems.append(Problem(where, (
                f"its text is not the one approved (the approval, {_entry(approval[0])}, "
                f"records SHA-256 {approval[1][:16]}…): the approved text was changed")))
        elif approval[2] is not None and approval[2] != record.hex():
            problems.append(Problem(where, (
                "its number, header, place and date, signers, recipients or approval time "
                f"are not those approved ({_entry(approval[0])}): changed after approval")))
    for (kind, meeting, version), (entry_id, _, _) in approvals.items():
        if (kind, meeting, version) not in seen:
            problems.append(Problem(f"meeting {meeting} {_NAMES[kind]} {version}", (
                f"approved ({_entry(entry_id)}) but missing from the database")))
    return problems


def _heads(exported: list[tuple[Path, list[Head] | None]], walk: _Walk, keyed_after: int,
           sealed_before: int) -> list[Problem]:
    problems = []
    for file, heads in exported:
        if heads is None or not heads:
            if sealed_before > keyed_after:
                problems.append(Problem(str(file), (
                    "no exported head in this file: the chain's last entries cannot be checked "
                    "(give the server's data folder, or --heads)")))
            continue
        last = max(heads, key=lambda h: h.seq)
        if last.seq > walk.last_seq:
            problems.append(Problem("chain", (
                f"entries after seq {walk.last_seq} are missing: the head exported at "
                f"{last.at} ({file}) was seq {last.seq}")))
        moved = {h.keyed_after for h in heads} - {keyed_after}
        if moved:
            problems.append(Problem("chain", (
                f"the keyed chain starts after seq {keyed_after} in the database but after seq "
                f"{min(moved)} in {file}: its start was moved")))
    if walk.rewritten:
        first = min(walk.rewritten, key=lambda h: h.seq)
        problems.append(Problem(f"seq {first.seq}", (
            f"differs from the exported head of {first.at} ({len(walk.rewritten)} exported "
            "head(s) differ): the chain was rewritten up to here")))
    return problems
