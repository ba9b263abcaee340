"""PAdES signatures (documents/pades.py): the body's documents signed with a
key from a PKCS#12 file or a PKCS#11 token (SoftHSM2), and the signatures of
PDFs read back: valid, changed after signing, broken, expired, untrusted."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pymupdf
import pytest

from collab_server.documents import official, pades
from tests import pki

SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"
TITLE = "PHÓ CHỦ TỊCH"
NAME = "Hoàng Quốc Việt"


def minutes() -> bytes:
    return official.render(official.OfficialDocument(
        organ="Ủy ban nhân dân tỉnh Hà Tĩnh", number="Số: 12/BB-UBND",
        place_date="Hà Tĩnh, ngày 3 tháng 12 năm 2026", kind="BIÊN BẢN",
        subject="Phiên họp thường kỳ tháng 12 năm 2026",
        text="Phiên họp thông qua dự toán ngân sách năm 2027.\nCác đại biểu thống nhất.",
        signatures=(official.Signature("THƯ KÝ", "Nguyễn Thị Hướng"),
                    official.Signature(TITLE, NAME)),
        recipients=("- Như trên;", "- Lưu: VT.")))


@pytest.fixture(scope="module")
def ca() -> pki.Issued:
    return pki.root()


@pytest.fixture(scope="module")
def body(ca: pki.Issued) -> pki.Issued:
    return pki.signer(ca, "UBND tỉnh Hà Tĩnh", "Ủy ban nhân dân tỉnh Hà Tĩnh")


@pytest.fixture(scope="module")
def p12(tmp_path_factory: pytest.TempPathFactory, body: pki.Issued,
        ca: pki.Issued) -> pades.SignerSpec:
    folder = tmp_path_factory.mktemp("p12")
    body.pkcs12(folder / "ubnd.p12", b"mat-khau-ky", [ca])
    (folder / "pass").write_text("mat-khau-ky\n")
    return pades.SignerSpec.from_json({"pkcs12": "ubnd.p12", "passphrase_file": "pass"}, folder)


async def sign(spec: pades.SignerSpec, pdf: bytes) -> bytes:
    signer = pades.load_signer(spec)
    try:
        return await pades.sign(pdf, signer, pades.signature_box(pdf, TITLE, NAME), name=NAME,
                                title=TITLE, reason="Ký biên bản", location="Hà Tĩnh")
    finally:
        pades.close_signer(signer)


async def test_a_signed_document_is_valid_and_both_tools_read_it(
        p12: pades.SignerSpec, ca: pki.Issued) -> None:
    original = minutes()
    signed = await sign(p12, original)
    # An incremental update: the document as it was comes first, unchanged.
    assert signed.startswith(original)
    [check] = await pades.verify(signed, pades.trust_anchors([write(ca)]))
    assert check.verdict == "valid", check
    assert check.signer == "UBND tỉnh Hà Tĩnh"
    assert check.organisation == "Ủy ban nhân dân tỉnh Hà Tĩnh"
    assert check.intact and check.trusted and check.covers_whole and not check.changed_after
    assert check.signed_at is not None and check.signed_at.endswith("+07:00")
    assert check.words.startswith("Chữ ký hợp lệ")
    # PyMuPDF sees a signature field, and the visible block between title and name.
    with pymupdf.open(stream=signed, filetype="pdf") as doc:
        page = doc[-1]
        [widget] = list(page.widgets())
        assert widget.field_type_string == "Signature"
        text = page.get_text()
        assert f"Ký bởi: {NAME}" in text and "Thời gian:" in text
        title = page.search_for(TITLE)[0]
        name = page.search_for(NAME)[0]
        assert title.y1 <= widget.rect.y0 and widget.rect.y1 <= name.y0
        # The letters of the stamp sit where their widths say (not spread out).
        stamp = page.search_for(f"Ký bởi: {NAME}")[0]
        assert stamp.width < widget.rect.width


async def test_a_change_after_signing_and_a_broken_signature_are_told(
        p12: pades.SignerSpec, ca: pki.Issued, tmp_path: Path) -> None:
    signed = await sign(p12, minutes())
    anchors = pades.trust_anchors([write(ca)])
    changed = edited_after(signed, tmp_path)
    assert changed.startswith(signed)
    [check] = await pades.verify(changed, anchors)
    assert check.verdict == "changed" and check.changed_after and check.intact, check
    assert check.words == "Văn bản đã bị thay đổi sau khi ký."
    # A byte of the signed content flipped: the signature no longer matches.
    at = signed.index(b"/Contents") - 200
    broken = signed[:at] + bytes([signed[at] ^ 0x01]) + signed[at + 1:]
    [check] = await pades.verify(broken, anchors)
    assert check.verdict == "broken" and not check.intact, check


async def test_an_expired_or_untrusted_certificate_is_told(
        tmp_path: Path, ca: pki.Issued, body: pki.Issued) -> None:
    old = pki.signer(ca, "UBND tỉnh Hà Tĩnh", "Ủy ban nhân dân tỉnh Hà Tĩnh", expired=True)
    old.pkcs12(tmp_path / "old.p12", b"x", [ca])
    spec = pades.SignerSpec(pkcs12=tmp_path / "old.p12", passphrase=b"x")
    [check] = await pades.verify(await sign(spec, minutes()), pades.trust_anchors([write(ca)]))
    assert check.verdict == "expired" and check.expired and check.intact, check
    # Signed under the body's certificate, read by a deployment that trusts another root.
    body.pkcs12(tmp_path / "body.p12", b"y", [ca])
    signed = await sign(pades.SignerSpec(pkcs12=tmp_path / "body.p12", passphrase=b"y"), minutes())
    stranger = pki.root("CA gốc khác")
    [check] = await pades.verify(signed, pades.trust_anchors([write(stranger)]))
    assert check.verdict == "untrusted" and not check.trusted and check.intact, check
    assert "không thuộc" in check.words


async def test_an_unsigned_pdf_has_no_signatures_and_a_wrong_passphrase_says_so(
        tmp_path: Path, ca: pki.Issued, body: pki.Issued) -> None:
    assert await pades.verify(minutes(), []) == []
    assert await pades.verify(b"%PDF-1.7 not really", []) == []
    body.pkcs12(tmp_path / "body.p12", b"dung", [ca])
    with pytest.raises(pades.SignError) as wrong:
        pades.load_signer(pades.SignerSpec(pkcs12=tmp_path / "body.p12", passphrase=b"sai"))
    assert "mật khẩu" in str(wrong.value) or "PKCS#12" in str(wrong.value)
    assert "sai" not in str(wrong.value).replace("sai mật khẩu", "")
    with pytest.raises(pades.SignError):
        pades.signature_box(minutes(), "GIÁM ĐỐC", "Người Không Có")


# -- a key on a PKCS#11 token: SoftHSM2 --------------------------------------------------


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory, body: pki.Issued) -> Iterator[
        pades.SignerSpec]:
    assert shutil.which("softhsm2-util") and Path(SOFTHSM).exists(), \
        "SoftHSM2 is installed by `make test` (apt-get install softhsm2)"
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    run = ["softhsm2-util"]
    subprocess.run([*run, "--init-token", "--free", "--label", "ubnd-ha-tinh",
                    "--so-pin", "87654321", "--pin", "123456"], check=True, capture_output=True)
    (folder / "key.pem").write_bytes(body.key_pem)
    subprocess.run([*run, "--import", str(folder / "key.pem"), "--token", "ubnd-ha-tinh",
                    "--label", "ky-van-ban", "--id", "01", "--pin", "123456"],
                   check=True, capture_output=True)
    (folder / "key.pem").unlink()
    # The certificate beside its key on the token, as an HSM holds it.
    import pkcs11
    from cryptography.hazmat.primitives import serialization
    from pkcs11 import Attribute, CertificateType, ObjectClass

    session = pkcs11.lib(SOFTHSM).get_token(token_label="ubnd-ha-tinh").open(
        rw=True, user_pin="123456")
    try:
        session.create_object({
            Attribute.CLASS: ObjectClass.CERTIFICATE,
            Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
            Attribute.TOKEN: True, Attribute.LABEL: "ky-van-ban", Attribute.ID: b"\x01",
            Attribute.SUBJECT: body.cert.subject.public_bytes(),
            Attribute.VALUE: body.cert.public_bytes(serialization.Encoding.DER),
        })
    finally:
        session.close()
    (folder / "pin").write_text("123456")
    yield pades.SignerSpec.from_json({"pkcs11_module": SOFTHSM, "token_label": "ubnd-ha-tinh",
                                      "key_label": "ky-van-ban", "pin_file": "pin"}, folder)


async def test_signing_with_a_key_on_a_pkcs11_token(token: pades.SignerSpec,
                                                    ca: pki.Issued) -> None:
    signed = await sign(token, minutes())
    [check] = await pades.verify(signed, pades.trust_anchors([write(ca)]))
    assert check.verdict == "valid" and check.signer == "UBND tỉnh Hà Tĩnh", check
    wrong = pades.SignerSpec(pkcs11_module=token.pkcs11_module, token_label=token.token_label,
                             key_label=token.key_label, pin="000000")
    with pytest.raises(pades.SignError) as refused:
        pades.load_signer(wrong)
    assert "PIN" in str(refused.value) and "000000" not in str(refused.value)


# -- helpers ------------------------------------------------------------------------------


def write(issued: pki.Issued) -> Path:
    """The certificate as a PEM file, as an operator configures an anchor."""
    folder = Path(os.environ.get("PHONGHOP_TEST_ANCHORS", "")) or None
    assert folder is not None and folder.is_dir()
    path = folder / f"{issued.cert.serial_number}.pem"
    path.write_bytes(issued.pem)
    return path


@pytest.fixture(autouse=True)
def anchors_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "anchors").mkdir()
    monkeypatch.setenv("PHONGHOP_TEST_ANCHORS", str(tmp_path / "anchors"))


def edited_after(signed: bytes, folder: Path) -> bytes:
    """Text added to the first page and saved as an incremental update, as a
    PDF editor does to a signed file."""
    path = folder / "sua.pdf"
    path.write_bytes(signed)
    with pymupdf.open(path) as doc:
        doc[0].insert_text((72, 400), "Bo sung sau khi ky", fontname="helv")
        doc.saveIncr()
    return path.read_bytes()
