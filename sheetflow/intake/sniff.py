"""What a returned file is before it is opened as a zip: a regular file, and if not a zip, which kind of file.

Partners send CSVs, PDFs, old .xls files, web pages and encrypted workbooks as
often as broken ones; each gets its own reason (and code) naming what it is, so
the convener can tell the partner what to do. Standard library only.
"""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

from .codes import RESAVE, Rejected

CHUNK = 1 << 20          # bytes read at a time when searching a file for a name
HEAD_BYTES = 8192        # bytes sniffed to recognise non-zip files
CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")

ENCRYPTED_WORKBOOK = ("This workbook is password-protected (encrypted), so it cannot be checked; "
                      "ask the partner to remove the password and send it again.")
OLD_XLS = f"This is an old .xls Excel 97-2003 file, not an .xlsx workbook; {RESAVE}."
PDF = f"This is a PDF document, not an Excel workbook; {RESAVE}."
HTML = f"This is a web page (HTML) file, not an Excel workbook, even if it opens in Excel; {RESAVE}."
XML = f"This is an XML file (such as an Excel 2003 \"XML Spreadsheet\"), not an .xlsx workbook; {RESAVE}."
TEXT = f"This is a CSV or plain-text file (perhaps renamed to .xlsx), not an Excel workbook; {RESAVE}."
UNKNOWN = f"This file is not an Excel workbook (it is not in .xlsx format at all); {RESAVE}."


def open_regular_file(path: Path):
    """Open ``path`` for reading only if it is a regular file; never opens a pipe or device."""
    try:
        _require_regular(os.stat(path))
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        if os.path.lexists(path):
            raise Rejected("not-found", "The file is a shortcut (link) to a file that no longer exists.") from None
        raise Rejected("not-found", "The file could not be found.") from None
    except OSError as exc:
        raise Rejected("unreadable", f"The file could not be read ({exc.strerror or exc}).") from None
    f = os.fdopen(fd, "rb")
    try:
        _require_regular(os.fstat(fd))   # it may have been swapped since the stat above
    except Rejected:
        f.close()
        raise
    return f


def _require_regular(st: os.stat_result) -> None:
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise Rejected("folder", "This is a folder, not a file.")
    kind = ("a named pipe" if stat.S_ISFIFO(mode) else
            "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else
            "a socket" if stat.S_ISSOCK(mode) else "a special system file")
    raise Rejected("not-a-file", f"This is not an ordinary file (it is {kind}), so it was not read.")


def not_a_zip(f, head: bytes) -> Rejected:
    """Why a file whose first bytes (``head``) are not a zip's is refused, naming what it is instead."""
    if head.startswith(CFB_MAGIC):
        return Rejected("encrypted", ENCRYPTED_WORKBOOK) if _cfb_is_encrypted(f) else Rejected("old-xls", OLD_XLS)
    if b"%PDF-" in head[:1024]:
        return Rejected("pdf", PDF)
    if not _looks_like_text(head):
        return Rejected("not-xlsx", UNKNOWN)
    encoding = "utf-16" if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8"
    text = head.decode(encoding, "ignore").lstrip("\ufeff \t\r\n").lower()
    if text.startswith(("<!doctype html", "<html", "<table", "mime-version:")) or "<html" in text[:1024]:
        return Rejected("html", HTML)
    if text.startswith("<?xml"):
        return Rejected("xml-file", XML)
    return Rejected("csv-file", TEXT)


_CONTROL_BYTES = bytes(set(range(32)) - set(b"\t\n\r\f"))


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    sample = head[:4096]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return b"\x00" not in sample and controls <= len(sample) // 200


_ENCRYPTION_STREAMS = tuple(name.encode("utf-16-le") for name in ("EncryptionInfo", "EncryptedPackage"))


def _cfb_is_encrypted(f) -> bool:
    """An encrypted .xlsx is a CFB file with EncryptionInfo/EncryptedPackage streams; look for their names."""
    f.seek(0)
    carry = b""
    while block := f.read(CHUNK):   # the file is already known to be within max_file_bytes
        window = carry + block
        if any(name in window for name in _ENCRYPTION_STREAMS):
            return True
        carry = window[-64:]
    return False
