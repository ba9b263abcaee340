"""PAdES signatures: signing the body's documents, and reading the
signatures of the PDFs people upload (pyHanko).

Signing. The certificate and key are the body's, from a PKCS#12 file or
from a PKCS#11 token or HSM (`SignerSpec`); nothing here keeps a key. The
signature is visible where Decree 30 puts it: in the space between the
signer's title and name of the signature block (`signature_box` finds it in
the rendered document), with "Ký bởi", the title and the time in Vietnam's
time zone. PAdES baseline (ETSI.CAdES.detached), SHA-256.

Verifying. For every signature of a PDF: who signed (the certificate's
subject), when (the time the signer reported, and a trusted timestamp when
there is one), whether the signed bytes are intact, whether the file was
changed after signing in a way the signature does not allow, and whether
the certificate chains to one of the trust anchors the deployment
configured (the national CA roots are configuration, not code), and was
valid. `Check.verdict` and `Check.words` say it in one word and in
Vietnamese.

Both are CPU work of a few tens of milliseconds (RSA, hashing the file) and
PKCS#11 calls that block: run them in a thread or the worker processes.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pymupdf
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext

from collab_server.domain.calendar import LOCAL_TZ

MM = 72 / 25.4
# The visible signature: as wide as a signature block's column allows.
STAMP_WIDTH = 62 * MM
STAMP_FONT_SIZE = 8
_SERIF = Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf")


class SignError(Exception):
    """The document could not be signed (key, token, certificate); the
    message says what, in Vietnamese, without secrets."""


# -- the signer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SignerSpec:
    """Where a body's key is. `pkcs12`: a file and its passphrase; or
    `pkcs11_module` (the token's library, e.g. SoftHSM2's or the HSM
    vendor's), the token's label, the key's label and the PIN. The
    certificate is read from the token (`cert_label`, default the key's
    label) or from `cert_file`."""

    pkcs12: Path | None = None
    passphrase: bytes | None = field(default=None, repr=False)
    pkcs11_module: str | None = None
    token_label: str | None = None
    key_label: str | None = None
    cert_label: str | None = None
    cert_file: Path | None = None
    pin: str | None = field(default=None, repr=False)

    @classmethod
    def from_json(cls, raw: dict[str, Any], base: Path) -> SignerSpec:
        """From a body's entry of the signing configuration; secrets come from
        files named there (`passphrase_file`, `pin_file`), never inline."""

        def path(key: str) -> Path | None:
            value = raw.get(key)
            return None if value is None else (base / str(value)).resolve()

        def secret(key: str) -> str | None:
            where = path(key)
            return None if where is None else where.read_text(encoding="utf-8").strip()

        passphrase = secret("passphrase_file")
        return cls(
            pkcs12=path("pkcs12"),
            passphrase=None if passphrase is None else passphrase.encode(),
            pkcs11_module=raw.get("pkcs11_module"), token_label=raw.get("token_label"),
            key_label=raw.get("key_label"), cert_label=raw.get("cert_label"),
            cert_file=path("cert_file"), pin=secret("pin_file"),
        )


def load_signer(spec: SignerSpec) -> signers.Signer:
    """The signer for `spec`. PKCS#11: the session stays open for the
    signer's life (close it with `close_signer`)."""
    if spec.pkcs12 is not None:
        try:
            signer: signers.Signer | None = signers.SimpleSigner.load_pkcs12(  # type: ignore[no-untyped-call]
                str(spec.pkcs12), passphrase=spec.passphrase)
        except (OSError, ValueError) as err:
            raise SignError("Không mở được tệp chứng thư số (PKCS#12) của cơ quan.") from err
        if signer is None:
            raise SignError("Không mở được tệp chứng thư số (PKCS#12) của cơ quan: sai mật khẩu"
                            " hoặc tệp hỏng.")
        return signer
    if spec.pkcs11_module is not None:
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

        try:
            session = open_pkcs11_session(spec.pkcs11_module,
                                          token_criteria=TokenCriteria(label=spec.token_label),
                                          user_pin=spec.pin)
        except Exception as err:  # the PKCS#11 library's own errors, many kinds
            raise SignError("Không mở được thiết bị ký số (PKCS#11): kiểm tra thiết bị,"
                            " nhãn và mã PIN.") from err
        cert = _certificates(spec.cert_file.read_bytes())[0] if spec.cert_file else None
        return PKCS11Signer(session, key_label=spec.key_label,
                            cert_label=None if cert else (spec.cert_label or spec.key_label),
                            signing_cert=cert)
    raise SignError("Cơ quan chưa được cấu hình chứng thư số để ký.")


def signing_config(path: Path) -> dict[str, SignerSpec]:
    """The bodies' keys, by body code, from the operator's JSON file:
    `{"bodies": {"ubnd-ha-tinh": {"pkcs12": "ubnd.p12", "passphrase_file":
    "ubnd.pass"}, ...}}`; paths relative to the file's folder."""
    import json

    raw = json.loads(path.read_text(encoding="utf-8"))
    return {str(code): SignerSpec.from_json(entry, path.parent)
            for code, entry in dict(raw.get("bodies", {})).items()}


def close_signer(signer: signers.Signer) -> None:
    session = getattr(signer, "pkcs11_session", None)
    if session is not None:
        session.close()


# -- signing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    page: int  # from 0
    box: tuple[float, float, float, float]  # PDF user space: x0, y0 (bottom), x1, y1


def signature_box(pdf: bytes, title: str, name: str) -> Placement:
    """Where the visible signature of the block `title` … `name` goes: the
    space between them (Decree 30), found in the rendered document, last
    page first. PDF coordinates, origin at the bottom left."""
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        for page in reversed(list(doc)):
            names = page.search_for(name)
            titles = [t for t in page.search_for(title.split("\n")[-1])]
            for found in names:
                above = [t for t in titles if t.y1 <= found.y0 + 1
                         and abs((t.x0 + t.x1) / 2 - (found.x0 + found.x1) / 2) < 80]
                if not above:
                    continue
                top = max(above, key=lambda t: t.y1)
                centre = (found.x0 + found.x1) / 2
                x0 = max(0.0, centre - STAMP_WIDTH / 2)
                x1 = min(page.rect.width, centre + STAMP_WIDTH / 2)
                y_top, y_bottom = top.y1 + 3, found.y0 - 3
                height = page.rect.height
                return Placement(page.number, (x0, height - y_bottom, x1, height - y_top))
    raise SignError("Không tìm thấy chỗ ký (chức danh và họ tên người ký) trong văn bản.")


@cache
def _stamp_font() -> bytes:
    """Liberation Serif at 1,000 units per em: pyHanko writes the glyph
    widths as the font gives them, and the PDF reads them per 1,000 (at
    Liberation's own 2,048 the letters spread out)."""
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    font = TTFont(str(_SERIF))
    scale_upem(font, 1000)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


class _SerifFactory(FontEngineFactory):
    """The stamp's font from memory (pyHanko's own factory opens a file per
    signature and leaves it open)."""

    def create_font_engine(self, writer: BasePdfFileWriter,
                           obj_stream: Any = None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()  # type: ignore[no-untyped-call]
        return GlyphAccumulator(writer=writer, font_handle=io.BytesIO(_stamp_font()),
                                font_size=STAMP_FONT_SIZE, obj_stream=obj_stream)


def _style() -> TextStampStyle:
    return TextStampStyle(
        stamp_text="Ký bởi: %(name)s\n%(title)s\nThời gian: %(when)s",
        text_box_style=TextBoxStyle(font=_SerifFactory(), font_size=STAMP_FONT_SIZE),
        border_width=0,
    )


async def sign(pdf: bytes, signer: signers.Signer, where: Placement, *, name: str, title: str,
               reason: str, location: str, field_name: str = "ChuKy") -> bytes:
    """`pdf` with a visible PAdES signature at `where` (an incremental
    update: the bytes before it are the document as it was)."""
    when = datetime.now(LOCAL_TZ).strftime("%d/%m/%Y %H:%M:%S %z")
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, reason=reason, location=location, name=name,
        subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256")
    box = tuple(round(v) for v in where.box)
    spec = fields.SigFieldSpec(field_name, on_page=where.page,
                               box=(box[0], box[1], box[2], box[3]))
    pdf_signer = signers.PdfSigner(meta, signer, stamp_style=_style(), new_field_spec=spec)
    try:
        out = await pdf_signer.async_sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False),
            appearance_text_params={"name": name, "title": title.replace("\n", " "),
                                    "when": when})
    except SigningError as err:
        raise SignError("Ký số không thành công: chứng thư hoặc khóa không dùng được.") from err
    data: bytes = out.getvalue()
    return data


