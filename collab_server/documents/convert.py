"""Office files to PDF with LibreOffice, headless.

The extension and the content must agree: LibreOffice itself guesses a
type from the content and happily "converts" random bytes named .docx into
a PDF of garbage text, so we sniff first and refuse a mismatch.

Each call gets its own LibreOffice profile in a fresh temporary folder:
two soffice processes sharing a profile wait on each other's lock or fail.
The profile is seeded with settings that disable macros and never fetch
linked content (an uploaded file must not make the server reach into the
network). soffice runs in its own process group so a timeout kills it and
its children (oosplash, soffice.bin) together.

A fresh profile costs about a second per conversion (measured: 2.1 s with a
new profile against 1.2 s with a reused one); uploads are rare enough.
Each soffice takes a few hundred MB; callers should bound how many run at
once.

An Office file is a zip, and a zip can be a bomb. Before LibreOffice sees
one we read its directory, never its contents: too many members, members
that claim to inflate to more than 1 GiB in all, or one that claims more
than 100 times its compressed size, are refused. A member that lies about
its size is LibreOffice's to catch: it compares what it inflates with what
was declared and refuses the file.

Then every process of a conversion runs under resource limits (see
`Limits`), set in a fresh process just before it becomes soffice, so they
bind soffice.bin and anything it starts, even one that left the process
group. Measured on the Quảng Bình decision (LibreOffice 7.4): soffice.bin
peaks at 454 MB of address space, 211 MB resident, 1.3 s of CPU; a 99 MB
DOCX of 36 twelve-megapixel photos, the heaviest upload we could think of
under the 100 MB upload limit, at 1.23 GB and 19 s. Beyond the limit
LibreOffice either dies (no PDF: the usual conversion error) or, for
images, quietly leaves the picture out; hence a limit well above honest
needs, a backstop against bombs rather than a budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import shutil
import signal
import struct
import sys
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePath

from collab_server.documents.errors import (
    ConversionFailed,
    ConversionTimeout,
    ConverterMissing,
    EncryptedOffice,
    OfficeTooLarge,
    TypeMismatch,
    UnsupportedType,
)

log = logging.getLogger(__name__)

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
MIB = 1024 * 1024

# What an Office package may declare. A long report with photos is a few
# hundred members and a few hundred MB inflated; a sheet's XML compresses
# 10 to 30 times. The ratio is Apache POI's (its ZipSecureFile), checked only
# past 1 MiB: tiny members such as an ODF "mimetype" compress oddly.
MAX_MEMBERS = 10_000
MAX_UNPACKED = 1024 * MIB
MAX_RATIO = 100
_RATIO_GRACE = MIB
# Python's zipfile reads the whole central directory, whatever it holds: a
# 93 MB upload of a million empty members takes 5.5 s and 650 MB of the
# server's event loop. 2 MiB is room for MAX_MEMBERS with long names.
_MAX_DIRECTORY = 2 * MIB
# The end-of-central-directory record, the Zip64 locator and the Zip64 end
# record (APPNOTE.TXT 4.3.14 to 4.3.16), as zipfile reads them.
_END = struct.Struct("<4s4H2LH")
_END64_LOCATOR = struct.Struct("<4sLQL")
_END64 = struct.Struct("<4sQ2H2L4Q")

# Extension -> (container, what must be inside it). For zip files, a folder
# of the Office Open XML package or the ODF mimetype; for OLE (legacy
# binary) files, the name of the stream that holds the document.
_KINDS: dict[str, tuple[bytes, str]] = {
    "docx": (_ZIP, "word/"),
    "xlsx": (_ZIP, "xl/"),
    "pptx": (_ZIP, "ppt/"),
    "odt": (_ZIP, "application/vnd.oasis.opendocument.text"),
    "doc": (_OLE, "WordDocument"),
    "xls": (_OLE, "Workbook"),
    "ppt": (_OLE, "PowerPoint Document"),
}
SUPPORTED = frozenset(_KINDS)
MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
}

_SOFFICE_PATHS = (
    "/usr/lib/libreoffice/program/soffice",
    "/opt/libreoffice/program/soffice",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
)

# Macros off; links never updated on load: Writer's "Update/Link" 0 is
# NEVER (sw UpdateLinks enum), Calc's 1 is LM_NEVER (ScLkUpdMode).
_HARDENED_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop
 oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop
 oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop
 oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Writer/Content/Update"><prop
 oor:name="Link" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Content/Update"><prop
 oor:name="Link" oor:op="fuse"><value>1</value></prop></item>
</oor:items>
"""


