"""The body's own documents signed digitally from the application: the
secretary and the chair sign the approved minutes in their own blocks, the
chair the conclusion notice; the signed file is what downloads from then on
and verifies; nobody else signs, nobody signs twice, a body without a key is
told so, and the database keeps every signature unchanged."""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pymupdf
import pytest
from playwright.async_api import Browser, expect

from collab_server.documents import pades
from tests import pki
from tests.browser_support import LAPTOP, Person, shot
from tests.conftest import PASSWORD, Server, World, build_world, client
from tests.yclient import YClient

CODE = f"ky-{uuid.uuid4().hex[:6]}"
CA = pki.root("CA gốc của tỉnh (thử nghiệm)")
FOLDER = Path(tempfile.mkdtemp(prefix="phonghop-signing-"))
(FOLDER / "anchors").mkdir()
(FOLDER / "anchors" / "root.pem").write_bytes(CA.pem)
pki.signer(CA, "Sở Kế hoạch thử nghiệm", "Sở Kế hoạch").pkcs12(
    FOLDER / "so.p12", b"mat-khau-so", [CA])
(FOLDER / "so.pass").write_text("mat-khau-so\n")
(FOLDER / "signing.json").write_text(json.dumps(
    {"bodies": {CODE: {"pkcs12": "so.p12", "passphrase_file": "so.pass"}}}))
SERVER_ENV = {"PHONGHOP_SIGNING_CONFIG": str(FOLDER / "signing.json"),
              "PHONGHOP_TRUST_ANCHORS_DIR": str(FOLDER / "anchors")}
TEXT = "Biên bản phiên họp.\nCác thành viên thống nhất thông qua dự toán năm 2027."



async def ended(server: Server, code: str | None = None) -> World:
    """A meeting opened and closed, its minutes approved (version 1)."""
    world = await build_world(server.database_url, delegates=1, code=code)
    chair = await YClient(server.ws, f"meeting/{world.meeting_id}/room",
                          world.token("chair")).connect()
    try:
        for kind in ("session.open", "session.close"):
            assert (await chair.intent(kind))["ok"]
    finally:
        await chair.close()
    async with client(server, world, "secretary") as sec:
        r = await sec.post(f"/api/meetings/{world.meeting_id}/minutes/approve",
                           json={"text": TEXT})
        assert r.status_code == 201, r.text
    return world


@pytest.fixture(scope="module")
async def world(server: Server) -> AsyncIterator[World]:
    yield await ended(server, CODE)


async def test_secretary_and_chair_sign_the_minutes_and_the_file_verifies(
        server: Server, world: World) -> None:
    base = f"/api/meetings/{world.meeting_id}/minutes"
    async with client(server, world, "delegate01") as d, \
            client(server, world, "secretary") as sec, client(server, world, "chair") as chair:
        listed = (await sec.get(base)).json()
        assert listed["signing_key"] is True
        [v1] = listed["versions"]
        assert v1["signatures"] == [] and v1["sign"] == f"{base}/1/sign"
        assert (await d.get(base)).json()["versions"][0]["sign"] is None
        refused = await d.post(f"{base}/1/sign")
        assert refused.status_code == 403 and "ô ký" in refused.json()["error"]["message"]
        r = await sec.post(f"{base}/1/sign")
        assert r.status_code == 201, r.text
        assert r.json()["signature"]["name"] == "Người secretary"
        again = await sec.post(f"{base}/1/sign")
        assert again.status_code == 409 and again.json()["error"]["code"] == "already_signed"
        r = await chair.post(f"{base}/1/sign")
        assert r.status_code == 201, r.text
        assert [s["name"] for s in r.json()["signatures"]] == ["Người secretary", "Người chair"]
        assert (await chair.get(base)).json()["versions"][0]["sign"] is None
        pdf = (await d.get(f"{base}/1.pdf")).content
        assert pdf == (await sec.get(f"{base}/1.pdf")).content  # the stored file, each time
    checks = await pades.verify(pdf, pades.trust_anchors([FOLDER / "anchors" / "root.pem"]))
    assert [c.verdict for c in checks] == ["valid", "valid"], checks
    # The first signature covers its revision; the second, the whole file.
    assert [c.covers_whole for c in checks] == [False, True]
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        text = doc[-1].get_text()
        assert "Ký bởi: Người secretary" in text and "Ký bởi: Người chair" in text
    db = await asyncpg.connect(world.url)
    try:
        actions = [r["action"] for r in await db.fetch(
            "SELECT action FROM audit_log WHERE target = $1 AND action = 'minutes.sign'",
            f"meeting:{world.meeting_id}")]
        assert actions == ["minutes.sign", "minutes.sign"]
        # A signature, once stored, is never changed or taken back.
        with pytest.raises(asyncpg.IntegrityConstraintViolationError):
            await db.execute("UPDATE signed_versions SET signer_name = 'khác'"
                             " WHERE meeting_id = $1", world.meeting_id)
        with pytest.raises(asyncpg.IntegrityConstraintViolationError):
            await db.execute("DELETE FROM signed_versions WHERE meeting_id = $1",
                             world.meeting_id)
    finally:
        await db.close()