def sign_blocking(pdf: bytes, spec: SignerSpec, *, title: str, name: str, reason: str,
                  location: str, field_name: str = "ChuKy") -> tuple[bytes, str]:
    """For a worker process: open the body's key, sign `pdf` in the block
    `title` … `name`, close the key; the signed bytes and the certificate's
    subject."""
    signer = load_signer(spec)
    try:
        where = signature_box(pdf, title, name)
        signed = asyncio.run(sign(pdf, signer, where, name=name, title=title, reason=reason,
                                  location=location, field_name=field_name))
        cert = signer.signing_cert
        subject = str(cert.subject.human_friendly) if cert is not None else ""
        return signed, subject
    finally:
        close_signer(signer)


# -- verifying ----------------------------------------------------------------------------


def _certificates(data: bytes) -> list[asn1_x509.Certificate]:
    """Certificates of a PEM (one or many) or DER file."""
    if pem.detect(data):
        return [asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
    return [asn1_x509.Certificate.load(data)]


def trust_anchors(files: Iterable[Path]) -> list[asn1_x509.Certificate]:
    anchors: list[asn1_x509.Certificate] = []
    for path in files:
        anchors += _certificates(path.read_bytes())
    return anchors


@dataclass(frozen=True)
class Check:
    """One signature of a document, as a reader is told about it."""

    field: str
    signer: str
    organisation: str | None
    signed_at: str | None  # as the signer's device reported it
    timestamp: str | None  # from a trusted time-stamping authority, if any
    intact: bool  # the signed bytes are those the signer signed
    changed_after: bool  # the file was changed after signing beyond what is allowed
    covers_whole: bool  # nothing at all was added after this signature
    trusted: bool  # the certificate chains to a configured anchor
    expired: bool  # …but was not valid (expired, or not yet valid) when checked
    verdict: str  # valid | changed | broken | expired | untrusted

    @property
    def words(self) -> str:
        return WORDS[self.verdict]

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field, "signer": self.signer, "organisation": self.organisation,
            "signed_at": self.signed_at, "timestamp": self.timestamp, "intact": self.intact,
            "changed_after": self.changed_after, "covers_whole": self.covers_whole,
            "trusted": self.trusted, "expired": self.expired, "verdict": self.verdict,
            "words": self.words,
        }


