"""What a new password must be: long enough, and not what a guesser tries first.

The rules of NIST SP 800-63B: a minimum length and a list of passwords known
to be guessed (the most common ones, Vietnamese favourites, words of this
system and of the person), no rules about digits and symbols, which only
make people write "Matkhau@123". Every place a password is set (the
`create-user` command, an admin adding a user) calls `check_password`.

Comparisons ignore case, diacritics and everything but letters and digits,
so "Mật khẩu@123" is "matkhau123" and "P@ssw0rd!" is "pssw0rd".
"""

from __future__ import annotations

import unicodedata

from collab_server.errors import AppError

MIN_LENGTH = 10
# A part of a person's name shorter than this ("An", "Thị", "Văn") is in too
# many honest passwords to refuse.
_MIN_NAME_PART = 4
# The longest unit whose repetition counts as a repeated character ("aaaa",
# "abab", "123123...").
_MAX_UNIT = 3

# Top entries of the public lists of leaked passwords (SecLists, NordPass,
# Have I Been Pwned), what Vietnamese users are known to favour, and the
# words of this system. Short entries still matter: "password!!" is
# "password" once punctuation is set aside.
_COMMON = (
    "123456", "12345678", "123456789", "1234567890", "12345678910", "0123456789",
    "987654321", "0987654321", "123123123", "123456789a", "a123456789", "123456a",
    "1234567a", "12345678a", "1234567890a", "abc123456", "abcd1234", "abc@123",
    "abc@12345", "1q2w3e4r", "1q2w3e4r5t", "1qaz2wsx", "zaq12wsx", "qwerty",
    "qwerty123", "qwerty12345", "qwertyuiop", "asdfghjkl", "zxcvbnm", "password",
    "password1", "password123", "password@123", "passw0rd", "p@ssw0rd", "p@ssword",
    "iloveyou", "iloveyou123", "letmein", "welcome", "welcome123", "welcome@123",
    "admin", "admin123", "admin@123", "admin12345", "administrator", "root@123",
    "changeme", "default", "secret", "superman", "dragon", "monkey", "football",
    "matkhau", "matkhau123", "matkhau@123", "matkhaumoi", "doimatkhau", "anhyeuem",
    "anhyeuem123", "emyeuanh", "yeuem", "yeuanh", "vietnam", "vietnam123",
    "vietnam@123", "hanoi", "hanoi123", "saigon", "saigon123", "hochiminh",
    "66668888", "68686868", "88888888", "99999999",
    "phonghop", "phonghop123", "phonghop@123", "phonghopkhonggiay", "khonggiay",
    "ubnd", "ubnd123", "ubnd@123", "quantri", "quantri123", "thuky123", "chutoa123",
    "daibieu123", "congchuc", "congchuc123",
)


class WeakPassword(AppError):
    status = 422
    code = "weak_password"
    default_vi = "Mật khẩu quá dễ đoán; vui lòng chọn mật khẩu khác."
    default_en = "The password is too easy to guess; choose another."


def check_password(password: str, *, username: str = "", full_name: str = "") -> None:
    """Raise WeakPassword, with the reason, unless `password` may be set for
    the person with this username and name."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Mật khẩu cần ít nhất {MIN_LENGTH} ký tự.",
                           f"Passwords need at least {MIN_LENGTH} characters.")
    letters = _fold(password)
    if any(_repeats(letters, size) for size in range(1, _MAX_UNIT + 1)):
        raise WeakPassword("Mật khẩu không được là một ký tự (hay vài ký tự) lặp lại.",
                           "A password cannot be one character (or a few) repeated.")
    plain = _plain(password)
    if plain in _COMMON_PLAIN:
        raise WeakPassword("Mật khẩu này quá phổ biến, dễ bị đoán ra; vui lòng chọn mật khẩu khác.",
                           "This password is too common and easily guessed; choose another.")
    login = _plain(username)
    if len(login) >= _MIN_NAME_PART and login in plain:
        raise WeakPassword("Mật khẩu không được chứa tên đăng nhập.",
                           "A password cannot contain the username.")
    parts = [_plain(part) for part in full_name.split()]
    if any(len(part) >= _MIN_NAME_PART and part in plain for part in [*parts, "".join(parts)]):
        raise WeakPassword("Mật khẩu không được chứa họ tên của người dùng.",
                           "A password cannot contain the person's name.")


def _fold(text: str) -> str:
    """Lower case, without diacritics, đ as d."""
    text = text.lower().replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _plain(text: str) -> str:
    """Folded, letters and digits only."""
    return "".join(c for c in _fold(text) if c.isalnum())


def _repeats(text: str, size: int) -> bool:
    unit = text[:size]
    return len(text) > size and (unit * (len(text) // size + 1))[:len(text)] == text


_COMMON_PLAIN = frozenset(_plain(p) for p in _COMMON)
