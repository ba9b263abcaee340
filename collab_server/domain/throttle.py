"""How long a login attempt must wait after failures: a backoff that grows,
never a wall.

A hard lockout turns the throttle into a weapon: five wrong guesses kept the
chair out for fifteen minutes, and a few hundred invented usernames from the
room's wifi address kept everyone out. Here failures only delay the next
attempt of the same *bucket*, by 1, 2, 4 ... seconds up to a short cap, and
the buckets are chosen so that a guesser slows down themselves, not the
owner of the account:

- `client`: this account from this client, where the client is a laptop
  the account signed in on before (its device cookie) or else the address.
  The guesser's own bucket; the cap is longest (5 min) for a device, one
  minute for an address, which a room shares.
- `account`: this account from clients it never signed in on, whatever
  their address. Stops guessing spread over many addresses.
- `address`: any account from this address, unknown clients only. Stops
  password spraying and invented usernames; high enough for a room of 90
  laptops behind one wifi address typing a password wrong now and then.

A laptop the account signed in on before skips the `account` and `address`
buckets: the chair on her own laptop signs in while someone elsewhere is
guessing her password. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

WINDOW = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Bucket:
    name: str
    free: int  # failures in the window before any wait
    cap_s: int  # the longest wait


CLIENT = Bucket("client", free=5, cap_s=300)
# A client known only by its address is shared by the whole room: a guesser
# on the wifi must not keep the owner on a new laptop out longer than a minute.
CLIENT_BY_ADDRESS = Bucket("client", free=5, cap_s=60)
ACCOUNT = Bucket("account", free=20, cap_s=60)
ADDRESS = Bucket("address", free=150, cap_s=60)


def backoff(bucket: Bucket, failures: int) -> float:
    """The wait after the last of `failures` failures in the window."""
    if failures < bucket.free:
        return 0.0
    return float(min(2 ** (failures - bucket.free), bucket.cap_s))


def wait(bucket: Bucket, failures: int, since_last_s: float | None) -> float:
    """Seconds still to wait now, `since_last_s` after the last failure."""
    delay = backoff(bucket, failures)
    if since_last_s is None or delay == 0:
        return 0.0
    # A failure counted by a transaction that started after ours looks as if
    # it came from the future: it is no older than now.
    return max(0.0, delay - max(0.0, since_last_s))
