"""Text as spreadsheets save it: which encoding a file of bytes is in (``detect_encoding``,
in one streaming pass), the text itself (``decode_text``), and a readable file over pieces
of bytes (``PiecesReader``), so that ``io.TextIOWrapper`` decodes a stream as it comes."""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterable

import charset_normalizer

from ml.errors import DataError

# The encodings spreadsheets write: Excel's "CSV UTF-8" (with a BOM) and plain UTF-8,
# "Unicode text" (UTF-16 with a BOM), and "CSV" on Windows (Windows-1252, whose
# printable range covers Latin-1's). charset-normalizer chooses among these only: left
# to all its code pages, it reads a Windows file of curly apostrophes as Central European.
SPREADSHEET_ENCODINGS = ("utf_8", "utf_16", "utf_16_le", "utf_16_be", "utf_32", "cp1252", "latin_1")
UNREADABLE_TEXT = (
    "the file is not text in an encoding spreadsheets write (UTF-8, UTF-16, Windows-1252): "
    "save it as 'CSV UTF-8'"
)
SNIFF_BYTES = 1024 * 1024  # what charset-normalizer is shown of a file that is not UTF-8
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def detect_encoding(pieces: Iterable[bytes]) -> tuple[str, bool]:
    """(Python codec, began with a BOM) of text read in pieces.

    UTF-8 (with or without a BOM) when every piece decodes as such, checked in one
    streaming pass; anything else is given to charset-normalizer, limited to
    ``SPREADSHEET_ENCODINGS``, on the first ``SNIFF_BYTES``; when it finds none fitting
    (a short file), Windows-1252. A codec that drops the BOM is returned (``utf-8-sig``).
    """
    head, utf8 = b"", True
    decoder = codecs.getincrementaldecoder("utf-8")()
    for piece in pieces:
        if len(head) < SNIFF_BYTES:
            head += bytes(piece[: SNIFF_BYTES - len(head)])
        if utf8:
            try:
                decoder.decode(piece)
            except UnicodeDecodeError:
                utf8 = False
        if not utf8 and len(head) >= SNIFF_BYTES:
            break
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    bom = head.startswith(_BOMS)
    # A NUL is no character of a text table; it is every other byte of UTF-16, which is
    # also valid UTF-8.
    if utf8 and b"\x00" not in head[:4096]:
        return "utf-8-sig", bom
    match = charset_normalizer.from_bytes(head, cp_isolation=list(SPREADSHEET_ENCODINGS)).best()
    encoding = match.encoding if match is not None else "cp1252"
    if bom and encoding.startswith(("utf_16", "utf_8")):
        # The codecs that read the BOM and drop it.
        encoding = "utf_16" if encoding.startswith("utf_16") else "utf-8-sig"
    return encoding, bom


def decode_text(data: bytes) -> str:
    """Bytes of a CSV/TSV file as text, whatever encoding a spreadsheet saved it in
    (``detect_encoding``); a BOM is dropped. Raises ``DataError`` (``UNREADABLE_TEXT``) for
    bytes none of these decode (a binary file)."""
    encoding, _ = detect_encoding([data])
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise DataError(UNREADABLE_TEXT) from None
    if "\x00" in text:
        raise DataError(UNREADABLE_TEXT)
    return text.lstrip("\ufeff")


class PiecesReader(io.RawIOBase):
    """A readable file over an iterable of byte pieces, so that ``io.TextIOWrapper``
    decodes them as they come."""

    def __init__(self, pieces: Iterable[bytes]):
        self._pieces, self._pending = iter(pieces), b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            try:
                self._pending = bytes(next(self._pieces))
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n
