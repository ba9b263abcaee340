"""A rehearsal before a big session: load-testing the real servers, not a laptop.

`phonghop rehearsal create --meeting N` makes, on a running deployment, a
throwaway body marked as a rehearsal (schema/023), its test accounts (a
chair, a secretary, the projector and delegates, each with its own random
password), and a copy of meeting N's agenda and documents (the same stored
files, new rows) as a meeting starting now, with everyone invited. It writes
the accounts file that load/locustfile.py reads (`--prefix` names the
accounts) and returns the rehearsal's code.

`phonghop rehearsal remove CODE` removes what the rehearsal made: its
meetings with everything recorded in them (votes, messages, live documents)
and its sessions, and then its accounts. An account the append-only audit
log names stays as a closed row with no name, no login and no password
(the log must keep pointing somewhere); no account of it can sign in again.
Both steps are on the audit record. Nothing of a body that is not marked as
a rehearsal can be removed this way.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from collab_server.documents.text import fold
from collab_server.storage.accounts import hash_password_async

# Each account gets its own password: a leaked accounts file opens only a
# rehearsal, and the removal closes it.
PASSWORD_BYTES = 12


class RehearsalError(Exception):
    """Said to the operator as it is (Vietnamese / English)."""


@dataclass(frozen=True)
class Rehearsal:
    code: str
    body_id: int
    meeting_id: int
    accounts: dict[str, tuple[str, str]]  # username -> (role, password)

    @property
    def prefix(self) -> str:
        return f"{self.code}-"


def _roles(people: int) -> list[tuple[str, str, str]]:
    """(suffix, role, name) for a room of `people` members and its projector."""
    delegates = max(1, people - 1)
    room = [("chutoa", "chair", "Chủ tọa diễn tập"), ("thuky", "secretary", "Thư ký diễn tập"),
            ("manhinh", "display", "Màn hình diễn tập")]
    return room + [(f"delegate{i:02d}", "delegate", f"Đại biểu diễn tập {i:02d}")
                   for i in range(1, delegates + 1)]


async def create(pool: asyncpg.Pool, meeting_id: int, *, people: int = 91) -> Rehearsal:
    if not 2 <= people <= 1000:
        raise RehearsalError("Số người diễn tập từ 2 đến 1000. / People: 2 to 1000.")
    code = f"dt{secrets.token_hex(3)}"
    roles = _roles(people)
    passwords = {suffix: secrets.token_urlsafe(PASSWORD_BYTES) for suffix, _, _ in roles}
    # Argon2 off the event loop, two at a time (storage/accounts.py).
    hashes = dict(zip(passwords, await asyncio.gather(
        *(hash_password_async(p) for p in passwords.values())), strict=True))
    async with pool.acquire() as conn, conn.transaction():
        source = await conn.fetchrow("SELECT id, title, kind, confidentiality FROM meetings"
                                     " WHERE id = $1", meeting_id)
        if source is None:
            raise RehearsalError(f"Không có cuộc họp #{meeting_id}. / No meeting {meeting_id}.")
        body = await conn.fetchval(
            "INSERT INTO bodies (code, name, rehearsal) VALUES ($1, $2, true) RETURNING id",
            code, f"Diễn tập {datetime.now(UTC):%d/%m/%Y %H:%M} ({code})")
        room = await conn.fetchval(
            "INSERT INTO rooms (body_id, name, seats) VALUES ($1, $2, $3) RETURNING id",
            body, f"Phòng diễn tập {code}", people)
        meeting = await conn.fetchval(
            "INSERT INTO meetings (body_id, room_id, title, title_folded, kind, confidentiality,"
            " starts_at, status) VALUES ($1, $2, $3, $4, $5, $6, now(), 'invited') RETURNING id",
            body, room, f"[Diễn tập] {source['title']}", fold(f"[Diễn tập] {source['title']}"),
            source["kind"], source["confidentiality"])
        users: dict[str, int] = {}
        for suffix, role, name in roles:
            users[suffix] = await conn.fetchval(
                "INSERT INTO users (body_id, username, full_name, password_hash, can_prepare,"
                " room_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                body, f"{code}-{suffix}", name, hashes[suffix], role == "secretary",
                room if role == "display" else None)
            await conn.execute(
                "INSERT INTO meeting_participants (meeting_id, user_id, role, invited_at,"
                " response) VALUES ($1, $2, $3, now(), 'attend')", meeting, users[suffix], role)
        items = await conn.fetch(
            "SELECT id, position, title, presenter, duration_min, speech_limit_s"
            " FROM agenda_items WHERE meeting_id = $1 ORDER BY position", meeting_id)
        copied: dict[int, int] = {}
        for item in items:
            copied[item["id"]] = await conn.fetchval(
                "INSERT INTO agenda_items (meeting_id, position, title, title_folded, presenter,"
                " duration_min, speech_limit_s) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                " RETURNING id", meeting, item["position"], item["title"], fold(item["title"]),
                item["presenter"], item["duration_min"], item["speech_limit_s"])
        documents = await conn.fetch(
            "SELECT id, title, page_count, pdf_sha256, original_sha256, original_name,"
            " original_type, confidentiality, secrecy, allow_download, agenda_item_id"
            " FROM documents WHERE meeting_id = $1 AND secrecy = 'none' ORDER BY id", meeting_id)
        for d in documents:
            # The same stored files: a rehearsal adds rows, not copies of files.
            copy = await conn.fetchval(
                "INSERT INTO documents (meeting_id, title, title_folded, page_count, pdf_sha256,"
                " original_sha256, original_name, original_type, confidentiality, secrecy,"
                " allow_download, agenda_item_id, uploaded_by)"
                " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) RETURNING id",
                meeting, d["title"], fold(d["title"]), d["page_count"], d["pdf_sha256"],
                d["original_sha256"], d["original_name"], d["original_type"],
                d["confidentiality"], d["secrecy"], d["allow_download"],
                copied.get(d["agenda_item_id"]), users["thuky"])
            await conn.execute(
                "INSERT INTO document_pages (document_id, page_no, width_pt, height_pt, text,"
                " text_folded) SELECT $1, page_no, width_pt, height_pt, text, text_folded"
                " FROM document_pages WHERE document_id = $2", copy, d["id"])
        await conn.execute(
            "INSERT INTO audit_log (action, target, details) VALUES ('rehearsal.create', $1, $2)",
            f"body:{body}", {"code": code, "from_meeting": meeting_id, "meeting": meeting,
                              "accounts": len(roles), "documents": len(documents)})
    return Rehearsal(code, body, meeting, {f"{code}-{suffix}": (role, passwords[suffix])
                                           for suffix, role, _ in roles})


def accounts_file(rehearsal: Rehearsal) -> str:
    """One account a line, `role  username / password` (load/bench_live.py's
    parse_accounts reads it)."""
    lines = [f"Tài khoản diễn tập {rehearsal.code} (gỡ bằng: phonghop rehearsal remove "
             f"{rehearsal.code}); cuộc họp #{rehearsal.meeting_id}"]
    lines += [f"  {role:<10} {username} / {password}"
              for username, (role, password) in rehearsal.accounts.items()]
    return "\n".join(lines) + "\n"


def save(path: Path, rehearsal: Rehearsal) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(accounts_file(rehearsal), encoding="utf-8")


async def remove(pool: asyncpg.Pool, code: str) -> dict[str, int]:
    """What was removed: meetings, accounts deleted, accounts closed."""
    async with pool.acquire() as conn, conn.transaction():
        body = await conn.fetchrow("SELECT id, rehearsal FROM bodies WHERE code = $1", code)
        if body is None:
            raise RehearsalError(f"Không có buổi diễn tập {code}. / No rehearsal {code}.")
        if not body["rehearsal"]:
            raise RehearsalError(f"{code} không phải buổi diễn tập; không gỡ. / {code} is not a"
                                 " rehearsal; nothing removed.")
        meetings = [r["id"] for r in await conn.fetch(
            "SELECT id FROM meetings WHERE body_id = $1", body["id"])]
        users = [r["id"] for r in await conn.fetch(
            "SELECT id FROM users WHERE body_id = $1", body["id"])]
        for table in ("signed_versions", "minutes_versions", "conclusion_notices",
                      "meeting_invitations"):
            await conn.execute(f"DELETE FROM {table} WHERE meeting_id = ANY($1::bigint[])",
                               meetings)
        for meeting in meetings:
            await conn.execute("DELETE FROM doc_updates WHERE name LIKE $1", f"meeting/{meeting}/%")
            await conn.execute("DELETE FROM doc_snapshots WHERE name LIKE $1",
                               f"meeting/{meeting}/%")
        await conn.execute("DELETE FROM meetings WHERE id = ANY($1::bigint[])", meetings)
        await conn.execute("DELETE FROM sessions WHERE user_id = ANY($1::bigint[])", users)
        named = {r["actor_id"] for r in await conn.fetch(
            "SELECT DISTINCT actor_id FROM audit_log WHERE actor_id = ANY($1::bigint[])", users)}
        # Closed first (the same for every account), then deleted where nothing points at it.
        await conn.execute(
            "UPDATE users SET is_active = false, password_hash = '!', room_id = NULL,"
            " full_name = 'Tài khoản diễn tập đã gỡ', title = '', unit = '',"
            " username = 'removed-' || id WHERE id = ANY($1::bigint[])", users)
        deleted = 0
        for user in (u for u in users if u not in named):
            try:
                async with conn.transaction():
                    await conn.execute("DELETE FROM users WHERE id = $1", user)
                deleted += 1
            except asyncpg.ForeignKeyViolationError:
                pass  # something else still names it: it stays closed
        await conn.execute("DELETE FROM rooms WHERE body_id = $1 AND NOT EXISTS"
                           " (SELECT 1 FROM users WHERE room_id = rooms.id)", body["id"])
        result = {"meetings": len(meetings), "deleted": deleted,
                  "closed": len(users) - deleted}
        await conn.execute("UPDATE bodies SET name = $2 WHERE id = $1", body["id"],
                           f"Diễn tập đã gỡ ({code})")
        await conn.execute(
            "INSERT INTO audit_log (action, target, details) VALUES ('rehearsal.remove', $1, $2)",
            f"body:{body['id']}", {"code": code, **result})
    return result