WORDS = {
    "valid": "Chữ ký hợp lệ: văn bản không bị thay đổi sau khi ký, chứng thư số được tin cậy.",
    "changed": "Văn bản đã bị thay đổi sau khi ký.",
    "broken": "Chữ ký không hợp lệ: nội dung đã ký không còn nguyên vẹn.",
    "expired": "Chứng thư số của người ký đã hết hạn hoặc chưa có hiệu lực.",
    "untrusted": "Chứng thư số không thuộc tổ chức cung cấp dịch vụ chứng thực được tin cậy.",
}


def _subject(cert: asn1_x509.Certificate, key: str) -> str | None:
    value = cert.subject.native.get(key)
    return None if value is None else str(value)


def _check(name: str, status: PdfSignatureStatus) -> Check:
    from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    cert = status.signing_cert
    problem = status.trust_problem_indic
    expired = problem in (AdESIndeterminate.EXPIRED, AdESIndeterminate.NOT_YET_VALID,
                          AdESFailure.NOT_YET_VALID, AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
                          AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED)
    intact = bool(status.intact and status.valid)
    covers_whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    changed_after = not covers_whole and (
        status.coverage != SignatureCoverageLevel.ENTIRE_REVISION
        or status.docmdp_ok is False
        or (status.modification_level is not None
            and status.modification_level > ModificationLevel.FORM_FILLING))
    trusted = bool(status.trusted)
    verdict = ("broken" if not intact else "changed" if changed_after
               else "expired" if expired else "valid" if trusted else "untrusted")
    stamp = status.timestamp_validity
    return Check(
        field=name, signer=_subject(cert, "common_name") or cert.subject.human_friendly,
        organisation=_subject(cert, "organization_name"),
        signed_at=status.signer_reported_dt.astimezone(LOCAL_TZ).isoformat()
        if status.signer_reported_dt else None,
        timestamp=stamp.timestamp.astimezone(LOCAL_TZ).isoformat() if stamp else None,
        intact=intact, changed_after=changed_after, covers_whole=covers_whole,
        trusted=trusted, expired=expired, verdict=verdict,
    )


async def verify(pdf: bytes, anchors: Sequence[asn1_x509.Certificate],
                 *, at: datetime | None = None) -> list[Check]:
    """Every signature of `pdf`, in the order they were made; [] for a PDF
    without signatures. Nothing is fetched from the network: revocation is
    not checked here (the anchors and the chain are)."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception:  # a PDF pyHanko cannot read is one with nothing to show
        return []
    checks = []
    for sig in embedded:
        context = ValidationContext(trust_roots=list(anchors), allow_fetching=False,
                                    moment=at, revocation_mode="soft-fail")
        try:
            status = await async_validate_pdf_signature(sig, context)
        except Exception:
            checks.append(Check(field=str(sig.field_name), signer="", organisation=None,
                                signed_at=None, timestamp=None, intact=False,
                                changed_after=False, covers_whole=False, trusted=False,
                                expired=False, verdict="broken"))
            continue
        checks.append(_check(str(sig.field_name), status))
    return checks


def verify_blocking(pdf: bytes, anchors: Sequence[bytes]) -> list[Check]:
    """`verify` for a worker process or thread; the anchors as DER bytes
    (asn1crypto's objects do not cross to another process)."""
    return asyncio.run(verify(pdf, [asn1_x509.Certificate.load(der) for der in anchors]))
