"""Signing in with a six-digit PIN on a laptop registered to a room.

Why: at the start of a session a room of 92 signs in at once, and each
password costs an Argon2id hash (OWASP's setting, about 50 ms of a core):
the last person waits 2.5 to 3.3 s on a 2-core server. Weakening the hash
would put every password at risk for a few seconds saved once a meeting.
Instead, the laptops of a room are registered by the body's admin; on such a
laptop a person invited to a meeting in that room today signs in with a
short PIN set on their account screen (after confirming their password). The
PIN check is one HMAC: microseconds, so the room's sign-ins cost only their
database round trips.

What makes a six-digit PIN acceptable there, and nowhere else:

- **Where.** Only on a registered laptop (a random token in an HttpOnly
  cookie, only its hash stored, revocable), only from the room's networks
  when the room has any, only for someone invited to a meeting held in that
  room today. A PIN typed anywhere else opens nothing.
- **How often.** `MAX_FAILURES` wrong PINs in a row lock the PIN until its
  owner signs in with the password; every try also counts in the login
  throttle (domain/throttle.py) like a password.
- **A stolen database.** A million PINs are tried offline in well under a
  second whatever the hash, Argon2 included. So the stored value is an
  HMAC-SHA256 under a key kept outside the database (collab_server/keys.py,
  `pin.key`): a dump or a backup alone gives nothing to try PINs against.
  The HMAC covers the user id too, so a row copied onto another account
  does not verify. With the key file as well, the PIN falls; that is why it
  only ever opens a session on a registered laptop in the room.

Pure: no I/O, the key is passed in.
"""

from __future__ import annotations

import hashlib
import hmac

from collab_server.errors import AppError

KEY_NAME = "pin"
LENGTH = 6
# Wrong PINs in a row before the PIN is locked until a password login.
MAX_FAILURES = 5

# The PINs people pick first: a guesser's five tries would go to these.
_GUESSED_FIRST = frozenset({
    "123456", "654321", "123123", "121212", "112233", "123321", "111222", "696969",
    "101010", "202020", "147258", "159753", "789456", "456789", "012345", "987654",
    "246810", "135790", "999999", "000000", "520520", "131313", "123654", "102030",
})


class WeakPin(AppError):
    status = 422
    code = "weak_pin"
    default_vi = "Mã PIN quá dễ đoán; vui lòng chọn mã khác."
    default_en = "The PIN is too easy to guess; choose another."


def check_pin(pin: object) -> str:
    """The PIN if it may be set: six digits, not one repeated, not a run
    (`234567`, `876543`), not one of the few people pick first."""
    if not isinstance(pin, str) or len(pin) != LENGTH or not pin.isascii() \
            or not pin.isdigit():
        raise WeakPin(f"Mã PIN phải gồm đúng {LENGTH} chữ số.",
                      f"A PIN is exactly {LENGTH} digits.")
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:], strict=False)}
    if len(set(pin)) == 1 or steps in ({1}, {9}) or pin in _GUESSED_FIRST:
        raise WeakPin()
    return pin


def mac(key: bytes, user_id: int, pin: str) -> bytes:
    """What is stored for (and compared with) the PIN of `user_id`."""
    return hmac.new(key, f"pin:{user_id}:{pin}".encode(), hashlib.sha256).digest()


def matches(key: bytes, user_id: int, pin: str, stored: bytes) -> bool:
    return hmac.compare_digest(mac(key, user_id, pin), stored)


def well_formed(pin: object) -> bool:
    """Whether a sign-in attempt carries something that could be a PIN (a
    malformed one is refused before it counts as a wrong try)."""
    return isinstance(pin, str) and len(pin) == LENGTH and pin.isascii() and pin.isdigit()