@dataclass(frozen=True, slots=True)
class Limits:
    """What each process of a conversion (oosplash, soffice.bin and what they
    start) may use; the timeout bounds them together."""

    memory: int = 2048 * MIB
    """Bytes of address space (RLIMIT_AS): what soffice.bin maps, libraries
    and fonts included, so above its resident size (454 MB mapped for 211 MB
    resident on the fixture)."""
    cpu: int = 120
    """Seconds of CPU time (RLIMIT_CPU): the timeout's twin, which travels
    with any process that escapes the kill."""
    file: int = 1024 * MIB
    """Bytes of the largest file written (RLIMIT_FSIZE): the PDF, and the
    zip members LibreOffice inflates into its temporary folder."""


def extension(filename: str) -> str:
    return PurePath(filename).suffix.lower().lstrip(".")


def supported(filename: str) -> bool:
    """Whether `filename`'s extension is an Office type we convert."""
    return extension(filename) in SUPPORTED


def media_type(filename: str) -> str:
    """The MIME type of a supported Office file, by its extension."""
    ext = extension(filename)
    if ext not in MEDIA_TYPES:
        raise UnsupportedType()
    return MEDIA_TYPES[ext]


def find_soffice() -> str | None:
    """Path of LibreOffice's `soffice`, or None when it is not installed."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    return next((p for p in _SOFFICE_PATHS if os.access(p, os.X_OK)), None)


def sniff(data: bytes, filename: str) -> str:
    """The extension of `filename` once the content is known to match it.

    Raises UnsupportedType, TypeMismatch or EncryptedOffice.
    """
    ext = extension(filename)
    if ext not in _KINDS:
        raise UnsupportedType()
    container, marker = _KINDS[ext]
    if container == _OLE and data.startswith(_OLE):
        # A password-protected DOCX/XLSX/PPTX is an OLE file holding an
        # "EncryptedPackage" stream. OLE stream names are UTF-16LE; finding
        # one in the bytes is a sniff, not a parse, which is all we need to
        # tell a mislabelled file from a real one.
        if _has_ole_stream(data, "EncryptedPackage"):
            raise EncryptedOffice()
        if _has_ole_stream(data, marker):
            return ext
    elif container == _ZIP and data.startswith(_ZIP):
        _check_directory(data)
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if _zip_matches(archive, marker):
                    _check_members(archive)
                    return ext
        # What zipfile raises for a member it cannot read (bad deflate data,
        # an unknown method, encryption): damaged, as far as we are concerned.
        except (zipfile.BadZipFile, EOFError, KeyError, zlib.error, NotImplementedError,
                RuntimeError):
            raise TypeMismatch(
                f"Tệp .{ext} bị hỏng hoặc tải lên chưa hết; vui lòng tải lại tệp gốc.",
                f"The .{ext} file is damaged or was cut off during upload; "
                "upload the original again.",
            ) from None
    elif data.startswith(_OLE) and _has_ole_stream(data, "EncryptedPackage"):
        raise EncryptedOffice()
    raise TypeMismatch(
        f"Nội dung tệp không phải là tệp .{ext} như tên tệp cho biết.",
        f"The content is not a .{ext} file as its name says.",
    )


def _has_ole_stream(data: bytes, name: str) -> bool:
    return name.encode("utf-16-le") in data


def _zip_matches(archive: zipfile.ZipFile, marker: str) -> bool:
    names = archive.namelist()
    if marker.startswith("application/"):
        # ODF: an uncompressed "mimetype" entry names the type.
        if "mimetype" not in names:
            return False
        # Read a few bytes only: the entry could inflate to gigabytes.
        with archive.open("mimetype") as entry:
            return entry.read(200).strip() == marker.encode()
    return "[Content_Types].xml" in names and any(n.startswith(marker) for n in names)


def _check_directory(data: bytes) -> None:
    """Refuse a zip whose central directory is too big to read, before zipfile
    reads it. A zip without an end record is left to zipfile to refuse."""
    found = _directory_size(data)
    if found is None:
        return
    members, size = found
    if members > MAX_MEMBERS or size > _MAX_DIRECTORY:
        raise _too_many()


def _directory_size(data: bytes) -> tuple[int, int] | None:
    """(members, bytes) of the central directory, as the end record declares
    them: the last record in the final 64 KiB, as zipfile finds it."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - _END.size - 0xFFFF))
    if at < 0 or len(data) - at < _END.size:
        return None
    _, _, _, _, members, size, _, _ = _END.unpack_from(data, at)
    start64 = at - _END64_LOCATOR.size - _END64.size
    if start64 >= 0 and data[at - _END64_LOCATOR.size:].startswith(b"PK\x06\x07"):
        record = _END64.unpack_from(data, start64)
        if record[0] == b"PK\x06\x06":
            members, size = record[7], record[8]
    return members, size


