"""Which login names an account may have.

A login name is typed on a shared laptop, compared without regard to case,
and shows in audit lines and file names: ASCII letters and digits, with
`.`, `_` or `-` between them ("nguyen.van.an", "maychieu-tang2"). No space,
no slash, no Vietnamese letter (two keyboards spell "ư" two ways), and it
starts and ends with a letter or digit.
"""

from __future__ import annotations

import re

from collab_server.errors import AppError

LONGEST = 100
_ALLOWED = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")


class BadUsername(AppError):
    status = 422
    code = "bad_username"
    default_vi = ("Tên đăng nhập chỉ gồm chữ cái không dấu, chữ số và các dấu . _ -,"
                  " bắt đầu và kết thúc bằng chữ hoặc số, không có dấu cách.")
    default_en = ("A username has only letters a-z, digits and . _ -, starts and ends with"
                  " a letter or digit, and has no space.")


def check_username(username: str) -> str:
    """The name as given, or BadUsername."""
    if len(username) > LONGEST:
        raise BadUsername(f"Tên đăng nhập dài quá {LONGEST} ký tự.",
                          f"A username has at most {LONGEST} characters.")
    if not _ALLOWED.fullmatch(username):
        raise BadUsername()
    return username
