"""Optional features and what each needs beyond the package itself, checked
once at start so that a missing part is named there, not found by the first
person who uses it in a meeting.

Single sign-on and the Redis relay run on the runtime dependencies; they
are checked anyway because a deployment may strip or pin packages. Office
conversion needs LibreOffice from the operating system: without it the server
still runs and accepts PDFs, and says so.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from collab_server.config import Settings

OFFICE_PACKAGES = ("libreoffice-writer-nogui libreoffice-calc-nogui "
                   "libreoffice-impress-nogui")


@dataclass(frozen=True)
class Missing:
    feature: str
    message: str
    # Fatal: the operator turned the feature on and it cannot work; the
    # server does not start half configured.
    fatal: bool


def _module_missing(module: str) -> str | None:
    """The name of the package that is missing for `module`, if one is."""
    try:
        importlib.import_module(module)
    except ImportError as exc:
        return (exc.name or module).split(".")[0]
    return None


def check(settings: Settings) -> list[Missing]:
    from collab_server.documents.convert import find_soffice

    found: list[Missing] = []
    switched_on = (
        (settings.oidc_issuer, "sso", "authlib.integrations.starlette_client",
         "Đăng nhập một lần (PHONGHOP_OIDC_ISSUER)"),
        (settings.redis_url, "redis", "redis.asyncio", "Chạy nhiều máy chủ (REDIS_URL)"),
        (settings.gateway_url, "gateway", "httpx", "Tin nhắn SMS/Zalo (PHONGHOP_GATEWAY_URL)"),
    )
    for on, feature, module, what in switched_on:
        name = _module_missing(module) if on else None
        if name:
            found.append(Missing(
                feature, f"{what} cần gói Python '{name}', chưa được cài. "
                "Cài lại phần mềm: pip install phonghop.", fatal=True))
    if find_soffice() is None:
        found.append(Missing(
            "office", "Chưa cài LibreOffice: chỉ nhận tài liệu PDF, tệp Word, Excel, "
            "PowerPoint sẽ bị từ chối. Cài trên Debian/Ubuntu: "
            f"apt-get install {OFFICE_PACKAGES}", fatal=False))
    return found
