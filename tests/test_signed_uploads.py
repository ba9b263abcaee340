"""A signed PDF uploaded to a meeting: its signatures are read at upload
against the trust anchors the deployment configured, told with the
document, and the file leaves byte for byte as it came, still verifiable."""

from __future__ import annotations

import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pymupdf
from playwright.async_api import Browser, expect

from collab_server.documents import pades
from tests import pki
from tests.browser_support import LAPTOP, Person, shot, upload
from tests.conftest import PASSWORD, Server, build_world
from tests.test_pades import NAME, TITLE, edited_after, minutes

# The province's root, configured before the server starts.
CA = pki.root("CA gốc của tỉnh (thử nghiệm)")
ANCHORS = Path(tempfile.mkdtemp(prefix="phonghop-anchors-"))
(ANCHORS / "root.pem").write_bytes(CA.pem)
SERVER_ENV = {"PHONGHOP_TRUST_ANCHORS_DIR": str(ANCHORS)}


async def signed_minutes(folder: Path, ca: pki.Issued = CA) -> bytes:
    body = pki.signer(ca, "Sở Tài chính tỉnh Hà Tĩnh", "Sở Tài chính")
    spec = pades.SignerSpec(pkcs12=body.pkcs12(folder / "so.p12", b"k", [ca]), passphrase=b"k")
    signer = pades.load_signer(spec)
    pdf = minutes()
    return await pades.sign(pdf, signer, pades.signature_box(pdf, TITLE, NAME), name=NAME,
                            title=TITLE, reason="Ký tờ trình", location="Hà Tĩnh")


async def test_a_signed_upload_is_told_and_downloaded_as_it_came(
        server: Server, tmp_path: Path) -> None:
    world = await build_world(server.database_url, delegates=1)
    signed = await signed_minutes(tmp_path)
    doc = doc_json = await upload(server.http, world.token("secretary"), world.meeting_id,
                                  signed, "to-trinh-da-ky.pdf", allow_download="1")
    [check] = doc["signatures"]
    assert check["verdict"] == "valid" and check["signer"] == "Sở Tài chính tỉnh Hà Tĩnh"
    assert check["words"].startswith("Chữ ký hợp lệ") and doc["signatures_checked_at"]
    async with httpx.AsyncClient(base_url=server.http, timeout=60, headers={
            "authorization": f"Bearer {world.token('delegate01')}"}) as reader:
        seen = (await reader.get(f"/api/meetings/{world.meeting_id}/documents")).json()
        [listed] = [d for d in seen["documents"] if d["id"] == doc["id"]]
        assert listed["signatures"][0]["verdict"] == "valid"
        r = await reader.get(f"/api/documents/{doc['id']}/original")
        assert r.status_code == 200 and r.content == signed
        assert r.headers["content-disposition"].startswith("attachment")
        [again] = await pades.verify(r.content, pades.trust_anchors([ANCHORS / "root.pem"]))
        assert again.verdict == "valid"
    # Changed after signing, or signed under a root the province does not trust.
    changed = await upload(server.http, world.token("secretary"), world.meeting_id,
                           edited_after(signed, tmp_path), "da-sua.pdf")
    assert [s["verdict"] for s in changed["signatures"]] == ["changed"]
    foreign = await upload(server.http, world.token("secretary"), world.meeting_id,
                           await signed_minutes(tmp_path, pki.root("CA lạ")), "ca-la.pdf")
    assert [s["verdict"] for s in foreign["signatures"]] == ["untrusted"]
    # Signed, but with a script that runs on opening: the script is not handed
    # out with the signature; the download is the cleaned copy.
    with pymupdf.open(stream=minutes(), filetype="pdf") as doc:
        doc.xref_set_key(doc.pdf_catalog(), "OpenAction",
                         "<</S/JavaScript/JS(app.alert('mo tep'))>>")
        scripted = doc.tobytes()
    body = pki.signer(CA, "Sở Tài chính tỉnh Hà Tĩnh", "Sở Tài chính")
    signer = pades.load_signer(pades.SignerSpec(
        pkcs12=body.pkcs12(tmp_path / "js.p12", b"k", [CA]), passphrase=b"k"))
    signed_script = await pades.sign(scripted, signer, pades.signature_box(scripted, TITLE, NAME),
                                     name=NAME, title=TITLE, reason="Ký", location="Hà Tĩnh")
    assert b"app.alert" in signed_script
    risky = await upload(server.http, world.token("secretary"), world.meeting_id, signed_script,
                         "co-ma-lenh.pdf", allow_download="1")
    assert [s["verdict"] for s in risky["signatures"]] == ["valid"]
    assert risky["serve_original"] is False and doc_json["serve_original"] is True
    async with httpx.AsyncClient(base_url=server.http, timeout=60, headers={
            "authorization": f"Bearer {world.token('delegate01')}"}) as reader:
        r = await reader.get(f"/api/documents/{risky['id']}/original")
        assert r.status_code == 200 and b"app.alert" not in r.content
    # An unsigned PDF: nothing to tell, and it leaves as its cleaned copy.
    plain = await upload(server.http, world.token("secretary"), world.meeting_id, minutes(),
                         "khong-ky.pdf")
    assert plain["signatures"] == [] and plain["signatures_checked_at"] is None


