"""Polls over HTTP: the list of a meeting, one result, and the receipts of a
secret poll, which those who voted in it may check once it is closed.
Polls are opened, cast and closed through intents on the room socket."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from collab_server.domain.access import MeetingAccess
from collab_server.errors import Conflict, Forbidden, NotFound
from collab_server.storage.voting import PgVoting
from collab_server.transport.auth import current_user
from collab_server.transport.http import caller_and_meeting, meeting_access, path_id, record
from collab_server.transport.responses import JSONResponse


def _voting(request: Request) -> PgVoting:
    return PgVoting(request.app.state.pool, request.app.state.keys)


def _require_participant(access: MeetingAccess) -> None:
    # A body admin may see that the meeting exists, but ballots are for those in it.
    if access.role is None:
        raise Forbidden("Chỉ người tham dự cuộc họp được xem biểu quyết.",
                        "Only participants may see the polls.")


async def _poll(request: Request) -> dict[str, Any]:
    """The poll in the path, if the caller takes part in its meeting. Someone
    who does not gets 403 whether or not it exists, so ids reveal nothing."""
    user = await current_user(request)
    poll = await _voting(request).poll(path_id(request, "poll_id"))
    if poll is None:
        raise Forbidden("Bạn không tham dự cuộc họp này.", "You take no part in this meeting.")
    _require_participant(await meeting_access(request, user, int(poll["meeting"])))
    return poll


async def meeting_polls(request: Request) -> Response:
    _, access = await caller_and_meeting(request)
    _require_participant(access)
    return JSONResponse({"polls": await _voting(request).meeting_polls(access.meeting_id)})


async def get_poll(request: Request) -> Response:
    poll = await _poll(request)
    # Offered once the result is final (clients show the links without probing).
    poll["exports"] = ["csv", "pdf"] if poll["status"] == "closed" else []
    return JSONResponse({"poll": poll})


async def receipts(request: Request) -> Response:
    """Every receipt with its choice; `?receipt=CODE` answers for one code.

    Only to those who cast a ballot in the poll, once it is closed: they are
    the ones holding receipts. The display (on the projector), guests, the
    secretary and a chair who did not vote have nothing to check, and each
    lookup is one more place where a receipt shown by a voter would prove
    their choice (docs/security.md, "Receipts and coercion"). Audited, without
    the code."""
    user = await current_user(request)
    poll = await _poll(request)
    if poll["kind"] != "secret":
        raise NotFound("Biểu quyết công khai không có mã biên nhận.",
                       "A named poll has no receipts.")
    voting = _voting(request)
    if not await voting.cast_by(int(poll["id"]), user.id):
        raise Forbidden("Chỉ người đã bỏ phiếu trong cuộc biểu quyết này được kiểm tra mã"
                        " biên nhận.", "Only those who cast a ballot in this poll may check"
                        " receipts.")
    if not poll["receipts"]:
        raise NotFound("Cuộc biểu quyết này không cấp mã biên nhận.",
                       "This poll gives no receipts.")
    if poll["status"] != "closed":
        raise Conflict("Mã biên nhận chỉ được công bố sau khi kết thúc biểu quyết.",
                       "Receipts are published once the poll is closed.")
    listed = await voting.receipts(int(poll["id"]))
    wanted = request.query_params.get("receipt")
    await record(request, user, "poll.receipts", f"poll:{poll['id']}", one=wanted is not None)
    if wanted is not None:
        code = wanted.upper().replace("-", "").replace(" ", "")
        found = [r for r in listed if r["receipt"] == code]
        if not found:
            raise NotFound("Không có phiếu nào mang mã biên nhận này.",
                           "No ballot has this receipt.")
        return JSONResponse({"poll": poll["id"], "receipt": found[0]["receipt"],
                             "choice": found[0]["choice"],
                             "option": poll["options"][found[0]["choice"]]})
    return JSONResponse({"poll": poll["id"], "options": poll["options"],
                         "counts": poll["result"]["counts"], "receipts": listed})