def _check_members(archive: zipfile.ZipFile) -> None:
    """Refuse a package that declares too many members or too much inflated."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise _too_many()
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED:
        raise OfficeTooLarge(
            f"Tệp giải nén ra {unpacked // MIB} MB, vượt giới hạn {MAX_UNPACKED // MIB} MB.",
            f"The file unpacks to {unpacked // MIB} MB, over the limit of "
            f"{MAX_UNPACKED // MIB} MB.",
        )
    if any(m.file_size > max(_RATIO_GRACE, MAX_RATIO * m.compress_size) for m in members):
        raise OfficeTooLarge(
            f"Tệp có thành phần nén bất thường (giải nén ra gấp hơn {MAX_RATIO} lần).",
            f"A part of the file is compressed abnormally (it unpacks to more than "
            f"{MAX_RATIO} times its size).",
        )


def _too_many() -> OfficeTooLarge:
    return OfficeTooLarge(
        f"Tệp có hơn {MAX_MEMBERS} thành phần.",
        f"The file holds more than {MAX_MEMBERS} parts.",
    )


async def convert_to_pdf(data: bytes, filename: str, *, timeout: float = 120,
                         limits: Limits | None = None) -> bytes:
    """PDF bytes of an Office file.

    Raises UnsupportedType, TypeMismatch, EncryptedOffice, OfficeTooLarge,
    ConverterMissing, ConversionTimeout or ConversionFailed.
    """
    limits = limits or Limits()
    ext = sniff(data, filename)
    soffice = find_soffice()
    if soffice is None:
        raise ConverterMissing()
    with tempfile.TemporaryDirectory(prefix="phonghop-convert-") as tmp:
        work = Path(tmp)
        profile = work / "profile"
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(_HARDENED_PROFILE)
        # Never the uploader's file name on disk: it may hold anything.
        source = work / f"input.{ext}"
        source.write_bytes(data)
        outdir = work / "out"
        outdir.mkdir()
        command = [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            str(source),
        ]
        # TMPDIR too: LibreOffice inflates zip members into temporary files,
        # which go with the folder, whatever becomes of soffice.
        env = {**os.environ, "HOME": str(work), "TMPDIR": str(work), "SAL_USE_VCLPLUGIN": "svp"}
        status, output = await _run(command, env, timeout, limits)
        result = outdir / "input.pdf"
        pdf = result.read_bytes() if result.is_file() else b""
        # A PDF cut off (by the file size limit, or a crash while writing) has
        # no %%EOF at its end; it would otherwise be refused later as a
        # damaged upload, which the user did not send.
        if not pdf.startswith(b"%PDF-") or b"%%EOF" not in pdf[-1024:]:
            # For the operator; the user gets the plain message, not our paths.
            log.warning(
                "conversion failed",
                extra={"ext": ext, "status": status,
                       "soffice": output.decode("utf-8", "replace")[-500:]},
            )
            raise ConversionFailed()
        return pdf


# Run in a fresh process, which sets the limits and then becomes soffice. Not
# preexec_fn: it runs between fork and exec of a threaded server, which
# Python documents as unsafe. Never above a hard limit already set (by
# systemd's LimitAS=, say), which an unprivileged process cannot raise.
_WITH_LIMITS = """\
import os, resource, sys
for name, value in zip(("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_CORE"), sys.argv[1:5]):
    kind = getattr(resource, name)
    hard = resource.getrlimit(kind)[1]
    value = int(value) if hard == resource.RLIM_INFINITY else min(int(value), hard)
    resource.setrlimit(kind, (value, value))
os.execv(sys.argv[5], sys.argv[5:])
"""


def _limited(command: list[str], limits: Limits) -> list[str]:
    """`command` run under `limits`; no core files, which would be as large as
    the memory limit."""
    return [sys.executable, "-I", "-S", "-c", _WITH_LIMITS,
            str(limits.memory), str(limits.cpu), str(limits.file), "0", *command]


async def _run(command: list[str], env: dict[str, str], timeout: float, limits: Limits
               ) -> tuple[int | None, bytes]:
    proc = await asyncio.create_subprocess_exec(
        *_limited(command, limits),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    try:
        output, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        raise ConversionTimeout() from None
    finally:
        # Also on cancellation: no soffice may outlive its temporary folder.
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
    return proc.returncode, output