async def test_a_new_version_is_signed_anew_and_the_notice_by_the_chair(
        server: Server, world: World) -> None:
    base = f"/api/meetings/{world.meeting_id}"
    async with client(server, world, "secretary") as sec, client(server, world, "chair") as chair:
        r = await sec.post(f"{base}/minutes/approve", json={"text": TEXT + "\nBổ sung."})
        assert r.status_code == 201, r.text
        versions = (await sec.get(f"{base}/minutes")).json()["versions"]
        assert versions[-1]["version"] == 2 and versions[-1]["signatures"] == []
        assert versions[-1]["sign"] == f"{base}/minutes/2/sign"
        r = await chair.post(f"{base}/conclusion", json={"text": "1. Giao Sở Tài chính."})
        assert r.status_code == 201, r.text
        notice = (await sec.get(f"{base}/conclusion")).json()["notice"]
        assert notice["sign"] is None  # the secretary has no block on the notice
        assert (await sec.post(f"{base}/conclusion/1/sign")).status_code == 403
        r = await chair.post(f"{base}/conclusion/1/sign")
        assert r.status_code == 201, r.text
        pdf = (await chair.get(f"{base}/conclusion.pdf")).content
    [check] = await pades.verify(pdf, pades.trust_anchors([FOLDER / "anchors" / "root.pem"]))
    assert check.verdict == "valid" and check.signer == "Sở Kế hoạch thử nghiệm"


async def test_a_body_without_a_key_is_told(server: Server) -> None:
    other = await ended(server)
    async with client(server, other, "secretary") as sec:
        assert (await sec.get(f"/api/meetings/{other.meeting_id}/minutes")).json()[
            "signing_key"] is False
        r = await sec.post(f"/api/meetings/{other.meeting_id}/minutes/1/sign")
        assert r.status_code == 409 and r.json()["error"]["code"] == "no_signing_key"
        assert "chứng thư số" in r.json()["error"]["message"]
        missing = await sec.post(f"/api/meetings/{other.meeting_id}/minutes/7/sign")
        assert missing.status_code == 404


async def test_the_secretary_signs_in_the_browser_and_sees_it(
        server: Server, world: World, browser: Browser) -> None:
    base = f"/api/meetings/{world.meeting_id}/minutes"
    async with client(server, world, "secretary") as sec:
        r = await sec.post(f"{base}/approve", json={"text": TEXT + "\nPhiên bản ký trên máy."})
        assert r.status_code == 201, r.text
        version = r.json()["minutes"]["version"]
    person = await Person.open(browser, server.http, viewport=LAPTOP)
    try:
        await person.login_api(f"{CODE}-secretary", PASSWORD)
        await person.goto(f"/#/minutes/{world.meeting_id}")
        page = person.page
        cell = page.locator(f'[data-key="signed-minutes-{version}"]')
        await expect(cell).to_contain_text("Chưa ký số.")
        await expect(cell).not_to_contain_text("null")
        await page.click(f'[data-key="sign-minutes-{version}"]')
        await expect(page.locator('[data-key="confirm-dialog"]')).to_contain_text(
            "Ký số văn bản này?")
        await page.click('[data-key="confirm-yes"]')
        await expect(cell).to_contain_text("✓ Đã ký số: Người secretary")
        await expect(page.locator(f'[data-key="sign-minutes-{version}"]')).to_have_count(0)
        await shot(page, "signing-minutes")
        # The chair's turn is still open; a delegate has no button at all.
        async with client(server, world, "chair") as chair:
            listed = (await chair.get(base)).json()["versions"]
            assert [v["sign"] for v in listed if v["version"] == version] == [
                f"{base}/{version}/sign"]
        assert not person.errors, person.errors
    finally:
        await person.close()