async def test_the_secretary_and_the_reader_see_the_signatures_in_vietnamese(
        browser: Browser, server: Server, tmp_path: Path) -> None:
    code = f"s{uuid.uuid4().hex[:6]}"
    world = await build_world(server.database_url, delegates=1, code=code,
                              starts_in=timedelta(days=3))
    signed = await signed_minutes(tmp_path)
    good = await upload(server.http, world.token("secretary"), world.meeting_id, signed,
                        "to-trinh-da-ky.pdf", title="Tờ trình đã ký số")
    changed = await upload(server.http, world.token("secretary"), world.meeting_id,
                           edited_after(signed, tmp_path), "da-sua.pdf",
                           title="Tờ trình bị sửa sau khi ký")
    people = []
    try:
        secretary = await Person.open(browser, server.http, viewport=LAPTOP)
        people.append(secretary)
        await secretary.login_api(f"{code}-secretary", PASSWORD)
        await secretary.goto(f"/#/prepare/{world.meeting_id}")
        page = secretary.page
        ok = page.locator(f'[data-key="signatures-{good["id"]}"]')
        await expect(ok).to_contain_text("✓ Có chữ ký số hợp lệ (1)")
        await expect(page.locator(f'[data-key="signatures-{changed["id"]}"]')).to_contain_text(
            "⚠ Văn bản đã bị thay đổi sau khi ký.")
        await ok.locator("summary").click()
        await expect(ok).to_contain_text("Sở Tài chính tỉnh Hà Tĩnh")
        await expect(ok).to_contain_text("Bản tải về là tệp gốc đã ký.")
        await shot(page, "signatures-prepare")
        delegate = await Person.open(browser, server.http, viewport=LAPTOP)
        people.append(delegate)
        await delegate.login_api(f"{code}-delegate01", PASSWORD)
        await delegate.goto(f"/#/meeting/{world.meeting_id}")
        reader = delegate.page
        await reader.select_option("#reader-doc", label="Tờ trình bị sửa sau khi ký")
        warn = reader.locator(f'[data-key="signatures-{changed["id"]}"]')
        await expect(warn).to_have_attribute("data-verdict", "changed")
        # The meeting's first document has no file here: its error is not left
        # standing under the signed document's page once that one is shown.
        await expect(reader.locator(".page-frame")).to_have_attribute(
            "data-page", f"{changed['id']}:1")
        await expect(reader.locator(".page-status")).not_to_contain_text("Không tìm thấy")
        await warn.locator("summary").click()
        await expect(warn).to_contain_text("Sở Tài chính tỉnh Hà Tĩnh")
        await shot(reader, "signatures-reader")
        # An unsigned document shows nothing of the kind.
        await reader.select_option("#reader-doc", index=0)
        await expect(reader.locator(".sig-slot .signatures")).to_have_count(0)
        for person in people:
            assert not person.errors, person.errors
    finally:
        for person in people:
            await person.close()
