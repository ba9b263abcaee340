"""The few lib0 encodings the Yjs protocols use, with bounds checks.

pycrdt's `Decoder` trusts its input; frames from the network are not
trusted, so reading goes through `Reader`, which raises `ProtocolError` on
truncated or overlong input instead of `IndexError`.
"""

from __future__ import annotations

from collab_server.errors import ProtocolError

# JavaScript numbers are exact up to 2**53; lib0 varuints never go beyond.
_MAX_VARUINT_BITS = 53


class Reader:
    __slots__ = ("_data", "_pos")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    @property
    def done(self) -> bool:
        return self._pos >= len(self._data)

    def var_uint(self) -> int:
        value = 0
        shift = 0
        data = self._data
        while True:
            if self._pos >= len(data):
                raise ProtocolError("Khung dữ liệu bị cắt cụt.", "Truncated varuint.")
            byte = data[self._pos]
            self._pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7
            if shift >= _MAX_VARUINT_BITS + 7:
                raise ProtocolError("Số nguyên quá dài.", "Varuint too long.")

    def var_bytes(self) -> bytes:
        length = self.var_uint()
        end = self._pos + length
        if end > len(self._data):
            raise ProtocolError("Khung dữ liệu bị cắt cụt.", "Truncated payload.")
        chunk = self._data[self._pos : end]
        self._pos = end
        return chunk

    def var_string(self) -> str:
        try:
            return self.var_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError("Chuỗi không phải UTF-8.", "String is not UTF-8.") from exc


def var_uint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


def var_bytes(payload: bytes) -> bytes:
    return var_uint(len(payload)) + payload


def var_string(text: str) -> bytes:
    return var_bytes(text.encode("utf-8"))
