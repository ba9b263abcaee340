"""Sealed choices of secret ballots.

A secret ballot's choice (with its receipt) is stored in the voter's own
ballot row, sealed with AES-GCM under a key of the poll derived from the
`ballot` key in the keys folder (collab_server/keys.py), which the database
never holds. The associated data names the poll, the member the ballot
counts for and who cast it, so a sealed value cannot be read, forged, or
moved to another ballot or poll by someone holding only the database: it
then fails to open, and the close refuses to count (storage/voting.py).
Every sealed value has the same length, so its size says nothing either.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from collab_server.keys import ServerKeys

NONCE = 12
RECEIPT_LENGTH = 10
# nonce, then choice (1 byte) and receipt (10 ASCII characters) sealed, then the tag.
SEALED_LENGTH = NONCE + 1 + RECEIPT_LENGTH + 16


class BadSeal(ValueError):
    """A sealed value that does not open: written or moved by someone without the key."""


class Sealer:
    def __init__(self, keys: ServerKeys) -> None:
        self.keys = keys

    def _aead(self, poll_id: int) -> AESGCM:
        return AESGCM(self.keys.derive("ballot", f"secret poll {poll_id}".encode()))

    @staticmethod
    def _bound(poll_id: int, member: int, cast_by: int) -> bytes:
        return f"phonghop ballot|{poll_id}|{member}|{cast_by}".encode()

    def seal(self, poll_id: int, member: int, cast_by: int, choice: int, receipt: str) -> bytes:
        plain = bytes([choice]) + receipt.encode("ascii")
        if not 0 <= choice < 256 or len(plain) != 1 + RECEIPT_LENGTH:
            raise ValueError("a choice is one byte and a receipt ten characters")
        nonce = os.urandom(NONCE)
        return nonce + self._aead(poll_id).encrypt(nonce, plain,
                                                   self._bound(poll_id, member, cast_by))

    def open(self, poll_id: int, member: int, cast_by: int, sealed: bytes) -> tuple[int, str]:
        """(choice, receipt), or BadSeal."""
        if len(sealed) != SEALED_LENGTH:
            raise BadSeal("wrong length")
        try:
            plain = self._aead(poll_id).decrypt(sealed[:NONCE], sealed[NONCE:],
                                                self._bound(poll_id, member, cast_by))
        except InvalidTag as exc:
            raise BadSeal("does not open") from exc
        return plain[0], plain[1:].decode("ascii")
