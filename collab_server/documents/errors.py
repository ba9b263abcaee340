"""Errors of the document engine: what is wrong with an uploaded file, or why
a page cannot be shown.

Every class is an `AppError`, so the HTTP layer turns it into the usual JSON
body. Codes are stable; tests pin them.
"""

from __future__ import annotations

from collab_server.errors import AppError, NotFound
from collab_server.status import Close


class DocumentError(AppError):
    """Base of the document errors."""


# Upload: what the file is.


class NotPdf(DocumentError):
    status = 415
    code = "not_pdf"
    default_vi = "Tệp không phải là PDF."
    default_en = "The file is not a PDF."


class CorruptPdf(DocumentError):
    status = 422
    code = "corrupt_pdf"
    default_vi = "Tệp PDF bị hỏng hoặc tải lên chưa hết; vui lòng tải lại tệp gốc."
    default_en = "The PDF is damaged or was cut off during upload; upload the original again."


class EncryptedPdf(DocumentError):
    status = 422
    code = "encrypted_pdf"
    default_vi = "Tệp PDF có mật khẩu; vui lòng gỡ mật khẩu rồi tải lên lại."
    default_en = "The PDF is password-protected; remove the password and upload it again."


class RestrictedPdf(DocumentError):
    """An owner password that forbids printing or copying. We could not keep
    that promise (readers copy text, export annotated copies, download), and
    dropping it without a word would betray the author: refused."""

    status = 422
    code = "restricted_pdf"
    default_vi = (
        "Tệp PDF bị chủ sở hữu khóa quyền in hoặc sao chép; hệ thống không giữ được các giới "
        "hạn này cho người đọc. Vui lòng xin bản không khóa quyền từ nơi ban hành rồi tải lên."
    )
    default_en = (
        "The PDF's owner forbids printing or copying; the system cannot keep those limits for "
        "readers. Ask its issuer for an unrestricted copy and upload that."
    )


class EmptyPdf(DocumentError):
    status = 422
    code = "empty_pdf"
    default_vi = "Tệp PDF không có trang nào."
    default_en = "The PDF has no pages."


class TooManyPages(DocumentError):
    status = 413
    close_code = Close.TOO_LARGE
    code = "too_many_pages"
    default_vi = "Tài liệu có quá nhiều trang."
    default_en = "The document has too many pages."


class BadPageSize(DocumentError):
    status = 422
    code = "bad_page_size"
    default_vi = "Tài liệu có trang với kích thước bất thường."
    default_en = "The document has a page of implausible size."


# Office conversion.


class UnsupportedType(DocumentError):
    status = 415
    code = "unsupported_type"
    default_vi = (
        "Định dạng tệp không được hỗ trợ (chỉ nhận PDF, DOC, DOCX, ODT, XLS, XLSX, PPT, PPTX)."
    )
    default_en = "Unsupported file type (PDF, DOC, DOCX, ODT, XLS, XLSX, PPT, PPTX only)."


class TypeMismatch(DocumentError):
    status = 415
    code = "type_mismatch"
    default_vi = "Nội dung tệp không khớp với phần mở rộng của tên tệp."
    default_en = "The file's content does not match its extension."


class EncryptedOffice(DocumentError):
    status = 422
    code = "encrypted_office"
    default_vi = "Tệp Office có mật khẩu; vui lòng gỡ mật khẩu rồi tải lên lại."
    default_en = "The Office file is password-protected; remove the password and upload it again."


class OfficeTooLarge(DocumentError):
    """A zip bomb, or close enough: judged by what the package declares."""

    status = 413
    close_code = Close.TOO_LARGE
    code = "office_too_large"
    default_vi = "Tệp Office giải nén ra quá lớn."
    default_en = "The Office file unpacks to too much."


class ConversionFailed(DocumentError):
    status = 422
    code = "conversion_failed"
    default_vi = (
        "Không chuyển được tệp sang PDF; vui lòng mở tệp, lưu lại hoặc xuất PDF rồi tải lên."
    )
    default_en = (
        "The file could not be converted to PDF; re-save it or export a PDF and upload that."
    )


class ConversionTimeout(ConversionFailed):
    code = "conversion_timeout"
    default_vi = "Chuyển tệp sang PDF quá lâu nên đã dừng; vui lòng xuất PDF rồi tải lên."
    default_en = "Converting the file to PDF took too long and was stopped; upload a PDF instead."


class ConverterMissing(DocumentError):
    status = 503
    close_code = Close.TRY_AGAIN_LATER
    code = "converter_missing"
    default_vi = (
        "Máy chủ chưa cài LibreOffice nên chưa nhận được tệp Office; quản trị viên cần cài "
        "libreoffice-writer-nogui, libreoffice-calc-nogui và libreoffice-impress-nogui. "
        "Trong lúc chờ, vui lòng tải lên bản PDF."
    )
    default_en = (
        "LibreOffice is not installed on the server, so Office files cannot be accepted; the "
        "operator must install libreoffice-writer-nogui, libreoffice-calc-nogui and "
        "libreoffice-impress-nogui. Meanwhile, upload a PDF."
    )


# Showing pages.


class PageNotFound(DocumentError, NotFound):
    code = "page_not_found"
    default_vi = "Tài liệu không có trang này."
    default_en = "The document has no such page."


class BadWidth(DocumentError):
    code = "bad_width"
    default_vi = "Độ rộng ảnh trang không được hỗ trợ."
    default_en = "Unsupported page image width."


class BadImageFormat(DocumentError):
    code = "bad_image_format"
    default_vi = "Định dạng ảnh không được hỗ trợ (chỉ WebP hoặc PNG)."
    default_en = "Unsupported image format (WebP or PNG only)."


class RenderFailed(DocumentError):
    status = 422
    code = "render_failed"
    default_vi = "Không hiển thị được trang này của tài liệu."
    default_en = "This page of the document could not be rendered."
