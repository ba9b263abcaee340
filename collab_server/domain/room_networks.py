"""A room's networks: where checking oneself in must come from.

An admin gives a room the networks of its laptops and its wifi (CIDR, e.g.
`10.20.30.0/24`). When the meeting's room has any, a person who checks
themselves in (the "Điểm danh" button or the room's QR code) from an address
outside them is refused, and the refusal is on the audit record. The address
is the one the server sees: the connection's own, or the one a trusted proxy
(PHONGHOP_TRUSTED_PROXIES) put in X-Forwarded-For; a header from anyone else is
ignored. A personal code made by the secretary for one seat's laptop and the
secretary's mark are not bound: they are already acts of the desk.

What it stops: a code opened far from the room (at home, by chat, over mobile
data). What it does not: someone outside the room but on the same network
(the corridor within wifi range, the building's network if the admin gives
it), or a phone in the room on mobile data, which is refused and goes to the
secretary. Pure: no I/O.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from collab_server.errors import BadRequest

MAX_NETWORKS = 32


def parse(values: object) -> list[str]:
    """The admin's list, checked and written the canonical way
    (`10.20.30.7/24` becomes `10.20.30.0/24`); duplicates dropped."""
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise BadRequest("Mạng của phòng họp phải là danh sách dải địa chỉ (CIDR).",
                         "'networks' must be a list of CIDR texts.")
    if len(values) > MAX_NETWORKS:
        raise BadRequest(f"Một phòng họp có tối đa {MAX_NETWORKS} dải mạng.",
                         f"At most {MAX_NETWORKS} networks per room.")
    out: list[str] = []
    for raw in values:
        text = raw.strip()
        if not text:
            continue
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise BadRequest(
                f"'{text[:60]}' không phải dải địa chỉ mạng hợp lệ (ví dụ 10.20.30.0/24).",
                f"'{text[:60]}' is not a network (e.g. 10.20.30.0/24).") from None
        if str(network) not in out:
            out.append(str(network))
    return out


def within(address: str, networks: Iterable[str]) -> bool:
    """Whether the caller's address lies in one of the networks."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:  # no address known (a test transport, a unix socket)
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in ipaddress.ip_network(n, strict=False) for n in networks)
