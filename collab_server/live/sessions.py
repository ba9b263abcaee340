"""The tag a socket carries for the session it was opened with.

Not the token, nor the hash the database keys sessions by: a tag derived
from that hash, safe to keep in memory and to send to the other processes
when the session ends. The database computes the same tag (see
`storage.socket_sessions`), so a periodic check can ask which sessions of the
open sockets are still valid.
"""

from __future__ import annotations

import hashlib

TAG_PREFIX = b"live-socket:"
TAG_LENGTH = 32  # hex digits


def session_tag(token: str) -> str:
    return tag_of_hash(hashlib.sha256(token.encode()).digest())


def tag_of_hash(token_hash: bytes) -> str:
    """The tag of a session known only by its stored hash."""
    return hashlib.sha256(TAG_PREFIX + token_hash).hexdigest()[:TAG_LENGTH]
