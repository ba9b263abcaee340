"""Passwords an admin hands over once: a new account or a reset.

Four groups of four letters and digits, without the ones read wrongly off a
slip of paper (0/O, 1/l/I): about 95 bits, typed on a laptop in a few
seconds. The person changes it at the account page; the policy of
`domain.passwords` applies to it like to any other. Pure: no I/O.
"""

from __future__ import annotations

import secrets

from collab_server.domain.passwords import WeakPassword, check_password

_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def make_password(*, username: str = "", full_name: str = "") -> str:
    while True:
        groups = ("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(4))
        password = "-".join(groups)
        try:
            check_password(password, username=username, full_name=full_name)
        except WeakPassword:  # a name part drawn by chance: draw again
            continue
        return password
