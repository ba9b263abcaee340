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
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import shutil
import signal
import tempfile
import zipfile
from pathlib import Path, PurePath

from collab_server.documents.errors import (
    ConversionFailed,
    ConversionTimeout,
    ConverterMissing,
    EncryptedOffice,
    TypeMismatch,
    UnsupportedType,
)

log = logging.getLogger(__name__)

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"

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
        if _zip_matches(data, marker):
            return ext
    elif data.startswith(_OLE) and _has_ole_stream(data, "EncryptedPackage"):
        raise EncryptedOffice()
    raise TypeMismatch(
        f"Nội dung tệp không phải là tệp .{ext} như tên tệp cho biết.",
        f"The content is not a .{ext} file as its name says.",
    )


def _has_ole_stream(data: bytes, name: str) -> bool:
    return name.encode("utf-16-le") in data


def _zip_matches(data: bytes, marker: str) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if marker.startswith("application/"):
                # ODF: an uncompressed "mimetype" entry names the type.
                if "mimetype" not in names:
                    return False
                # Read a few bytes only: the entry could inflate to gigabytes.
                with archive.open("mimetype") as entry:
                    return entry.read(200).strip() == marker.encode()
            return "[Content_Types].xml" in names and any(n.startswith(marker) for n in names)
    except (zipfile.BadZipFile, EOFError, KeyError):
        return False


async def convert_to_pdf(data: bytes, filename: str, *, timeout: float = 120) -> bytes:
    """PDF bytes of an Office file.

    Raises UnsupportedType, TypeMismatch, EncryptedOffice, ConverterMissing,
    ConversionTimeout or ConversionFailed.
    """
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
        env = {**os.environ, "HOME": str(work), "SAL_USE_VCLPLUGIN": "svp"}
        output = await _run(command, env, timeout)
        result = outdir / "input.pdf"
        pdf = result.read_bytes() if result.is_file() else b""
        if not pdf.startswith(b"%PDF-"):
            # For the operator; the user gets the plain message, not our paths.
            log.warning(
                "conversion failed",
                extra={"ext": ext, "soffice": output.decode("utf-8", "replace")[-500:]},
            )
            raise ConversionFailed()
        return pdf


async def _run(command: list[str], env: dict[str, str], timeout: float) -> bytes:
    proc = await asyncio.create_subprocess_exec(
        *command,
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
    return output
