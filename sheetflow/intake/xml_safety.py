"""The byte checks on a part's XML text: refuse DTDs (DOCTYPE, ENTITY) and encodings Excel never writes.

They run on the raw bytes of every part as it is decompressed, before any XML
parser sees it, so an entity bomb or an external entity never reaches a parser;
an encoding other than UTF-8 or UTF-16 is refused because it could spell a
DOCTYPE in bytes this scan would not recognise. Standard library only.
"""

from __future__ import annotations

import codecs
import re

from .codes import RESEND, Code, Rejected

ODD_ENCODING = ("Part of this file uses a text encoding that Excel never uses; "
                f"it may be a deliberately harmful file, so it was refused; {RESEND}.")
DOCTYPE = ("This file contains hidden XML instructions (a DOCTYPE or ENTITY declaration) that Excel never "
           "writes and that are used to attack spreadsheet readers, so it was refused; "
           "ask the partner to save a fresh copy from Excel.")


def text_encoding(start: bytes) -> str:
    """The encoding an XML parser would detect from a part's first bytes (UTF-8 unless UTF-16)."""
    if start.startswith((codecs.BOM_UTF16_LE, b"<\x00")):
        return "utf-16-le"
    if start.startswith((codecs.BOM_UTF16_BE, b"\x00<")):
        return "utf-16-be"
    return "utf-8"


def _spellings(words: tuple[str, ...], encoding: str) -> tuple[bytes, ...]:
    return tuple(word.lower().encode(encoding) for word in words)


_DTD_SPELLINGS = {encoding: _spellings(("<!doctype", "<!entity"), encoding)
                  for encoding in ("utf-8", "utf-16-le", "utf-16-be")}
# Office parts must be UTF-8 or UTF-16; other encodings could hide a DOCTYPE from the byte scan.
_ODD_ENCODING_STARTS = (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00", b"\x00\x00\x00<", b"<\x00\x00\x00",
                        b"\x4c\x6f\xa7\x94")   # UTF-32 (with and without BOM), EBCDIC "<?xm"
_XML_DECLARED_ENCODING = re.compile(rb"(?:\xef\xbb\xbf)?\s*<\?xml\s[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']")
_ALLOWED_ENCODINGS = {b"utf-8", b"utf8", b"utf-16", b"utf16", b"utf-16le", b"utf-16be", b"us-ascii",
                      b"ascii", b"iso-8859-1", b"latin-1", b"windows-1252"}


def _has_odd_encoding(start: bytes) -> bool:
    if start.startswith(_ODD_ENCODING_STARTS):
        return True
    declared = _XML_DECLARED_ENCODING.match(start[:512])
    return declared is not None and declared.group(1).lower() not in _ALLOWED_ENCODINGS


def refuse_dtd(*_args: object) -> None:
    """An expat handler for DOCTYPE and ENTITY declarations: refuse the file."""
    raise Rejected(Code.DOCTYPE, DOCTYPE)


class TextChecks:
    """The byte checks on a part's text, fed its lowered bytes (whole, or in overlapping windows):
    an odd encoding or a DTD refuses the part; ``found`` is which of the ``markers`` occur."""

    def __init__(self, start: bytes, markers: tuple[str, ...]):
        if _has_odd_encoding(start):
            raise Rejected(Code.ODD_ENCODING, ODD_ENCODING)
        encoding = text_encoding(start)
        self.dtd = _DTD_SPELLINGS[encoding]
        self.wanted = dict(zip(markers, _spellings(markers, encoding)))
        self.found: set[str] = set()

    def feed(self, lowered: bytes) -> None:
        if any(spelling in lowered for spelling in self.dtd):
            refuse_dtd()
        self.found.update(marker for marker, spelling in self.wanted.items() if spelling in lowered)
