"""Signatures applied to the body's own documents (schema 030): one row per
signature, each file the one before it with one more signature appended."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from collab_server.domain.calendar import iso
from collab_server.storage import files


@dataclass(frozen=True, slots=True)
class Applied:
    seq: int
    pdf_sha256: bytes
    signer_id: int
    signer_name: str
    signer_title: str
    certificate: str
    signed_at: str

    def to_json(self) -> dict[str, Any]:
        return {"signer_id": self.signer_id, "name": self.signer_name,
                "title": self.signer_title, "certificate": self.certificate,
                "signed_at": self.signed_at}


def _applied(r: asyncpg.Record) -> Applied:
    return Applied(seq=r["seq"], pdf_sha256=bytes(r["pdf_sha256"]), signer_id=r["signer_id"],
                   signer_name=r["signer_name"], signer_title=r["signer_title"],
                   certificate=r["certificate"], signed_at=iso(r["signed_at"]))


class SignedTwice(Exception):
    """This person has signed this version already, or another signature
    landed first (the caller signs again on the newer bytes)."""


class PgSigned:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def of(self, kind: str, meeting_id: int, version: int) -> list[Applied]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT seq, pdf_sha256, signer_id, signer_name, signer_title, certificate,"
                " signed_at FROM signed_versions WHERE kind = $1 AND meeting_id = $2"
                " AND version = $3 ORDER BY seq", kind, meeting_id, version)
        return [_applied(r) for r in rows]

    async def of_meeting(self, kind: str, meeting_id: int) -> dict[int, list[Applied]]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT version, seq, pdf_sha256, signer_id, signer_name, signer_title,"
                " certificate, signed_at FROM signed_versions WHERE kind = $1"
                " AND meeting_id = $2 ORDER BY version, seq", kind, meeting_id)
        out: dict[int, list[Applied]] = {}
        for r in rows:
            out.setdefault(r["version"], []).append(_applied(r))
        return out

    async def add(self, kind: str, meeting_id: int, version: int, seq: int, pdf: bytes,
                  signer_id: int, name: str, title: str, certificate: str) -> Applied:
        """Store the signed file as signature `seq`; SignedTwice when `seq` is
        taken (someone signed meanwhile) or this signer signed already."""
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                digest = await files.put(conn, pdf)
                row = await conn.fetchrow(
                    "INSERT INTO signed_versions (kind, meeting_id, version, seq, pdf_sha256,"
                    " signer_id, signer_name, signer_title, certificate)"
                    " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)"
                    " RETURNING seq, pdf_sha256, signer_id, signer_name, signer_title,"
                    " certificate, signed_at",
                    kind, meeting_id, version, seq, digest, signer_id, name, title, certificate)
        except asyncpg.UniqueViolationError as err:
            raise SignedTwice() from err
        return _applied(row)
