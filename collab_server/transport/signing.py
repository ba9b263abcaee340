"""Signing the body's own documents: an approved version of the minutes,
an issued conclusion notice (docs/signatures.md).

The signer is the person named in a signature block of the version, acting
in the role that block stands for: the meeting's secretary signs "THƯ KÝ",
its chair the other block(s). Each signature is added on the bytes of the
one before (the first on the version as rendered then), with the body's key
(`PHONGHOP_SIGNING_CONFIG`), in a worker process; the signed file is stored
and is the version's download from then on. A version is signed once by
each signer; a change to the text is a new version, signed anew.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from collab_server.documents.pades import SignerSpec

from collab_server.domain.roles import Role
from collab_server.domain.signing import signer_block
from collab_server.errors import Conflict, Forbidden, NotFound
from collab_server.storage.accounts import User
from collab_server.storage.minutes import Frozen
from collab_server.storage.signed import PgSigned, SignedTwice
from collab_server.transport import minutes
from collab_server.transport.http import caller_and_meeting, record
from collab_server.transport.responses import JSONResponse

KINDS = {"minutes": "biên bản", "conclusion": "thông báo kết luận"}


class NoSigningKey(Conflict):
    code = "no_signing_key"


class AlreadySigned(Conflict):
    code = "already_signed"


class SigningFailed(Conflict):
    code = "signing_failed"


class SignedMeanwhile(Conflict):
    code = "signed_meanwhile"
SIGN_TIMEOUT = 60


def keys(config: Path | None) -> dict[str, SignerSpec]:
    """The bodies' signing keys, read at start; none without a configuration."""
    if config is None:
        return {}
    from collab_server.documents import pades

    return pades.signing_config(config)


def _store(request: Request) -> PgSigned:
    store: PgSigned = request.app.state.signed
    return store


def block_of(layout: dict[str, Any], user: User, role: Role | None) -> tuple[str, str] | None:
    return signer_block(layout.get("signatures", []), user.full_name,
                        role == Role.SECRETARY, role == Role.CHAIR)


async def _frozen(request: Request, kind: str, meeting_id: int) -> Frozen:
    version = minutes.version_in_path(request)
    store = minutes.minutes_store(request)
    if kind == "minutes":
        frozen = await store.version(meeting_id, version)
    else:
        frozen = await store.notice(meeting_id, version)
    if frozen is None or frozen.version != version:
        raise NotFound("Không có phiên bản này.", "No such version.")
    return frozen


async def _key(request: Request, body_id: int) -> SignerSpec:
    spec: SignerSpec | None = await minutes.signing_key(request, body_id)
    if spec is None:
        raise NoSigningKey(
            "Cơ quan chưa được cấu hình chứng thư số để ký; liên hệ quản trị hệ thống.",
            "The body has no signing key configured; ask the operator.")
    return spec


async def _sign(request: Request, kind: str) -> Response:
    user, access = await caller_and_meeting(request)
    frozen = await _frozen(request, kind, access.meeting_id)
    block = block_of(frozen.layout, user, access.role)
    if block is None:
        raise Forbidden("Chỉ người có tên ở ô ký của văn bản (thư ký, chủ tọa cuộc họp) được"
                        " ký số văn bản này.",
                        "Only the person named in a signature block of this document"
                        " (the meeting's secretary or chair) may sign it.")
    spec = await _key(request, access.body_id)
    store = _store(request)
    applied = await store.of(kind, access.meeting_id, frozen.version)
    if any(a.signer_id == user.id for a in applied):
        raise AlreadySigned("Bạn đã ký số phiên bản này.", "You have signed this version already.")
    base = await minutes.signed_or_rendered(request, kind, frozen)
    title, name = block
    from collab_server.documents import pades  # pyHanko: a second to import, when first used

    place = str(frozen.layout.get("place_date", "")).split(",")[0].strip()
    try:
        signed, subject = await request.app.state.workers.run(
            pades.sign_blocking, base, spec, title=title, name=name,
            reason=f"Ký {KINDS[kind]}", location=place, field_name=f"ChuKy{len(applied) + 1}",
            timeout=SIGN_TIMEOUT)
    except pades.SignError as err:
        raise SigningFailed(str(err), "The document could not be signed with the body's key.") \
            from err
    try:
        done = await store.add(kind, access.meeting_id, frozen.version, len(applied) + 1,
                               signed, user.id, name, title.replace("\n", " "), subject)
    except SignedTwice as err:
        raise SignedMeanwhile("Văn bản vừa được người khác ký; hãy ký lại.",
                              "Someone signed the document a moment ago; sign again.") from err
    await record(request, user, f"{kind}.sign", f"meeting:{access.meeting_id}",
                 version=frozen.version, seq=done.seq, certificate=subject)
    everyone = [*applied, done]
    return JSONResponse({"signature": done.to_json(),
                         "signatures": [a.to_json() for a in everyone]}, status_code=201)


async def sign_minutes(request: Request) -> Response:
    """`POST /api/meetings/{id}/minutes/{version}/sign`."""
    return await _sign(request, "minutes")


async def sign_conclusion(request: Request) -> Response:
    """`POST /api/meetings/{id}/conclusion/{version}/sign`."""
    return await _sign(request, "conclusion")
