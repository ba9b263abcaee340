"""The SMS/Zalo gateway: each province has its own provider, so the server
POSTs one JSON object per message to a URL the operator configures (their
adapter forwards it), signed with HMAC-SHA256 over the exact body:

    POST <PHONGHOP_GATEWAY_URL>
    Content-Type: application/json
    X-Phonghop-Signature: sha256=<hex of HMAC-SHA256(secret, body)>
    Idempotency-Key: phonghop-outbox-<row id>

    {"id": "phonghop-outbox-<row id>", "to": "<phone>", "text": "...",
     "link": "https://...", "kind": "meeting.invitation"}

Any 2xx answer is "sent"; anything else, or no answer, is tried again later.
The same id comes again only when a first try's answer was lost.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson

from collab_server.notify.mail import SendError
from collab_server.notify.queue import Claimed

if TYPE_CHECKING:  # imported when a gateway is configured (collab_server/features.py)
    import httpx

TIMEOUT_S = 15
SIGNATURE_HEADER = "X-Phonghop-Signature"


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    url: str
    secret: str

    def __repr__(self) -> str:  # never the secret
        return "GatewayConfig(url=<set>)"


def payload(row: Claimed) -> bytes:
    return orjson.dumps({"id": f"phonghop-outbox-{row.id}", "to": row.phone, "text": row.body,
                         "link": row.link, "kind": row.kind})


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def send(client: httpx.AsyncClient, config: GatewayConfig, row: Claimed) -> None:
    import httpx

    body = payload(row)
    headers = {"content-type": "application/json",
               SIGNATURE_HEADER: signature(config.secret, body),
               "idempotency-key": f"phonghop-outbox-{row.id}"}
    try:
        response = await client.post(config.url, content=body, headers=headers,
                                     timeout=TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise SendError(f"Không gọi được cổng tin nhắn: {type(exc).__name__}") from exc
    if not 200 <= response.status_code < 300:
        raise SendError(f"Cổng tin nhắn trả lời HTTP {response.status_code}")
